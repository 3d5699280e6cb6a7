// micrograd demo — side by side: 2-4 configurations from the same data and the same initial weights
// (server: micrograd.web.compare), their boundaries and loss curves next to each other, stepping together.
//
// The runs share the form's settings and differ only in training settings (optimizer, learning
// rate): the server draws the data and the weights once per seed and checks every run starts from
// them, bit for bit. One step request steps every run, so they always stand at the same step.
// Uses app.js's globals: S, $, api, guard, status, readForm, setPlaying, CLASS_COLORS, SERIES, rgb.
"use strict";

MG_I18N.add({
  en: {
    "cmp.open": "⇆ Compare", "cmp.open.title": "run 2-4 optimizers or learning rates from the same data and weights",
    "cmp.title": "Side by side", "cmp.note": "same data, same initial weights; only the training settings differ",
    "cmp.start": "Start", "cmp.add": "+ run", "cmp.remove": "− run", "cmp.play": "▶ Play", "cmp.pause": "❚❚ Pause",
    "cmp.step": "Step", "cmp.close": "Close", "cmp.run": "run {i}", "cmp.loss": "train loss",
    "cmp.started": "{n} runs from identical weights: step them together",
    "cmp.at": "step {step}",
  },
  zh: {
    "cmp.open": "⇆ 比较", "cmp.open.title": "用相同的数据和初始权重运行 2-4 个优化器或学习率",
    "cmp.title": "并排比较", "cmp.note": "相同的数据、相同的初始权重；只有训练设置不同",
    "cmp.start": "开始", "cmp.add": "+ 运行", "cmp.remove": "− 运行", "cmp.play": "▶ 播放", "cmp.pause": "❚❚ 暂停",
    "cmp.step": "单步", "cmp.close": "关闭", "cmp.run": "运行 {i}", "cmp.loss": "训练损失",
    "cmp.started": "{n} 个运行从相同的权重开始：一起训练",
    "cmp.at": "第 {step} 步",
  },
});

const MG_COMPARE = (() => {
  const T = (k, v) => MG_I18N.t(k, v);
  const COLORS = ["#2f6db5", "#c2410c", "#3a9d5d", "#7c3aed"];
  const el = (tag, props = {}, ...kids) => { const e = Object.assign(document.createElement(tag), props); e.append(...kids); return e; };
  const swatch = (i) => { const s = el("span", {className: "swatch"}); s.style.background = COLORS[i]; return s; };
  const C = {id: null, runs: [], histories: [], playing: false, token: 0};

  function runRow(i, run) {
    const opt = el("select", {className: "cmp-opt"});
    for (const o of S.options.optimizers) opt.append(el("option", {value: o, textContent: o}));
    opt.value = run.optimizer;
    const lr = el("input", {type: "number", step: "any", className: "cmp-lr", value: String(run.lr)});
    return el("div", {className: "cmp-setup-row"}, swatch(i),
      el("span", {textContent: T("cmp.run", {i: i + 1})}), opt, lr);
  }

  function readRuns() {
    return [...document.querySelectorAll("#compare-panel .cmp-setup-row")].map((row) => {
      const v = row.querySelector(".cmp-lr").value, n = Number(v);
      return {optimizer: row.querySelector(".cmp-opt").value, lr: v.trim() !== "" && isFinite(n) ? n : v};
    });
  }

  function renderSetup(runs) {
    const L = S.options.limits.compare_runs;
    const box = $("cmp-setup");
    box.replaceChildren(...runs.map((r, i) => runRow(i, r)));
    $("cmp-add").disabled = runs.length >= L[1];
    $("cmp-remove").disabled = runs.length <= L[0];
  }

  function open() {
    setPlaying(false);
    const panel = $("compare-panel");
    panel.hidden = false;
    const f = readForm();
    const opts = S.options.optimizers;
    renderSetup([{optimizer: "sgd", lr: f.lr}, {optimizer: opts.includes("adam") ? "adam" : opts[0], lr: f.lr}]);
    panel.scrollIntoView({block: "start"});
  }

  async function close() {
    setCmpPlaying(false);
    $("compare-panel").hidden = true;
    if (C.id) await api("DELETE", `/api/compare/${C.id}`).catch(() => {}); // the server frees its sessions
    C.id = null;
    $("cmp-runs").replaceChildren();
  }

  async function start() {
    setCmpPlaying(false);
    if (C.id) await api("DELETE", `/api/compare/${C.id}`).catch(() => {});
    C.id = null;
    const base = readForm();
    const out = await api("POST", "/api/compare", {base, runs: readRuns()});
    C.id = out.id;
    C.histories = out.runs.map((r) => r.history.slice());
    apply(out);
    status(T("cmp.started", {n: out.runs.length}));
  }

  async function step(k) {
    const out = await api("POST", `/api/compare/${C.id}/step`, {steps: k});
    out.runs.forEach((r, i) => { C.histories[i] = C.histories[i].concat(r.records); });
    apply(out);
  }

  function setCmpPlaying(on) {
    C.playing = on && !!C.id;
    const b = $("cmp-play");
    if (b) b.textContent = T(C.playing ? "cmp.pause" : "cmp.play");
    if (C.playing) loop(++C.token);
  }

  async function loop(token) {
    while (C.playing && token === C.token) {
      try { await step(1); } catch (e) { status(e.message, true); setCmpPlaying(false); return; }
      await new Promise((r) => requestAnimationFrame(r));
    }
  }

  // ------------------------------------------------------------------ drawing
  function apply(out) {
    C.runs = out.runs;
    const box = $("cmp-runs");
    if (box.children.length !== out.runs.length) {
      box.replaceChildren(...out.runs.map((r, i) => el("div", {className: "cmp-card"},
        el("h3", {}, swatch(i), el("span", {className: "cmp-name"})),
        el("canvas", {className: "cmp-boundary"}),
        el("div", {className: "cmp-stats"}))));
      box.append(el("div", {className: "cmp-card cmp-chart-card"}, el("h3", {textContent: T("cmp.loss")}),
        el("canvas", {id: "cmp-loss"})));
    }
    out.runs.forEach((r, i) => {
      const card = box.children[i];
      card.querySelector(".cmp-name").textContent = `${r.config.optimizer} · lr ${r.config.lr}`;
      drawBoundary(card.querySelector("canvas"), r);
      const last = C.histories[i][C.histories[i].length - 1];
      card.querySelector(".cmp-stats").textContent =
        `${T("cmp.at", {step: r.step})} · loss ${last ? last.train_loss.toFixed(4) : "–"} ${r.accuracy[1] == null ? "" : ` · val ${r.accuracy[1].toFixed(0)}%`}`; // a regression run: no accuracy
      card.dataset.step = String(r.step);
      card.dataset.loss = last ? String(last.train_loss) : "";
    });
    $("compare-panel").dataset.step = String(out.step);
    drawLoss($("cmp-loss"));
  }

  function size(c) {
    const r = c.getBoundingClientRect(), d = window.devicePixelRatio || 1;
    c.width = Math.max(1, Math.round(r.width * d));
    c.height = Math.max(1, Math.round(r.height * d));
    const ctx = c.getContext("2d");
    ctx.setTransform(d, 0, 0, d, 0, 0);
    return {ctx, w: r.width, h: r.height};
  }

  function drawBoundary(c, snap) {
    const {ctx, w, h} = size(c);
    const G = snap.grid.size, K = snap.grid.classes, P = snap.grid.probs;
    const heat = document.createElement("canvas");
    heat.width = heat.height = G;
    const hctx = heat.getContext("2d"), img = hctx.createImageData(G, G);
    for (let i = 0; i < G * G; i++) {
      if (snap.grid.regression) { img.data.set([...valueColor(snap.grid.values[i] / 100), 255], 4 * i); continue; }
      let r = 0, g = 0, b = 0;
      for (let k = 0; k < K; k++) {
        const p = P[i * K + k] / 100, col = CLASS_COLORS[k % CLASS_COLORS.length];
        r += p * col[0]; g += p * col[1]; b += p * col[2];
      }
      img.data.set([255 - (255 - r) * 0.55, 255 - (255 - g) * 0.55, 255 - (255 - b) * 0.55, 255], 4 * i);
    }
    hctx.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(heat, 0, 0, w, h);
    const [x0, x1, y0, y1] = snap.domain;
    ctx.strokeStyle = "rgba(0,0,0,0.7)";
    for (const [x, y, label] of snap.points.train) {
      ctx.beginPath();
      ctx.arc(((x - x0) / (x1 - x0)) * w, ((y1 - y) / (y1 - y0)) * h, 3.5, 0, 2 * Math.PI);
      ctx.fillStyle = rgb(snap.grid.regression ? valueColor(label / snap.grid.scale) : CLASS_COLORS[label % CLASS_COLORS.length]);
      ctx.fill(); ctx.stroke();
    }
  }

  function drawLoss(c) {
    const {ctx, w, h} = size(c);
    const all = C.histories.flat().map((r) => r.train_loss).filter((v) => v != null && isFinite(v));
    if (!all.length) return;
    const xmax = Math.max(1, ...C.histories.map((hs) => hs.length)), ymax = Math.max(...all), pad = 28;
    ctx.strokeStyle = "#ccd"; ctx.strokeRect(pad, 4, w - pad - 4, h - pad);
    ctx.fillStyle = "#667"; ctx.font = "11px system-ui, sans-serif";
    ctx.fillText(ymax.toFixed(2), 2, 14); ctx.fillText("0", 2, h - pad + 4); ctx.fillText(String(xmax), w - 24, h - 10);
    C.histories.forEach((hs, i) => {
      ctx.strokeStyle = COLORS[i]; ctx.lineWidth = 2; ctx.beginPath();
      hs.forEach((r, j) => {
        const x = pad + (j / xmax) * (w - pad - 4), y = 4 + (1 - (r.train_loss || 0) / ymax) * (h - pad - 4);
        if (j) ctx.lineTo(x, y); else ctx.moveTo(x, y);
      });
      ctx.stroke();
    });
  }

  function setup() {
    const panel = $("compare-panel");
    if (!panel) return;
    const btn = (id, key, fn) => { const b = el("button", {type: "button", id, textContent: T(key)}); b.dataset.i18n = key; b.addEventListener("click", fn); return b; };
    panel.append(
      el("h2", {textContent: T("cmp.title")}, el("small", {textContent: " " + T("cmp.note")})),
      el("div", {id: "cmp-setup"}),
      el("div", {className: "tools"},
        btn("cmp-add", "cmp.add", () => { const r = readRuns(); r.push({...r[r.length - 1]}); renderSetup(r); }),
        btn("cmp-remove", "cmp.remove", () => renderSetup(readRuns().slice(0, -1))),
        btn("cmp-start", "cmp.start", () => guard(start)()),
        btn("cmp-play", "cmp.play", () => setCmpPlaying(!C.playing)),
        btn("cmp-step", "cmp.step", () => { setCmpPlaying(false); if (C.id) guard(step)(1); }),
        btn("cmp-close", "cmp.close", () => guard(close)())),
      el("div", {id: "cmp-runs"}));
    const open_ = el("button", {type: "button", id: "compare-open", textContent: T("cmp.open"), title: T("cmp.open.title")});
    open_.addEventListener("click", open);
    const bar = $("run-tools");
    if (bar) bar.append(open_);
  }

  return {setup, open, start, step, close, state: C};
})();
