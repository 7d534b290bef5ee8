// widgets/attach.js: photo, audio and file questions: pick a file (or the camera where the webview offers it), preview it, remove it.
"use strict";

// Widgets the interview screen draws for CAPI question kinds, by kind (see interview.js).
var capiWidgets = window.capiWidgets || {};
window.capiWidgets = capiWidgets;

// The window refuses larger files before reading them; the device refuses them too (10 MiB).
const ATTACH_MAX_BYTES = 10 * 1024 * 1024;

function attachSize(bytes) {
  return bytes >= 1024 * 1024
    ? t("capi.attach.size_mb", formatNumber(Math.round(bytes / 104857.6) / 10))
    : t("capi.attach.size_kb", formatNumber(bytes === 0 ? 0 : Math.max(1, Math.ceil(bytes / 1024))));
}

/** Standard base64 of an ArrayBuffer, in slices so a large file never overflows the call stack. */
function attachBase64(buffer) {
  const bytes = new Uint8Array(buffer);
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function attachWidget(q) {
  const accept = { image: "image/*", audio: "audio/*" }[q.kind];
  const input = el("input", {
    type: "file", id: "q-file", class: "attach-input", accept: accept || null,
    // `capture` lets a webview with a camera take a photo directly; others show their file chooser.
    capture: q.kind === "image" ? "environment" : null,
    "aria-labelledby": "q-label", "aria-describedby": "q-error attach-help", "data-autofocus": true, disabled: q.read_only,
  });
  const preview = el("div", { class: "attach-preview", id: "attach-preview", "aria-live": "polite" });
  const remove = el("button", { type: "button", id: "attach-remove", hidden: !q.value, onclick: () => attachRemove() },
    t("capi.attach.remove"), " ", el("kbd", {}, "Alt+X"));
  input.addEventListener("change", () => attachPicked(input));
  const box = el("div", { class: "attach", id: "q-attach", "data-kind": q.kind },
    el("label", { for: "q-file", class: "attach-choose" }, t(`capi.attach.choose_${q.kind}`)),
    input,
    el("p", { class: "muted", id: "attach-help" }, t("capi.attach.help", attachSize(ATTACH_MAX_BYTES))),
    preview,
    remove);
  // Alt+X removes the file; the key stays within the widget so the screen's keys are untouched.
  box.addEventListener("keydown", (ev) => {
    if (ev.altKey && (ev.key.toLowerCase() === "x" || ev.code === "KeyX")) { ev.preventDefault(); ev.stopPropagation(); attachRemove(); }
  });
  if (q.value) attachShow(q, preview);
  return box;
}

async function attachShow(q, preview) {
  const s = iv.screen;
  const a = await attempt(() => api.attachment(s.interview_id, q.path));
  if (!a || !preview.isConnected) return;
  const media = a.preview && a.media_type.startsWith("image/")
    ? el("img", { src: a.preview, alt: t("capi.attach.preview_alt", a.file_name), class: "attach-thumb", id: "attach-thumb" })
    : null;
  // Audio cannot play inline: the window's content policy admits no media source besides its own files.
  const note = a.media_type.startsWith("audio/") ? el("p", { class: "muted" }, t("capi.attach.audio_note")) : null;
  preview.replaceChildren(...[
    media,
    el("p", { id: "attach-name", "data-hash": a.hash }, el("strong", {}, a.file_name), " · ", attachSize(a.size)),
    note].filter(Boolean));
}

async function attachPicked(input) {
  const s = iv.screen;
  const file = input.files && input.files[0];
  const error = document.getElementById("q-error");
  if (!s || !file) return;
  if (file.size > ATTACH_MAX_BYTES) {
    error.textContent = t("capi.attach.too_large", file.name, attachSize(file.size), attachSize(ATTACH_MAX_BYTES));
    input.value = "";
    return;
  }
  setSave("saving");
  let data;
  try {
    data = attachBase64(await file.arrayBuffer());
  } catch (e) {
    setSave("idle");
    error.textContent = t("capi.attach.unreadable", file.name);
    return;
  }
  let screen;
  try {
    screen = await api.attachFile(s.interview_id, s.question.path, file.name, data);
  } catch (e) {
    // A refused file (too large, wrong kind) is said at the question; anything else in the banner.
    setSave("idle");
    if (e && e.code === "validation") error.textContent = e.message; else showError(e && e.code ? e : { code: "internal", message: t("error.unexpected") });
    input.value = "";
    return;
  }
  setSave("saved");
  renderInterview(screen);
  document.getElementById("q-file")?.focus();
}

async function attachRemove() {
  const s = iv.screen;
  if (!s || !s.question.value) return;
  setSave("saving");
  const screen = await attempt(() => api.clearAttachment(s.interview_id, s.question.path));
  if (screen) {
    setSave("saved");
    renderInterview(screen);
    document.getElementById("q-file")?.focus();
  }
}

capiWidgets.image = attachWidget;
capiWidgets.audio = attachWidget;
capiWidgets.file = attachWidget;
