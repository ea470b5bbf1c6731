// The Rota tab: the calendar, planning, the urgent-case finder and the score by rule.
import {
  $, api, dateOf, district, dmy, download, el, refresh, registerView, runJob, scenarioPath, table, todayDmy, watchDate, withDistrict,
} from "./core.js";

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
        el("th", {}, dmy(key), week ? el("small", {}, ` term ${week.half}, wk ${week.week}`) : ""),
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

// A rule's name as words: "even_spacing" -> "Even spacing".
const ruleName = (name) => name.charAt(0).toUpperCase() + name.slice(1).replaceAll("_", " ");

function scoreTable(a) {
  const plain = a.explanations || {};
  return table(
    [["Rule", (c) => ruleName(c.name)],
     ["What it asks", (c) => el("span", { class: "rule-words", title: `Formula: ${c.description}` }, plain[c.name] || ruleName(c.name))],
     ["Weight", (c) => c.weight], ["Times bent", (c) => c.violation], ["Penalty", (c) => c.penalty]],
    a.constraints,
    a.scoped ? "This rota also covers other districts: its scores are theirs too, so they are not shown." : "No soft rules scored.",
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
        el("p", {}, `Rota #${a.rota_id} for ${a.districts.join(", ")}: ` +
          `${a.proven_optimal ? "proven optimal (no better rota exists under these rules)" : `the best found in the time (${a.status})`}` +
          `${a.objective == null ? "" : `, penalty ${a.objective} (lower is better)`}; ` +
          `the independent check ${a.check_ok === false ? "refused it" : "agrees"}.`),
        scoreTable(a),
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

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

async function urgent(event) {
  event.preventDefault();
  const out = $("#urgent-result");
  const note = $("#urgent-note");
  note.hidden = true;
  try {
    const on = dateOf($("#urgent-on"), "From");
    const found = await api(scenarioPath(`rota/openings?school_urn=${encodeURIComponent($("#urgent-school").value)}&on=${on}`));
    const notes = [`Meetings for ${found.school} (${found.district}) from ${dmy(found.on)}.`];
    if (found.note) notes.push(`Note: ${found.note}.`);
    note.textContent = notes.join(" ");
    note.hidden = false;
    out.replaceChildren(...(found.meetings.length ? found.meetings.map((o) =>
      el("li", {}, `${o.meeting.weekday} ${dmy(o.meeting.date)} at ${o.meeting.start}: ${o.meeting.group} at ${o.meeting.venue}, room for ${plural(o.spare_cases, "more case")}`))
      : [el("li", { class: "empty" }, found.reason || "No meeting has room.")]));
  } catch (error) {
    out.replaceChildren(el("li", { class: "error" }, error.message));
  }
}

registerView("rota", showRota);

export function init() {
  $("#rota-run").addEventListener("click", planRota);
  $("#urgent-on").value = todayDmy();
  watchDate($("#urgent-on"));
  $("#urgent-form").addEventListener("submit", urgent);
  $("#ics-download").addEventListener("click", () => download(withDistrict(scenarioPath("rota/calendar.ics")), "rota.ics"));
}
