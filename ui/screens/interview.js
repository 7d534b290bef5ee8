// screens/interview.js: one question at a time from the engine's Screen view, with digits, Enter, Alt+Left and Esc.
"use strict";

const iv = {
  screen: null, // the interview Screen from Rust
  typed: "", // digits typed on a range question, for two-digit scores such as 10
  textTimer: null, // pending save of a text answer while the interviewer types
};

/**
 * Opens the interview screen on a Screen view from Rust (start, resume, or a
 * hand-over from another screen such as the call queue).
 */
async function showInterview(screen) {
  if (screen.status === "completed" || !screen.question) {
    noticeOnHome(t("home.just_completed"));
    iv.screen = null;
    return go("home");
  }
  return go("interview", { screen });
}

function buildInterview(screen) {
  const changedQuestion = !iv.screen || iv.screen.question?.name !== screen.question.name;
  iv.screen = screen;
  if (changedQuestion) iv.typed = "";
  const q = screen.question;

  let body = null;
  const scale = q.kind === "range" && q.max - q.min <= 20;
  if (scale) {
    const options = [];
    for (let v = q.min; v <= q.max; v++) {
      const s = String(v);
      options.push(el("button", {
        type: "button", class: "option score", "data-value": s, "aria-pressed": q.value === s ? "true" : "false",
        onclick: () => answer(s),
      }, formatNumber(v)));
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
  } else if (window.capiWidgets && capiWidgets[q.kind]) {
    body = capiWidgets[q.kind](q); // CAPI widgets by kind: ui/widgets/attach.js (image, audio, file), geopoint.js
  } else if (q.kind !== "note") {
    const types = { range: "number", number: "number", decimal: "text", date: "date", time: "time", datetime: "datetime-local" };
    body = el("input", {
      id: "q-text", type: types[q.kind] || "text", class: "text-answer", "aria-labelledby": "q-label", autocomplete: "off",
      inputmode: q.kind === "decimal" ? "decimal" : null, placeholder: t("interview.text_placeholder"), value: q.value,
      readonly: q.read_only, "aria-describedby": "q-error", "data-autofocus": true,
    });
    body.addEventListener("input", () => {
      clearTimeout(iv.textTimer);
      // Save while typing too, so a crash mid-sentence loses at most a moment's keystrokes.
      iv.textTimer = setTimeout(() => saveText(), 600);
    });
    body.addEventListener("change", () => saveText());
  }

  return el("section", { id: "interview", "data-item": q.name, "data-kind": q.kind, "aria-labelledby": "q-label" },
    el("p", { class: "progress muted", id: "progress" }, t("interview.progress", screen.position, screen.total)),
    languageTools(screen),
    rosterStrip(q),
    el("h1", { id: "q-label", class: "question", tabindex: "-1" }, q.label),
    q.read_aloud ? el("blockquote", { class: "read-aloud", id: "q-read-aloud" }, q.read_aloud) : null,
    q.instructions ? el("p", { class: "instructions", id: "q-instructions" }, el("strong", {}, t("interview.instructions")), " ", q.instructions) : null,
    q.hint ? el("p", { class: "hint muted" }, q.hint) : null,
    body,
    el("p", { id: "q-error", class: "field-error", "aria-live": "assertive" }, q.error || ""),
    el("div", { class: "nav" },
      el("button", { type: "button", id: "back", disabled: q.is_first, onclick: back }, t("interview.back"), el("kbd", {}, "Alt+←")),
      el("button", { type: "button", id: "pause", class: "link", onclick: pause }, t("interview.home"), el("kbd", {}, "Esc")),
      el("button", { type: "button", id: "break-off", class: "link", onclick: breakOff }, t("interview.break_off"), el("kbd", {}, "Alt+B")),
      el("button", { type: "button", id: "next", class: "primary", onclick: next },
        q.is_last ? t("interview.finish") : t("interview.next"), el("kbd", {}, "Enter"))),
    el("p", { class: "keys muted" }, t("interview.keys")));
}

/** The questionnaire's language picker, for forms written in more than one language. */
function languageTools(screen) {
  if (!screen.languages || screen.languages.length < 2) return null;
  const select = el("select", { id: "q-lang", "aria-label": t("interview.q_language") },
    el("option", { value: "", selected: !screen.language }, t("interview.default_language")),
    screen.languages.map((l) => el("option", { value: l, selected: screen.language === l }, l)));
  select.addEventListener("change", () => switchLanguage(select.value, true));
  return el("div", { class: "interview-tools" },
    el("label", { for: "q-lang" }, t("interview.q_language")), select, el("kbd", {}, "Alt+L"));
}

/** "Member 2 of 3" with add and remove, for a question inside an interviewer-controlled roster. */
function rosterStrip(q) {
  const r = q.repeat;
  if (!r) return null;
  return el("div", { class: "roster", id: "roster", "data-instance": r.instance_path, "data-count": String(r.count) },
    el("span", { class: "roster-position", id: "roster-position" }, t("roster.position", r.label, r.index, r.count)),
    el("button", { type: "button", id: "roster-add", onclick: addMember }, t("roster.add", r.label), el("kbd", {}, "Alt+A")),
    el("button", { type: "button", id: "roster-remove", onclick: removeMember }, t("roster.remove", r.label, r.index), el("kbd", {}, "Alt+R")));
}

/** Switches the questionnaire's language; focus stays on the picker only when the picker made the change. */
async function switchLanguage(language, fromPicker) {
  const s = iv.screen;
  if (!s) return;
  if (document.getElementById("q-text")) await saveText();
  const screen = await attempt(() => api.setLanguage(s.interview_id, language));
  if (screen) {
    renderInterview(screen);
    if (fromPicker) document.getElementById("q-lang")?.focus();
    else (document.getElementById("q-text") || document.getElementById("q-label"))?.focus();
  }
}

/** Alt+L: the next language of the questionnaire, wrapping round to the default. */
function cycleLanguage() {
  const s = iv.screen;
  if (!s || !s.languages || s.languages.length < 2) return;
  const order = ["", ...s.languages];
  const at = order.indexOf(s.language || "");
  switchLanguage(order[(at + 1) % order.length], false);
}

async function addMember() {
  const s = iv.screen;
  const r = s && s.question.repeat;
  if (!r) return;
  if (document.getElementById("q-text")) await saveText();
  const screen = await attempt(() => api.addRepeat(s.interview_id, r.range_path));
  if (screen) renderInterview(screen);
}

async function removeMember() {
  const s = iv.screen;
  const r = s && s.question.repeat;
  if (!r) return;
  if (document.getElementById("q-text")) await saveText();
  const answer = await askDialog({
    id: "confirm-remove",
    title: t("roster.confirm_title", r.label, r.index),
    body: [t("roster.confirm_help")],
    confirm: t("dialog.confirm_remove"),
  });
  if (!answer.ok) return;
  const screen = await attempt(() => api.removeRepeat(s.interview_id, r.instance_path));
  if (screen) renderInterview(screen);
}

async function breakOff() {
  const s = iv.screen;
  if (!s) return;
  if (document.getElementById("q-text")) await saveText();
  const answer = await askDialog({
    id: "confirm-break-off",
    title: t("interview.break_off_title"),
    body: [t("interview.break_off_help")],
    input: t("interview.break_off_reason"),
    confirm: t("interview.break_off"),
  });
  if (!answer.ok) return;
  // The command returns nothing; `attempt` gives null only when it failed.
  const done = await attempt(async () => {
    await api.breakOffInterview(s.interview_id, answer.value.trim());
    return true;
  });
  if (!done) return;
  iv.screen = null;
  noticeOnHome(t("interview.broken_off"));
  await showHome();
}

/** Draws a new Screen in place, keeping focus where the interviewer works. */
function renderInterview(screen) {
  hideError();
  if (screen.status === "completed" || !screen.question) {
    showInterview(screen);
    return;
  }
  const changedQuestion = !iv.screen || iv.screen.question?.name !== screen.question.name;
  const node = buildInterview(screen);
  document.getElementById("screen-title").textContent = screen.study_title;
  mainEl.replaceChildren(node);
  if (current.name === "interview") current.params = { screen };
  focusInterview(changedQuestion);
}

function focusInterview(changedQuestion) {
  const input = document.getElementById("q-text");
  if (input) {
    input.focus();
    // Only text-like inputs have a caret to place; number and date inputs refuse it.
    if (input.type === "text") input.setSelectionRange(input.value.length, input.value.length);
  } else if (changedQuestion) {
    document.getElementById("q-label").focus();
  }
}

async function answer(value) {
  const s = iv.screen;
  if (!s) return;
  setSave("saving");
  const screen = await attempt(() => api.recordAnswer(s.interview_id, s.question.path, value));
  if (screen) {
    setSave("saved");
    // Keep focus where it was (the scale or list) by re-rendering the same question.
    const focusedValue = document.activeElement?.dataset?.value;
    renderInterview(screen);
    if (focusedValue !== undefined) mainEl.querySelector(`.option[data-value="${CSS.escape(focusedValue)}"]`)?.focus();
  }
}

async function saveText() {
  clearTimeout(iv.textTimer);
  const s = iv.screen;
  const input = document.getElementById("q-text");
  if (!s || !input || input.value.trim() === s.question.value) return;
  setSave("saving");
  const screen = await attempt(() => api.recordAnswer(s.interview_id, s.question.path, input.value));
  if (screen) {
    setSave("saved");
    iv.screen = screen;
    if (current.name === "interview") current.params = { screen };
  }
}

async function next() {
  const s = iv.screen;
  if (!s) return;
  if (document.getElementById("q-text")) await saveText();
  const screen = await attempt(() => api.nextItem(s.interview_id));
  if (screen) renderInterview(screen);
}

async function back() {
  const s = iv.screen;
  if (!s || s.question.is_first) return;
  if (document.getElementById("q-text")) await saveText();
  const screen = await attempt(() => api.previousItem(s.interview_id));
  if (screen) renderInterview(screen);
}

async function pause() {
  const s = iv.screen;
  if (!s) return;
  if (document.getElementById("q-text")) await saveText();
  try {
    await api.pauseInterview(s.interview_id);
  } catch (err) {
    showError(err && err.code ? err : { code: "internal", message: t("error.unexpected") });
    return;
  }
  iv.screen = null;
  await showHome();
}

/** A choice click or digit: sets a single choice, or toggles one of several. */
function choose(value) {
  const q = iv.screen.question;
  if (q.kind !== "select_multiple") return answer(value);
  const chosen = q.value.split(" ").filter(Boolean);
  const picked = chosen.includes(value) ? chosen.filter((v) => v !== value) : [...chosen, value];
  return answer(picked.join(" "));
}

/** Digits on a range question type ahead: "1" then "0" gives 10; a digit that overflows starts again. */
function typeDigit(digit) {
  const q = iv.screen.question;
  if (q.kind === "range") {
    let candidate = iv.typed + digit;
    if (Number(candidate) > q.max) candidate = digit;
    if (Number(candidate) < q.min || Number(candidate) > q.max) return;
    iv.typed = candidate === "0" ? "" : candidate;
    answer(String(Number(candidate)));
  } else if (q.kind === "select_one" || q.kind === "select_multiple") {
    const choice = q.choices[Number(digit) - 1];
    if (choice) choose(choice.value);
  } else if (q.kind === "acknowledge" && digit === "1") {
    answer("OK");
  }
}

registerScreen("interview", {
  title: (params) => params.screen.study_title,
  render: (params) => {
    // Drawing the same interview again (a language switch) starts from the newest Screen.
    const screen = iv.screen && iv.screen.interview_id === params.screen.interview_id ? iv.screen : params.screen;
    iv.screen = null;
    return buildInterview(screen);
  },
  shortcuts: () => [
    ["1–9", t("interview.key_digits")],
    ["Enter", t("interview.key_next")],
    ["Alt+← / Backspace", t("interview.key_back")],
    ["Esc", t("interview.key_pause")],
    ["Alt+L", t("interview.key_language")],
    ["Alt+A", t("roster.key_add")],
    ["Alt+R", t("roster.key_remove")],
    ["Alt+B", t("interview.key_break_off")],
  ],
  onKey(ev) {
    if (!iv.screen) return false;
    const inText = ev.target instanceof HTMLInputElement || ev.target instanceof HTMLTextAreaElement;
    if (ev.altKey && ev.key === "ArrowLeft") { back(); return true; }
    if (ev.altKey && !ev.ctrlKey && !ev.metaKey) {
      const k = ev.key.toLowerCase();
      // Alt+letter works whatever the keyboard layout, through the physical key code.
      const code = ev.code;
      if (k === "l" || code === "KeyL") { cycleLanguage(); return true; }
      if ((k === "a" || code === "KeyA") && iv.screen.question.repeat) { addMember(); return true; }
      if ((k === "r" || code === "KeyR") && iv.screen.question.repeat) { removeMember(); return true; }
      if (k === "b" || code === "KeyB") { breakOff(); return true; }
    }
    if (ev.key === "Escape") { pause(); return true; }
    if (ev.key === "Enter") {
      // A focused Back or Pause button keeps its own meaning for Enter.
      if (ev.target instanceof HTMLButtonElement && (ev.target.id === "back" || ev.target.id === "pause")) return false;
      next();
      return true;
    }
    if (inText || ev.target instanceof HTMLSelectElement) return false;
    if (ev.key === "Backspace") { back(); return true; }
    if (/^[0-9]$/.test(ev.key) && !ev.ctrlKey && !ev.altKey && !ev.metaKey) { typeDigit(ev.key); return true; }
    return false;
  },
});
