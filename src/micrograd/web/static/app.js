// micrograd demo — the page's logic: talk to the server, draw what it sends.
//
// The server (micrograd.web.server) owns the training session; this file never
// computes a gradient. Each tab gets its own session (its id lives in sessionStorage,
// which is per tab, so a reload re-attaches to the same run; if the server forgot it, the
// page says so and starts afresh). All requests go one after another through `serial()`,
// so play, clicks and the form never race each other.
"use strict";

const CLASS_COLORS = [[228, 87, 86], [76, 120, 168], [84, 162, 75], [242, 142, 43], [176, 122, 161]];
const SERIES = {train: "#2f6db5", val: "#e8871e", test: "#3a9d5d"};
const $ = (id) => document.getElementById(id);
const rgb = (c, a = 1) => `rgba(${c[0]},${c[1]},${c[2]},${a})`;

const S = {
  id: null, // session id
  snap: null, // the last snapshot from the server
  history: [], // per-step records {step, train_loss, val_loss, seconds}
  accHistory: [], // [step, val %, test %]
  options: null,
  playing: false,
  loopToken: 0,
  graphView: null,
};

// ---------------------------------------------------------------------- talking to the server

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(method, path, body) {
  const init = {method, headers: {}};
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const r = await fetch(path, init);
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { /* not JSON: use the status */ }
  if (!r.ok) throw new ApiError(r.status, (data && data.error) || `${r.status} ${r.statusText}`);
  return data;
}

let queue = Promise.resolve();
function serial(fn) {
  const p = queue.then(fn);
  queue = p.catch(() => {});
  return p;
}

const SESSION_KEY = "micrograd-session", PREFS_KEY = "micrograd-prefs";

async function createSession(config) {
  const snap = await api("POST", "/api/sessions", config);
  S.id = snap.session;
  sessionStorage.setItem(SESSION_KEY, S.id);
  applyFull(snap);
  if (!snap.graph) await pickFirstPoint();
}

// POST to the session; a session that expired on the server is replaced once, transparently.
async function sessionCall(action, body) {
  try {
    return await api("POST", `/api/sessions/${S.id}/${action}`, body);
  } catch (e) {
    if (e.status !== 404 || !/unknown session/.test(e.message)) throw e;
    const config = S.snap ? S.snap.config : {};
    await createSession(config);
    S.notice = "the old session had expired: started a new one"; // stays on the next status line too
    status(S.notice);
    return await api("POST", `/api/sessions/${S.id}/${action}`, body);
  }
}

async function pickFirstPoint() {
  const p = S.snap.points.train[0];
  if (p) await pick(p[0], p[1], p[2]);
}

// ---------------------------------------------------------------------- actions

// The server's rule (session.thin): past 10000 records, every other one of the older half.
function thin(records) {
  if (records.length <= 10000) return records;
  const half = Math.floor(records.length / 2);
  return records.slice(0, half).filter((_, i) => i % 2 === 0).concat(records.slice(half));
}

async function doStep(k) {
  const snap = await sessionCall("step", {steps: k});
  S.history = thin(S.history.concat(snap.records));
  S.accHistory = thin(S.accHistory.concat([snap.accuracy]));
  applySnap(snap);
  return snap;
}

async function pick(x, y, label) {
  const snap = await sessionCall("pick", {x, y, label, expand: $("expand").checked});
  applySnap(snap);
  $("pick-x").value = +x.toFixed(4);
  $("pick-y").value = +y.toFixed(4);
  $("pick-label").value = String(label);
}

async function editPoints(body) {
  const snap = await sessionCall("points", body);
  S.accHistory.push(snap.accuracy);
  applySnap(snap);
  if (snap.removed) status(`removed a ${snap.removed.split} point of class ${snap.removed.label}`);
}

async function reset() {
  const config = readForm();
  const snap = await sessionCall("reset", config);
  applyFull(snap);
  if (!snap.graph) await pickFirstPoint();
  status("reset: a fresh run with these hyperparameters");
}

function setPlaying(on) {
  S.playing = on;
  rateSamples.length = 0;
  $("play").textContent = on ? "❚❚ Pause" : "▶ Play";
  $("play").classList.toggle("playing", on);
  if (on) loop(++S.loopToken);
}

async function loop(token) {
  while (S.playing && token === S.loopToken) {
    try {
      await serial(() => doStep(speed()));
    } catch (e) {
      // a busy server (503: other tabs are training) is waited out, not the end of play;
      // a full one (no free session) and every other error stop play with the message
      if (e.status === 503 && /busy/.test(e.message)) {
        status(`${e.message.split(";")[0]}: retrying`);
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      fail(e);
      setPlaying(false);
      return;
    }
    await new Promise((r) => requestAnimationFrame(r));
  }
}

const speed = () => parseInt($("speed").value, 10);

function guard(fn) {
  return (...args) => serial(() => fn(...args)).catch(fail);
}

// ---------------------------------------------------------------------- status line

// A strip of its own under the header (it covers nothing). A message stays until the next
// one, greyed after a few seconds; an error stays red for longer. Its full text is also the
// tooltip, as a long one is cut to one line.
let statusTimer = null;
function status(msg, isError = false) {
  if (S.notice && msg !== S.notice) { msg = `${S.notice}; ${msg}`; S.notice = null; }
  const el = $("status");
  el.textContent = msg;
  el.title = msg;
  el.className = isError ? "error" : "";
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => { el.className = "old"; }, isError ? 8000 : 4000);
}
function fail(e) { status(e.message || String(e), true); }

// ---------------------------------------------------------------------- applying a snapshot

function applyFull(snap) {
  S.history = snap.history.slice();
  S.accHistory = snap.accuracy_history.slice();
  applySnap(snap);
  fillForm(snap.config);
  // the graph controls follow the session (after a reload they start from the page's defaults)
  if (snap.graph) {
    $("expand").checked = !!snap.graph.expanded;
    $("pick-x").value = +snap.graph.point.x.toFixed(4);
    $("pick-y").value = +snap.graph.point.y.toFixed(4);
    $("pick-label").value = String(snap.graph.point.label);
  }
  S.graphView.clear();
  renderGraph();
  if (typeof MG_CONTROLS !== "undefined") MG_CONTROLS.renderModel(); // hook (controls.js): the +/- buttons follow the run
}

function applySnap(snap) {
  S.snap = snap;
  renderStats();
  renderLastStep();
  renderBoundary();
  renderCharts();
  renderGraph();
  renderOptimizer();
  updateConfigNote();
}

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
  $("val-acc").textContent = snap.accuracy[1].toFixed(0) + "%";
  $("test-acc").textContent = snap.accuracy[2].toFixed(0) + "%";
  const nsplit = (k) => snap.points[k].length;
  $("boundary-info").textContent = `${snap.config.dataset} · ${nsplit("train")}/${nsplit("val")}/${nsplit("test")} points`;
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

function renderBoundary() {
  const snap = S.snap;
  const {ctx, w, h} = fitCanvas($("boundary"));
  // 1) the heatmap: class colours mixed by probability, lightened, smoothed when scaled up
  const G = snap.grid.size, C = snap.grid.classes, probs = snap.grid.probs;
  heat.width = G; heat.height = G;
  const hctx = heat.getContext("2d");
  const img = hctx.createImageData(G, G);
  for (let i = 0; i < G * G; i++) {
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
      ctx.fillStyle = rgb(CLASS_COLORS[label % CLASS_COLORS.length]);
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
    ctx.strokeStyle = rgb(CLASS_COLORS[label % CLASS_COLORS.length]);
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
  const accVal = S.accHistory.map((a) => [a[0], a[1]]), accTest = S.accHistory.map((a) => [a[0], a[2]]);
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
  $("ls-rate").textContent = S.playing && now > t0 && rate >= 0 ? `${rate.toFixed(1)} steps/s` : "–";
}

// ---------------------------------------------------------------------- compute graph

function renderGraph() {
  const g = S.snap && S.snap.graph;
  S.graphView.show(g, {params: $("show-params").checked});
  if (g) {
    const {x, y, label} = g.point;
    const loss = g.nodes[g.nodes.length - 1].data;
    setInfo(`point (${x.toFixed(2)}, ${y.toFixed(2)}), label ${label} · loss ${fmtNum(loss)} · ${g.nodes.length} nodes` +
      (g.expanded ? " (fused nodes expanded)" : "") + (g.note ? ` · ${g.note}` : ""));
  } else if (S.snap && S.snap.graph_error) {
    setInfo(S.snap.graph_error);
  }
}

// the title line is cut to one line (it never pushes the graph down): the full text is its tooltip
function setInfo(text) {
  $("graph-info").textContent = text;
  $("graph-info").parentElement.title = text;
}

// ---------------------------------------------------------------------- optimizer table

// the optimizers' state names (PyTorch's), shortened for the column heads
const MOMENT_NAMES = {exp_avg: "m", exp_avg_sq: "v", momentum_buffer: "buf"};
const MOMENT_TITLES = {
  m: "first moment (running mean of the gradient)", v: "second moment (running mean of grad²)",
  exp_avg: "exp_avg: first moment (running mean of the gradient)",
  exp_avg_sq: "exp_avg_sq: second moment (running mean of grad²)",
  momentum_buffer: "momentum_buffer: SGD's velocity",
  grad: "the gradient the last step used", update: "how much the last step changed the value",
};
let optKey = null;
function renderOptimizer() {
  const o = S.snap.optimizer;
  $("opt-info").textContent = `${o.optimizer} · t = ${o.t} · ${o.rows.length} parameters`;
  const table = $("opt-table");
  const key = o.columns.join(",") + "|" + o.rows.map((r) => r[0]).join(",");
  if (key !== optKey) {
    optKey = key;
    const head = document.createElement("tr");
    for (const c of o.columns) {
      const th = document.createElement("th");
      th.textContent = MOMENT_NAMES[c] || c;
      th.title = MOMENT_TITLES[c] || c;
      head.appendChild(th);
    }
    table.tHead.replaceChildren(head);
    const body = table.tBodies[0];
    body.replaceChildren();
    for (const r of o.rows) {
      const tr = document.createElement("tr");
      const name = document.createElement("td");
      name.textContent = shortParamName(r[0]);
      name.title = r[0];
      tr.appendChild(name);
      for (let j = 1; j < r.length; j++) tr.appendChild(document.createElement("td"));
      body.appendChild(tr);
    }
  }
  const maxAbs = o.columns.map((_, j) => Math.max(1e-300, ...o.rows.map((r) => (j && r[j] != null ? Math.abs(r[j]) : 0))));
  const trs = table.tBodies[0].rows;
  o.rows.forEach((r, i) => {
    const cells = trs[i].cells;
    for (let j = 1; j < r.length; j++) {
      const v = r[j], td = cells[j];
      td.textContent = v === null ? "–" : fmtNum(v);
      const a = v ? 0.1 + 0.6 * Math.sqrt(Math.abs(v) / maxAbs[j]) : 0;
      td.style.backgroundColor = v > 0 ? `rgba(47,109,181,${a})` : v < 0 ? `rgba(214,69,65,${a})` : "";
    }
  });
}

// ---------------------------------------------------------------------- the form

function fillSelect(sel, values) {
  sel.replaceChildren(...values.map((v) => { const o = document.createElement("option"); o.value = o.textContent = String(v); return o; }));
}

// The form's entries come from the server (/api/options "fields": TrainConfig's demo settings),
// so a new setting needs no change here. kind: choice | int | float | bool | list | text.
function setupForm(opts) {
  const f = $("config").elements;
  fillSelect(f.preset, opts.presets);
  for (const d of opts.fields) $("config-note").before(formEntry(d));
  f.preset.value = opts.preset;
  fillForm(opts.preset_defaults[opts.preset]);
}

function formEntry(d) {
  const label = document.createElement("label");
  let input;
  if (d.kind === "choice") {
    input = document.createElement("select");
    fillSelect(input, d.choices);
  } else {
    input = document.createElement("input");
    input.type = d.kind === "bool" ? "checkbox" : d.kind === "int" || d.kind === "float" ? "number" : "text";
    if (input.type === "number") {
      input.step = d.kind === "int" ? "1" : "any";
      if (d.min != null) input.min = String(d.min);
      if (d.max != null && Number.isSafeInteger(d.max)) input.max = String(d.max);
    }
    if (d.kind === "list") input.placeholder = "e.g. 8 8";
  }
  input.name = d.name;
  label.append(d.label + " ", input);
  return label;
}

function fillForm(cfg) {
  const f = $("config").elements;
  for (const d of S.options.fields) {
    const v = cfg[d.name];
    if (d.kind === "bool") f[d.name].checked = !!v;
    else f[d.name].value = d.kind === "list" ? v.join(" ") : String(v);
  }
  const C = S.snap ? S.snap.classes : 3;
  const classes = Array.from({length: C}, (_, i) => i);
  for (const id of ["add-class", "pick-label"]) {
    const sel = $(id), old = sel.value;
    fillSelect(sel, classes);
    if (old !== "" && +old < C) sel.value = old;
  }
  $("class-legend").replaceChildren(...classes.map((k) => {
    const s = document.createElement("span");
    s.className = "class-chip";
    s.style.background = rgb(CLASS_COLORS[k % CLASS_COLORS.length]);
    s.textContent = String(k);
    return s;
  }));
  updateConfigNote();
}

// The form as a config; fields that do not parse are sent as typed, so the server's
// message names them.
function readForm() {
  const f = $("config").elements;
  const num = (s, parse) => { const v = parse(s); return s.trim() !== "" && isFinite(v) && String(v) !== "NaN" ? v : s; };
  const int = (t) => (/^\s*\d+\s*$/.test(t) ? parseInt(t, 10) : NaN);
  const out = {preset: f.preset.value};
  for (const d of S.options.fields) {
    const el = f[d.name];
    if (d.kind === "list") out[d.name] = el.value.trim().split(/[\s,]+/).filter(Boolean).map((s) => num(s, int));
    else if (d.kind === "int") out[d.name] = num(el.value, int);
    else if (d.kind === "float") out[d.name] = num(el.value, parseFloat);
    else if (d.kind === "bool") out[d.name] = el.checked;
    else out[d.name] = el.value;
  }
  return out;
}

function updateConfigNote() {
  if (!S.snap) return;
  const form = readForm(), cur = S.snap.config;
  const changed = S.options.fields.map((d) => d.name)
    .filter((k) => JSON.stringify(form[k]) !== JSON.stringify(cur[k]));
  $("config-note").textContent = changed.length ? `changed: ${changed.join(", ")} — press Reset (or Enter) to apply` : "";
  $("reset").classList.toggle("pending", changed.length > 0);
}

// ---------------------------------------------------------------------- view settings

// The view's checkboxes and the speed, per tab like the session: a reload keeps them too.
const PREFS = {speed: "value", "show-lines": "checked", "loss-log": "checked", "show-params": "checked"};
function savePrefs() {
  const p = {};
  for (const id in PREFS) p[id] = $(id)[PREFS[id]];
  sessionStorage.setItem(PREFS_KEY, JSON.stringify(p));
}
function loadPrefs() {
  let p = null;
  try { p = JSON.parse(sessionStorage.getItem(PREFS_KEY)); } catch (_) { /* none or broken: defaults */ }
  if (!p) return;
  for (const id in PREFS) if (id in p) $(id)[PREFS[id]] = p[id];
  $("speed-out").textContent = $("speed").value;
}

// Re-attach to this tab's run after a reload: null if the server no longer has it (expired,
// or the server restarted). A busy session (503: a step still running) is asked again.
async function reattach(id) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await api("GET", `/api/sessions/${id}`);
    } catch (e) {
      if (e.status === 404) return null;
      if (e.status !== 503 || attempt >= 5) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

// ---------------------------------------------------------------------- wiring

function onBoundaryClick(e) {
  if (!S.snap) return;
  const c = $("boundary"), r = c.getBoundingClientRect();
  const px = e.clientX - r.left, py = e.clientY - r.top;
  const [x, y] = toData(px, py, r.width, r.height);
  if (e.shiftKey) return guard(editPoints)({op: "remove", x, y});
  const mode = document.querySelector("input[name=click-mode]:checked").value;
  if (mode === "add") return guard(editPoints)({op: "add", x, y, label: +$("add-class").value});
  // pick: snap to a point drawn within 8 px (and take its label), else the chosen label
  let best = null;
  for (const split of ["train", "val", "test"]) {
    for (const p of S.snap.points[split]) {
      const [qx, qy] = toPx(p[0], p[1], r.width, r.height);
      const d = Math.hypot(qx - px, qy - py);
      if (d <= 8 && (!best || d < best.d)) best = {d, p};
    }
  }
  if (best) return guard(pick)(best.p[0], best.p[1], best.p[2]);
  return guard(pick)(x, y, +$("pick-label").value);
}

function onKey(e) {
  if (e.target.closest("input, select, textarea") || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === " ") { e.preventDefault(); setPlaying(!S.playing); }
  else if (e.key === "s") guard(doStep)(1);
  else if (e.key === "r") guard(reset)();
}

async function main() {
  S.graphView = new GraphView($("graph"));
  S.graphView.onzoom = (k) => { $("graph-zoom").textContent = `${Math.round(100 * k)}%`; };
  loadPrefs();
  S.options = await api("GET", "/api/options");
  setupForm(S.options);
  // hook (issue 12 part B): the share, data/model and side-by-side controls
  for (const m of [typeof MG_SHARE, typeof MG_CONTROLS, typeof MG_COMPARE].includes("undefined") ? [] : [MG_SHARE, MG_CONTROLS, MG_COMPARE]) m.setup();
  $("play").addEventListener("click", () => setPlaying(!S.playing));
  $("step").addEventListener("click", () => {
    setPlaying(false);
    guard(async () => {
      const snap = await doStep(1);
      const r = snap.records[0];
      status(`step ${r.step}: ` + (r.val_loss != null ? `val loss ${r.val_loss.toFixed(6)}, ` : "") +
             `train loss ${r.train_loss.toFixed(6)} (${(1000 * r.seconds).toFixed(1)} ms)`);
    })();
  });
  $("reset").addEventListener("click", () => { setPlaying(false); guard(reset)(); });
  // one Reset button (the header's); Enter in a field of the form applies it too
  $("config").addEventListener("submit", (e) => e.preventDefault());
  $("config").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && e.target.matches("input")) { e.preventDefault(); setPlaying(false); guard(reset)(); }
  });
  $("config").addEventListener("input", updateConfigNote);
  $("config").elements.preset.addEventListener("change", (e) => fillForm(S.options.preset_defaults[e.target.value]));
  $("speed").addEventListener("input", () => { $("speed-out").textContent = $("speed").value; });
  for (const id in PREFS) $(id).addEventListener("change", savePrefs);
  $("show-lines").addEventListener("change", () => S.snap && renderBoundary());
  $("loss-log").addEventListener("change", () => S.snap && renderCharts());
  $("show-params").addEventListener("change", () => { if (S.snap) { S.graphView.clear(); renderGraph(); } });
  $("boundary").addEventListener("click", onBoundaryClick);
  $("pick-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const x = parseFloat($("pick-x").value), y = parseFloat($("pick-y").value);
    if (!isFinite(x) || !isFinite(y)) return fail(new Error("type numbers for x and y"));
    guard(pick)(x, y, +$("pick-label").value);
  });
  $("expand").addEventListener("change", () => {
    const g = S.snap && S.snap.graph;
    if (g) guard(pick)(g.point.x, g.point.y, g.point.label);
  });
  $("graph-fit").addEventListener("click", () => S.graphView.fit());
  $("graph-all").addEventListener("click", () => S.graphView.showAll());
  $("graph-in").addEventListener("click", () => S.graphView.zoom(1.25));
  $("graph-out").addEventListener("click", () => S.graphView.zoom(0.8));
  document.addEventListener("keydown", onKey);
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => { if (S.snap) { renderBoundary(); renderCharts(); } }, 100);
  });
  await serial(async () => {
    if (typeof MG_SHARE !== "undefined" && await MG_SHARE.openFromHash()) return; // hook (share.js): a #run= link
    const saved = sessionStorage.getItem(SESSION_KEY);
    if (saved) {
      const snap = await reattach(saved);
      if (snap) {
        S.id = saved;
        applyFull(snap);
        status(`back to this tab's run at step ${snap.step}`);
        return;
      }
      S.notice = "this tab's earlier run is gone from the server (idle too long, or the server restarted): started a fresh one";
    }
    await createSession(readForm());
    if (S.notice) status(S.notice);
  });
  document.body.dataset.ready = "1";
}

main().catch(fail);
