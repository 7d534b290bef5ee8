// screens/interview.js: one question at a time from the engine's Screen view, with digits, Enter, Alt+Left and Esc.
"use strict";

const iv = {
  screen: null, // the interview Screen from Rust
  typed: "", // digits typed on a range question, for two-digit scores such as 10
  textTimers: new Map(), // pending saves of text answers while the interviewer types, by question path
  validated: false, // Enter was refused on this screen: required messages show at each empty question
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

// ---------------------------------------------------------------- widgets

/**
 * How each question kind is drawn: the one place that maps a QuestionView's
 * `kind` to a render function. `render(q, ctx)` returns the answer element (or
 * null for a note); `ctx` is `{index, inputId, labelId, errorId, single}` where
 * `single` is true when the question has the screen to itself. Other screens add
 * kinds with `registerWidget(kind, render)`.
 */
const widgets = new Map();

function registerWidget(kind, render) {
  widgets.set(kind, render);
}

function widgetFor(q) {
  if (q.kind === "range" && q.max - q.min <= 20) return widgets.get("scale");
  // CAPI widgets by kind: ui/widgets/attach.js (image, audio, file) and geopoint.js.
  if (window.capiWidgets && capiWidgets[q.kind]) return (x) => capiWidgets[x.kind](x);
  return widgets.get(q.kind) || widgets.get("text");
}

registerWidget("scale", (q, ctx) => {
  const options = [];
  for (let v = q.min; v <= q.max; v++) {
    const s = String(v);
    options.push(el("button", {
      type: "button", class: "option score", "data-value": s, "data-focus-key": `${q.path}|${s}`,
      "aria-pressed": q.value === s ? "true" : "false", onclick: () => answer(s, q.path),
    }, formatNumber(v)));
  }
  return el("div", { class: "scale", role: "group", "aria-labelledby": ctx.labelId }, options);
});

function selectWidget(q, ctx) {
  const chosen = new Set(q.value.split(" ").filter(Boolean));
  return el("div", { class: "choices", role: "group", "aria-labelledby": ctx.labelId },
    q.choices.map((c, i) => el("button", {
      type: "button", class: "option choice", "data-value": c.value, "data-focus-key": `${q.path}|${c.value}`,
      "aria-pressed": chosen.has(c.value) ? "true" : "false", onclick: () => choose(c.value, q),
    }, el("kbd", {}, String(i + 1)), el("span", { class: "choice-label" }, c.label))));
}
registerWidget("select_one", selectWidget);
registerWidget("select_multiple", selectWidget);

/**
 * A rank question (ODK `rank`): options take places in the order they are
 * chosen, each showing its place; choosing a ranked option again takes it out
 * and the ones after it move up. The value lists the options in rank order.
 */
registerWidget("rank", (q, ctx) => {
  const order = q.value.split(" ").filter(Boolean);
  return el("div", { class: "choices rank", role: "group", "aria-labelledby": ctx.labelId },
    q.choices.map((c, i) => {
      const place = order.indexOf(c.value) + 1;
      return el("button", {
        type: "button", class: "option choice", "data-value": c.value, "data-rank": place ? String(place) : null,
        "data-focus-key": `${q.path}|${c.value}`, "aria-pressed": place ? "true" : "false", onclick: () => choose(c.value, q),
      }, el("kbd", {}, String(i + 1)), el("span", { class: "choice-label" }, c.label),
      place ? el("span", { class: "rank-place" }, t("interview.rank_place", place)) : null);
    }));
});

registerWidget("acknowledge", (q) => el("div", { class: "choices" }, el("button", {
  type: "button", class: "option choice", "data-value": "OK", "data-focus-key": `${q.path}|OK`,
  "aria-pressed": q.value === "OK" ? "true" : "false", onclick: () => answer("OK", q.path),
}, el("kbd", {}, "1"), el("span", {}, t("interview.acknowledge")))));

registerWidget("note", () => null);

registerWidget("text", (q, ctx) => {
  const types = { range: "number", number: "number", decimal: "text", date: "date", time: "time", datetime: "datetime-local" };
  const input = el("input", {
    id: ctx.inputId, type: types[q.kind] || "text", class: "text-answer", "aria-labelledby": ctx.labelId, autocomplete: "off",
    inputmode: q.kind === "decimal" ? "decimal" : null, placeholder: t("interview.text_placeholder"), value: q.value,
    readonly: q.read_only, "aria-describedby": ctx.errorId, "data-autofocus": ctx.index === 0 ? true : null,
    "data-path": q.path, "data-saved": q.value, "data-focus-key": `${q.path}|text`,
  });
  // Numbers are a few keystrokes: each is saved at once, so by the time the
  // interviewer presses Enter the answer is usually on disk already and Enter
  // pays only for the move (the save's fsync and round trip used to sit between
  // the keypress and the next question's paint). Words are saved after a pause
  // in typing, so a sentence costs a handful of commits rather than one per letter.
  const numeric = ["number", "decimal", "range"].includes(q.kind);
  input.addEventListener("input", () => {
    clearTimeout(iv.textTimers.get(q.path));
    // Save while typing too, so a crash mid-sentence loses at most a moment's keystrokes.
    iv.textTimers.set(q.path, setTimeout(() => saveText(q.path), numeric ? 0 : 600));
  });
  input.addEventListener("change", () => saveText(q.path));
  return input;
});

// ---------------------------------------------------------------- questionnaire languages written right to left

const RTL_LANGUAGES = new Set(["ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ps", "sd", "syr", "ug", "ur", "yi"]);

/**
 * The language code and direction of the questionnaire text on screen, from a
 * language name such as `Arabic (ar)`. Without a code the browser works the
 * direction out from the text itself (`dir="auto"`).
 */
function contentDirection(screen) {
  const m = /\(([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*\)\s*$/.exec(screen.language || screen.default_language || "");
  if (!m) return { lang: null, dir: "auto" };
  const code = m[1].toLowerCase();
  return { lang: code, dir: RTL_LANGUAGES.has(code) ? "rtl" : "ltr" };
}

// ---------------------------------------------------------------- the screen

/** One question's content (label, texts, answer, message slot); `index` numbers the questions of a page. */
function questionBlock(q, index, single) {
  const suffix = single ? "" : `-${index}`;
  const ctx = { index, single, inputId: `q-text${suffix}`, labelId: `q-label${suffix}`, errorId: `q-error${suffix}` };
  const message = q.error || (iv.validated && q.missing) || "";
  const label = single
    ? el("h1", { id: ctx.labelId, class: "question", tabindex: "-1" }, q.label)
    : el("h2", { id: ctx.labelId, class: "question page-question", tabindex: "-1" }, q.label,
      q.required ? el("span", { class: "required-mark", title: t("interview.required") }, " *") : null);
  return el("div", {
    class: "q-block", "data-path": q.path, "data-name": q.name, "data-kind": q.kind, "data-index": String(index),
    "data-invalid": message ? "true" : null,
  },
  label,
  q.read_aloud ? el("blockquote", { class: "read-aloud", id: single ? "q-read-aloud" : null }, q.read_aloud) : null,
  q.instructions ? el("p", { class: "instructions", id: single ? "q-instructions" : null }, el("strong", {}, t("interview.instructions")), " ", q.instructions) : null,
  q.hint ? el("p", { class: "hint muted" }, q.hint) : null,
  widgetFor(q)(q, ctx),
  // The slot is always there and keeps its height, so a message never moves the page.
  el("p", { id: ctx.errorId, class: "field-error", "aria-live": "assertive" }, message));
}

/** A `table-list` page: rows are the questions, columns the choices they share. */
function tableBlock(page) {
  const columns = page.questions[0].choices;
  return el("table", { class: "choice-grid", id: "q-grid" },
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, ""),
      columns.map((c, i) => el("th", { scope: "col" }, el("kbd", {}, String(i + 1)), " ", c.label)))),
    el("tbody", {}, page.questions.map((q, r) => {
      const message = q.error || (iv.validated && q.missing) || "";
      return el("tr", { class: "q-block", "data-path": q.path, "data-name": q.name, "data-kind": q.kind, "data-index": String(r), "data-invalid": message ? "true" : null },
        el("th", { scope: "row", id: `q-label-${r}` }, q.label,
          el("span", { id: `q-error-${r}`, class: "field-error grid-error", "aria-live": "assertive" }, message)),
        columns.map((c) => el("td", {}, el("button", {
          type: "button", class: "option grid-cell", "data-value": c.value, "data-focus-key": `${q.path}|${c.value}`,
          "aria-pressed": q.value.split(" ").includes(c.value) ? "true" : "false",
          "aria-label": `${q.label}: ${c.label}`, onclick: () => choose(c.value, q),
        }, el("span", { "aria-hidden": "true" }, q.value.split(" ").includes(c.value) ? "●" : "○")))));
    })));
}

function buildInterview(screen) {
  const changedQuestion = !iv.screen || iv.screen.question?.name !== screen.question.name;
  iv.screen = screen;
  if (changedQuestion) {
    iv.typed = "";
    iv.validated = false;
  }
  const q = screen.question;
  const page = q.page;
  const { lang, dir } = contentDirection(screen);
  let content;
  if (!page) {
    content = questionBlock(q, 0, true);
  } else {
    content = el("div", { class: "page", id: "q-page", "data-page": page.path, "data-table": page.table ? "true" : null },
      el("h1", { id: "q-label", class: "question page-title", tabindex: "-1" }, page.label || q.label),
      page.hint ? el("p", { class: "hint muted" }, page.hint) : null,
      page.table && page.questions.length > 0 && page.questions.every((x) => x.choices.length > 0)
        ? tableBlock(page)
        : page.questions.map((x, i) => questionBlock(x, i, false)));
  }
  return el("section", { id: "interview", "data-item": q.name, "data-kind": page ? "page" : q.kind, "aria-labelledby": "q-label" },
    el("p", { class: "progress muted", id: "progress" }, t("interview.progress", screen.position, screen.total)),
    languageTools(screen),
    rosterStrip(q),
    // Question text follows the questionnaire language's direction; the chrome keeps the UI's.
    el("div", { class: "q-content", id: "q-content", dir, lang }, content),
    page ? el("p", { id: "q-error", class: "field-error page-error", "aria-live": "assertive" }) : null,
    el("div", { class: "nav" },
      el("button", { type: "button", id: "back", disabled: q.is_first, onclick: back }, t("interview.back"), el("kbd", {}, "Alt+←")),
      el("button", { type: "button", id: "pause", class: "link", onclick: pause }, t("interview.home"), el("kbd", {}, "Esc")),
      el("button", { type: "button", id: "break-off", class: "link", onclick: breakOff }, t("interview.break_off"), el("kbd", {}, "Alt+B")),
      el("button", { type: "button", id: "outline-open", class: "link", onclick: openOutline }, t("interview.outline"), el("kbd", {}, "Ctrl+K")),
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
  await saveTexts();
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
  await saveTexts();
  const screen = await attempt(() => api.addRepeat(s.interview_id, r.range_path));
  if (screen) renderInterview(screen);
}

async function removeMember() {
  const s = iv.screen;
  const r = s && s.question.repeat;
  if (!r) return;
  await saveTexts();
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
  await saveTexts();
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
  // Only what changed is touched: every DOM write outside the question costs style and layout work before the paint.
  if (!errorBannerEl.hidden) hideError();
  if (screen.status === "completed" || !screen.question) {
    showInterview(screen);
    return;
  }
  const changedQuestion = !iv.screen || iv.screen.question?.name !== screen.question.name
    || iv.screen.position !== screen.position;
  // What the interviewer has typed but not yet had saved survives the redraw
  // (a page redraws when an answer on it changes relevance or a calculation).
  const focusKey = document.activeElement?.dataset?.focusKey;
  const typed = new Map();
  if (!changedQuestion) {
    for (const input of mainEl.querySelectorAll("#interview input[data-path]")) {
      if (input.value !== input.dataset.saved) typed.set(input.dataset.path, input.value);
    }
  }
  const node = buildInterview(screen);
  for (const input of node.querySelectorAll("input[data-path]")) {
    if (typed.has(input.dataset.path)) input.value = typed.get(input.dataset.path);
  }
  const title = document.getElementById("screen-title");
  if (title.textContent !== screen.study_title) title.textContent = screen.study_title;
  mainEl.replaceChildren(node);
  if (current.name === "interview") current.params = { screen };
  const again = !changedQuestion && focusKey ? mainEl.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`) : null;
  if (again) {
    again.focus();
    if (again instanceof HTMLInputElement && again.type === "text") again.setSelectionRange(again.value.length, again.value.length);
  } else {
    focusInterview(changedQuestion);
  }
}

function focusInterview(changedQuestion) {
  const input = document.getElementById("q-text");
  if (input) {
    input.focus();
    // Only text-like inputs have a caret to place; number and date inputs refuse it.
    if (input.type === "text") input.setSelectionRange(input.value.length, input.value.length);
  } else if (changedQuestion) {
    const first = iv.screen?.question?.page ? mainEl.querySelector(".q-block input, .q-block .option") : null;
    (first || document.getElementById("q-label")).focus();
  }
}

/** Saves `value` for the question at `path` (the screen's question when omitted). */
async function answer(value, path) {
  const s = iv.screen;
  if (!s) return;
  setSave("saving");
  const screen = await attempt(() => api.recordAnswer(s.interview_id, path || s.question.path, value));
  if (screen) {
    setSave("saved");
    // Keep focus where it was (the scale, list or grid) by re-rendering in place.
    renderInterview(screen);
  }
}

/** Saves the typed answer of the question at `path` when it changed since its last save. */
async function saveText(path) {
  clearTimeout(iv.textTimers.get(path));
  iv.textTimers.delete(path);
  const s = iv.screen;
  const input = mainEl.querySelector(`input[data-path="${CSS.escape(path)}"]`);
  if (!s || !input || input.readOnly || input.value.trim() === input.dataset.saved) return;
  const value = input.value;
  input.dataset.saved = value.trim();
  setSave("saving");
  const screen = await attempt(() => api.recordAnswer(s.interview_id, path, value));
  if (!screen) {
    delete input.dataset.saved; // Not saved: try again on the next change or move.
    return;
  }
  setSave("saved");
  if (screen.question?.page) {
    // On a page, other questions may have come or gone, or been recomputed.
    renderInterview(screen);
  } else {
    iv.screen = screen;
    if (current.name === "interview") current.params = { screen };
  }
}

/** Saves every typed answer on screen that has not been saved yet. */
async function saveTexts() {
  const paths = [...mainEl.querySelectorAll("#interview input[data-path]")].map((i) => i.dataset.path);
  for (const path of paths) await saveText(path);
}

async function next() {
  const s = iv.screen;
  if (!s) return;
  await saveTexts();
  if (!s.question.page) {
    const screen = await attempt(() => api.nextItem(s.interview_id));
    if (screen) renderInterview(screen);
    return;
  }
  // A page is checked as a whole: on a refusal every question with a problem
  // shows its own message, and focus goes to the first of them.
  try {
    renderInterview(await api.nextItem(s.interview_id));
  } catch (err) {
    if (!err || err.code !== "validation") {
      showError(err && err.code ? err : { code: "internal", message: t("error.unexpected") });
      return;
    }
    iv.validated = true;
    const screen = await attempt(() => api.getScreen(s.interview_id));
    if (!screen) return;
    renderInterview(screen);
    const block = mainEl.querySelector(".q-block[data-invalid]");
    const bad = block && (block.querySelector("input, .option") || block.querySelector(".question"));
    if (bad) bad.focus();
    else document.getElementById("q-error").textContent = err.message;
  }
}

async function back() {
  const s = iv.screen;
  if (!s || s.question.is_first) return;
  await saveTexts();
  const screen = await attempt(() => api.previousItem(s.interview_id));
  if (screen) renderInterview(screen);
}

async function pause() {
  const s = iv.screen;
  if (!s) return;
  await saveTexts();
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
function choose(value, q = iv.screen.question) {
  if (q.kind !== "select_multiple" && q.kind !== "rank") return answer(value, q.path);
  const chosen = q.value.split(" ").filter(Boolean);
  const picked = chosen.includes(value) ? chosen.filter((v) => v !== value) : [...chosen, value];
  return answer(picked.join(" "), q.path);
}

/** The question digits apply to: on a page the one holding focus, else the screen's own. */
function digitTarget() {
  const q = iv.screen.question;
  if (!q.page) return q;
  const block = document.activeElement?.closest?.(".q-block");
  return block ? q.page.questions.find((x) => x.path === block.dataset.path) || null : null;
}

/** Digits on a range question type ahead: "1" then "0" gives 10; a digit that overflows starts again. */
function typeDigit(digit) {
  const q = digitTarget();
  if (!q) return;
  if (q.kind === "range") {
    let candidate = iv.typed + digit;
    if (Number(candidate) > q.max) candidate = digit;
    if (Number(candidate) < q.min || Number(candidate) > q.max) return;
    iv.typed = candidate === "0" ? "" : candidate;
    answer(String(Number(candidate)), q.path);
  } else if (q.kind === "select_one" || q.kind === "select_multiple" || q.kind === "rank") {
    const choice = q.choices[Number(digit) - 1];
    if (choice) {
      // Focus follows the choice, so the next digit or Tab starts from it.
      const move = () => mainEl.querySelector(`[data-focus-key="${CSS.escape(`${q.path}|${choice.value}`)}"]`)?.focus();
      move();
      choose(choice.value, q);
    }
  } else if (q.kind === "acknowledge" && digit === "1") {
    answer("OK", q.path);
  }
}

// ---------------------------------------------------------------- the outline (Ctrl+K)

const OUTLINE_MARKS = { answered: "✓", missing: "!", error: "✗", empty: "○" };

/**
 * The interview outline: every relevant question, group and roster member with
 * its state; typing filters, arrows move, Enter jumps (logged as a jump), Esc
 * closes and puts focus back where it was.
 */
async function openOutline() {
  const s = iv.screen;
  if (!s || document.getElementById("outline")) return;
  await saveTexts();
  const items = await attempt(() => api.interviewOutline(s.interview_id));
  if (!items) return;
  const previous = document.activeElement;
  const filter = el("input", {
    id: "outline-filter", type: "text", class: "text-answer", autocomplete: "off", role: "combobox",
    "aria-expanded": "true", "aria-controls": "outline-list", "aria-labelledby": "outline-title", placeholder: t("interview.outline_filter"),
  });
  const rows = items.map((item, i) => el("li", {
    id: `outline-${i}`, role: "option", class: `outline-item outline-${item.kind}`, "data-path": item.path, "data-state": item.state || null,
    "data-screen": String(item.screen), "aria-selected": "false", style: `padding-inline-start: ${0.5 + item.depth * 1.25}rem`,
    onclick: () => jump(item.path),
  },
  item.kind === "question"
    ? el("span", { class: "outline-mark", "aria-hidden": "true" }, OUTLINE_MARKS[item.state] || "")
    : el("span", { class: "outline-mark", "aria-hidden": "true" }, "▸"),
  el("span", { class: "outline-label", dir: "auto" }, item.label),
  item.kind === "question" ? el("span", { class: "visually-hidden" }, `, ${t(`interview.outline_state.${item.state}`)}`) : null,
  el("span", { class: "outline-screen muted" }, formatNumber(item.screen))));
  const list = el("ul", { id: "outline-list", role: "listbox", "aria-labelledby": "outline-title" }, rows);
  const count = el("p", { id: "outline-count", class: "muted", "aria-live": "polite" });
  const dialog = el("dialog", { id: "outline", "aria-labelledby": "outline-title", class: "outline-dialog" },
    el("h2", { id: "outline-title" }, t("interview.outline")),
    filter, count, list,
    el("p", { class: "keys muted" }, t("interview.outline_keys")));
  let active = -1;
  const visible = () => rows.filter((r) => !r.hidden);
  function select(row) {
    rows.forEach((r) => r.setAttribute("aria-selected", "false"));
    if (!row) {
      filter.removeAttribute("aria-activedescendant");
      active = -1;
      return;
    }
    row.setAttribute("aria-selected", "true");
    filter.setAttribute("aria-activedescendant", row.id);
    active = rows.indexOf(row);
    row.scrollIntoView({ block: "nearest" });
  }
  function applyFilter() {
    const words = filter.value.toLocaleLowerCase().split(/\s+/).filter(Boolean);
    for (const [i, row] of rows.entries()) {
      const text = `${items[i].label} ${items[i].path}`.toLocaleLowerCase();
      row.hidden = !words.every((w) => text.includes(w));
    }
    const shown = visible();
    count.textContent = t("interview.outline_count", shown.length);
    // The current screen's first item is where the list starts, as the interviewer left it.
    const here = shown.find((r) => r.dataset.screen === String(s.position) && r.dataset.path.startsWith("/")) || shown[0];
    select(filter.value ? shown[0] : here);
  }
  let jumped = false;
  async function jump(path) {
    jumped = true;
    dialog.close();
    const screen = await attempt(() => api.jumpTo(s.interview_id, path));
    if (screen) renderInterview(screen);
  }
  filter.addEventListener("input", applyFilter);
  dialog.addEventListener("keydown", (ev) => {
    ev.stopPropagation();
    const shown = visible();
    const at = shown.indexOf(rows[active]);
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      const step = ev.key === "ArrowDown" ? 1 : -1;
      select(shown[Math.min(shown.length - 1, Math.max(0, at + step))]);
    } else if (ev.key === "PageDown" || ev.key === "PageUp") {
      ev.preventDefault();
      const step = ev.key === "PageDown" ? 10 : -10;
      select(shown[Math.min(shown.length - 1, Math.max(0, at + step))]);
    } else if (ev.key === "Enter") {
      ev.preventDefault();
      if (rows[active] && !rows[active].hidden) jump(rows[active].dataset.path);
    }
  });
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (!jumped && previous && previous.isConnected) previous.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  applyFilter();
  filter.focus();
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
    ["Ctrl+K", t("interview.key_outline")],
  ],
  onKey(ev) {
    if (!iv.screen) return false;
    const inText = ev.target instanceof HTMLInputElement || ev.target instanceof HTMLTextAreaElement;
    if (ev.altKey && ev.key === "ArrowLeft") { back(); return true; }
    if ((ev.ctrlKey || ev.metaKey) && !ev.altKey && (ev.key.toLowerCase() === "k" || ev.code === "KeyK")) { openOutline(); return true; }
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
      if (ev.target instanceof HTMLButtonElement && ["back", "pause", "break-off", "outline-open"].includes(ev.target.id)) return false;
      next();
      return true;
    }
    if (inText || ev.target instanceof HTMLSelectElement) return false;
    if (ev.key === "Backspace") { back(); return true; }
    if (/^[0-9]$/.test(ev.key) && !ev.ctrlKey && !ev.altKey && !ev.metaKey) { typeDigit(ev.key); return true; }
    return false;
  },
});
