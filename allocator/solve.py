"""The one CP-SAT driver: parameters, lexicographic objectives, progress, breakdown, explanations.

Planners build a `cp_model.CpModel`, describe what they minimise as a list of `Level`s (strictly
ordered: level 0 first) made of named, weighted `Penalty` terms, and call `solve`. Each level is
minimised in turn and then held at its optimum (or at the value found, plus a tolerance) while the
next is minimised, so no level's weight has to dwarf another's.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated

from google.protobuf import text_format
from ortools.sat import sat_parameters_pb2
from ortools.sat.python import cp_model
from pydantic import Field, field_validator

from allocator.model.base import Frozen

LinearExpr = cp_model.LinearExprT


def default_workers() -> int:
    """All cores, at most 8."""
    return max(1, min(8, os.cpu_count() or 1))


class SolveParams(Frozen):
    """How long and how hard to search."""

    time_limit: Annotated[float, Field(gt=0)] = 10.0
    """Seconds for the whole solve, all levels together."""
    workers: Annotated[int, Field(ge=1, le=64)] = Field(default_factory=default_workers)
    seed: int = 0
    log: bool = False
    relative_gap: Annotated[float, Field(ge=0, le=1)] = 0.0
    """Stop a level once within this relative gap of its bound (0: prove optimal)."""
    cp_sat: dict[str, float | int | bool | str] = Field(default_factory=dict)
    """Extra CP-SAT parameters, by their `SatParameters` name (e.g. `{"max_presolve_iterations": 1}`),
    set on every solve after the ones above. Names and values are checked when the params are made;
    an enum takes its value's name (`{"search_branching": "FIXED_SEARCH"}`). The parameters this
    class already sets (time, workers, seed, log, gap) are refused here: use its own fields."""

    @field_validator("cp_sat")
    @classmethod
    def _known_cp_sat_parameters(
        cls, value: dict[str, float | int | bool | str]
    ) -> dict[str, float | int | bool | str]:
        _cp_sat_text(value)
        return value


class Status(StrEnum):
    """Outcome of a solve, in users' words."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNKNOWN = "unknown"
    INVALID = "invalid"

    @property
    def has_solution(self) -> bool:
        """Whether there is a plan to decode."""
        return self in {Status.OPTIMAL, Status.FEASIBLE}


MIN_DESCENT_SECONDS = 0.05
"""`descend` asks nothing with less time than this left."""

_STATUS = {
    cp_model.OPTIMAL: Status.OPTIMAL,
    cp_model.FEASIBLE: Status.FEASIBLE,
    cp_model.INFEASIBLE: Status.INFEASIBLE,
    cp_model.UNKNOWN: Status.UNKNOWN,
    cp_model.MODEL_INVALID: Status.INVALID,
}


@dataclass(frozen=True)
class Penalty:
    """A named soft rule's penalty: `weight * expr`, with `expr` >= 0 counting the violation."""

    name: str
    expr: LinearExpr
    weight: int = 1


@dataclass
class Level:
    """One objective of a lexicographic order: the weighted sum of its penalties, minimised."""

    name: str
    penalties: list[Penalty] = field(default_factory=list)
    tolerance: float = 0.0
    """Relative slack allowed on this level while later levels are minimised (0.01 = 1%)."""

    def expr(self) -> LinearExpr:
        """The level's objective expression (only terms with positive weight)."""
        return sum((p.weight * p.expr for p in self.penalties if p.weight > 0), start=0)


class ConstraintScore(Frozen):
    """A soft rule's contribution to the objective."""

    name: str
    level: str
    weight: int
    violation: int
    penalty: int


class LevelResult(Frozen):
    """What one lexicographic level achieved."""

    name: str
    status: Status
    objective: float | None
    best_bound: float | None
    wall_time: float


class SolveResult(Frozen):
    """The outcome of a solve: status, objectives, bounds, gap, time and the per-rule breakdown."""

    status: Status
    objective: float | None
    """The first level's objective (the most important one)."""
    best_bound: float | None
    gap: float | None
    """Relative gap of the first level: |objective - bound| / max(1, |objective|)."""
    wall_time: float
    levels: tuple[LevelResult, ...] = ()
    breakdown: tuple[ConstraintScore, ...] = ()

    @property
    def proven_optimal(self) -> bool:
        """Every level proven optimal."""
        return bool(self.levels) and all(lv.status == Status.OPTIMAL for lv in self.levels)

    def summary(self) -> str:
        """One line for a terminal."""
        gap = f", gap {self.gap:.2%}" if self.gap is not None else ""
        obj = f", objective {self.objective:g}" if self.objective is not None else ""
        return f"{self.status.value}{obj}{gap}, {self.wall_time:.2f} s"


@dataclass(frozen=True)
class ProgressEvent:
    """A new solution, or a stage starting/finishing, for progress displays."""

    level: str
    level_index: int
    levels: int
    objective: float | None
    best_bound: float | None
    elapsed: float
    time_limit: float
    done: bool = False
    placed: int | None = None
    """How many the best solution so far places (e.g. cases started), when the planner counts them."""
    to_place: int | None = None
    """Out of how many (with `placed`)."""


ProgressFn = Callable[[ProgressEvent], None]


class Solution:
    """Values of the best solution found, for planners to decode."""

    def __init__(self, solver: cp_model.CpSolver | None) -> None:
        self._solver = solver

    def __bool__(self) -> bool:
        return self._solver is not None

    def value(self, expr: LinearExpr) -> int:
        """The integer value of a variable or linear expression."""
        assert self._solver is not None, "no solution to read"
        return int(self._solver.value(expr))

    def boolean(self, literal: cp_model.IntVar) -> bool:
        """The value of a Boolean variable."""
        assert self._solver is not None, "no solution to read"
        return bool(self._solver.boolean_value(literal))


class _Callback(cp_model.CpSolverSolutionCallback):
    def __init__(self, emit: Callable[[float, float], None]) -> None:
        super().__init__()
        self._emit = emit

    def on_solution_callback(self) -> None:
        self._emit(self.objective_value, self.best_objective_bound)


_MANAGED = {
    "max_time_in_seconds": "time_limit",
    "num_workers": "workers",
    "num_search_workers": "workers",
    "random_seed": "seed",
    "log_search_progress": "log",
    "relative_gap_limit": "relative_gap",
}
"""CP-SAT parameters `SolveParams` sets from its own fields (the lexicographic time sharing needs them)."""


def _set_cp_sat_parameter(
    parameters: sat_parameters_pb2.SatParameters, name: str, value: float | int | bool | str
) -> None:
    """Set one CP-SAT parameter by name, with a clear error for an unknown name or a wrong value."""
    if name in _MANAGED:
        raise ValueError(f"CP-SAT parameter {name!r}: set SolveParams.{_MANAGED[name]} instead")
    descriptor = sat_parameters_pb2.SatParameters.DESCRIPTOR
    field_ = descriptor.fields_by_name.get(name)
    if field_ is None:
        close = sorted(n for n in descriptor.fields_by_name if name.lower() in n or n in name)[:5]
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ValueError(f"unknown CP-SAT parameter {name!r}{hint}")
    if field_.is_repeated:
        raise ValueError(f"CP-SAT parameter {name!r} is a list: not settable through SolveParams")
    if field_.enum_type is not None and isinstance(value, str):
        enum = field_.enum_type.values_by_name.get(value)
        if enum is None:
            names = ", ".join(field_.enum_type.values_by_name)
            raise ValueError(f"CP-SAT parameter {name!r}: {value!r} is not one of {names}")
        value = enum.number
    expects_bool = field_.type == field_.TYPE_BOOL
    if expects_bool != isinstance(value, bool):
        kind = "true or false" if expects_bool else "a number or an enum name"
        raise ValueError(f"CP-SAT parameter {name!r}: expected {kind}, got {value!r}")
    try:
        setattr(parameters, name, value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"CP-SAT parameter {name!r}: {value!r} is not allowed ({error})") from None


def _cp_sat_text(settings: Mapping[str, float | int | bool | str]) -> str:
    """The settings, checked, in the text format CP-SAT's parameters merge."""
    parameters = sat_parameters_pb2.SatParameters()
    for name, value in settings.items():
        _set_cp_sat_parameter(parameters, name, value)
    return text_format.MessageToString(parameters)


def _solver(params: SolveParams, time_limit: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.max_time_in_seconds = max(0.05, time_limit)
    p.num_workers = params.workers
    p.random_seed = params.seed
    p.log_search_progress = params.log
    if params.relative_gap > 0:
        p.relative_gap_limit = params.relative_gap
    if params.cp_sat:
        p.merge_text_format(_cp_sat_text(params.cp_sat))
    return solver


class TimeShares:
    """A time limit shared between parts solved in turn, by size: time a part leaves unused passes on."""

    def __init__(
        self, time_limit: float, total: int, start: float | None = None, least: float = 0.1
    ) -> None:
        self.time_limit = time_limit
        self.remaining = total
        """Size of the parts not yet given their time."""
        self.start = time.perf_counter() if start is None else start
        self.least = least
        """The least time a part is given, however little is left."""

    def seconds(self, size: int) -> float:
        """The next part's time: its share by size of the time left, at least `least`."""
        left = self.time_limit - (time.perf_counter() - self.start)
        seconds = max(self.least, left * size / self.remaining)
        self.remaining -= size
        return seconds


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """|objective - bound| / max(1, |objective|); None without both."""
    if objective is None or bound is None:
        return None
    return abs(objective - bound) / max(1.0, abs(objective))


def solve(
    model: cp_model.CpModel,
    levels: Sequence[Level],
    params: SolveParams | None = None,
    progress: ProgressFn | None = None,
    hint: Mapping[cp_model.IntVar, int] | None = None,
) -> tuple[SolveResult, Solution]:
    """Minimise `levels` lexicographically on `model` (which this call changes: each level is held).

    With no levels, finds any feasible solution. Returns the result and the best solution's values.
    """
    params = params or SolveParams()
    start = time.perf_counter()
    deadline = start + params.time_limit
    for var, value in (hint or {}).items():
        model.add_hint(var, value)
    stages = list(levels) or [Level("feasibility")]
    results: list[LevelResult] = []
    best: cp_model.CpSolver | None = None
    status = Status.UNKNOWN
    for index, level in enumerate(stages):
        remaining = deadline - time.perf_counter()
        if index > 0 and remaining <= 0.05:
            break
        # Share what is left fairly between this level and the ones after it, first level gets more.
        share = remaining if index == len(stages) - 1 else remaining * (0.6 if index == 0 else 0.5)
        expr = level.expr() if levels else 0
        model.minimize(expr)
        solver = _solver(params, share)
        level_start = time.perf_counter()

        def emit(obj: float, bound: float, _i: int = index, _name: str = level.name) -> None:
            if progress is not None:
                progress(
                    ProgressEvent(
                        _name,
                        _i,
                        len(stages),
                        obj,
                        bound,
                        time.perf_counter() - start,
                        params.time_limit,
                    )
                )

        code = solver.solve(model, _Callback(emit))
        level_status = _STATUS.get(code, Status.UNKNOWN)
        objective = solver.objective_value if level_status.has_solution else None
        bound = solver.best_objective_bound if level_status.has_solution else None
        results.append(
            LevelResult(
                name=level.name,
                status=level_status,
                objective=objective,
                best_bound=bound,
                wall_time=time.perf_counter() - level_start,
            )
        )
        if progress is not None:
            progress(
                ProgressEvent(
                    level.name,
                    index,
                    len(stages),
                    objective,
                    bound,
                    time.perf_counter() - start,
                    params.time_limit,
                    done=True,
                )
            )
        if not level_status.has_solution:
            if index == 0:
                status = level_status
            break
        best = solver
        # Hold this level at what was reached, within its tolerance, and start the next from here.
        value = round(solver.objective_value)
        slack = int(abs(value) * level.tolerance)
        if levels:
            model.add(level.expr() <= value + slack)
        model.clear_hints()
        for i in range(len(model.proto.variables)):
            model.proto.solution_hint.vars.append(i)
            model.proto.solution_hint.values.append(solver.response_proto.solution[i])
    if best is not None:
        complete = len(results) == len(stages)
        all_optimal = all(r.status == Status.OPTIMAL for r in results)
        status = Status.OPTIMAL if complete and all_optimal else Status.FEASIBLE
    solution = Solution(best)
    first = results[0] if results else None
    breakdown = (
        tuple(
            ConstraintScore(
                name=p.name,
                level=level.name,
                weight=p.weight,
                violation=solution.value(p.expr),
                penalty=p.weight * solution.value(p.expr),
            )
            for level in levels
            for p in level.penalties
        )
        if best is not None
        else ()
    )
    result = SolveResult(
        status=status,
        objective=first.objective if first else None,
        best_bound=first.best_bound if first else None,
        gap=relative_gap(first.objective, first.best_bound) if first else None,
        wall_time=time.perf_counter() - start,
        levels=tuple(results),
        breakdown=breakdown,
    )
    return result, solution


def descend(
    model: cp_model.CpModel,
    level: Level,
    value: int,
    solution: Solution,
    params: SolveParams,
) -> tuple[SolveResult, Solution]:
    """Prove an integer level's `value` least, or better it, by asking for a solution with the level
    one below the best value known, until there is none (proven) or time runs out.

    Each question is a feasibility solve on a copy of `model`: CP-SAT often proves "nothing smaller"
    sooner this way than by raising a minimisation's bound, and finds smaller values it missed.
    `model` ends holding the level at the value returned; the result has that value, and the level
    OPTIMAL if it is proven least.
    """
    start = time.perf_counter()
    deadline = start + params.time_limit
    status, best = Status.FEASIBLE, solution
    while (left := deadline - time.perf_counter()) > MIN_DESCENT_SECONDS:
        probe = model.clone()
        probe.add(level.expr() <= value - 1)
        result, found = solve(probe, [], params.model_copy(update={"time_limit": left}))
        if result.status == Status.INFEASIBLE:
            status = Status.OPTIMAL
            break
        if not found:
            break
        best, value = found, found.value(level.expr())
    model.add(level.expr() <= value)
    bound = float(value) if status == Status.OPTIMAL else None
    wall = time.perf_counter() - start
    return (
        SolveResult(
            status=status,
            objective=float(value),
            best_bound=bound,
            gap=relative_gap(value, bound),
            wall_time=wall,
            levels=(
                LevelResult(
                    name=level.name,
                    status=status,
                    objective=float(value),
                    best_bound=bound,
                    wall_time=wall,
                ),
            ),
        ),
        best,
    )


def explain_infeasible(
    model: cp_model.CpModel,
    assumptions: Mapping[str, cp_model.IntVar],
    params: SolveParams | None = None,
) -> list[str]:
    """The names of a sufficient set of assumptions that cannot all hold (empty if they can).

    Each assumption is a Boolean literal that enforces one named group of hard rules; the model must
    have no objective-dependent meaning here (the objective is cleared).
    """
    params = params or SolveParams()
    model.clear_objective()
    model.clear_assumptions()
    names = list(assumptions)
    model.add_assumptions([assumptions[n] for n in names])
    solver = _solver(params, params.time_limit)
    # Cores are found by the single-threaded search; keep it to one worker.
    solver.parameters.num_workers = 1
    code = solver.solve(model)
    model.clear_assumptions()
    if code != cp_model.INFEASIBLE:
        return []
    by_index = {assumptions[n].index: n for n in names}
    return [by_index[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in by_index]
