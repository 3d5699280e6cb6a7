// micrograd demo — core.js: the page's state, its calls to the server and the status line.
//
// The server (micrograd.web.server) owns the training session; the page never computes a
// gradient. Each tab gets its own session (its id lives in sessionStorage, which is per tab,
// so a reload re-attaches to the same run; if the server forgot it, the page says so and
// starts afresh). All requests go one after another through `serial()`, so play, clicks and
// the form never race each other. The page's scripts are classic scripts sharing one global
// scope, loaded in order by index.html: i18n, graph, core, plots, panels, form, network, app.
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
  run: 0, // counts fresh runs (reset, new session): a step answer from an earlier run is dropped
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
let queued = 0; // serial() tasks not done yet (the play loop lets them go first)
function serial(fn) {
  queued++;
  const p = queue.then(fn);
  const done = () => { queued--; };
  p.then(done, done);
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
    S.notice = t("the old session had expired: started a new one"); // stays on the next status line too
    status(S.notice);
    return await api("POST", `/api/sessions/${S.id}/${action}`, body);
  }
}

async function pickFirstPoint() {
  const p = S.snap.points.train[0];
  if (p) await pick(p[0], p[1], p[2]);
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
