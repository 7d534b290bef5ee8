// app.js: starts the window: the start-up check, then the home screen; screens live in ui/screens/.
"use strict";

async function boot() {
  renderChrome();
  const status = await attempt(() => api.appStatus());
  if (status && status.error) {
    // A start-up failure replaces the window's content with an explanation, never a blank page.
    mainEl.replaceChildren(
      el("section", { id: "startup-error", class: "fatal" },
        el("h1", {}, t("error.startup_title")),
        el("p", {}, ["incompatible_database", "damaged_database"].includes(status.error.code)
          ? t(`error.startup_help.${status.error.code}`) : t("error.startup_help")),
        el("p", { class: "mono", id: "startup-message", "data-code": status.error.code }, status.error.message)));
    return;
  }
  if (status) await showHome();
}

boot();
