// core.js: the shell every screen shares: element builder, save indicator, errors, screen registry, keys, language switch.
"use strict";

const mainEl = document.getElementById("main");
const saveStateEl = document.getElementById("save-state");
const errorBannerEl = document.getElementById("error");

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

/** The quiet save indicator in the top bar: idle, saving, saved or failed. */
function setSave(kind) {
  saveStateEl.dataset.state = kind;
  saveStateEl.textContent = kind === "idle" ? "" : t(`save.${kind}`);
}

function showError(err) {
  errorBannerEl.replaceChildren(
    el("span", { class: "banner-text" }, err.message || t("error.unexpected")),
    el("button", { type: "button", class: "link", onclick: hideError }, t("error.dismiss")),
  );
  errorBannerEl.dataset.code = err.code || "internal";
  errorBannerEl.hidden = false;
}

function hideError() {
  errorBannerEl.hidden = true;
  errorBannerEl.replaceChildren();
}

/**
 * Runs an action; a failure is shown in words: a validation message in the
 * screen's `#q-error` slot when it has one, anything else as a banner.
 */
async function attempt(action) {
  try {
    return await action();
  } catch (err) {
    const e = err && err.code ? err : { code: "internal", message: t("error.unexpected") };
    if (saveStateEl.dataset.state === "saving") setSave("failed");
    const slot = document.getElementById("q-error");
    if (e.code === "validation" && slot) slot.textContent = e.message;
    else showError(e);
    return null;
  }
}

// ---------------------------------------------------------------- screens

const screens = new Map();
const homeActions = [];
const current = { name: null, params: {} };

/**
 * Registers a screen. `def.render(params)` returns the screen's element (or
 * null when it navigated elsewhere itself); optional `def.title(params)`,
 * `def.onKey(event, params)` returning true when it handled the key, and
 * `def.shortcuts()` listing `[keys, description]` pairs for the `?` sheet.
 */
function registerScreen(name, def) {
  screens.set(name, def);
}

/**
 * Adds a button to the home screen's Work row, e.g. the call queue:
 * `{id, key, label: () => text, run: () => ...}`; `key` is a single letter
 * that triggers it from the home screen and is shown on the button.
 */
function registerHomeAction(action) {
  homeActions.push(action);
}

function currentScreen() {
  return current.name;
}

/** Shows screen `name` with `params`, sets the title and puts focus on the screen's first target. */
async function go(name, params = {}) {
  const def = screens.get(name);
  if (!def) throw { code: "internal", message: `no screen named ${name}` };
  const node = await def.render(params);
  if (!node) return;
  current.name = name;
  current.params = params;
  hideError();
  document.getElementById("screen-title").textContent = def.title ? def.title(params) : "";
  mainEl.replaceChildren(node);
  const target = mainEl.querySelector("[data-autofocus]") || mainEl.querySelector("h1");
  if (target) {
    if (target.tagName === "H1" && !target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus();
  }
}

/** Draws the current screen again, e.g. after the language changed. */
function refresh() {
  if (current.name) return attempt(() => go(current.name, current.params));
  return Promise.resolve();
}

// ---------------------------------------------------------------- language and shortcuts

function renderLocalePicker() {
  const slot = document.getElementById("locale-slot");
  const select = el("select", { id: "locale", "aria-label": t("app.language") },
    LOCALES.map((l) => el("option", { value: l.code, lang: l.code, selected: l.code === locale() }, l.name)));
  select.addEventListener("change", () => {
    setLocale(select.value);
    renderChrome();
    refresh().then(() => select.focus());
  });
  slot.replaceChildren(select);
}

const THEME_KEY = "canvass.theme";
const THEMES = ["system", "light", "dark"];

function savedTheme() {
  try {
    const saved = window.localStorage.getItem(THEME_KEY);
    return THEMES.includes(saved) ? saved : "system";
  } catch (_) {
    return "system"; // Storage may be locked down; the system's theme still applies.
  }
}

/** Applies a theme: `system` follows the desktop's light or dark setting. */
function applyTheme(theme) {
  if (theme === "system") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

function renderThemePicker() {
  const current = savedTheme();
  const select = el("select", { id: "theme", "aria-label": t("app.theme") },
    THEMES.map((th) => el("option", { value: th, selected: th === current }, t(`app.theme.${th}`))));
  select.addEventListener("change", () => {
    applyTheme(select.value);
    try {
      window.localStorage.setItem(THEME_KEY, select.value);
    } catch (_) {
      // Not remembered, but applied for this session.
    }
  });
  document.getElementById("theme-slot").replaceChildren(select);
}

// ---------------------------------------------------------------- zoom

const ZOOM_KEY = "canvass.zoom";
const ZOOMS = [0.8, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2, 2.5, 3];

function savedZoom() {
  try {
    const z = Number(window.localStorage.getItem(ZOOM_KEY));
    return ZOOMS.includes(z) ? z : 1;
  } catch (_) {
    return 1; // Storage may be locked down; the window keeps its normal size.
  }
}

/** Zooms the whole window (the web view's own zoom) and remembers the level for this user. */
function setZoom(scale) {
  try {
    window.localStorage.setItem(ZOOM_KEY, String(scale));
  } catch (_) {
    // Applied for this session only.
  }
  return api.setZoom(scale).catch(showError);
}

/** Ctrl+plus, Ctrl+minus and Ctrl+0, as in a browser; true when the key was one of them. */
function zoomKey(ev) {
  if (!(ev.ctrlKey || ev.metaKey) || ev.altKey) return false;
  const at = ZOOMS.indexOf(savedZoom());
  if (ev.key === "+" || ev.key === "=") setZoom(ZOOMS[Math.min(ZOOMS.length - 1, at + 1)]);
  else if (ev.key === "-" || ev.key === "_") setZoom(ZOOMS[Math.max(0, at - 1)]);
  else if (ev.key === "0") setZoom(1);
  else return false;
  return true;
}

/** The parts of the window outside the screen: language and theme pickers, shortcut hint, save state text. */
/** Parts of the top bar owned by screens (the sync indicator), drawn again with the chrome. */
const chromeParts = [];

/** Registers a top-bar part to draw again whenever the chrome is (a language switch, start-up). */
function registerChromePart(render) {
  chromeParts.push(render);
}

function renderChrome() {
  applyTheme(savedTheme());
  if (savedZoom() !== 1) setZoom(savedZoom());
  renderThemePicker();
  renderLocalePicker();
  document.getElementById("shortcut-hint").textContent = t("app.shortcuts_hint");
  if (saveStateEl.dataset.state && saveStateEl.dataset.state !== "idle") setSave(saveStateEl.dataset.state);
  chromeParts.forEach((render) => render());
}

function showShortcuts() {
  const def = screens.get(current.name);
  const rows = [["?", t("app.key_help")], ["Esc", t("app.key_close")], ["Ctrl++ / Ctrl+- / Ctrl+0", t("app.key_zoom")], ...((def && def.shortcuts && def.shortcuts()) || [])];
  const dialog = el("dialog", { id: "shortcuts", "aria-labelledby": "shortcuts-title" },
    el("h2", { id: "shortcuts-title" }, t("app.shortcuts")),
    el("table", { class: "shortcut-table" }, el("tbody", {}, rows.map(([k, d]) => el("tr", {}, el("td", {}, el("kbd", {}, k)), el("td", {}, d))))),
    el("form", { method: "dialog" }, el("button", { type: "submit", class: "primary", "data-autofocus": true }, t("app.close"))));
  const previous = document.activeElement;
  dialog.addEventListener("keydown", (ev) => ev.stopPropagation());
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (previous && previous.isConnected) previous.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
}

/**
 * Asks a question in a modal dialog and resolves to `{ok, value}`: Enter or the
 * confirm button accepts, Esc or Cancel declines; focus returns where it was.
 * `options`: `{id, title, body: [nodes or text], confirm, cancel, input: label}`
 * (with `input`, a text field is shown and its text is the resolved value).
 */
function askDialog(options) {
  return new Promise((resolve) => {
    const previous = document.activeElement;
    const field = options.input
      ? el("input", { type: "text", id: `${options.id}-input`, class: "text-answer", "data-autofocus": true })
      : null;
    let result = { ok: false, value: "" };
    const dialog = el("dialog", { id: options.id, "aria-labelledby": `${options.id}-title` },
      el("h2", { id: `${options.id}-title` }, options.title),
      (options.body || []).map((b) => (typeof b === "string" ? el("p", {}, b) : b)),
      field ? el("label", { for: `${options.id}-input` }, options.input) : null,
      field,
      el("div", { class: "dialog-buttons" },
        el("button", { type: "button", id: `${options.id}-cancel`, onclick: () => dialog.close() },
          options.cancel || t("dialog.cancel"), el("kbd", {}, "Esc")),
        el("button", {
          type: "button", id: `${options.id}-confirm`, class: "primary", "data-autofocus": field ? null : true,
          onclick: () => { result = { ok: true, value: field ? field.value : "" }; dialog.close(); },
        }, options.confirm, el("kbd", {}, "Enter"))));
    dialog.addEventListener("keydown", (ev) => {
      // Keys pressed in the dialog belong to it alone: an Enter that closes it must
      // not also reach the screen underneath and, say, move to the next question.
      ev.stopPropagation();
      if (ev.key === "Enter" && !(ev.target instanceof HTMLButtonElement)) {
        ev.preventDefault();
        result = { ok: true, value: field ? field.value : "" };
        dialog.close();
      }
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (previous && previous.isConnected) previous.focus();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
    (dialog.querySelector("[data-autofocus]") || dialog.querySelector("button.primary")).focus();
  });
}

function isTyping(target) {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}

document.addEventListener("keydown", (ev) => {
  // A dialog handles its own keys (Esc closes it), including the Enter that closed it.
  if (document.querySelector("dialog[open]") || (ev.target instanceof Element && ev.target.closest("dialog"))) return;
  if (zoomKey(ev)) {
    ev.preventDefault();
    return;
  }
  if (ev.key === "?" && !isTyping(ev.target)) {
    ev.preventDefault();
    showShortcuts();
    return;
  }
  const def = screens.get(current.name);
  if (def && def.onKey && def.onKey(ev, current.params)) ev.preventDefault();
});

window.addEventListener("error", () => showError({ code: "internal", message: t("error.unexpected") }));
window.addEventListener("unhandledrejection", (ev) => {
  const e = ev.reason && ev.reason.code ? ev.reason : { code: "internal", message: t("error.unexpected") };
  showError(e);
});
