// micrograd demo — plots.js: the header's numbers, the decision-boundary plot, the loss and
// accuracy charts, and the "last step" box.
"use strict";

// ---------------------------------------------------------------------- stats

// A loss in at most 6 characters (the header reserves 6.5ch for it): 4 decimals below 10,
// fewer above, exponent form from 1000.
function fmtStat(v) {
  if (v === null || v === undefined || !isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a >= 1000) return v.toExponential(1).replace("e+", "e");
  return v.toFixed(a >= 100 ? 2 : a >= 10 ? 3 : 4);
}

function renderStats() {
  const snap = S.snap;
  $("step-count").textContent = String(snap.step);
  const last = S.history[S.history.length - 1];
  $("train-loss").textContent = last ? fmtStat(last.train_loss) : "–";
  let val = null;
  for (let i = S.history.length - 1; i >= 0 && val === null; i--) if (S.history[i].val_loss != null) val = S.history[i].val_loss;
  $("val-loss").textContent = fmtStat(val);
  // a regression run has no accuracy (null): a dash, not a number that means nothing
  const pct = (v) => (v == null ? "–" : v.toFixed(0) + "%");
  $("val-acc").textContent = pct(snap.accuracy[1]);
  $("test-acc").textContent = pct(snap.accuracy[2]);
  const nsplit = (k) => snap.points[k].length;
  $("boundary-info").textContent = t("{dataset} · {train}/{val}/{test} points",
    {dataset: snap.config.dataset, train: nsplit("train"), val: nsplit("val"), test: nsplit("test")});
}

// ---------------------------------------------------------------------- canvases

function fitCanvas(c) {
  const r = c.getBoundingClientRect();
  const d = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(r.width * d)), h = Math.max(1, Math.round(r.height * d));
  if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
  const ctx = c.getContext("2d");
  ctx.setTransform(d, 0, 0, d, 0, 0);
  return {ctx, w: r.width, h: r.height};
}

// data <-> canvas coordinates of the boundary plot
function toPx(x, y, w, h) {
  const [x0, x1, y0, y1] = S.snap.domain;
  return [((x - x0) / (x1 - x0)) * w, ((y1 - y) / (y1 - y0)) * h];
}
function toData(px, py, w, h) {
  const [x0, x1, y0, y1] = S.snap.domain;
  return [x0 + (px / w) * (x1 - x0), y1 - (py / h) * (y1 - y0)];
}

const heat = document.createElement("canvas");

// A regression run's colour of a value in [-1, 1] (a fraction of the grid's scale): blue +, orange −
// (Playground's), white at 0.
const POS = [76, 120, 168], NEG = [242, 142, 43];
function valueColor(v) {
  const a = Math.min(1, Math.abs(v)), c = v >= 0 ? POS : NEG;
  return [255 - (255 - c[0]) * a, 255 - (255 - c[1]) * a, 255 - (255 - c[2]) * a];
}
// a point's fill: its class colour, or its target on the regression scale
function pointColor(label) {
  const g = S.snap.grid;
  return g.regression ? valueColor(label / g.scale) : CLASS_COLORS[label % CLASS_COLORS.length];
}

function renderBoundary() {
  const snap = S.snap;
  const {ctx, w, h} = fitCanvas($("boundary"));
  // 1) the heatmap: class colours mixed by probability, lightened, smoothed when scaled up
  const G = snap.grid.size, C = snap.grid.classes, probs = snap.grid.probs;
  heat.width = G; heat.height = G;
  const hctx = heat.getContext("2d");
  const img = hctx.createImageData(G, G);
  $("boundary").dataset.kind = snap.grid.regression ? "regression" : "classes"; // what the heatmap shows
  for (let i = 0; i < G * G; i++) {
    if (snap.grid.regression) { // the prediction, on the targets' colour scale
      const [r, g, b] = valueColor(snap.grid.values[i] / 100);
      img.data[4 * i] = r; img.data[4 * i + 1] = g; img.data[4 * i + 2] = b; img.data[4 * i + 3] = 255;
      continue;
    }
    let r = 0, g = 0, b = 0;
    for (let k = 0; k < C; k++) {
      const p = probs[i * C + k] / 100, col = CLASS_COLORS[k % CLASS_COLORS.length];
      r += p * col[0]; g += p * col[1]; b += p * col[2];
    }
    if (typeof MG_VIEW !== "undefined" && MG_VIEW.discrete) { // hook (controls.js): class regions, not soft
      let best = 0;
      for (let k = 1; k < C; k++) if (probs[i * C + k] > probs[i * C + best]) best = k;
      [r, g, b] = CLASS_COLORS[best % CLASS_COLORS.length];
    }
    img.data[4 * i] = 255 - (255 - r) * 0.55;
    img.data[4 * i + 1] = 255 - (255 - g) * 0.55;
    img.data[4 * i + 2] = 255 - (255 - b) * 0.55;
    img.data[4 * i + 3] = 255;
  }
  hctx.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(heat, 0, 0, w, h);
  drawHoveredMap(ctx, w, h); // a network node under the mouse: its map instead (network.js)
  // 2) axes at integer coordinates
  const [x0, x1, y0, y1] = snap.domain;
  ctx.lineWidth = 1;
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = "rgba(0,0,0,0.45)";
  for (let v = Math.ceil(x0); v <= x1; v++) {
    const [px] = toPx(v, 0, w, h);
    ctx.strokeStyle = v === 0 ? "rgba(0,0,0,0.35)" : "rgba(0,0,0,0.08)";
    ctx.beginPath(); ctx.moveTo(px, 0); ctx.lineTo(px, h); ctx.stroke();
    if (v !== 0) ctx.fillText(String(v), px + 3, h - 4);
  }
  for (let v = Math.ceil(y0); v <= y1; v++) {
    const [, py] = toPx(0, v, w, h);
    ctx.strokeStyle = v === 0 ? "rgba(0,0,0,0.35)" : "rgba(0,0,0,0.08)";
    ctx.beginPath(); ctx.moveTo(0, py); ctx.lineTo(w, py); ctx.stroke();
    if (v !== 0) ctx.fillText(String(v), 3, py - 3);
  }
  // 3) the first hidden layer's zero-level lines w0*x + w1*y + b = 0
  if ($("show-lines").checked) {
    ctx.save();
    ctx.setLineDash([6, 4]);
    ctx.strokeStyle = "rgba(20,20,40,0.55)";
    ctx.lineWidth = 1.3;
    for (const [a, b, c] of snap.lines) {
      if (a === null || b === null || c === null || (a === 0 && b === 0)) continue;
      let p, q;
      if (Math.abs(b) > Math.abs(a)) { p = [x0, -(a * x0 + c) / b]; q = [x1, -(a * x1 + c) / b]; }
      else { p = [-(b * y0 + c) / a, y0]; q = [-(b * y1 + c) / a, y1]; }
      const [px, py] = toPx(p[0], p[1], w, h), [qx, qy] = toPx(q[0], q[1], w, h);
      ctx.beginPath(); ctx.moveTo(px, py); ctx.lineTo(qx, qy); ctx.stroke();
    }
    ctx.restore();
  }
  // 4) the points: train circles, val squares, test triangles
  const shapes = {
    train: (x, y) => { ctx.beginPath(); ctx.arc(x, y, 4.5, 0, 2 * Math.PI); },
    val: (x, y) => { ctx.beginPath(); ctx.rect(x - 4.5, y - 4.5, 9, 9); },
    test: (x, y) => { ctx.beginPath(); ctx.moveTo(x, y - 6); ctx.lineTo(x + 5.5, y + 4); ctx.lineTo(x - 5.5, y + 4); ctx.closePath(); },
  };
  ctx.lineWidth = 1.2;
  ctx.strokeStyle = "rgba(0,0,0,0.75)";
  for (const split of ["train", "val", "test"]) {
    if (split === "test" && typeof MG_VIEW !== "undefined" && MG_VIEW.hideTest) continue; // hook (controls.js)
    for (const [x, y, label] of snap.points[split]) {
      const [px, py] = toPx(x, y, w, h);
      shapes[split](px, py);
      ctx.fillStyle = rgb(pointColor(label));
      ctx.fill(); ctx.stroke();
    }
  }
  // 5) the traced datapoint
  if (snap.graph) {
    const {x, y, label} = snap.graph.point;
    const [px, py] = toPx(x, y, w, h);
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = "#111";
    ctx.beginPath(); ctx.arc(px, py, 10, 0, 2 * Math.PI); ctx.stroke();
    ctx.strokeStyle = rgb(pointColor(label));
    ctx.lineWidth = 2;
    ctx.beginPath(); ctx.arc(px, py, 7, 0, 2 * Math.PI); ctx.stroke();
    ctx.strokeStyle = "#111"; ctx.lineWidth = 1.5;
    for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1]]) {
      ctx.beginPath(); ctx.moveTo(px + 10 * dx, py + 10 * dy); ctx.lineTo(px + 16 * dx, py + 16 * dy); ctx.stroke();
    }
  }
}

// A line chart: `series` = [{color, points: [[x, y], ...]}].
function drawChart(canvas, series, {ymin, ymax, xmax, fmtY}) {
  const {ctx, w, h} = fitCanvas(canvas);
  ctx.clearRect(0, 0, w, h);
  const L = 48, R = 10, T = 8, B = 22;
  const pw = w - L - R, ph = h - T - B;
  const X = (x) => L + (x / xmax) * pw, Y = (y) => T + (1 - (y - ymin) / (ymax - ymin)) * ph;
  ctx.font = "11px system-ui, sans-serif";
  ctx.lineWidth = 1;
  ctx.fillStyle = "#666";
  ctx.textAlign = "right";
  for (const v of niceTicks(ymin, ymax, 5)) {
    ctx.strokeStyle = "#eee";
    ctx.beginPath(); ctx.moveTo(L, Y(v)); ctx.lineTo(L + pw, Y(v)); ctx.stroke();
    ctx.fillText(fmtY(v), L - 5, Y(v) + 4);
  }
  ctx.textAlign = "center";
  for (const v of niceTicks(0, xmax, 6)) {
    ctx.fillText(String(v), X(v), h - 6);
  }
  ctx.strokeStyle = "#999";
  ctx.beginPath(); ctx.moveTo(L, T); ctx.lineTo(L, T + ph); ctx.lineTo(L + pw, T + ph); ctx.stroke();
  let drawn = 0;
  ctx.save();
  ctx.beginPath(); ctx.rect(L, T, pw, ph); ctx.clip();
  for (const s of series) {
    const pts = s.points;
    const every = Math.max(1, Math.floor(pts.length / 1500)); // a long run: draw a sample
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    for (let i = 0; i < pts.length; i += every) {
      const [x, y] = pts[i];
      if (i === 0) ctx.moveTo(X(x), Y(y)); else ctx.lineTo(X(x), Y(y));
    }
    if (pts.length) { const [x, y] = pts[pts.length - 1]; ctx.lineTo(X(x), Y(y)); }
    ctx.stroke();
    if (pts.length === 1) { ctx.fillStyle = s.color; ctx.fillRect(X(pts[0][0]) - 2, Y(pts[0][1]) - 2, 4, 4); }
    drawn += pts.length;
  }
  ctx.restore();
  canvas.dataset.points = String(drawn);
}

function niceTicks(lo, hi, n) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(+v.toFixed(10));
  return out;
}

function renderCharts() {
  const log = $("loss-log").checked;
  const tr = log ? (v) => Math.log10(Math.max(v, 1e-12)) : (v) => v;
  const train = [], val = [];
  for (const r of S.history) {
    if (r.train_loss != null) train.push([r.step + 1, tr(r.train_loss)]);
    if (r.val_loss != null) val.push([r.step, tr(r.val_loss)]);
  }
  const xmax = Math.max(10, S.snap.step);
  const all = train.concat(val).map((p) => p[1]).filter((v) => isFinite(v));
  let ymin = 0, ymax = all.length ? Math.max(...all) * 1.05 : 1.2, fmtY = (v) => v.toFixed(2);
  if (log) {
    ymin = all.length ? Math.floor(Math.min(...all)) : -3;
    ymax = all.length ? Math.max(ymin + 1, Math.ceil(Math.max(...all))) : 1;
    fmtY = (v) => (Number.isInteger(v) ? `1e${v}` : "");
  }
  drawChart($("loss-chart"), [{color: SERIES.val, points: val}, {color: SERIES.train, points: train}],
            {ymin, ymax, xmax, fmtY});
  const has = (a) => a[1] != null; // a regression run has no accuracy: an empty chart
  const accVal = S.accHistory.filter(has).map((a) => [a[0], a[1]]), accTest = S.accHistory.filter(has).map((a) => [a[0], a[2]]);
  drawChart($("acc-chart"), [{color: SERIES.test, points: accTest}, {color: SERIES.val, points: accVal}],
            {ymin: 0, ymax: 100, xmax, fmtY: (v) => v + "%"});
}

// ---------------------------------------------------------------------- last step

const rateSamples = []; // [time ms, step] while playing, for steps/second
function renderLastStep() {
  const r = S.history[S.history.length - 1];
  $("ls-step").textContent = r ? String(r.step) : "–";
  $("ls-val").textContent = r && r.val_loss != null ? r.val_loss.toFixed(6) : "–";
  $("ls-train").textContent = r && r.train_loss != null ? r.train_loss.toFixed(6) : "–";
  $("ls-time").textContent = r ? `${(1000 * r.seconds).toFixed(1)} ms` : "–";
  const now = performance.now();
  rateSamples.push([now, S.snap.step]);
  while (rateSamples.length > 2 && now - rateSamples[0][0] > 3000) rateSamples.shift();
  const [t0, s0] = rateSamples[0];
  const rate = (S.snap.step - s0) / ((now - t0) / 1000);
  $("ls-rate").textContent = S.playing && now > t0 && rate >= 0 ? t("{rate} steps/s", {rate: rate.toFixed(1)}) : "–";
}
