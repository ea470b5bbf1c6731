// The Staffing tab (county only): the whole formula edited (officers), the latest result and its chart,
// saved variants compared side by side with a chart, and how each district responds to the weights.
import { $, api, el, registerView, scenarioPath, state, table } from "./core.js";

const FIELDS = {
  label: "#staffing-label",
  total_fte: "#staffing-total",
  method: "#staffing-method",
  granularity: "#staffing-granularity",
  floor_fte: "#staffing-floor",
  cap_fte: "#staffing-cap",
  max_change_pct: "#staffing-change",
};
let formula = null; // the scenario's formula, as GET .../staffing/formula gives it
let filledFor = null; // the scenario the editor was filled for
let loading = null; // the formula being fetched
let variants = [];

const words = (name) => String(name).replaceAll("_", " ");
const signed = (value) => (value > 0 ? `+${value}` : String(value));
const trim = (value) => String(Number(Number(value).toPrecision(10)));

function when(iso) {
  const at = new Date(iso);
  const two = (n) => String(n).padStart(2, "0");
  return `${two(at.getDate())}/${two(at.getMonth() + 1)}/${at.getFullYear()} ${two(at.getHours())}:${two(at.getMinutes())}`;
}

// The editor ---------------------------------------------------------------------------------

function numberInput(id, value, hint) {
  return el("input", { id, type: "text", inputmode: "decimal", autocomplete: "off", value, "aria-describedby": `${hint} ${id}-error` });
}

function field(id, label, input) {
  return el("div", { class: "staffing-field" }, el("label", { for: id }, label), input, el("p", { class: "error", id: `${id}-error` }));
}

function fillEditor() {
  $("#staffing-total").value = trim(formula.total_fte);
  $("#staffing-method").value = formula.method;
  $("#staffing-granularity").value = trim(formula.granularity);
  $("#staffing-floor").value = trim(formula.floor_fte);
  $("#staffing-cap").value = formula.cap_fte === null ? "" : trim(formula.cap_fte);
  $("#staffing-change").value = formula.max_change_pct === null ? "" : trim(formula.max_change_pct);
  $("#staffing-weights").replaceChildren(...formula.indicators.map((name, i) =>
    field(`staffing-weight-${i}`, words(name), numberInput(`staffing-weight-${i}`, trim((formula.weights[name] || 0) * 100), "staffing-weights-hint"))));
  $("#staffing-pools").replaceChildren(...formula.pool_names.map((name, i) =>
    field(`staffing-pool-${i}`, `${name} pool`, numberInput(`staffing-pool-${i}`, trim(formula.pools[name] || 0), "staffing-pools-hint"))));
  $("#staffing-pools-group").hidden = !formula.pool_names.length;
  suggestLabel();
  clearErrors();
}

function clearErrors() {
  for (const box of document.querySelectorAll("#staffing-form .error")) box.textContent = "";
  for (const input of document.querySelectorAll("#staffing-form [aria-invalid]")) input.removeAttribute("aria-invalid");
}

function showError(id, message) {
  const box = $(`#${id}-error`) || $("#staffing-error");
  box.textContent = box.textContent ? `${box.textContent}\n${message}` : message;
  const input = $(`#${id}`);
  if (input && input.matches("input, select")) input.setAttribute("aria-invalid", "true");
}

// A number typed in a field: null when empty (and `optional`), else the number; a message if not one.
function read(selector, name, optional, problems) {
  const text = $(selector).value.trim().replace(",", ".");
  if (!text) {
    if (optional) return null;
    problems.push([selector.slice(1), `Type the ${name}.`]);
    return null;
  }
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) {
    problems.push([selector.slice(1), `Type the ${name} as a number, for example 4.5 (you typed "${text}").`]);
    return null;
  }
  return Number(text);
}

// The whole formula as typed, or null after showing what is not a number.
async function typedFormula() {
  if (loading) await loading.catch(() => {});
  else if (!formula && state.scenario) await showStaffing();
  clearErrors();
  if (!formula) {
    showError("staffing", "The scenario's formula has not loaded: choose the scenario again.");
    return null;
  }
  const problems = [];
  const settings = {
    total_fte: read(FIELDS.total_fte, "total FTE", false, problems),
    method: $(FIELDS.method).value,
    granularity: read(FIELDS.granularity, "post size", false, problems),
    floor_fte: read(FIELDS.floor_fte, "floor", true, problems) ?? 0,
    cap_fte: read(FIELDS.cap_fte, "cap", true, problems),
    max_change_pct: read(FIELDS.max_change_pct, "change limit", true, problems),
    weights: {},
    pools: {},
  };
  formula.indicators.forEach((name, i) => {
    const pct = read(`#staffing-weight-${i}`, `weight of ${words(name)}`, true, problems);
    if (pct !== null && pct !== 0) settings.weights[name] = Number((pct / 100).toPrecision(12));
  });
  formula.pool_names.forEach((name, i) => {
    const fte = read(`#staffing-pool-${i}`, `${name} pool`, true, problems);
    if (fte !== null && (fte !== 0 || name in formula.pools)) settings.pools[name] = fte;
  });
  for (const [id, message] of problems) showError(id, message);
  return problems.length ? null : settings;
}

// A refusal from the API shown next to the field it names (else under the buttons).
function showRefusal(error) {
  const detail = error.body && error.body.detail;
  if (!Array.isArray(detail)) {
    showError("staffing", error.message);
    return;
  }
  for (const problem of detail) {
    const loc = problem.loc || [];
    const at = loc.indexOf("settings");
    const key = at >= 0 ? loc[at + 1] : loc[loc.length - 1];
    const name = at >= 0 ? loc[at + 2] : undefined;
    let id = "staffing";
    if (key === "weights") {
      const i = formula.indicators.indexOf(name);
      id = i >= 0 ? `staffing-weight-${i}` : "staffing-weights";
    } else if (key === "pools") {
      const i = formula.pool_names.indexOf(name);
      id = i >= 0 ? `staffing-pool-${i}` : "staffing";
    } else if (key in FIELDS && (at >= 0 || key === "label" || key === "total_fte")) {
      id = FIELDS[key].slice(1);
    }
    showError(id, problem.msg);
  }
  const first = document.querySelector("#staffing-form [aria-invalid]");
  if (first) first.focus();
}

async function computeStaffing() {
  const settings = await typedFormula();
  if (!settings) return;
  const label = $("#staffing-label").value.trim();
  if (!label) {
    showError("staffing-label", "Give this variant a name, for example \"More staff\".");
    return;
  }
  try {
    await api(scenarioPath("staffing"), { method: "POST", json: { label, formula: { settings } } });
  } catch (error) {
    showRefusal(error);
    return;
  }
  await Promise.all([showLatest(), showVariants(true)]);
  $("#staffing-label").value = "";
  suggestLabel();
}

async function compareWithScenario() {
  const settings = await typedFormula();
  if (!settings) return;
  let out;
  try {
    out = await api(scenarioPath("staffing/compare"), {
      method: "POST", json: { a: {}, b: { settings }, label_a: "scenario's formula", label_b: "adjusted" },
    });
  } catch (error) {
    showRefusal(error);
    return;
  }
  $("#staffing-comparison").replaceChildren(
    el("h4", {}, "The scenario's formula against your adjusted values (not saved)"),
    table([["District", (r) => r.district], ["Part", (r) => (r.pool ? `${r.pool} pool` : "district team")],
           ["Scenario's formula (FTE)", (r) => r.allocated_a], ["Adjusted (FTE)", (r) => r.allocated_b],
           ["Difference", (r) => signed(r.change_fte)]], out.rows),
  );
}

// The latest result --------------------------------------------------------------------------

let latestCall = 0; // only the newest call shows its answer (an older one may answer later)

async function showLatest() {
  const mine = ++latestCall;
  let result;
  try {
    result = await api(scenarioPath("staffing"));
  } catch (error) {
    if (mine !== latestCall) return;
    $("#staffing-table").replaceChildren(el("p", { class: "empty" }, error.status === 404 ? "No staffing computed yet." : error.message));
    $("#staffing-chart").hidden = true;
    return;
  }
  if (mine !== latestCall) return;
  $("#staffing-table").replaceChildren(
    el("p", {}, `${result.label}: ${result.total_fte} FTE shared by ${words(result.method)} rounding.`),
    table([["District", (d) => d.district], ["Share by the formula (FTE)", (d) => d.quota_fte], ["Gets (FTE)", (d) => d.allocated_fte],
           ["Has now (FTE)", (d) => d.baseline_fte], ["Change", (d) => signed(d.change_fte)], ["Held by a rule", (d) => d.held_by || "no"]],
          result.districts),
    result.pools.length ? table([["Pool", (p) => p.pool], ["District", (p) => p.district], ["Children", (p) => p.children],
                                 ["Gets (FTE)", (p) => p.allocated_fte]], result.pools) : "",
  );
  const chart = await api(scenarioPath("staffing/chart.png"), { raw: true });
  const data = await chart.blob();
  if (mine !== latestCall) return;
  const image = $("#staffing-chart");
  image.src = URL.createObjectURL(data);
  image.hidden = false;
}

// Saved variants -----------------------------------------------------------------------------

function variantName(v) {
  return `${v.label} (${when(v.created_at)})`;
}

function fillPicker(select, chosen) {
  const before = select.value;
  select.replaceChildren(...variants.map((v) => el("option", { value: v.id }, variantName(v))));
  if (chosen !== undefined) select.value = String(chosen);
  else if (variants.some((v) => String(v.id) === before)) select.value = before;
}

let variantsCall = 0;

async function showVariants(newest = false) {
  const mine = ++variantsCall;
  const listed = await api(scenarioPath("staffing/variants"));
  if (mine !== variantsCall) return;
  variants = listed;
  $("#staffing-variants").replaceChildren(
    table([["Name", (v) => v.label], ["Saved", (v) => when(v.created_at)], ["Rounding", (v) => words(v.method)],
           ["District teams (FTE)", (v) => v.total_fte], ["Pools (FTE)", (v) => v.pools_fte]],
          variants, "No variant saved yet: compute one above."),
  );
  const pick = variants.length > 0;
  for (const form of ["#staffing-pick", "#staffing-sensitivity-form"]) $(form).hidden = !pick;
  if (!pick) {
    $("#staffing-variant-comparison").replaceChildren();
    $("#staffing-variant-chart").hidden = true;
    $("#staffing-sensitivity").replaceChildren();
    return;
  }
  const fresh = newest || !$("#staffing-variant-a").value;
  fillPicker($("#staffing-variant-a"), fresh ? variants[Math.min(1, variants.length - 1)].id : undefined);
  fillPicker($("#staffing-variant-b"), fresh ? variants[0].id : undefined);
  fillPicker($("#staffing-sensitivity-variant"), fresh ? variants[0].id : undefined);
}

async function compareVariants(event) {
  event.preventDefault();
  const a = $("#staffing-variant-a").value;
  const b = $("#staffing-variant-b").value;
  const box = $("#staffing-variant-comparison");
  const image = $("#staffing-variant-chart");
  const query = `a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`;
  let out;
  try {
    out = await api(scenarioPath(`staffing/variants/compare?${query}`));
  } catch (error) {
    box.replaceChildren(el("p", { class: "error" }, error.message));
    image.hidden = true;
    return;
  }
  const [x, y] = [out.a.label, out.b.label];
  box.replaceChildren(
    el("h4", {}, `${x} against ${y}`),
    el("p", {}, out.changes.length ? "What changed in the formula:" : "The two formulas are the same."),
    out.changes.length ? el("ul", { class: "staffing-changes" }, out.changes.map((c) => el("li", {}, words(c).replace(" -> ", " → ")))) : "",
    table([["Total", (t) => t.what], [`${x} (FTE)`, (t) => t.fte_a], [`${y} (FTE)`, (t) => t.fte_b], ["Difference", (t) => signed(t.difference)]], out.totals),
    table([["District", (r) => r.district], ["Part", (r) => (r.pool ? `${r.pool} pool` : "district team")],
           [`${x} (FTE)`, (r) => r.fte_a], [`${y} (FTE)`, (r) => r.fte_b], ["Difference", (r) => signed(r.difference)]], out.rows),
  );
  const chart = await api(scenarioPath(`staffing/variants/compare.png?${query}`), { raw: true });
  image.src = URL.createObjectURL(await chart.blob());
  image.alt = `Chart: each district's FTE under ${x} and under ${y}, with the difference over each pair of bars`;
  image.hidden = false;
}

async function showSensitivity(event) {
  event.preventDefault();
  const box = $("#staffing-sensitivity");
  const stepBox = $("#staffing-step-error");
  const input = $("#staffing-step");
  stepBox.textContent = "";
  input.removeAttribute("aria-invalid");
  const step = Number(input.value.trim().replace(",", "."));
  if (!input.value.trim() || !Number.isFinite(step) || step <= 0 || step >= 100) {
    stepBox.textContent = "Type a share from more than 0 to less than 100, for example 10.";
    input.setAttribute("aria-invalid", "true");
    return;
  }
  const variant = $("#staffing-sensitivity-variant").value;
  let out;
  try {
    out = await api(scenarioPath(`staffing/variants/sensitivity?variant=${encodeURIComponent(variant)}&step_pct=${step}`));
  } catch (error) {
    box.replaceChildren(el("p", { class: "error" }, error.message));
    return;
  }
  const moved = out.rows.filter((r) => r.difference !== 0);
  box.replaceChildren(
    el("p", {}, moved.length ? `${out.variant.label}: what moves a district's staff.` : `${out.variant.label}: no weight changed by ${out.step_pct} % moves any district's staff.`),
    moved.length ? el("ul", { class: "staffing-changes" }, moved.map((r) => el("li", {}, words(r.sentence)))) : "",
    table([["If", (r) => `the weight of ${words(r.weight)} ${r.rises ? "rises" : "falls"} by ${out.step_pct} % of itself (${r.weight_before_pct} % → ${r.weight_after_pct} % once all add up to 100 %)`],
           ["District", (r) => r.district], ["FTE now", (r) => r.fte_before], ["FTE then", (r) => r.fte_after],
           ["Gains or loses", (r) => (r.difference > 0 ? `gains ${r.difference} FTE` : r.difference < 0 ? `loses ${-r.difference} FTE` : "no change")]],
          out.rows, "The formula has no weight above 0."),
  );
}

// The view -----------------------------------------------------------------------------------

async function showStaffing() {
  if (!state.me || state.me.district !== null || !state.scenario) return;
  if (filledFor !== state.scenario) {
    $("#staffing-comparison").replaceChildren();
    $("#staffing-variant-comparison").replaceChildren();
    $("#staffing-variant-chart").hidden = true;
    $("#staffing-sensitivity").replaceChildren();
    const scenario = state.scenario;
    formula = null;
    loading = api(scenarioPath("staffing/formula"));
    try {
      formula = await loading;
      fillEditor();
      $("#staffing-form").hidden = false;
    } catch (error) {
      $("#staffing-form").hidden = true;
      $("#staffing-table").replaceChildren(el("p", { class: "empty" }, error.message));
      return;
    } finally {
      loading = null;
    }
    filledFor = scenario;
  }
  await Promise.all([showLatest(), showVariants()]);
  suggestLabel();
}

// A name for the next variant, unless the officer typed one.
function suggestLabel() {
  const input = $("#staffing-label");
  if (!input.value || /^Variant \d+$/.test(input.value)) input.value = `Variant ${variants.length + 1}`;
}

registerView("staffing", showStaffing);

export function init() {
  $("#staffing-compare").addEventListener("click", compareWithScenario);
  $("#staffing-reset").addEventListener("click", () => formula && fillEditor());
  $("#staffing-form").addEventListener("submit", (event) => {
    event.preventDefault();
    computeStaffing();
  });
  $("#staffing-pick").addEventListener("submit", compareVariants);
  $("#staffing-sensitivity-form").addEventListener("submit", showSensitivity);
}
