"""The caseload as a time-indexed MIP on HiGHS: a baseline for the CP-SAT planner.

One binary column x[c, o, s] per case c, eligible person (option) o and feasible start week s
(`Option.starts`). Each case takes at most one column; in every week a person's new support uses at
most their free minutes:

    sum_{o, s} x[c, o, s] <= 1                                        (each case c)
    sum_{c, s <= w < s + weeks_c} (minutes_c + travel_o) x[c, o, s] <= free[p][w]   (each person p, week w)

The objectives of `caseload_data.Objectives` are minimised lexicographically: each level is solved,
then held at the value reached (`<=`, so a level not proven optimal still binds) while the next is
solved from the previous solution. Level 4 (balance) adds an integer u_t per team with
1000 x used_p <= capacity_p x u_t for each member p (so u_t >= ceil of the highest per-mille use).
Teams linked by no case are independent, so each component of the instance is solved on its own and
the levels add up.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import highspy
import numpy as np

from allocator.caseload.data import (
    PER_MILLE,
    CaseloadInstance,
    Placement,
    build_instance,
    evaluate,
    person_loads,
    team_utilisation,
)
from allocator.caseload.engines.greedy import (
    LEVEL_NAMES,
    baseline_outcome,
    decided_cases,
    first_come_first_served,
    globalise,
    localise,
)
from allocator.caseload.gap import highs_status, new_highs
from allocator.caseload.plan import CaseloadOutcome, PartSolve
from allocator.model import Scenario
from allocator.solve import LevelResult, SolveParams, SolveResult, Status

MIN_PART_SECONDS = 0.2


@dataclass
class _Columns:
    """The x columns of one instance: case, person and start of each, and the objective rows."""

    case: list[int] = field(default_factory=list)
    person: list[int] = field(default_factory=list)
    start: list[int] = field(default_factory=list)
    demand: list[int] = field(default_factory=list)
    weeks: list[int] = field(default_factory=list)
    costs: list[list[float]] = field(default_factory=lambda: [[], [], []])


def _columns(instance: CaseloadInstance) -> _Columns:
    cols = _Columns()
    horizon = instance.horizon
    for c, case in enumerate(instance.cases):
        if not case.plannable:
            continue
        for option in case.options:
            demand = case.demand(option)
            per_week = option.travel_minutes + option.neighbour_cost
            for s in option.starts:
                cols.case.append(c)
                cols.person.append(option.person)
                cols.start.append(s)
                cols.demand.append(demand)
                cols.weeks.append(case.weeks)
                cols.costs[0].append(-case.weight)
                cols.costs[1].append(case.weight * (s - horizon))
                cols.costs[2].append(per_week * case.weeks)
    return cols


def _constants(instance: CaseloadInstance) -> tuple[int, int, int]:
    """Levels 1-3 with nothing started: the offsets of the column costs."""
    not_started = sum(c.weight for c in instance.cases if c.counted)
    waiting = sum(
        c.weight * (instance.horizon - c.agreed_week) for c in instance.cases if c.counted
    )
    return not_started, waiting, 0


def _floors(instance: CaseloadInstance, cols: _Columns) -> tuple[int, int, int, int]:
    """Bounds that need no solver: every case that can start does, at its earliest start, with no travel.

    HiGHS reports a trivial bound (every column at 1) when stopped before its first LP; these floors
    keep a reported bound meaningful.
    """
    earliest: dict[int, int] = {}
    for c, s in zip(cols.case, cols.start, strict=True):
        earliest[c] = min(earliest.get(c, s), s)
    not_started = waiting = 0
    for c, case in enumerate(instance.cases):
        if not case.counted:
            continue
        if c in earliest:
            waiting += case.weight * (earliest[c] - case.agreed_week)
        else:
            not_started += case.weight
            waiting += case.weight * (instance.horizon - case.agreed_week)
    return not_started, waiting, 0, 0


class _Model:
    """The HiGHS model of one instance, with rows added as levels are fixed."""

    def __init__(self, instance: CaseloadInstance, cols: _Columns, seed: int = 0) -> None:
        self.instance = instance
        self.cols = cols
        n = len(cols.case)
        self.n = n
        rows_index: list[list[int]] = [[] for _ in range(n)]
        rows_value: list[list[float]] = [[] for _ in range(n)]
        row_upper: list[float] = []
        case_row: dict[int, int] = {}
        for k, c in enumerate(cols.case):
            if c not in case_row:
                case_row[c] = len(row_upper)
                row_upper.append(1.0)
            rows_index[k].append(case_row[c])
            rows_value[k].append(1.0)
        touching: dict[tuple[int, int], list[int]] = {}
        for k in range(n):
            p, s = cols.person[k], cols.start[k]
            for w in range(s, min(s + cols.weeks[k], instance.modelled_weeks)):
                touching.setdefault((p, w), []).append(k)
        free = instance.free_capacity
        for (p, w), ks in touching.items():
            # A case takes one column at most: the row binds only if the cases' largest demands do not fit.
            most: dict[int, int] = {}
            for k in ks:
                most[cols.case[k]] = max(most.get(cols.case[k], 0), cols.demand[k])
            if sum(most.values()) <= free[p][w]:
                continue
            r = len(row_upper)
            row_upper.append(float(free[p][w]))
            for k in ks:
                rows_index[k].append(r)
                rows_value[k].append(float(cols.demand[k]))
        lp = highspy.HighsLp()
        lp.num_col_ = n
        lp.num_row_ = len(row_upper)
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.zeros(n)
        lp.col_upper_ = np.ones(n)
        lp.row_lower_ = np.full(len(row_upper), -highspy.kHighsInf)
        lp.row_upper_ = np.asarray(row_upper, dtype=np.float64)
        lengths = np.fromiter((len(r) for r in rows_index), dtype=np.int32, count=n)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
        lp.a_matrix_.index_ = np.fromiter(
            (i for r in rows_index for i in r), dtype=np.int32, count=int(lengths.sum())
        )
        lp.a_matrix_.value_ = np.fromiter(
            (v for r in rows_value for v in r), dtype=np.float64, count=int(lengths.sum())
        )
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n
        self.highs = new_highs(1.0, seed)
        # Measured on Kent's teams: presolve (probing the weekly knapsacks) cost more than it saved.
        self.highs.setOptionValue("presolve", "off")
        self.highs.passModel(lp)

    def solve(
        self, costs: Sequence[float], time_limit: float, start: np.ndarray | None
    ) -> tuple[Status, float | None, np.ndarray | None]:
        """Minimise `costs` over all columns from `start`; the status, bound and column values."""
        h = self.highs
        h.changeColsCost(len(costs), np.arange(len(costs), dtype=np.int32), np.asarray(costs))
        h.setOptionValue("time_limit", max(0.05, time_limit))
        if start is not None:
            solution = highspy.HighsSolution()
            solution.col_value = list(start)
            solution.value_valid = True
            h.setSolution(solution)
        h.run()
        status = highs_status(h)
        if not status.has_solution:
            return status, None, None
        bound = float(h.getInfo().mip_dual_bound)
        values = np.asarray(h.getSolution().col_value)
        return status, bound if np.isfinite(bound) else None, values

    def hold(self, costs: Sequence[float], value: float) -> None:
        """Keep the (integer-valued) objective `costs` at or below `value` from now on."""
        idx = np.flatnonzero(np.asarray(costs))
        self.highs.addRow(
            -highspy.kHighsInf,
            float(round(value)) + 0.5,
            len(idx),
            idx.astype(np.int32),
            np.asarray(costs, dtype=np.float64)[idx],
        )

    def add_balance(self) -> list[float]:
        """Add a team's u_t >= each member's per-mille use of the year; the level-4 costs."""
        instance, cols = self.instance, self.cols
        team_col: dict[str, int] = {}
        for team in _balanced_teams(instance):
            team_col[team] = self.n + len(team_col)
            self.highs.addCol(
                0.0, 0.0, float(PER_MILLE * 100), 0, np.array([], np.int32), np.array([])
            )
        self.highs.changeColsIntegrality(
            len(team_col),
            np.asarray(list(team_col.values()), dtype=np.int32),
            np.asarray([highspy.HighsVarType.kInteger] * len(team_col)),
        )
        by_person: dict[int, list[int]] = {}
        for k, p in enumerate(cols.person):
            by_person.setdefault(p, []).append(k)
        for p, person in enumerate(instance.people):
            capacity = instance.horizon_capacity(p)
            if capacity <= 0:
                continue
            ks = by_person.get(p, [])
            fixed = sum(instance.fixed_load[p][: instance.horizon])
            index = [*ks, team_col[person.team]]
            value = [
                PER_MILLE * cols.demand[k] * instance.weeks_in_year(cols.start[k], cols.weeks[k])
                for k in ks
            ] + [-capacity]
            self.highs.addRow(
                -highspy.kHighsInf,
                float(-PER_MILLE * fixed),
                len(index),
                np.asarray(index, dtype=np.int32),
                np.asarray(value, dtype=np.float64),
            )
        return [0.0] * self.n + [1.0] * len(team_col)


def solve_caseload_highs(
    instance: CaseloadInstance,
    time_limit: float,
    *,
    levels: int = len(LEVEL_NAMES),
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
    if not 1 <= levels <= len(LEVEL_NAMES):
        raise ValueError(f"levels must be 1 to {len(LEVEL_NAMES)}, got {levels}")
    begin = time.perf_counter()
    initial = dict(first_come_first_served(instance, priority) if start is None else start)
    parts = instance.components()
    sizes = [decided_cases(part) for part in parts]
    remaining = sum(sizes)
    placements: dict[int, Placement] = {}
    solved: list[PartSolve] = []
    for part, size in zip(parts, sizes, strict=True):
        if size == 0:
            solved.append(PartSolve(part.teams, 0, (), evaluate(part, {})))
            continue
        left = time_limit - (time.perf_counter() - begin)
        seconds = max(MIN_PART_SECONDS, left * size / remaining)
        remaining -= size
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
    levels: int = len(LEVEL_NAMES),
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
    return baseline_outcome(
        scenario, instance, placements, parts, "highs", started, capacity_override
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
    cols = _columns(part)
    constants = _constants(part)
    floors = _floors(part, cols)
    model = _Model(part, cols, seed)
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
                name=LEVEL_NAMES[level],
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


def _placements(cols: _Columns, current: np.ndarray) -> dict[int, Placement]:
    n = len(cols.case)
    return {
        cols.case[k]: Placement(cols.person[k], cols.start[k])
        for k in np.flatnonzero(current[:n] > 0.5)
    }


def _better_waits(
    part: CaseloadInstance,
    cols: _Columns,
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


def _balance_start(part: CaseloadInstance, cols: _Columns, current: np.ndarray) -> np.ndarray:
    """u_t of the current plan: the highest per-mille use in each team (sorted team order)."""
    used = team_utilisation(part, person_loads(part, _placements(cols, current)))
    return np.asarray([float(used.get(team, 0)) for team in _balanced_teams(part)])


def _balanced_teams(part: CaseloadInstance) -> list[str]:
    """Teams with someone who has minutes in the year, sorted (the order of the u_t columns)."""
    return sorted({p.team for i, p in enumerate(part.people) if part.horizon_capacity(i) > 0})
