"""First come, first served: the caseload as a coordinator plans it by hand, a baseline for the optimisers.

Cases are taken in agreement-date order and each is given to whoever can start it soonest, respecting
every hard rule (specialism, team, weekly minutes with travel, leave, running support); nothing placed
is ever moved to make room for a later case (`allocator.caseload.search.first_come_first_served`). The
plan comes back as a `CaseloadOutcome`, decoded, scored and checked by the independent checker like
every engine's.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from allocator.caseload.data import build_instance, evaluate
from allocator.caseload.outcome import CaseloadOutcome, PartSolve, make_outcome
from allocator.caseload.parts import decided_cases, globalise
from allocator.caseload.search import first_come_first_served
from allocator.constraints.caseload import PLANNING_LEVEL_NAMES
from allocator.instances.caseload import Placement
from allocator.model import Scenario
from allocator.solve import LevelResult, SolveResult, Status


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
            for name, value in zip(PLANNING_LEVEL_NAMES, objectives.levels, strict=True)
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
    return make_outcome(
        scenario,
        instance,
        placements,
        parts,
        "greedy",
        started,
        capacity_override=capacity_override,
    )
