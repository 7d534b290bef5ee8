// i18n.js: the UI's translation machinery: catalogues per area (ui/i18n/*.js), the chosen locale, plurals and formats.
"use strict";

/** The UI languages, each named in itself so a user who cannot read the current one still finds theirs. */
const LOCALES = [
  { code: "en", name: "English" },
  { code: "uk", name: "Українська" },
  { code: "ru", name: "Русский" },
];

// Every area adds its own keys with addMessages; a test checks that each key exists in all three languages.
const MESSAGES = { en: {}, uk: {}, ru: {} };

const LOCALE_KEY = "canvass.locale";
let currentLocale = readSavedLocale();

function readSavedLocale() {
  try {
    const saved = window.localStorage.getItem(LOCALE_KEY);
    if (LOCALES.some((l) => l.code === saved)) return saved;
  } catch (_) {
    // Storage can be unavailable in a locked-down web view; the default language still works.
  }
  const preferred = (navigator.language || "en").slice(0, 2);
  return LOCALES.some((l) => l.code === preferred) ? preferred : "en";
}

/** Adds an area's catalogue: `{en: {...}, uk: {...}, ru: {...}}`. */
function addMessages(catalogue) {
  for (const [locale, entries] of Object.entries(catalogue)) {
    if (!MESSAGES[locale]) MESSAGES[locale] = {};
    Object.assign(MESSAGES[locale], entries);
  }
}

/** Returns the message for `key`, formatted with `args` when the entry is a function. */
function t(key, ...args) {
  const entry = MESSAGES[currentLocale][key] ?? MESSAGES.en[key];
  if (entry === undefined) return key;
  return typeof entry === "function" ? entry(...args) : entry;
}

/**
 * Picks the plural form for `n` by the locale's CLDR rules: `forms` maps
 * `one`, `few`, `many`, `other` to strings with `{n}` for the number.
 */
function plural(n, forms) {
  const rule = new Intl.PluralRules(currentLocale).select(n);
  const text = forms[rule] ?? forms.other;
  return text.replace("{n}", formatNumber(n));
}

function locale() {
  return currentLocale;
}

/** Switches the UI language and remembers it for this user of the computer. */
function setLocale(code) {
  if (!LOCALES.some((l) => l.code === code)) return;
  currentLocale = code;
  document.documentElement.lang = code;
  try {
    window.localStorage.setItem(LOCALE_KEY, code);
  } catch (_) {
    // Not remembered, but the switch itself still applies for this session.
  }
}

function formatNumber(n) {
  return new Intl.NumberFormat(currentLocale).format(n);
}

/** A moment (Unix milliseconds or ISO text) as a date and time in the locale's own format. */
function formatDateTime(value) {
  return new Intl.DateTimeFormat(currentLocale, { dateStyle: "medium", timeStyle: "short" }).format(new Date(value));
}

function formatTime(value) {
  return new Intl.DateTimeFormat(currentLocale, { timeStyle: "short" }).format(new Date(value));
}

document.documentElement.lang = currentLocale;
