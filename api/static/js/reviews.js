// The Written agreements and reviews tab: reviews due this week and overdue (as of a date), the form
// to record a measure at entry, a review or exit, progress from entry to exit by need type, and each
// case's written agreement (its six items, saved, and downloaded as PDF or opened as HTML).
import { $, api, canPlan, datesInWords, dmy, el, isoOf, registerView, scenarioPath, state, table, todayDmy, watchDate, withDistrict } from "./core.js";

const BASIS = {
  details: "the agreed review date",
  plan: "the plan's start",
  estimated: "estimated: not planned yet",
};
const KINDS = { entry: "entry", review: "review", exit: "exit" };
const ITEMS = ["support", "criteria", "entry_strategy", "exit_strategy", "expected_outcomes", "progress_measures", "evidence"];

// What the tab shows now: the cases of the districts seen, and the written agreement open.
const view = { cases: [], written: null, scenario: null };

const schoolName = (urn) => {
  const found = (state.schools || []).find((s) => String(s.urn) === String(urn));
  return found ? found.name : `school ${urn}`;
};
const number = (value) => (Number.isInteger(value) ? String(value) : value.toFixed(1));
const signed = (value) => (value > 0 ? `+${number(value)}` : number(value));

// Reviews due and overdue -------------------------------------------------------------------------

function dueColumns() {
  const columns = [
    ["Case", (r) => r.case_id],
    ["School", (r) => r.school_name],
    ["Need", (r) => r.need_type],
    ["Supported by", (r) => r.person_name || "not planned yet"],
    ["Due on", (r) => dmy(r.due_on)],
    ["Date from", (r) => BASIS[r.basis] || r.basis],
  ];
  if (canPlan()) {
    columns.push([
      "Record",
      (r) => el("button", { type: "button", "aria-label": `Record a review of case ${r.case_id}`, onclick: () => startRecord(r.case_id) }, "Record a measure"),
    ]);
  }
  return columns;
}

async function showDue() {
  const typed = $("#reviews-on").value.trim();
  const on = typed ? isoOf(typed) : null;
  if (typed && !on) {
    $("#reviews-note").textContent = "Write the date as dd/mm/yyyy, e.g. 21/11/2025.";
    return;
  }
  const query = on ? `reviews/due?on=${on}` : "reviews/due";
  const found = await api(withDistrict(scenarioPath(query)));
  $("#reviews-on").value = dmy(found.on);
  const week = `the week of ${dmy(found.week_start)}`;
  const moved = found.note ? ` ${datesInWords(found.note)}.` : "";
  $("#reviews-note").textContent = `As of ${dmy(found.on)}: ${found.due.length} due in ${week} from that day, ${found.overdue.length} overdue.${moved}`;
  $("#reviews-due").replaceChildren(table(dueColumns(), found.due, "No review is due this week."));
  $("#reviews-overdue").replaceChildren(table(dueColumns(), found.overdue, "No review is overdue."));
}

// Recording a measure -----------------------------------------------------------------------------

function startRecord(caseId) {
  $("#review-case").value = caseId;
  $("#review-kind").value = "review";
  // A measure is dated on the day the list is shown for (never an old default left in the field).
  $("#review-date").value = $("#reviews-on").value || todayDmy();
  $("#review-measure").focus();
}

async function recordMeasure(event) {
  event.preventDefault();
  const form = event.target;
  $("#review-error").textContent = "";
  $("#review-done").textContent = "";
  const date = isoOf(form.date.value);
  if (!date) {
    $("#review-error").textContent = "Date: write it as dd/mm/yyyy, e.g. 21/11/2025.";
    form.date.focus();
    return;
  }
  const body = {
    case_id: form.case_id.value,
    date,
    kind: form.kind.value,
    measure: form.measure.value.trim(),
    value: Number(form.value.value),
    note: form.note.value.trim(),
  };
  try {
    const saved = await api(scenarioPath("reviews"), { method: "POST", json: body });
    $("#review-done").textContent = `Recorded: case ${saved.case_id}, ${KINDS[saved.kind]} ${saved.measure} ${number(saved.value)} on ${dmy(saved.date)}.`;
    form.value.value = "";
    form.note.value = "";
    await Promise.all([showDue(), showProgress()]);
  } catch (error) {
    $("#review-error").textContent = error.message;
  }
}

// Progress ----------------------------------------------------------------------------------------

async function showProgress() {
  const found = await api(withDistrict(scenarioPath("reviews/progress")));
  $("#reviews-progress").replaceChildren(
    table(
      [
        ["Need type", (p) => p.need_type],
        ["Measure", (p) => p.measure],
        ["Cases", (p) => String(p.cases)],
        ["Mean at entry", (p) => number(p.mean_entry)],
        ["Mean at exit", (p) => number(p.mean_exit)],
        ["Mean change", (p) => signed(p.mean_change)],
      ],
      found.by_need,
      "No case has both an entry and an exit measure yet.",
    ),
  );
  $("#reviews-progress-cases").replaceChildren(
    table(
      [
        ["Case", (p) => p.case_id],
        ["District", (p) => p.district],
        ["Need type", (p) => p.need_type],
        ["Measure", (p) => p.measure],
        ["Entry", (p) => number(p.entry)],
        ["Exit", (p) => number(p.exit)],
        ["Change", (p) => signed(p.change)],
      ],
      found.cases,
      "No case has both an entry and an exit measure yet.",
    ),
  );
}

// The cases to pick from --------------------------------------------------------------------------

async function showCases() {
  view.cases = await api(withDistrict(scenarioPath("agreements?status=all")));
  const options = () =>
    view.cases.map((a) => el("option", { value: a.case_id }, `${a.case_id}, ${schoolName(a.school_urn)}${a.status === "open" ? "" : " (closed)"}`));
  for (const select of [$("#review-case"), $("#written-case")]) {
    const kept = select.value;
    select.replaceChildren(...options());
    if (view.cases.some((a) => a.case_id === kept)) select.value = kept;
  }
  if (view.written && !view.cases.some((a) => a.case_id === view.written)) closeWritten();
}

// The written agreement ---------------------------------------------------------------------------

function closeWritten() {
  view.written = null;
  $("#written-form").hidden = true;
}

function fillWritten(found) {
  const form = $("#written-form");
  view.written = found.case_id;
  $("#written-title").textContent = `Written agreement: case ${found.case_id}`;
  $("#written-facts").textContent = `${found.school_name}, ${found.district}; agreed at the LIFT meeting on ${dmy(found.agreed_on)}${found.status === "open" ? "" : " (the case is closed)"}.`;
  for (const name of ITEMS) form.elements[name].value = found[name] || "";
  form.review_date.value = found.review_date ? dmy(found.review_date) : "";
  const when = found.start ? `, from ${dmy(found.start)} to ${dmy(found.end)} in the plan in use` : "; the start is not planned yet";
  const who = found.specialist_role ? ` Specialist: ${found.specialist_role}.` : "";
  $("#written-duration").textContent = `${found.weeks} school weeks at ${found.minutes_per_week} minutes a week${when}.${who}`;
  const dates = found.review_dates.map(dmy).join(", ");
  $("#written-schedule").textContent = found.review_date
    ? "The review is on the date agreed."
    : dates
      ? `No date agreed: by the default schedule the reviews fall on ${dates}.`
      : "";
  const editable = canPlan() && found.status === "open";
  for (const field of form.querySelectorAll("textarea, input")) field.readOnly = !editable;
  $("#written-save").disabled = !editable;
  form.hidden = false;
}

async function openWritten(event) {
  event.preventDefault();
  $("#written-error").textContent = "";
  $("#written-done").textContent = "";
  const caseId = $("#written-case").value;
  if (!caseId) return;
  try {
    fillWritten(await api(scenarioPath(`reviews/details/${encodeURIComponent(caseId)}`)));
    $("#written-title").focus();
  } catch (error) {
    $("#written-error").textContent = error.message;
  }
}

async function saveWritten(event) {
  event.preventDefault();
  const form = event.target;
  $("#written-error").textContent = "";
  $("#written-done").textContent = "";
  const typed = form.review_date.value.trim();
  const review = typed ? isoOf(typed) : null;
  if (typed && !review) {
    $("#written-error").textContent = "Review date: write it as dd/mm/yyyy, e.g. 21/11/2025, or leave it blank.";
    form.review_date.focus();
    return;
  }
  const body = Object.fromEntries(ITEMS.map((name) => [name, form.elements[name].value.trim() || null]));
  body.review_date = review;
  try {
    const saved = await api(scenarioPath(`reviews/details/${encodeURIComponent(view.written)}`), { method: "PUT", json: body });
    fillWritten(saved);
    $("#written-done").textContent = `Saved the written agreement of case ${saved.case_id}.`;
    await showDue();
  } catch (error) {
    $("#written-error").textContent = error.message;
  }
}

async function fetchDocument(kind) {
  const response = await api(scenarioPath(`agreements/${encodeURIComponent(view.written)}/agreement.${kind}`), { raw: true });
  return URL.createObjectURL(await response.blob());
}

async function downloadPdf() {
  $("#written-error").textContent = "";
  try {
    const link = el("a", { href: await fetchDocument("pdf"), download: `agreement-${view.written}.pdf` });
    document.body.append(link);
    link.click();
    link.remove();
  } catch (error) {
    $("#written-error").textContent = error.message;
  }
}

async function openHtml() {
  $("#written-error").textContent = "";
  try {
    const url = await fetchDocument("html");
    window.open(url, "_blank");
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (error) {
    $("#written-error").textContent = error.message;
  }
}

// The view ----------------------------------------------------------------------------------------

async function showReviews() {
  if (!state.scenario) return;
  const fresh = view.scenario !== state.scenario;
  if (fresh) {
    view.scenario = state.scenario;
    closeWritten();
    $("#reviews-on").value = todayDmy();
  }
  await showCases();
  await Promise.all([showDue(), showProgress()]);
  // A measure is dated, by default, on the day shown (today, moved into the scenario's year).
  if (fresh) $("#review-date").value = $("#reviews-on").value;
}

registerView("reviews", showReviews);

export function init() {
  watchDate($("#reviews-on"));
  watchDate($("#review-date"));
  watchDate($("#written-review"));
  $("#reviews-when").addEventListener("submit", (event) => {
    event.preventDefault();
    showDue().catch((error) => {
      $("#reviews-note").textContent = error.message;
    });
  });
  $("#review-form").addEventListener("submit", recordMeasure);
  $("#written-pick").addEventListener("submit", openWritten);
  $("#written-form").addEventListener("submit", saveWritten);
  $("#written-pdf").addEventListener("click", downloadPdf);
  $("#written-html").addEventListener("click", openHtml);
}
