// screens/export.js: the session-log export screen: format, folder (typed or picked), progress bar, cancel.
"use strict";

const EXPORT_FORMATS = ["audit-csv", "csv", "jsonl", "tab"];

const exporting = {
  running: false,
  format: "audit-csv",
  dir: "",
};

function renderExport() {
  const formats = el("fieldset", { class: "formats", id: "export-formats" },
    el("legend", {}, t("export.format")),
    EXPORT_FORMATS.map((f, i) => el("label", { class: "format-option" },
      el("input", {
        type: "radio", name: "export-format", value: f, id: `export-format-${f}`,
        checked: exporting.format === f, onchange: () => { exporting.format = f; },
        "data-autofocus": exporting.format === f ? true : null,
      }),
      el("kbd", {}, String(i + 1)), " ", t(`export.format.${f}`))));
  const dir = el("input", {
    type: "text", id: "export-dir", class: "text-answer", value: exporting.dir, autocomplete: "off",
    oninput: () => { exporting.dir = dir.value; },
  });
  return el("section", { id: "export", "aria-labelledby": "export-title" },
    el("h1", { id: "export-title" }, t("export.title")),
    formats,
    el("label", { for: "export-dir" }, t("export.folder")),
    el("div", { class: "folder-row" },
      dir,
      el("button", { type: "button", id: "export-choose", onclick: chooseExportFolder }, t("export.choose"))),
    el("div", { class: "export-progress", id: "export-progress-box", hidden: true },
      el("progress", { id: "export-progress", max: "1", value: "0", "aria-labelledby": "export-progress-text" }),
      el("p", { id: "export-progress-text", role: "status" }, "")),
    el("p", { id: "export-result", class: "notice", role: "status", hidden: true }, ""),
    el("p", { id: "q-error", class: "field-error", "aria-live": "assertive" }, ""),
    el("div", { class: "nav" },
      el("button", { type: "button", id: "export-back", onclick: () => showHome() }, t("export.back"), el("kbd", {}, "Esc")),
      el("button", { type: "button", id: "export-cancel", hidden: true, onclick: () => api.cancelExport() }, t("export.cancel")),
      el("button", { type: "button", id: "export-start", class: "primary", onclick: startExport }, t("export.start"), el("kbd", {}, "Enter"))));
}

async function chooseExportFolder() {
  const chosen = await attempt(() => api.chooseFolder(t("export.choose_title")));
  if (typeof chosen === "string" && chosen) {
    exporting.dir = chosen;
    const input = document.getElementById("export-dir");
    if (input) input.value = chosen;
  }
  document.getElementById("export-dir")?.focus();
}

async function startExport() {
  if (exporting.running) return;
  const dir = (document.getElementById("export-dir")?.value || "").trim();
  exporting.dir = dir;
  const box = document.getElementById("export-progress-box");
  const bar = document.getElementById("export-progress");
  const text = document.getElementById("export-progress-text");
  const result = document.getElementById("export-result");
  const cancel = document.getElementById("export-cancel");
  const start = document.getElementById("export-start");
  document.getElementById("q-error").textContent = "";
  result.hidden = true;
  box.hidden = false;
  cancel.hidden = false;
  start.disabled = true;
  exporting.running = true;
  cancel.focus();
  try {
    const summary = await api.exportParadata(exporting.format, dir, (p) => {
      bar.max = Math.max(p.total, 1);
      bar.value = p.done;
      text.textContent = t("export.progress", p.done, p.total);
    });
    result.textContent = t("export.done", summary.files.length, summary.interviews, summary.events);
    result.hidden = false;
  } catch (err) {
    const e = err && err.code ? err : { code: "internal", message: t("error.unexpected") };
    if (e.code === "conflict") {
      result.textContent = t("export.cancelled");
      result.hidden = false;
    } else {
      document.getElementById("q-error").textContent = e.message;
    }
  } finally {
    exporting.running = false;
    cancel.hidden = true;
    start.disabled = false;
    start.focus();
  }
}

registerScreen("export", {
  title: () => t("export.title"),
  render: renderExport,
  shortcuts: () => [["1–4", t("export.key_format")], ["Enter", t("export.key_start")], ["Esc", t("export.key_back")]],
  onKey(ev) {
    if (ev.key === "Escape") {
      if (exporting.running) api.cancelExport();
      else showHome();
      return true;
    }
    if (ev.key === "Enter" && !(ev.target instanceof HTMLButtonElement)) {
      startExport();
      return true;
    }
    if ((!isTyping(ev.target) || ev.target.type === "radio") && /^[1-4]$/.test(ev.key) && !ev.altKey && !ev.ctrlKey) {
      const f = EXPORT_FORMATS[Number(ev.key) - 1];
      exporting.format = f;
      const radio = document.getElementById(`export-format-${f}`);
      if (radio) { radio.checked = true; radio.focus(); }
      return true;
    }
    return false;
  },
});

registerHomeAction({ id: "export", key: "E", label: () => t("export.open"), run: () => go("export") });
