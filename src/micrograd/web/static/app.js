// micrograd demo — app.js: the actions (step, play, pick, points, reset), applying a
// snapshot to every view, the view settings, and the wiring of the page's controls (main).
"use strict";

// ---------------------------------------------------------------------- actions

// The server's rule (session.thin): past 10000 records, every other one of the older half.
function thin(records) {
  if (records.length <= 10000) return records;
  const half = Math.floor(records.length / 2);
  return records.slice(0, half).filter((_, i) => i % 2 === 0).concat(records.slice(half));
}

// A playing page asks for "light" steps (only what changes every step: the numbers, the
// network's weights and gradients) and a full snapshot (boundary grid, neuron maps, graph,
// optimizer table) at most every FULL_EVERY_MS: the server's work and the drawing per frame stay small.
const FULL_EVERY_MS = 400;
let lastFull = 0;

async function doStep(k, light = false) {
  const snap = await sessionCall("step", light ? {steps: k, light: true} : {steps: k});
  takeStep(snap, light, S.run); // serial: nothing came in between (a replaced session's answer is for the new one)
  return snap;
}

// A step's answer into the page. Two answers in flight may have been served in either order (the
// server's session lock decides): records and accuracies are kept in step order, and an answer
// older than the one shown updates only the history.
function takeStep(snap, light, run) {
  if (run !== S.run || snap.session !== S.id) return; // a reset (or a new session) came in between
  const byStep = (a, b) => a.step - b.step;
  const newer = !S.snap || snap.step >= S.snap.step;
  S.history = S.history.concat(snap.records);
  if (!newer) S.history.sort(byStep);
  S.history = thin(S.history);
  S.accHistory = S.accHistory.concat([snap.accuracy]);
  if (!newer) S.accHistory.sort((a, b) => a[0] - b[0]);
  S.accHistory = thin(S.accHistory);
  if (!newer) return;
  if (light) applyLight(snap); else { lastFull = performance.now(); applySnap(snap); }
}

// Send a step now, beside the queue (the play loop keeps a few in flight); anything queued after
// it (a click) still waits for it.
function sendStep(k, light) {
  const p = sessionCall("step", light ? {steps: k, light: true} : {steps: k});
  const settled = p.catch(() => {});
  queue = Promise.all([queue, settled]);
  return p;
}

// the whole view again (after play stops on a light frame): the history too, the form untouched
async function refresh() {
  const snap = await api("GET", `/api/sessions/${S.id}`);
  S.history = snap.history.slice();
  S.accHistory = snap.accuracy_history.slice();
  applySnap(snap);
}

// The label menu shows the traced point's label; a regression target that is not on the menu joins it.
function setPickLabel(label) {
  const sel = $("pick-label"), v = String(label);
  if (![...sel.options].some((o) => o.value === v)) sel.append(Object.assign(document.createElement("option"), {value: v, textContent: v}));
  sel.value = v;
}

async function pick(x, y, label) {
  const snap = await sessionCall("pick", {x, y, label, expand: $("expand").checked});
  applySnap(snap);
  $("pick-x").value = +x.toFixed(4);
  $("pick-y").value = +y.toFixed(4);
  setPickLabel(label);
}

async function editPoints(body) {
  const snap = await sessionCall("points", body);
  S.accHistory.push(snap.accuracy);
  applySnap(snap);
  if (snap.removed) status(t("removed a {split} point of class {label}", {split: t(snap.removed.split), label: snap.removed.label}));
}

async function reset() {
  const config = readForm();
  const snap = await sessionCall("reset", config);
  applyFull(snap);
  if (!snap.graph) await pickFirstPoint();
  status(t("reset: a fresh run with these hyperparameters"));
}

function setPlaying(on) {
  S.playing = on;
  rateSamples.length = 0;
  $("play").textContent = on ? t("❚❚ Pause") : t("▶ Play");
  $("play").classList.toggle("playing", on);
  if (on) loop(++S.loopToken);
}

// One step request per animation frame, and up to IN_FLIGHT of them under way: the next is sent
// at the next frame even if the last answer has not landed (a round trip through the browser's
// network process and the server's threads can take longer than a frame on a busy machine).
// Answers are taken in the order sent. So the page steps at the screen's rate while a round
// trip is shorter than IN_FLIGHT frames.
const IN_FLIGHT = 3;
async function loop(token) {
  let light = false;
  const pending = []; // [promise, light, run] in the order sent
  while (S.playing && token === S.loopToken) {
    const frame = new Promise((r) => requestAnimationFrame(r));
    light = performance.now() - lastFull < FULL_EVERY_MS;
    if (!light) lastFull = performance.now(); // one full answer per period, even with two in flight
    if (queued) await queue; // a click's request (queued while playing) goes first
    if (!S.playing || token !== S.loopToken) break;
    pending.push([sendStep(speed(), light), light, S.run]);
    try {
      while (pending.length >= IN_FLIGHT || (pending.length && !S.playing)) {
        const [p, l, run] = pending.shift();
        takeStep(await p, l, run);
      }
    } catch (e) {
      pending.length = 0;
      // a busy server (503: other tabs are training) is waited out, not the end of play;
      // a full one (no free session) and every other error stop play with the message
      if (e.status === 503 && /busy/.test(e.message)) {
        status(t("{msg}: retrying", {msg: e.message.split(";")[0]}));
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      fail(e);
      setPlaying(false);
      return;
    }
    await frame;
  }
  for (const [p, l, run] of pending.splice(0)) {
    try { takeStep(await p, l, run); } catch (e) { fail(e); }
  }
  if (light && S.id) await serial(refresh).catch(fail); // the last frame was light: show everything
}

const speed = () => parseInt($("speed").value, 10);

function guard(fn) {
  return (...args) => serial(() => fn(...args)).catch(fail);
}

// ---------------------------------------------------------------------- applying a snapshot

function applyFull(snap) {
  S.run++;
  S.history = snap.history.slice();
  S.accHistory = snap.accuracy_history.slice();
  applySnap(snap);
  fillForm(snap.config);
  // the graph controls follow the session (after a reload they start from the page's defaults)
  if (snap.graph) {
    $("expand").checked = !!snap.graph.expanded;
    $("pick-x").value = +snap.graph.point.x.toFixed(4);
    $("pick-y").value = +snap.graph.point.y.toFixed(4);
    setPickLabel(snap.graph.point.label);
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
  for (const id in PANELS) if (!S.playing || PANELS[id].visible) PANELS[id].draw();
  updateConfigNote();
}

// While playing, a panel out of view (the graph and the optimizer table are below a laptop's
// window) is not redrawn: the frame's time goes to what is seen. One scrolled into view is drawn
// at once; a paused page draws everything.
const PANELS = {
  "network-panel": {draw: () => renderNetwork(), visible: true},
  "graph-panel": {draw: () => renderGraph(), visible: true},
  "opt-panel": {draw: () => renderOptimizer(), visible: true},
};
function watchPanels() {
  const io = new IntersectionObserver((entries) => {
    for (const e of entries) {
      const p = PANELS[e.target.id], was = p.visible;
      p.visible = e.isIntersecting;
      if (p.visible && !was && S.snap) p.draw();
    }
  });
  for (const id in PANELS) io.observe($(id));
}

// A light step's answer (session.snapshot(light=True)) over the last full one: the numbers now,
// the rest drawn once per animation frame (several answers in one frame draw once).
let drawPending = false;
function applyLight(snap) {
  const net = S.snap.network;
  S.snap = {...S.snap, ...snap, network: {...net, ...snap.network, maps: net && net.maps}};
  renderStats();
  renderLastStep();
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    renderCharts();
    if (PANELS["network-panel"].visible) renderNetwork();
  });
}

// ---------------------------------------------------------------------- view settings

// The view's checkboxes and the speed, per tab like the session: a reload keeps them too.
const PREFS = {speed: "value", "show-lines": "checked", "loss-log": "checked", "show-params": "checked", "show-grads": "checked"};
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

// ---------------------------------------------------------------------- language (i18n.js)

// One button: the other language's name. Switching redraws what the scripts wrote.
function setupLanguage() {
  const btn = $("lang");
  const relabel = () => {
    btn.textContent = MG_I18N.lang() === "zh" ? "English" : "中文";
    $("status").dataset.empty = t("ready");
    $("play").textContent = S.playing ? t("❚❚ Pause") : t("▶ Play");
    relabelForm();
    // the buttons share.js, controls.js and compare.js made carry their text's key (and a title's)
    for (const el of document.querySelectorAll("[data-i18n]:not([data-i18n=off])")) {
      const key = el.dataset.i18n, tkey = el.dataset.titleKey || `${key}.title`;
      el.textContent = t(key);
      if (MG_I18N.has(tkey)) el.title = t(tkey);
    }
  };
  btn.addEventListener("click", () => MG_I18N.setLang(MG_I18N.lang() === "zh" ? "en" : "zh"));
  MG_I18N.onChange(() => {
    relabel();
    if (S.snap) { optKey = null; NET.mapsDrawn = null; applySnap(S.snap); S.graphView.clear(); renderGraph(); }
  });
  MG_I18N.setLang(MG_I18N.lang()); // the static page in the remembered (or the browser's) language
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
  setupNetwork();
  setupLanguage();
  watchPanels();
  // hook (issue 12 part B): the share, data/model and side-by-side controls
  for (const m of [typeof MG_SHARE, typeof MG_CONTROLS, typeof MG_COMPARE].includes("undefined") ? [] : [MG_SHARE, MG_CONTROLS, MG_COMPARE]) m.setup();
  $("play").addEventListener("click", () => setPlaying(!S.playing));
  $("step").addEventListener("click", () => {
    setPlaying(false);
    guard(async () => {
      const snap = await doStep(1);
      const r = snap.records[0];
      status(t("step {step}: ", {step: r.step}) + (r.val_loss != null ? t("val loss {v}, ", {v: r.val_loss.toFixed(6)}) : "") +
             t("train loss {v} ({ms} ms)", {v: r.train_loss.toFixed(6), ms: (1000 * r.seconds).toFixed(1)}));
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
    if (!isFinite(x) || !isFinite(y)) return fail(new Error(t("type numbers for x and y")));
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
    resizeTimer = setTimeout(() => { if (S.snap) { NET.key = null; renderBoundary(); renderCharts(); renderNetwork(); } }, 100);
  });
  await serial(async () => {
    if (typeof MG_SHARE !== "undefined" && await MG_SHARE.openFromHash()) return; // hook (share.js): a #run= link
    const saved = sessionStorage.getItem(SESSION_KEY);
    if (saved) {
      const snap = await reattach(saved);
      if (snap) {
        S.id = saved;
        applyFull(snap);
        status(t("back to this tab's run at step {step}", {step: snap.step}));
        return;
      }
      S.notice = t("this tab's earlier run is gone from the server (idle too long, or the server restarted): started a fresh one");
    }
    await createSession(readForm());
    if (S.notice) status(S.notice);
  });
  document.body.dataset.ready = "1";
}

main().catch(fail);
