// micrograd demo — data and model controls (server: micrograd.web.share for CSV drops and live hyperparameters).
//
// Data: regenerate (a new seed), show/hide the test points, "discretize" (the boundary as class
// regions instead of soft probabilities), and a CSV file dropped on the plot (validated on the
// server exactly as `micrograd train --data`). Model: +/- hidden layers and neurons (the server's
// limits are shown and enforced: a refusal is a message and the run stays as it was, never a
// silent reset), and the learning rate changed while running, without a reset.
// Uses app.js's globals: S, $, api, guard, status, reset, readForm, applyFull, applySnap, renderBoundary, setPlaying.
"use strict";

MG_I18N.add({
  en: {
    "ctl.regen": "⟳ New data", "ctl.regen.title": "regenerate the data with a new seed (a fresh run)",
    "ctl.test": "test points", "ctl.discrete": "discretize output",
    "ctl.drop": "drop a CSV file (x,y,label) on the plot", "ctl.csv": "CSV {name}: {n} points, a fresh run",
    "ctl.layers": "layers", "ctl.neurons": "neurons", "ctl.limits": "limits: {l0}–{l1} layers, {n0}–{n1} neurons each",
    "ctl.lr": "learning rate (live)", "ctl.lr.apply": "Set", "ctl.lr.title": "change the learning rate now, keeping the run",
    "ctl.lr.done": "learning rate {lr} from step {step} on (no reset; a shared link replays the change)",
    "ctl.kept": "refused: {msg} (the run is unchanged)",
  },
  zh: {
    "ctl.regen": "⟳ 新数据", "ctl.regen.title": "用新的随机种子重新生成数据（重新开始训练）",
    "ctl.test": "测试点", "ctl.discrete": "离散化输出",
    "ctl.drop": "把 CSV 文件（x,y,label）拖到图上", "ctl.csv": "CSV {name}：{n} 个点，重新开始训练",
    "ctl.layers": "层", "ctl.neurons": "神经元", "ctl.limits": "上限：{l0}–{l1} 层，每层 {n0}–{n1} 个神经元",
    "ctl.lr": "学习率（实时）", "ctl.lr.apply": "设置", "ctl.lr.title": "立即修改学习率，保留当前训练",
    "ctl.lr.done": "从第 {step} 步起学习率为 {lr}（不重置；分享链接会重现这次修改）",
    "ctl.kept": "被拒绝：{msg}（训练保持不变）",
  },
});

const MG_VIEW = {hideTest: false, discrete: false}; // read by app.js's renderBoundary

const MG_CONTROLS = (() => {
  const T = (k, v) => MG_I18N.t(k, v);
  const el = (tag, props = {}, ...kids) => { const e = Object.assign(document.createElement(tag), props); e.append(...kids); return e; };

  function check(id, key, onchange) {
    const box = el("input", {type: "checkbox", id});
    box.addEventListener("change", () => onchange(box.checked));
    const label = el("label", {}, box, " ", el("span", {textContent: T(key)}));
    label.lastChild.dataset.i18n = key;
    return label;
  }

  // ------------------------------------------------------------------ model: +/- layers and neurons
  function hiddenField() { return $("config").elements.hidden; }

  async function changeHidden(fn) {
    setPlaying(false);
    const field = hiddenField(), before = field.value;
    const sizes = before.trim().split(/[\s,]+/).filter(Boolean).map(Number);
    field.value = fn(sizes).join(" ");
    try {
      await reset();
    } catch (e) {
      field.value = before; // the server refused (a limit): the form shows the run that is still there
      throw new Error(T("ctl.kept", {msg: e.message}));
    }
    renderModel();
  }

  function renderModel() {
    const box = $("model-tools");
    if (!box || !S.snap) return;
    const L = S.options.limits, sizes = S.snap.config.hidden;
    const btn = (text, id, title, fn) => {
      const b = el("button", {type: "button", id, textContent: text, title});
      b.addEventListener("click", () => guard(changeHidden)(fn));
      return b;
    };
    const rows = [el("div", {className: "model-row"},
      el("span", {textContent: `${T("ctl.layers")} ${sizes.length}`}),
      btn("−", "layer-minus", "remove the last hidden layer", (h) => h.slice(0, -1)),
      btn("+", "layer-plus", "add a hidden layer", (h) => h.concat([h[h.length - 1] || 4])))];
    sizes.forEach((n, i) => rows.push(el("div", {className: "model-row"},
      el("span", {textContent: `L${i + 1}: ${n} ${T("ctl.neurons")}`}),
      btn("−", `neuron-minus-${i}`, `one neuron less in layer ${i + 1}`, (h) => h.map((v, j) => (j === i ? v - 1 : v))),
      btn("+", `neuron-plus-${i}`, `one neuron more in layer ${i + 1}`, (h) => h.map((v, j) => (j === i ? v + 1 : v))))));
    rows.push(el("p", {className: "hint", id: "model-limits", textContent: T("ctl.limits", {
      l0: L.hidden_length[0], l1: L.hidden_length[1], n0: L.hidden[0], n1: L.hidden[1]})}));
    const lr = el("input", {type: "number", step: "any", id: "live-lr", value: String(S.snap.config.lr)});
    const set = el("button", {type: "button", id: "live-lr-set", textContent: T("ctl.lr.apply"), title: T("ctl.lr.title")});
    set.addEventListener("click", () => guard(setLr)(lr.value));
    rows.push(el("div", {className: "model-row"}, el("span", {textContent: T("ctl.lr")}), lr, set));
    box.replaceChildren(...rows);
  }

  async function setLr(text) {
    const v = Number(text);
    const snap = await api("POST", `/api/sessions/${S.id}/hyper`, {lr: text.trim() !== "" && isFinite(v) ? v : text});
    $("config").elements.lr.value = String(snap.config.lr);
    applySnap(snap);
    status(T("ctl.lr.done", {lr: snap.config.lr, step: snap.step}));
  }

  // ------------------------------------------------------------------ data
  async function regenerate() {
    setPlaying(false);
    const seed = $("config").elements.seed;
    seed.value = String(1 + Math.floor(Math.random() * 1e9));
    await reset();
  }

  async function dropCsv(file) {
    setPlaying(false);
    const limit = S.options.limits.csv_bytes;
    if (file.size > limit) throw new Error(`CSV file ${file.name} is ${file.size} bytes, over the demo's limit of ${limit}`);
    const config = readForm();
    const snap = await api("POST", `/api/sessions/${S.id}/data`, {name: file.name, csv: await file.text(), config});
    applyFull(snap);
    const n = ["train", "val", "test"].reduce((a, k) => a + snap.points[k].length, 0);
    status(T("ctl.csv", {name: file.name, n}));
  }

  function setup() {
    const data = $("data-tools");
    if (data) {
      const regen = el("button", {type: "button", id: "regen", textContent: T("ctl.regen"), title: T("ctl.regen.title")});
      regen.addEventListener("click", () => guard(regenerate)());
      const test = check("show-test", "ctl.test", (on) => { MG_VIEW.hideTest = !on; if (S.snap) renderBoundary(); });
      test.querySelector("input").checked = true;
      const disc = check("discretize", "ctl.discrete", (on) => { MG_VIEW.discrete = on; if (S.snap) renderBoundary(); });
      data.append(regen, test, disc, el("span", {className: "hint", textContent: T("ctl.drop")}));
    }
    const plot = $("boundary");
    plot.addEventListener("dragover", (e) => { e.preventDefault(); plot.classList.add("drop"); });
    plot.addEventListener("dragleave", () => plot.classList.remove("drop"));
    plot.addEventListener("drop", (e) => {
      e.preventDefault();
      plot.classList.remove("drop");
      const f = e.dataTransfer.files[0];
      if (f) guard(dropCsv)(f);
    });
  }

  return {setup, renderModel, dropCsv, setLr};
})();
