"""First come, first served: the caseload as a coordinator plans it by hand, a baseline for the optimisers.

Cases are taken in agreement-date order and each is given to whoever can start it soonest, respecting
every hard rule (specialism, team, weekly minutes with travel, leave, running support); nothing placed
is ever moved to make room for a later case. The plan comes back as the CP-SAT planner's
`CaseloadOutcome`, decoded, scored and checked by the independent checker the same way.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from allocator.caseload.data import (
    CaseData,
    CaseloadInstance,
    Option,
    Placement,
    build_instance,
    evaluate,
)
from allocator.caseload.plan import CaseloadOutcome, PartSolve, make_outcome
from allocator.model import Scenario
from allocator.solve import LevelResult, SolveResult, Status

LEVEL_NAMES = ("not_started", "waiting", "travel", "balance")
"""The planning levels of `Objectives.levels`, in order."""


def first_come_first_served(
    instance: CaseloadInstance, priority: Mapping[str, int] | None = None
) -> dict[int, Placement]:
    """What a coordinator does by hand: each case in turn, to whoever can start it soonest.

    Cases are taken in agreement-date order; ties go to the more urgent case (`priority`: case id ->
    1 urgent .. 3 routine, as agreed), then the higher priority weight, then the case id. Each case
    goes to the eligible person with the earliest start week at which their free minutes, after the
    cases already placed, hold it in every week it runs; ties go to the case's own team, then the least
    loaded person (share of their year's minutes already used), then the shortest travel. A case no one
    can start in the year waits. Returns case index -> placement.
    """
    urgency = priority or {}
    free = [list(row) for row in instance.free_capacity]
    used = [sum(row[: instance.horizon]) for row in instance.fixed_load]
    capacity = [instance.horizon_capacity(p) for p in range(len(instance.people))]
    order = sorted(
        (c for c, case in enumerate(instance.cases) if case.plannable),
        key=lambda c: (
            instance.cases[c].agreed_on,
            urgency.get(instance.cases[c].case_id, 3),
            -instance.cases[c].weight,
            instance.cases[c].case_id,
        ),
    )
    placements: dict[int, Placement] = {}
    for c in order:
        case = instance.cases[c]
        best: tuple[tuple[int, int, float, int, int], Option, int] | None = None
        for option in case.options:
            start = earliest_start(free[option.person], case, option)
            if start is None:
                continue
            p = option.person
            load = used[p] / capacity[p] if capacity[p] > 0 else float("inf")
            key = (start, option.neighbour_cost, load, option.travel_minutes, p)
            if best is None or key < best[0]:
                best = (key, option, start)
        if best is None:
            continue
        _, option, start = best
        demand = case.demand(option)
        for w in range(start, start + case.weeks):
            free[option.person][w] -= demand
        used[option.person] += demand * instance.weeks_in_year(start, case.weeks)
        placements[c] = Placement(option.person, start)
    return placements


def earliest_start(free: Sequence[int], case: CaseData, option: Option) -> int | None:
    """The first of the option's start weeks at which `free` minutes hold the case every week it runs."""
    demand = case.demand(option)
    for start in option.starts:
        if all(free[w] >= demand for w in range(start, start + case.weeks)):
            return start
    return None


def localise(
    instance: CaseloadInstance, part: CaseloadInstance, placements: Mapping[int, Placement]
) -> dict[int, Placement]:
    """`placements` of `instance` that fall in `part`, in the part's own case and person indices."""
    local = {}
    for c, case in enumerate(part.cases):
        placement = placements.get(instance.case_index[case.case_id])
        if placement is not None:
            person = part.person_index.get(instance.people[placement.person].person_id)
            if person is not None:
                local[c] = Placement(person, placement.start)
    return local


def globalise(
    instance: CaseloadInstance, part: CaseloadInstance, local: Mapping[int, Placement]
) -> dict[int, Placement]:
    """A part's placements in the indices of the whole instance."""
    return {
        instance.case_index[part.cases[c].case_id]: Placement(
            instance.person_index[part.people[p.person].person_id], p.start
        )
        for c, p in local.items()
    }


def decided_cases(part: CaseloadInstance) -> int:
    """Cases an engine decides: plannable, with at least one feasible start."""
    return sum(1 for c in part.cases if c.plannable and any(o.starts for o in c.options))


def baseline_outcome(
    scenario: Scenario,
    instance: CaseloadInstance,
    placements: dict[int, Placement],
    parts: Sequence[PartSolve],
    engine: str,
    started: float,
    capacity_override: Mapping[str, int] | None = None,
) -> CaseloadOutcome:
    """Decode, score and check a baseline's plan into the planner's outcome type."""
    return make_outcome(
        scenario, instance, placements, parts, engine, started, capacity_override=capacity_override
    )


def plan_caseload_greedy(
    scenario: Scenario,
    *,
    district: str | None = None,
    capacity_override: Mapping[str, int] | None = None,
) -> CaseloadOutcome:
    """The first-come-first-served plan of a scenario (one district's, with `district`).

    Each part's result has every level feasible with no bound: a greedy proves nothing.
    """
    started = time.perf_counter()
    if district is not None:
        scenario = scenario.restrict_to(district)
    instance = build_instance(scenario, capacity_override=capacity_override)
    priority = {a.case_id: a.priority for a in scenario.agreements}
    placements: dict[int, Placement] = {}
    parts: list[PartSolve] = []
    for part in instance.components():
        part_start = time.perf_counter()
        local = first_come_first_served(part, priority)
        seconds = time.perf_counter() - part_start
        objectives = evaluate(part, local)
        placements.update(globalise(instance, part, local))
        levels = tuple(
            LevelResult(
                name=name,
                status=Status.FEASIBLE,
                objective=float(value),
                best_bound=None,
                wall_time=seconds,
            )
            for name, value in zip(LEVEL_NAMES, objectives.levels, strict=True)
        )
        result = SolveResult(
            status=Status.FEASIBLE,
            objective=float(objectives.levels[0]),
            best_bound=None,
            gap=None,
            wall_time=seconds,
            levels=levels,
        )
        parts.append(PartSolve(part.teams, decided_cases(part), (result,), objectives))
    return baseline_outcome(
        scenario, instance, placements, parts, "greedy", started, capacity_override
    )
