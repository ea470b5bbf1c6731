// The Proposals tab: plans and rotas waiting for a decision, their differences, versions and rollback.
import { $, api, canPlan, dmy, el, refresh, registerView, scenarioPath, table, withDistrict } from "./core.js";

// A plan or rota made by a job is a proposal for each district until someone accepts it there.

const AREAS = { caseload: "Caseload plan", rota: "Rota" };

// Each figure's name in words (the API's keys are for programs).
const FIGURE_WORDS = {
  started: "cases started", waiting: "waiting", without_consent: "without consent",
  broken: "promised starts moved", earlier: "starting earlier", new: "newly planned",
  meetings: "meetings", moved: "meetings moved", cancelled: "meetings cancelled",
};
const figureWords = (key) => FIGURE_WORDS[key] || key.replaceAll("_", " ");

function figures(f) {
  return Object.entries(f || {}).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${v} ${figureWords(k)}`).join(", ");
}

async function showProposals() {
  const lists = await Promise.all(
    Object.keys(AREAS).map((area) => api(withDistrict(scenarioPath(`${area}/proposals`))).catch(() => [])),
  );
  const rows = lists.flat().sort((a, b) => b.created_at.localeCompare(a.created_at));
  $("#proposals-list").replaceChildren(
    table([["What", (p) => `${AREAS[p.job]} #${p.id} (${p.kind})`], ["District", (p) => p.district],
           ["Made by", (p) => p.created_by || "-"], ["When", (p) => `${dmy(p.created_at)} ${p.created_at.slice(11, 16)}`],
           ["Figures when it was made", (p) => figures(p.figures)],
           ["", (p) => el("button", { type: "button", class: "open-proposal", onclick: () => openProposal(p.job, p.id, p.district) }, "Open")]],
          rows, "No proposal is waiting for a decision."),
  );
  await showVersions();
}

function personAt(name, id, start) {
  if (!id && !start) return "-";
  return `${name || id || "nobody"}${start ? ` from ${dmy(start)}` : ""}`;
}

function differences(job, detail) {
  if (job === "caseload") {
    return table([["Kind", (c) => c.kind], ["Case", (c) => c.case_id],
                  ["Before", (c) => personAt(c.before_name, c.before_person, c.before_start)],
                  ["After", (c) => personAt(c.after_name, c.after_person, c.after_start)],
                  ["Reason", (c) => c.reason + (c.needed_by ? ` (needed by ${c.needed_by.split(";").join(", ")})` : "")]],
                 detail.cases, "It changes no case.");
  }
  const at = (day, slot) => (day ? `${dmy(day)} ${slot || ""}` : "-");
  return table([["Kind", (m) => m.kind], ["Meeting", (m) => `${m.group}, term ${m.half_term}, no. ${m.index}`],
                ["Before", (m) => at(m.before_date, m.before_slot)], ["After", (m) => at(m.after_date, m.after_slot)],
                ["Reason", (m) => m.reason]], detail.meetings, "It moves no meeting.");
}

async function openProposal(job, id, where) {
  const box = $("#proposal-detail");
  let detail;
  try {
    detail = await api(scenarioPath(`${job}/proposals/${id}?district=${encodeURIComponent(where)}`));
  } catch (error) {
    box.replaceChildren(el("p", { class: "error" }, error.message));
    return;
  }
  const keys = [...new Set([...Object.keys(detail.before), ...Object.keys(detail.after)])];
  const decide = (action) => async () => {
    const label = `${action === "accept" ? "Accept" : "Reject"} ${AREAS[job].toLowerCase()} #${id} for ${where}?` +
      (action === "accept" ? " It will replace what is in use there at once." : "");
    if (!window.confirm(label)) return;
    try {
      await api(scenarioPath(`${job}/proposals/${id}/${action}`), { method: "POST", json: { district: where } });
      await openProposal(job, id, where);
      await refresh("proposals", "rota", "caseload", "requests", "reviews");
    } catch (error) {
      $("#proposal-error").textContent = error.message;
    }
  };
  const pending = detail.status === "pending" || detail.status === "rejected";
  box.replaceChildren(
    el("h3", {}, `${AREAS[job]} #${id} for ${where}: ${detail.status}`),
    el("p", {}, `Made by ${detail.proposal.created_by || "-"} on ${dmy(detail.proposal.created_at)}. ${detail.proposal.message}`),
    el("p", {}, detail.in_use_id ? `Compared with #${detail.in_use_id}, ${detail.status === "accepted" ? "the version it replaced" : "in use now"}.` : "Nothing is in use yet."),
    table([["Figure", (k) => figureWords(k)], ["Before", (k) => detail.before[k] ?? "-"], ["After", (k) => detail.after[k] ?? "-"]], keys),
    el("div", { id: "proposal-differences" }, differences(job, detail)),
    pending && canPlan()
      ? el("div", { class: "row" },
          el("button", { type: "button", id: "proposal-accept", onclick: decide("accept") }, "Accept"),
          el("button", { type: "button", id: "proposal-reject", class: "secondary", onclick: decide("reject") }, "Reject"))
      : "",
    el("p", { id: "proposal-error", class: "error", role: "alert" }),
  );
  const notes = $("#proposal-notes");
  notes.replaceChildren();
  if (job === "caseload" && detail.status === "accepted") {
    const found = await api(scenarioPath(`caseload/proposals/${id}/notes?district=${encodeURIComponent(where)}`)).catch(() => []);
    notes.replaceChildren(
      el("h3", {}, "Notes for schools"),
      ...(found.length
        ? found.map((n) => el("article", { class: "note" }, el("h4", {}, `${n.school} (URN ${n.urn})`), el("ul", {}, n.lines.map((l) => el("li", {}, l)))))
        : [el("p", { class: "empty" }, "Nothing changed for any school.")]),
    );
  }
}

async function showVersions() {
  const lists = await Promise.all(
    Object.keys(AREAS).map((area) => api(withDistrict(scenarioPath(`${area}/versions`))).catch(() => [])),
  );
  const rollback = (v) => async () => {
    if (!window.confirm(`Put ${AREAS[v.job].toLowerCase()} #${v.source_id} back in use for ${v.district}?`)) return;
    try {
      await api(scenarioPath(`${v.job}/versions/${v.id}/rollback`), { method: "POST" });
      await refresh("proposals", "rota", "caseload", "requests", "reviews");
    } catch (error) {
      alert(error.message);
    }
  };
  $("#versions-list").replaceChildren(
    table([["What", (v) => `${AREAS[v.job]} #${v.source_id}`], ["District", (v) => v.district],
           ["Accepted by", (v) => v.decided_by || "-"], ["When", (v) => `${dmy(v.decided_at)} ${v.decided_at.slice(11, 16)}`],
           ["", (v) => (v.in_use ? "in use" : canPlan() ? el("button", { type: "button", class: "rollback", onclick: rollback(v) }, "Roll back to this") : "")]],
          lists.flat(), "No version has been accepted yet."),
  );
}

registerView("proposals", showProposals);

export function init() {
  // Buttons are made with each table.
}
