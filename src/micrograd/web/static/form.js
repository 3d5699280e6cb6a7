// micrograd demo — form.js: the hyperparameter form, built from the server's /api/options
// "fields" (TrainConfig's demo settings), read back as a config, and its "changed" note.
"use strict";

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
  } else if (d.kind === "multi") { // a set of choices (the feature inputs): one checkbox each
    input = document.createElement("span");
    input.className = "multi";
    for (const c of d.choices) {
      const box = document.createElement("label"), cb = document.createElement("input");
      cb.type = "checkbox"; cb.name = `${d.name}:${c}`; cb.value = c;
      const txt = document.createElement("span");
      txt.dataset.choice = c; // relabelled on a language switch (relabelEntry)
      box.append(cb, txt);
      input.append(box);
    }
  } else {
    input = document.createElement("input");
    input.type = d.kind === "bool" ? "checkbox" : d.kind === "int" || d.kind === "float" ? "number" : "text";
    if (input.type === "number") {
      input.step = d.kind === "int" ? "1" : "any";
      if (d.min != null) input.min = String(d.min);
      if (d.max != null && Number.isSafeInteger(d.max)) input.max = String(d.max);
    }
    if (d.kind === "list") input.placeholder = t("e.g. 8 8");
    if (d.optional) input.placeholder = t("default");
  }
  if (d.kind !== "multi") input.name = d.name;
  else label.classList.add("multi-entry");
  // the label by field name in the page's language; the server's English for a field the table lacks
  const name = document.createElement("span");
  name.dataset.i18n = "off"; // written here, again on a language switch (relabelForm)
  name.dataset.field = d.name;
  name.dataset.label = d.label;
  label.append(name, input);
  relabelEntry(label);
  return label;
}

function fillForm(cfg) {
  const f = $("config").elements;
  for (const d of S.options.fields) {
    const v = cfg[d.name];
    if (d.kind === "bool") f[d.name].checked = !!v;
    else if (d.kind === "multi") for (const c of d.choices) f[`${d.name}:${c}`].checked = v.includes(c);
    else if (d.optional && v == null) f[d.name].value = "";
    else f[d.name].value = d.kind === "list" ? v.join(" ") : String(v);
  }
  const C = S.snap ? S.snap.classes : 3, reg = !!(S.snap && S.snap.regression);
  // a regression run's points carry a target: a few values on its scale instead of classes
  const classes = reg ? [-1, -0.5, 0, 0.5, 1].map((v) => +(v * S.snap.grid.scale).toPrecision(3)) : Array.from({length: C}, (_, i) => i);
  for (const id of ["add-class", "pick-label"]) {
    const sel = $(id), old = sel.value;
    fillSelect(sel, classes);
    if (classes.map(String).includes(old)) sel.value = old;
  }
  $("class-legend").replaceChildren(...classes.map((k) => {
    const s = document.createElement("span");
    s.className = "class-chip";
    s.style.background = rgb(reg ? valueColor(k / S.snap.grid.scale) : CLASS_COLORS[k % CLASS_COLORS.length]);
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
    if (d.kind === "multi") out[d.name] = d.choices.filter((c) => f[`${d.name}:${c}`].checked);
    else if (d.kind === "list") out[d.name] = el.value.trim().split(/[\s,]+/).filter(Boolean).map((s) => num(s, int));
    else if (d.optional && el.value.trim() === "") out[d.name] = null;
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
  $("config-note").textContent = changed.length
    ? t("changed: {fields} — press Reset (or Enter) to apply", {fields: changed.map((k) => fieldLabel(k, k)).join(", ")}) : "";
  $("reset").classList.toggle("pending", changed.length > 0);
}

// ---------------------------------------------------------------------- the form in the page's language

function fieldLabel(name, fallback) {
  return MG_I18N.has(`field:${name}`) && MG_I18N.lang() !== "en" ? t(`field:${name}`) : fallback;
}

function relabelEntry(label) {
  const span = label.querySelector("span[data-field]");
  const name = span.dataset.field;
  span.textContent = fieldLabel(name, span.dataset.label) + " ";
  label.title = MG_I18N.has(`help:${name}`) ? t(`help:${name}`) : "";
  for (const c of label.querySelectorAll("span[data-choice]")) c.textContent = t(`feature:${c.dataset.choice}`);
}

function relabelForm() {
  for (const span of $("config").querySelectorAll("span[data-field]")) relabelEntry(span.parentElement);
}
