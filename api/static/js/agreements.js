// The Agreements tab: the cases, each case's record (its timeline, edit and close), the form to
// add one and the upload of many from a CSV or XLSX file (previewed, then added all or none).
import { $, api, canPlan, datesInWords, dmy, el, isoOf, refresh, registerView, scenarioPath, state, table, todayDmy, withDistrict } from "./core.js";

const LABELS = {
  case_id: "case id",
  school_urn: "school",
  need_type: "need type",
  sen_stage: "SEN stage",
  lac: "looked after",
  consent: "consent",
  agreed_on: "date agreed",
  minutes_per_week: "minutes a week",
  weeks: "weeks",
  priority: "priority",
  closed_on: "date closed",
};
const EXPECTED = {
  case_id: "a pseudonymous case id: letters, digits, _ . and - only (never a name).",
  school_urn: "choose a school of your district.",
  need_type: "one of C&I, B&L, BESD, PSCN, PD, HI, VI, PI.",
  sen_stage: "one of SEN Support, EHCP, EYA/SA, EYA+/SA+, SSEN.",
  consent: "yes, no, or 'exception:' followed by the reason.",
  agreed_on: "a date written dd/mm/yyyy (for example 21/11/2025) or yyyy-mm-dd.",
  minutes_per_week: "a whole number of minutes from 1 to 1200.",
  weeks: "a whole number of school weeks from 1 to 60.",
  priority: "1 (urgent), 2 or 3 (routine).",
};
const PRIORITY = { 1: "1 urgent", 2: "2", 3: "3 routine" };

// What the tab shows now: the open record and the file last previewed.
const view = { record: null, file: null };

// An API error as sentences a coordinator can act on: the field, then what it must hold.
export function plainError(error) {
  const detail = error && error.body && error.body.detail;
  if (!Array.isArray(detail)) return datesInWords(error && error.message);
  return detail
    .map((e) => {
      const field = [...(e.loc || [])].reverse().find((part) => typeof part === "string" && part !== "body");
      const label = LABELS[field] || field || "form";
      const msg = datesInWords(String(e.msg || "").replace(/^Value error, /, "")).replace(/\bagreed_on\b/g, "the date agreed");
      return `Check the ${label}: ${EXPECTED[field] || msg}`;
    })
    .join("\n");
}

const schoolName = (urn) => {
  const found = (state.schools || []).find((s) => String(s.urn) === String(urn));
  return found ? found.name : String(urn);
};

// The list --------------------------------------------------------------------------------------

async function showAgreements() {
  if (!state.scenario) return;
  if (view.record && view.record.scenario !== state.scenario) hideRecord();
  const status = $("#agreement-status").value;
  const rows = await api(withDistrict(scenarioPath(`agreements?status=${status}`)));
  const columns = [
    ["Record", (a) => el("button", { type: "button", class: "open-case", "aria-label": `Open case ${a.case_id}`, onclick: () => openCase(a.case_id) }, "Open")],
    ["Case", (a) => a.case_id],
    ["District", (a) => a.district],
    ["School", (a) => schoolName(a.school_urn)],
    ["Need", (a) => a.need_type],
    ["Stage", (a) => a.sen_stage],
    ["Consent", (a) => a.consent],
    ["Agreed", (a) => dmy(a.agreed_on)],
    ["Min/wk", (a) => a.minutes_per_week],
    ["Weeks", (a) => a.weeks],
    ["Priority", (a) => PRIORITY[a.priority] || a.priority],
  ];
  if (status !== "open") columns.push(["Closed", (a) => (a.closed_on ? dmy(a.closed_on) : "open")]);
  const empty = { open: "No open agreements.", closed: "No closed agreements.", all: "No agreements." }[status];
  $("#agreement-list").replaceChildren(table(columns, rows, empty));
  if (view.record) await loadRecord(view.record.caseId, false);
}

// The record ------------------------------------------------------------------------------------

function hideRecord() {
  view.record = null;
  $("#agreement-record").hidden = true;
}

function field(term, value) {
  return el("div", {}, el("dt", {}, term), el("dd", {}, value === "" || value === null || value === undefined ? "—" : String(value)));
}

function eventItem(e) {
  const when = el("time", { datetime: e.on }, dmy(e.on));
  const who = e.by ? el("span", { class: "by" }, ` · ${e.by}${e.at ? `, ${new Date(e.at).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" })}` : ""}`) : "";
  const changes = e.changes && e.changes.length
    ? el("ul", { class: "changes" }, e.changes.map((c) => el("li", {}, `${c.label}: ${c.before || "—"} → ${c.after || "—"}`)))
    : e.detail
      ? el("p", { class: "detail" }, e.detail)
      : "";
  return el("li", { class: `event ${e.kind}` }, el("div", { class: "when" }, when), el("div", { class: "what" }, el("strong", {}, e.title), who, changes));
}

function fillEdit(a) {
  const form = $("#record-edit-form");
  const schools = (state.schools || []).filter((s) => s.district === a.district || state.me.district === null);
  const options = schools.map((s) => el("option", { value: s.urn }, `${s.name} (${s.district})`));
  if (!schools.some((s) => s.urn === a.school_urn)) options.unshift(el("option", { value: a.school_urn }, schoolName(a.school_urn)));
  $("#record-school").replaceChildren(...options);
  form.elements.minutes_per_week.value = a.minutes_per_week;
  form.elements.weeks.value = a.weeks;
  form.elements.priority.value = String(a.priority);
  form.elements.consent.value = a.consent;
  form.elements.school_urn.value = String(a.school_urn);
  form.elements.need_type.value = a.need_type;
  form.elements.sen_stage.value = a.sen_stage;
  form.elements.lac.checked = a.lac;
  form.elements.agreed_on.value = dmy(a.agreed_on);
  $("#record-edit-error").textContent = "";
  $("#record-close-error").textContent = "";
  $("#record-close-form").elements.closed_on.value = todayDmy();
}

function showRecord(record) {
  const a = record.agreement;
  $("#record-title").textContent = `Case ${a.case_id}`;
  const closed = a.status !== "open";
  $("#record-state").textContent = closed
    ? `Closed: support finished on ${dmy(a.closed_on)}.`
    : record.support
      ? `Supported by ${record.support.person_name} from ${dmy(record.support.start)} to ${dmy(record.support.end)} (plan in use).`
      : record.waiting
        ? `Waiting: ${record.waiting}`
        : "Not in the plan in use yet: rebalance on the Caseload tab to plan it.";
  $("#record-fields").replaceChildren(
    field("District", a.district),
    field("School", record.school_name),
    field("Need type", a.need_type),
    field("SEN stage", a.sen_stage),
    field("Looked after", a.lac ? "yes" : "no"),
    field("Consent", a.consent),
    field("Agreed on", dmy(a.agreed_on)),
    field("Minutes a week", a.minutes_per_week),
    field("Weeks", a.weeks),
    field("Priority", PRIORITY[a.priority] || a.priority),
  );
  $("#record-timeline").replaceChildren(...record.events.map(eventItem));
  $("#record-reviews").textContent = record.reviews;
  const editable = canPlan() && !closed;
  $("#record-edit-form").hidden = !editable;
  $("#record-close-form").hidden = !editable;
  if (editable) fillEdit(a);
}

async function loadRecord(caseId, focus = true) {
  let record;
  try {
    record = await api(scenarioPath(`agreements/${encodeURIComponent(caseId)}/timeline`));
  } catch (error) {
    if (!focus) {
      hideRecord();
      return;
    }
    $("#agreement-record").hidden = false;
    $("#record-title").textContent = `Case ${caseId}`;
    $("#record-state").textContent = error.status === 404 ? `Case ${caseId} is not among the cases you see in this scenario.` : plainError(error);
    for (const id of ["#record-fields", "#record-timeline"]) $(id).replaceChildren();
    $("#record-reviews").textContent = "";
    $("#record-edit-form").hidden = true;
    $("#record-close-form").hidden = true;
    view.record = null;
    return;
  }
  view.record = { caseId, scenario: state.scenario, agreement: record.agreement };
  showRecord(record);
  $("#agreement-record").hidden = false;
  if (focus) {
    $("#record-done").textContent = "";
    $("#agreement-record").scrollIntoView({ block: "start" });
    $("#record-title").focus();
  }
}

export async function openCase(caseId) {
  await loadRecord(String(caseId), true);
}

async function saveRecord(event) {
  event.preventDefault();
  if (!view.record) return;
  const form = event.target.elements;
  const before = view.record.agreement;
  const agreed = isoOf(form.agreed_on.value);
  const error = $("#record-edit-error");
  if (!agreed) {
    error.textContent = `Check the date agreed: ${EXPECTED.agreed_on}`;
    return;
  }
  const after = {
    minutes_per_week: Number(form.minutes_per_week.value),
    weeks: Number(form.weeks.value),
    priority: Number(form.priority.value),
    consent: form.consent.value.trim(),
    school_urn: Number(form.school_urn.value),
    need_type: form.need_type.value,
    sen_stage: form.sen_stage.value,
    lac: form.lac.checked,
    agreed_on: agreed,
  };
  const body = Object.fromEntries(Object.entries(after).filter(([key, value]) => value !== before[key]));
  if (!Object.keys(body).length) {
    error.textContent = "Nothing to save: no field was changed.";
    return;
  }
  try {
    await api(scenarioPath(`agreements/${encodeURIComponent(view.record.caseId)}`), { method: "PATCH", json: body });
  } catch (failed) {
    error.textContent = plainError(failed);
    return;
  }
  error.textContent = "";
  const changed = Object.keys(body).map((key) => LABELS[key]).join(", ");
  await loadRecord(view.record.caseId, false);
  $("#record-done").textContent = `Saved: ${changed} changed.`;
  await refresh("agreements", "caseload", "requests", "reviews");
}

async function closeRecord(event) {
  event.preventDefault();
  if (!view.record) return;
  const error = $("#record-close-error");
  const day = isoOf(event.target.elements.closed_on.value);
  if (!day) {
    error.textContent = `Check the date closed: ${EXPECTED.agreed_on}`;
    return;
  }
  const caseId = view.record.caseId;
  if (!confirm(`Close case ${caseId}, support finished on ${dmy(day)}? It leaves every future plan.`)) return;
  try {
    await api(scenarioPath(`agreements/${encodeURIComponent(caseId)}/close`), { method: "POST", json: { closed_on: day } });
  } catch (failed) {
    error.textContent = plainError(failed);
    return;
  }
  error.textContent = "";
  await loadRecord(caseId, false);
  $("#record-done").textContent = `Case ${caseId} closed.`;
  await refresh("agreements", "caseload", "requests", "reviews");
}

// Adding one --------------------------------------------------------------------------------------

async function addAgreement(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const agreed = isoOf(form.get("agreed_on"));
  if (!agreed) {
    $("#agreement-done").textContent = "";
    $("#agreement-error").textContent = `Check the date agreed: ${EXPECTED.agreed_on}`;
    return;
  }
  const body = {
    case_id: form.get("case_id"), school_urn: Number(form.get("school_urn")), need_type: form.get("need_type"),
    sen_stage: form.get("sen_stage"), lac: form.get("lac") === "on", consent: form.get("consent"),
    agreed_on: agreed, minutes_per_week: Number(form.get("minutes_per_week")),
    weeks: Number(form.get("weeks")), priority: Number(form.get("priority")),
  };
  const requestId = String(form.get("request_id") || "").trim();
  if (requestId) body.request_id = requestId;
  try {
    const made = await api(scenarioPath("agreements"), { method: "POST", json: body });
    $("#agreement-error").textContent = "";
    $("#agreement-done").textContent = `Added ${made.case_id} (${made.district}); rebalance on the Caseload tab to plan it.`;
    event.target.reset();
    await refresh("agreements", "caseload", "requests", "reviews");
  } catch (error) {
    $("#agreement-done").textContent = "";
    $("#agreement-error").textContent = plainError(error);
  }
}

// The request an agreement comes from: a field of the add form, filled from the Requests tab.
function addRequestField() {
  const grid = $("#agreement-form .form-grid");
  if (!grid || $("#agreement-request")) return;
  const input = el("input", { id: "agreement-request", name: "request_id", pattern: "[A-Za-z0-9_.\\-]+", autocomplete: "off", placeholder: "optional, e.g. R-000123" });
  grid.append(el("label", {}, "From request ", input));
}

function prefillAgreement(detail) {
  const form = $("#agreement-form");
  const tab = document.querySelector("[data-tab=agreements]");
  if (tab) tab.click();
  hideRecord();
  form.reset();
  form.elements.request_id.value = detail.requestId || "";
  if (detail.schoolUrn !== undefined && detail.schoolUrn !== null) {
    const select = form.elements.school_urn;
    if (![...select.options].some((o) => o.value === String(detail.schoolUrn))) {
      select.append(el("option", { value: String(detail.schoolUrn) }, schoolName(detail.schoolUrn)));
    }
    select.value = String(detail.schoolUrn);
  }
  if (detail.needType) form.elements.need_type.value = detail.needType;
  if (detail.senStage) form.elements.sen_stage.value = detail.senStage;
  form.elements.lac.checked = Boolean(detail.lac);
  form.elements.priority.value = detail.urgent ? "1" : "3";
  form.elements.agreed_on.value = detail.decidedOn ? dmy(detail.decidedOn) : todayDmy();
  $("#agreement-error").textContent = "";
  $("#agreement-done").textContent = `From request ${detail.requestId}: give the case id, minutes a week and weeks, then add the agreement.`;
  form.scrollIntoView({ block: "start" });
  form.elements.case_id.focus();
}

// Adding many from a file -------------------------------------------------------------------------

function problemText(p) {
  const where = p.column ? `${LABELS[p.column] || p.column}: ` : "";
  const got = p.value !== null && p.value !== undefined && p.value !== "" ? `got '${p.value}'; ` : "";
  return `${where}${got}expected ${p.expected}`;
}

function showPreview(out) {
  const box = $("#agreement-preview");
  const importButton = $("#agreement-import");
  const parts = [];
  const rows = out.rows.length;
  parts.push(
    el("p", { class: "summary" },
      `${out.file}: ${rows} row${rows === 1 ? "" : "s"}, ${out.ok} ready to add, ${out.with_problems} with problems.`),
  );
  if (out.problems.length) {
    parts.push(el("ul", { class: "error file-problems" }, out.problems.map((p) => el("li", {}, `Row ${p.row}, ${problemText(p)}`))));
  }
  const wrong = out.rows.filter((r) => r.problems.length);
  if (wrong.length) {
    parts.push(
      el("h4", {}, "What to correct"),
      el("ul", { class: "error row-problems" }, wrong.flatMap((r) => r.problems.map((p) => el("li", {}, `Row ${r.row}${r.case_id ? ` (${r.case_id})` : ""}, ${problemText(p)}`)))),
    );
  }
  if (rows) {
    parts.push(
      el("h4", {}, "What the file holds"),
      table(
        [
          ["Row", (r) => r.row],
          ["Ready", (r) => (r.problems.length ? `no: ${r.problems.length} problem${r.problems.length === 1 ? "" : "s"}` : "yes")],
          ["Case", (r) => r.case_id],
          ["School", (r) => r.school_name || r.school_urn],
          ["Need", (r) => r.need_type],
          ["Stage", (r) => r.sen_stage],
          ["Looked after", (r) => r.lac],
          ["Consent", (r) => r.consent],
          ["Agreed", (r) => (r.agreed_on ? dmy(r.agreed_on) : r.agreed_on_text)],
          ["Min/wk", (r) => r.minutes_per_week],
          ["Weeks", (r) => r.weeks],
          ["Priority", (r) => r.priority],
        ],
        out.rows,
      ),
    );
  }
  const ready = out.ok > 0 && !out.with_problems && !out.problems.length;
  if (!ready && (out.with_problems || out.problems.length)) {
    parts.push(el("p", { class: "hint" }, "Nothing can be added until every row is right: correct the file and preview it again."));
  }
  box.replaceChildren(...parts);
  importButton.hidden = !ready;
  importButton.textContent = `Add ${out.ok} agreement${out.ok === 1 ? "" : "s"}`;
}

function fileForm() {
  const form = new FormData();
  form.append("file", view.file, view.file.name);
  return form;
}

async function previewFile(event) {
  event.preventDefault();
  const chosen = $("#agreement-file").files[0];
  $("#agreement-import").hidden = true;
  $("#agreement-import-error").textContent = "";
  if (!chosen) return;
  view.file = chosen;
  $("#agreement-preview").replaceChildren(el("p", {}, "Reading the file…"));
  try {
    showPreview(await api(scenarioPath("agreements/preview"), { method: "POST", body: fileForm() }));
  } catch (error) {
    $("#agreement-preview").replaceChildren(el("p", { class: "error" }, `The file could not be read: ${plainError(error)}`));
  }
}

async function importFile() {
  if (!view.file) return;
  const button = $("#agreement-import");
  button.disabled = true;
  try {
    const out = await api(scenarioPath("agreements/import"), { method: "POST", body: fileForm() });
    button.hidden = true;
    $("#agreement-import-error").textContent = "";
    $("#agreement-preview").replaceChildren(
      el("p", { class: "summary" }, `Added ${out.added} agreement${out.added === 1 ? "" : "s"} (${out.case_ids.join(", ")}); rebalance on the Caseload tab to plan them.`),
    );
    $("#agreement-file").value = "";
    view.file = null;
    await refresh("agreements", "caseload", "requests", "reviews");
  } catch (error) {
    const detail = error.body && error.body.detail;
    $("#agreement-import-error").textContent = Array.isArray(detail)
      ? `Nothing was added:\n${detail.map((e) => `Row ${e.loc[2]}, ${problemText({ column: e.loc[3], value: e.input, expected: e.msg })}`).join("\n")}`
      : `Nothing was added: ${plainError(error)}`;
  } finally {
    button.disabled = false;
  }
}

registerView("agreements", showAgreements);

export function init() {
  $("#agreement-form").addEventListener("submit", addAgreement);
  $("#agreement-status").addEventListener("change", () => refresh("agreements"));
  $("#record-hide").addEventListener("click", () => {
    hideRecord();
    $("#agreement-list").scrollIntoView({ block: "start" });
  });
  $("#record-edit-form").addEventListener("submit", saveRecord);
  $("#record-close-form").addEventListener("submit", closeRecord);
  $("#agreement-upload-form").addEventListener("submit", previewFile);
  $("#agreement-file").addEventListener("change", () => {
    $("#agreement-import").hidden = true;
    $("#agreement-preview").replaceChildren();
  });
  $("#agreement-import").addEventListener("click", importFile);
  addRequestField();
  // The Requests tab starts an agreement from a request with this event.
  document.addEventListener("lift:new-agreement", (event) => {
    if (event.detail && event.detail.requestId) prefillAgreement(event.detail);
  });
  // The Caseload tab (and any other) opens a case's record with this event.
  document.addEventListener("lift:open-case", (event) => {
    const caseId = event.detail && event.detail.caseId;
    if (!caseId) return;
    const tab = document.querySelector("[data-tab=agreements]");
    if (tab) tab.click();
    openCase(caseId);
  });
}
