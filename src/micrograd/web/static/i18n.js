// micrograd demo — i18n.js: the page in English and Simplified Chinese (the seed's readers are
// Chinese learners).
//
//   MG_I18N.t("set {what} to {value}", {what, value})   // the current language's text, {vars} filled
//   MG_I18N.lang(); MG_I18N.setLang("zh")              // "en" | "zh"; the choice is remembered
//   MG_I18N.add({en: {...}, zh: {...}})                // more strings (another script's own)
//   MG_I18N.translate(root)                            // static text under root, in place
//   MG_I18N.onChange(fn)                               // redraw what a script wrote itself
//
// A key is the English text itself, so English needs no table and an unknown key shows as
// English. Static HTML is translated by walking its text nodes and title/aria-label/placeholder
// attributes (their English is kept, so switching back and forth is exact); text a script
// writes goes through t(). The form's fields are translated by field name ("field:NAME",
// "help:NAME"), the server's English label being the fallback for a field this table lacks.
// The default language is the browser's (zh* -> Chinese) until the user picks one.
"use strict";

(function () {
  const STORE_KEY = "micrograd-lang";
  const LANGS = ["en", "zh"];
  const TABLE = {en: {}, zh: {}};
  const ZH = {
    // header and status
    "micrograd": "micrograd", "live training": "实时训练", "▶ Play": "▶ 播放", "❚❚ Pause": "❚❚ 暂停",
    "Step": "单步", "↺ Reset": "↺ 重置", "speed": "速度", "step/frame": "步/帧",
    "play / pause (space)": "播放 / 暂停（空格键）", "one training step (s)": "训练一步（s 键）",
    "start a fresh run with the hyperparameters on the right (r)": "用右侧的超参数重新开始训练（r 键）",
    "training steps per animation frame while playing": "播放时每个动画帧训练的步数",
    "step": "步数", "train loss": "训练损失", "val loss": "验证损失", "val acc": "验证准确率", "test acc": "测试准确率",
    "ready": "就绪", "English": "English", "中文": "中文", "language": "语言",
    // boundary panel
    "Decision boundary": "决策边界", "decision boundary with the data points": "决策边界与数据点",
    "click:": "点击：", "pick a point for the graph": "选一个点画计算图", "add a point of class": "添加一个点，类别",
    "class of added points": "所添加点的类别", "hidden neurons' zero-level lines": "隐藏神经元的零值线",
    "shift-click removes the nearest point": "按住 Shift 点击可删除最近的点",
    "train": "训练", "val": "验证", "test": "测试",
    "{dataset} · {train}/{val}/{test} points": "{dataset} · {train}/{val}/{test} 个点",
    // curves
    "Loss": "损失", "Accuracy": "准确率", "log scale": "对数坐标", "loss curves": "损失曲线", "accuracy curves": "准确率曲线",
    // config panel
    "Hyperparameters": "超参数", "preset": "预设", "Last step": "上一步",
    "val loss (before the step)": "验证损失（这一步之前）", "train loss (backpropagated)": "训练损失（反向传播的）",
    "server time": "服务器耗时", "{rate} steps/s": "{rate} 步/秒",
    "changed: {fields} — press Reset (or Enter) to apply": "已修改：{fields}——按“重置”（或回车）生效",
    "e.g. 8 8": "例如 8 8",
    // network panel
    "Network": "网络", "gradient flow": "梯度流", "network diagram": "网络结构图",
    "edges show each weight's last gradient (sign and size) instead of the weight": "连线显示每个权重上一步的梯度（正负与大小），而不是权重本身",
    "each node: what it computes over the input plane (blue +, orange −) · hover a node: its map in the boundary plot · click an edge or a neuron: edit its weight or bias":
      "每个节点：它在输入平面上算出的值（蓝 +，橙 −）· 鼠标悬停节点：在边界图中放大它的图 · 点击连线或神经元：修改权重或偏置",
    "edges: weights (width ∝ |w|)": "连线：权重（粗细 ∝ |w|）", "edges: last gradient (largest |g| = {g})": "连线：上一步的梯度（最大 |g| = {g}）",
    "edges: no gradient yet (take a step)": "连线：还没有梯度（先训练一步）", "largest |value|": "最大 |值|",
    "bias": "偏置", "click to edit": "点击修改", "out": "输出", "bias of {to}": "{to} 的偏置", "weight {from} → {to}": "权重 {from} → {to}",
    "value": "值", "new value": "新值", "last gradient": "上一步梯度", "Set": "设置", "Cancel": "取消",
    "set {what} to {value}": "已把{what}设为 {value}",
    // compute graph panel
    "Compute graph of one datapoint": "单个数据点的计算图", "click the boundary plot or type a point": "点击边界图，或输入一个点",
    "Fit": "适配", "All": "全部", "zoom": "缩放", "zoom in": "放大", "zoom out": "缩小",
    "fit the graph in view, text kept readable (scroll or drag for the rest)": "让计算图适配视图且文字可读（其余部分可滚动或拖动）",
    "the whole graph in view, however small": "整张图放进视图，不管多小",
    "x": "x", "y": "y", "label": "标签", "Trace": "追踪", "parameters": "参数", "expand fused nodes": "展开融合节点",
    "draw each fused node (a neuron, the loss) as the primitive ops it stands for": "把每个融合节点（一个神经元、损失）画成它代表的基本运算",
    "compute graph": "计算图", "input": "输入", "parameter": "参数", "op (dot = b+Σw·x, one node)": "运算（dot = b+Σw·x，一个节点）",
    "loss": "损失", "grads are zeroed before every trace · drag or scroll bars to pan, wheel to zoom": "每次追踪前梯度清零 · 拖动或用滚动条平移，滚轮缩放",
    "point ({x}, {y}), label {label} · loss {loss} · {n} nodes": "点 ({x}, {y})，标签 {label} · 损失 {loss} · {n} 个节点",
    " (fused nodes expanded)": "（已展开融合节点）", "data": "数据", "grad": "梯度",
    // optimizer panel
    "Optimizer state": "优化器状态", "positive": "正", "negative; grad and update are the last step's": "负；grad 与 update 是上一步的",
    "{optimizer} · t = {t} · {n} parameters": "{optimizer} · t = {t} · {n} 个参数",
    "update": "更新", "first moment (running mean of the gradient)": "一阶矩（梯度的滑动平均）",
    // status messages the page writes
    "reset: a fresh run with these hyperparameters": "已重置：用这些超参数重新开始",
    "removed a {split} point of class {label}": "删除了一个{split}点，类别 {label}",
    "step {step}: ": "第 {step} 步：", "val loss {v}, ": "验证损失 {v}，", "train loss {v} ({ms} ms)": "训练损失 {v}（{ms} ms）",
    "back to this tab's run at step {step}": "回到本标签页的训练，第 {step} 步",
    "the old session had expired: started a new one": "旧会话已过期：已开始新的会话",
    "this tab's earlier run is gone from the server (idle too long, or the server restarted): started a fresh one":
      "服务器上已没有本标签页之前的训练（闲置太久或服务器重启过）：已重新开始",
    "type numbers for x and y": "请为 x 和 y 输入数字", "{msg}: retrying": "{msg}：正在重试",
    // the form's fields, by TrainConfig field name (h19's new ones included), and their help
    "field:dataset": "数据集", "field:n": "点数", "field:hidden": "隐藏层大小", "field:activation": "激活函数",
    "field:init": "初始化", "field:optimizer": "优化器", "field:lr": "学习率", "field:seed": "随机种子",
    "field:batch_size": "批大小", "field:regularization": "正则化", "field:reg_rate": "正则化率",
    "field:features": "输入特征", "field:noise": "噪声", "field:split": "训练/验证/测试比例",
    "field:weight_decay": "权重衰减", "field:momentum": "动量",
    "help:dataset": "生成的数据集", "help:n": "生成的点数，按 80/10/10 分为训练/验证/测试",
    "help:hidden": "每个隐藏层的神经元数，用空格分隔", "help:activation": "隐藏层的非线性函数",
    "help:init": "权重初始化：每个神经元抽一次（种子程序的做法）或每个权重抽一次",
    "help:optimizer": "优化器", "help:lr": "学习率", "help:seed": "随机数种子：先抽数据，再抽权重",
    "help:batch_size": "每步使用的训练点数（小批量）", "help:regularization": "L1 或 L2 正则化，或不用",
    "help:reg_rate": "正则化项的系数", "help:features": "模型读取的输入特征（x、y、x²、y²、xy、sin x、sin y）",
    "help:noise": "数据的噪声大小", "help:split": "训练/验证/测试的比例",
  };
  const EN_HELP = {
    "help:dataset": "generated dataset", "help:n": "number of generated points, split 80/10/10 into train/val/test",
    "help:hidden": "neurons per hidden layer, separated by spaces", "help:activation": "hidden layers' nonlinearity",
    "help:init": "weight init: one draw per neuron (the seed's) or per weight", "help:optimizer": "optimizer",
    "help:lr": "learning rate", "help:seed": "the RNG's seed; data are drawn first, then weights",
    "help:batch_size": "training points per step (minibatches)", "help:regularization": "L1 or L2 regularization, or none",
    "help:reg_rate": "the regularization term's factor", "help:features": "the input features the model reads (x, y, x², y², xy, sin x, sin y)",
    "help:noise": "the data's noise level", "help:split": "train/val/test ratio",
  };
  // the feature inputs' checkbox labels (field "features"), the same in both languages but for sin
  const FEATURE = {x: "x", y: "y", x2: "x²", y2: "y²", xy: "xy", sinx: "sin x", siny: "sin y"};
  for (const k in FEATURE) { EN_HELP[`feature:${k}`] = FEATURE[k]; ZH[`feature:${k}`] = FEATURE[k]; }
  Object.assign(ZH, {"default": "默认", "help:noise": "数据的噪声大小（留空：数据集自己的）"});
  EN_HELP["help:noise"] = "the data's noise level (empty: the dataset's own)";
  EN_HELP["help:split"] = "train/val/test percentages, summing to 100 (e.g. 70 20 10)";
  ZH["help:split"] = "训练/验证/测试的百分比，总和为 100（例如 70 20 10）";
  Object.assign(TABLE.zh, ZH);
  Object.assign(TABLE.en, EN_HELP);

  const listeners = [];
  let lang = null;
  try { lang = localStorage.getItem(STORE_KEY); } catch (_) { /* storage off: the browser's language */ }
  if (!LANGS.includes(lang)) lang = /^zh/i.test(navigator.language || "") ? "zh" : "en";

  function fill(text, vars) {
    return vars ? text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m)) : text;
  }

  // the current language's text for `key` (English: the key itself), {name} filled from vars
  function t(key, vars) {
    const own = TABLE[lang][key];
    return fill(own !== undefined ? own : TABLE.en[key] !== undefined ? TABLE.en[key] : key, vars);
  }
  // a key's text if the table has it in the current language (or English), else undefined
  function has(key) { return TABLE[lang][key] !== undefined || TABLE.en[key] !== undefined; }

  // Static text under root: each text node and title / aria-label / placeholder whose English
  // (kept from the first visit) is a key. Scripts mark what they manage with data-i18n="off".
  const ATTRS = ["title", "aria-label", "placeholder"];
  const english = new WeakMap(); // node -> its English text; element -> {attr: English}
  function translate(root) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    for (let n = walker.currentNode; n; n = walker.nextNode()) {
      if (n.nodeType === Node.ELEMENT_NODE) {
        if (n.closest("[data-i18n=off], script, style, svg#graph")) continue;
        let orig = english.get(n);
        if (!orig) { orig = {}; for (const a of ATTRS) if (n.hasAttribute(a)) orig[a] = n.getAttribute(a); english.set(n, orig); }
        for (const a in orig) n.setAttribute(a, TABLE[lang][orig[a]] || orig[a]);
      } else {
        const parent = n.parentElement;
        if (!parent || parent.closest("[data-i18n=off], script, style, svg#graph")) continue;
        if (!english.has(n)) english.set(n, n.nodeValue);
        const en = english.get(n), key = en.trim();
        if (!key) continue;
        const zh = lang === "en" ? key : TABLE[lang][key];
        if (zh !== undefined) n.nodeValue = en.replace(key, zh);
      }
    }
  }

  function setLang(l) {
    if (!LANGS.includes(l)) throw new Error(`language must be one of ${LANGS.join(", ")}, got ${l}`);
    lang = l;
    try { localStorage.setItem(STORE_KEY, l); } catch (_) { /* not remembered: still switched */ }
    document.documentElement.lang = l === "zh" ? "zh-CN" : "en";
    translate(document.body);
    for (const fn of listeners) fn(l);
  }

  function add(tables) {
    for (const l in tables) {
      if (!LANGS.includes(l)) throw new Error(`MG_I18N.add: unknown language ${l}`);
      Object.assign(TABLE[l], tables[l]);
    }
  }

  window.MG_I18N = {t, has, lang: () => lang, setLang, add, translate, onChange: (fn) => listeners.push(fn), langs: LANGS};
  window.t = t; // the page's scripts write t("...")
})();
