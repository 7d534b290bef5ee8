// screens/sync.js: the sync screen (sign in, sync now, what waits and why, the sync log) and the top bar's sync indicator.
"use strict";

const syncUi = {
  status: null,
  signInOpen: false,
  message: null, // the outcome of the last action on this screen, shown once
  running: false,
};

/** The top bar's indicator: online, offline or syncing, with how much is waiting; a click opens the sync screen. */
function renderSyncIndicator(s) {
  const slot = document.getElementById("topbar-status");
  if (!slot) return;
  let state = "signed_out";
  let text = t("sync.signed_out");
  if (s && s.signed_in) {
    state = s.syncing || syncUi.running ? "syncing" : s.online === null ? "checking" : s.online ? "online" : "offline";
    text = t(`sync.${state}`);
    const p = s.progress;
    if (state === "syncing" && p && p.stage === "pushing" && p.items_planned > 0) {
      text += ` ${formatNumber(p.items_done)}/${formatNumber(p.items_planned)}`;
    } else if (state === "syncing" && p && p.stage === "uploading" && p.files_planned > 0) {
      text += ` ${formatNumber(p.files_done)}/${formatNumber(p.files_planned)}`;
    }
  }
  const pending = s ? s.pending : 0;
  const button = el("button", {
    type: "button", id: "sync-indicator", class: "link sync-indicator", "data-state": state,
    "data-pending": pending, title: t("sync.indicator_label"), onclick: () => attempt(() => go("sync")),
  }, el("span", { class: "sync-dot", "aria-hidden": "true" }), text, pending ? ` · ${t("sync.waiting", pending)}` : "");
  slot.replaceChildren(button);
}

async function refreshSyncIndicator() {
  try {
    syncUi.status = await api.syncStatus();
    renderSyncIndicator(syncUi.status);
  } catch (_) {
    // The indicator is a hint; a failing status call must not raise banners every few seconds.
  }
}

/**
 * What a running pass has done, from the status's `progress` (absent before the
 * pass reports): the photos and files being sent (by bytes, as one photo can
 * take minutes on a field connection), the batch being sent and the items
 * already answered for, then the changes received. The bar is determinate
 * only while sending, where the total is known.
 */
function syncProgress(p) {
  let text = t("sync.running");
  let bar = el("progress", { id: "sync-progress-bar", "aria-label": t("sync.progress_label") });
  if (p && p.stage === "uploading" && p.files_planned > 0) {
    text = t("sync.progress_upload", p.files_done, p.files_planned, attachSize(p.file_bytes_done), attachSize(p.file_bytes_planned));
    bar = el("progress", {
      id: "sync-progress-bar", max: Math.max(p.file_bytes_planned, 1), value: p.file_bytes_done, "aria-label": t("sync.progress_label"),
    });
  } else if (p && p.stage === "pushing" && p.items_planned > 0) {
    text = t("sync.progress_push", p.batches_done, p.batches_planned, p.items_done, p.items_planned);
    bar = el("progress", {
      id: "sync-progress-bar", max: p.items_planned, value: p.items_done, "aria-label": t("sync.progress_label"),
    });
  } else if (p && p.stage === "pulling") {
    text = t("sync.progress_pull", p.changes);
  }
  return el("div", { class: "notice", id: "sync-progress", "data-stage": p ? p.stage : "" },
    el("p", { role: "status", id: "sync-progress-text" }, text), bar);
}

/** Refreshes the indicator and, on the sync screen, the progress block in place (no re-render, focus stays). */
async function pollSyncProgress() {
  await refreshSyncIndicator();
  const block = document.getElementById("sync-progress");
  if (block && syncUi.status) block.replaceWith(syncProgress(syncUi.status.progress));
}

function syncLogTable(entries) {
  if (!entries.length) return el("p", { class: "muted", id: "sync-log-empty" }, t("sync.log_empty"));
  return el("table", { id: "sync-log" },
    el("thead", {}, el("tr", {},
      el("th", { scope: "col" }, t("sync.col_when")),
      el("th", { scope: "col" }, t("sync.col_outcome")),
      el("th", { scope: "col" }, t("sync.col_sent")),
      el("th", { scope: "col" }, t("sync.col_accepted")),
      el("th", { scope: "col" }, t("sync.col_refused")),
      el("th", { scope: "col" }, t("sync.col_changes")),
      el("th", { scope: "col" }, t("sync.col_error")))),
    el("tbody", {}, entries.map((e) =>
      el("tr", { class: "sync-log-row", "data-outcome": e.outcome, "data-accepted": e.accepted },
        el("td", {}, formatDateTime(e.started_at)),
        el("td", {}, t(`sync.outcome.${e.outcome}`)),
        el("td", {}, e.batches ? t("sync.sent_detail", e.batches, e.bytes_sent) : ""),
        el("td", {}, t("sync.accepted_detail", e.accepted, e.duplicate)),
        el("td", {}, formatNumber(e.conflict + e.invalid)),
        el("td", {}, formatNumber(e.changes)),
        el("td", { class: "sync-error" }, e.error || "")))));
}

function waitingTable(rows) {
  if (!rows.length) return el("p", { class: "muted", id: "sync-nothing-waiting" }, t("sync.nothing_waiting"));
  return el("table", { id: "sync-waiting" },
    el("thead", {}, el("tr", {},
      el("th", { scope: "col" }, t("sync.col_item")),
      el("th", { scope: "col" }, t("sync.col_state")),
      el("th", { scope: "col" }, t("sync.col_reason")))),
    el("tbody", {}, rows.map((r) =>
      el("tr", { class: "sync-waiting-row", "data-id": r.id, "data-state": r.state },
        el("td", { class: "mono" }, r.id.slice(-12)),
        el("td", {}, t(`sync.state.${r.state}`)),
        el("td", {}, r.last_error || "")))));
}

function signInForm(s) {
  const form = el("form", { id: "sync-sign-in", class: "form" },
    el("h2", {}, t("sync.sign_in_title")),
    el("label", { for: "sync-server" }, t("sync.server_url")),
    el("input", { id: "sync-server", type: "url", autocomplete: "url", value: (s && s.server) || "", "data-autofocus": true, required: true }),
    el("label", { for: "sync-user" }, t("sync.user")),
    el("input", { id: "sync-user", type: "text", autocomplete: "username", value: (s && s.user) || "", required: true }),
    el("label", { for: "sync-password" }, t("sync.password")),
    el("input", { id: "sync-password", type: "password", autocomplete: "current-password", required: true }),
    el("button", { type: "submit", class: "primary", id: "sync-sign-in-submit" }, t("sync.sign_in"), el("kbd", {}, "Enter")));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    attempt(async () => {
      const r = await api.syncSignIn(
        form.querySelector("#sync-server").value,
        form.querySelector("#sync-user").value,
        form.querySelector("#sync-password").value);
      syncUi.signInOpen = false;
      syncUi.message = t("sync.signed_in_ok", r.user);
      await go("sync");
      return true;
    }).then((ok) => {
      // A refused sign-in leaves the form up, its reason in the banner; focus goes back to the password.
      const pw = document.getElementById("sync-password");
      if (!ok && pw) pw.focus();
    });
  });
  return form;
}

async function renderSync() {
  const [s, log, waiting] = await Promise.all([api.syncStatus(), api.syncLog(50), api.syncWaiting()]);
  syncUi.status = s;
  renderSyncIndicator(s);
  const message = syncUi.message;
  syncUi.message = null;
  const showForm = !s.signed_in || syncUi.signInOpen;
  const summary = el("div", { id: "sync-summary" },
    s.signed_in ? el("p", { id: "sync-who" }, t("sync.signed_in_as", s.user, s.server)) : null,
    el("p", { id: "sync-counts" }, t("sync.counts", s.pending, s.acked, s.rejected)),
    el("p", { class: "muted", id: "sync-last" }, s.last_pass ? t("sync.last_pass", formatDateTime(s.last_pass.started_at)) : t("sync.never")));
  const buttons = el("div", { class: "nav" },
    s.signed_in ? el("button", { type: "button", class: "primary", id: "sync-now", disabled: syncUi.running, onclick: syncNow, "data-autofocus": !showForm },
      t("sync.now"), el("kbd", {}, t("sync.key"))) : null,
    s.signed_in && !showForm ? el("button", { type: "button", id: "sync-sign-in-again", onclick: () => { syncUi.signInOpen = true; attempt(() => go("sync")); } },
      t("sync.sign_in_again"), el("kbd", {}, "I")) : null,
    el("button", { type: "button", class: "link", id: "sync-home", onclick: () => showHome() }, t("sync.home"), el("kbd", {}, "Esc")));
  return el("section", { id: "sync", "aria-labelledby": "sync-title" },
    el("h1", { id: "sync-title" }, t("sync.title")),
    message ? el("p", { class: "notice", role: "status", id: "sync-message" }, message) : null,
    syncUi.running || s.syncing ? syncProgress(s.progress) : null,
    summary,
    buttons,
    showForm ? signInForm(s) : null,
    el("h2", {}, t("sync.waiting_title")),
    waitingTable(waiting),
    el("h2", {}, t("sync.log_title")),
    syncLogTable(log));
}

async function syncNow() {
  if (syncUi.running) return;
  syncUi.running = true;
  renderSyncIndicator(syncUi.status);
  if (currentScreen() === "sync") await attempt(() => go("sync"));
  // A pass of many batches takes a while on a slow line; the bar follows it.
  const poll = setInterval(pollSyncProgress, 300);
  try {
    const summary = await attempt(() => api.syncNow());
    if (summary) syncUi.message = t("sync.result", summary);
  } finally {
    clearInterval(poll);
    syncUi.running = false;
  }
  await refreshSyncIndicator();
  if (currentScreen() === "sync") {
    await attempt(() => go("sync"));
    const again = document.getElementById("sync-now");
    if (again) again.focus();
  }
}

registerScreen("sync", {
  title: () => t("sync.title"),
  render: renderSync,
  shortcuts: () => [[t("sync.key"), t("sync.key_now")], ["I", t("sync.key_sign_in")], ["Esc", t("sync.key_home")]],
  onKey(ev) {
    if (ev.key === "Escape") {
      showHome();
      return true;
    }
    if (isTyping(ev.target) || ev.ctrlKey || ev.altKey || ev.metaKey) return false;
    const k = ev.key.toUpperCase();
    if (k === t("sync.key") && syncUi.status && syncUi.status.signed_in) {
      syncNow();
      return true;
    }
    if (k === "I") {
      syncUi.signInOpen = true;
      attempt(() => go("sync"));
      return true;
    }
    return false;
  },
});

registerHomeAction({ id: "sync", key: "S", label: () => t("sync.action"), run: () => go("sync") });
// A language switch redraws the indicator at once, not at the next poll.
registerChromePart(() => renderSyncIndicator(syncUi.status));

// The indicator follows the background sync: a few seconds' delay is fine for a hint.
refreshSyncIndicator();
setInterval(pollSyncProgress, 5000);
