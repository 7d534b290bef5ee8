// screens/supervisor.js: the supervisor's review desk (team list with filters, interview viewer, approve/reject) and the interviewer's returned-interview notes.
"use strict";

const desk = {
  filter: { interviewer: "", review: "waiting", study_id: "", from: "", to: "" },
  rows: [],
  selected: 0,
  detail: null,
  answerAt: 0,
  marked: new Set(), // question paths the rejection comment is about
  rejecting: false,
  pulls: 0, // finished pulls, shown on the screen so that tests and tools can tell a fresh list
};

const REVIEW_STATES = ["waiting", "approved", "rejected"];

function durationText(ms) {
  const s = Math.round((ms || 0) / 1000);
  return s < 60 ? t("supervisor.seconds", s) : t("supervisor.minutes", Math.floor(s / 60), s % 60);
}

/** A session-log event's name; kinds without a catalogue entry show their code. */
function eventName(kind) {
  const key = `supervisor.event.${kind}`;
  const text = t(key);
  return text === key ? kind : text;
}

function flagTags(flags) {
  return flags.map((f) => el("span", { class: "status-tag flag", "data-flag": f }, t(`supervisor.flag.${f}`)));
}

/** The interviewer's home list: the supervisor's comment under an interview returned for correction. */
function reviewNoteFor(notes, interviewId) {
  const n = (notes || []).find((x) => x.interview_id === interviewId);
  if (!n) return null;
  return el("span", { class: "review-note", id: `note-${interviewId}` },
    t("supervisor.returned_note", n.decided_by || t("supervisor.someone"), n.comment || ""));
}

function dayStartMs(value) {
  return value ? new Date(`${value}T00:00:00`).getTime() : null;
}

async function renderSupervisor() {
  const supervisor = await api.reviewIsSupervisor();
  const section = el("section", { id: "supervisor", "aria-labelledby": "supervisor-title", "data-pulls": String(desk.pulls) },
    el("h1", { id: "supervisor-title" }, t("supervisor.title")));
  if (!supervisor) {
    section.append(el("p", { class: "muted", id: "supervisor-not" }, t("supervisor.not_supervisor")));
    return section;
  }
  const f = desk.filter;
  const all = await api.reviewList({});
  const to = dayStartMs(f.to);
  desk.rows = await api.reviewList({
    interviewer: f.interviewer || null,
    review: f.review || null,
    study_id: f.study_id || null,
    from_ms: dayStartMs(f.from),
    to_ms: to === null ? null : to + 86400000,
  });
  desk.selected = Math.min(desk.selected, Math.max(0, desk.rows.length - 1));

  const uniq = (xs) => [...new Set(xs)].sort();
  const select = (id, label, value, options, onPick) => {
    const s = el("select", { id, "aria-label": label },
      el("option", { value: "" }, t("supervisor.all")),
      options.map(([v, text]) => el("option", { value: v, selected: v === value }, text)));
    s.addEventListener("change", () => { onPick(s.value); desk.selected = 0; attempt(() => go("supervisor")).then(() => document.getElementById(id)?.focus()); });
    return el("label", {}, label, " ", s);
  };
  const date = (id, label, key) => {
    const i = el("input", { id, type: "date", value: f[key] });
    i.addEventListener("change", () => { f[key] = i.value; attempt(() => go("supervisor")).then(() => document.getElementById(id)?.focus()); });
    return el("label", {}, label, " ", i);
  };
  const filters = el("div", { class: "filters", id: "review-filters" },
    select("filter-interviewer", t("supervisor.interviewer"), f.interviewer,
      uniq(all.map((r) => r.interviewer)).map((v) => [v, v]), (v) => { f.interviewer = v; }),
    select("filter-review", t("supervisor.state"), f.review,
      REVIEW_STATES.map((v) => [v, t(`supervisor.review.${v}`)]), (v) => { f.review = v; }),
    select("filter-study", t("supervisor.study"), f.study_id,
      uniq(all.map((r) => r.study_id)).map((v) => [v, (all.find((r) => r.study_id === v) || {}).study_title || v]), (v) => { f.study_id = v; }),
    date("filter-from", t("supervisor.from"), "from"),
    date("filter-to", t("supervisor.to"), "to"),
    f.study_id ? speedingInput(f.study_id, (all.find((r) => r.study_id === f.study_id) || {}).speeding_secs) : null);

  const body = desk.rows.map((r, k) =>
    el("tr", { class: "review-row", "data-id": r.interview_id, "data-review": r.review, "aria-selected": String(k === desk.selected), tabindex: k === desk.selected ? "0" : "-1",
      onclick: () => openReview(r.interview_id) },
      el("td", {}, r.interviewer),
      el("td", {}, r.study_title),
      el("td", {}, formatNumber(r.revision)),
      el("td", {}, el("span", { class: "status-tag" }, t(`supervisor.review.${r.review}`))),
      el("td", {}, r.completed_at ? formatDateTime(r.completed_at) : ""),
      el("td", {}, durationText(r.duration_ms)),
      el("td", {}, flagTags(r.flags))));
  const table = desk.rows.length === 0
    ? el("p", { class: "muted", id: "review-empty" }, t("supervisor.empty"))
    : el("table", { id: "review-list" },
      el("thead", {}, el("tr", {},
        [t("supervisor.interviewer"), t("supervisor.study"), t("supervisor.revision"), t("supervisor.state"),
          t("supervisor.completed"), t("supervisor.duration"), t("supervisor.flags")].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, body));
  const rowEl = table.querySelector?.(`tr.review-row[aria-selected="true"]`);
  if (rowEl) rowEl.setAttribute("data-autofocus", "");
  section.append(
    el("p", { class: "muted" }, t("supervisor.hint")),
    filters,
    el("button", { type: "button", id: "review-pull", onclick: () => pullTeam() }, t("supervisor.pull"), el("kbd", {}, t("supervisor.key_pull"))),
    table);
  return section;
}

/** The chosen study's speeding threshold, in seconds per question; the flags follow it at once. */
function speedingInput(studyId, current) {
  const i = el("input", { id: "filter-speeding", type: "number", min: "0.1", step: "0.1", value: String(current ?? 3) });
  i.addEventListener("change", async () => {
    await attempt(() => api.reviewSetSpeeding(studyId, Number(i.value)));
    await attempt(() => go("supervisor"));
    document.getElementById("filter-speeding")?.focus();
  });
  return el("label", {}, t("supervisor.speeding"), " ", i);
}

async function pullTeam() {
  const summary = await attempt(() => api.syncNow());
  if (summary) desk.pulls += 1;
  if (summary && currentScreen() === "supervisor") await attempt(() => go("supervisor"));
  document.getElementById("review-pull")?.focus();
}

async function openReview(id) {
  desk.marked = new Set();
  desk.rejecting = false;
  desk.answerAt = 0;
  await attempt(() => go("review", { id }));
}

async function renderReview(params) {
  const d = await api.reviewDetail(params.id);
  desk.detail = d;
  const r = d.row;
  desk.answerAt = Math.min(desk.answerAt, Math.max(0, d.answers.length - 1));
  const answers = d.answers.map((a, k) =>
    el("tr", { class: `answer-row${a.hidden ? " hidden-answer" : ""}`, "data-path": a.path, "aria-selected": String(k === desk.answerAt),
      "data-marked": String(desk.marked.has(a.path)), tabindex: k === desk.answerAt ? "0" : "-1" },
      el("td", {}, desk.marked.has(a.path) ? t("supervisor.marked") : ""),
      el("th", { scope: "row" }, a.label || a.path),
      el("td", { class: "answer-value" }, a.value, a.hidden ? el("span", { class: "status-tag" }, t("supervisor.hidden")) : null),
      el("td", {}, durationText(a.time_ms)),
      el("td", {}, a.corrections ? formatNumber(a.corrections) : "")));
  const timeline = d.timeline.map((s) =>
    el("li", { class: `step step-${s.kind}` },
      el("span", { class: "mono" }, formatDateTime(s.start_ms)), " ",
      el("strong", {}, eventName(s.kind)), " ",
      s.label || s.node || "", " ",
      s.duration_ms != null && s.kind === "question" ? el("span", { class: "muted" }, durationText(s.duration_ms)) : null,
      s.old_value != null && s.kind === "answer_set" ? el("span", { class: "muted" }, t("supervisor.changed", s.old_value, s.new_value || "")) : null));
  const decisions = d.decisions.map((x) =>
    el("li", { class: "decision", "data-decision": x.decision },
      t("supervisor.decision_line", t(`supervisor.review.${x.decision}`), x.revision, x.decided_by || t("supervisor.someone"), formatDateTime(x.decided_at)),
      x.comment ? el("q", {}, x.comment) : null,
      x.pending ? el("span", { class: "status-tag" }, t("supervisor.pending")) : null));
  const canDecide = r.review === "waiting";
  const reject = desk.rejecting
    ? el("div", { id: "reject-form" },
      el("label", { for: "review-comment" }, t("supervisor.comment", desk.marked.size)),
      el("textarea", { id: "review-comment", rows: "3", "data-autofocus": "" }),
      el("button", { type: "button", class: "primary", id: "review-send", onclick: () => sendRejection() }, t("supervisor.send_reject"), el("kbd", {}, "Ctrl+Enter")))
    : null;
  const section = el("section", { id: "review", "aria-labelledby": "review-title", "data-id": r.interview_id, "data-review": r.review },
    el("h1", { id: "review-title" }, t("supervisor.viewer_title", r.interviewer, r.study_title, r.revision)),
    el("p", {}, el("span", { class: "status-tag", id: "review-state" }, t(`supervisor.review.${r.review}`)), " ", flagTags(r.flags)),
    el("p", { class: "muted" }, t("supervisor.measures", durationText(r.duration_ms), r.questions, d.seconds_per_question.toFixed(1),
      d.back_navigations, d.corrections, durationText(d.longest_pause_ms))),
    canDecide
      ? el("div", { class: "actions" },
        el("button", { type: "button", id: "review-approve", onclick: () => approve() }, t("supervisor.approve"), el("kbd", {}, t("supervisor.key_approve"))),
        el("button", { type: "button", id: "review-reject", onclick: () => startReject() }, t("supervisor.reject"), el("kbd", {}, t("supervisor.key_reject"))))
      : null,
    reject,
    el("h2", {}, t("supervisor.answers")),
    el("p", { class: "muted" }, t("supervisor.answers_hint")),
    el("table", { id: "review-answers" }, el("tbody", {}, answers)),
    decisions.length ? el("h2", {}, t("supervisor.decisions")) : null,
    decisions.length ? el("ul", { id: "review-decisions" }, decisions) : null,
    el("h2", {}, t("supervisor.timeline")),
    el("ol", { id: "review-timeline" }, timeline));
  if (!reject) {
    const row = section.querySelector('tr.answer-row[aria-selected="true"]');
    (row || section.querySelector("h1")).setAttribute("data-autofocus", "");
  }
  return section;
}

async function approve() {
  const id = desk.detail.row.interview_id;
  if (await attempt(() => api.reviewDecide(id, "approved", null, []))) {
    await attempt(() => go("review", { id }));
  }
}

async function startReject() {
  desk.rejecting = true;
  await attempt(() => go("review", { id: desk.detail.row.interview_id }));
}

async function sendRejection() {
  const id = desk.detail.row.interview_id;
  const comment = document.getElementById("review-comment").value;
  const paths = desk.detail.answers.filter((a) => desk.marked.has(a.path)).map((a) => a.path);
  if (await attempt(() => api.reviewDecide(id, "rejected", comment, paths))) {
    desk.rejecting = false;
    await attempt(() => go("review", { id }));
  } else {
    document.getElementById("review-comment")?.focus();
  }
}

function moveAnswer(delta) {
  const rows = [...document.querySelectorAll("tr.answer-row")];
  if (!rows.length) return;
  desk.answerAt = Math.max(0, Math.min(rows.length - 1, desk.answerAt + delta));
  rows.forEach((r, k) => { r.setAttribute("aria-selected", String(k === desk.answerAt)); r.tabIndex = k === desk.answerAt ? 0 : -1; });
  rows[desk.answerAt].focus();
}

registerScreen("supervisor", {
  title: () => t("supervisor.title"),
  render: renderSupervisor,
  shortcuts: () => [["↑ ↓", t("supervisor.key_move")], ["Enter", t("supervisor.key_open")], [t("supervisor.key_pull"), t("supervisor.pull")], ["Esc", t("supervisor.key_home")]],
  onKey(ev) {
    if (ev.key === "Escape") {
      showHome();
      return true;
    }
    if (isTyping(ev.target) || ev.ctrlKey || ev.altKey || ev.metaKey) return false;
    const rows = [...document.querySelectorAll("tr.review-row")];
    if ((ev.key === "ArrowDown" || ev.key === "ArrowUp") && rows.length) {
      desk.selected = Math.max(0, Math.min(rows.length - 1, desk.selected + (ev.key === "ArrowDown" ? 1 : -1)));
      rows.forEach((r, k) => { r.setAttribute("aria-selected", String(k === desk.selected)); r.tabIndex = k === desk.selected ? 0 : -1; });
      rows[desk.selected].focus();
      return true;
    }
    if (ev.key === "Enter" && rows[desk.selected]) {
      openReview(rows[desk.selected].dataset.id);
      return true;
    }
    if (ev.key.toUpperCase() === t("supervisor.key_pull")) {
      pullTeam();
      return true;
    }
    return false;
  },
});

registerScreen("review", {
  title: () => t("supervisor.viewer"),
  render: renderReview,
  shortcuts: () => [[t("supervisor.key_approve"), t("supervisor.approve")], [t("supervisor.key_reject"), t("supervisor.reject")],
    ["↑ ↓", t("supervisor.key_move_answer")], ["Space", t("supervisor.key_mark")], ["Ctrl+Enter", t("supervisor.send_reject")], ["Esc", t("supervisor.key_back")]],
  onKey(ev) {
    if (ev.key === "Escape") {
      if (desk.rejecting) {
        desk.rejecting = false;
        attempt(() => go("review", { id: desk.detail.row.interview_id }));
      } else {
        attempt(() => go("supervisor"));
      }
      return true;
    }
    if (ev.key === "Enter" && ev.ctrlKey && desk.rejecting) {
      sendRejection();
      return true;
    }
    if (isTyping(ev.target) || ev.ctrlKey || ev.altKey || ev.metaKey) return false;
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      moveAnswer(ev.key === "ArrowDown" ? 1 : -1);
      return true;
    }
    if (ev.key === " ") {
      const a = desk.detail.answers[desk.answerAt];
      if (a) {
        if (desk.marked.has(a.path)) desk.marked.delete(a.path); else desk.marked.add(a.path);
        attempt(() => go("review", { id: desk.detail.row.interview_id }));
      }
      return true;
    }
    const canDecide = desk.detail && desk.detail.row.review === "waiting";
    const k = ev.key.toUpperCase();
    if (canDecide && k === t("supervisor.key_approve")) {
      approve();
      return true;
    }
    if (canDecide && k === t("supervisor.key_reject")) {
      startReject();
      return true;
    }
    return false;
  },
});

registerHomeAction({ id: "review", key: "R", label: () => t("supervisor.action"), run: () => go("supervisor") });
