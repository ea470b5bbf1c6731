// The Staffing tab (county only): the formula's result, its chart and a comparison.
import { $, api, el, registerView, scenarioPath, state, table } from "./core.js";

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

registerView("staffing", showStaffing);

export function init() {
  $("#staffing-run").addEventListener("click", computeStaffing);
  $("#staffing-compare").addEventListener("click", compareStaffing);
}
