//! The one integration-test binary: every module below is a group of tests over the real crates.

// Shared fixtures: temporary databases, the repository root, a fixed clock.
mod support;
// Repository rules: dependency direction, where SQL and Tauri may appear, `//!` headers, migration list.
mod tidy;
// The migration runner: empty to latest, all-or-nothing, newer-database refusal, schema snapshot.
mod migrations;
// Store repositories: durable answers and outbox rows written in the same transaction.
mod store;
// Interview use cases through canvass-app on a real SQLite file and a fixed clock.
mod interview;
// Installed questionnaire versions: drafts stay on their version; finalize checks every question.
mod versions;
// Lifecycle: language switch, roster add/remove, pause, break-off, moving a draft to a new version.
mod lifecycle;
// The session log: events written with each change, anti-tamper timestamps, resume after a crash.
mod paradata;
// Session-log exports (audit.csv, CSV, JSON Lines, paradata.tab) pinned by golden files.
mod paradata_export;
// Data exports: CSV and JSON Lines golden files, XLSX, .sav and .dta read back by other readers.
mod data_export;
// Rotating backups, the start-up integrity check, and restore from the CLI.
mod backup;
// SIGKILL at random moments, 200 times: nothing reported saved is lost, and resume is exact.
mod crash;
// A full disk: a clear error, nothing saved is harmed, work goes on once space is back.
mod disk_full;
// The headless `canvass` CLI, driven in-process.
mod cli;
// Sync fixtures: a real server on 127.0.0.1 (SQLite or PostgreSQL), devices, a faulty TCP proxy.
mod sync_harness;
// Sync end to end: replay, conflict, 5xx, lost answers, 413 splitting, revoked tokens, changes.
mod sync_roundtrip;
// Server handlers through oneshot: tokens, roles and teams, per-item results, coded errors, limits, gzip.
mod sync_server;
// The headless commands: canvass-server user/export, canvass login/sync, on one server database.
mod sync_cli;
// Several devices through a proxy that drops connections and answers: each interview stored once, intact.
mod sync_chaos;
// UI text: catalogues complete in English, Ukrainian and Russian; no words hard-coded in screens.
mod ui_strings;
// CAPI: assignment import (CSV, XLSX), dashboard, interviews per assignment, visits, consents, CLI.
mod capi;
// What a pass pulls is kept: questionnaire versions installed for offline use, assignments, decisions.
mod sync_received;
// Field-list and table-list pages, the interview outline and jumps, through canvass-app.
mod fieldlist;
// Window-test fixtures: tauri-driver, keys, waits, screenshots, database reads.
mod window;
// The real app window through tauri-driver and WebKitWebDriver under Xvfb (ignored without a display).
mod e2e;
// The window in Ukrainian and Russian, the shortcut sheet, and a roster interview by keyboard.
mod e2e_ui;
// The session-log export screen in the window: keyboard, progress, the file written.
mod e2e_export;
// axe-core in the real window: no serious WCAG 2.1 A/AA violations on the main screens.
mod e2e_a11y;
// Telephone interviewing: case lists, the call queue, outcomes, appointments, quotas, reports, exports.
mod cati;
// CAPI through the real window: a household roster with respondent mode, and a no-contact visit.
mod e2e_capi;
// Sync through the real window: sign in, complete the demo, sync, the log and the server agree.
mod e2e_sync;
// The call screen through the real window: a 20-case list worked by keyboard (ignored without a display).
mod e2e_cati;
// Differential conformance: corpus forms replayed through Canvass and ODK's own engine, snapshots compared.
mod conformance;
// CATI with the real server: case lists, leases and quota totals on both backends.
mod cati_server;
// Revisions and the review workflow: every revision stored, decisions checked and resent safely, reject → revision 2 → approve.
mod review;
// The review workflow through two app windows and one server: returned with a comment, corrected, revision 2 approved.
mod e2e_review;
// Dashboards: completes, response rates, length, NPS/CSAT/CES by segment and wave against hand-computed figures.
mod dashboard;
// The dashboard through the real window: NPS of completed interviews, charts, CSV and PNG saved (ignored without a display).
mod e2e_dashboard;
// Each UI language end to end: a CATI call and a CAPI interview by keyboard, with screenshots.
mod e2e_lang;
// Photo, audio and file answers stored by content hash with their answer; GPS points; the roster table.
mod attachments;
// Bad input fuzzed: random bytes and mutated corpus forms through both importers, random expressions.
mod fuzz;
// canvass-server export data in every format against the device's own export of the same interviews, on both backends.
mod server_data_export;
