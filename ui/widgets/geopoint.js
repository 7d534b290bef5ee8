// widgets/geopoint.js: GPS questions: the device location where the webview provides one, otherwise manual entry clearly labelled as such.
"use strict";

var capiWidgets = window.capiWidgets || {};
window.capiWidgets = capiWidgets;

const GEO_FIELDS = [
  // [name, min, max, required]
  ["latitude", -90, 90, true],
  ["longitude", -180, 180, true],
  ["altitude", -500, 9000, false],
  ["accuracy", 0, 100000, false],
];

/** Reads a typed number, accepting a decimal comma as many keyboards write it. */
function geoNumber(text) {
  const v = text.trim().replace(",", ".");
  return v === "" ? null : Number(v);
}

function geopointWidget(q) {
  const parts = q.value ? q.value.split(" ") : [];
  const inputs = GEO_FIELDS.map(([name], i) => el("input", {
    id: `geo-${name}`, type: "text", inputmode: "decimal", autocomplete: "off", class: "geo-input",
    value: parts[i] !== undefined ? parts[i] : "", readonly: q.read_only, "aria-describedby": "geo-manual-note q-error",
    "data-autofocus": i === 0 ? true : null,
  }));
  const status = el("p", { id: "geo-status", class: "muted", role: "status" });
  // WebKitGTK on Linux usually has no location service: the button is offered only where the API exists.
  const hasGeo = typeof navigator !== "undefined" && "geolocation" in navigator;
  const device = hasGeo
    ? el("button", { type: "button", id: "geo-device", onclick: () => geoFromDevice(status) }, t("capi.geo.use_device"), " ", el("kbd", {}, "Alt+G"))
    : null;
  if (!hasGeo) status.textContent = t("capi.geo.no_device");
  const fields = el("fieldset", { class: "geo-manual", id: "geo-manual" },
    el("legend", {}, t("capi.geo.manual_title")),
    el("p", { id: "geo-manual-note", class: "instructions" }, t("capi.geo.manual_note")),
    GEO_FIELDS.map(([name, min, max, required], i) => el("label", { class: "geo-field" },
      el("span", {}, t(`capi.geo.${name}`), required ? "" : ` ${t("capi.geo.optional")}`),
      inputs[i],
      el("span", { class: "muted" }, t("capi.geo.range", formatNumber(min), formatNumber(max))))),
    el("button", { type: "button", id: "geo-save", onclick: () => geoSaveManual(false) }, t("capi.geo.save"), " ", el("kbd", {}, "Enter")));
  const box = el("div", { class: "geo", id: "q-geo" }, device, status, fields);
  // The interview screen focuses the question's heading after drawing; the first field is where work starts.
  setTimeout(() => {
    const active = document.activeElement;
    if (box.isConnected && (!active || active === document.body || active.id === "q-label")) inputs[0].focus();
  }, 0);
  box.addEventListener("keydown", (ev) => {
    if (ev.altKey && (ev.key.toLowerCase() === "g" || ev.code === "KeyG")) {
      ev.preventDefault(); ev.stopPropagation();
      if (device) device.click(); else status.textContent = t("capi.geo.no_device");
      return;
    }
    // Enter in a field saves the typed point and moves on when it is accepted.
    if (ev.key === "Enter" && ev.target instanceof HTMLInputElement) {
      ev.preventDefault(); ev.stopPropagation();
      geoSaveManual(true);
    }
  });
  return box;
}

/** Checks the typed fields; returns the point or null after saying what is wrong, at the question. */
function geoRead() {
  const error = document.getElementById("q-error");
  const point = { manual: true };
  for (const [name, min, max, required] of GEO_FIELDS) {
    const input = document.getElementById(`geo-${name}`);
    const v = geoNumber(input.value);
    if (v === null) {
      if (required) { error.textContent = t("capi.geo.missing", t(`capi.geo.${name}`)); input.focus(); return null; }
      continue;
    }
    if (!Number.isFinite(v) || v < min || v > max) {
      error.textContent = t("capi.geo.out_of_range", t(`capi.geo.${name}`), formatNumber(min), formatNumber(max));
      input.focus();
      return null;
    }
    point[name] = v;
  }
  error.textContent = "";
  return point;
}

async function geoSave(point) {
  const s = iv.screen;
  setSave("saving");
  try {
    const screen = await api.recordGeopoint(s.interview_id, s.question.path, point);
    setSave("saved");
    iv.screen = screen;
    if (current.name === "interview") current.params = { screen };
    return screen;
  } catch (e) {
    setSave("idle");
    if (e && e.code === "validation") document.getElementById("q-error").textContent = e.message;
    else showError(e && e.code ? e : { code: "internal", message: t("error.unexpected") });
    return null;
  }
}

async function geoSaveManual(thenNext) {
  const s = iv.screen;
  if (!s) return;
  const allEmpty = GEO_FIELDS.every(([name]) => document.getElementById(`geo-${name}`).value.trim() === "");
  // An untouched empty point is not saved; Enter then moves on as on any question (required ones refuse).
  if (allEmpty && !s.question.value) { if (thenNext) next(); return; }
  const point = geoRead();
  if (!point) return;
  const screen = await geoSave(point);
  if (screen && thenNext) next();
  else if (screen) renderInterview(screen);
}

function geoFromDevice(status) {
  status.textContent = t("capi.geo.locating");
  navigator.geolocation.getCurrentPosition(async (pos) => {
    const c = pos.coords;
    const screen = await geoSave({
      latitude: c.latitude, longitude: c.longitude, altitude: c.altitude === null ? null : c.altitude,
      accuracy: c.accuracy, manual: false,
    });
    if (screen) { renderInterview(screen); document.getElementById("geo-status").textContent = t("capi.geo.from_device"); }
  }, (err) => {
    // Denied, unavailable or too slow: the interviewer types the point instead.
    status.textContent = t("capi.geo.device_failed", err && err.message ? err.message : "");
    document.getElementById("geo-latitude")?.focus();
  }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
}

capiWidgets.geopoint = geopointWidget;
