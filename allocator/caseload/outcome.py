"""What a caseload engine returns: the decoded plan, its scores and bounds, the checker's verdict, the KPIs.

`make_outcome` is how every engine (the CP-SAT planner, the greedy and HiGHS baselines) turns its
placements into a `CaseloadOutcome`: `decode` gives each started case its dates and each waiting case
its reason and what would start it sooner; `caseload_kpis` and `weekly_loads` give the figures and each
person's weekly load (what the exports write); `check_caseload` gives the independent verdict.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from allocator.caseload.check import check_caseload
from allocator.caseload.data import Objectives, evaluate, school_days, team_label
from allocator.constraints.caseload import PLANNING_LEVELS
from allocator.instances.caseload import CaseData, CaseloadInstance, Placement, person_loads
from allocator.model import Scenario
from allocator.model.caseload_result import (
    Assignment,
    CaseloadCheck,
    CaseloadKpis,
    CaseloadPlan,
    Change,
    Help,
    PersonLoad,
    TeamLoad,
    Waiting,
    WaitStats,
    WeeklyLoads,
)
from allocator.model.summary import percentile
from allocator.solve import LevelResult, SolveResult, Status


@dataclass(frozen=True)
class PartSolve:
    """How one independent part (its teams) was solved."""

    teams: tuple[str, ...]
    cases: int
    """Cases the solver decided (plannable, with a feasible start)."""
    results: tuple[SolveResult, ...] = ()
    """The solves run (one per level for the CP-SAT planner); empty if nothing was decided."""
    objectives: Objectives | None = None
    values: dict[str, int] = field(default_factory=dict)
    """Each penalty's value in the solver's final solution, as the solver counts it."""
    lp_bound: float | None = None
    """A bound on the first level from the LP relaxation of the time-indexed formulation (HiGHS),
    often far stronger than CP-SAT's own on the interval model; None if not computed."""

    @property
    def levels(self) -> list[LevelResult]:
        """Every level solved, in order."""
        return [lv for result in self.results for lv in result.levels]

    @property
    def level_results(self) -> list[tuple[str, Status, float | None, float | None]]:
        """(level, status, objective, bound) for every level solved."""
        return [(lv.name, lv.status, lv.objective, lv.best_bound) for lv in self.levels]

    def penalty_values(self) -> dict[str, int]:
        """The solver's own value of each penalty in its final solution."""
        if self.values:
            return dict(self.values)
        return {s.name: s.violation for r in self.results[-1:] for s in r.breakdown}


@dataclass(frozen=True)
class CaseloadOutcome:
    """A plan with everything said about it: objectives, bounds, the checker's verdict and the KPIs."""

    plan: CaseloadPlan
    instance: CaseloadInstance
    placements: dict[int, Placement]
    objectives: Objectives
    parts: tuple[PartSolve, ...]
    check: CaseloadCheck
    kpis: CaseloadKpis
    engine: str
    wall_time: float
    load: WeeklyLoads
    """Each person's capacity and minutes used in each school week of the year."""

    def solver_values(self) -> dict[str, int]:
        """Each penalty as the solver counts it, summed over the parts.

        A part with nothing to decide (or whose solve found nothing) adds its objectives as the
        instance scores them: they are constants there.
        """
        totals: dict[str, int] = defaultdict(int)
        for part in self.parts:
            values = part.penalty_values()
            if not values and part.objectives is not None:
                values = dataclasses.asdict(part.objectives)
            for name, value in values.items():
                totals[name] += value
        return dict(totals)

    def level_bound(self, level: int) -> float | None:
        """The sum over parts of the best bound proved for a planning level (None if a part has none).

        On the first level a part's bound is the better of CP-SAT's and the LP relaxation's.

        A trivial part (nothing to decide) contributes its own value, which is exact.
        """
        total = 0.0
        for part in self.parts:
            if not part.results:
                if part.objectives is not None:
                    total += part.objectives.levels[level]
                continue
            levels = part.levels
            found = levels[level].best_bound if level < len(levels) else None
            lp = part.lp_bound if level == 0 else None
            if found is None and lp is None:
                return None
            total += max(b for b in (found, lp) if b is not None)
        return total

    @property
    def started_weight(self) -> int:
        """Priority weight of the counted cases started."""
        total = sum(c.weight for c in self.instance.cases if c.counted)
        return total - self.objectives.not_started

    @property
    def gap(self) -> float | None:
        """Relative gap on the first objective, priority-weighted cases started: (bound - found) / bound."""
        bound = self.level_bound(0)
        if bound is None:
            return None
        total = sum(c.weight for c in self.instance.cases if c.counted)
        best = total - bound
        return (best - self.started_weight) / best if best > 0 else 0.0

    def level_gaps(self) -> list[float | None]:
        """Per planning level: (found - bound) / max(1, found) on the minimised objective."""
        gaps: list[float | None] = []
        for level in range(PLANNING_LEVELS):
            bound = self.level_bound(level)
            found = self.objectives.levels[level]
            gaps.append(None if bound is None else max(0.0, found - bound) / max(1, found))
        return gaps

    @property
    def proven_optimal(self) -> bool:
        """Every part proven optimal on every level."""
        return all(lv.status == Status.OPTIMAL for part in self.parts for lv in part.levels)


@dataclass(frozen=True)
class RebalanceOutcome:
    """A rebalanced plan, the changes against the plan before, and whether their number is proven least."""

    outcome: CaseloadOutcome
    changes: tuple[Change, ...]
    moved: int
    """Planned cases given another person or start, or no longer started."""
    proven_minimal: bool
    """The fewest broken promises is proven, among plans that start the most urgent weight."""
    broken: int = 0
    """Promises broken: planned cases started later, by someone else, or no longer started."""
    earlier: int = 0
    """Planned cases that start earlier with the same person (good news)."""
    resolved_teams: tuple[str, ...] = field(default=())
    opened_people: tuple[str, ...] = field(default=())
    """People whose planned cases the rebalance was free to move."""

    @property
    def plan(self) -> CaseloadPlan:
        """The plan after the rebalance."""
        return self.outcome.plan


# ---------------------------------------------------------------------------------------------
# Decoding: dates, reasons, help, KPIs
# ---------------------------------------------------------------------------------------------


class _Calendar:
    """Week index <-> dates for assignments: first and last school day of a week."""

    def __init__(self, scenario: Scenario, instance: CaseloadInstance) -> None:
        self.instance = instance
        self.days = set(school_days(scenario))

    def first_day(self, week: int) -> date:
        monday = self.instance.week_date(week)
        for offset in range(5):
            day = monday + timedelta(days=offset)
            if day in self.days:
                return day
        return monday

    def last_day(self, week: int) -> date:
        monday = self.instance.week_date(week)
        for offset in range(4, -1, -1):
            day = monday + timedelta(days=offset)
            if day in self.days:
                return day
        return monday + timedelta(days=4)


def _earliest_fit(
    instance: CaseloadInstance, loads: Sequence[Sequence[int]], case: CaseData
) -> tuple[int, int] | None:
    """(week, person) of the earliest start, from the release on, that fits without moving anything."""
    best: tuple[int, int] | None = None
    for option in case.options:
        person = instance.people[option.person]
        demand = case.demand(option)
        if demand > person.minutes_per_week:
            continue
        week = case.release
        limit = instance.modelled_weeks + case.weeks
        while week < limit and (best is None or week < best[0]):
            clash = None
            for w in range(week, week + case.weeks):
                if (
                    w < instance.modelled_weeks
                    and loads[option.person][w] + demand > person.capacity[w]
                ):
                    clash = w
            if clash is None:
                best = (week, option.person)
                break
            week = clash + 1
    return best


def _help(
    instance: CaseloadInstance, loads: Sequence[Sequence[int]], case: CaseData
) -> tuple[int, int, int] | None:
    """(extra minutes a week, person, start week) that would start the case at its release week."""
    best: tuple[int, int, int] | None = None
    start = case.release
    for option in case.options:
        person = instance.people[option.person]
        demand = case.demand(option)
        extra = 0
        for w in range(start, start + case.weeks):
            capacity = (
                person.capacity[w] if w < instance.modelled_weeks else person.minutes_per_week
            )
            used = loads[option.person][w] if w < instance.modelled_weeks else 0
            extra = max(extra, used + demand - capacity)
        if best is None or extra < best[0]:
            best = (extra, option.person, start)
    return best


def _waiting(
    scenario: Scenario,
    instance: CaseloadInstance,
    calendar: _Calendar,
    loads: Sequence[Sequence[int]],
    case: CaseData,
) -> Waiting:
    label = team_label(case.team, instance.pools)
    release = calendar.first_day(case.release) if case.release < instance.horizon else None
    if case.wait_reason is not None:
        help_ = None
        if case.consent_plannable and not case.options and release is not None:
            help_ = Help(
                team=case.team,
                extra_minutes_per_week=case.minutes_per_week,
                start=release,
                weeks=case.weeks,
            )
        return Waiting(case_id=case.case_id, reason=case.wait_reason, help=help_)
    fit = _earliest_fit(instance, loads, case)
    least = min(case.demand(o) for o in case.options)
    if fit is None:
        reason = (
            f"needs {least} minutes a week with travel; no {case.need_type} specialist in "
            f"{label} has that many in a week"
        )
        earliest = None
    else:
        earliest = calendar.first_day(fit[0])
        reason = (
            f"capacity is full: no {case.need_type} specialist in {label} has {least} free "
            f"minutes a week for {case.weeks} weeks before {earliest.isoformat()}"
        )
    help_ = None
    found = _help(instance, loads, case)
    if found is not None and release is not None and found[0] > 0:
        extra, person, _ = found
        help_ = Help(
            team=instance.people[person].team,
            extra_minutes_per_week=extra,
            start=release,
            person_id=instance.people[person].person_id,
            weeks=case.weeks,
        )
    return Waiting(
        case_id=case.case_id, reason=reason, earliest_possible_start=earliest, help=help_
    )


def decode(
    scenario: Scenario,
    instance: CaseloadInstance,
    placements: Mapping[int, Placement],
    keep_as: Mapping[str, Assignment] | None = None,
) -> CaseloadPlan:
    """The plan of a choice of placements: an assignment per started case, a reason per waiting one.

    `keep_as` gives, per case, an assignment to echo unchanged when the decision equals it.
    """
    calendar = _Calendar(scenario, instance)
    loads = person_loads(instance, placements)
    assignments: list[Assignment] = []
    waiting: list[Waiting] = []
    for c, case in enumerate(instance.cases):
        placement = placements.get(c)
        if case.fixed is not None:
            person = instance.people[case.fixed.person]
            assignments.append(
                Assignment(
                    case_id=case.case_id,
                    person_id=person.person_id,
                    team=person.team,
                    start=case.fixed.start,
                    end=case.fixed.end,
                    minutes_per_week=case.minutes_per_week,
                    travel_minutes=case.fixed.travel_minutes,
                    status=case.fixed.status,
                )
            )
        elif placement is not None:
            option = case.option_for(placement.person)
            assert option is not None
            person = instance.people[placement.person]
            assignment = Assignment(
                case_id=case.case_id,
                person_id=person.person_id,
                team=person.team,
                start=calendar.first_day(placement.start),
                end=calendar.last_day(placement.start + case.weeks - 1),
                minutes_per_week=case.minutes_per_week,
                travel_minutes=option.travel_minutes,
            )
            before = (keep_as or {}).get(case.case_id)
            unchanged = (
                before is not None
                and before.person_id == assignment.person_id
                and before.start == assignment.start
            )
            assignments.append(before if unchanged and before is not None else assignment)
        else:
            waiting.append(_waiting(scenario, instance, calendar, loads, case))
    return CaseloadPlan(assignments=tuple(assignments), waiting=tuple(waiting))


def _stats(group: str, cases: Sequence[CaseData], waits: Mapping[str, int]) -> WaitStats:
    values = [float(waits[c.case_id]) for c in cases if c.case_id in waits]
    return WaitStats(
        group=group,
        cases=len(cases),
        started=len(values),
        median_wait_weeks=statistics.median(values) if values else None,
        p90_wait_weeks=percentile(values, 0.9),
        mean_wait_weeks=statistics.fmean(values) if values else None,
    )


def caseload_kpis(
    instance: CaseloadInstance,
    placements: Mapping[int, Placement],
    loads: Sequence[Sequence[int]],
) -> CaseloadKpis:
    """Cases started, waits (school weeks from agreement to start) by district and need type, team use.

    Waits are over the cases this plan starts; running and finished support is counted as started.
    """
    waits = {
        instance.cases[c].case_id: p.start - instance.cases[c].agreed_week
        for c, p in placements.items()
    }
    counted = [c for c in instance.cases if c.counted]
    fixed = sum(1 for c in instance.cases if c.fixed is not None)
    censored = [float(waits.get(c.case_id, instance.horizon - c.agreed_week)) for c in counted]
    values = [float(v) for v in waits.values()]
    by_district: dict[str, list[CaseData]] = defaultdict(list)
    by_need: dict[str, list[CaseData]] = defaultdict(list)
    for case in counted:
        by_district[case.district].append(case)
        by_need[case.need_type].append(case)
    teams: list[TeamLoad] = []
    for team in instance.teams:
        members = [i for i, p in enumerate(instance.people) if p.team == team]
        capacity = sum(instance.horizon_capacity(i) for i in members)
        used = sum(sum(loads[i][: instance.horizon]) for i in members)
        shares = [
            sum(loads[i][: instance.horizon]) / instance.horizon_capacity(i)
            for i in members
            if instance.horizon_capacity(i) > 0
        ]
        teams.append(
            TeamLoad(
                team=team,
                people=len(members),
                capacity_minutes=capacity,
                used_minutes=used,
                highest_utilisation=max(shares, default=0.0),
            )
        )
    return CaseloadKpis(
        agreements=len(instance.cases),
        started=len(placements) + fixed,
        started_in_plan=len(placements),
        waiting=len(instance.cases) - len(placements) - fixed,
        mean_wait_weeks=statistics.fmean(values) if values else None,
        median_wait_weeks=statistics.median(values) if values else None,
        p90_wait_weeks=percentile(values, 0.9),
        mean_wait_all_weeks=statistics.fmean(censored) if censored else None,
        by_district=tuple(_stats(k, v, waits) for k, v in sorted(by_district.items())),
        by_need_type=tuple(_stats(k, v, waits) for k, v in sorted(by_need.items())),
        teams=tuple(teams),
    )


def weekly_loads(instance: CaseloadInstance, loads: Sequence[Sequence[int]]) -> WeeklyLoads:
    """Each person's capacity and load (`person_loads`) in each school week of the year."""
    year = instance.horizon
    return WeeklyLoads(
        weeks=instance.week_starts[:year],
        people=tuple(
            PersonLoad(
                person_id=person.person_id,
                team=person.team,
                capacity_minutes=person.capacity[:year],
                load_minutes=tuple(loads[p][:year]),
            )
            for p, person in enumerate(instance.people)
        ),
    )


def make_outcome(
    scenario: Scenario,
    instance: CaseloadInstance,
    placements: dict[int, Placement],
    parts: Sequence[PartSolve],
    engine: str,
    started: float,
    *,
    capacity_override: Mapping[str, int] | None,
    today: date | None = None,
    before: CaseloadPlan | None = None,
) -> CaseloadOutcome:
    """Decode placements into a plan, score it, check it and wrap it as an outcome (any engine)."""
    keep_as = {a.case_id: a for a in before.assignments} if before is not None else None
    plan = decode(scenario, instance, placements, keep_as)
    loads = person_loads(instance, placements)
    check = check_caseload(
        scenario,
        plan,
        capacity_override=capacity_override,
        today=today,
        before=before,
    )
    return CaseloadOutcome(
        plan=plan,
        instance=instance,
        placements=placements,
        objectives=evaluate(instance, placements),
        parts=tuple(parts),
        check=check,
        kpis=caseload_kpis(instance, placements, loads),
        engine=engine,
        wall_time=time.perf_counter() - started,
        load=weekly_loads(instance, loads),
    )
