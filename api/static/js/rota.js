// The Rota tab: the calendar, planning, the urgent-case finder and the score by rule.
import { $, api, district, download, el, refresh, registerView, runJob, scenarioPath, table, withDistrict } from "./core.js";

const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];

function monday(iso) {
  const day = new Date(`${iso}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7));
  return day;
}

function calendar(meetings) {
  if (!meetings.length) return el("p", { class: "empty" }, "No rota has been planned yet.");
  const weeks = new Map();
  for (const m of meetings) {
    const key = monday(m.date).toISOString().slice(0, 10);
    if (!weeks.has(key)) weeks.set(key, { half: m.half_term, week: m.week, days: WEEKDAYS.map(() => []) });
    weeks.get(key).days[WEEKDAYS.indexOf(m.weekday)].push(m);
  }
  const first = monday(meetings[0].date);
  const last = monday(meetings[meetings.length - 1].date);
  const rows = [];
  for (let d = new Date(first); d <= last; d.setUTCDate(d.getUTCDate() + 7)) {
    const key = d.toISOString().slice(0, 10);
    const week = weeks.get(key);
    rows.push(
      el(
        "tr",
        { class: week ? "" : "quiet" },
        el("th", {}, key, week ? el("small", {}, ` term ${week.half}, wk ${week.week}`) : ""),
        WEEKDAYS.map((_, i) =>
          el("td", {}, (week ? week.days[i] : []).map((m) =>
            el("div", { class: "meeting", title: `${m.venue}; ${m.attendees.join(", ")}` }, `${m.group} ${m.start}`),
          )),
        ),
      ),
    );
  }
  return el(
    "div",
    { class: "scroll", tabindex: "0" },
    el(
      "table",
      { class: "calendar" },
      el("thead", {}, el("tr", {}, el("th", {}, "Week of"), WEEKDAYS.map((w) => el("th", {}, w)))),
      el("tbody", {}, rows),
    ),
  );
}

async function showRota() {
  const rota = await api(withDistrict(scenarioPath("rota")));
  $("#rota-calendar").replaceChildren(calendar(rota.meetings));
  const analyses = await api(scenarioPath("rota/analysis?limit=1"));
  $("#rota-analysis").replaceChildren(
    ...analyses.map((a) =>
      el(
        "div",
        {},
        el("p", {}, `Rota #${a.rota_id} (${a.districts.join(", ")}): ${a.status}${a.proven_optimal ? ", proven optimal" : ""}, penalty ${a.objective ?? "-"}, checker ${a.check_ok === false ? "refused" : "agrees"}`),
        table([["Rule", (c) => c.name], ["What it asks", (c) => c.description], ["Weight", (c) => c.weight],
               ["Violation", (c) => c.violation], ["Penalty", (c) => c.penalty]], a.constraints,
              a.scoped ? "This rota also covers other districts: its scores are theirs too, so they are not shown." : "No soft rules scored."),
        a.reasons.length ? el("ul", { class: "reasons" }, a.reasons.map((r) => el("li", {}, `${r.message}: ${r.fix}`))) : "",
      ),
    ),
  );
}

async function planRota() {
  const body = { time_limit: Number($("#rota-time").value) || 30 };
  if (district()) body.district = district();
  const job = await runJob("rota/solve", body, "#rota-job");
  if (job) await refresh("rota", "proposals");
}

async function urgent() {
  const out = $("#urgent-result");
  try {
    const found = await api(scenarioPath(`rota/next-meeting?school_urn=${$("#urgent-school").value}`));
    out.replaceChildren(...(found.length ? found.map((o) =>
      el("li", {}, `${o.meeting.date} ${o.meeting.start} ${o.meeting.group} at ${o.meeting.venue}: room for ${o.spare_cases} more`))
      : [el("li", {}, "No coming meeting has room.")]));
  } catch (error) {
    out.replaceChildren(el("li", { class: "error" }, error.message));
  }
}

registerView("rota", showRota);

export function init() {
  $("#rota-run").addEventListener("click", planRota);
  $("#urgent-run").addEventListener("click", urgent);
  $("#ics-download").addEventListener("click", () => download(withDistrict(scenarioPath("rota/calendar.ics")), "rota.ics"));
}
