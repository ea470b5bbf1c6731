"""The LIFT meeting rota planner: pre-check -> build -> solve -> decode -> check; and the next
meetings with room for an urgent case.

The county splits into components (`allocator.rota.data.components`): groups that may use the same
slot, or that share an attendee (an EP serving two districts) whose meetings could overlap, are
planned together; everything else apart. Each component is one CP-SAT model (`allocator.rota.model`,
with the rules of `allocator.constraints.rota`) minimised in one level, the weighted sum of the soft
rules. Cheap counting pre-checks, then an assumption core, say why no rota exists when none does
(`allocator.rota.explain`).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Collection
from datetime import date

from allocator.model import Problem, Scenario, ScenarioError
from allocator.model.rota_result import (
    InfeasibleReason,
    Meeting,
    MeetingChange,
    OpenMeeting,
    Rota,
    RuleScore,
    expected_cases,
)
from allocator.rota.check import check_rota
from allocator.rota.data import component_label, components, districts_of, meeting_order
from allocator.rota.explain import explain_rota, precheck
from allocator.rota.model import build_rota_model, decode
from allocator.rota.outcome import ComponentResult, RotaOutcome
from allocator.rota.promises import (
    cancelled_meetings,
    changes_between,
    promises_of,
    release_kept,
    with_sequences,
)
from allocator.solve import ProgressEvent, SolveParams, Status, TimeShares, solve

RotaProgress = Callable[[str, ProgressEvent], None]
"""Told the component being planned (its label, e.g. "Thanet (5 groups)") and the solver's event."""


def plan_rota(
    scenario: Scenario,
    params: SolveParams | None = None,
    previous: Rota | None = None,
    district: str | None = None,
    progress: RotaProgress | None = None,
    *,
    published: Rota | None = None,
    today: date | None = None,
    free_from: date | None = None,
    free_groups: Collection[str] = (),
) -> RotaOutcome:
    """Plan the year's rota for the county (or for the groups linked to `district`), proven optimal
    where time allows; with no rota, the reasons in users' words.

    `previous` is last year's rota (its weekdays and weeks are kept where they cost little). With this
    year's `published` rota, its meetings are promises (`allocator.rota.promises`): those before
    `today` never move, and those from `today` on stay unless freed (`free_from`, `free_groups`) or no
    longer possible; each meeting that moves says why.
    """
    params = params or SolveParams()
    start = time.perf_counter()
    parts = components(scenario, district)
    planned = [g for part in parts for g in part]
    promises = None
    if published is not None:
        promises = promises_of(
            scenario,
            published,
            today or min(t.first_day for t in scenario.terms),
            free_from=free_from,
            free_groups=free_groups,
            groups=planned,
        )
    districts = districts_of(scenario, planned)
    reasons = precheck(scenario, planned)
    if reasons:
        return RotaOutcome(
            rota=None,
            status=Status.INFEASIBLE,
            districts=districts,
            reasons=tuple(reasons),
            wall_time=time.perf_counter() - start,
        )
    results: list[ComponentResult] = []
    meetings: list[Meeting] = []
    scores: dict[str, list[int]] = {}
    shares = TimeShares(params.time_limit, sum(len(p) for p in parts), start)
    for part in parts:
        share = shares.seconds(len(part))
        rota, levels = build_rota_model(scenario, part, previous, promises=promises)
        label = component_label(scenario, part)
        emit = None if progress is None else (lambda e, _l=label: progress(_l, e))
        result, solution = solve(
            rota.model,
            levels,
            params.model_copy(update={"time_limit": share}),
            progress=emit,
        )
        if result.status == Status.INFEASIBLE and promises is not None and promises.kept:
            # The published meetings cannot all stay (e.g. a slot now holds fewer a week): free
            # them, so each moves only if it must, and says why.
            promises = release_kept(promises, part)
            rota, levels = build_rota_model(scenario, part, previous, promises=promises)
            result, solution = solve(
                rota.model,
                levels,
                params.model_copy(update={"time_limit": share}),
                progress=emit,
            )
        results.append(
            ComponentResult(
                groups=part,
                districts=districts_of(scenario, part),
                variables=len(rota.model.proto.variables),
                result=result,
            )
        )
        if result.status == Status.INFEASIBLE:
            reasons += explain_rota(scenario, part, params)
            continue
        if not result.status.has_solution:
            reasons.append(
                InfeasibleReason(
                    rule="time_limit",
                    message=f"no rota for {label} was found in {share:.1f} s",
                    fix="allow more time (--time-limit)",
                    groups=part,
                )
            )
            continue
        meetings += decode(rota, solution)
        for score in result.breakdown:
            totals = scores.setdefault(score.name, [score.weight, 0, 0])
            totals[1] += score.violation
            totals[2] += score.penalty
    statuses = [r.result.status for r in results]
    if reasons:
        return RotaOutcome(
            rota=None,
            status=Status.INFEASIBLE if Status.INFEASIBLE in statuses else Status.UNKNOWN,
            districts=districts,
            components=tuple(results),
            reasons=tuple(reasons),
            wall_time=time.perf_counter() - start,
        )
    rota_found = Rota(meetings=tuple(sorted(meetings, key=meeting_order)))
    changes: list[MeetingChange] = []
    cancelled: list[Meeting] = []
    if promises is not None and published is not None:
        changes = changes_between(promises, rota_found)
        rota_found = with_sequences(rota_found, published)
        cancelled = cancelled_meetings(changes, published)
    optimal = all(s == Status.OPTIMAL for s in statuses)
    return RotaOutcome(
        rota=rota_found,
        status=Status.OPTIMAL if optimal else Status.FEASIBLE,
        districts=districts,
        objective=sum(round(r.result.objective or 0) for r in results),
        best_bound=sum(r.result.best_bound or 0 for r in results),
        wall_time=time.perf_counter() - start,
        breakdown=tuple(
            RuleScore(name=n, weight=w, violation=v, penalty=p) for n, (w, v, p) in scores.items()
        ),
        components=tuple(results),
        check=check_rota(
            scenario,
            rota_found,
            previous,
            planned,
            published=published,
            today=None if promises is None else promises.today,
            changes=changes,
        ),
        promises=promises,
        changes=tuple(changes),
        cancelled=tuple(cancelled),
    )


def next_meetings(
    scenario: Scenario, rota: Rota, urn: int, after: date, limit: int = 5
) -> list[OpenMeeting]:
    """The next meetings of a school's district, after `after`, that still have room for a case.

    Room is the slot's case capacity less the expected cases of the groups meeting there; a school
    goes to its own kind of meeting (schools or early years), never to the Executive.
    """
    school = scenario.school_by_urn.get(urn)
    if school is None:
        raise ScenarioError(
            [Problem(file="--school", value=str(urn), expected="a urn of schools.csv")]
        )
    own = scenario.group_by_name.get(school.lift_group or "")
    kind = (
        own.kind.value
        if own is not None
        else ("early_years" if school.phase.value == "early_years" else "schools")
    )
    cases: dict[tuple[str, date], int] = defaultdict(int)
    for m in rota.meetings:
        cases[(m.slot, m.date)] += expected_cases(scenario, m.group)
    found: list[OpenMeeting] = []
    for m in sorted(rota.in_district(school.district), key=meeting_order):
        group = scenario.group_by_name.get(m.group)
        if m.date <= after or group is None or group.kind.value != kind:
            continue
        spare = scenario.slot_by_id[m.slot].case_capacity - cases[(m.slot, m.date)]
        if spare > 0:
            found.append(
                OpenMeeting(meeting=m, expected_cases=cases[(m.slot, m.date)], spare_cases=spare)
            )
        if len(found) >= limit:
            break
    return found
