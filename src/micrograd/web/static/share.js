// micrograd demo — share a run exactly, and checkpoints in and out (server: micrograd.web.share).
//
// "Share" puts the run in the page's URL (#run=TOKEN: the config's difference from its preset,
// every point edit and learning-rate change with the step it happened at, and the step reached)
// and copies it; opening that URL replays the run on the server and shows the same numbers, bit
// for bit, at the same step. "Download checkpoint" saves the run in micrograd's checkpoint format
// (`micrograd train --resume FILE` continues it); "Upload checkpoint" loads one back, validated as
// the CLI validates --resume. Every refusal comes back from the server as a message on the status line.
// Uses app.js's globals: S, api, serial, guard, status, applyFull, pickFirstPoint, setPlaying, SESSION_KEY.
"use strict";

window.MG_I18N = window.MG_I18N || {
  _d: {}, add(t) { Object.assign(this._d, t.en || {}); }, lang() { return "en"; }, setLang() {},
  t(k, v) { return String(this._d[k] || k).replace(/\{(\w+)\}/g, (_, n) => (v && n in v ? v[n] : `{${n}}`)); },
};
MG_I18N.add({
  en: {
    "share.button": "⇪ Share", "share.title": "copy a link that replays this run exactly (config, point edits, step)",
    "share.copied": "link copied: it replays this run to step {step} ({chars} characters)",
    "share.shown": "the link is in the address bar (copying was not allowed): it replays this run to step {step}",
    "share.opening": "replaying the shared run…", "share.opened": "shared run replayed: step {step}, the same numbers as its author saw",
    "share.bad": "this shared link could not be opened: {msg}",
    "ckpt.download": "⤓ Save", "ckpt.download.title": "download this run as a micrograd checkpoint (continue it with micrograd train --resume FILE)",
    "ckpt.upload": "⤒ Load", "ckpt.upload.title": "continue a micrograd checkpoint here (validated as micrograd train --resume)",
    "ckpt.saved": "checkpoint saved as {name}: continue with micrograd train --resume {name}",
    "ckpt.loaded": "checkpoint {name} loaded: step {step}",
  },
  zh: {
    "share.button": "⇪ 分享", "share.title": "复制一个能精确重现本次训练的链接（配置、数据点编辑、步数）",
    "share.copied": "链接已复制：它会把本次训练重现到第 {step} 步（{chars} 个字符）",
    "share.shown": "链接在地址栏中（浏览器不允许复制）：它会把本次训练重现到第 {step} 步",
    "share.opening": "正在重现分享的训练…", "share.opened": "已重现分享的训练：第 {step} 步，数字与作者看到的完全相同",
    "share.bad": "无法打开这个分享链接：{msg}",
    "ckpt.download": "⤓ 保存", "ckpt.download.title": "把本次训练下载为 micrograd 检查点（用 micrograd train --resume FILE 继续）",
    "ckpt.upload": "⤒ 载入", "ckpt.upload.title": "在这里继续一个 micrograd 检查点（与 micrograd train --resume 相同的校验）",
    "ckpt.saved": "检查点已保存为 {name}：用 micrograd train --resume {name} 继续",
    "ckpt.loaded": "已载入检查点 {name}：第 {step} 步",
  },
});

const MG_SHARE = (() => {
  const T = (k, v) => MG_I18N.t(k, v);
  const HASH = "#run=", OPENED_KEY = "micrograd-share-opened"; // the link this tab made or opened last

  function button(id, key, onclick) {
    const b = document.createElement("button");
    b.type = "button";
    b.id = id;
    b.dataset.i18n = key;
    b.textContent = T(key);
    b.title = T(key + ".title");
    b.addEventListener("click", onclick);
    return b;
  }

  async function share() {
    setPlaying(false);
    const out = await api("GET", `/api/sessions/${S.id}/share`);
    const link = `${location.origin}${location.pathname}${HASH}${out.token}`;
    history.replaceState(null, "", link);
    sessionStorage.setItem(OPENED_KEY, out.token); // a reload re-attaches to the run, not replays the link
    try {
      await navigator.clipboard.writeText(link);
      status(T("share.copied", {step: out.step, chars: out.chars}));
    } catch (_) {
      status(T("share.shown", {step: out.step}));
    }
    document.body.dataset.shareLink = link;
    return link;
  }

  // On load: a #run= link replays its run in a new session (instead of re-attaching or starting afresh);
  // a reload of the tab that made or opened that link re-attaches to its run instead (it may be further on).
  async function openFromHash(onLoad = true) {
    if (!location.hash.startsWith(HASH)) return false;
    const token = location.hash.slice(HASH.length);
    if (sessionStorage.getItem(OPENED_KEY) === token && sessionStorage.getItem(SESSION_KEY)) return false;
    status(T("share.opening"));
    try {
      const snap = await api("POST", "/api/share", {token});
      S.id = snap.session;
      sessionStorage.setItem(SESSION_KEY, S.id);
      sessionStorage.setItem(OPENED_KEY, token);
      applyFull(snap);
      if (!snap.graph) await pickFirstPoint();
      status(T("share.opened", {step: snap.step}));
      return true;
    } catch (e) {
      if (!onLoad) throw new Error(T("share.bad", {msg: e.message})); // this tab's run stays
      S.notice = T("share.bad", {msg: e.message});
      return false; // the page starts a fresh run and shows why
    }
  }

  async function download() {
    setPlaying(false);
    const r = await fetch(`/api/sessions/${S.id}/checkpoint`);
    const text = await r.text();
    if (!r.ok) throw new Error((JSON.parse(text) || {}).error || `${r.status}`);
    const name = `micrograd-step${S.snap.step}.ckpt.json`;
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([text], {type: "application/json"}));
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    status(T("ckpt.saved", {name}));
  }

  async function upload(file) {
    setPlaying(false);
    const limit = S.options.limits.checkpoint_bytes;
    if (file.size > limit) throw new Error(`checkpoint ${file.name} is ${file.size} bytes, over the limit of ${limit}`);
    const r = await fetch(`/api/sessions/${S.id}/checkpoint`, {
      method: "POST", headers: {"Content-Type": "application/json"}, body: await file.arrayBuffer(),
    });
    const data = await r.json().catch(() => null);
    if (!r.ok) throw new Error((data && data.error) || `${r.status} ${r.statusText}`);
    applyFull(data);
    status(T("ckpt.loaded", {name: file.name, step: data.step}));
  }

  function setup() {
    const bar = document.getElementById("run-tools");
    if (!bar) return;
    const input = document.createElement("input");
    input.type = "file";
    input.accept = ".json,application/json";
    input.id = "ckpt-file";
    input.hidden = true;
    input.addEventListener("change", () => {
      const f = input.files[0];
      input.value = "";
      if (f) guard(upload)(f);
    });
    // a link pasted into this tab's address bar: replay it here
    window.addEventListener("hashchange", () => guard(async () => { setPlaying(false); await openFromHash(false); })());
    bar.prepend(
      button("share", "share.button", () => guard(share)()),
      button("ckpt-download", "ckpt.download", () => guard(download)()),
      button("ckpt-upload", "ckpt.upload", () => input.click()),
      input,
    );
  }

  return {setup, share, openFromHash, download, upload};
})();
