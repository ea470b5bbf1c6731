"""The caseload as a time-indexed MIP on HiGHS: the columns, the rows and the level costs.

One binary column x[c, o, s] per case c, eligible person (option) o and feasible start week s
(`Option.starts`). Each case takes at most one column; in every week a person's new support uses at
most their free minutes:

    sum_{o, s} x[c, o, s] <= 1                                        (each case c)
    sum_{c, s <= w < s + weeks_c} (minutes_c + travel_o) x[c, o, s] <= free[p][w]   (each person p, week w)

Level 4 (balance) adds an integer u_t per team with 1000 x used_p <= capacity_p x u_t for each member p
(so u_t >= ceil of the highest per-mille use). The HiGHS engine (`engines/highs.py`) solves it
lexicographically; the CP-SAT planner bounds its first level by its LP relaxation
(`first_level_lp`), and on tight parts rounds the LP's solution into a warm start.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np

from allocator.highs import highs_status, new_highs
from allocator.instances.caseload import PER_MILLE, CaseloadInstance
from allocator.solve import Status


@dataclass
class Columns:
    """The x columns of one instance: case, person and start of each, and the objective rows."""

    case: list[int] = field(default_factory=list)
    person: list[int] = field(default_factory=list)
    start: list[int] = field(default_factory=list)
    demand: list[int] = field(default_factory=list)
    weeks: list[int] = field(default_factory=list)
    costs: list[list[float]] = field(default_factory=lambda: [[], [], []])


def columns_of(instance: CaseloadInstance) -> Columns:
    """The x columns of an instance: one per plannable case, eligible person and feasible start."""
    cols = Columns()
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


def level_offsets(instance: CaseloadInstance) -> tuple[int, int, int]:
    """Levels 1-3 with nothing started: the offsets of the column costs."""
    not_started = sum(c.weight for c in instance.cases if c.counted)
    waiting = sum(
        c.weight * (instance.horizon - c.agreed_week) for c in instance.cases if c.counted
    )
    return not_started, waiting, 0


def level_floors(instance: CaseloadInstance, cols: Columns) -> tuple[int, int, int, int]:
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


class TimeIndexedModel:
    """The HiGHS model of one instance, with rows added as levels are fixed."""

    def __init__(self, instance: CaseloadInstance, cols: Columns, seed: int = 0) -> None:
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
        for team in balanced_teams(instance):
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


def balanced_teams(part: CaseloadInstance) -> list[str]:
    """Teams with someone who has minutes in the year, sorted (the order of the u_t columns)."""
    return sorted({p.team for i, p in enumerate(part.people) if part.horizon_capacity(i) > 0})


@dataclass
class FirstLevelLp:
    """The LP relaxation of the first level: its bound, and per case the share of it the LP starts
    and the (person, start) of its largest column (a guide for rounding, `search.lp_rounded`)."""

    bound: float | None = None
    started: dict[int, float] = field(default_factory=dict)
    column: dict[int, tuple[int, int]] = field(default_factory=dict)


def first_level_lp(part: CaseloadInstance, seconds: float = 5.0) -> FirstLevelLp:
    """The LP relaxation of the time-indexed formulation on the first level (priority weight not
    started), solved by HiGHS: a lower bound, and its solution as a guide; neither (None, empty) if
    the LP is not solved to optimality in time.

    The first level is integer, so the LP optimum is rounded up (after a small tolerance).
    """
    constant = level_offsets(part)[0]
    cols = columns_of(part)
    if not cols.case:
        return FirstLevelLp(float(constant))
    lp = TimeIndexedModel(part, cols)
    h = lp.highs
    every = np.arange(lp.n, dtype=np.int32)
    h.changeColsIntegrality(lp.n, every, np.asarray([highspy.HighsVarType.kContinuous] * lp.n))
    h.changeColsCost(lp.n, every, np.asarray(cols.costs[0], dtype=np.float64))
    h.setOptionValue("time_limit", max(0.05, seconds))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return FirstLevelLp()
    value = float(h.getInfo().objective_function_value) + constant
    found = FirstLevelLp(float(max(0, math.ceil(value - 1e-6))))
    largest: dict[int, float] = {}
    values = np.asarray(h.getSolution().col_value)
    for k in np.flatnonzero(values > 1e-6):
        c, x = cols.case[k], float(values[k])
        found.started[c] = found.started.get(c, 0.0) + x
        if x > largest.get(c, 0.0):
            largest[c] = x
            found.column[c] = (cols.person[k], cols.start[k])
    return found


def first_level_lp_bound(part: CaseloadInstance, seconds: float = 5.0) -> float | None:
    """A lower bound on the first level from its LP relaxation (`first_level_lp`); None if the LP
    is not solved to optimality in time."""
    return first_level_lp(part, seconds).bound
