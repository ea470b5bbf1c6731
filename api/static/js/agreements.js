// The Agreements tab: open agreements and the form to add one.
import { $, api, el, registerView, scenarioPath, table, withDistrict } from "./core.js";

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

registerView("agreements", showAgreements);

export function init() {
  $("#agreement-form").addEventListener("submit", addAgreement);
}
