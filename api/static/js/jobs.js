// The Jobs tab: every job of the chosen scenario.
import { $, api, progressWords, registerView, state, table } from "./core.js";

const KINDS = { rota: "Rota", caseload_plan: "Caseload plan", caseload_rebalance: "Rebalance" };

async function showJobs() {
  const jobs = await api("/api/jobs");
  $("#jobs-list").replaceChildren(
    table(
      [["Job", (j) => j.id.slice(0, 8)], ["Kind", (j) => KINDS[j.kind] || j.kind.replaceAll("_", " ")],
       ["District", (j) => j.district || "county"], ["Status", (j) => j.status],
       ["Progress", (j) => (j.status === "running" || j.status === "queued" ? progressWords(j) : `${Math.round(j.progress * 100)}%`)],
       ["Message", (j) => j.message]],
      jobs.filter((j) => String(j.scenario_id) === String(state.scenario)),
    ),
  );
}

registerView("jobs", showJobs);
// Opening the tab shows the jobs as they are now (a running job's progress moves on).
$("#tab-button-jobs").addEventListener("click", () => showJobs().catch(() => {}));
