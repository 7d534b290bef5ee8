// app.js: the screens (home, interview) and their keyboard handling; talks to Rust only through api.js.
"use strict";

const state = {
  screen: null, // the interview Screen from Rust while interviewing, else null
  typed: "", // digits typed on a range question, for two-digit scores such as 10
  textTimer: null, // pending save of a text answer while the interviewer types
  notice: null, // one-off message for the home screen
};

const main = document.getElementById("main");
const saveState = document.getElementById("save-state");
const errorBanner = document.getElementById("error");

/** Creates an element with attributes and children; strings become text nodes (never HTML). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined && c !== false) node.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return node;
}

function setSave(kind) {
  saveState.dataset.state = kind;
  saveState.textContent = kind === "idle" ? "" : t(`save.${kind}`);
}

function showError(err) {
  errorBanner.replaceChildren(
    el("span", { class: "banner-text" }, err.message || t("error.unexpected")),
    el("button", { type: "button", class: "link", onclick: hideError }, t("error.dismiss")),
  );
  errorBanner.dataset.code = err.code || "internal";
  errorBanner.hidden = false;
}

function hideError() {
  errorBanner.hidden = true;
  errorBanner.replaceChildren();
}

/** Runs an action; a failure is shown in words (inline for validation, as a banner otherwise). */
async function attempt(action) {
  try {
    return await action();
  } catch (err) {
    const e = err && err.code ? err : { code: "internal", message: t("error.unexpected") };
    if (e.code === "validation" && state.screen) {
      const slot = document.getElementById("q-error");
      if (slot) slot.textContent = e.message;
      if (saveState.dataset.state === "saving") setSave("failed");
    } else {
      if (saveState.dataset.state === "saving") setSave("failed");
      showError(e);
    }
    return null;
  }
}

// ---------------------------------------------------------------- home

async function showHome() {
  state.screen = null;
  clearTimeout(state.textTimer);
  document.getElementById("screen-title").textContent = "";
  const [studies, interviews] = await Promise.all([api.listStudies(), api.listInterviews()]);
  const unfinished = interviews.filter((i) => i.status !== "completed");
  const completed = interviews.filter((i) => i.status === "completed");

  const studyCards = studies.map((s) =>
    el("li", { class: "card" },
      el("div", { class: "card-main" },
        el("strong", {}, s.title),
        el("span", { class: "muted" }, t("home.questions", s.question_count))),
      el("button", { type: "button", class: "primary", id: `start-${s.id}`, "data-study": s.id, onclick: () => start(s.id) },
        t("home.start"), el("kbd", {}, t("home.start_key")))));

  const resumeRows = unfinished.map((i) =>
    el("li", { class: "card", "data-id": i.id },
      el("div", { class: "card-main" },
        el("strong", {}, i.study_title),
        el("span", { class: "muted" }, i.position ? t("home.resume_at", i.position, i.total) : "")),
      el("button", { type: "button", class: "primary resume", id: `resume-${i.id}`, onclick: () => resume(i.id) }, t("home.resume"))));

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
          el("td", {}, new Date(i.completed_at).toLocaleString()),
          el("td", {}, i.study_title),
          el("td", {}, String(i.answered)),
          el("td", { class: "mono" }, i.id.slice(-12))))));

  main.replaceChildren(
    el("section", { id: "home", "aria-labelledby": "home-title" },
      el("h1", { id: "home-title" }, t("home.title")),
      state.notice ? el("p", { class: "notice", role: "status" }, state.notice) : null,
      unfinished.length ? el("h2", {}, t("home.in_progress")) : null,
      unfinished.length ? el("ul", { class: "cards", id: "unfinished" }, resumeRows) : null,
      el("h2", {}, t("home.studies")),
      el("ul", { class: "cards", id: "studies" }, studyCards),
      el("h2", {}, t("home.completed")),
      completedTable));
  state.notice = null;
  setSave("idle");
  // Focus the most likely next action so Enter alone carries on: an unfinished
  // interview first (it was interrupted), otherwise starting a new one.
  const first = main.querySelector("button.resume") || main.querySelector("#studies button");
  if (first) first.focus();
}

async function start(studyId) {
  const screen = await attempt(() => api.startInterview(studyId));
  if (screen) renderInterview(screen);
}

async function resume(interviewId) {
  const screen = await attempt(() => api.resumeInterview(interviewId));
  if (screen) renderInterview(screen);
}

// ---------------------------------------------------------------- interview

function renderInterview(screen) {
  hideError();
  if (screen.status === "completed" || !screen.question) {
    state.notice = t("home.just_completed");
    showHome();
    return;
  }
  const changedQuestion = !state.screen || state.screen.question?.name !== screen.question.name;
  state.screen = screen;
  if (changedQuestion) state.typed = "";
  const q = screen.question;
  document.getElementById("screen-title").textContent = screen.study_title;

  let body = null;
  const scale = q.kind === "range" && q.max - q.min <= 20;
  if (scale) {
    const options = [];
    for (let v = q.min; v <= q.max; v++) {
      const s = String(v);
      options.push(el("button", {
        type: "button", class: "option score", "data-value": s, "aria-pressed": q.value === s ? "true" : "false",
        onclick: () => answer(s),
      }, s));
    }
    body = el("div", { class: "scale", role: "group", "aria-labelledby": "q-label" }, options);
  } else if (q.kind === "select_one" || q.kind === "select_multiple") {
    const chosen = new Set(q.value.split(" ").filter(Boolean));
    body = el("div", { class: "choices", role: "group", "aria-labelledby": "q-label" },
      q.choices.map((c, i) => el("button", {
        type: "button", class: "option choice", "data-value": c.value, "aria-pressed": chosen.has(c.value) ? "true" : "false",
        onclick: () => choose(c.value),
      }, el("kbd", {}, String(i + 1)), el("span", {}, c.label))));
  } else if (q.kind === "acknowledge") {
    body = el("div", { class: "choices" }, el("button", {
      type: "button", class: "option choice", "data-value": "OK", "aria-pressed": q.value === "OK" ? "true" : "false",
      onclick: () => answer("OK"),
    }, el("kbd", {}, "1"), el("span", {}, t("interview.acknowledge"))));
  } else if (q.kind !== "note") {
    const types = { range: "number", number: "number", decimal: "text", date: "date", time: "time", datetime: "datetime-local" };
    body = el("input", {
      id: "q-text", type: types[q.kind] || "text", class: "text-answer", "aria-labelledby": "q-label", autocomplete: "off",
      inputmode: q.kind === "decimal" ? "decimal" : null, placeholder: t("interview.text_placeholder"), value: q.value,
      readonly: q.read_only,
    });
    body.addEventListener("input", () => {
      clearTimeout(state.textTimer);
      // Save while typing too, so a crash mid-sentence loses at most a moment's keystrokes.
      state.textTimer = setTimeout(() => saveText(), 600);
    });
    body.addEventListener("change", () => saveText());
  }

  main.replaceChildren(
    el("section", { id: "interview", "data-item": q.name, "data-kind": q.kind, "aria-labelledby": "q-label" },
      el("p", { class: "progress muted", id: "progress" }, t("interview.progress", screen.position, screen.total)),
      el("h1", { id: "q-label", class: "question", tabindex: "-1" }, q.label),
      q.read_aloud ? el("blockquote", { class: "read-aloud", id: "q-read-aloud" }, q.read_aloud) : null,
      q.instructions ? el("p", { class: "instructions", id: "q-instructions" }, el("strong", {}, t("interview.instructions")), " ", q.instructions) : null,
      q.hint ? el("p", { class: "hint muted" }, q.hint) : null,
      body,
      el("p", { id: "q-error", class: "field-error", "aria-live": "assertive" }, q.error || ""),
      el("div", { class: "nav" },
        el("button", { type: "button", id: "back", disabled: q.is_first, onclick: back }, t("interview.back"), el("kbd", {}, "Alt+←")),
        el("button", { type: "button", id: "pause", class: "link", onclick: pause }, t("interview.home"), el("kbd", {}, "Esc")),
        el("button", { type: "button", id: "next", class: "primary", onclick: next },
          q.is_last ? t("interview.finish") : t("interview.next"), el("kbd", {}, "Enter"))),
      el("p", { class: "keys muted" }, t("interview.keys"))));

  const input = document.getElementById("q-text");
  if (input) {
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  } else if (changedQuestion) {
    document.getElementById("q-label").focus();
  }
}

async function answer(value) {
  const s = state.screen;
  if (!s) return;
  setSave("saving");
  const screen = await attempt(() => api.recordAnswer(s.interview_id, s.question.path, value));
  if (screen) {
    setSave("saved");
    // Keep focus where it was (the scale or list) by re-rendering the same question.
    const focusedValue = document.activeElement?.dataset?.value;
    renderInterview(screen);
    if (focusedValue !== undefined) main.querySelector(`.option[data-value="${CSS.escape(focusedValue)}"]`)?.focus();
  }
}

async function saveText() {
  clearTimeout(state.textTimer);
  const s = state.screen;
  const input = document.getElementById("q-text");
  if (!s || !input || input.value.trim() === s.question.value) return;
  setSave("saving");
  const screen = await attempt(() => api.recordAnswer(s.interview_id, s.question.path, input.value));
  if (screen) {
    setSave("saved");
    state.screen = screen;
  }
}

async function next() {
  const s = state.screen;
  if (!s) return;
  if (document.getElementById("q-text")) await saveText();
  const screen = await attempt(() => api.nextItem(s.interview_id));
  if (screen) renderInterview(screen);
}

async function back() {
  const s = state.screen;
  if (!s || s.question.is_first) return;
  if (document.getElementById("q-text")) await saveText();
  const screen = await attempt(() => api.previousItem(s.interview_id));
  if (screen) renderInterview(screen);
}

async function pause() {
  const s = state.screen;
  if (!s) return;
  if (document.getElementById("q-text")) await saveText();
  try {
    await api.pauseInterview(s.interview_id);
  } catch (err) {
    showError(err && err.code ? err : { code: "internal", message: t("error.unexpected") });
    return;
  }
  await attempt(showHome);
}

/** A choice click or digit: sets a single choice, or toggles one of several. */
function choose(value) {
  const q = state.screen.question;
  if (q.kind !== "select_multiple") return answer(value);
  const chosen = q.value.split(" ").filter(Boolean);
  const next = chosen.includes(value) ? chosen.filter((v) => v !== value) : [...chosen, value];
  return answer(next.join(" "));
}

/** Digits on a range question type ahead: "1" then "0" gives 10; a digit that overflows starts again. */
function typeDigit(digit) {
  const q = state.screen.question;
  if (q.kind === "range") {
    let candidate = state.typed + digit;
    if (Number(candidate) > q.max) candidate = digit;
    if (Number(candidate) < q.min || Number(candidate) > q.max) return;
    state.typed = candidate === "0" ? "" : candidate;
    answer(String(Number(candidate)));
  } else if (q.kind === "select_one" || q.kind === "select_multiple") {
    const choice = q.choices[Number(digit) - 1];
    if (choice) choose(choice.value);
  } else if (q.kind === "acknowledge" && digit === "1") {
    answer("OK");
  }
}

document.addEventListener("keydown", (ev) => {
  const inText = ev.target instanceof HTMLInputElement || ev.target instanceof HTMLTextAreaElement;
  if (!state.screen) {
    if (!inText && (ev.key === "n" || ev.key === "N") && !ev.ctrlKey && !ev.altKey && !ev.metaKey) {
      const startButton = main.querySelector("#studies button");
      if (startButton) { ev.preventDefault(); startButton.click(); }
    }
    return;
  }
  if (ev.altKey && ev.key === "ArrowLeft") { ev.preventDefault(); back(); return; }
  if (ev.key === "Escape") { ev.preventDefault(); pause(); return; }
  if (ev.key === "Enter") {
    // A focused Back or Pause button keeps its own meaning for Enter.
    if (ev.target instanceof HTMLButtonElement && (ev.target.id === "back" || ev.target.id === "pause")) return;
    ev.preventDefault();
    next();
    return;
  }
  if (inText) return;
  if (ev.key === "Backspace") { ev.preventDefault(); back(); return; }
  if (/^[0-9]$/.test(ev.key) && !ev.ctrlKey && !ev.altKey && !ev.metaKey) { ev.preventDefault(); typeDigit(ev.key); }
});

window.addEventListener("error", () => showError({ code: "internal", message: t("error.unexpected") }));
window.addEventListener("unhandledrejection", (ev) => {
  const e = ev.reason && ev.reason.code ? ev.reason : { code: "internal", message: t("error.unexpected") };
  showError(e);
});

async function boot() {
  const status = await attempt(() => api.appStatus());
  if (status && status.error) {
    main.replaceChildren(
      el("section", { id: "startup-error", class: "fatal" },
        el("h1", {}, t("error.startup_title")),
        el("p", {}, ["incompatible_database", "damaged_database"].includes(status.error.code)
          ? t(`error.startup_help.${status.error.code}`) : t("error.startup_help")),
        el("p", { class: "mono", id: "startup-message", "data-code": status.error.code }, status.error.message)));
    return;
  }
  if (status) await attempt(showHome);
}

boot();
