// The Caseload tab: each person's cases, the waiting list, changes, planning and rebalancing.
import { $, api, district, el, isoOf, refresh, registerView, runJob, scenarioPath, table, todayDmy, withDistrict } from "./core.js";

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
  if (job) await refresh("caseload", "agreements", "proposals");
}

registerView("caseload", showCaseload);

export function init() {
  $("#caseload-plan").addEventListener("click", () => planCaseload("plan"));
  $("#caseload-rebalance").addEventListener("click", () => planCaseload("rebalance"));
  $("#caseload-today").value = todayDmy();
}
