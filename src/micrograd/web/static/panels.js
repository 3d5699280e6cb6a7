// micrograd demo — panels.js: the compute-graph panel's title line and the optimizer table
// (the graph's drawing itself is graph.js's GraphView).
"use strict";

// ---------------------------------------------------------------------- compute graph

function renderGraph() {
  const g = S.snap && S.snap.graph;
  S.graphView.show(g, {params: $("show-params").checked});
  if (g) {
    const {x, y, label} = g.point;
    const loss = g.nodes[g.nodes.length - 1].data;
    setInfo(t("point ({x}, {y}), label {label} · loss {loss} · {n} nodes", {x: x.toFixed(2), y: y.toFixed(2), label, loss: fmtNum(loss), n: g.nodes.length}) +
      (g.expanded ? t(" (fused nodes expanded)") : "") + (g.note ? ` · ${g.note}` : ""));
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
  $("opt-info").textContent = t("{optimizer} · t = {t} · {n} parameters", {optimizer: o.optimizer, t: o.t, n: o.rows.length});
  const table = $("opt-table");
  const key = o.columns.join(",") + "|" + o.rows.map((r) => r[0]).join(",");
  if (key !== optKey) {
    optKey = key;
    const head = document.createElement("tr");
    for (const c of o.columns) {
      const th = document.createElement("th");
      th.textContent = MOMENT_NAMES[c] || t(c);
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
