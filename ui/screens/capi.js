// screens/capi.js: face-to-face work: the assignments dashboard, an assignment's detail, visits, consent, and interview hooks (identifying header, respondent mode, show cards).
"use strict";

const capi = {
  filter: { search: "", status: "", area: "", due_by: "" },
  searchTimer: null,
  notice: null, // a one-off message on the next assignment screen
  // The assignment of the interview on screen: {interviewId, assignment} once fetched.
  linked: { interviewId: null, assignment: null },
  // Respondent mode: the interview handed over. The PIN's salted hash is in the database, so the lock survives a restart.
  respondent: null, // {interviewId}
  lockChecked: false, // whether the start-up check for a lock left by a restart has run
};

// The CAPI screens' styles live beside this file (the window's CSP allows only stylesheet files).
document.head.append(el("link", { rel: "stylesheet", href: "screens/capi.css" }));

/** Runs an action whose result is nothing; true when it succeeded (attempt has shown any failure). */
async function succeeded(action) {
  let ok = false;
  await attempt(async () => { await action(); ok = true; });
  return ok;
}

// ---------------------------------------------------------------- dashboard

function statusLabel(status) {
  return t(`capi.status.${status}`);
}

function dashboardFilter() {
  const f = capi.filter;
  return { search: f.search || null, status: f.status || null, area: f.area || null, due_by: f.due_by || null };
}

async function renderDashboard() {
  const dash = await api.capiDashboard(dashboardFilter());
  const f = capi.filter;
  const search = el("input", {
    id: "capi-search", type: "search", value: f.search, placeholder: t("capi.search"), "aria-label": t("capi.search"), autocomplete: "off",
  });
  search.addEventListener("input", () => {
    clearTimeout(capi.searchTimer);
    capi.searchTimer = setTimeout(() => { f.search = search.value; updateDashboard(); }, 150);
  });
  const status = el("select", { id: "capi-status" },
    el("option", { value: "" }, t("capi.any")),
    ["new", "started", "visited_no_contact", "done"].map((s) => el("option", { value: s, selected: f.status === s }, statusLabel(s))));
  status.addEventListener("change", () => { f.status = status.value; updateDashboard(); });
  const area = el("select", { id: "capi-area" },
    el("option", { value: "" }, t("capi.any")),
    dash.areas.map((a) => el("option", { value: a, selected: f.area === a }, a)));
  area.addEventListener("change", () => { f.area = area.value; updateDashboard(); });
  const due = el("input", { id: "capi-due", type: "date", value: f.due_by });
  due.addEventListener("change", () => { f.due_by = due.value; updateDashboard(); });

  const notice = capi.notice;
  capi.notice = null;
  const section = el("section", { id: "capi-dashboard", "aria-labelledby": "capi-title" },
    el("h1", { id: "capi-title" }, t("capi.dashboard_title")),
    notice ? el("p", { class: "notice", role: "status" }, notice) : null,
    el("div", { class: "capi-filters" },
      el("label", {}, el("span", {}, t("capi.search"), " ", el("kbd", {}, "/")), search),
      el("label", {}, t("capi.status"), status),
      el("label", {}, t("capi.area"), area),
      el("label", {}, t("capi.due_by"), due)),
    el("div", { class: "capi-counts", id: "capi-counts" }),
    el("p", { class: "muted", id: "capi-matching", role: "status" }),
    el("div", { id: "capi-list" }),
    el("p", { class: "keys muted" }, t("capi.dashboard_keys")));
  fillDashboard(section, dash);
  const first = section.querySelector(".capi-row") || search;
  first.setAttribute("data-autofocus", "");
  return section;
}

/** Fills counts and rows in place, so typing in the search box keeps its focus. */
function fillDashboard(root, dash) {
  const f = capi.filter;
  // Statuses in the order work moves through them, not alphabetically.
  const order = ["new", "started", "visited_no_contact", "done"];
  const counts = order.filter((s) => s in dash.counts).map((s) => [s, dash.counts[s]]);
  root.querySelector("#capi-counts").replaceChildren(...counts.map(([s, n]) =>
    el("button", {
      type: "button", id: `capi-count-${s}`, "data-status": s, "aria-pressed": f.status === s ? "true" : "false",
      onclick: () => { f.status = f.status === s ? "" : s; refresh(); },
    }, statusLabel(s), " ", el("strong", {}, formatNumber(n)))));
  root.querySelector("#capi-matching").textContent = dash.rows.length < dash.matching
    ? t("capi.more", dash.rows.length, dash.matching) : t("capi.matching", dash.matching);
  const list = dash.rows.length === 0 ? el("p", { class: "muted" }, t("capi.none")) : el("table", { id: "capi-table" },
    el("thead", {}, el("tr", {},
      ["col_id", "col_address", "col_area", "col_due", "col_status", "col_progress"].map((c) => el("th", { scope: "col" }, t(`capi.${c}`))))),
    el("tbody", {}, dash.rows.map((a) =>
      el("tr", { class: "capi-row", tabindex: "0", "data-id": a.id, "data-status": a.status, onclick: () => openAssignment(a.id) },
        el("td", { class: "mono" }, a.id),
        el("td", {}, a.address),
        el("td", {}, a.area),
        el("td", {}, a.due || ""),
        el("td", {}, statusLabel(a.status)),
        el("td", {}, t("capi.progress", a.completed, a.target))))));
  root.querySelector("#capi-list").replaceChildren(list);
}

async function updateDashboard() {
  const dash = await attempt(() => api.capiDashboard(dashboardFilter()));
  const root = document.getElementById("capi-dashboard");
  if (dash && root) fillDashboard(root, dash);
}

function openAssignment(id) {
  return attempt(() => go("capi-assignment", { id }));
}

function moveRow(step) {
  const rows = [...mainEl.querySelectorAll(".capi-row")];
  if (rows.length === 0) return;
  const at = rows.indexOf(document.activeElement);
  const next = at < 0 ? (step > 0 ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, at + step));
  rows[next].focus();
}

registerScreen("capi-dashboard", {
  title: () => t("capi.assignments"),
  render: renderDashboard,
  shortcuts: () => [
    ["/", t("capi.key_search")],
    ["↑ ↓", t("capi.key_move")],
    ["Enter", t("capi.key_open")],
    ["Esc", t("capi.key_home")],
  ],
  onKey(ev) {
    const row = ev.target.closest ? ev.target.closest(".capi-row") : null;
    if (ev.key === "Escape") {
      if (isTyping(ev.target)) { ev.target.blur(); mainEl.querySelector(".capi-row")?.focus(); return true; }
      showHome();
      return true;
    }
    if (ev.key === "ArrowDown" && (row || ev.target.id === "capi-search")) { moveRow(1); return true; }
    if (ev.key === "ArrowUp" && row) { moveRow(-1); return true; }
    if (ev.key === "Enter" && row) { openAssignment(row.dataset.id); return true; }
    if (ev.key === "/" && !isTyping(ev.target)) { document.getElementById("capi-search")?.focus(); return true; }
    return false;
  },
});

registerHomeAction({
  id: "assignments",
  key: t("capi.assignments_key"),
  label: () => t("capi.assignments"),
  run: () => go("capi-dashboard"),
});

// ---------------------------------------------------------------- assignment detail

function fieldList(a) {
  const rows = [
    [t("capi.col_id"), a.id],
    [t("capi.col_address"), a.address],
    [t("capi.col_area"), a.area],
    [t("capi.col_due"), a.due || ""],
    [t("capi.interviewer"), a.interviewer],
    [t("capi.col_status"), statusLabel(a.status)],
    [t("capi.target"), t("capi.progress", a.completed, a.target)],
    ...a.preload.map((p) => [p.name, p.value]),
  ];
  return el("dl", { class: "capi-fields", id: "capi-fields" }, rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

async function renderAssignment(params) {
  const d = await api.capiAssignment(params.id);
  const a = d.assignment;
  const notice = capi.notice;
  capi.notice = null;
  const interviews = d.interviews.length === 0 ? el("p", { class: "muted" }, t("capi.no_interviews")) : el("table", { id: "capi-interviews" },
    el("tbody", {}, d.interviews.map((i, n) =>
      el("tr", { "data-id": i.id, "data-status": i.status },
        el("td", {}, formatNumber(n + 1)),
        el("td", {}, t(`capi.interview_status.${i.status}`)),
        el("td", {}, formatDateTime(i.updated_at)),
        el("td", {}, i.status === "completed" ? "" : el("button", { type: "button", class: "resume", onclick: () => resumeInterview(i.id) }, t("capi.resume")))))));
  const visits = d.visits.length === 0 ? el("p", { class: "muted" }, t("capi.no_visits")) : el("table", { id: "capi-visits" },
    el("thead", {}, el("tr", {}, ["col_time", "col_reason", "col_aapor", "col_revisit"].map((c) => el("th", { scope: "col" }, t(`capi.${c}`))))),
    el("tbody", {}, d.visits.map((v) =>
      el("tr", { "data-id": v.id, "data-reason": v.reason },
        el("td", {}, formatDateTime(v.visited_at)),
        el("td", {}, t(`capi.reason.${v.reason}`), v.note ? el("div", { class: "muted" }, v.note) : null),
        el("td", { class: "mono", title: v.aapor_label }, v.aapor_code),
        el("td", {}, v.revisit_at ? formatDateTime(v.revisit_at) : "")))));
  const start = el("button", { type: "button", class: "primary", id: "capi-start", disabled: a.status === "done", onclick: () => startForAssignment(a.id) },
    t("capi.start_interview"), " ", el("kbd", {}, t("capi.start_key")));
  const section = el("section", { id: "capi-assignment", "data-id": a.id, "data-status": a.status, "aria-labelledby": "capi-detail-title" },
    el("h1", { id: "capi-detail-title" }, a.address),
    notice ? el("p", { class: "notice", role: "status" }, notice) : null,
    fieldList(a),
    el("div", { class: "capi-actions" },
      start,
      el("button", { type: "button", id: "capi-visit", onclick: () => openVisitDialog(a.id) }, t("capi.record_visit"), " ", el("kbd", {}, t("capi.visit_key"))),
      el("button", { type: "button", id: "capi-back", class: "link", onclick: () => attempt(() => go("capi-dashboard")) }, t("capi.back"), " ", el("kbd", {}, "Esc"))),
    el("h2", {}, t("capi.interviews")),
    interviews,
    el("h2", {}, t("capi.visits")),
    visits,
    el("p", { class: "keys muted" }, t("capi.detail_keys")));
  (section.querySelector("button.resume") || (a.status === "done" ? section.querySelector("#capi-visit") : start)).setAttribute("data-autofocus", "");
  return section;
}

registerScreen("capi-assignment", {
  title: () => t("capi.detail_title"),
  render: renderAssignment,
  shortcuts: () => [
    [t("capi.start_key"), t("capi.start_interview")],
    [t("capi.visit_key"), t("capi.record_visit")],
    ["Esc", t("capi.back")],
  ],
  onKey(ev, params) {
    if (isTyping(ev.target) || ev.ctrlKey || ev.altKey || ev.metaKey) return false;
    const key = ev.key.toUpperCase();
    if (ev.key === "Escape") { attempt(() => go("capi-dashboard")); return true; }
    if (key === t("capi.start_key") || ev.code === "KeyN") { document.getElementById("capi-start")?.click(); return true; }
    if (key === t("capi.visit_key") || ev.code === "KeyV") { openVisitDialog(params.id); return true; }
    return false;
  },
});

/** Opens a modal dialog built by `build(close)`; focus returns where it was when it closes. */
function capiDialog(id, className, build) {
  const previous = document.activeElement;
  const dialog = el("dialog", { id, class: className });
  const close = () => dialog.close();
  // Keys pressed in the dialog belong to it alone, never to the screen underneath.
  dialog.addEventListener("keydown", (ev) => ev.stopPropagation());
  dialog.append(...build(close, dialog));
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (previous && previous.isConnected) previous.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  (dialog.querySelector("[data-autofocus]") || dialog.querySelector("button"))?.focus();
  return dialog;
}

const VISIT_REASONS = ["nobody_home", "refused", "address_not_found", "other"];

function openVisitDialog(assignmentId) {
  let reason = null;
  capiDialog("capi-visit-dialog", "capi-dialog", (close, dialog) => {
    const buttons = VISIT_REASONS.map((r, i) => el("button", {
      type: "button", "data-reason": r, "aria-pressed": "false", "data-autofocus": i === 0,
      onclick: () => pick(r),
    }, el("kbd", {}, String(i + 1)), " ", t(`capi.reason.${r}`)));
    function pick(r) {
      reason = r;
      for (const b of buttons) b.setAttribute("aria-pressed", b.dataset.reason === r ? "true" : "false");
    }
    const revisit = el("input", { id: "capi-revisit", type: "datetime-local" });
    const note = el("input", { id: "capi-note", type: "text", autocomplete: "off" });
    const error = el("p", { class: "field-error", id: "capi-visit-error", "aria-live": "assertive" });
    async function save() {
      if (!reason) { error.textContent = t("capi.choose_reason"); return; }
      const revisitAt = revisit.value ? new Date(revisit.value).getTime() : null;
      try {
        const v = await api.capiRecordVisit({ assignment_id: assignmentId, reason, revisit_at: revisitAt, note: note.value || null });
        capi.notice = t("capi.visit_saved", v.aapor_code);
        close();
        await attempt(() => go("capi-assignment", { id: assignmentId }));
      } catch (e) {
        error.textContent = e.message || t("error.unexpected");
      }
    }
    dialog.addEventListener("keydown", (ev) => {
      if (/^[1-4]$/.test(ev.key) && !isTyping(ev.target)) { pick(VISIT_REASONS[Number(ev.key) - 1]); ev.preventDefault(); }
      if (ev.key === "Enter" && !(ev.target instanceof HTMLButtonElement && ev.target.dataset.reason === undefined)) {
        if (ev.target.dataset.reason) pick(ev.target.dataset.reason);
        save();
        ev.preventDefault();
      }
    });
    return [
      el("h2", {}, t("capi.visit_title")),
      el("p", {}, t("capi.visit_reason")),
      el("div", { class: "capi-reasons", role: "group" }, buttons),
      el("label", {}, t("capi.revisit"), el("br"), revisit),
      el("br"),
      el("label", {}, t("capi.note"), el("br"), note),
      error,
      el("div", { class: "capi-actions" },
        el("button", { type: "button", class: "primary", id: "capi-visit-save", onclick: save }, t("capi.save_visit"), " ", el("kbd", {}, "Enter")),
        el("button", { type: "button", class: "link", onclick: close }, t("capi.cancel"), " ", el("kbd", {}, "Esc"))),
    ];
  });
}

// ---------------------------------------------------------------- consent and starting an interview

/** Asks for consent with the exact wording recorded; resolves to true (agrees) or false. */
function askConsent(interviewId) {
  return new Promise((resolve) => {
    let answered = false;
    const statement = t("capi.consent_statement");
    const record = async (given, close) => {
      if (answered) return;
      answered = true;
      const ok = await attempt(() => api.capiRecordConsent(interviewId, given, statement));
      close();
      resolve(ok ? given : null);
    };
    const dialog = capiDialog("capi-consent", "capi-dialog", (close) => [
      el("h2", {}, t("capi.consent_title")),
      el("p", { id: "capi-consent-statement" }, statement),
      el("div", { class: "capi-actions" },
        el("button", { type: "button", class: "primary", id: "capi-consent-yes", "data-autofocus": true, onclick: () => record(true, close) },
          t("capi.consent_given"), " ", el("kbd", {}, t("capi.consent_given_key"))),
        el("button", { type: "button", id: "capi-consent-no", onclick: () => record(false, close) },
          t("capi.consent_refused"), " ", el("kbd", {}, t("capi.consent_refused_key")))),
    ]);
    dialog.addEventListener("keydown", (ev) => {
      const key = ev.key.toUpperCase();
      if (key === t("capi.consent_given_key") || ev.code === "KeyY") { dialog.querySelector("#capi-consent-yes").click(); ev.preventDefault(); }
      if (key === t("capi.consent_refused_key") || ev.code === "KeyX") { dialog.querySelector("#capi-consent-no").click(); ev.preventDefault(); }
    });
    // Esc closes without an answer: nothing is recorded and the interview waits.
    dialog.addEventListener("close", () => { if (!answered) resolve(null); });
  });
}

async function startForAssignment(assignmentId) {
  const screen = await attempt(() => api.capiStartInterview(assignmentId));
  if (!screen) return;
  const given = await askConsent(screen.interview_id);
  if (given === true) {
    await showInterview(screen);
    return;
  }
  // Refused or left unanswered: the interview is left paused and the assignment shown again.
  await succeeded(() => api.pauseInterview(screen.interview_id));
  if (given === false) capi.notice = t("capi.consent_refused_notice");
  await attempt(() => go("capi-assignment", { id: assignmentId }));
}

// ---------------------------------------------------------------- interview hooks

/** The header above an assignment interview's questions: identifying fields (read-only) and CAPI tools. */
function assignmentBar(a) {
  const ident = [
    [t("capi.col_id"), a.id],
    [t("capi.col_address"), a.address],
    ...a.preload.map((p) => [p.name, p.value]),
  ];
  return el("div", { class: "capi-bar", id: "capi-bar", "data-assignment": a.id },
    el("div", { class: "capi-ident", id: "capi-ident" }, ident.map(([k, v]) => el("span", {}, el("b", {}, k), v))),
    el("div", { class: "capi-tools" },
      el("button", { type: "button", id: "capi-handover", onclick: handOver }, t("capi.handover"), " ", el("kbd", {}, t("capi.handover_key"))),
      el("button", { type: "button", id: "capi-show-card", onclick: showCard }, t("capi.show_card"), " ", el("kbd", {}, t("capi.show_card_key"))),
      el("button", { type: "button", id: "capi-consent-again", onclick: consentAgain }, t("capi.consent"), " ", el("kbd", {}, t("capi.consent_key")))),
    capi.respondent ? el("p", { class: "notice", id: "capi-respondent-banner" }, t("capi.respondent_banner")) : null);
}

/** Puts the assignment header on the interview screen each time the screen is drawn. */
async function decorateInterview() {
  const section = document.getElementById("interview");
  const s = typeof iv !== "undefined" ? iv.screen : null;
  if (!section || !s) return;
  if (capi.linked.interviewId !== s.interview_id) {
    capi.linked = { interviewId: s.interview_id, assignment: null };
    const a = await attempt(() => api.capiInterviewAssignment(s.interview_id));
    if (capi.linked.interviewId === s.interview_id) capi.linked.assignment = a;
  }
  const current = document.getElementById("interview");
  if (capi.linked.assignment && current && !current.querySelector("#capi-bar")) current.prepend(assignmentBar(capi.linked.assignment));
}

function syncLock() {
  const onInterview = Boolean(document.getElementById("interview"));
  document.body.classList.toggle("capi-locked", Boolean(capi.respondent) && !onInterview);
  mainEl.dataset.locked = t("capi.locked");
}

new MutationObserver(() => {
  syncLock();
  decorateInterview();
  if (!capi.lockChecked) { capi.lockChecked = true; reopenLocked(); }
}).observe(mainEl, { childList: true });

/** At start-up: an interview left in respondent mode (the app was closed or crashed) reopens locked. */
async function reopenLocked() {
  const id = await attempt(() => api.capiRespondentLock());
  if (!id) return;
  capi.respondent = { interviewId: id };
  let screen = null;
  try {
    screen = await api.resumeInterview(id);
  } catch (e) {
    // The respondent finished the interview before the restart: the window stays locked until the PIN.
  }
  if (screen) await showInterview(screen);
  enterRespondentMode();
}

function interviewId() {
  return current.name === "interview" && iv.screen ? iv.screen.interview_id : null;
}

function handOver() {
  const id = interviewId();
  if (!id || capi.respondent) return;
  capiDialog("capi-pin-set", "capi-dialog", (close) => {
    const pin = el("input", { id: "capi-pin", type: "password", inputmode: "numeric", autocomplete: "off", "data-autofocus": true, "aria-label": t("capi.pin") });
    const error = el("p", { class: "field-error", "aria-live": "assertive" });
    async function start() {
      if (!/^[0-9]{4,}$/.test(pin.value)) { error.textContent = t("capi.pin_short"); return; }
      if (!(await succeeded(() => api.capiRespondentMode(id, true, pin.value)))) return;
      capi.respondent = { interviewId: id };
      close();
      enterRespondentMode();
    }
    pin.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); start(); } });
    return [
      el("h2", {}, t("capi.pin_set_title")),
      el("p", {}, t("capi.pin_set_help")),
      el("label", {}, t("capi.pin"), el("br"), pin),
      error,
      el("div", { class: "capi-actions" },
        el("button", { type: "button", class: "primary", id: "capi-pin-start", onclick: start }, t("capi.pin_start"), " ", el("kbd", {}, "Enter")),
        el("button", { type: "button", class: "link", onclick: close }, t("capi.cancel"), " ", el("kbd", {}, "Esc"))),
    ];
  });
}

function enterRespondentMode() {
  document.body.classList.add("capi-respondent");
  document.body.append(el("button", { type: "button", id: "capi-return", onclick: askReturn }, t("capi.return"), " ", el("kbd", {}, t("capi.handover_key"))));
  document.getElementById("capi-bar")?.append(el("p", { class: "notice", id: "capi-respondent-banner" }, t("capi.respondent_banner")));
  syncLock();
  focusInterviewTarget();
}

function focusInterviewTarget() {
  (document.getElementById("q-text") || document.getElementById("q-label"))?.focus();
}

function askReturn() {
  const r = capi.respondent;
  if (!r) return;
  capiDialog("capi-pin-return", "capi-dialog", (close) => {
    const pin = el("input", { id: "capi-pin-check", type: "password", inputmode: "numeric", autocomplete: "off", "data-autofocus": true, "aria-label": t("capi.pin") });
    const error = el("p", { class: "field-error", id: "capi-pin-error", "aria-live": "assertive" });
    async function check() {
      try {
        // The device checks the PIN against its stored hash; a closed interview still comes back.
        await api.capiRespondentMode(r.interviewId, false, pin.value);
      } catch (e) {
        error.textContent = e.code === "validation" ? t("capi.pin_wrong") : (e.message || t("error.unexpected"));
        pin.value = "";
        return;
      }
      capi.respondent = null;
      close();
      document.body.classList.remove("capi-respondent");
      document.getElementById("capi-return")?.remove();
      document.getElementById("capi-respondent-banner")?.remove();
      syncLock();
      focusInterviewTarget();
    }
    pin.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); check(); } });
    return [
      el("h2", {}, t("capi.return_title")),
      el("p", {}, t("capi.return_help")),
      el("label", {}, t("capi.pin"), el("br"), pin),
      error,
      el("div", { class: "capi-actions" },
        el("button", { type: "button", class: "primary", id: "capi-pin-confirm", onclick: check }, t("capi.return_confirm"), " ", el("kbd", {}, "Enter")),
        el("button", { type: "button", class: "link", onclick: close }, t("capi.cancel"), " ", el("kbd", {}, "Esc"))),
    ];
  });
}

function showCard() {
  const id = interviewId();
  const q = iv.screen && iv.screen.question;
  if (!id || !q || q.choices.length === 0) return;
  succeeded(() => api.capiShowCard(id));
  capiDialog("capi-card", "capi-card", (close) => [
    el("h2", {}, q.label),
    el("ol", {}, q.choices.map((c) => el("li", {}, c.label))),
    el("button", { type: "button", class: "primary", "data-autofocus": true, onclick: close }, t("capi.card_close"), " ", el("kbd", {}, "Esc")),
    el("p", { class: "muted" }, t("capi.card_keys")),
  ]);
}

async function consentAgain() {
  const id = interviewId();
  if (id) await askConsent(id);
}

// Runs before the screens' own keys: in respondent mode only answering keys
// pass, so the respondent cannot leave the interview or see interviewer tools.
window.addEventListener("keydown", (ev) => {
  if (document.querySelector("dialog[open]")) return;
  const key = ev.key.toUpperCase();
  if (capi.respondent) {
    if (ev.altKey && (key === "H" || ev.code === "KeyH")) { ev.preventDefault(); ev.stopImmediatePropagation(); askReturn(); return; }
    if (ev.key === "Escape" || ev.key === "?" || (ev.altKey && ev.key !== "ArrowLeft")) { ev.preventDefault(); ev.stopImmediatePropagation(); }
    return;
  }
  if (current.name !== "interview" || !ev.altKey || !capi.linked.assignment) return;
  // The physical key as well, so the shortcuts work on a Ukrainian or Russian layout.
  const action = { H: handOver, S: showCard, C: consentAgain }[key] || { KeyH: handOver, KeyS: showCard, KeyC: consentAgain }[ev.code];
  if (action) { ev.preventDefault(); ev.stopImmediatePropagation(); action(); }
}, true);

// The interview's `?` sheet lists the CAPI keys too, for interviews started from an assignment.
{
  const interviewScreen = screens.get("interview");
  const own = interviewScreen && interviewScreen.shortcuts;
  if (interviewScreen) {
    interviewScreen.shortcuts = () => [
      ...(own ? own() : []),
      ...(capi.linked.assignment ? [
        [t("capi.handover_key"), t("capi.handover")],
        [t("capi.show_card_key"), t("capi.show_card")],
        [t("capi.consent_key"), t("capi.consent")],
      ] : []),
    ];
  }
}
