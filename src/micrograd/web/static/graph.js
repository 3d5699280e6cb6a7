// micrograd demo — the compute-graph view: layered layout, SVG drawing, pan and zoom.
//
//   const view = new GraphView(svgElement);
//   view.show(graph, {params: true});   // graph = {nodes: [{label, kind, data, grad}], edges: [[child, parent]]}
//   view.fit();                         // readable (scroll for the rest); view.showAll(): everything
//
// The svg sits in a scroll box (its parent) and is always as big as the graph at the
// current zoom, so every node is reachable by the scroll bars or by dragging, whatever the
// zoom. Fit never goes below READABLE_SCALE (12 px text drawn at 9 px or more); a graph
// too big for that is scrolled, and "All" shows it whole, small.
//
// The server traces the graph (micrograd.graph.trace); this file only lays it out and
// draws it. Layout: a node's column is 1 + the deepest of its children (inputs at 0).
// Parameters go into a band just left of the neuron that reads them (wrapped into
// sub-columns, so 51 output weights do not make one endless column). Within a column,
// nodes are ordered by the mean position of their neighbours (barycenter sweeps) to
// keep edges short. The layout is recomputed only when the graph's structure changes;
// each training step just rewrites the numbers, so pan and zoom stay put.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
const NODE_W = 128, NODE_H = 44, GAP_X = 56, GAP_Y = 6, GAP_BAND = 10;
const READABLE_SCALE = 0.75; // the smallest Fit: the 12 px node text (style.css) drawn at 9 px
const MAX_SCALE = 4, FIT_MAX_SCALE = 1.5, PAD = 10;

function svgEl(name, attrs, parent) {
  const el = document.createElementNS(SVG_NS, name);
  for (const k in attrs) el.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(el);
  return el;
}

// 4 significant digits, exponent form for very large or small magnitudes.
function fmtNum(v) {
  if (v === null || v === undefined) return "nan";
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e4 || a < 1e-3)) return v.toExponential(2);
  return v.toFixed(4);
}

// "layers.0.neurons.15.w.1" -> "L0.n15.w1" (the full name stays in the tooltip).
function shortParamName(name) {
  const m = /^layers\.(\d+)\.neurons\.(\d+)\.(w\.(\d+)|b)$/.exec(name);
  if (!m) return name;
  return `L${m[1]}.n${m[2]}.` + (m[4] !== undefined ? `w${m[4]}` : "b");
}

function layout(nodes, edges, aspect = 2) {
  const n = nodes.length;
  const children = nodes.map(() => []), parents = nodes.map(() => []);
  for (const [c, p] of edges) { children[p].push(c); parents[c].push(p); }
  // 1) layer = longest path from the leaves (nodes come in topological order)
  const layer = new Array(n).fill(0);
  for (let i = 0; i < n; i++) for (const c of children[i]) layer[i] = Math.max(layer[i], layer[c] + 1);
  // 2) leaves move next to their earliest user: parameters into a band just left of
  //    their neuron's column (wrapped into sub-columns), inputs/constants one column before
  const band = new Array(n).fill(false);
  for (let i = 0; i < n; i++) {
    if (children[i].length === 0 && parents[i].length > 0) {
      const first = Math.min(...parents[i].map((p) => layer[p]));
      band[i] = nodes[i].kind === "param";
      layer[i] = band[i] ? first : Math.max(0, first - 1);
    }
  }
  const nlayers = Math.max(0, ...layer) + 1;
  const rows = Array.from({length: nlayers}, () => []), bands = Array.from({length: nlayers}, () => []);
  for (let i = 0; i < n; i++) (band[i] ? bands : rows)[layer[i]].push(i);
  // 3) barycenter sweeps: order each column by the mean position of its neighbours
  const pos = new Array(n).fill(0);
  const setPos = () => rows.forEach((r) => r.forEach((v, k) => { pos[v] = k / Math.max(1, r.length - 1); }));
  setPos();
  const main = (vs) => vs.filter((u) => !band[u]);
  const bary = (v, nbrs) => (nbrs.length ? nbrs.reduce((s, u) => s + pos[u], 0) / nbrs.length : pos[v]);
  const both = (v) => main(children[v]).concat(parents[v]);
  for (let sweep = 0; sweep < 4; sweep++) {
    for (let L = 1; L < nlayers; L++) {
      rows[L].sort((a, b) => bary(a, both(a)) - bary(b, both(b)));
      setPos();
    }
    for (let L = nlayers - 2; L >= 0; L--) {
      rows[L].sort((a, b) => bary(a, parents[a]) - bary(b, parents[b]));
      setPos();
    }
  }
  // 4) how tall a parameter band may grow before it wraps: the height whose whole drawing
  //    fits the view (`aspect` = its width / height) at the largest scale
  const tallestMain = Math.max(1, ...rows.map((r) => r.length));
  const extent = (R) => {
    let w = 0, h = tallestMain;
    for (let L = 0; L < nlayers; L++) {
      if (bands[L].length) {
        const c = Math.ceil(bands[L].length / R);
        w += c * (NODE_W + GAP_BAND) - GAP_BAND + GAP_X * 0.6;
        h = Math.max(h, Math.ceil(bands[L].length / c));
      }
      if (rows[L].length) w += NODE_W + GAP_X;
    }
    return [w - GAP_X, h * (NODE_H + GAP_Y) - GAP_Y];
  };
  let maxRows = tallestMain, best = 0;
  const biggestBand = Math.max(0, ...bands.map((b) => b.length));
  for (let R = tallestMain; R <= Math.max(tallestMain, biggestBand); R++) {
    const [w, h] = extent(R);
    const scale = Math.min(aspect / w, 1 / h);
    if (scale > best * 1.0001) { best = scale; maxRows = R; }
  }
  const tallest = Math.max(tallestMain, ...bands.map((b) => Math.ceil(b.length / Math.max(1, Math.ceil(b.length / maxRows)))));
  // 5) coordinates, left to right: [parameter band of L] [column L], columns centred vertically
  const xy = new Array(n);
  let x = 0;
  const column = (vs, x0, ncols) => {
    const nrows = Math.ceil(vs.length / ncols);
    const off = ((tallest - nrows) * (NODE_H + GAP_Y)) / 2;
    vs.forEach((v, k) => { xy[v] = [x0 + (k % ncols) * (NODE_W + GAP_BAND), off + Math.floor(k / ncols) * (NODE_H + GAP_Y)]; });
  };
  for (let L = 0; L < nlayers; L++) {
    const b = bands[L];
    if (b.length) {
      // a neuron's parameters stay together, in the order of their neuron
      b.sort((u, v) => bary(u, parents[u]) - bary(v, parents[v]) || u - v);
      const ncols = Math.ceil(b.length / maxRows);
      column(b, x, ncols);
      x += ncols * (NODE_W + GAP_BAND) - GAP_BAND + GAP_X * 0.6;
    }
    if (rows[L].length) {
      column(rows[L], x, 1);
      x += NODE_W + GAP_X;
    }
  }
  return {xy, width: x - GAP_X, height: tallest * (NODE_H + GAP_Y) - GAP_Y};
}

class GraphView {
  constructor(svg) {
    this.svg = svg;
    this.box = svg.parentElement; // the scroll box
    this.root = svgEl("g", {class: "viewport"}, svg);
    this.k = 1;
    this.size = null; // the layout's size in graph units (k = 1)
    this.key = null;
    this.nodeEls = [];
    this.onzoom = null; // called with the scale after every change
    this._panZoom();
    this._resize();
    new ResizeObserver(() => this._resize()).observe(this.box);
  }

  // Draw `graph`; when its structure is unchanged, only the numbers are rewritten.
  show(graph, opts) {
    if (!graph) { this.clear(); return; }
    let {nodes, edges} = graph;
    let keep = nodes.map((_, i) => i);
    if (!opts.params) keep = keep.filter((i) => nodes[i].kind !== "param");
    const key = keep.length + "|" + edges.length + "|" + keep.map((i) => nodes[i].label).join(",");
    if (key !== this.key) this._build(graph, keep, key);
    this.kept.forEach((i, j) => this._update(this.nodeEls[j], nodes[i]));
    this.svg.dataset.nodes = String(keep.length);
    this.svg.dataset.root = fmtNum(nodes[nodes.length - 1].data);
  }

  clear() {
    this.root.replaceChildren();
    this.key = null;
    this.size = null;
    this.nodeEls = [];
    this.svg.dataset.nodes = "0";
    this._resize();
  }

  _build(graph, keep, key) {
    this.key = key;
    this.kept = keep;
    const newIndex = new Map(keep.map((i, j) => [i, j]));
    const sub = graph.edges.filter(([c, p]) => newIndex.has(c) && newIndex.has(p)).map(([c, p]) => [newIndex.get(c), newIndex.get(p)]);
    const {w, h} = this._view();
    const aspect = w > 0 && h > 0 ? w / h : 2;
    const {xy, width, height} = layout(keep.map((i) => graph.nodes[i]), sub, aspect);
    this.size = {width, height};
    this.root.replaceChildren();
    const edgeLayer = svgEl("g", {class: "edges"}, this.root);
    for (const [c, p] of sub) {
      const [x1, y1] = [xy[c][0] + NODE_W, xy[c][1] + NODE_H / 2];
      const [x2, y2] = [xy[p][0], xy[p][1] + NODE_H / 2];
      const mx = (x1 + x2) / 2;
      svgEl("path", {d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`}, edgeLayer);
    }
    const nodeLayer = svgEl("g", {class: "nodes"}, this.root);
    this.nodeEls = keep.map((i, j) => {
      const node = graph.nodes[i];
      const g = svgEl("g", {class: `node kind-${node.kind}`, transform: `translate(${xy[j][0]},${xy[j][1]})`}, nodeLayer);
      svgEl("rect", {width: NODE_W, height: NODE_H, rx: 5}, g);
      const title = svgEl("title", {}, g);
      title.textContent = node.title || node.label;
      const label = svgEl("text", {x: 7, y: 14, class: "label"}, g);
      label.textContent = node.kind === "param" ? shortParamName(node.label) : node.label;
      // a long label is squeezed into the box rather than drawn over its edge
      if (label.getComputedTextLength() > NODE_W - 12) {
        label.setAttribute("textLength", NODE_W - 12);
        label.setAttribute("lengthAdjust", "spacingAndGlyphs");
      }
      return {
        g,
        data: svgEl("text", {x: 7, y: 28, class: "data"}, g),
        grad: svgEl("text", {x: 7, y: 40, class: "grad"}, g),
      };
    });
    this.fit(); // a new structure (another graph, expanded, parameters hidden): frame it afresh
  }

  _update(el, node) {
    el.data.textContent = t("data") + " " + fmtNum(node.data);
    el.grad.textContent = t("grad") + " " + fmtNum(node.grad);
    el.grad.setAttribute("class", "grad " + (node.grad > 0 ? "pos" : node.grad < 0 ? "neg" : "zero"));
  }

  // ---------------------------------------------------------------- zoom and scroll
  _view() {
    return {w: this.box.clientWidth, h: this.box.clientHeight};
  }

  // the scale at which the whole graph fits the view
  _allScale() {
    const {w, h} = this._view();
    if (!this.size) return 1;
    return Math.max(0.01, Math.min((w - 2 * PAD) / this.size.width, (h - 2 * PAD) / this.size.height));
  }

  // Size the svg for scale `k` (at least the view; the graph centred when smaller than it)
  // and draw at that scale. Twice: a scroll bar that appears makes the view smaller.
  _resize(k = this.k) {
    this.k = k;
    for (let pass = 0; pass < 2; pass++) {
      const {w, h} = this._view();
      const gw = this.size ? this.size.width * k : 0, gh = this.size ? this.size.height * k : 0;
      const W = Math.max(w, Math.ceil(gw + 2 * PAD)), H = Math.max(h, Math.ceil(gh + 2 * PAD));
      this.ox = (W - gw) / 2;
      this.oy = (H - gh) / 2;
      this.svg.setAttribute("width", W);
      this.svg.setAttribute("height", H);
    }
    this.root.setAttribute("transform", `translate(${this.ox},${this.oy}) scale(${k})`);
    if (this.onzoom) this.onzoom(k);
  }

  // Readable: the whole graph if it fits at READABLE_SCALE or more, else READABLE_SCALE
  // from the graph's left end (its inputs), vertically centred; scroll for the rest.
  fit() {
    if (!this.size) return;
    this._resize(Math.max(READABLE_SCALE, Math.min(this._allScale(), FIT_MAX_SCALE)));
    this.box.scrollLeft = 0;
    this.box.scrollTop = (this.box.scrollHeight - this.box.clientHeight) / 2;
  }

  // The whole graph in view, however small its text.
  showAll() {
    if (!this.size) return;
    this._resize(Math.min(this._allScale(), FIT_MAX_SCALE));
    this.box.scrollLeft = 0;
    this.box.scrollTop = 0;
  }

  // Zoom by `factor` about the view point (cx, cy) (default: the view's centre). Zooming
  // out stops where the whole graph is in view.
  zoom(factor, cx, cy) {
    if (!this.size) return;
    const {w, h} = this._view();
    if (cx === undefined) { cx = w / 2; cy = h / 2; }
    const b = this.box;
    const u = (b.scrollLeft + cx - this.ox) / this.k, v = (b.scrollTop + cy - this.oy) / this.k;
    const kmin = Math.min(this._allScale(), READABLE_SCALE);
    this._resize(Math.min(MAX_SCALE, Math.max(kmin, this.k * factor)));
    b.scrollLeft = u * this.k + this.ox - cx;
    b.scrollTop = v * this.k + this.oy - cy;
  }

  _panZoom() {
    const svg = this.svg, box = this.box;
    let drag = null;
    svg.addEventListener("wheel", (e) => {
      e.preventDefault();
      const r = box.getBoundingClientRect();
      this.zoom(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
    }, {passive: false});
    svg.addEventListener("pointerdown", (e) => {
      drag = {x: e.clientX, y: e.clientY, left: box.scrollLeft, top: box.scrollTop};
      svg.setPointerCapture(e.pointerId);
      svg.classList.add("dragging");
    });
    svg.addEventListener("pointermove", (e) => {
      if (!drag) return;
      box.scrollLeft = drag.left - (e.clientX - drag.x);
      box.scrollTop = drag.top - (e.clientY - drag.y);
    });
    const end = () => { drag = null; svg.classList.remove("dragging"); };
    svg.addEventListener("pointerup", end);
    svg.addEventListener("pointercancel", end);
  }
}

window.GraphView = GraphView;
window.READABLE_SCALE = READABLE_SCALE;
window.fmtNum = fmtNum;
window.shortParamName = shortParamName;
