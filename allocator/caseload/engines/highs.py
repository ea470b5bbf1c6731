"""The caseload as a time-indexed MIP on HiGHS: a baseline for the CP-SAT planner.

The formulation is `allocator.caseload.timeindexed`. Its objectives (`Objectives`) are minimised
lexicographically: each level is solved, then held at the value reached (`<=`, so a level not proven
optimal still binds) while the next is solved from the previous solution. Teams linked by no case are
independent, so each part of the instance is solved on its own and the levels add up.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from allocator.caseload.data import build_instance, evaluate, team_utilisation
from allocator.caseload.outcome import CaseloadOutcome, PartSolve, make_outcome
from allocator.caseload.parts import (
    MIN_PART_SECONDS,
    decided_cases,
    globalise,
    localise,
)
from allocator.caseload.search import first_come_first_served
from allocator.caseload.timeindexed import (
    Columns,
    TimeIndexedModel,
    balanced_teams,
    columns_of,
    level_floors,
    level_offsets,
)
from allocator.constraints.caseload import PLANNING_LEVEL_NAMES
from allocator.instances.caseload import CaseloadInstance, Placement, person_loads
from allocator.model import Scenario
from allocator.solve import LevelResult, SolveParams, SolveResult, Status, TimeShares


def solve_caseload_highs(
    instance: CaseloadInstance,
    time_limit: float,
    *,
    levels: int = len(PLANNING_LEVEL_NAMES),
    start: Mapping[int, Placement] | None = None,
    priority: Mapping[str, int] | None = None,
    seed: int = 0,
) -> tuple[dict[int, Placement], list[PartSolve]]:
    """Lexicographic MIP on each independent part in turn, sharing `time_limit` seconds by size.

    Each part starts from `start` (default: the first-come-first-served plan, with `priority` for its
    ties), so it never starts fewer cases than that plan. `levels` (1-4) objectives are optimised;
    `seed` is HiGHS's random seed.
    Returns the placements (case index -> placement) and how each part was solved.
    """
    if not 1 <= levels <= len(PLANNING_LEVEL_NAMES):
        raise ValueError(f"levels must be 1 to {len(PLANNING_LEVEL_NAMES)}, got {levels}")
    begin = time.perf_counter()
    initial = dict(first_come_first_served(instance, priority) if start is None else start)
    parts = instance.components()
    sizes = [decided_cases(part) for part in parts]
    shares = TimeShares(time_limit, sum(sizes), begin, least=MIN_PART_SECONDS)
    placements: dict[int, Placement] = {}
    solved: list[PartSolve] = []
    for part, size in zip(parts, sizes, strict=True):
        if size == 0:
            solved.append(PartSolve(part.teams, 0, (), evaluate(part, {})))
            continue
        seconds = shares.seconds(size)
        local, result = _solve_part(part, seconds, levels, localise(instance, part, initial), seed)
        placements.update(globalise(instance, part, local))
        solved.append(PartSolve(part.teams, size, (result,), evaluate(part, local)))
    return placements, solved


def plan_caseload_highs(
    scenario: Scenario,
    params: SolveParams | None = None,
    *,
    district: str | None = None,
    capacity_override: Mapping[str, int] | None = None,
    levels: int = len(PLANNING_LEVEL_NAMES),
) -> CaseloadOutcome:
    """The lexicographic plan of a scenario by HiGHS (one district's, with `district`).

    `params.time_limit` bounds the solve; running and finished support in the current plan is kept.
    """
    started = time.perf_counter()
    params = params or SolveParams()
    if district is not None:
        scenario = scenario.restrict_to(district)
    instance = build_instance(scenario, capacity_override=capacity_override)
    priority = {a.case_id: a.priority for a in scenario.agreements}
    left = params.time_limit - (time.perf_counter() - started)
    placements, parts = solve_caseload_highs(
        instance, max(MIN_PART_SECONDS, left), levels=levels, priority=priority, seed=params.seed
    )
    return make_outcome(
        scenario, instance, placements, parts, "highs", started, capacity_override=capacity_override
    )


def _solve_part(
    part: CaseloadInstance,
    time_limit: float,
    levels: int,
    initial: Mapping[int, Placement],
    seed: int = 0,
) -> tuple[dict[int, Placement], SolveResult]:
    """Solve one part's levels in turn from the plan `initial`; its placements and per-level results."""
    begin = time.perf_counter()
    deadline = begin + time_limit
    cols = columns_of(part)
    constants = level_offsets(part)
    floors = level_floors(part, cols)
    model = TimeIndexedModel(part, cols, seed)
    where = {key: k for k, key in enumerate(zip(cols.case, cols.person, cols.start, strict=True))}
    current = np.zeros(model.n)
    for c, placement in initial.items():
        k = where.get((c, placement.person, placement.start))
        if k is not None:
            current[k] = 1.0
    results: list[LevelResult] = []
    for level in range(levels):
        level_start = time.perf_counter()
        remaining = deadline - level_start
        share = remaining if level == levels - 1 else remaining * (0.6 if level == 0 else 0.5)
        if level < 3:
            costs: list[float] = cols.costs[level]
            constant = float(constants[level])
        else:
            costs = model.add_balance()
            current = np.concatenate([current, _balance_start(part, cols, current)])
            constant = 0.0
        if level == 1:
            current = _better_waits(part, cols, where, current)
        status, bound, values = model.solve(costs, share, current)
        if values is None:
            # Nothing better in the time: keep the previous plan (every level only adds rows).
            status, bound = Status.FEASIBLE, None
        else:
            current = np.round(values)
        value = float(np.dot(costs, current))
        model.hold(costs, value)
        results.append(
            LevelResult(
                name=PLANNING_LEVEL_NAMES[level],
                status=status,
                objective=value + constant,
                best_bound=float(floors[level])
                if bound is None
                else max(floors[level], min(bound, value) + constant),
                wall_time=time.perf_counter() - level_start,
            )
        )
    placements = _placements(cols, current)
    first = results[0]
    optimal = all(r.status == Status.OPTIMAL for r in results)
    result = SolveResult(
        status=Status.OPTIMAL if optimal else Status.FEASIBLE,
        objective=first.objective,
        best_bound=first.best_bound,
        gap=None
        if first.objective is None or first.best_bound is None
        else abs(first.objective - first.best_bound) / max(1.0, abs(first.objective)),
        wall_time=time.perf_counter() - begin,
        levels=tuple(results),
    )
    return placements, result


def _placements(cols: Columns, current: np.ndarray) -> dict[int, Placement]:
    n = len(cols.case)
    return {
        cols.case[k]: Placement(cols.person[k], cols.start[k])
        for k in np.flatnonzero(current[:n] > 0.5)
    }


def _better_waits(
    part: CaseloadInstance,
    cols: Columns,
    where: Mapping[tuple[int, int, int], int],
    current: np.ndarray,
) -> np.ndarray:
    """The level-1 plan, or the same cases re-placed first come first served if that waits less.

    Level 1 cares only which cases start, so its plan may start them late; placing the same cases
    afresh at their earliest starts often gives level 2 a much better point to start from.
    """
    chosen = {cols.case[k] for k in np.flatnonzero(current > 0.5)}
    only = replace(
        part,
        cases=tuple(
            case if c in chosen else replace(case, options=()) for c, case in enumerate(part.cases)
        ),
    )
    again = first_come_first_served(only)
    if set(again) != chosen:
        return current
    candidate = np.zeros_like(current)
    for c, placement in again.items():
        candidate[where[(c, placement.person, placement.start)]] = 1.0
    waits = np.asarray(cols.costs[1])
    return candidate if float(np.dot(waits, candidate)) < float(np.dot(waits, current)) else current


def _balance_start(part: CaseloadInstance, cols: Columns, current: np.ndarray) -> np.ndarray:
    """u_t of the current plan: the highest per-mille use in each team (sorted team order)."""
    used = team_utilisation(part, person_loads(part, _placements(cols, current)))
    return np.asarray([float(used.get(team, 0)) for team in balanced_teams(part)])
