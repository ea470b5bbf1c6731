// The Simulation tab (county officers): saved staffing variants run beside the scenario's own staffing
// through a simulated year, and the whole waits shown side by side per district; earlier runs reopen.
import { $, api, download, el, registerView, runJob, scenarioPath, state, table } from "./core.js";

const MOST_VARIANTS = 4;
const SCENARIO = "scenario";
const COUNTY = "county";
const POLICIES = {
  optimised: "Planned by this tool",
  "first-come": "By hand (first come, first served)",
  clairvoyant: "The limit (knowing every request in advance)",
};
let shownFor = null; // the scenario whose result is shown
let running = false;

const isOfficer = () => state.me && state.me.role === "county_officer";
const policyWords = (p) => POLICIES[p] || p;
const variantWords = (v) => (v === SCENARIO ? "The scenario's staffing" : `'${v}'`);
const days = (value) => (value === null || value === undefined ? "none started" : `${Number(value.toFixed(1))}`);
const share = (value) => (value === null || value === undefined ? "" : `${Math.round(value * 100)} %`);
const fte = (value) => (value === null || value === undefined ? "" : `${Number(value.toFixed(2))}`);

function when(iso) {
  const at = new Date(iso);
  const two = (n) => String(n).padStart(2, "0");
  return `${two(at.getDate())}/${two(at.getMonth() + 1)}/${at.getFullYear()} ${two(at.getHours())}:${two(at.getMinutes())}`;
}

function took(seconds) {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  return `${Math.round(seconds / 60)} min`;
}

// The form --------------------------------------------------------------------------------------

async function showVariants() {
  const saved = await api(scenarioPath("staffing/variants"));
  const box = $("#simulation-variants");
  const ticked = new Set([...box.querySelectorAll("input:checked")].map((i) => i.value));
  if (!saved.length) {
    box.replaceChildren(el("p", { class: "empty" }, "No saved variants yet: save one on the Staffing tab to run it here."));
    return;
  }
  box.replaceChildren(...saved.map((v) => {
    const input = el("input", { type: "checkbox", name: "variant", value: String(v.id) });
    input.checked = ticked.has(String(v.id));
    return el("label", {}, input, ` ${v.label} (${fte(v.total_fte)} FTE to the districts, saved ${when(v.created_at)})`);
  }));
}

function chosen() {
  const variants = [...document.querySelectorAll("#simulation-variants input:checked")].map((i) => Number(i.value));
  const policies = [...document.querySelectorAll("#simulation-form input[name=policy]:checked")].map((i) => i.value);
  const problems = [];
  if (variants.length > MOST_VARIANTS) problems.push(`Choose at most ${MOST_VARIANTS} saved variants (you chose ${variants.length}).`);
  if (!policies.length) problems.push("Choose at least one way of working.");
  return { body: { variants, policies, seeds: Number($("#simulation-seeds").value) }, problems };
}

async function run(event) {
  event.preventDefault();
  if (running) return;
  const { body, problems } = chosen();
  $("#simulation-error").textContent = problems.join("\n");
  if (problems.length) return;
  running = true;
  $("#simulation-run").disabled = true;
  const scenario = state.scenario;
  try {
    const job = await runJob("simulations", body, "#simulation-job");
    if (scenario !== state.scenario) return; // another scenario was chosen meanwhile
    if (job && job.status === "succeeded" && job.result_id) await open(job.result_id);
    await showList();
  } catch (error) {
    $("#simulation-error").textContent = error.message;
  } finally {
    running = false;
    $("#simulation-run").disabled = false;
  }
}

// The result ------------------------------------------------------------------------------------

// One policy's table: a row per district (the county first), for each variant its median, 90th
// percentile, share over 20 school days and FTE.
function policyTable(result, policy) {
  const rows = result.rows.filter((r) => r.policy === policy);
  const districts = [...new Set(rows.map((r) => r.district))];
  const at = new Map(rows.map((r) => [`${r.variant}\u0000${r.district}`, r]));
  const head = el(
    "thead",
    {},
    el("tr", {}, el("th", { rowspan: "2", scope: "col" }, "District"),
      result.variants.map((v) => el("th", { colspan: "4", scope: "colgroup" }, variantWords(v)))),
    el("tr", {}, result.variants.flatMap(() => [
      el("th", { scope: "col" }, "Median (school days)"),
      el("th", { scope: "col" }, "90th percentile"),
      el("th", { scope: "col" }, "Over 20 school days"),
      el("th", { scope: "col" }, "FTE"),
    ])),
  );
  const body = el("tbody", {}, districts.map((d) => el(
    "tr",
    { class: d === COUNTY ? "county" : "" },
    el("th", { scope: "row" }, d === COUNTY ? "County" : d),
    result.variants.flatMap((v) => {
      const r = at.get(`${v}\u0000${d}`);
      if (!r) return [el("td", {}), el("td", {}), el("td", {}), el("td", {})];
      return [el("td", {}, days(r.median_days)), el("td", {}, days(r.p90_days)), el("td", {}, share(r.over_20)), el("td", {}, fte(r.fte))];
    }),
  )));
  return el(
    "div",
    { class: "scroll", tabindex: "0", role: "region", "aria-label": `Whole waits: ${policyWords(policy)}` },
    el("table", { class: "grid simulation-grid" }, el("caption", {}, policyWords(policy)), head, body),
  );
}

function showResult(result) {
  const seeds = result.seeds === 1 ? "1 run" : `${result.seeds} runs with different chance draws`;
  const arrivals = result.arrivals === "requests" ? "the scenario's requests" : "requests drawn from the scenario's pattern";
  const parts = [
    el("h3", {}, `Simulation of ${when(result.created_at)}`),
    el("p", { class: "hint" }, `${result.variants.map(variantWords).join(", ")}; ${seeds}; ${arrivals}; took ${took(result.seconds)}. Whole waits of the cases that started, in school days.`),
  ];
  if (result.sentences.length) {
    parts.push(el("ul", { class: "simulation-sentences" }, result.sentences.map((s) => el("li", {}, s))));
  } else if (result.variants.length > 1) {
    parts.push(el("p", { class: "empty" }, "No district's staffing differs between the variants run."));
  }
  for (const policy of result.policies) parts.push(policyTable(result, policy));
  parts.push(el(
    "div",
    { class: "row downloads" },
    el("button", { type: "button", onclick: () => download(scenarioPath(`simulations/${result.id}/summary.csv`), "summary.csv") }, "summary.csv"),
  ));
  if (result.printed) parts.push(el("details", {}, el("summary", {}, "The summary in words"), el("pre", { class: "simulation-printed" }, result.printed)));
  $("#simulation-result").replaceChildren(...parts);
}

async function open(id) {
  const result = await api(scenarioPath(`simulations/${id}`));
  shownFor = state.scenario;
  showResult(result);
}

// Earlier runs ----------------------------------------------------------------------------------

async function showList() {
  const found = await api(scenarioPath("simulations"));
  $("#simulation-list").replaceChildren(table(
    [
      ["When", (s) => when(s.created_at)],
      ["Staffing", (s) => s.variants.map(variantWords).join(", ")],
      ["Ways of working", (s) => s.policies.map(policyWords).join(", ")],
      ["Runs", (s) => String(s.seeds)],
      ["Took", (s) => took(s.seconds)],
      ["Open", (s) => el("button", { type: "button", class: "plain", "aria-label": `Open the simulation of ${when(s.created_at)}`, onclick: () => open(s.id).catch((e) => { $("#simulation-error").textContent = e.message; }) }, "Open")],
    ],
    found,
    "No simulation has been run for this scenario yet.",
  ));
}

async function showSimulation() {
  if (!isOfficer() || !state.scenario) return;
  if (shownFor !== state.scenario) $("#simulation-result").replaceChildren();
  await Promise.all([showVariants(), showList()]);
}

export function init() {
  $("#simulation-form").addEventListener("submit", run);
  // Opening the tab shows the variants saved meanwhile on the Staffing tab.
  $("#tab-button-simulation").addEventListener("click", () => showSimulation().catch(() => {}));
}

registerView("simulation", showSimulation);
