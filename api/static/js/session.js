// Signing in and out, choosing a scenario and a district, uploading a scenario.
import { $, api, el, isCounty, refresh, scenarioPath, state, table, district } from "./core.js";

export async function signIn(token) {
  state.token = token;
  try {
    state.me = await api("/api/me");
  } catch (error) {
    state.token = "";
    sessionStorage.removeItem("lift-token");
    $("#sign-in-error").textContent = error.status === 401 ? "That token is not valid." : error.message;
    return;
  }
  sessionStorage.setItem("lift-token", token);
  $("#sign-in").hidden = true;
  $("#app").hidden = false;
  $("#who").hidden = false;
  const where = state.me.district ? `, ${state.me.district}` : "";
  $("#who-text").textContent = `Signed in as ${state.me.name} (${state.me.role.replace("_", " ")}${where})`;
  document.body.dataset.role = state.me.role;
  document.body.dataset.county = isCounty() ? "yes" : "no";
  await loadScenarios();
}

export function signOut() {
  state.token = "";
  state.me = null;
  sessionStorage.removeItem("lift-token");
  $("#sign-in").hidden = false;
  $("#app").hidden = true;
  $("#who").hidden = true;
  $("#upload-result").replaceChildren();
  $("#proposal-detail").replaceChildren();
  $("#proposal-notes").replaceChildren();
}

// Opens on `select`, else where the user landed (chosen last, else the live one, else the oldest).
async function loadScenarios(select) {
  const scenarios = await api("/api/scenarios");
  const picker = $("#scenario");
  picker.replaceChildren(...scenarios.map((s) =>
    el("option", { value: s.id }, `${s.name} ${s.academic_year} (#${s.id})${s.live ? " (live)" : ""}`)));
  const landing = select || state.me.scenario_id;
  if (landing && scenarios.some((s) => s.id === Number(landing))) picker.value = String(landing);
  $("#scenario-live").hidden = !scenarios.length;
  if (!scenarios.length) {
    $("#scenario-summary").replaceChildren(el("p", { class: "empty" }, "No scenario holds your district yet."));
    return;
  }
  await chooseScenario(picker.value);
}

// The user picked a scenario: remember it for their next sign-in, then show it.
export async function pickScenario(id) {
  await api("/api/me/scenario", { method: "PUT", json: { scenario_id: Number(id) } }).catch(() => {});
  await chooseScenario(id);
}

export async function makeLive() {
  const chosen = $("#scenario").selectedOptions[0];
  if (!window.confirm(`Make ${chosen.textContent} the live scenario? Users who have not chosen one will open on it.`)) return;
  try {
    await api(`/api/scenarios/${state.scenario}/live`, { method: "POST" });
    await loadScenarios(state.scenario);
  } catch (error) {
    $("#upload-result").replaceChildren(el("p", { class: "error" }, error.message));
  }
}

export async function chooseScenario(id) {
  state.scenario = id;
  $("#proposal-detail").replaceChildren();
  $("#proposal-notes").replaceChildren();
  state.detail = await api(`/api/scenarios/${id}`);
  const districts = state.detail.districts.filter((d) => isCounty() || d === state.me.district);
  const options = isCounty() ? [el("option", { value: "" }, "All districts")] : [];
  $("#district").replaceChildren(...options, ...districts.map((d) => el("option", { value: d }, d)));
  if (!isCounty()) $("#district").value = state.me.district;
  $("#scenario-summary").replaceChildren(
    table(
      [["District", (r) => r.district], ["Schools", (r) => r.schools], ["Groups", (r) => r.groups],
       ["People", (r) => r.people], ["Agreements", (r) => r.agreements]],
      state.detail.summary,
    ),
  );
  state.schools = await api(scenarioPath("schools"));
  await refreshAll();
}

function showSchools() {
  const shown = (state.schools || []).filter((s) => !district() || s.district === district());
  const options = () => shown.map((s) => el("option", { value: s.urn }, `${s.name} (${s.district})`));
  $("#urgent-school").replaceChildren(...options());
  $("#agreement-school").replaceChildren(...options());
}

export async function refreshAll() {
  showSchools();
  await refresh();
}

export async function upload(event) {
  event.preventDefault();
  const files = $("#upload-files").files;
  if (!files.length) return;
  const form = new FormData();
  for (const file of files) form.append("files", file, file.name);
  const out = $("#upload-result");
  out.textContent = "Uploading…";
  try {
    const stored = await api("/api/scenarios", { method: "POST", body: form });
    out.textContent = `Stored ${stored.name} ${stored.academic_year} as scenario #${stored.id}.`;
    await api("/api/me/scenario", { method: "PUT", json: { scenario_id: stored.id } }).catch(() => {});
    await loadScenarios(stored.id);
  } catch (error) {
    out.replaceChildren(el("p", { class: "error" }, "The scenario was not stored:"), el("pre", { class: "error" }, error.message));
  }
}
