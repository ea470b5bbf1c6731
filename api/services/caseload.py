"""The caseload: plan and rebalance jobs' inputs and results, and the plan in use per district."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from allocator.constraints import constraints_of
from allocator.model import PlanStatus, Scenario
from allocator.model.caseload_result import Help, withdraw
from allocator.model.cases import CONSENT_WITHDRAWN
from allocator.solve import SolveParams
from api import audit, store
from api.convert import (
    assignment_row,
    change_row,
    to_agreement,
    to_plan,
    to_planned_support,
    waiting_row,
)
from api.db.models import (
    AgreementRow,
    AssignmentRow,
    ChangeRow,
    JobRow,
    PlanRow,
    ScenarioRow,
    User,
    WaitingRow,
)
from api.decisions import accepted_decisions
from api.jobs import JobFailed
from api.schemas.caseload import (
    AssignmentOut,
    CaseloadAnalysisOut,
    CaseloadCountsOut,
    CaseloadResultOut,
    CaseOut,
    ChangeOut,
    PersonLoadOut,
    WaitingOut,
)
from api.schemas.common import ConstraintScoreOut
from api.scope import Scope
from api.services.words import dmy
from api.store import (
    ScenarioCache,
    job_today,
    latest_plan_ids,
    live_scenario,
    open_agreements,
    open_case_ids,
)
from api.worker import CaseloadOutput, CaseloadTask, RebalanceTask


def rule_descriptions() -> dict[str, str]:
    """Each registered caseload rule's one-sentence statement."""
    return {c.name: c.doc for c in constraints_of("caseload")}


def _help_text(help_: dict[str, Any] | None, pools: Sequence[str]) -> str | None:
    if not help_:
        return None
    found = Help.model_validate(help_)
    label = f"the {found.team} pool" if found.team in pools else f"the {found.team} team"
    return found.sentence(label)


def current_rows(
    session: Session, scenario_id: int, districts: Sequence[str]
) -> tuple[dict[str, int], list[AssignmentRow], list[WaitingRow]]:
    """For each district its newest plan, and that plan's assignments and waiting cases there."""
    sources = latest_plan_ids(session, scenario_id, districts)
    open_cases = open_case_ids(session, scenario_id, list(sources))
    assignments: list[AssignmentRow] = []
    waiting: list[WaitingRow] = []
    for district, plan_id in sources.items():
        assignments += session.scalars(
            select(AssignmentRow)
            .where(AssignmentRow.plan_id == plan_id, AssignmentRow.district == district)
            .order_by(AssignmentRow.case_id)
        )
        waiting += session.scalars(
            select(WaitingRow)
            .where(WaitingRow.plan_id == plan_id, WaitingRow.district == district)
            .order_by(WaitingRow.case_id)
        )
    return (
        sources,
        [a for a in assignments if a.case_id in open_cases],
        [w for w in waiting if w.case_id in open_cases],
    )


def newest_changes(
    session: Session, sources: dict[str, int], districts: Sequence[str]
) -> list[ChangeRow]:
    """The change log of the newest rebalance among the plans in use, in `districts`, and any
    consent withdrawn since in the plans in use."""
    in_use = list(session.scalars(select(PlanRow).where(PlanRow.id.in_(list(sources.values())))))
    rebalances = [p for p in in_use if p.kind == "rebalance"]
    newest = max(rebalances, key=lambda p: p.id) if rebalances else None
    found = [c for c in newest.changes if c.district in districts] if newest is not None else []
    for plan in in_use:
        if plan is not newest:
            found += [
                c
                for c in plan.changes
                if c.district in districts
                and sources.get(c.district) == plan.id
                and c.reason.startswith(CONSENT_WITHDRAWN)
            ]
    return found


def assignment_out(row: AssignmentRow) -> AssignmentOut:
    """An assignment for a response."""
    return AssignmentOut.model_validate(row)


def waiting_out(row: WaitingRow, pools: Sequence[str]) -> WaitingOut:
    """A waiting case for a response, with what would help in words."""
    return WaitingOut(
        case_id=row.case_id,
        district=row.district,
        reason=row.reason,
        earliest_possible_start=row.earliest_possible_start,
        help=_help_text(row.help, pools),
    )


def school_weeks(base: Scenario) -> list[date]:
    """The Monday of each week of the scenario's year with a term day in it."""
    found: set[date] = set()
    for term in base.terms:
        monday = term.first_day - timedelta(days=term.first_day.weekday())
        while monday <= term.last_day:
            found.add(monday)
            monday += timedelta(days=7)
    return sorted(found)


def _in_week(first: date, last: date, monday: date) -> bool:
    return first <= monday + timedelta(days=4) and last >= monday


def person_loads(
    base: Scenario,
    districts: Sequence[str],
    rows: Sequence[AssignmentRow],
    everywhere: Sequence[AssignmentRow] = (),
    weeks: Sequence[date] = (),
) -> list[PersonLoadOut]:
    """Each person's cases and busiest week in the plan in use: the people of the teams of
    `districts` (and of the county pools when every district is shown), and anyone holding one of
    `rows`. `load` is each of `weeks`' minutes over `everywhere` (their cases in every district).

    Support stopped because consent was withdrawn is no longer anyone's caseload."""
    by_person: dict[str, list[AssignmentRow]] = defaultdict(list)
    for row in rows:
        if row.status != PlanStatus.WITHDRAWN.value:
            by_person[row.person_id].append(row)
    teams = set(districts)
    if teams >= set(base.district_names):
        teams |= {p.value for p in base.pools}
    people = [
        p
        for p in base.people
        if p.person_id in by_person or (p.minutes_per_week > 0 and p.team in teams)
    ]
    held: dict[str, list[AssignmentRow]] = defaultdict(list)
    for row in everywhere:
        held[row.person_id].append(row)
    out = []
    for person in people:
        mine = by_person.get(person.person_id, [])
        starts = sorted({r.start for r in mine})
        peak = max(
            (
                sum(r.minutes_per_week + r.travel_minutes for r in mine if r.start <= day <= r.end)
                for day in starts
            ),
            default=0,
        )
        away = [u for u in base.unavailability if u.person_id == person.person_id]
        out.append(
            PersonLoadOut(
                person_id=person.person_id,
                name=person.name,
                team=person.team,
                minutes_per_week=person.minutes_per_week,
                cases=len(mine),
                peak_minutes=peak,
                case_ids=sorted(r.case_id for r in mine),
                load=[
                    sum(
                        r.minutes_per_week + r.travel_minutes
                        for r in held.get(person.person_id, [])
                        if _in_week(r.start, r.end, monday)
                    )
                    for monday in weeks
                ],
                away=[
                    any(_in_week(u.first_day, u.last_day, monday) for u in away) for monday in weeks
                ],
            )
        )
    return out


WAIT_KINDS = ("no_capacity", "too_big", "no_specialist", "too_late", "other")
"""Why a case waits, in the order the page lists them."""
WAIT_WORDS = {
    "no_capacity": "no capacity",
    "too_big": "needs more minutes a week than anyone has",
    "no_specialist": "no specialist for the need",
    "too_late": "agreed too late for the year",
    "other": "other reasons",
}


def wait_kind(reason: str) -> str:
    """The kind of a waiting case's reason (as the caseload planner words them)."""
    if reason.startswith("capacity is full"):
        return "no_capacity"
    if reason.startswith("needs ") and "has that many" in reason:
        return "too_big"
    if reason.startswith("no one in"):
        return "no_specialist"
    if "cannot start before the year ends" in reason:
        return "too_late"
    return "other"


def consent_reason(reason: str) -> bool:
    """Whether a waiting case's reason is its consent (`no`, or withdrawn), not the service."""
    return reason.startswith(("consent is 'no'", CONSENT_WITHDRAWN))


def _without_consent(row: WaitingRow, without: set[str]) -> bool:
    return row.case_id in without or consent_reason(row.reason)


def not_started_words(rows: Sequence[WaitingRow], without: set[str]) -> str:
    """The cases not started, split by reason: "3 waiting (2 no capacity, 1 ...), 1 without consent"."""
    kinds: dict[str, int] = defaultdict(int)
    consent = 0
    for row in rows:
        if _without_consent(row, without):
            consent += 1
        else:
            kinds[wait_kind(row.reason)] += 1
    waits = sum(kinds.values())
    split = ", ".join(f"{kinds[k]} {WAIT_WORDS[k]}" for k in WAIT_KINDS if kinds.get(k))
    return (
        f"{waits} waiting"
        + (f" ({split})" if split else "")
        + (f", {consent} without consent" if consent else "")
    )


def case_rows(
    session: Session,
    base: Scenario,
    scenario_id: int,
    districts: Sequence[str],
    assignments: Sequence[AssignmentRow],
    waiting: Sequence[WaitingRow],
) -> tuple[list[CaseOut], CaseloadCountsOut]:
    """Every open case of `districts` with where it stands, and the counts (which add up)."""
    names = {p.person_id: p.name for p in base.people}
    schools = base.school_by_urn
    support = {a.case_id: a for a in assignments}
    waits = {w.case_id: w for w in waiting}
    without = cases_without_consent(session, scenario_id)
    out: list[CaseOut] = []
    for agreement in open_agreements(session, scenario_id, districts):
        school = schools.get(agreement.school_urn)
        row = CaseOut(
            case_id=agreement.case_id,
            district=agreement.district,
            school_urn=agreement.school_urn,
            school=school.name if school is not None else str(agreement.school_urn),
            need_type=agreement.need_type,
            priority=agreement.priority,
            urgent=agreement.priority == 1,
            agreed_on=agreement.agreed_on,
            minutes_per_week=agreement.minutes_per_week,
            status="not_planned",
        )
        held = support.get(agreement.case_id)
        wait = waits.get(agreement.case_id)
        if held is not None:
            row.person_id, row.team = held.person_id, held.team
            row.person = names.get(held.person_id, held.person_id)
            row.start, row.end = held.start, held.end
            row.minutes_per_week = held.minutes_per_week
            row.status = "stopped" if held.status == PlanStatus.WITHDRAWN.value else held.status
        elif wait is not None:
            row.reason = wait.reason
            if _without_consent(wait, without):
                row.status = "without_consent"
            else:
                row.status, row.wait_kind = "waiting", wait_kind(wait.reason)
        out.append(row)
    out.sort(key=lambda c: c.case_id)
    status: dict[str, int] = defaultdict(int)
    reasons: dict[str, int] = defaultdict(int)
    for case in out:
        status[case.status] += 1
        if case.wait_kind is not None:
            reasons[case.wait_kind] += 1
    counts = CaseloadCountsOut(
        total=len(out),
        running=status["running"],
        planned=status["planned"],
        finished=status["finished"],
        stopped=status["stopped"],
        waiting=status["waiting"],
        waiting_reasons={k: reasons[k] for k in WAIT_KINDS if reasons.get(k)},
        without_consent=status["without_consent"],
        not_planned=status["not_planned"],
    )
    return out, counts


def cases_without_consent(session: Session, scenario_id: int) -> set[str]:
    """Case ids of the scenario's open agreements whose consent is `no`."""
    return set(
        session.scalars(
            select(AgreementRow.case_id).where(
                AgreementRow.scenario_id == scenario_id,
                AgreementRow.consent == "no",
                AgreementRow.status == "open",
            )
        )
    )


def split_waiting(
    rows: Sequence[WaitingRow], without_consent: set[str]
) -> tuple[list[WaitingRow], list[WaitingRow]]:
    """(waiting, without consent): a case whose consent is `no` is on record, never waiting."""
    return (
        [w for w in rows if w.case_id not in without_consent],
        [w for w in rows if w.case_id in without_consent],
    )


def withdraw_consent(
    session: Session,
    scenario_id: int,
    case_id: str,
    district: str,
    user: User | None,
    on: date | None = None,
) -> str | None:
    """Withdraw consent for a case in the plan in use of its district, at once and in `session`
    (committed with the agreement's change, audited): support not yet begun is dropped (the case is
    kept on record with the reason), support that has begun stops on `on` (status `withdrawn`), a
    waiting case stops waiting. The plan's figures (cases started, waiting) follow. Returns what was
    done (dropped, stopped, no_longer_waiting) or None when the plan held nothing to change.
    `on` defaults to the service's date (`api.store.today`)."""
    plan_id = latest_plan_ids(session, scenario_id, [district]).get(district)
    plan = session.get(PlanRow, plan_id) if plan_id is not None else None
    if plan is None:
        return None
    return withdraw_in_plan(session, plan, case_id, district, user, on)


def withdraw_in_plan(
    session: Session,
    plan: PlanRow,
    case_id: str,
    district: str,
    user: User | None,
    on: date | None = None,
) -> str | None:
    """`withdraw_consent` in a given plan (flushed, so its rows are in the database)."""
    on = on if on is not None else store.today()
    plan_id, scenario_id = plan.id, plan.scenario_id
    support = session.scalars(
        select(AssignmentRow).where(
            AssignmentRow.plan_id == plan_id,
            AssignmentRow.case_id == case_id,
            AssignmentRow.district == district,
        )
    ).first()
    waiting = session.scalars(
        select(WaitingRow).where(
            WaitingRow.plan_id == plan_id,
            WaitingRow.case_id == case_id,
            WaitingRow.district == district,
        )
    ).first()
    detail: dict[str, Any] = {"plan_id": plan_id, "on": on.isoformat()}
    started_delta = waiting_delta = 0
    if support is not None:
        row = to_planned_support(support)
        after = withdraw(row, on, on)
        detail.update(person_id=support.person_id, start=support.start.isoformat())
        if after is None:
            action = "dropped"
            reason = (
                f"{CONSENT_WITHDRAWN} on {on.isoformat()}: the support planned with "
                f"{support.person_id} from {support.start.isoformat()} is dropped"
            )
            plan.assignments.remove(support)  # deleted on flush (delete-orphan)
            plan.waiting.append(
                WaitingRow(case_id=case_id, district=district, reason=reason, help=None)
            )
            plan.changes.append(
                ChangeRow(
                    case_id=case_id,
                    district=district,
                    before_person=support.person_id,
                    before_start=support.start,
                    reason=reason,
                    kind="withdrawn",
                )
            )
            started_delta, waiting_delta = -1, 1
        elif after.status != row.status:
            action = "stopped"
            detail["end"] = {"from": support.end.isoformat(), "to": after.end.isoformat()}
            support.status = after.status.value
            support.end = after.end
            plan.changes.append(
                ChangeRow(
                    case_id=case_id,
                    district=district,
                    before_person=support.person_id,
                    after_person=support.person_id,
                    before_start=support.start,
                    after_start=support.start,
                    reason=(
                        f"{CONSENT_WITHDRAWN} on {on.isoformat()}: the support with "
                        f"{support.person_id} stops (it was to run to {row.end.isoformat()})"
                    ),
                    kind="withdrawn",
                )
            )
        else:
            return None
    elif waiting is not None and not waiting.reason.startswith(CONSENT_WITHDRAWN):
        action = "no_longer_waiting"
        waiting.reason = f"{CONSENT_WITHDRAWN} on {on.isoformat()}: the case is not planned"
        waiting.earliest_possible_start = None
        waiting.help = None
    else:
        return None
    summary = dict(plan.summary)
    kpis = dict(summary.get("kpis", {}))
    if "started" in kpis:
        kpis["started"] = int(kpis["started"]) + started_delta
    if "waiting" in kpis:
        kpis["waiting"] = int(kpis["waiting"]) + waiting_delta
    summary["kpis"] = kpis
    # A count, never case ids: a purge must leave none behind in the summary.
    summary["consent_withdrawn"] = int(summary.get("consent_withdrawn", 0)) + 1
    plan.summary = summary
    session.flush()
    detail["action"] = action
    audit.record(
        session, user, "caseload.consent_withdrawn", "agreement", case_id, scenario_id, detail
    )
    return action


def analysis_out(
    plan: PlanRow, described: dict[str, str], scope: Scope | None = None
) -> CaseloadAnalysisOut:
    """A stored plan's score; for a plan that also covers districts outside `scope`, only the
    figures of the districts in it (`scoped`: no county totals, no breaches about other cases)."""
    s = plan.summary
    kpis = s.get("kpis", {})
    if scope is not None and not set(plan.districts) <= set(scope.districts):
        return _scoped_analysis(plan, scope)
    return CaseloadAnalysisOut(
        **_run_figures(plan),
        constraints=[
            ConstraintScoreOut(**b, description=described.get(b["name"], ""))
            for b in s.get("breakdown", [])
        ],
        breaches=list(s.get("breaches", [])),
        checker=dict(s.get("checker", {})),
        agreements=int(kpis.get("agreements", len(plan.assignments) + len(plan.waiting))),
        started=int(kpis.get("started", len(plan.assignments))),
        waiting=int(kpis.get("waiting", len(plan.waiting))),
        mean_wait_weeks=kpis.get("mean_wait_weeks"),
        moved=s.get("moved"),
    )


def _run_figures(plan: PlanRow) -> dict[str, Any]:
    """What every reader of a plan's analysis sees, scoped or not: the run and its checks' verdict."""
    s = plan.summary
    return {
        "plan_id": plan.id,
        "kind": plan.kind,
        "created_at": plan.created_at,
        "districts": list(plan.districts),
        "engine": s.get("engine", plan.kind),
        "proven_optimal": bool(s.get("proven_optimal", False)),
        "gap": s.get("gap"),
        "wall_time": float(s.get("wall_time", 0.0)),
        "check_ok": bool(s.get("check_ok", True)),
        "proven_minimal": s.get("proven_minimal"),
    }


def _moved_in(changes: Sequence[ChangeRow], districts: Sequence[str]) -> int:
    """Planned cases of `districts` a rebalance moved (its new cases are not moves, nor support
    withdrawn with consent)."""
    return sum(
        1
        for c in changes
        if c.district in districts
        and (c.before_person is not None or c.before_start is not None)
        and not c.reason.startswith(CONSENT_WITHDRAWN)
    )


def _scoped_analysis(plan: PlanRow, scope: Scope) -> CaseloadAnalysisOut:
    """A plan's analysis as a user of some of its districts sees it: counts of their cases, the
    breaches about their cases, and none of the plan's totals over every district."""
    s = plan.summary
    started = [a for a in plan.assignments if a.district in scope.districts]
    waiting = [w for w in plan.waiting if w.district in scope.districts]
    mine = {a.case_id for a in started} | {w.case_id for w in waiting}
    moved = s.get("moved")
    return CaseloadAnalysisOut(
        **_run_figures(plan),
        constraints=[],
        breaches=[b for b in s.get("breaches", []) if b.split(":", 1)[0] in mine],
        checker={},
        agreements=len(mine),
        started=len(started),
        waiting=len(waiting),
        mean_wait_weeks=None,
        moved=None if moved is None else _moved_in(plan.changes, scope.districts),
        scoped=True,
    )


def caseload_result_out(
    session: Session, scenario: ScenarioRow, plan_id: int, scope: Scope
) -> CaseloadResultOut:
    """A caseload job's plan, its rows limited to your districts."""
    plan = session.get(PlanRow, plan_id)
    if plan is None:
        raise JobFailed("the job's plan no longer exists")
    pools = [str(p) for p in scenario.content["settings"].get("county_pools", ["HI", "VI", "PI"])]
    return CaseloadResultOut(
        analysis=analysis_out(plan, rule_descriptions(), scope),
        assignments=[assignment_out(a) for a in plan.assignments if a.district in scope.districts],
        waiting=[waiting_out(w, pools) for w in plan.waiting if w.district in scope.districts],
        changes=[
            ChangeOut.model_validate(c) for c in plan.changes if c.district in scope.districts
        ],
    )


class CaseloadJobs:
    """The caseload's job handler (a fresh plan, or a rebalance of the plan in use)."""

    def __init__(self, cache: ScenarioCache, workers: int, rebalance: bool) -> None:
        self._cache = cache
        self._workers = workers
        self._rebalance = rebalance

    def _params(self, job: JobRow) -> SolveParams:
        return SolveParams(
            time_limit=float(job.params.get("time_limit", 10.0)), workers=self._workers
        )

    def prepare(self, session: Session, job: JobRow) -> CaseloadTask | RebalanceTask:
        """The live scenario (and for a rebalance, the plan in use and the new agreements)."""
        row = session.get(ScenarioRow, job.scenario_id)
        if row is None:
            raise JobFailed("the scenario no longer exists")
        based_on = {
            d: r.source_id
            for d, r in accepted_decisions(session, row.id, "caseload", row.districts).items()
        }
        job.params = {**job.params, "based_on": based_on}
        if not self._rebalance:
            return CaseloadTask(
                scenario=live_scenario(session, self._cache, row),
                params=self._params(job),
                district=job.district,
            )
        base = self._cache.base(row)
        _, assignments, waiting = current_rows(session, row.id, base.district_names)
        held = {a.case_id for a in assignments} | {w.case_id for w in waiting}
        agreements = open_agreements(session, row.id)
        kept = [to_agreement(a) for a in agreements if a.case_id in held]
        new = [
            to_agreement(a)
            for a in agreements
            if a.case_id not in held and (job.district is None or a.district == job.district)
        ]
        scenario = Scenario.model_validate(
            {**row.content, "agreements": [a.model_dump(mode="json") for a in kept]}
        )
        current = to_plan(assignments, waiting)
        return RebalanceTask(
            scenario=scenario,
            current=current,
            new_agreements=tuple(new),
            params=self._params(job),
            today=job_today(job.params, scenario),
        )

    def persist(self, session: Session, job: JobRow, output: Any) -> tuple[int, str]:
        """The plan, its waiting list and (for a rebalance) its change log, as one plan row (a
        proposal until accepted)."""
        plan_id, line = self._persist(session, job, output)
        note = job.params.get("today_note")
        return plan_id, f"{line} ({dmy(note)})" if note else line

    def _persist(self, session: Session, job: JobRow, output: Any) -> tuple[int, str]:
        if not isinstance(output, CaseloadOutput):
            raise JobFailed("the caseload planner returned no plan")
        district_of = dict(
            session.execute(
                select(AgreementRow.case_id, AgreementRow.district).where(
                    AgreementRow.scenario_id == job.scenario_id
                )
            ).all()
        )
        scenario = session.get(ScenarioRow, job.scenario_id)
        if scenario is None:
            raise JobFailed("the scenario no longer exists")
        covered = (
            [job.district]
            if job.district is not None and not self._rebalance
            else scenario.districts
        )
        kpis = output.kpis
        plan = PlanRow(
            scenario_id=job.scenario_id,
            job_id=job.id,
            kind="rebalance" if self._rebalance else "plan",
            districts=list(covered),
            created_by=job.user_id,
            summary={
                "engine": output.engine,
                "wall_time": output.wall_time,
                "proven_optimal": output.proven_optimal,
                "gap": output.gap,
                "breakdown": [s.model_dump(mode="json") for s in output.breakdown],
                "check_ok": output.check.ok,
                "breaches": list(output.check.breaches),
                "checker": output.check.model_dump(mode="json", exclude={"breaches"}),
                "kpis": {
                    "agreements": kpis.agreements,
                    "started": kpis.started,
                    "waiting": kpis.waiting,
                    "mean_wait_weeks": kpis.mean_wait_weeks,
                    "median_wait_weeks": kpis.median_wait_weeks,
                },
                "moved": output.moved,
                "proven_minimal": output.proven_minimal,
                "broken": output.broken,
                "earlier": output.earlier,
                "today": job.params.get("today"),
                "based_on": job.params.get("based_on"),
            },
        )
        missing = object()
        for a in output.plan.assignments:
            district = district_of.get(a.case_id, missing)
            if district is missing:
                raise JobFailed(f"the plan names case {a.case_id}, which no longer exists")
            plan.assignments.append(assignment_row(a, str(district)))
        for w in output.plan.waiting:
            plan.waiting.append(waiting_row(w, str(district_of.get(w.case_id, ""))))
        for c in output.changes:
            plan.changes.append(change_row(c, str(district_of.get(c.case_id, ""))))
        session.add(plan)
        session.flush()
        # Consent withdrawn while the job ran: the plan it computed may not bring the support back.
        without = cases_without_consent(session, job.scenario_id)
        for held in list(plan.assignments):
            if held.case_id in without and held.status in (PlanStatus.PLANNED, PlanStatus.RUNNING):
                withdraw_in_plan(session, plan, held.case_id, held.district, None)
        if job.district is not None and set(covered) - {job.district}:
            # A district's job planned on the county (a rebalance): its owner sees only their
            # district's figures, never the county's totals.
            d = job.district
            started = sum(1 for a in plan.assignments if a.district == d)
            waits = [w for w in plan.waiting if w.district == d]
            changed = _moved_in(plan.changes, [d])
            moved = "" if output.moved is None else f", {changed} of its planned case(s) moved"
            return plan.id, (
                f"{d}: {started} of {started + len(waits)} cases started, "
                f"{not_started_words(waits, without)}{moved}, {output.wall_time:.1f} s"
            )
        moved = "" if output.moved is None else f", {output.moved} planned case(s) moved"
        return plan.id, (
            f"{kpis.started} of {kpis.agreements} cases started, "
            f"{not_started_words(plan.waiting, without)}{moved}, {output.wall_time:.1f} s"
        )
