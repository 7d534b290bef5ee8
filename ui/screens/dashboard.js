// screens/dashboard.js: the dashboard: completes, response rates and interview length per interviewer and day, NPS/CSAT/CES by segment and wave, charts drawn as SVG and saved as PNG with a CSV.
"use strict";

const dashboard = {
  studies: [],
  study: null,
  report: null,
  dir: "",
};

const SVG_NS = "http://www.w3.org/2000/svg";
// `styled(node, css)` comes from screens/export.js (loaded first): the CSP ignores style attributes.

/** Builds an SVG element; attributes are set as given, children appended. */
function svgEl(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined) node.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return node;
}

/** A theme colour resolved to its value, so a chart saved as PNG keeps it outside the page. */
function themeColor(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#555";
}

function fixed(x, digits = 1) {
  return x === null || x === undefined ? "–" : new Intl.NumberFormat(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(x);
}

function signed(x, digits = 1) {
  if (x === null || x === undefined) return "–";
  return (x > 0 ? "+" : "") + fixed(x, digits);
}

/**
 * A bar chart: `bars` are `{label, value, color}`; the SVG carries its own
 * background and colours so it can be drawn to a PNG as it looks.
 */
function barChart(id, title, bars) {
  const w = 560, h = 230, left = 36, bottom = 30, top = 42;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const slot = (w - left - 8) / Math.max(bars.length, 1);
  const text = themeColor("--text");
  const line = themeColor("--line");
  const chart = svgEl("svg", {
    id, xmlns: SVG_NS, width: w, height: h, viewBox: `0 0 ${w} ${h}`, role: "img", "aria-label": title,
    class: "chart", "font-family": "sans-serif", "font-size": "12",
  },
  svgEl("rect", { x: 0, y: 0, width: w, height: h, fill: themeColor("--surface") }),
  svgEl("text", { x: left, y: 18, fill: text, "font-weight": "bold" }, title),
  svgEl("line", { x1: left, y1: h - bottom, x2: w - 8, y2: h - bottom, stroke: line }),
  svgEl("text", { x: left - 6, y: top + 4, fill: text, "text-anchor": "end" }, String(max)),
  bars.map((b, i) => {
    const bh = ((h - bottom - top) * b.value) / max;
    const x = left + i * slot + slot * 0.15;
    return svgEl("g", { class: "bar", "data-label": b.label, "data-value": b.value },
      svgEl("rect", { x, y: h - bottom - bh, width: slot * 0.7, height: bh, fill: b.color }),
      svgEl("text", { x: x + slot * 0.35, y: h - bottom + 16, fill: text, "text-anchor": "middle" }, b.label),
      b.value > 0 ? svgEl("text", { x: x + slot * 0.35, y: h - bottom - bh - 4, fill: text, "text-anchor": "middle" }, String(b.value)) : null);
  }));
  return chart;
}

function npsChart(r) {
  const danger = themeColor("--danger"), warn = themeColor("--warn"), ok = themeColor("--ok");
  return barChart("dashboard-nps-chart", t("dashboard.nps_chart"), r.overall.nps.distribution.map((n, score) => ({
    label: String(score), value: n, color: score <= 6 ? danger : score <= 8 ? warn : ok,
  })));
}

function dayChart(r) {
  const accent = themeColor("--accent");
  return barChart("dashboard-day-chart", t("dashboard.day_chart"), r.by_day.map((d) => ({
    label: d.key.slice(5), value: d.completes, color: accent,
  })));
}

function table(id, caption, head, rows) {
  return el("table", { id },
    el("caption", {}, caption),
    el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c, i) => i === 0 ? el("th", { scope: "row" }, c) : el("td", {}, c))))));
}

function scoresRow(g, withChange) {
  const row = [g.label, formatNumber(g.scores.interviews), fixed(g.scores.nps.score), fixed(g.scores.csat.score), fixed(g.scores.ces.mean, 2)];
  if (withChange) {
    const c = g.change || {};
    row.push(signed(c.nps), signed(c.csat), signed(c.ces, 2));
  }
  return row;
}

function renderReport(r) {
  const o = r.overall;
  const work = (rows, first) => rows.map((w) => [
    w.key || (first ? t("dashboard.this_device") : "–"), formatNumber(w.completes), formatNumber(w.units_worked),
    w.response_rate === null ? "–" : `${fixed(w.response_rate)} %`, fixed(w.median_minutes),
  ]);
  const workHead = [t("dashboard.completes"), t("dashboard.worked"), t("dashboard.response_rate"), t("dashboard.median_minutes")];
  const scoreHead = [t("dashboard.interviews"), t("dashboard.nps"), t("dashboard.csat"), t("dashboard.ces")];
  return el("div", { id: "dashboard-report" },
    styled(el("dl", { class: "figures", id: "dashboard-figures" },
      el("dt", {}, t("dashboard.completes")), el("dd", { id: "dashboard-completes" }, formatNumber(r.completes)),
      el("dt", {}, t("dashboard.median_minutes")), el("dd", { id: "dashboard-median" }, fixed(r.median_minutes)),
      el("dt", {}, t("dashboard.nps")), el("dd", { id: "dashboard-nps" }, fixed(o.nps.score)),
      el("dt", {}, t("dashboard.csat")), el("dd", { id: "dashboard-csat" }, o.csat.score === null ? "–" : `${fixed(o.csat.score)} %`),
      el("dt", {}, t("dashboard.ces")), el("dd", { id: "dashboard-ces" }, fixed(o.ces.mean, 2))),
    "display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem;"),
    styled(el("div", { class: "charts" }, npsChart(r), dayChart(r)), "display: flex; flex-wrap: wrap; gap: 1rem; margin: 1rem 0;"),
    table("dashboard-interviewers", t("dashboard.by_interviewer"), [t("dashboard.interviewer"), ...workHead], work(r.by_interviewer, true)),
    table("dashboard-days", t("dashboard.by_day"), [t("dashboard.day"), ...workHead], work(r.by_day, false)),
    r.by_segment.length ? table("dashboard-segments", t("dashboard.by_segment"), [t("dashboard.segment"), ...scoreHead], r.by_segment.map((g) => scoresRow(g, false))) : null,
    r.by_wave.length ? table("dashboard-waves", t("dashboard.by_wave"), [t("dashboard.wave"), ...scoreHead, t("dashboard.change", t("dashboard.nps")), t("dashboard.change", t("dashboard.csat")), t("dashboard.change", t("dashboard.ces"))], r.by_wave.map((g) => scoresRow(g, true))) : null);
}

async function renderDashboard(params) {
  const studies = await attempt(() => api.listStudies());
  if (!studies) return null;
  dashboard.studies = studies;
  if (params.study) dashboard.study = params.study;
  if (!dashboard.study || !studies.some((s) => s.id === dashboard.study)) dashboard.study = studies[0]?.id ?? null;
  dashboard.report = null;
  if (dashboard.study) {
    dashboard.report = await attempt(() => api.dashboardReport(dashboard.study, null));
  }
  const picker = el("fieldset", { class: "formats", id: "dashboard-studies" },
    el("legend", {}, t("dashboard.study")),
    studies.slice(0, 9).map((s, i) => el("label", { class: "format-option" },
      el("input", {
        type: "radio", name: "dashboard-study", value: s.id, id: `dashboard-study-${i + 1}`,
        checked: s.id === dashboard.study, "data-autofocus": s.id === dashboard.study ? true : null,
        onchange: () => go("dashboard", { study: s.id }),
      }),
      el("kbd", {}, String(i + 1)), " ", s.title)));
  const dir = el("input", {
    type: "text", id: "dashboard-dir", class: "text-answer", value: dashboard.dir, autocomplete: "off",
    oninput: () => { dashboard.dir = dir.value; },
  });
  return el("section", { id: "dashboard", "aria-labelledby": "dashboard-title" },
    el("h1", { id: "dashboard-title" }, t("dashboard.title")),
    picker,
    dashboard.report ? renderReport(dashboard.report) : el("p", { class: "muted" }, t("dashboard.no_study")),
    el("label", { for: "dashboard-dir" }, t("dashboard.folder")),
    el("div", { class: "folder-row" },
      dir,
      el("button", { type: "button", id: "dashboard-choose", onclick: chooseDashboardFolder }, t("dashboard.choose"))),
    el("p", { id: "dashboard-result", class: "notice", role: "status", hidden: true }, ""),
    el("p", { id: "q-error", class: "field-error", "aria-live": "assertive" }, ""),
    el("div", { class: "nav" },
      el("button", { type: "button", id: "dashboard-back", onclick: () => showHome() }, t("dashboard.back"), el("kbd", {}, "Esc")),
      el("button", { type: "button", id: "dashboard-save", class: "primary", onclick: saveDashboard }, t("dashboard.save"), el("kbd", {}, "Alt+S"))));
}

async function chooseDashboardFolder() {
  const chosen = await attempt(() => api.chooseFolder(t("dashboard.choose_title")));
  if (typeof chosen === "string" && chosen) {
    dashboard.dir = chosen;
    const input = document.getElementById("dashboard-dir");
    if (input) input.value = chosen;
  }
  document.getElementById("dashboard-dir")?.focus();
}

/** Draws an SVG chart to a canvas and returns its PNG bytes as an array of numbers. */
function chartPng(svg) {
  return new Promise((resolve, reject) => {
    const text = new XMLSerializer().serializeToString(svg);
    const img = new Image();
    img.onload = () => {
      const canvas = document.createElement("canvas");
      canvas.width = svg.width.baseVal.value;
      canvas.height = svg.height.baseVal.value;
      canvas.getContext("2d").drawImage(img, 0, 0);
      canvas.toBlob((blob) => {
        if (!blob) { reject({ code: "internal", message: t("dashboard.png_failed") }); return; }
        blob.arrayBuffer().then((b) => resolve(Array.from(new Uint8Array(b))), reject);
      }, "image/png");
    };
    img.onerror = () => reject({ code: "internal", message: t("dashboard.png_failed") });
    img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(text);
  });
}

async function saveDashboard() {
  if (!dashboard.study) return;
  const dir = (document.getElementById("dashboard-dir")?.value || "").trim();
  dashboard.dir = dir;
  document.getElementById("q-error").textContent = "";
  const charts = [];
  for (const [name, id] of [["nps", "dashboard-nps-chart"], ["completes", "dashboard-day-chart"]]) {
    const svg = document.getElementById(id);
    if (!svg) continue;
    const png = await attempt(() => chartPng(svg));
    if (!png) return;
    charts.push({ name, png });
  }
  const files = await attempt(() => api.dashboardSave(dashboard.study, null, dir, charts));
  const result = document.getElementById("dashboard-result");
  if (files && result) {
    result.textContent = t("dashboard.saved", files.length, dir);
    result.hidden = false;
  }
  document.getElementById("dashboard-save")?.focus();
}

registerScreen("dashboard", {
  title: () => t("dashboard.title"),
  render: renderDashboard,
  shortcuts: () => [["1–9", t("dashboard.key_study")], ["Alt+S", t("dashboard.key_save")], ["Esc", t("dashboard.key_back")]],
  onKey(ev) {
    if (ev.key === "Escape") {
      showHome();
      return true;
    }
    if (ev.altKey && (ev.key === "s" || ev.key === "S")) {
      saveDashboard();
      return true;
    }
    if ((!isTyping(ev.target) || ev.target.type === "radio") && /^[1-9]$/.test(ev.key) && !ev.altKey && !ev.ctrlKey) {
      const s = dashboard.studies[Number(ev.key) - 1];
      if (s) go("dashboard", { study: s.id });
      return true;
    }
    return false;
  },
});

registerHomeAction({ id: "dashboard", key: "D", label: () => t("dashboard.open"), run: () => go("dashboard") });
