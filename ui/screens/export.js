// screens/export.js: the export dialog: study data (six formats, codes or labels, label language, status and date filters), session logs (all, a study, one interview or a selection) and call history; folder typed or picked, progress bar, cancel.
"use strict";

const EXPORT_KINDS = [["data", "D"], ["logs", "L"], ["calls", "H"]];
const EXPORT_FORMATS = {
  data: ["csv", "xlsx", "sav", "dta", "jsonl", "xml"],
  logs: ["audit-csv", "csv", "jsonl", "tab"],
  calls: ["csv", "xlsx"],
};
const EXPORT_STATUSES = ["completed", "broken_off", "paused", "in_progress"];
const OPTIONS_CSS = "display: flex; flex-direction: column; align-items: flex-start; gap: 0.5rem; margin: 1rem 0;";

/**
 * Sets a node's inline style through the CSS object model: the window's content
 * security policy (`style-src 'self'`) ignores `style` attributes, not CSSOM writes.
 */
function styled(node, css) {
  node.style.cssText = css;
  return node;
}

const exporting = {
  running: false,
  kind: "data",
  format: { data: "csv", logs: "audit-csv", calls: "csv" },
  study: "",
  labels: false,
  language: "",
  statuses: new Set(["completed"]),
  from: "",
  to: "",
  ids: "",
  dir: "",
};

function radioGroup(id, legend, name, options, checked, onpick, keyOf) {
  return el("fieldset", { class: "formats", id },
    el("legend", {}, legend),
    options.map(([value, text], i) => el("label", { class: "format-option" },
      el("input", {
        type: "radio", name, value, id: `${name}-${value}`,
        checked: checked === value, onchange: () => onpick(value),
      }),
      el("kbd", {}, keyOf(i, value)), " ", text)));
}

async function renderExport() {
  const studies = (await attempt(() => api.listStudies())) || [];
  if (!studies.some((s) => s.id === exporting.study)) exporting.study = studies[0]?.id ?? "";
  const kind = exporting.kind;
  const kinds = radioGroup("export-kinds", t("export.what"), "export-kind",
    EXPORT_KINDS.map(([k]) => [k, t(`export.kind.${k}`)]), kind,
    (k) => { exporting.kind = k; go("export"); }, (i) => EXPORT_KINDS[i][1]);
  kinds.querySelector(`#export-kind-${kind}`).setAttribute("data-autofocus", "");
  const formats = radioGroup("export-formats", t("export.format"), `export-${kind}-format`,
    EXPORT_FORMATS[kind].map((f) => [f, t(`export.${kind}.format.${f}`)]), exporting.format[kind],
    (f) => { exporting.format[kind] = f; }, (i) => String(i + 1));
  const studySelect = (withAll) => el("select", {
    id: "export-study",
    onchange: (ev) => { exporting.study = ev.target.value; if (kind === "data") go("export"); },
  },
  withAll ? el("option", { value: "", selected: exporting.study === "" }, t("export.all_studies")) : null,
  studies.map((s) => el("option", { value: s.id, selected: s.id === exporting.study }, s.title)));

  let options = null;
  if (kind === "data") {
    const languages = exporting.study ? ((await attempt(() => api.exportLanguages(exporting.study))) || []) : [];
    if (!languages.includes(exporting.language)) exporting.language = "";
    options = styled(el("div", { class: "export-options" },
      el("label", { for: "export-study" }, t("export.study")), studySelect(false),
      el("label", { class: "format-option" },
        el("input", { type: "checkbox", id: "export-labels", checked: exporting.labels, onchange: (ev) => { exporting.labels = ev.target.checked; } }),
        " ", t("export.labels")),
      languages.length ? el("label", { for: "export-language" }, t("export.language")) : null,
      languages.length ? el("select", { id: "export-language", onchange: (ev) => { exporting.language = ev.target.value; } },
        el("option", { value: "", selected: exporting.language === "" }, t("export.language_default")),
        languages.map((l) => el("option", { value: l, selected: l === exporting.language }, l))) : null,
      el("fieldset", { id: "export-statuses" },
        el("legend", {}, t("export.statuses")),
        EXPORT_STATUSES.map((s) => el("label", { class: "format-option" },
          el("input", {
            type: "checkbox", id: `export-status-${s}`, checked: exporting.statuses.has(s),
            onchange: (ev) => { if (ev.target.checked) exporting.statuses.add(s); else exporting.statuses.delete(s); },
          }), " ", t(`export.status.${s}`)))),
      el("label", { for: "export-from" }, t("export.from")),
      el("input", { type: "date", id: "export-from", value: exporting.from, oninput: (ev) => { exporting.from = ev.target.value; } }),
      el("label", { for: "export-to" }, t("export.to")),
      el("input", { type: "date", id: "export-to", value: exporting.to, oninput: (ev) => { exporting.to = ev.target.value; } })), OPTIONS_CSS);
  } else {
    // Session logs and call history share the scope: every study, one study, or a selection by id.
    options = styled(el("div", { class: "export-options" },
      kind === "calls" ? el("p", { class: "muted" }, t("export.calls_scope")) : null,
      el("label", { for: "export-study" }, t("export.study")), studySelect(true),
      el("label", { for: "export-ids" }, t(kind === "calls" ? "export.call_ids" : "export.ids"), " ", el("kbd", {}, "Alt+I")),
      el("input", { type: "text", id: "export-ids", class: "text-answer", value: exporting.ids, autocomplete: "off", oninput: (ev) => { exporting.ids = ev.target.value; } })), OPTIONS_CSS);
  }

  const dir = el("input", {
    type: "text", id: "export-dir", class: "text-answer", value: exporting.dir, autocomplete: "off",
    oninput: () => { exporting.dir = dir.value; },
  });
  return el("section", { id: "export", "aria-labelledby": "export-title", "data-kind": kind },
    el("h1", { id: "export-title" }, t("export.title")),
    kinds,
    formats,
    options,
    el("label", { for: "export-dir" }, t("export.folder"), " ", el("kbd", {}, "Alt+F")),
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
      styled(el("button", { type: "button", id: "export-cancel", hidden: true, onclick: () => api.cancelExport() }, t("export.cancel")), "display: none;"),
      el("button", { type: "button", id: "export-start", class: "primary", onclick: startExport }, t("export.start"), el("kbd", {}, "Enter"))));
}

/**
 * Shows or hides a button: the stylesheet gives every button `display: inline-flex`,
 * which overrides the `hidden` attribute, so the inline style does the hiding.
 */
function showButton(button, on) {
  button.hidden = !on;
  button.style.display = on ? "" : "none";
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

/** Midnight UTC of a `YYYY-MM-DD` day in Unix ms, `days` later; null when empty; throws a validation error when not a date. */
function dayMs(text, days) {
  if (!text) return null;
  const ms = Date.parse(`${text}T00:00:00Z`);
  if (Number.isNaN(ms)) throw { code: "validation", message: t("export.bad_date", text) };
  return ms + days * 86400000;
}

/** Runs the export the dialog describes; resolves to the text of its result. */
async function runExport(dir, onProgress) {
  const kind = exporting.kind;
  const format = exporting.format[kind];
  if (kind === "data") {
    const request = {
      study_id: exporting.study, format, labels: exporting.labels, language: exporting.language || null,
      statuses: EXPORT_STATUSES.filter((s) => exporting.statuses.has(s)),
      from_ms: dayMs(exporting.from, 0), to_ms: dayMs(exporting.to, 1),
    };
    const s = await api.exportData(request, dir, onProgress);
    return t("export.data_done", s.files.length, s.interviews, s.answers);
  }
  if (kind === "logs") {
    const ids = exporting.ids.split(/[\s,;]+/).filter(Boolean);
    const s = await api.exportParadata(format, dir, onProgress, exporting.study || null, ids.length ? ids : null);
    return t("export.done", s.files.length, s.interviews, s.events);
  }
  const ids = exporting.ids.split(/[\s,;]+/).filter(Boolean);
  const s = await api.exportCalls(format, dir, exporting.study || null, ids.length ? ids : null);
  return t("export.calls_done", s.rows);
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
  showButton(cancel, true);
  start.disabled = true;
  exporting.running = true;
  cancel.focus();
  try {
    result.textContent = await runExport(dir, (p) => {
      bar.max = Math.max(p.total, 1);
      bar.value = p.done;
      text.textContent = t("export.progress", p.done, p.total);
    });
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
    showButton(cancel, false);
    start.disabled = false;
    start.focus();
  }
}

registerScreen("export", {
  title: () => t("export.title"),
  render: renderExport,
  shortcuts: () => [
    ["D / L / H", t("export.key_kind")], ["1–6", t("export.key_format")], ["Alt+F", t("export.key_folder")],
    ["Alt+I", t("export.key_ids")], ["Enter", t("export.key_start")], ["Esc", t("export.key_back")],
  ],
  onKey(ev) {
    if (ev.key === "Escape") {
      if (exporting.running) api.cancelExport();
      else showHome();
      return true;
    }
    if (ev.altKey && (ev.key === "f" || ev.key === "F")) {
      document.getElementById("export-dir")?.focus();
      return true;
    }
    if (ev.altKey && (ev.key === "i" || ev.key === "I")) {
      // The ids are selected, so what is typed next replaces the previous selection.
      const ids = document.getElementById("export-ids");
      ids?.focus();
      ids?.select();
      return true;
    }
    if (ev.key === "Enter" && !(ev.target instanceof HTMLButtonElement) && !(ev.target instanceof HTMLSelectElement)) {
      startExport();
      return true;
    }
    const free = !isTyping(ev.target) || ev.target.type === "radio" || ev.target.type === "checkbox";
    if (!free || ev.altKey || ev.ctrlKey || exporting.running) return false;
    const kind = EXPORT_KINDS.find(([, key]) => key === ev.key.toUpperCase());
    if (kind) {
      exporting.kind = kind[0];
      go("export");
      return true;
    }
    const formats = EXPORT_FORMATS[exporting.kind];
    if (/^[1-9]$/.test(ev.key) && Number(ev.key) <= formats.length) {
      const f = formats[Number(ev.key) - 1];
      exporting.format[exporting.kind] = f;
      const radio = document.getElementById(`export-${exporting.kind}-format-${f}`);
      if (radio) { radio.checked = true; radio.focus(); }
      return true;
    }
    return false;
  },
});

registerHomeAction({ id: "export", key: "E", label: () => t("export.open"), run: () => go("export") });
