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
    "ctl.regen": "⟳", "ctl.regen.title": "new data: a new random seed, a fresh run",
    "ctl.test": "test", "ctl.test.title": "show the test points (triangles)",
    "ctl.discrete": "discrete", "ctl.discrete.title": "discretize the output: each class's region in its colour, not soft probabilities",
    "ctl.drop": "drop a CSV file (x,y,label) here to train on your own points", "ctl.csv": "CSV {name}: {n} points, a fresh run",
    "ctl.layers": "layers", "ctl.neurons": "neurons", "ctl.limits": "limits: {l0}–{l1} layers, {n0}–{n1} neurons each",
    "ctl.lr.apply": "live", "ctl.lr.apply.title": "change the learning rate now, keeping the run (no reset)",
    "ctl.lr.done": "learning rate {lr} from step {step} on (no reset; a shared link replays the change)",
    "ctl.kept": "refused: {msg} (the run is unchanged)",
    "ctl.live.title": "change it now, keeping the run (no reset)",
    "ctl.live.done": "{field} {value} from step {step} on (no reset; a shared link replays the change)",
  },
  zh: {
    "ctl.regen": "⟳", "ctl.regen.title": "新数据：新的随机种子，重新开始训练",
    "ctl.test": "测试", "ctl.test.title": "显示测试点（三角形）",
    "ctl.discrete": "离散", "ctl.discrete.title": "离散化输出：每个类别的区域用它的颜色，而不是软概率",
    "ctl.drop": "把 CSV 文件（x,y,label）拖到这里，用你自己的数据点训练", "ctl.csv": "CSV {name}：{n} 个点，重新开始训练",
    "ctl.layers": "层", "ctl.neurons": "神经元", "ctl.limits": "上限：{l0}–{l1} 层，每层 {n0}–{n1} 个神经元",
    "ctl.lr.apply": "实时", "ctl.lr.apply.title": "立即修改学习率，保留当前训练（不重置）",
    "ctl.lr.done": "从第 {step} 步起学习率为 {lr}（不重置；分享链接会重现这次修改）",
    "ctl.kept": "被拒绝：{msg}（训练保持不变）",
    "ctl.live.title": "立即修改，保留当前训练（不重置）",
    "ctl.live.done": "从第 {step} 步起{field}为 {value}（不重置；分享链接会重现这次修改）",
  },
});

const MG_VIEW = {hideTest: false, discrete: false}; // read by app.js's renderBoundary

const MG_CONTROLS = (() => {
  const T = (k, v) => MG_I18N.t(k, v);
  const el = (tag, props = {}, ...kids) => { const e = Object.assign(document.createElement(tag), props); e.append(...kids); return e; };

  function check(id, key, onchange) {
    const box = el("input", {type: "checkbox", id});
    box.addEventListener("change", () => onchange(box.checked));
    const label = el("label", {title: T(key + ".title")}, box, " ", el("span", {textContent: T(key)}));
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

  // One line (the first row of panels keeps its height): "layers 2 [−][+]  L1 [−]16[+]  L2 [−]8[+]  (≤3 × ≤32)".
  function renderModel() {
    const box = $("model-tools");
    if (!box || !S.snap) return;
    const L = S.options.limits, sizes = S.snap.config.hidden;
    const btn = (text, id, title, fn) => {
      const b = el("button", {type: "button", id, textContent: text, title});
      b.addEventListener("click", () => guard(changeHidden)(fn));
      return b;
    };
    const limits = T("ctl.limits", {l0: L.hidden_length[0], l1: L.hidden_length[1], n0: L.hidden[0], n1: L.hidden[1]});
    const row = [el("span", {className: "model-label", textContent: `${T("ctl.layers")} ${sizes.length}`}),
      btn("−", "layer-minus", "remove the last hidden layer", (h) => h.slice(0, -1)),
      btn("+", "layer-plus", "add a hidden layer", (h) => h.concat([h[h.length - 1] || 4]))];
    sizes.forEach((n, i) => row.push(el("span", {className: "model-layer", title: `layer ${i + 1}: ${n} ${T("ctl.neurons")}`},
      btn("−", `neuron-minus-${i}`, `one neuron less in layer ${i + 1}`, (h) => h.map((v, j) => (j === i ? v - 1 : v))),
      el("b", {textContent: String(n)}),
      btn("+", `neuron-plus-${i}`, `one neuron more in layer ${i + 1}`, (h) => h.map((v, j) => (j === i ? v + 1 : v))))));
    row.push(el("span", {className: "hint", id: "model-limits", title: limits,
      textContent: `≤${L.hidden_length[1]} × ≤${L.hidden[1]}`}));
    box.title = limits;
    box.replaceChildren(...row);
  }

  // A button in a form row (a third grid column: the form keeps its height).
  function rowButton(field, id, key, fn) {
    const input = $("config").elements[field];
    if (!input) return;
    const b = el("button", {type: "button", id, textContent: T(key), title: T(key + ".title")});
    b.dataset.i18n = key;
    b.addEventListener("click", fn);
    input.parentElement.classList.add("with-button");
    input.after(b);
  }

  async function setLr(text) {
    const v = Number(text);
    const snap = await api("POST", `/api/sessions/${S.id}/hyper`, {lr: text.trim() !== "" && isFinite(v) ? v : text});
    $("config").elements.lr.value = String(snap.config.lr);
    applySnap(snap);
    status(T("ctl.lr.done", {lr: snap.config.lr, step: snap.step}));
  }

  // regularization, its rate and the batch size, changed while running (Trainer.set_hyperparameters on the server)
  const LIVE = ["regularization", "reg_rate", "batch_size"];
  async function setLive(field) {
    const snap = await api("POST", `/api/sessions/${S.id}/hyper`, {[field]: readForm()[field]});
    $("config").elements[field].value = String(snap.config[field]);
    applySnap(snap);
    updateConfigNote();
    const label = (S.options.fields.find((d) => d.name === field) || {}).label || field;
    status(T("ctl.live.done", {field: fieldLabel(field, label), value: snap.config[field], step: snap.step}));
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
    rowButton("lr", "live-lr-set", "ctl.lr.apply", () => guard(setLr)($("config").elements.lr.value));
    rowButton("seed", "regen", "ctl.regen", () => { setPlaying(false); guard(regenerate)(); });
    for (const f of LIVE) {
      rowButton(f, `live-${f}-set`, "ctl.lr.apply", () => guard(setLive)(f));
      const b = $(`live-${f}-set`);
      if (b) { b.dataset.titleKey = "ctl.live.title"; b.title = T("ctl.live.title"); }
    }
    // the view toggles join the boundary plot's first tool row (its second line has room for them)
    const tools = document.querySelector("#boundary-panel .tools");
    if (tools) {
      const test = check("show-test", "ctl.test", (on) => { MG_VIEW.hideTest = !on; if (S.snap) renderBoundary(); });
      test.querySelector("input").checked = true;
      const disc = check("discretize", "ctl.discrete", (on) => { MG_VIEW.discrete = on; if (S.snap) renderBoundary(); });
      tools.append(test, disc);
    }
    const plot = $("boundary");
    plot.title = T("ctl.drop");
    plot.addEventListener("dragover", (e) => { e.preventDefault(); plot.classList.add("drop"); });
    plot.addEventListener("dragleave", () => plot.classList.remove("drop"));
    plot.addEventListener("drop", (e) => {
      e.preventDefault();
      plot.classList.remove("drop");
      const f = e.dataTransfer.files[0];
      if (f) guard(dropCsv)(f);
    });
  }

  return {setup, renderModel, dropCsv, setLr, setLive};
})();
