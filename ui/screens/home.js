// screens/home.js: the home screen: work areas, unfinished interviews first, studies to start, completed interviews.
"use strict";

const home = {
  notice: null, // a one-off message, e.g. "Interview completed and saved."
};

/** Shows a one-off notice on the next home screen. */
function noticeOnHome(text) {
  home.notice = text;
}

async function renderHome() {
  const [studies, interviews, notes] = await Promise.all([api.listStudies(), api.listInterviews(), api.reviewNotes()]);
  const unfinished = interviews.filter((i) => i.status !== "completed");
  const completed = interviews.filter((i) => i.status === "completed");
  setSave("idle");

  const actions = homeActions.map((a) =>
    el("button", { type: "button", class: "action", id: `action-${a.id}`, onclick: () => attempt(a.run) },
      el("span", {}, a.label()), el("kbd", {}, a.key)));

  const studyCards = studies.map((s) =>
    el("li", { class: "card" },
      el("div", { class: "card-main" },
        el("strong", {}, s.title),
        el("span", { class: "muted" }, t("home.questions", s.question_count))),
      el("button", { type: "button", class: "primary", id: `start-${s.id}`, "data-study": s.id, onclick: () => startInterview(s.id) },
        t("home.start"), el("kbd", {}, t("home.start_key")))));

  const resumeRows = unfinished.map((i) =>
    el("li", { class: "card", "data-id": i.id, "data-status": i.status },
      el("div", { class: "card-main" },
        el("strong", {}, i.study_title, " ", el("span", { class: "status-tag" }, t(`home.status.${i.status}`))),
        el("span", { class: "muted" }, i.position ? t("home.resume_at", i.position, i.total) : ""),
        i.newer_version ? el("span", { class: "muted" }, t("version.available", i.newer_version)) : null,
        reviewNoteFor(notes, i.id)),
      i.newer_version
        ? el("button", { type: "button", class: "move-version", id: `move-${i.id}`, onclick: () => moveDraft(i) }, t("version.move"))
        : null,
      el("button", { type: "button", class: "primary resume", id: `resume-${i.id}`, onclick: () => resumeInterview(i.id) }, t("home.resume"))));

  const completedTable = completed.length === 0
    ? el("p", { class: "muted" }, t("home.none_completed"))
    : el("table", { id: "completed" },
      el("thead", {}, el("tr", {},
        el("th", { scope: "col" }, t("home.col_completed")),
        el("th", { scope: "col" }, t("home.col_study")),
        el("th", { scope: "col" }, t("home.col_answers")),
        el("th", { scope: "col" }, t("home.col_id")))),
      el("tbody", {}, completed.map((i) =>
        el("tr", { class: "completed-row", "data-id": i.id },
          el("td", {}, formatDateTime(i.completed_at)),
          el("td", {}, i.study_title),
          el("td", {}, formatNumber(i.answered)),
          el("td", { class: "mono" }, i.id.slice(-12))))));

  const notice = home.notice;
  home.notice = null;
  const section = el("section", { id: "home", "aria-labelledby": "home-title" },
    el("h1", { id: "home-title" }, t("home.title")),
    notice ? el("p", { class: "notice", role: "status" }, notice) : null,
    actions.length ? el("h2", {}, t("home.work")) : null,
    actions.length ? el("div", { class: "actions", id: "work" }, actions) : null,
    unfinished.length ? el("h2", {}, t("home.in_progress")) : null,
    unfinished.length ? el("ul", { class: "cards", id: "unfinished" }, resumeRows) : null,
    el("h2", {}, t("home.studies")),
    el("ul", { class: "cards", id: "studies" }, studyCards),
    el("h2", {}, t("home.completed")),
    completedTable);
  // Focus the most likely next action so Enter alone carries on: an unfinished
  // interview first (it was interrupted), otherwise starting a new one.
  const first = section.querySelector("button.resume") || section.querySelector("#studies button");
  if (first) first.setAttribute("data-autofocus", "");
  return section;
}

async function startInterview(studyId) {
  const screen = await attempt(() => api.startInterview(studyId));
  if (screen) await showInterview(screen);
}

async function resumeInterview(interviewId) {
  const screen = await attempt(() => api.resumeInterview(interviewId));
  if (screen) await showInterview(screen);
}

/** Shows what moving a draft to the newest version would do, and moves it if the interviewer agrees. */
async function moveDraft(summary) {
  const preview = await attempt(() => api.moveToVersion(summary.id, summary.newer_version, false));
  if (!preview) return;
  const dropped = preview.misfits.filter((m) => !m.kept);
  const kept = preview.misfits.filter((m) => m.kept);
  const list = (title, items) => items.length === 0 ? null : [
    el("h3", {}, title),
    el("ul", { class: "misfits" }, items.map((m) => el("li", {}, el("span", { class: "mono" }, m.path), " = ", m.value, " — ", m.reason))),
  ];
  const answer = await askDialog({
    id: "confirm-move",
    title: t("version.title", preview.to_version),
    body: [
      t("version.carried", preview.carried),
      preview.misfits.length === 0 ? t("version.all_fit") : null,
      list(t("version.dropped"), dropped),
      list(t("version.kept"), kept),
    ].flat().filter(Boolean),
    confirm: t("version.confirm"),
  });
  if (!answer.ok) return;
  const moved = await attempt(() => api.moveToVersion(summary.id, summary.newer_version, true));
  if (moved) {
    noticeOnHome(t("version.moved", moved.to_version));
    await showHome();
  }
}

function showHome() {
  return attempt(() => go("home"));
}

registerScreen("home", {
  title: () => "",
  render: renderHome,
  shortcuts: () => [
    [t("home.start_key"), t("home.key_start")],
    ...homeActions.map((a) => [a.key, a.label()]),
  ],
  onKey(ev) {
    if (isTyping(ev.target) || ev.ctrlKey || ev.altKey || ev.metaKey) return false;
    if (ev.key.toUpperCase() === t("home.start_key")) {
      const startButton = mainEl.querySelector("#studies button");
      if (startButton) startButton.click();
      return Boolean(startButton);
    }
    const action = homeActions.find((a) => a.key.toUpperCase() === ev.key.toUpperCase());
    if (action) {
      attempt(action.run);
      return true;
    }
    return false;
  },
});
