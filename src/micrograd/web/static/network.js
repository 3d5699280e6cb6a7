// micrograd demo — network.js: the network view (TensorFlow Playground's diagram, and more).
//
// Inputs, hidden layers and outputs as columns of nodes; each node a small heatmap of what it
// computes over the input plane (the server's web.network.neuron_maps: ints -100..100, each
// node scaled by its own largest |value|; blue positive, orange negative). Edges coloured by
// sign and sized by |weight| — or, with "gradient flow", by the last step's gradient, so a
// learner sees where the learning signal goes. Hovering a node shows its map enlarged in the
// boundary plot; clicking an edge (or a node: its bias) opens an editor that sets that one
// weight on the server (POST /api/sessions/ID/weight) and redraws everything.
//
// The structure (nodes, edge elements) is rebuilt only when the layer sizes change; a step
// only rewrites the edges' attributes, and the thumbnails are repainted when a full snapshot
// brings new maps.
"use strict";

const NET = {key: null, edges: [], nodes: [], mapsDrawn: null, hover: null, edit: null};
const NET_POS = [47, 109, 181], NET_NEG = [232, 135, 30]; // blue +, orange − (the page's pos/neg)
const THUMB_PX = 34; // a node's drawn size

// a value in [-1, 1] as a colour: white at 0, blue or orange at the ends
function divergingRGB(v) {
  const c = v >= 0 ? NET_POS : NET_NEG, a = Math.min(1, Math.abs(v));
  return [255 - (255 - c[0]) * a, 255 - (255 - c[1]) * a, 255 - (255 - c[2]) * a];
}

// Paint a size x size map (ints -100..100) into an ImageData-backed canvas.
function paintMap(canvas, map) {
  const n = Math.round(Math.sqrt(map.length));
  if (canvas.width !== n) { canvas.width = n; canvas.height = n; }
  const ctx = canvas.getContext("2d"), img = ctx.createImageData(n, n);
  for (let i = 0; i < map.length; i++) {
    const [r, g, b] = divergingRGB(map[i] / 100);
    img.data[4 * i] = r; img.data[4 * i + 1] = g; img.data[4 * i + 2] = b; img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

// The node's name for people: an input's feature, "L1 n3" for a hidden neuron, "out 2" for an output.
function netNodeName(net, layer, j) {
  if (layer === 0) return net.inputs[j];
  if (layer === net.sizes.length - 1) return `${t("out")} ${j}`;
  return `L${layer - 1} n${j}`;
}

function buildNetwork(net) {
  const box = $("network"), svg = $("network-edges"), cols = net.sizes.length;
  // as tall as the widest layer needs (nodes never overlap), within bounds; the nodes shrink past that
  box.style.height = `${Math.max(200, Math.min(440, 16 + Math.max(...net.sizes) * 30))}px`;
  const W = box.clientWidth, H = box.clientHeight;
  const colX = (c) => 24 + (c * (W - 48 - THUMB_PX)) / Math.max(1, cols - 1);
  const pos = net.sizes.map((n, c) => {
    const step = Math.min(THUMB_PX + 10, (H - 12) / n), size = Math.max(8, Math.min(THUMB_PX, step - 4));
    const top = (H - step * n) / 2 + (step - size) / 2, x = colX(c) + (THUMB_PX - size) / 2;
    return Array.from({length: n}, (_, j) => [x, top + j * step, size]);
  });
  svg.setAttribute("width", W); svg.setAttribute("height", H);
  svg.replaceChildren();
  for (const el of box.querySelectorAll(".net-node")) el.remove();
  NET.edges = []; NET.nodes = [];
  for (let L = 1; L < cols; L++) {
    for (let j = 0; j < net.sizes[L]; j++) {
      for (let i = 0; i < net.sizes[L - 1]; i++) {
        const [x0, y0, s0] = pos[L - 1][i], [x1, y1, s1] = pos[L][j];
        const ax = x0 + s0, ay = y0 + s0 / 2, bx = x1, by = y1 + s1 / 2, mx = (ax + bx) / 2;
        const d = `M${ax} ${ay} C${mx} ${ay} ${mx} ${by} ${bx} ${by}`;
        const path = svgEl("path", {d, class: "net-edge"}, svg);
        const hit = svgEl("path", {d, class: "net-hit"}, svg); // a wider, invisible target for the click
        const e = {layer: L - 1, to: j, from: i, path};
        hit.addEventListener("click", (ev) => openWeightEditor(e, ev));
        hit.addEventListener("mouseenter", () => path.classList.add("hot"));
        hit.addEventListener("mouseleave", () => path.classList.remove("hot"));
        NET.edges.push(e);
      }
    }
  }
  for (let L = 0; L < cols; L++) {
    NET.nodes.push(pos[L].map(([x, y, size], j) => {
      const c = document.createElement("canvas");
      c.className = "net-node" + (L === 0 ? " input" : "");
      c.style.left = `${x}px`; c.style.top = `${y}px`; c.style.width = c.style.height = `${size}px`;
      c.dataset.layer = L; c.dataset.index = j;
      c.addEventListener("mouseenter", () => { NET.hover = {layer: L, index: j}; renderBoundary(); });
      c.addEventListener("mouseleave", () => { NET.hover = null; renderBoundary(); });
      if (L > 0) c.addEventListener("click", (ev) => openWeightEditor({layer: L - 1, to: j, from: "bias"}, ev));
      box.appendChild(c);
      return c;
    }));
  }
  NET.mapsDrawn = null;
}

// Edge attributes from the weights (or the last gradients): colour by sign, width by magnitude
// relative to the largest in the network (gradients are tiny in absolute terms).
function renderNetwork() {
  const net = S.snap && S.snap.network;
  if (!net) return;
  const key = net.sizes.join(",") + "|" + net.inputs.join(","); // (a resize clears it: app.js)
  if (key !== NET.key) { NET.key = key; buildNetwork(net); }
  const grads = $("show-grads").checked && net.layers[0].gw;
  const field = grads ? "gw" : "w";
  let max = 1e-12;
  for (const l of net.layers) for (const row of l[field]) for (const v of row) if (v != null) max = Math.max(max, Math.abs(v));
  const scale = grads ? max : Math.max(1, max);
  for (const e of NET.edges) {
    const v = net.layers[e.layer][field][e.to][e.from];
    const a = v == null ? 0 : Math.min(1, Math.abs(v) / scale);
    // one style string per edge, written only when it changes (most edges barely move per step)
    const style = `stroke:${v >= 0 ? "rgb(47,109,181)" : "rgb(232,135,30)"};stroke-width:${(0.4 + 4.5 * a).toFixed(1)};` +
      `stroke-opacity:${(0.25 + 0.7 * a).toFixed(2)}`;
    if (style !== e.style) { e.style = style; e.path.style.cssText = style; } // CSSOM: the CSP blocks style attributes
  }
  const info = grads
    ? t("edges: last gradient (largest |g| = {g})", {g: fmtNum(max)})
    : !$("show-grads").checked ? t("edges: weights (width ∝ |w|)") : t("edges: no gradient yet (take a step)");
  if ($("network-info").textContent !== info) $("network-info").textContent = info;
  if (net.maps && net.maps !== NET.mapsDrawn) {
    NET.mapsDrawn = net.maps;
    net.maps.forEach((layer, L) => layer.maps.forEach((m, j) => {
      const c = NET.nodes[L] && NET.nodes[L][j];
      if (!c) return;
      paintMap(c, m);
      c.title = `${netNodeName(net, L, j)} · ${t("largest |value|")} ${fmtNum(layer.scale[j])}` +
        (L > 0 ? ` · ${t("bias")} ${fmtNum(net.layers[L - 1].b[j])} · ${t("click to edit")}` : "");
    }));
  }
}

// The hovered node's map, enlarged over the boundary plot (plots.js calls this); false if none.
function drawHoveredMap(ctx, w, h) {
  const net = S.snap && S.snap.network;
  if (!NET.hover || !net || !net.maps) return false;
  const m = net.maps[NET.hover.layer] && net.maps[NET.hover.layer].maps[NET.hover.index];
  if (!m) return false;
  const c = document.createElement("canvas");
  paintMap(c, m);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(c, 0, 0, w, h);
  ctx.fillStyle = "rgba(29,35,48,0.8)";
  ctx.fillRect(0, 0, w, 22);
  ctx.fillStyle = "#fff";
  ctx.font = "12px system-ui, sans-serif";
  ctx.fillText(`${netNodeName(net, NET.hover.layer, NET.hover.index)} · ${t("largest |value|")} ` +
    fmtNum(net.maps[NET.hover.layer].scale[NET.hover.index]), 8, 15);
  return true;
}

// ---------------------------------------------------------------------- editing one weight

function openWeightEditor(e, ev) {
  const net = S.snap.network, l = net.layers[e.layer];
  const bias = e.from === "bias";
  const w = bias ? l.b[e.to] : l.w[e.to][e.from];
  const g = l.gw ? (bias ? l.gb[e.to] : l.gw[e.to][e.from]) : null;
  NET.edit = e;
  const to = netNodeName(net, e.layer + 1, e.to);
  $("weight-what").textContent = bias ? t("bias of {to}", {to}) : t("weight {from} → {to}", {from: netNodeName(net, e.layer, e.from), to});
  $("weight-grad").textContent = g == null ? "–" : fmtNum(g);
  $("weight-value").value = String(w);
  const box = $("weight-editor"), r = $("network-panel").getBoundingClientRect();
  box.hidden = false;
  box.style.left = `${Math.min(ev.clientX - r.left + 8, r.width - box.offsetWidth - 8)}px`;
  box.style.top = `${Math.max(30, ev.clientY - r.top - box.offsetHeight - 8)}px`;
  $("weight-value").focus();
  $("weight-value").select();
}

function closeWeightEditor() { $("weight-editor").hidden = true; NET.edit = null; }

async function setWeight() {
  const e = NET.edit, v = $("weight-value").value.trim();
  const value = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(v) ? parseFloat(v) : v; // unparsable: the server names it
  const snap = await sessionCall("weight", {layer: e.layer, to: e.to, from: e.from, value});
  S.accHistory.push(snap.accuracy);
  applySnap(snap);
  closeWeightEditor();
  status(t("set {what} to {value}", {what: $("weight-what").textContent, value: String(value)}));
}

function setupNetwork() {
  $("show-grads").addEventListener("change", () => S.snap && renderNetwork());
  $("weight-form").addEventListener("submit", (ev) => { ev.preventDefault(); guard(setWeight)(); });
  $("weight-cancel").addEventListener("click", closeWeightEditor);
  $("weight-editor").addEventListener("keydown", (ev) => { if (ev.key === "Escape") closeWeightEditor(); });
}
