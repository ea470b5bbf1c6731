"""The rota: solve jobs' inputs and results, and the rota in use per district."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from allocator.constraints import constraints_of
from allocator.constraints.plain import explanations
from allocator.model import Scenario, School
from allocator.model.rota_result import OpenMeeting, Rota
from allocator.rota.outcome import RotaOutcome
from allocator.rota.plan import next_meetings
from allocator.rota.promises import is_this_years
from allocator.solve import SolveParams
from api.convert import meeting_row, to_meeting
from api.db.models import JobRow, MeetingRow, RotaRow, ScenarioRow
from api.decisions import accepted_sources
from api.jobs import JobFailed
from api.services.words import dmy
from api.store import ScenarioCache, job_today, live_scenario
from api.worker import RotaTask


def rule_descriptions() -> dict[str, str]:
    """Each registered rota rule's one-sentence statement."""
    return {c.name: c.doc for c in constraints_of("rota")}


def rule_explanations() -> dict[str, str]:
    """Each registered rota rule in a plain sentence, without its formula."""
    return explanations("rota")


def year_of(scenario: Scenario) -> tuple[date, date]:
    """The scenario's year: its first and last term days."""
    return (
        min(t.first_day for t in scenario.terms),
        max(t.last_day for t in scenario.terms),
    )


def urgent_openings(
    scenario: Scenario, rota: Rota, school: School, asked: date, limit: int
) -> tuple[date, str | None, str | None, list[OpenMeeting]]:
    """The coming meetings with room for an urgent case from `school`, from `asked` on (moved into
    the scenario's year if outside it). Returns the first day searched, a note when it was moved,
    the reason in plain words when nothing has room, and the meetings."""
    first, last = year_of(scenario)
    on, note = asked, None
    if asked < first:
        on = first
        note = f"the scenario's year starts {dmy(first)}: showing meetings from {dmy(on)}"
    elif asked > last:
        on = last
        note = f"the scenario's year ends {dmy(last)}: showing meetings from {dmy(on)}"
    found = next_meetings(scenario, rota, school.urn, on - timedelta(days=1), limit)
    if found:
        return on, note, None, found
    kinds = {_kind(scenario, school)}
    coming = [
        m
        for m in rota.in_district(school.district)
        if m.date >= on and _group_kind(scenario, m.group) in kinds
    ]
    if not coming:
        reason = (
            f"No {school.district} meeting is planned from {dmy(on)} to the end of the "
            f"scenario's year ({dmy(last)})."
        )
    else:
        reason = (
            f"All {len(coming)} {school.district} meetings from {dmy(on)} to the end of the "
            f"scenario's year are full: each already expects as many cases as it has room for."
        )
    return on, note, reason, []


def _kind(scenario: Scenario, school: School) -> str:
    """The kind of meeting a school's cases go to (as `next_meetings` chooses it)."""
    own = scenario.group_by_name.get(school.lift_group or "")
    if own is not None:
        return str(own.kind.value)
    return "early_years" if school.phase.value == "early_years" else "schools"


def _group_kind(scenario: Scenario, name: str) -> str | None:
    group = scenario.group_by_name.get(name)
    return None if group is None else str(group.kind.value)


def current_sources(session: Session, scenario_id: int, districts: Sequence[str]) -> dict[str, int]:
    """For each district, the rota in use (its newest accepted rota)."""
    return accepted_sources(session, scenario_id, "rota", districts)


def current_meetings(
    session: Session, scenario_id: int, districts: Sequence[str]
) -> tuple[dict[str, int], list[MeetingRow]]:
    """The sources and meetings in use for `districts`, by date, start and group."""
    sources = current_sources(session, scenario_id, districts)
    meetings: list[MeetingRow] = []
    for district, rota_id in sources.items():
        meetings += session.scalars(
            select(MeetingRow).where(MeetingRow.rota_id == rota_id, MeetingRow.district == district)
        )
    meetings.sort(key=lambda m: (m.day, m.start, m.district, m.group))
    return sources, meetings


def current_rota(session: Session, scenario_id: int, districts: Sequence[str]) -> Rota | None:
    """The rota in use for `districts` as a domain rota (None if none was planned)."""
    sources, rows = current_meetings(session, scenario_id, districts)
    if not sources:
        return None
    return Rota(meetings=tuple(to_meeting(r) for r in rows))


class RotaJobs:
    """The rota's job handler: the live scenario in, the outcome written as one rota row."""

    def __init__(self, cache: ScenarioCache, workers: int) -> None:
        self._cache = cache
        self._workers = workers

    def prepare(self, session: Session, job: JobRow) -> RotaTask:
        """The live scenario and, when asked for, the rota in use: this year's as promises kept from
        `today` on, last year's as the pattern to stay close to."""
        row = session.get(ScenarioRow, job.scenario_id)
        if row is None:
            raise JobFailed("the scenario no longer exists")
        scenario = live_scenario(session, self._cache, row)
        today = job_today(job.params, scenario)
        previous = published = None
        if job.params.get("keep_close_to_current", True):
            in_use = current_rota(session, row.id, scenario.district_names)
            if in_use is not None and is_this_years(scenario, in_use):
                published = in_use
            else:
                previous = in_use
        params = SolveParams(
            time_limit=float(job.params.get("time_limit", 10.0)), workers=self._workers
        )
        free_from = job.params.get("free_from")
        return RotaTask(
            scenario=scenario,
            params=params,
            district=job.district,
            previous=previous,
            published=published,
            today=today,
            free_from=date.fromisoformat(free_from) if free_from else None,
            free_groups=tuple(job.params.get("free_groups") or ()),
        )

    def persist(self, session: Session, job: JobRow, output: Any) -> tuple[int, str]:
        """One rota row with its meetings and score."""
        if not isinstance(output, RotaOutcome):
            raise JobFailed("the rota planner returned no rota outcome")
        summary = {
            "status": output.status.value,
            "objective": output.objective,
            "best_bound": output.best_bound,
            "proven_optimal": output.proven_optimal,
            "wall_time": output.wall_time,
            "breakdown": [s.model_dump(mode="json") for s in output.breakdown],
            "reasons": [r.model_dump(mode="json") for r in output.reasons],
            "check_ok": None if output.check is None else output.check.ok,
            "breaches": [] if output.check is None else [str(b) for b in output.check.breaches],
            "changes": [c.model_dump(mode="json") for c in output.changes],
            "cancelled": [m.model_dump(mode="json") for m in output.cancelled],
            "promises": output.promises_line(),
            "today": job.params.get("today"),
        }
        rota = RotaRow(
            scenario_id=job.scenario_id,
            job_id=job.id,
            districts=list(output.districts),
            summary=summary,
            created_by=job.user_id,
        )
        for m in output.rota.meetings if output.rota is not None else ():
            rota.meetings.append(meeting_row(m))
        session.add(rota)
        session.flush()
        line = summary_line(output, job.district)
        note = job.params.get("today_note")
        return rota.id, f"{line} ({dmy(note)})" if note else line


def summary_line(output: RotaOutcome, district: str | None) -> str:
    """The job's one-line summary. A district's job is seen by that district's users, so when its
    model also bound other districts the line counts that district's meetings and reasons only, and
    leaves out the penalty (a total over every district of the model)."""
    alone = district is None or set(output.districts) <= {district}
    if output.rota is None:
        shown = [r for r in output.reasons if alone or r.district == district]
        reasons = "; ".join(f"{r.message} ({r.fix})" for r in shown[:3])
        return f"no rota could be planned ({output.status.value}): {reasons or 'see the analysis'}"
    proof = "proven optimal" if output.proven_optimal else "best found"
    if alone:
        return (
            f"{len(output.rota.meetings)} meetings, {proof}, penalty {output.objective} "
            f"(lower is better), {output.wall_time:.1f} s"
        )
    mine = sum(1 for m in output.rota.meetings if m.district == district)
    return f"{mine} meetings in {district}, {proof}, {output.wall_time:.1f} s"
