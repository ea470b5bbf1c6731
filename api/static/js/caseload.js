// The Caseload tab: headline counts, each person's diary, the case finder, each person's caseload,
// the waiting list, cases without consent, changes, planning and rebalancing.
import { $, api, datesInWords, district, dmy, el, isoOf, refresh, registerView, runJob, scenarioPath, table, todayDmy, withDistrict } from "./core.js";

const STATUS = {
  running: "running",
  planned: "planned",
  finished: "finished",
  stopped: "stopped (consent withdrawn)",
  waiting: "waiting",
  without_consent: "without consent",
  not_planned: "not planned yet",
};
const WAIT_KINDS = {
  no_capacity: "no capacity",
  too_big: "needs more minutes a week than anyone has",
  no_specialist: "no specialist for the need",
  too_late: "agreed too late for the year",
  other: "other reasons",
};
const EVERYONE = "*";
const NO_ONE = "-";

// What the tab shows now: the API's answer, the finder's sort and the diary's choice.
const view = { plan: null, sort: { key: "case_id", ascending: true }, person: null };

const nameOf = (id) => (id ? (view.plan && view.plan.names[id]) || id : "");

// A person's name, with their id in the tooltip.
function person(id, name) {
  return id ? el("span", { title: id }, name || nameOf(id)) : "";
}

// The planner's words for the page: dates as dd/mm/yyyy and people by name.
function words(text) {
  if (!text) return "";
  let out = datesInWords(text);
  const ids = Object.keys((view.plan && view.plan.names) || {}).sort((a, b) => b.length - a.length);
  if (ids.length) {
    const escaped = ids.map((id) => id.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&"));
    const pattern = new RegExp(`(?<![A-Za-z0-9_.-])(${escaped.join("|")})(?![A-Za-z0-9_-])`, "g");
    out = out.replace(pattern, (id) => view.plan.names[id]);
  }
  return out;
}

// Headline ------------------------------------------------------------------------------------

export function headline(counts) {
  if (!counts || !counts.total) return "No open case in the districts shown.";
  const reasons = Object.entries(counts.waiting_reasons).map(([kind, n]) => `${n} ${WAIT_KINDS[kind] || kind}`);
  const parts = [
    `${counts.running} running`,
    `${counts.planned} planned to start`,
    counts.finished ? `${counts.finished} finished` : null,
    counts.stopped ? `${counts.stopped} stopped (consent withdrawn)` : null,
    `${counts.waiting} waiting${reasons.length ? ` (${reasons.join(", ")})` : ""}`,
    `${counts.without_consent} without consent`,
    counts.not_planned ? `${counts.not_planned} not planned yet` : null,
  ].filter(Boolean);
  return `${counts.total} case${counts.total === 1 ? "" : "s"}: ${parts.join(", ")}.`;
}

// Diary ---------------------------------------------------------------------------------------

const addDays = (iso, n) => {
  const day = new Date(`${iso}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + n);
  return day.toISOString().slice(0, 10);
};

// The first and last week (indexes into `weeks`) a case runs in, or null outside the weeks.
function span(weeks, start, end) {
  let first = -1;
  let last = -1;
  weeks.forEach((monday, i) => {
    if (start <= addDays(monday, 4) && end >= monday) {
      if (first < 0) first = i;
      last = i;
    }
  });
  return first < 0 ? null : [first, last];
}

function loadRow(weeks, p) {
  return el(
    "tr",
    { class: "diary-load" },
    el("th", { scope: "row" }, `Load (of ${p.minutes_per_week} min)`),
    weeks.map((monday, i) => {
      const minutes = p.load[i] || 0;
      const share = p.minutes_per_week ? minutes / p.minutes_per_week : minutes ? 2 : 0;
      const level = share > 1 ? "load-over" : share >= 0.9 ? "load-near" : "";
      const away = p.away[i] ? " away" : "";
      const said = `${minutes} of ${p.minutes_per_week} minutes in the week of ${dmy(monday)}${p.away[i] ? ", away some of the week" : ""}`;
      return el("td", { class: `${level}${away}`.trim(), title: said }, String(minutes), p.away[i] ? el("small", {}, " away") : "");
    }),
  );
}

function caseRow(weeks, c) {
  const cells = [el("th", { scope: "row" }, c.case_id)];
  const found = span(weeks, c.start, c.end);
  if (!found) {
    cells.push(el("td", { colspan: String(weeks.length), class: "diary-outside" }, `${dmy(c.start)} to ${dmy(c.end)}, outside the school weeks`));
    return el("tr", {}, cells);
  }
  const [first, last] = found;
  for (let i = 0; i < first; i += 1) cells.push(el("td", {}));
  const said = `${c.case_id} at ${c.school}: ${dmy(c.start)} to ${dmy(c.end)}, ${c.minutes_per_week} minutes a week (${STATUS[c.status] || c.status})`;
  cells.push(
    el(
      "td",
      { colspan: String(last - first + 1), class: "diary-cell" },
      el("div", { class: `bar ${c.status}${c.urgent ? " urgent" : ""}`, title: said }, `${c.case_id} · ${c.minutes_per_week} min`),
    ),
  );
  for (let i = last + 1; i < weeks.length; i += 1) cells.push(el("td", {}));
  return el("tr", {}, cells);
}

function personRows(weeks, p, cases) {
  const mine = cases.filter((c) => c.person_id === p.person_id && c.start).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  return [
    el(
      "tr",
      { class: "diary-person" },
      el("th", { scope: "rowgroup", colspan: String(weeks.length + 1) },
        el("div", { class: "who" }, el("span", { title: p.person_id }, p.name),
          ` (${p.team}): ${p.minutes_per_week} minutes a week, ${mine.length} case${mine.length === 1 ? "" : "s"}`)),
    ),
    loadRow(weeks, p),
    ...(mine.length ? mine.map((c) => caseRow(weeks, c)) : [el("tr", {}, el("th", { scope: "row" }, "-"), el("td", { colspan: String(weeks.length), class: "empty" }, "No case."))]),
  ];
}

function diary(plan) {
  const people = plan.people;
  if (!people.length) return el("p", { class: "empty" }, "No caseload has been planned yet.");
  const shown = view.person === EVERYONE ? people : people.filter((p) => p.person_id === view.person);
  const weeks = plan.weeks;
  const caption = view.person === EVERYONE ? "Everyone's diary" : `Diary of ${shown[0].name}`;
  return el(
    "div",
    { class: "scroll diary-box", tabindex: "0", role: "region", "aria-label": caption },
    el(
      "table",
      { class: "diary" },
      el("caption", {}, el("span", {}, `${caption}, school weeks of the year`)),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Case"),
        weeks.map((monday) => el("th", { scope: "col", title: `Week of ${dmy(monday)}` }, dmy(monday).slice(0, 5))))),
      shown.map((p) => el("tbody", {}, personRows(weeks, p, plan.cases))),
    ),
  );
}

// Bring the first bar into view (the year's first weeks are often empty).
function scrollToFirstBar() {
  const box = document.querySelector("#caseload-diary .diary-box");
  const cells = box ? [...box.querySelectorAll("td.diary-cell")] : [];
  if (!cells.length) return;
  const first = Math.min(...cells.map((cell) => cell.offsetLeft));
  const sticky = box.querySelector("tbody th[scope=row]");
  // Only when the first bar would start off screen (or nearly).
  box.scrollLeft = first + 120 <= box.clientWidth ? 0 : Math.max(0, first - (sticky ? sticky.offsetWidth : 0));
}

function drawDiary() {
  $("#caseload-diary").replaceChildren(diary(view.plan));
  requestAnimationFrame(scrollToFirstBar);
}

function showDiary() {
  const plan = view.plan;
  const select = $("#caseload-person");
  const ids = plan.people.map((p) => p.person_id);
  if (view.person !== EVERYONE && !ids.includes(view.person)) view.person = ids[0] || EVERYONE;
  const where = district() || "the county";
  select.replaceChildren(
    ...plan.people.map((p) => el("option", { value: p.person_id }, `${p.name} (${p.team})`)),
    el("option", { value: EVERYONE }, `Everyone in ${where}, one after another`),
  );
  select.value = view.person;
  drawDiary();
}

// Case finder ---------------------------------------------------------------------------------

const COLUMNS = [
  ["case_id", "Case", (c) => c.case_id],
  ["school", "School", (c) => c.school],
  ["need_type", "Need", (c) => c.need_type],
  ["priority", "Priority", (c) => c.priority],
  ["person", "Person", (c) => c.person || ""],
  ["start", "Start", (c) => c.start || ""],
  ["end", "End", (c) => c.end || ""],
  ["status", "Status", (c) => STATUS[c.status] || c.status],
];

function options(select, choices, keep) {
  select.replaceChildren(...choices.map(([value, label]) => el("option", { value }, label)));
  select.value = choices.some(([value]) => value === keep) ? keep : "";
}

function showFilters(cases) {
  const present = new Set(cases.map((c) => c.status));
  options($("#caseload-status"), [["", "Any"], ...Object.entries(STATUS).filter(([s]) => present.has(s))], $("#caseload-status").value);
  const needs = [...new Set(cases.map((c) => c.need_type))].sort();
  options($("#caseload-need"), [["", "Any"], ...needs.map((n) => [n, n])], $("#caseload-need").value);
  const people = new Map();
  for (const c of cases) if (c.person_id) people.set(c.person_id, c.person);
  const sorted = [...people.entries()].sort((a, b) => a[1].localeCompare(b[1]));
  options($("#caseload-who"), [["", "Anyone"], ...sorted, [NO_ONE, "No one (not started)"]], $("#caseload-who").value);
}

export function matches(c, text, status, need, who) {
  if (status && c.status !== status) return false;
  if (need && c.need_type !== need) return false;
  if (who === NO_ONE ? c.person_id : who && c.person_id !== who) return false;
  const wanted = text.trim().toLowerCase();
  if (!wanted) return true;
  return [c.case_id, c.school, c.person || ""].some((v) => v.toLowerCase().includes(wanted));
}

function compare(key) {
  const get = COLUMNS.find(([k]) => k === key)[2];
  return (a, b) => {
    const x = get(a);
    const y = get(b);
    if (x === y) return a.case_id.localeCompare(b.case_id);
    if (x === "") return 1; // blanks last either way
    if (y === "") return -1;
    return typeof x === "number" ? x - y : String(x).localeCompare(String(y));
  };
}

function openCase(caseId) {
  document.dispatchEvent(new CustomEvent("lift:open-case", { detail: { caseId } }));
}

function priorityText(c) {
  return c.urgent ? el("strong", { class: "urgent-mark" }, `urgent (${c.priority})`) : String(c.priority);
}

function showCases() {
  const cases = view.plan ? view.plan.cases : [];
  const found = cases.filter((c) => matches(c, $("#caseload-search").value, $("#caseload-status").value, $("#caseload-need").value, $("#caseload-who").value));
  const { key, ascending } = view.sort;
  found.sort(compare(key));
  if (!ascending) found.reverse();
  $("#caseload-found").textContent = `${found.length} of ${cases.length} case${cases.length === 1 ? "" : "s"} shown.`;
  if (!found.length) {
    $("#caseload-cases").replaceChildren(el("p", { class: "empty" }, cases.length ? "No case matches." : "No open case in the districts shown."));
    return;
  }
  const head = COLUMNS.map(([k, label]) => {
    const sorted = k === key ? (ascending ? "ascending" : "descending") : "none";
    const button = el("button", { type: "button", class: "sort", "data-sort": k, onclick: () => sortBy(k) }, label, el("span", { class: "arrow", "aria-hidden": "true" }, sorted === "ascending" ? " ▲" : sorted === "descending" ? " ▼" : ""));
    return el("th", { scope: "col", "aria-sort": sorted }, button);
  });
  const rows = found.map((c) =>
    el(
      "tr",
      { "data-case": c.case_id },
      el("td", {}, c.case_id),
      el("td", { title: `URN ${c.school_urn}` }, c.school),
      el("td", {}, c.need_type),
      el("td", {}, priorityText(c)),
      el("td", {}, person(c.person_id, c.person)),
      el("td", {}, dmy(c.start)),
      el("td", {}, dmy(c.end)),
      el("td", { title: words(c.reason) || "" }, STATUS[c.status] || c.status, c.wait_kind ? el("small", {}, ` (${WAIT_KINDS[c.wait_kind] || c.wait_kind})`) : ""),
      el("td", {}, el("button", { type: "button", class: "open-case", "aria-label": `Open case ${c.case_id}`, onclick: () => openCase(c.case_id) }, "Open")),
    ),
  );
  $("#caseload-cases").replaceChildren(
    el("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": "Cases found" },
      el("table", { class: "grid cases" }, el("thead", {}, el("tr", {}, head, el("th", { scope: "col" }, el("span", { class: "visually-hidden" }, "Open")))), el("tbody", {}, rows))),
  );
}

function sortBy(key) {
  view.sort = { key, ascending: view.sort.key === key ? !view.sort.ascending : true };
  showCases();
  const button = document.querySelector(`#caseload-cases button[data-sort="${key}"]`);
  if (button) button.focus();
}

// The tab -------------------------------------------------------------------------------------

async function showCaseload() {
  let plan;
  try {
    plan = await api(withDistrict(scenarioPath("caseload")));
  } catch (error) {
    view.plan = null;
    $("#caseload-counts").textContent = "";
    $("#caseload-people").replaceChildren(el("p", { class: "error" }, error.message));
    return;
  }
  view.plan = plan;
  noteToday();
  $("#caseload-counts").textContent = headline(plan.counts);
  showDiary();
  showFilters(plan.cases);
  showCases();
  $("#caseload-people").replaceChildren(
    table([["Person", (p) => person(p.person_id, p.name)], ["Team", (p) => p.team],
           ["Minutes a week", (p) => p.minutes_per_week], ["Cases", (p) => p.cases],
           ["Busiest week (min)", (p) => p.peak_minutes], ["Case ids", (p) => p.case_ids.join(", ")]],
          plan.people, "No caseload has been planned yet."),
  );
  $("#caseload-waiting").replaceChildren(
    table([["Case", (w) => w.case_id], ["District", (w) => w.district], ["Why it waits", (w) => words(w.reason)],
           ["Earliest start", (w) => dmy(w.earliest_possible_start)], ["What would help", (w) => words(w.help)]],
          plan.waiting, "No case is waiting."),
  );
  $("#caseload-without-consent").replaceChildren(
    table([["Case", (w) => w.case_id], ["District", (w) => w.district], ["Why no support", (w) => words(w.reason)]],
          plan.without_consent || [], "Every case has consent."),
  );
  $("#caseload-changes").replaceChildren(
    table([["Kind", (c) => c.kind], ["Case", (c) => c.case_id], ["Before", (c) => person(c.before_person)], ["After", (c) => person(c.after_person)],
           ["Start before", (c) => dmy(c.before_start)], ["Start after", (c) => dmy(c.after_start)], ["Reason", (c) => words(c.reason)]],
          plan.changes, "No rebalance yet."),
  );
}

// The scenario's school year (first Monday to the Friday of the last week), from the plan's weeks.
function schoolYear() {
  const weeks = (view.plan && view.plan.weeks) || [];
  if (!weeks.length) return null;
  const friday = new Date(`${weeks[weeks.length - 1]}T00:00:00Z`);
  friday.setUTCDate(friday.getUTCDate() + 4);
  return { first: weeks[0], last: friday.toISOString().slice(0, 10) };
}

// Today outside the scenario's school year would make every new case wait "agreed too late":
// say so before anything runs.
function todayOutsideYear(today) {
  const year = schoolYear();
  if (!year || (today >= year.first && today <= year.last)) return null;
  return `Today (${dmy(today)}) is outside this scenario's school year (${dmy(year.first)} to ${dmy(year.last)}): ` +
    "write the day of the rebalance within it, for example the first day of next week.";
}

function noteToday() {
  const today = isoOf($("#caseload-today").value);
  $("#caseload-today-note").textContent = (today && todayOutsideYear(today)) || "";
}

async function planCaseload(kind) {
  const body = { time_limit: Number($("#caseload-time").value) || 30 };
  if (district()) body.district = district();
  if (kind === "rebalance") {
    const today = isoOf($("#caseload-today").value);
    if (!today) {
      $("#caseload-job").replaceChildren(el("p", { class: "error" }, "Today must be a date written dd/mm/yyyy, for example 06/10/2025."));
      return;
    }
    const outside = todayOutsideYear(today);
    if (outside) {
      $("#caseload-job").replaceChildren(el("p", { class: "error" }, outside));
      return;
    }
    body.today = today;
  }
  const job = await runJob(`caseload/${kind}`, body, "#caseload-job");
  if (job) await refresh("caseload", "agreements", "proposals");
}

registerView("caseload", showCaseload);

export function init() {
  $("#caseload-plan").addEventListener("click", () => planCaseload("plan"));
  $("#caseload-rebalance").addEventListener("click", () => planCaseload("rebalance"));
  $("#caseload-today").value = todayDmy();
  $("#caseload-today").addEventListener("change", noteToday);
  $("#caseload-person").addEventListener("change", (event) => {
    view.person = event.target.value;
    if (view.plan) drawDiary();
  });
  $("[data-tab=caseload]").addEventListener("click", () => requestAnimationFrame(scrollToFirstBar));
  $("#caseload-search").addEventListener("input", showCases);
  for (const id of ["#caseload-status", "#caseload-need", "#caseload-who"]) $(id).addEventListener("change", showCases);
}
