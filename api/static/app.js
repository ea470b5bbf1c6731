// The LIFT page: signs in with a bearer token and calls the API. No build step, no framework.
"use strict";

const state = { token: sessionStorage.getItem("lift-token") || "", me: null, scenario: null, detail: null };
const $ = (selector) => document.querySelector(selector);
const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    node.append(child instanceof Node ? child : document.createTextNode(child ?? ""));
  }
  return node;
}

class ApiError extends Error {
  constructor(status, body) {
    super(ApiError.describe(status, body));
    this.status = status;
    this.body = body;
  }
  static describe(status, body) {
    const detail = body && body.detail;
    if (Array.isArray(detail)) {
      return detail.map((e) => `${(e.loc || []).join(" › ")}: ${e.msg}`).join("\n");
    }
    return detail || `request failed (${status})`;
  }
}

async function api(path, options = {}) {
  const headers = Object.assign({ Authorization: `Bearer ${state.token}` }, options.headers || {});
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(options.json);
  }
  const response = await fetch(path, { method: options.method || "GET", headers, body: options.body });
  if (response.status === 401 && path !== "/api/me") signOut();
  if (options.raw) {
    if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
    return response;
  }
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

const scenarioPath = (rest) => `/api/scenarios/${state.scenario}/${rest}`;
const district = () => $("#district").value;
const withDistrict = (path) => (district() ? `${path}${path.includes("?") ? "&" : "?"}district=${encodeURIComponent(district())}` : path);
const isCounty = () => state.me && state.me.district === null;
const canPlan = () => state.me && state.me.role !== "viewer";

function cell(value) {
  return value instanceof Node ? value : String(value ?? "");
}

// A table in a box of its own that scrolls sideways when it is wider than the screen.
function table(columns, rows, empty = "Nothing yet.") {
  if (!rows.length) return el("p", { class: "empty" }, empty);
  return el(
    "div",
    { class: "scroll" },
    el(
      "table",
      { class: "grid" },
      el("thead", {}, el("tr", {}, columns.map(([label]) => el("th", {}, label)))),
      el("tbody", {}, rows.map((row) => el("tr", {}, columns.map(([, get]) => el("td", {}, cell(get(row))))))),
    ),
  );
}

// Dates as people here write them: dd/mm/yyyy.
function dmy(iso) {
  if (!iso) return "";
  const [y, m, d] = String(iso).slice(0, 10).split("-");
  return `${d}/${m}/${y}`;
}

function isoOf(text) {
  const found = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(text || "");
  if (!found) return null;
  const [, d, m, y] = found;
  return `${y}-${m.padStart(2, "0")}-${d.padStart(2, "0")}`;
}

function todayDmy() {
  const now = new Date();
  const two = (n) => String(n).padStart(2, "0");
  return `${two(now.getDate())}/${two(now.getMonth() + 1)}/${now.getFullYear()}`;
}

// Sign in ------------------------------------------------------------------------------------

async function signIn(token) {
  state.token = token;
  try {
    state.me = await api("/api/me");
  } catch (error) {
    state.token = "";
    sessionStorage.removeItem("lift-token");
    $("#sign-in-error").textContent = error.status === 401 ? "That token is not valid." : error.message;
    return;
  }
  sessionStorage.setItem("lift-token", token);
  $("#sign-in").hidden = true;
  $("#app").hidden = false;
  $("#who").hidden = false;
  const where = state.me.district ? `, ${state.me.district}` : "";
  $("#who-text").textContent = `Signed in as ${state.me.name} (${state.me.role.replace("_", " ")}${where})`;
  document.body.dataset.role = state.me.role;
  document.body.dataset.county = isCounty() ? "yes" : "no";
  await loadScenarios();
}

function signOut() {
  state.token = "";
  state.me = null;
  sessionStorage.removeItem("lift-token");
  $("#sign-in").hidden = false;
  $("#app").hidden = true;
  $("#who").hidden = true;
  $("#upload-result").replaceChildren();
  $("#proposal-detail").replaceChildren();
  $("#proposal-notes").replaceChildren();
}

// Scenarios ----------------------------------------------------------------------------------

async function loadScenarios(select) {
  const scenarios = await api("/api/scenarios");
  const picker = $("#scenario");
  picker.replaceChildren(...scenarios.map((s) => el("option", { value: s.id }, `${s.name} ${s.academic_year} (#${s.id})`)));
  if (select) picker.value = String(select);
  if (scenarios.length) await chooseScenario(picker.value);
}

async function chooseScenario(id) {
  state.scenario = id;
  $("#proposal-detail").replaceChildren();
  $("#proposal-notes").replaceChildren();
  state.detail = await api(`/api/scenarios/${id}`);
  const districts = state.detail.districts.filter((d) => isCounty() || d === state.me.district);
  const options = isCounty() ? [el("option", { value: "" }, "All districts")] : [];
  $("#district").replaceChildren(...options, ...districts.map((d) => el("option", { value: d }, d)));
  if (!isCounty()) $("#district").value = state.me.district;
  $("#scenario-summary").replaceChildren(
    table(
      [["District", (r) => r.district], ["Schools", (r) => r.schools], ["Groups", (r) => r.groups],
       ["People", (r) => r.people], ["Agreements", (r) => r.agreements]],
      state.detail.summary,
    ),
  );
  state.schools = await api(scenarioPath("schools"));
  await refreshAll();
}

function showSchools() {
  const shown = (state.schools || []).filter((s) => !district() || s.district === district());
  const options = () => shown.map((s) => el("option", { value: s.urn }, `${s.name} (${s.district})`));
  $("#urgent-school").replaceChildren(...options());
  $("#agreement-school").replaceChildren(...options());
}

async function refreshAll() {
  showSchools();
  await Promise.all([showRota(), showCaseload(), showAgreements(), showStaffing(), showJobs(), showProposals()]);
}

async function upload(event) {
  event.preventDefault();
  const files = $("#upload-files").files;
  if (!files.length) return;
  const form = new FormData();
  for (const file of files) form.append("files", file, file.name);
  const out = $("#upload-result");
  out.textContent = "Uploading…";
  try {
    const stored = await api("/api/scenarios", { method: "POST", body: form });
    out.textContent = `Stored ${stored.name} ${stored.academic_year} as scenario #${stored.id}.`;
    await loadScenarios(stored.id);
  } catch (error) {
    out.replaceChildren(el("p", { class: "error" }, "The scenario was not stored:"), el("pre", { class: "error" }, error.message));
  }
}

// Jobs ---------------------------------------------------------------------------------------

async function runJob(path, body, box) {
  const target = $(box);
  target.replaceChildren(el("progress", { max: "1", value: "0" }), el("span", { class: "stage" }, "queued"));
  let job;
  try {
    job = await api(scenarioPath(path), { method: "POST", json: body });
  } catch (error) {
    target.replaceChildren(el("p", { class: "error" }, error.message));
    return null;
  }
  const cancel = el("button", { type: "button", onclick: () => api(`/api/jobs/${job.id}/cancel`, { method: "POST" }).catch(() => {}) }, "Cancel");
  target.append(cancel);
  while (job.status === "queued" || job.status === "running") {
    await new Promise((resolve) => setTimeout(resolve, 400));
    job = await api(`/api/jobs/${job.id}`);
    target.querySelector("progress").value = job.progress;
    const objective = job.objective === null ? "" : `, objective ${job.objective}`;
    target.querySelector(".stage").textContent = `${job.status} ${Math.round(job.progress * 100)}% ${job.stage}${objective}`;
  }
  cancel.remove();
  target.querySelector(".stage").textContent = job.status;
  target.append(el("p", { class: job.status === "succeeded" ? "summary" : "error" }, job.message));
  target.dataset.status = job.status;
  await showJobs();
  return job;
}

async function showJobs() {
  const jobs = await api("/api/jobs");
  $("#jobs-list").replaceChildren(
    table(
      [["Job", (j) => j.id.slice(0, 8)], ["Kind", (j) => j.kind], ["District", (j) => j.district || "county"],
       ["Status", (j) => j.status], ["Progress", (j) => `${Math.round(j.progress * 100)}%`], ["Message", (j) => j.message]],
      jobs.filter((j) => String(j.scenario_id) === String(state.scenario)),
    ),
  );
}

// Rota ---------------------------------------------------------------------------------------

function monday(iso) {
  const day = new Date(`${iso}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7));
  return day;
}

function calendar(meetings) {
  if (!meetings.length) return el("p", { class: "empty" }, "No rota has been planned yet.");
  const weeks = new Map();
  for (const m of meetings) {
    const key = monday(m.date).toISOString().slice(0, 10);
    if (!weeks.has(key)) weeks.set(key, { half: m.half_term, week: m.week, days: WEEKDAYS.map(() => []) });
    weeks.get(key).days[WEEKDAYS.indexOf(m.weekday)].push(m);
  }
  const first = monday(meetings[0].date);
  const last = monday(meetings[meetings.length - 1].date);
  const rows = [];
  for (let d = new Date(first); d <= last; d.setUTCDate(d.getUTCDate() + 7)) {
    const key = d.toISOString().slice(0, 10);
    const week = weeks.get(key);
    rows.push(
      el(
        "tr",
        { class: week ? "" : "quiet" },
        el("th", {}, key, week ? el("small", {}, ` term ${week.half}, wk ${week.week}`) : ""),
        WEEKDAYS.map((_, i) =>
          el("td", {}, (week ? week.days[i] : []).map((m) =>
            el("div", { class: "meeting", title: `${m.venue}; ${m.attendees.join(", ")}` }, `${m.group} ${m.start}`),
          )),
        ),
      ),
    );
  }
  return el(
    "div",
    { class: "scroll" },
    el(
      "table",
      { class: "calendar" },
      el("thead", {}, el("tr", {}, el("th", {}, "Week of"), WEEKDAYS.map((w) => el("th", {}, w)))),
      el("tbody", {}, rows),
    ),
  );
}

async function showRota() {
  const rota = await api(withDistrict(scenarioPath("rota")));
  $("#rota-calendar").replaceChildren(calendar(rota.meetings));
  const analyses = await api(scenarioPath("rota/analysis?limit=1"));
  $("#rota-analysis").replaceChildren(
    ...analyses.map((a) =>
      el(
        "div",
        {},
        el("p", {}, `Rota #${a.rota_id} (${a.districts.join(", ")}): ${a.status}${a.proven_optimal ? ", proven optimal" : ""}, penalty ${a.objective ?? "-"}, checker ${a.check_ok === false ? "refused" : "agrees"}`),
        table([["Rule", (c) => c.name], ["What it asks", (c) => c.description], ["Weight", (c) => c.weight],
               ["Violation", (c) => c.violation], ["Penalty", (c) => c.penalty]], a.constraints,
              a.scoped ? "This rota also covers other districts: its scores are theirs too, so they are not shown." : "No soft rules scored."),
        a.reasons.length ? el("ul", { class: "reasons" }, a.reasons.map((r) => el("li", {}, `${r.message}: ${r.fix}`))) : "",
      ),
    ),
  );
}

async function planRota() {
  const body = { time_limit: Number($("#rota-time").value) || 30 };
  if (district()) body.district = district();
  const job = await runJob("rota/solve", body, "#rota-job");
  if (job) await Promise.all([showRota(), showProposals()]);
}

async function urgent() {
  const out = $("#urgent-result");
  try {
    const found = await api(scenarioPath(`rota/next-meeting?school_urn=${$("#urgent-school").value}`));
    out.replaceChildren(...(found.length ? found.map((o) =>
      el("li", {}, `${o.meeting.date} ${o.meeting.start} ${o.meeting.group} at ${o.meeting.venue}: room for ${o.spare_cases} more`))
      : [el("li", {}, "No coming meeting has room.")]));
  } catch (error) {
    out.replaceChildren(el("li", { class: "error" }, error.message));
  }
}

// Caseload -----------------------------------------------------------------------------------

async function showCaseload() {
  let plan;
  try {
    plan = await api(withDistrict(scenarioPath("caseload")));
  } catch (error) {
    $("#caseload-people").replaceChildren(el("p", { class: "error" }, error.message));
    return;
  }
  $("#caseload-people").replaceChildren(
    table([["Person", (p) => p.person_id], ["Name", (p) => p.name], ["Team", (p) => p.team],
           ["Minutes a week", (p) => p.minutes_per_week], ["Cases", (p) => p.cases],
           ["Busiest week (min)", (p) => p.peak_minutes], ["Case ids", (p) => p.case_ids.join(", ")]],
          plan.people, "No caseload has been planned yet."),
  );
  $("#caseload-waiting").replaceChildren(
    table([["Case", (w) => w.case_id], ["District", (w) => w.district], ["Why it waits", (w) => w.reason],
           ["Earliest start", (w) => w.earliest_possible_start], ["What would help", (w) => w.help]],
          plan.waiting, "No case is waiting."),
  );
  $("#caseload-without-consent").replaceChildren(
    table([["Case", (w) => w.case_id], ["District", (w) => w.district], ["Why no support", (w) => w.reason]],
          plan.without_consent || [], "Every case has consent."),
  );
  $("#caseload-changes").replaceChildren(
    table([["Kind", (c) => c.kind], ["Case", (c) => c.case_id], ["Before", (c) => c.before_person], ["After", (c) => c.after_person],
           ["Start before", (c) => c.before_start], ["Start after", (c) => c.after_start], ["Reason", (c) => c.reason]],
          plan.changes, "No rebalance yet."),
  );
}

async function planCaseload(kind) {
  const body = { time_limit: Number($("#caseload-time").value) || 30 };
  if (district()) body.district = district();
  if (kind === "rebalance") {
    const today = isoOf($("#caseload-today").value);
    if (!today) {
      $("#caseload-job").replaceChildren(el("p", { class: "error" }, "Today must be a date written dd/mm/yyyy."));
      return;
    }
    body.today = today;
  }
  const job = await runJob(`caseload/${kind}`, body, "#caseload-job");
  if (job) await Promise.all([showCaseload(), showAgreements(), showProposals()]);
}

// Proposals ----------------------------------------------------------------------------------
// A plan or rota made by a job is a proposal for each district until someone accepts it there.

const AREAS = { caseload: "Caseload plan", rota: "Rota" };

function figures(f) {
  return Object.entries(f || {}).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k} ${v}`).join(", ");
}

async function showProposals() {
  const lists = await Promise.all(
    Object.keys(AREAS).map((area) => api(withDistrict(scenarioPath(`${area}/proposals`))).catch(() => [])),
  );
  const rows = lists.flat().sort((a, b) => b.created_at.localeCompare(a.created_at));
  $("#proposals-list").replaceChildren(
    table([["What", (p) => `${AREAS[p.job]} #${p.id} (${p.kind})`], ["District", (p) => p.district],
           ["Made by", (p) => p.created_by || "-"], ["When", (p) => `${dmy(p.created_at)} ${p.created_at.slice(11, 16)}`],
           ["Figures", (p) => figures(p.figures)],
           ["", (p) => el("button", { type: "button", class: "open-proposal", onclick: () => openProposal(p.job, p.id, p.district) }, "Open")]],
          rows, "No proposal is waiting for a decision."),
  );
  await showVersions();
}

function personAt(name, id, start) {
  if (!id && !start) return "-";
  return `${name || id || "nobody"}${start ? ` from ${dmy(start)}` : ""}`;
}

function differences(job, detail) {
  if (job === "caseload") {
    return table([["Kind", (c) => c.kind], ["Case", (c) => c.case_id],
                  ["Before", (c) => personAt(c.before_name, c.before_person, c.before_start)],
                  ["After", (c) => personAt(c.after_name, c.after_person, c.after_start)],
                  ["Reason", (c) => c.reason + (c.needed_by ? ` (needed by ${c.needed_by.split(";").join(", ")})` : "")]],
                 detail.cases, "It changes no case.");
  }
  const at = (day, slot) => (day ? `${dmy(day)} ${slot || ""}` : "-");
  return table([["Kind", (m) => m.kind], ["Meeting", (m) => `${m.group}, term ${m.half_term}, no. ${m.index}`],
                ["Before", (m) => at(m.before_date, m.before_slot)], ["After", (m) => at(m.after_date, m.after_slot)],
                ["Reason", (m) => m.reason]], detail.meetings, "It moves no meeting.");
}

async function openProposal(job, id, where) {
  const box = $("#proposal-detail");
  let detail;
  try {
    detail = await api(scenarioPath(`${job}/proposals/${id}?district=${encodeURIComponent(where)}`));
  } catch (error) {
    box.replaceChildren(el("p", { class: "error" }, error.message));
    return;
  }
  const keys = [...new Set([...Object.keys(detail.before), ...Object.keys(detail.after)])];
  const decide = (action) => async () => {
    const label = `${action === "accept" ? "Accept" : "Reject"} ${AREAS[job].toLowerCase()} #${id} for ${where}?` +
      (action === "accept" ? " It will replace what is in use there at once." : "");
    if (!window.confirm(label)) return;
    try {
      await api(scenarioPath(`${job}/proposals/${id}/${action}`), { method: "POST", json: { district: where } });
      await openProposal(job, id, where);
      await Promise.all([showProposals(), showRota(), showCaseload()]);
    } catch (error) {
      $("#proposal-error").textContent = error.message;
    }
  };
  const pending = detail.status === "pending" || detail.status === "rejected";
  box.replaceChildren(
    el("h3", {}, `${AREAS[job]} #${id} for ${where}: ${detail.status}`),
    el("p", {}, `Made by ${detail.proposal.created_by || "-"} on ${dmy(detail.proposal.created_at)}. ${detail.proposal.message}`),
    el("p", {}, detail.in_use_id ? `Compared with #${detail.in_use_id}, ${detail.status === "accepted" ? "the version it replaced" : "in use now"}.` : "Nothing is in use yet."),
    table([["Figure", (k) => k], ["Before", (k) => detail.before[k] ?? "-"], ["After", (k) => detail.after[k] ?? "-"]], keys),
    el("div", { id: "proposal-differences" }, differences(job, detail)),
    pending && canPlan()
      ? el("div", { class: "row" },
          el("button", { type: "button", id: "proposal-accept", onclick: decide("accept") }, "Accept"),
          el("button", { type: "button", id: "proposal-reject", class: "secondary", onclick: decide("reject") }, "Reject"))
      : "",
    el("p", { id: "proposal-error", class: "error", role: "alert" }),
  );
  const notes = $("#proposal-notes");
  notes.replaceChildren();
  if (job === "caseload" && detail.status === "accepted") {
    const found = await api(scenarioPath(`caseload/proposals/${id}/notes?district=${encodeURIComponent(where)}`)).catch(() => []);
    notes.replaceChildren(
      el("h3", {}, "Notes for schools"),
      ...(found.length
        ? found.map((n) => el("article", { class: "note" }, el("h4", {}, `${n.school} (URN ${n.urn})`), el("ul", {}, n.lines.map((l) => el("li", {}, l)))))
        : [el("p", { class: "empty" }, "Nothing changed for any school.")]),
    );
  }
}

async function showVersions() {
  const lists = await Promise.all(
    Object.keys(AREAS).map((area) => api(withDistrict(scenarioPath(`${area}/versions`))).catch(() => [])),
  );
  const rollback = (v) => async () => {
    if (!window.confirm(`Put ${AREAS[v.job].toLowerCase()} #${v.source_id} back in use for ${v.district}?`)) return;
    try {
      await api(scenarioPath(`${v.job}/versions/${v.id}/rollback`), { method: "POST" });
      await Promise.all([showProposals(), showRota(), showCaseload()]);
    } catch (error) {
      alert(error.message);
    }
  };
  $("#versions-list").replaceChildren(
    table([["What", (v) => `${AREAS[v.job]} #${v.source_id}`], ["District", (v) => v.district],
           ["Accepted by", (v) => v.decided_by || "-"], ["When", (v) => `${dmy(v.decided_at)} ${v.decided_at.slice(11, 16)}`],
           ["", (v) => (v.in_use ? "in use" : canPlan() ? el("button", { type: "button", class: "rollback", onclick: rollback(v) }, "Roll back to this") : "")]],
          lists.flat(), "No version has been accepted yet."),
  );
}

// Agreements ---------------------------------------------------------------------------------

async function showAgreements() {
  const rows = await api(withDistrict(scenarioPath("agreements")));
  $("#agreement-list").replaceChildren(
    table([["Case", (a) => a.case_id], ["District", (a) => a.district], ["School", (a) => a.school_urn],
           ["Need", (a) => a.need_type], ["Stage", (a) => a.sen_stage], ["Consent", (a) => a.consent],
           ["Agreed", (a) => a.agreed_on], ["Min/wk", (a) => a.minutes_per_week], ["Weeks", (a) => a.weeks],
           ["Priority", (a) => a.priority]], rows, "No open agreements."),
  );
}

async function addAgreement(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const body = {
    case_id: form.get("case_id"), school_urn: Number(form.get("school_urn")), need_type: form.get("need_type"),
    sen_stage: form.get("sen_stage"), lac: form.get("lac") === "on", consent: form.get("consent"),
    agreed_on: form.get("agreed_on"), minutes_per_week: Number(form.get("minutes_per_week")),
    weeks: Number(form.get("weeks")), priority: Number(form.get("priority")),
  };
  try {
    const made = await api(scenarioPath("agreements"), { method: "POST", json: body });
    $("#agreement-error").textContent = "";
    $("#agreement-done").textContent = `Added ${made.case_id} (${made.district}); rebalance to plan it.`;
    event.target.reset();
    await showAgreements();
  } catch (error) {
    $("#agreement-done").textContent = "";
    $("#agreement-error").textContent = error.message;
  }
}

// Staffing -----------------------------------------------------------------------------------

function staffingFormula() {
  const formula = {};
  const total = Number($("#staffing-total").value);
  if (total > 0) formula.total_fte = total;
  if ($("#staffing-method").value) formula.method = $("#staffing-method").value;
  return formula;
}

async function showStaffing() {
  if (!state.me || state.me.role === "district_coordinator") return;
  let result;
  try {
    result = await api(scenarioPath("staffing"));
  } catch (error) {
    $("#staffing-table").replaceChildren(el("p", { class: "empty" }, error.status === 404 ? "No staffing computed yet." : error.message));
    $("#staffing-chart").hidden = true;
    return;
  }
  $("#staffing-table").replaceChildren(
    el("p", {}, `${result.label}: ${result.method}, ${result.total_fte} FTE`),
    table([["District", (d) => d.district], ["Quota FTE", (d) => d.quota_fte], ["Allocated FTE", (d) => d.allocated_fte],
           ["Baseline FTE", (d) => d.baseline_fte], ["Change", (d) => d.change_fte], ["Held by", (d) => d.held_by]],
          result.districts),
    result.pools.length ? table([["Pool", (p) => p.pool], ["District", (p) => p.district], ["Children", (p) => p.children],
                                 ["Allocated FTE", (p) => p.allocated_fte]], result.pools) : "",
  );
  const chart = await api(scenarioPath("staffing/chart.png"), { raw: true });
  const image = $("#staffing-chart");
  image.src = URL.createObjectURL(await chart.blob());
  image.hidden = false;
}

async function computeStaffing() {
  try {
    await api(scenarioPath("staffing"), { method: "POST", json: { label: "from the page", formula: staffingFormula() } });
    $("#staffing-error").textContent = "";
    await showStaffing();
  } catch (error) {
    $("#staffing-error").textContent = error.message;
  }
}

async function compareStaffing() {
  try {
    const out = await api(scenarioPath("staffing/compare"), {
      method: "POST", json: { a: {}, b: staffingFormula(), label_a: "scenario", label_b: "adjusted" },
    });
    $("#staffing-error").textContent = "";
    $("#staffing-comparison").replaceChildren(
      el("h3", {}, `${out.label_a} against ${out.label_b}`),
      table([["District", (r) => r.district], ["Pool", (r) => r.pool], [out.label_a, (r) => r.allocated_a],
             [out.label_b, (r) => r.allocated_b], ["Change", (r) => r.change_fte]], out.rows),
    );
  } catch (error) {
    $("#staffing-error").textContent = error.message;
  }
}

// Downloads ----------------------------------------------------------------------------------

async function download(path, fallback) {
  try {
    const response = await api(path, { raw: true });
    const given = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    const link = el("a", { href: URL.createObjectURL(await response.blob()), download: given ? given[1] : fallback });
    document.body.append(link);
    link.click();
    link.remove();
  } catch (error) {
    alert(error.message);
  }
}

// Wiring -------------------------------------------------------------------------------------

function showTab(name) {
  for (const tab of document.querySelectorAll("#tabs [role=tab]")) tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
  for (const section of document.querySelectorAll(".tab")) section.hidden = section.id !== `tab-${name}`;
}

document.addEventListener("DOMContentLoaded", () => {
  $("#sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    signIn($("#token").value.trim());
  });
  $("#sign-out").addEventListener("click", signOut);
  $("#scenario").addEventListener("change", (event) => chooseScenario(event.target.value));
  $("#district").addEventListener("change", refreshAll);
  $("#upload-form").addEventListener("submit", upload);
  $("#rota-run").addEventListener("click", planRota);
  $("#urgent-run").addEventListener("click", urgent);
  $("#caseload-plan").addEventListener("click", () => planCaseload("plan"));
  $("#caseload-rebalance").addEventListener("click", () => planCaseload("rebalance"));
  $("#agreement-form").addEventListener("submit", addAgreement);
  $("#staffing-run").addEventListener("click", computeStaffing);
  $("#staffing-compare").addEventListener("click", compareStaffing);
  $("#ics-download").addEventListener("click", () => download(withDistrict(scenarioPath("rota/calendar.ics")), "rota.ics"));
  for (const button of document.querySelectorAll("[data-download]")) {
    button.addEventListener("click", () => download(withDistrict(scenarioPath(button.dataset.download)), button.dataset.download.split("/").pop()));
  }
  for (const tab of document.querySelectorAll("#tabs [role=tab]")) tab.addEventListener("click", () => showTab(tab.dataset.tab));
  $("#caseload-today").value = todayDmy();
  if (state.token) signIn(state.token);
});
