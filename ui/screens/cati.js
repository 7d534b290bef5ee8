// screens/cati.js: the call screen: next case, case card, dial, call timer, one key per outcome, appointments, hand-over to the questionnaire.
"use strict";

const cati = {
  card: null, // the case card from Rust (CaseCard) of the call in progress
  decision: null, // the scheduler's decision that chose it
  outcomes: [], // the study's outcome table
  quotas: [], // the study's quota cells (QuotaView): local and last server counts
  interviewer: "",
  startedAt: null, // when the card was shown: the call's start
  timer: null,
  active: null, // {studyId, caseId, interviewId, phoneIndex, startedAt} while a questionnaire started here runs
  notice: null,
};

registerHomeAction({ id: "cati", key: "C", label: () => t("cati.home_action"), run: () => go("cati") });

/** An outcome's name in the interface language, or its English label from the table. */
function outcomeLabel(name) {
  const key = `cati.outcome.${name}`;
  const text = t(key);
  if (text !== key) return text;
  const o = cati.outcomes.find((x) => x.name === name);
  return o ? o.label : name;
}

/** A moment in the respondent's own zone, e.g. "Mon 18:05". */
function respondentTime(ms, zone) {
  return new Intl.DateTimeFormat(locale(), { weekday: "short", hour: "2-digit", minute: "2-digit", timeZone: zone }).format(new Date(ms));
}

function tickTimer() {
  const node = document.getElementById("cati-timer");
  if (!node) {
    clearInterval(cati.timer);
    cati.timer = null;
    return;
  }
  const s = Math.max(0, Math.floor((Date.now() - cati.startedAt) / 1000));
  node.textContent = `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

/** Records what happened to a questionnaire started from this screen, once the interviewer is back. */
async function settleInterview() {
  const a = cati.active;
  cati.active = null;
  const list = await api.listInterviews();
  const iv = list.find((i) => i.id === a.interviewId);
  if (iv && iv.status === "completed") {
    await api.catiRecord({ studyId: a.studyId, caseId: a.caseId, outcome: "complete", startedAt: a.startedAt, phoneIndex: a.phoneIndex, interviewId: a.interviewId });
    cati.notice = t("cati.interview_done");
    return;
  }
  // Broken off or paused: a partial, with an appointment to resume when one is booked.
  const when = await appointmentDialog(a.zone);
  await api.catiRecord({
    studyId: a.studyId, caseId: a.caseId, outcome: "partial", startedAt: a.startedAt, phoneIndex: a.phoneIndex,
    interviewId: a.interviewId, appointmentAt: when.ok ? when.startsAt : null, hard: when.hard,
  });
  cati.notice = t("cati.interview_partial");
}

async function renderCati() {
  if (cati.active) await settleInterview();
  const next = await api.catiNext();
  cati.decision = next.decision;
  cati.card = next.case;
  setSave("idle");
  const notice = cati.notice;
  cati.notice = null;
  if (!cati.card) return renderNoCase(next, notice);
  const setup = await api.catiSetup(cati.card.study_id);
  cati.outcomes = setup.outcomes;
  cati.quotas = setup.quotas || [];
  cati.interviewer = setup.interviewer;
  cati.startedAt = Date.now();
  if (!cati.timer) cati.timer = setInterval(tickTimer, 1000);
  return buildCard(cati.card, notice);
}

function renderNoCase(next, notice) {
  const reasons = Object.entries(next.decision.reasons || {}).map(([code, n]) => el("li", { "data-reason": code }, t(`cati.none_reason.${code}`, n)));
  return el("section", { id: "cati", "aria-labelledby": "cati-title" },
    el("h1", { id: "cati-title" }, t("cati.title")),
    notice ? el("p", { class: "notice", role: "status" }, notice) : null,
    el("p", { id: "cati-none" }, t("cati.none")),
    el("ul", { id: "cati-reasons" }, reasons),
    next.next_due_at ? el("p", { class: "muted" }, t("cati.next_due", formatDateTime(next.next_due_at))) : null,
    el("div", { class: "actions" },
      el("button", { type: "button", id: "cati-next", class: "primary", "data-autofocus": true, onclick: () => refresh() }, t("cati.next"), el("kbd", {}, "G")),
      el("button", { type: "button", id: "cati-home", onclick: () => showHome() }, t("cati.home"), el("kbd", {}, "Esc"))));
}

function buildCard(c, notice) {
  const phone = c.phones[c.phone_index ?? 0] || "";
  const keyed = cati.outcomes.filter((o) => o.key);
  const history = c.history.length === 0
    ? el("p", { class: "muted" }, t("cati.no_history"))
    : el("table", { id: "cati-history" },
      el("thead", {}, el("tr", {},
        el("th", { scope: "col" }, t("cati.col_when")),
        el("th", { scope: "col" }, t("cati.col_number")),
        el("th", { scope: "col" }, t("cati.col_outcome")),
        el("th", { scope: "col" }, t("cati.col_who")))),
      el("tbody", {}, c.history.map((h) => el("tr", { "data-outcome": h.outcome },
        el("td", {}, formatDateTime(h.started_at)),
        el("td", { class: "mono" }, h.phone),
        el("td", {}, `${outcomeLabel(h.outcome)} (${h.aapor})`),
        el("td", {}, h.interviewer)))));
  const preload = Object.entries(c.preload);
  const appointment = cati.decision && cati.decision.appointment_id;
  return el("section", { id: "cati", "aria-labelledby": "cati-title", "data-case": c.case_id },
    el("h1", { id: "cati-title" }, c.name || c.case_id),
    notice ? el("p", { class: "notice", role: "status" }, notice) : null,
    appointment ? el("p", { class: "notice", id: "cati-appointment-due" }, t("cati.appointment_due")) : null,
    el("p", { class: "muted" }, t("cati.interviewer", cati.interviewer)),
    el("p", { id: "cati-local-time" }, t("cati.respondent_time", c.local_time)),
    el("div", { class: "card", id: "cati-phone" },
      el("span", { class: "muted" }, t("cati.phone", (c.phone_index ?? 0) + 1, c.phones.length)),
      el("strong", { class: "mono", id: "cati-number" }, phone),
      el("a", { id: "cati-dial", class: "action", href: `tel:${phone}` }, t("cati.dial"), el("kbd", {}, "P")),
      el("button", { type: "button", id: "cati-copy", onclick: () => copyNumber(phone) }, t("cati.copy"), el("kbd", {}, "Y")),
      el("span", { class: "muted" }, t("cati.timer")),
      el("span", { id: "cati-timer", class: "mono", role: "timer" }, "00:00")),
    el("h2", {}, t("cati.intro_title")),
    el("p", { class: "read-aloud", id: "cati-intro" }, t("cati.intro", c.name)),
    c.partial_interview ? el("p", { class: "notice", id: "cati-partial", "data-interview": c.partial_interview }, t("cati.partial_waiting")) : null,
    el("button", { type: "button", id: "cati-start", class: "primary", "data-autofocus": true, onclick: () => attempt(startQuestionnaire) },
      t(c.partial_interview ? "cati.resume_interview" : "cati.start_interview"), el("kbd", {}, "Enter")),
    el("h2", {}, t("cati.outcomes")),
    el("div", { class: "actions", id: "cati-outcomes" }, keyed.map((o) =>
      el("button", { type: "button", id: `outcome-${o.name}`, "data-outcome": o.name, onclick: () => attempt(() => recordOutcome(o)) },
        el("span", {}, `${outcomeLabel(o.name)} (${o.aapor})`), el("kbd", {}, o.key.toUpperCase())))),
    el("h2", {}, t("cati.history")),
    history,
    c.notes ? el("h2", {}, t("cati.notes")) : null,
    c.notes ? el("p", { id: "cati-notes", class: "notes" }, c.notes) : null,
    cati.quotas.length ? el("h2", {}, t("cati.quotas")) : null,
    cati.quotas.length ? el("ul", { id: "cati-quotas" }, cati.quotas.map(quotaLine)) : null,
    preload.length ? el("h2", {}, t("cati.case_data")) : null,
    preload.length ? el("dl", { id: "cati-preload" }, preload.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])) : null,
    el("button", { type: "button", id: "cati-home", onclick: () => showHome() }, t("cati.home"), el("kbd", {}, "Esc")));
}

/** How long ago the server counted, in words ("5 min", "3 h", "2 days"). */
function ageText(ms) {
  const min = Math.max(0, Math.round((Date.now() - ms) / 60000));
  if (min < 60) return t("cati.age_min", min);
  if (min < 48 * 60) return t("cati.age_h", Math.round(min / 60));
  return t("cati.age_days", Math.round(min / (24 * 60)));
}

/** One quota cell: local plus the server's last total (with its age) against the target. */
function quotaLine(q) {
  const server = q.server_count_at == null ? t("cati.quota_no_server")
    : t("cati.quota_server", q.server_count, ageText(q.server_count_at));
  return el("li", { "data-quota": q.name, "data-full": String(q.full) },
    t("cati.quota_line", q.name, q.total, q.target, q.local_count, server));
}

async function copyNumber(phone) {
  await navigator.clipboard.writeText(phone).catch(() => undefined);
  const slot = document.getElementById("cati-copy");
  if (slot) slot.dataset.copied = "true";
  setSave("idle");
  const status = document.querySelector("#cati .notice[role=status]") || null;
  if (!status) document.getElementById("cati-title").after(el("p", { class: "notice", role: "status" }, t("cati.copied")));
}

/** Records one outcome; asks for a note or an appointment first when the outcome needs one. */
async function recordOutcome(o) {
  const c = cati.card;
  if (!c) return;
  let note = "";
  let when = { ok: false };
  if (o.kind === "appointment") {
    when = await appointmentDialog(c.timezone);
    if (!when.ok) return;
  }
  if (o.note_required) {
    const answer = await askDialog({ id: "cati-note", title: t("cati.note_title"), input: t("cati.note_label"), confirm: t("cati.note_save") });
    if (!answer.ok || !answer.value.trim()) return;
    note = answer.value.trim();
  }
  setSave("saving");
  const done = await api.catiRecord({
    studyId: c.study_id, caseId: c.case_id, outcome: o.name, startedAt: cati.startedAt, phoneIndex: c.phone_index,
    note, appointmentAt: when.ok ? when.startsAt : null, hard: when.hard,
  });
  setSave("saved");
  cati.notice = t("cati.recorded", `${outcomeLabel(done.outcome)} (${done.aapor})`);
  await go("cati");
}

/** Hands over to the questionnaire; the result is recorded when the interviewer comes back here. */
async function startQuestionnaire() {
  const c = cati.card;
  if (!c) return;
  const screen = await api.catiStartInterview(c.study_id, c.case_id);
  cati.active = { studyId: c.study_id, caseId: c.case_id, interviewId: screen.interview_id, phoneIndex: c.phone_index, startedAt: cati.startedAt, zone: c.timezone };
  await showInterview(screen);
}

/** Local `YYYY-MM-DDTHH:MM` for a datetime-local input. */
function localInputValue(ms) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/**
 * Asks for an appointment time with the day's appointments beside it and a
 * warning on a clash; resolves to `{ok, startsAt, hard}`.
 */
function appointmentDialog(zone) {
  return new Promise((resolve) => {
    const previous = document.activeElement;
    const input = el("input", { type: "datetime-local", id: "cati-appointment-at", "data-autofocus": true, value: localInputValue(Date.now() + 60 * 60 * 1000) });
    const hard = el("input", { type: "checkbox", id: "cati-appointment-hard" });
    const theirs = el("p", { id: "cati-appointment-theirs", class: "muted" });
    const day = el("div", { id: "cati-appointment-day" });
    const error = el("p", { id: "cati-appointment-error", class: "error", role: "alert" });
    let result = { ok: false, startsAt: null, hard: false };
    const accept = () => {
      const ms = new Date(input.value).getTime();
      if (!Number.isFinite(ms) || ms <= Date.now()) {
        error.textContent = t("cati.appointment_invalid");
        return;
      }
      result = { ok: true, startsAt: ms, hard: hard.checked };
      dialog.close();
    };
    const update = async () => {
      const ms = new Date(input.value).getTime();
      if (!Number.isFinite(ms)) return;
      theirs.textContent = t("cati.appointment_their_time", respondentTime(ms, zone));
      const start = new Date(ms);
      start.setHours(0, 0, 0, 0);
      const list = await api.catiAppointments(start.getTime(), start.getTime() + 24 * 60 * 60 * 1000).catch(() => []);
      const clash = list.find((a) => ms < a.ends_at && ms + 15 * 60 * 1000 > a.starts_at);
      day.replaceChildren(
        el("h3", {}, t("cati.appointment_day")),
        list.length === 0 ? el("p", { class: "muted" }, t("cati.appointment_none"))
          : el("ul", { id: "cati-day-list" }, list.map((a) => el("li", { "data-case": a.case_id }, `${formatTime(a.starts_at)}–${formatTime(a.ends_at)} ${a.case_id} (${a.interviewer})`))),
        clash ? el("p", { class: "error", id: "cati-clash" }, t("cati.appointment_clash", formatTime(clash.starts_at), clash.interviewer)) : null);
    };
    input.addEventListener("input", () => { update(); });
    const dialog = el("dialog", { id: "cati-appointment", "aria-labelledby": "cati-appointment-title" },
      el("h2", { id: "cati-appointment-title" }, t("cati.appointment_title")),
      el("label", { for: "cati-appointment-at" }, t("cati.appointment_when")),
      input,
      theirs,
      el("label", {}, hard, t("cati.appointment_hard")),
      error,
      day,
      el("div", { class: "dialog-buttons" },
        el("button", { type: "button", id: "cati-appointment-cancel", onclick: () => dialog.close() }, t("dialog.cancel"), el("kbd", {}, "Esc")),
        el("button", { type: "button", id: "cati-appointment-save", class: "primary", onclick: accept }, t("cati.appointment_save"), el("kbd", {}, "Enter"))));
    dialog.addEventListener("keydown", (ev) => {
      ev.stopPropagation();
      if (ev.key === "Enter" && !(ev.target instanceof HTMLButtonElement)) {
        ev.preventDefault();
        accept();
      }
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (previous && previous.isConnected) previous.focus();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
    update();
  });
}

registerScreen("cati", {
  title: () => t("cati.title"),
  render: renderCati,
  shortcuts: () => [
    ["Enter", t("cati.key_start")],
    ...cati.outcomes.filter((o) => o.key).map((o) => [o.key.toUpperCase(), `${t("cati.key_outcome")}: ${outcomeLabel(o.name)}`]),
    ["P", t("cati.key_dial")],
    ["Y", t("cati.key_copy")],
    ["G", t("cati.key_next")],
    ["Esc", t("cati.key_home")],
  ],
  onKey(ev) {
    if (isTyping(ev.target) || ev.ctrlKey || ev.altKey || ev.metaKey) return false;
    if (ev.key === "Escape") { showHome(); return true; }
    const k = ev.key.toLowerCase();
    if (!cati.card) {
      if (k === "g") { refresh(); return true; }
      return false;
    }
    if (ev.key === "Enter") {
      if (ev.target instanceof HTMLButtonElement && ev.target.id !== "cati-start") return false;
      attempt(startQuestionnaire);
      return true;
    }
    if (k === "p") { document.getElementById("cati-dial").click(); return true; }
    if (k === "y") { copyNumber(document.getElementById("cati-number").textContent); return true; }
    const o = cati.outcomes.find((x) => x.key && x.key === k);
    if (o) { attempt(() => recordOutcome(o)); return true; }
    return false;
  },
});
