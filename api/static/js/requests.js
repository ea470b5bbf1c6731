// The Requests and meetings tab: the whole wait from concern to support, the requests from schools
// (search, filter, each one's outcome), and each meeting's agenda with its printable page.
import { $, api, canPlan, dateOf, datesInWords, district, dmy, el, isCounty, refresh, registerView, scenarioPath, table, todayDmy, watchDate, withDistrict } from "./core.js";

const OUTCOMES = {
  advice: "advice at the meeting",
  school_to_school: "school-to-school support",
  training: "training",
  specialist: "specialist intervention",
  referral_ep: "referred to the educational psychology service",
  referral_early_support: "referred to early support",
};
const STATUS = { waiting: "waiting", agenda: "on an agenda", decided: "decided", agreed: "agreed" };

// What the tab shows now: the requests as last read, the one whose outcome is being recorded.
const view = { requests: [], chosen: null, window: { from: null, until: null } };

const days = (value) => (value === null || value === undefined ? "—" : String(Math.round(value * 10) / 10));
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

// The whole wait ----------------------------------------------------------------------------------

async function showWaits() {
  const body = await api(withDistrict(scenarioPath("requests/waits")));
  const all = body.by_district[body.by_district.length - 1];
  const headline = $("#waits-headline");
  if (!all || !all.cases) {
    headline.textContent = "From concern to support: no agreement names its request yet, so there is no whole wait to measure.";
    $("#waits-table").replaceChildren();
    return;
  }
  headline.textContent = all.started
    ? `From concern to support: median ${days(all.median_whole)} school days (90 % within ${days(all.p90_whole)} school days), `
      + `for the ${plural(all.started, "case")} whose support has started (of ${all.cases} with a request).`
    : `From concern to support: none of the ${plural(all.cases, "case")} with a request has started support yet.`;
  const rows = [
    ...body.by_district.filter((s) => s.group !== "all").map((s) => ({ ...s, by: "District" })),
    ...body.by_urgency.filter((s) => s.group !== "all").map((s) => ({ ...s, by: "Urgency" })),
    ...body.by_need_type.filter((s) => s.group !== "all").map((s) => ({ ...s, by: "Need type" })),
    { ...all, by: "All", group: "all cases" },
  ];
  $("#waits-table").replaceChildren(
    table(
      [
        ["By", (s) => s.by],
        ["Group", (s) => s.group],
        ["Cases", (s) => s.cases],
        ["Started", (s) => s.started],
        ["To meeting", (s) => days(s.mean_to_meeting)],
        ["To agreement", (s) => days(s.mean_to_agreement)],
        ["To start", (s) => days(s.mean_to_start)],
        ["Whole wait: median", (s) => days(s.median_whole)],
        ["90th percentile", (s) => days(s.p90_whole)],
        ["Mean", (s) => days(s.mean_whole)],
      ],
      rows,
    ),
    el("p", { class: "hint" }, "School days, means for each step; the meeting is the day the outcome was recorded (else the day agreed), the start is the plan in use's."),
  );
}

// The requests ------------------------------------------------------------------------------------

function flags(r) {
  const marks = [];
  if (r.urgent) marks.push(el("span", { class: "flag urgent" }, "urgent"));
  if (r.lac) marks.push(el("span", { class: "flag lac" }, "looked after"));
  if (r.county_route) marks.push(el("span", { class: "flag county" }, "county route"));
  return marks.length ? el("span", { class: "flags" }, marks) : "";
}

function newAgreement(r) {
  const detail = {
    requestId: r.request_id, schoolUrn: r.school_urn, needType: r.need_type, senStage: r.sen_stage,
    lac: r.lac, urgent: r.urgent, decidedOn: r.decided_on,
  };
  document.dispatchEvent(new CustomEvent("lift:new-agreement", { detail }));
}

function actions(r) {
  if (!canPlan()) return "";
  const parts = [];
  if (r.status !== "agreed") {
    parts.push(el("button", { type: "button", class: "small", "aria-label": `Record the outcome of ${r.request_id}`, onclick: () => openOutcome(r) }, "Outcome"));
  }
  if (r.outcome === "specialist" && !r.case_id) {
    parts.push(el("button", { type: "button", class: "small", "aria-label": `Write the agreement for ${r.request_id}`, onclick: () => newAgreement(r) }, "Write the agreement"));
  }
  return parts.length ? el("span", { class: "actions" }, parts) : "";
}

function matches(r, words) {
  if (!words) return true;
  const text = `${r.request_id} ${r.school_name} ${r.district} ${r.need_type} ${r.status_text}`.toLowerCase();
  return words.split(/\s+/).every((w) => text.includes(w));
}

function drawRequests() {
  const status = $("#request-status").value;
  const words = $("#request-search").value.trim().toLowerCase();
  const rows = view.requests.filter((r) => (status === "all" || r.status === status) && matches(r, words));
  const total = view.requests.length;
  $("#request-count").textContent = total
    ? `${plural(rows.length, "request")} shown of ${total}.`
    : "";
  const columns = [
    ["Case reference", (r) => r.request_id],
    ["School", (r) => r.school_name],
    ["Received", (r) => dmy(r.received_on)],
    ["Need", (r) => r.need_type],
    ["Flags", flags],
    ["Status", (r) => STATUS[r.status]],
    ["Where it stands", (r) => r.status_text],
  ];
  if (isCounty() && !district()) columns.splice(2, 0, ["District", (r) => r.district]);
  if (canPlan()) columns.push(["", actions]);
  const empty = total ? "No request matches." : "No requests from schools in this scenario.";
  $("#request-list").replaceChildren(table(columns, rows, empty));
}

async function showInbox() {
  view.requests = await api(withDistrict(scenarioPath("requests")));
  if (view.chosen && !view.requests.some((r) => r.request_id === view.chosen.request_id)) closeOutcome();
  drawRequests();
}

// An outcome --------------------------------------------------------------------------------------

function openOutcome(r) {
  view.chosen = r;
  const form = $("#outcome-form");
  form.hidden = false;
  $("#outcome-title").textContent = `Outcome of ${r.request_id}`;
  $("#outcome-about").textContent = `${r.school_name}, received ${dmy(r.received_on)}; ${r.status_text}.`;
  form.elements.outcome.value = r.outcome || "advice";
  form.elements.decided_on.value = r.decided_on ? dmy(r.decided_on) : r.meeting_date ? dmy(r.meeting_date) : todayDmy();
  form.elements.note.value = r.note || "";
  $("#outcome-error").textContent = "";
  $("#outcome-done").textContent = "";
  $("#outcome-agreement").hidden = !(r.outcome === "specialist" && !r.case_id);
  $("#outcome-title").focus();
}

function closeOutcome() {
  view.chosen = null;
  $("#outcome-form").hidden = true;
}

function plainError(error) {
  return datesInWords(error.message || error);
}

async function saveOutcome(event) {
  event.preventDefault();
  const r = view.chosen;
  if (!r) return;
  const form = event.target;
  let decided;
  try {
    decided = dateOf(form.elements.decided_on, "Decided on");
  } catch (error) {
    $("#outcome-error").textContent = error.message;
    return;
  }
  const body = { outcome: form.elements.outcome.value, decided_on: decided, note: form.elements.note.value.trim() };
  try {
    await api(scenarioPath(`requests/${encodeURIComponent(r.request_id)}/outcome`), { method: "POST", json: body });
  } catch (error) {
    $("#outcome-done").textContent = "";
    $("#outcome-error").textContent = plainError(error);
    return;
  }
  $("#outcome-error").textContent = "";
  view.chosen = { ...r, outcome: body.outcome, decided_on: decided, note: body.note };
  $("#outcome-done").textContent = `Saved: ${r.request_id}, ${OUTCOMES[body.outcome]}, decided on ${dmy(decided)}.`
    + (body.outcome === "specialist" && !r.case_id ? " Write the agreement next." : "");
  $("#outcome-agreement").hidden = !(body.outcome === "specialist" && !r.case_id);
  await refresh("requests");
}

// Agendas -----------------------------------------------------------------------------------------

function windowQuery() {
  const parts = [];
  if (view.window.from) parts.push(`from=${view.window.from}`);
  if (view.window.until) parts.push(`until=${view.window.until}`);
  return parts.length ? `&${parts.join("&")}` : "";
}

// The printable page in a tab of its own (its styles from this tab's sheet: no inline style runs).
async function printAgenda(meeting, name) {
  const opened = window.open("", "_blank");
  try {
    const path = scenarioPath(`requests/agenda/${meeting.date}/${encodeURIComponent(meeting.group)}.html?district=${encodeURIComponent(name)}${windowQuery()}`);
    const response = await api(path, { raw: true });
    const html = (await response.text())
      .replace(/<style>[\s\S]*?<\/style>/, `<link rel="stylesheet" href="${location.origin}/static/css/requests.css">`)
      .replace("<body>", '<body class="printable-agenda">');
    const url = URL.createObjectURL(new Blob([html], { type: "text/html" }));
    if (opened) opened.location = url;
    else window.location.assign(url);
  } catch (error) {
    if (opened) opened.close();
    $("#agenda-error").textContent = plainError(error);
  }
}

function figures(label, f) {
  return [
    label, f.placed, f.county, f.unplaced, f.unplaced_weight, f.weighted_days, days(f.mean_days), f.worst_days ?? "—",
  ];
}

function meetingItem(m, name) {
  const count = `${m.request_ids.length} of ${m.capacity}`;
  const summary = el("summary", {}, `${m.weekday} ${dmy(m.date)}, ${m.group} (${m.start} to ${m.end}, ${m.venue}): ${count} places taken`);
  const list = el("ol", { class: "agenda-cases" }, m.request_ids.map((id) => el("li", {}, id, m.urgent_ids.includes(id) ? el("span", { class: "flag urgent" }, "urgent") : "")));
  const print = el("button", { type: "button", class: "small", "aria-label": `Print the agenda of ${m.group} on ${dmy(m.date)}`, onclick: () => printAgenda(m, name) }, "Print");
  return el("li", {}, el("details", {}, summary, list), print);
}

async function showAgenda() {
  const box = $("#agenda-result");
  if (isCounty() && !district()) {
    box.replaceChildren(el("p", { class: "hint" }, "Choose a district at the top of the page to see its meetings' agendas."));
    return;
  }
  $("#agenda-error").textContent = "";
  let body;
  try {
    const query = windowQuery().replace(/^&/, "?");
    body = await api(withDistrict(scenarioPath(`requests/agenda${query}`)));
  } catch (error) {
    if (error.status === 409) {
      box.replaceChildren(el("p", { class: "hint" }, error.message));
      return;
    }
    throw error;
  }
  const parts = [];
  const placed = body.ours.placed;
  parts.push(
    el("p", { class: "summary" },
      `${body.district}: ${plural(placed, "request")} on the agendas of ${plural(body.meetings.length, "meeting")}, `
      + `${body.county.length} on the county route, ${body.unplaced.length} with no meeting. `
      + (body.checked ? "Every meeting is within its capacity (checked)." : "The check found problems: see below.")),
  );
  parts.push(
    table(
      [
        ["Agenda", (f) => f[0]], ["Placed", (f) => f[1]], ["County route", (f) => f[2]], ["No meeting", (f) => f[3]],
        ["Priority left without a meeting", (f) => f[4]], ["Priority-weighted school days", (f) => f[5]],
        ["Mean school days to meeting", (f) => f[6]], ["Longest", (f) => f[7]],
      ],
      [figures("Planned", body.ours), figures("First come, first served", body.first_come)],
    ),
    el("p", { class: "hint" }, "Priority-weighted school days: each request's school days from arrival to its meeting, counted more times for an urgent or a looked-after child. Fewer is better. Priority left without a meeting: the same weights, for requests no meeting could take."),
  );
  if (body.meetings.length) {
    parts.push(el("h4", {}, "Meetings"), el("ul", { class: "agenda-meetings" }, body.meetings.map((m) => meetingItem(m, body.district))));
  }
  if (body.county.length) {
    parts.push(
      el("h4", {}, "County route (hearing and vision)"),
      el("ul", { class: "plain-list" }, body.county.map((c) => el("li", {}, `${c.request_id}, received ${dmy(c.received_on)}: decided within ${c.school_days} school days`))),
    );
  }
  if (body.unplaced.length) {
    parts.push(
      el("h4", {}, "No meeting"),
      el("ul", { class: "plain-list" }, body.unplaced.map((u) => el("li", {}, `${u.request_id}, received ${dmy(u.received_on)}: ${u.reason}`))),
    );
  }
  if (body.breaches.length) parts.push(el("ul", { class: "error" }, body.breaches.map((b) => el("li", {}, b))));
  box.replaceChildren(...parts);
}

function readWindow(event) {
  event.preventDefault();
  const from = $("#agenda-from").value.trim();
  const until = $("#agenda-until").value.trim();
  try {
    view.window = {
      from: from ? dateOf($("#agenda-from"), "Received from") : null,
      until: until ? dateOf($("#agenda-until"), "Until") : null,
    };
  } catch (error) {
    $("#agenda-error").textContent = error.message;
    return;
  }
  $("#agenda-result").replaceChildren(el("p", { class: "hint" }, "Planning the agendas…"));
  refresh("requests");
}

async function showRequests() {
  await Promise.all([showWaits(), showInbox(), showAgenda()]);
}

registerView("requests", showRequests);

export function init() {
  $("#request-status").addEventListener("change", drawRequests);
  $("#request-search").addEventListener("input", drawRequests);
  $("#outcome-form").addEventListener("submit", saveOutcome);
  $("#outcome-cancel").addEventListener("click", closeOutcome);
  $("#outcome-agreement").addEventListener("click", () => view.chosen && newAgreement(view.chosen));
  $("#agenda-form").addEventListener("submit", readWindow);
  // Agreements made on another tab change where requests stand: read them again on coming back.
  const tab = document.querySelector("[data-tab=requests]");
  if (tab) tab.addEventListener("click", () => refresh("requests"));
  watchDate($("#outcome-date"));
  watchDate($("#agenda-from"));
  watchDate($("#agenda-until"));
}
