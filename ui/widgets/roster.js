// widgets/roster.js: the roster table shown above a household member's questions: one row per member, the current one highlighted, Alt+1–9 to jump.
"use strict";

const rosterTable = { data: null };

/**
 * Draws the table whenever the interview screen is drawn for a question inside a
 * repeat. The table comes with the screen itself, and the observer runs before
 * the web view paints, so the table and the question appear in the same frame
 * and nothing on the page moves afterwards.
 */
function rosterDecorate() {
  const section = document.getElementById("interview");
  const s = typeof iv !== "undefined" ? iv.screen : null;
  const data = section && s && s.roster_table;
  if (!data) { rosterTable.data = null; return; }
  if (section.querySelector("#capi-roster-table")) return;
  rosterTable.data = data;
  const table = el("table", { id: "capi-roster-table", class: "roster-table", "data-count": String(data.rows.length) },
    el("caption", {}, data.label, " ", el("span", { class: "muted" }, t("capi.roster.keys"))),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("capi.roster.number")), data.columns.map((c) => el("th", { scope: "col" }, c)))),
    el("tbody", {}, data.rows.map((r) => el("tr", {
      "data-index": String(r.index), class: r.index === data.current ? "current" : null,
      "aria-current": r.index === data.current ? "true" : null,
    },
    el("th", { scope: "row" }, r.index <= 9 ? el("kbd", {}, `Alt+${r.index}`) : null, " ", formatNumber(r.index)),
    r.cells.map((c) => el("td", {}, c))))));
  const anchor = section.querySelector("#q-label");
  if (anchor) anchor.before(table);
}

async function rosterJump(index) {
  const s = iv.screen;
  const d = rosterTable.data;
  const row = d && d.rows.find((r) => r.index === index);
  if (!s || !row || !row.first_item) return;
  const screen = await attempt(() => api.capiJumpToItem(s.interview_id, row.first_item));
  if (screen) renderInterview(screen);
}

new MutationObserver(() => rosterDecorate()).observe(mainEl, { childList: true });

// Alt+digit jumps to that member; it runs before the screen's own keys, which give Alt+digit no meaning.
document.addEventListener("keydown", (ev) => {
  if (current.name !== "interview" || !ev.altKey || ev.ctrlKey || ev.metaKey || !rosterTable.data) return;
  if (document.querySelector("dialog[open]") || document.body.classList.contains("capi-respondent")) return;
  const m = /^Digit([1-9])$/.exec(ev.code);
  if (!m) return;
  ev.preventDefault();
  ev.stopImmediatePropagation();
  rosterJump(Number(m[1]));
}, true);
