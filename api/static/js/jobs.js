// The Jobs tab: every job of the chosen scenario.
import { $, api, registerView, state, table } from "./core.js";

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

registerView("jobs", showJobs);
