"""The caseload planner: build -> solve -> decode -> check, for a fresh plan and for a rebalance.

`plan_caseload` allocates every team's time to the agreed cases; `rebalance` fits new agreements into
a current plan, never moving running support and moving as few planned cases as it can. Both split the
county into independent parts (a district team, a county pool, or teams linked by neighbour rules),
solve each with CP-SAT lexicographically (cases started, waiting, travel, balance; then, on a
rebalance, changes and start shift), warm-started from a priority greedy, and end with the
independent checker.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from allocator.caseload.check import check_caseload
from allocator.caseload.data import (
    CaseData,
    CaseloadInstance,
    Objectives,
    Placement,
    build_instance,
    earliest_placement,
    evaluate,
    person_loads,
    placement_errors,
    school_days,
    team_label,
)
from allocator.caseload.search import ruin_and_recreate
from allocator.constraints.caseload import (
    LEVELS,
    PLANNING_LEVELS,
    CaseloadModel,
    IntervalModel,
    build_caseload_model,
)
from allocator.model import (
    Agreement,
    PlannedSupport,
    PlanStatus,
    Scenario,
    ScenarioError,
    find_problems,
)
from allocator.model.caseload_result import (
    Assignment,
    CaseloadCheck,
    CaseloadKpis,
    CaseloadPlan,
    Change,
    Help,
    TeamLoad,
    Waiting,
    WaitStats,
)
from allocator.model.cases import CONSENT_WITHDRAWN
from allocator.model.scenario import Problem
from allocator.solve import (
    Level,
    LevelResult,
    ProgressEvent,
    ProgressFn,
    Solution,
    SolveParams,
    SolveResult,
    Status,
    descend,
    relative_gap,
    solve,
)

AUTO_FORMULATION = IntervalModel.name
"""The formulation `engine="auto"` uses: the one that won the measurements of docs/benchmarks.md."""
ENGINES = ("auto", "time-indexed", "interval")
PLAN_SHARES = (0.25, 0.65, 0.05, 0.05)
"""How a part's time is shared between the planning levels (what a level leaves unused passes on)."""
REBALANCE_PLANNING_SHARE = 0.5
"""Share of a rebalance's time for the planning levels; the rest finds the fewest changes."""
REBALANCE_TAIL_FACTOR = 2.0
"""A rebalance's solver gets its time limit less this many times what building took (the rest
decodes, checks and scores the plan), so the time limit holds for the whole call."""
REBALANCE_SOLVER_SHARE = 0.93
"""At most this share of a rebalance's time limit goes to the solver: each of its solves starts and
stops a little past its own limit."""
CHANGE_SHARES = (0.75, 0.25)
"""How the rest is shared between the fewest changes and the least start shift (a proof by descent,
if asked for, comes between them, with its own time)."""
MIN_PART_SECONDS = 0.2
MIN_LEVEL_SECONDS = 0.2
"""Each level gets at least this long: the solver needs it to take in the model and the warm start."""
LP_BOUND_SHARE = 0.1
"""At most this share of a part's time goes to the LP relaxation that bounds the first level."""
FIRST_LEVEL_SECONDS = 1.5
"""The first level gets at least this long (if the part has it): time to take in the warm start."""
SEARCH_SHARE = 0.5
"""Share of the second level's time for ruin and recreate (`allocator.caseload.search`) before the
solver: it finds shorter waits faster than the solver's own search does (docs/benchmarks.md)."""


PENALTY_OF_OBJECTIVE = (
    "cases_started",
    "waiting_weeks",
    "travel_minutes",
    "neighbour_team_cost",
    "balanced_load",
)
"""The solver's penalty for each of `Objectives`' fields, in field order."""


def _objective_values(objectives: Objectives) -> tuple[int, ...]:
    return (
        objectives.not_started,
        objectives.waiting,
        objectives.travel,
        objectives.neighbour,
        objectives.balance,
    )


# ---------------------------------------------------------------------------------------------
# Outcomes
# ---------------------------------------------------------------------------------------------


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
    loads: tuple[tuple[int, ...], ...] = ()
    """Per person of the instance, minutes used in each modelled week."""

    def solver_values(self) -> dict[str, int]:
        """Each penalty as the solver counts it, summed over the parts.

        A part with nothing to decide (or whose solve found nothing) adds its objectives as the
        instance scores them: they are constants there.
        """
        totals: dict[str, int] = defaultdict(int)
        for part in self.parts:
            values = part.penalty_values()
            if not values and part.objectives is not None:
                values = dict(
                    zip(PENALTY_OF_OBJECTIVE, _objective_values(part.objectives), strict=True)
                )
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
    """The change count is proven least among plans within the tolerance on the planning levels."""
    resolved_teams: tuple[str, ...] = field(default=())
    opened_people: tuple[str, ...] = field(default=())
    """People whose planned cases the rebalance was free to move."""

    @property
    def plan(self) -> CaseloadPlan:
        """The plan after the rebalance."""
        return self.outcome.plan


# ---------------------------------------------------------------------------------------------
# Greedy warm start
# ---------------------------------------------------------------------------------------------


def priority_greedy(
    instance: CaseloadInstance, keep: Mapping[int, Placement] | None = None
) -> dict[int, Placement]:
    """A quick plan to warm-start the solver: week by week, start waiting cases by priority.

    From each week on, the released cases not yet started are taken highest weight first (then
    earliest release) and started that week with the least costly person who has room throughout;
    placements in `keep` stay as they are.
    """
    placed = dict(keep or {})
    free = [list(row) for row in instance.free_capacity]
    for c, placement in placed.items():
        case = instance.cases[c]
        option = case.option_for(placement.person)
        if option is None:
            continue
        for w in range(placement.start, placement.start + case.weeks):
            free[placement.person][w] -= case.demand(option)
    todo = sorted(
        (
            c
            for c, case in enumerate(instance.cases)
            if c not in placed and case.plannable and any(o.starts for o in case.options)
        ),
        key=lambda c: (-instance.cases[c].weight, instance.cases[c].release, c),
    )
    for week in range(instance.horizon):
        for c in todo:
            case = instance.cases[c]
            if c in placed or case.release > week:
                continue
            for option in sorted(case.options, key=lambda o: o.travel_minutes + o.neighbour_cost):
                demand = case.demand(option)
                weeks = range(week, week + case.weeks)
                if week in option.starts and all(free[option.person][w] >= demand for w in weeks):
                    for w in weeks:
                        free[option.person][w] -= demand
                    placed[c] = Placement(option.person, week)
                    break
    return placed


def compact_starts(
    instance: CaseloadInstance, placements: Mapping[int, Placement], passes: int = 5
) -> dict[int, Placement]:
    """Improve a plan without moving anything later: start cases earlier where there is room, then
    start waiting cases where they fit, highest priority first, until nothing changes.

    Each move keeps every hard rule, never unstarts a case and never delays one, so the plan is at
    least as good on cases started and on waiting. Used between the solver's levels as its hint.
    """
    placed = dict(placements)
    free = [list(row) for row in instance.free_capacity]

    def book(c: int, placement: Placement, sign: int) -> None:
        case = instance.cases[c]
        option = case.option_for(placement.person)
        assert option is not None
        for w in range(placement.start, placement.start + case.weeks):
            free[placement.person][w] -= sign * case.demand(option)

    def earliest(c: int, before: int) -> Placement | None:
        return earliest_placement(instance.cases[c], free, before)

    for c, placement in placed.items():
        book(c, placement, 1)
    waiting = [
        c
        for c, case in enumerate(instance.cases)
        if c not in placed and case.plannable and any(o.starts for o in case.options)
    ]
    for _ in range(passes):
        changed = False
        for c in sorted(placed, key=lambda c: (-instance.cases[c].weight, placed[c].start, c)):
            book(c, placed[c], -1)
            better = earliest(c, placed[c].start)
            if better is not None:
                placed[c] = better
                changed = True
            book(c, placed[c], 1)
        for c in sorted(waiting, key=lambda c: (-instance.cases[c].weight, c)):
            if c not in placed and (found := earliest(c, instance.horizon)) is not None:
                placed[c] = found
                book(c, found, 1)
                changed = True
        if not changed:
            break
    return placed


# ---------------------------------------------------------------------------------------------
# Solving the parts
# ---------------------------------------------------------------------------------------------


def _formulation(engine: str) -> str:
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r}: expected one of {', '.join(ENGINES)}")
    return AUTO_FORMULATION if engine == "auto" else engine


def _part_progress(
    progress: ProgressFn | None, label: str, start: float, total: float
) -> ProgressFn | None:
    if progress is None:
        return None

    def relay(event: ProgressEvent) -> None:
        progress(
            ProgressEvent(
                level=f"{label}: {event.level}",
                level_index=event.level_index,
                levels=event.levels,
                objective=event.objective,
                best_bound=event.best_bound,
                elapsed=time.perf_counter() - start,
                time_limit=total,
                done=event.done,
            )
        )

    return relay


def _solve_levels(
    model: CaseloadModel,
    levels: Sequence[Level],
    shares: Sequence[float],
    params: SolveParams,
    seconds: float,
    progress: ProgressFn | None,
    warm_start: Mapping[int, Placement],
    *,
    planning: bool,
    first_index: int = 0,
    count: int | None = None,
) -> tuple[Solution | None, list[SolveResult]]:
    """Minimise `levels` in order on `model`, each held once solved, each with its share of the time.

    The warm start is complete (every variable), so the solver begins from a plan that keeps every
    hard rule. When `planning`, the first level gets at least FIRST_LEVEL_SECONDS, and its solution,
    with cases started earlier where there is room, is the next level's warm start.
    """
    began = time.perf_counter()
    hint: dict[Any, int] | None = model.hint(warm_start)
    results: list[SolveResult] = []
    best = None
    for index, level in enumerate(levels):
        left = seconds - (time.perf_counter() - began)
        if best is not None and left < MIN_LEVEL_SECONDS:
            # Out of time: the later levels keep the solution found.
            results.extend(_not_attempted(later) for later in levels[index:])
            break
        share = max(MIN_LEVEL_SECONDS, left * shares[index] / sum(shares[index:]))
        if index == 0 and planning:
            share = min(left, max(share, FIRST_LEVEL_SECONDS))
        relay = _level_progress(progress, first_index + index, count or len(levels))
        result, solution = solve(
            model.model, [level], params.model_copy(update={"time_limit": share}), relay, hint
        )
        results.append(result)
        if not solution:
            if best is None:
                # Nothing to hold the later levels to: they are not attempted.
                results.extend(_not_attempted(later) for later in levels[index + 1 :])
                break
            continue  # this level is left as found; the next starts from the same solution
        best = solution
        hint = None  # the model now holds the level, with this solution as the next warm start
        if index < 2 and planning:
            # Starting cases earlier where there is room keeps the levels held and helps the next.
            model.model.clear_hints()
            improved = compact_starts(model.instance, model.placements(solution))
            if index == 0 and len(levels) > 1:
                improved = _search_waiting(
                    model,
                    level,
                    improved,
                    seconds - (time.perf_counter() - began),
                    shares,
                    params.seed,
                )
            hint = model.hint(improved)
    return best, results


def _search_waiting(
    model: CaseloadModel,
    first: Level,
    plan: dict[int, Placement],
    left: float,
    shares: Sequence[float],
    seed: int,
) -> dict[int, Placement]:
    """Improve the first level's plan by ruin and recreate for SEARCH_SHARE of the second level's
    time (the solver's own search on waiting is slow to get going); if it starts more priority
    weight, the model holds the first level at that instead."""
    seconds = SEARCH_SHARE * left * shares[1] / sum(shares[1:])
    if seconds <= 0:
        return plan
    before = evaluate(model.instance, plan).not_started
    improved = ruin_and_recreate(model.instance, plan, seconds=seconds, seed=seed)
    after = evaluate(model.instance, improved).not_started
    if after < before:
        model.model.add(first.expr() <= after)
    return improved


def _not_attempted(level: Level) -> SolveResult:
    return SolveResult(
        status=Status.UNKNOWN,
        objective=None,
        best_bound=None,
        gap=None,
        wall_time=0.0,
        levels=(
            LevelResult(
                name=level.name,
                status=Status.UNKNOWN,
                objective=None,
                best_bound=None,
                wall_time=0.0,
            ),
        ),
    )


def _changed(part: CaseloadInstance, placements: Mapping[int, Placement]) -> int:
    return sum(
        1
        for c, case in enumerate(part.cases)
        if case.planned is not None and case.fixed is None and placements.get(c) != case.planned
    )


def _solve_part(
    part: CaseloadInstance,
    formulation: str,
    params: SolveParams,
    seconds: float,
    progress: ProgressFn | None,
    *,
    keep: Mapping[int, Placement] | None = None,
    rebalance: bool = False,
    tolerance: float = 0.0,
    proof_seconds: float = 0.0,
) -> tuple[dict[int, Placement], tuple[SolveResult, ...], dict[str, int]]:
    """Solve one part: the four planning levels; on a rebalance, then the fewest changes.

    A rebalance first finds the best plan it can on the planning levels (each held exactly), then,
    on a fresh model where each planning level may be up to `tolerance` worse than that, minimises
    the planned cases moved and then the start weeks shifted. If the fewest moves is not proven, up
    to `proof_seconds` more go to proving it (or finding fewer) by descent. Returns the placements,
    one result per level, and every penalty's value in the final solution.
    """
    began = time.perf_counter()
    count = len(LEVELS) if rebalance else PLANNING_LEVELS
    # On a rebalance the warm start is the current plan with the new cases fitted in around it.
    warm = priority_greedy(part, keep)
    if not rebalance:
        warm = compact_starts(part, warm)
    model, levels = build_caseload_model(part, formulation)
    planning_seconds = seconds * (REBALANCE_PLANNING_SHARE if rebalance else 1.0)
    best, results = _solve_levels(
        model,
        levels,
        PLAN_SHARES,
        params,
        planning_seconds,
        progress,
        warm,
        planning=not rebalance,
        count=count,
    )
    if best is None and not rebalance:
        # No solution in the time: the warm start is a plan that keeps every hard rule.
        return warm, tuple(results), {}
    if best is not None:
        placements = model.placements(best)
        found = [best.value(level.expr()) for level in levels]
    else:
        # Nothing better found in the time: the current plan with the new cases is the best known.
        placements, found = warm, list(evaluate(part, warm).levels)
    if not rebalance:
        assert best is not None
        values = {p.name: best.value(p.expr) for level in levels for p in level.penalties}
        return placements, tuple(results), values
    window, changes = build_caseload_model(part, formulation, rebalance=True)
    for level, value in zip(changes[:PLANNING_LEVELS], found, strict=True):
        window.model.add(level.expr() <= value + int(abs(value) * tolerance))
    # Start the change levels from whichever plan in the window moves fewer planned cases.
    bounds = [value + int(abs(value) * tolerance) for value in found]
    candidates = [placements]
    if all(v <= b for v, b in zip(evaluate(part, warm).levels, bounds, strict=True)):
        candidates.append(warm)
    start = min(candidates, key=lambda p: _changed(part, p))
    left = max(MIN_PART_SECONDS, seconds - (time.perf_counter() - began))
    fewest, shift = changes[PLANNING_LEVELS], changes[PLANNING_LEVELS + 1]
    last, more = _solve_levels(
        window,
        [fewest],
        (1.0,),
        params,
        left * CHANGE_SHARES[0],
        progress,
        start,
        planning=False,
        first_index=PLANNING_LEVELS,
        count=count,
    )
    if last is None:
        results.extend([*more, _not_attempted(shift)])
        return dict(start), tuple(results), {}
    proved = 0.0
    if proof_seconds > 0 and more[0].status != Status.OPTIMAL:
        proof, last = descend(
            window.model,
            fewest,
            last.value(fewest.expr()),
            last,
            params.model_copy(update={"time_limit": proof_seconds}),
        )
        more, proved = [_merged(more[0], proof)], proof.wall_time
    results.extend(more)
    window.model.clear_hints()
    shifted, more = _solve_levels(
        window,
        [shift],
        (1.0,),
        params,
        max(MIN_LEVEL_SECONDS, seconds + proved - (time.perf_counter() - began)),
        progress,
        window.placements(last),
        planning=False,
        first_index=PLANNING_LEVELS + 1,
        count=count,
    )
    results.extend(more)
    last = shifted or last
    values = {p.name: last.value(p.expr) for level in changes for p in level.penalties}
    return window.placements(last), tuple(results), values


def _merged(first: SolveResult, proof: SolveResult) -> SolveResult:
    """A level's minimisation followed by its descent, as one result."""
    bounds = [b for b in (first.best_bound, proof.best_bound) if b is not None]
    level = proof.levels[0].model_copy(
        update={
            "best_bound": max(bounds, default=None),
            "wall_time": first.wall_time + proof.wall_time,
        }
    )
    return proof.model_copy(
        update={
            "best_bound": level.best_bound,
            "gap": relative_gap(level.objective, level.best_bound),
            "wall_time": level.wall_time,
            "levels": (level,),
            "breakdown": first.breakdown,
        }
    )


def first_level_lp_bound(part: CaseloadInstance, seconds: float = 5.0) -> float | None:
    """A lower bound on the first level (priority weight not started) from the LP relaxation of the
    time-indexed formulation, solved by HiGHS; None if the LP is not solved to optimality in time.

    The first level is integer, so the LP optimum is rounded up (after a small tolerance).
    """
    import highspy
    import numpy as np

    # Imported here: the MIP baseline builds on this module.
    from allocator.caseload.engines.highs import _columns, _constants, _Model

    constant = _constants(part)[0]
    cols = _columns(part)
    if not cols.case:
        return float(constant)
    lp = _Model(part, cols)
    h = lp.highs
    every = np.arange(lp.n, dtype=np.int32)
    h.changeColsIntegrality(lp.n, every, np.asarray([highspy.HighsVarType.kContinuous] * lp.n))
    h.changeColsCost(lp.n, every, np.asarray(cols.costs[0], dtype=np.float64))
    h.setOptionValue("time_limit", max(0.05, seconds))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    value = float(h.getInfo().objective_function_value) + constant
    return float(max(0, math.ceil(value - 1e-6)))


def _level_progress(progress: ProgressFn | None, index: int, count: int) -> ProgressFn | None:
    if progress is None:
        return None

    def relay(event: ProgressEvent) -> None:
        progress(replace(event, level_index=index, levels=count))

    return relay


def _solve_parts(
    instance: CaseloadInstance,
    parts: Sequence[CaseloadInstance],
    formulation: str,
    params: SolveParams,
    progress: ProgressFn | None,
    *,
    keep: Mapping[int, Placement] | None = None,
    rebalance: bool = False,
    tolerance: float = 0.0,
    proof_seconds: float = 0.0,
) -> tuple[dict[int, Placement], list[PartSolve]]:
    """Solve each part in turn, sharing the time by size (time a part leaves unused passes on)."""
    start = time.perf_counter()
    placements: dict[int, Placement] = {}
    solved: list[PartSolve] = []
    sizes = [_decided(p) for p in parts]
    remaining = sum(sizes)
    for part, size in zip(parts, sizes, strict=True):
        to_global, part_keep = _localise(instance, part, keep or {})
        part_keep = {c: p for c, p in part_keep.items() if part.cases[c].fixed is None}
        values: dict[str, int] = {}
        lp_bound: float | None = None
        if size == 0:
            local = part_keep
            results: tuple[SolveResult, ...] = ()
        else:
            left = params.time_limit - (time.perf_counter() - start)
            seconds = max(MIN_PART_SECONDS, left * size / remaining)
            if not rebalance:
                # A stronger first-level bound than CP-SAT's own, for the gap; its time is the part's.
                lp_start = time.perf_counter()
                lp_bound = first_level_lp_bound(part, LP_BOUND_SHARE * seconds)
                seconds = max(MIN_PART_SECONDS, seconds - (time.perf_counter() - lp_start))
            label = ", ".join(part.teams)
            local, results, values = _solve_part(
                part,
                formulation,
                params,
                seconds,
                _part_progress(progress, label, start, params.time_limit),
                keep=part_keep,
                rebalance=rebalance,
                tolerance=tolerance,
                proof_seconds=proof_seconds,
            )
            remaining -= size
        errors = placement_errors(part, local)
        if errors:
            raise RuntimeError("the solver broke a hard rule: " + "; ".join(errors[:3]))
        placements.update(_globalise(instance, part, to_global, local))
        solved.append(PartSolve(part.teams, size, results, evaluate(part, local), values, lp_bound))
    return placements, solved


def _keep_parts(
    instance: CaseloadInstance, parts: Sequence[CaseloadInstance], keep: Mapping[int, Placement]
) -> tuple[dict[int, Placement], list[PartSolve]]:
    """Parts no new agreement touches keep their planned placements as they are."""
    placements: dict[int, Placement] = {}
    kept: list[PartSolve] = []
    for part in parts:
        to_global, local = _localise(instance, part, keep)
        placements.update(_globalise(instance, part, to_global, local))
        kept.append(PartSolve(part.teams, 0, (), evaluate(part, local)))
    return placements, kept


def _localise(
    instance: CaseloadInstance, part: CaseloadInstance, placements: Mapping[int, Placement]
) -> tuple[list[int], dict[int, Placement]]:
    """The part's case indices in the instance, and `placements` in the part's own indices."""
    to_global = [instance.case_index[c.case_id] for c in part.cases]
    local = {}
    for i, c in enumerate(to_global):
        placement = placements.get(c)
        if placement is not None:
            person = part.person_index[instance.people[placement.person].person_id]
            local[i] = Placement(person, placement.start)
    return to_global, local


def _globalise(
    instance: CaseloadInstance,
    part: CaseloadInstance,
    to_global: Sequence[int],
    local: Mapping[int, Placement],
) -> dict[int, Placement]:
    return {
        to_global[c]: Placement(instance.person_index[part.people[p.person].person_id], p.start)
        for c, p in local.items()
    }


def _decided(part: CaseloadInstance) -> int:
    return sum(1 for c in part.cases if c.plannable and any(o.starts for o in c.options))


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


def _percentile(values: Sequence[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = share * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _stats(group: str, cases: Sequence[CaseData], waits: Mapping[str, int]) -> WaitStats:
    values = [float(waits[c.case_id]) for c in cases if c.case_id in waits]
    return WaitStats(
        group=group,
        cases=len(cases),
        started=len(values),
        median_wait_weeks=statistics.median(values) if values else None,
        p90_wait_weeks=_percentile(values, 0.9),
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
        p90_wait_weeks=_percentile(values, 0.9),
        mean_wait_all_weeks=statistics.fmean(censored) if censored else None,
        by_district=tuple(_stats(k, v, waits) for k, v in sorted(by_district.items())),
        by_need_type=tuple(_stats(k, v, waits) for k, v in sorted(by_need.items())),
        teams=tuple(teams),
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
        loads=tuple(tuple(row) for row in loads),
    )


# ---------------------------------------------------------------------------------------------
# The planners
# ---------------------------------------------------------------------------------------------


def plan_caseload(
    scenario: Scenario,
    params: SolveParams | None = None,
    *,
    district: str | None = None,
    engine: str = "auto",
    capacity_override: Mapping[str, int] | None = None,
    progress: ProgressFn | None = None,
    today: date | None = None,
) -> CaseloadOutcome:
    """Allocate each team's time to the agreed cases (one district's, with `district`).

    Running and finished support in the scenario's current plan is kept; planned rows are replanned.
    Support of a case whose consent is `no` is withdrawn: stopped on `today` (default: the day it
    runs) if it has begun, else dropped. With `today`, support that started before it counts as
    running and nothing new starts before its week. `engine` is `auto` (the measured winner),
    `time-indexed` or `interval`.
    """
    started = time.perf_counter()
    params = params or SolveParams()
    formulation = _formulation(engine)
    if district is not None:
        scenario = scenario.restrict_to(district)
    instance = build_instance(scenario, capacity_override=capacity_override, today=today)
    placements, parts = _solve_parts(instance, instance.components(), formulation, params, progress)
    return make_outcome(
        scenario,
        instance,
        placements,
        parts,
        formulation,
        started,
        capacity_override=capacity_override,
        today=today,
    )


def with_new_agreements(scenario: Scenario, new_agreements: Iterable[Agreement]) -> Scenario:
    """The scenario with agreements added (checked like any scenario: a clash or unknown school is refused)."""
    new = tuple(new_agreements)
    if not new:
        return scenario
    fields = {name: getattr(scenario, name) for name in type(scenario).model_fields}
    fields["agreements"] = (*scenario.agreements, *new)
    problems = find_problems(Scenario.model_construct(**fields))
    if problems:
        raise ScenarioError(
            [
                p.model_copy(update={"file": "new agreements"}) if p.file == "agreements.csv" else p
                for p in problems
            ]
        )
    return Scenario.model_validate(fields)


def plan_rows(plan: CaseloadPlan) -> list[PlannedSupport]:
    """A plan's assignments as rows of a current plan."""
    return [
        PlannedSupport(
            case_id=a.case_id, person_id=a.person_id, start=a.start, end=a.end, status=a.status
        )
        for a in plan.assignments
    ]


def rebalance(
    scenario: Scenario,
    current: CaseloadPlan,
    new_agreements: Sequence[Agreement] = (),
    params: SolveParams | None = None,
    today: date | None = None,
    *,
    engine: str = "auto",
    capacity_override: Mapping[str, int] | None = None,
    progress: ProgressFn | None = None,
    proof_seconds: float = 0.0,
) -> RebalanceOutcome:
    """Fit new agreements into the current plan, never moving running support.

    Only the planned cases of the people who could take a new agreement are opened up again (with
    the new and the waiting cases); the rest of the plan stays where it is. Among those plans, within
    the rebalance tolerance of the best found on the four planning objectives, it takes the one that
    moves the fewest planned cases, then shifts start weeks least. With no new agreements nothing
    changes. `params.time_limit` bounds the whole call, building, decoding and checking included;
    `proof_seconds` (per part the new agreements touch) may be added to prove the fewest moves, or
    find fewer, where the time limit left it unproven.
    """
    started = time.perf_counter()
    params = params or SolveParams()
    formulation = _formulation(engine)
    known = {a.case_id for a in scenario.agreements}
    unknown = [a.case_id for a in current.assignments if a.case_id not in known]
    if unknown:
        raise ScenarioError(
            [
                Problem(
                    file="current plan",
                    column="case_id",
                    value=case,
                    expected="a case_id of agreements.csv",
                )
                for case in unknown
            ]
        )
    full = with_new_agreements(scenario, new_agreements)
    instance = build_instance(
        full, capacity_override=capacity_override, today=today, current_plan=plan_rows(current)
    )
    keep = {
        c: case.planned
        for c, case in enumerate(instance.cases)
        if case.planned is not None and case.planned.person >= 0
    }
    new_ids = {a.case_id for a in new_agreements}
    parts = instance.components()
    broken = [part for part in parts if _plan_broken(instance, part, keep)]
    affected = [
        part
        for part in parts
        if any(c.case_id in new_ids for c in part.cases) or any(part is b for b in broken)
    ]
    untouched = [part for part in parts if all(part is not a for a in affected)]
    placements, kept_parts = _keep_parts(instance, untouched, keep)
    # Only the planned cases of people who could take a new agreement are opened up again (all of a
    # part's when its plan no longer holds); the rest of the plan is held where it is.
    opened = {
        instance.people[o.person].person_id
        for c in instance.cases
        if c.case_id in new_ids
        for o in c.options
    } | {p.person_id for part in broken for p in part.people}
    local_parts = []
    for part in affected:
        _, planned = _localise(instance, part, keep)
        held = {
            c: placement
            for c, placement in planned.items()
            if part.people[placement.person].person_id not in opened
        }
        local_parts.append(part.holding(held))
        placements.update(
            _globalise(instance, part, [instance.case_index[c.case_id] for c in part.cases], held)
        )
    tolerance = full.settings.caseload.rebalance_tolerance_pct / 100
    # The time limit is for the whole call: what building took is kept back again for decoding,
    # checking and the KPIs after the solve, which cost about as much.
    built = time.perf_counter() - started
    solver_seconds = max(
        MIN_PART_SECONDS,
        REBALANCE_SOLVER_SHARE * params.time_limit - REBALANCE_TAIL_FACTOR * built,
    )
    solved, solved_parts = _solve_parts(
        instance,
        local_parts,
        formulation,
        params.model_copy(update={"time_limit": solver_seconds}),
        progress,
        keep=keep,
        rebalance=True,
        tolerance=tolerance,
        proof_seconds=proof_seconds,
    )
    placements.update(solved)
    outcome = make_outcome(
        full,
        instance,
        placements,
        [*kept_parts, *solved_parts],
        formulation,
        started,
        capacity_override=capacity_override,
        today=today,
        before=current,
    )
    changes = _changes(full, instance, current, outcome.plan, new_ids)
    proven = all(
        len(part.levels) > PLANNING_LEVELS and part.levels[PLANNING_LEVELS].status == Status.OPTIMAL
        for part in solved_parts
        if part.results
    )
    without_consent = {a.case_id for a in full.agreements if not a.consent.plannable}
    moved = sum(1 for c in changes if not c.is_new and c.case_id not in without_consent)
    return RebalanceOutcome(
        outcome=outcome,
        changes=tuple(changes),
        moved=moved,
        proven_minimal=proven,
        resolved_teams=tuple(t for part in affected for t in part.teams),
        opened_people=tuple(sorted(opened)),
    )


def _plan_broken(
    instance: CaseloadInstance, part: CaseloadInstance, keep: Mapping[int, Placement]
) -> bool:
    """Whether a part's planned cases can no longer all stay where they are."""
    if any(c.planned is not None and c.planned.person < 0 for c in part.cases):
        return True
    _, local = _localise(instance, part, keep)
    return bool(placement_errors(part, local))


def _changes(
    scenario: Scenario,
    instance: CaseloadInstance,
    before: CaseloadPlan,
    after: CaseloadPlan,
    new_ids: set[str],
) -> list[Change]:
    """What moved, with a reason a coordinator can pass on to the school."""
    changes: list[Change] = []
    after_by_case = {a.case_id: a for a in after.assignments}
    without_consent = {a.case_id for a in scenario.agreements if not a.consent.plannable}
    for old in before.assignments:
        new = after_by_case.get(old.case_id)
        if old.case_id in without_consent:
            withdrawal = _withdrawal_change(old, new)
            if withdrawal is not None:
                changes.append(withdrawal)
            continue
        if old.status != PlanStatus.PLANNED:
            continue
        if new is not None and new.person_id == old.person_id and new.start == old.start:
            continue
        changes.append(
            Change(
                case_id=old.case_id,
                before_person=old.person_id,
                after_person=new.person_id if new is not None else None,
                before_start=old.start,
                after_start=new.start if new is not None else None,
                reason=_change_reason(old, new, after, new_ids),
            )
        )
    for case_id in sorted(new_ids):
        new = after_by_case.get(case_id)
        waiting = after.waiting_of(case_id)
        reason = (
            f"new agreement: starts on {new.start.isoformat()} with {new.person_id}"
            if new is not None
            else f"new agreement: waits ({waiting.reason if waiting else 'not started'})"
        )
        changes.append(
            Change(
                case_id=case_id,
                after_person=new.person_id if new is not None else None,
                after_start=new.start if new is not None else None,
                reason=reason,
            )
        )
    return changes


def _withdrawal_change(old: Assignment, new: Assignment | None) -> Change | None:
    """What withdrawing consent did to a case's support (None: nothing, e.g. finished support)."""
    if new is None:
        return Change(
            case_id=old.case_id,
            before_person=old.person_id,
            before_start=old.start,
            reason=f"{CONSENT_WITHDRAWN}: the support planned with {old.person_id} is dropped",
        )
    if new.status == PlanStatus.WITHDRAWN and old.status != PlanStatus.WITHDRAWN:
        return Change(
            case_id=old.case_id,
            before_person=old.person_id,
            after_person=new.person_id,
            before_start=old.start,
            after_start=new.start,
            reason=(
                f"{CONSENT_WITHDRAWN}: the support with {new.person_id} stops on "
                f"{new.end.isoformat()} (it was to run to {old.end.isoformat()})"
            ),
        )
    return None


def _change_reason(
    old: Assignment, new: Assignment | None, after: CaseloadPlan, new_ids: set[str]
) -> str:
    newcomers = [
        a
        for a in after.assignments
        if a.case_id in new_ids
        and a.person_id == old.person_id
        and a.start <= old.end
        and a.end >= old.start
    ]
    cause = (
        f"newly agreed support with a higher priority needs {old.person_id}'s time"
        if newcomers
        else "rebalancing the team's time around newly agreed support"
    )
    if new is None:
        return f"{cause}; the case now waits (see unassigned.csv for when it could start)"
    if new.person_id != old.person_id and new.start == old.start:
        return (
            f"{cause}; {new.person_id} takes the case from the same start, {new.start.isoformat()}"
        )
    if new.person_id != old.person_id:
        return (
            f"{cause}; {new.person_id} takes the case, starting {new.start.isoformat()} "
            f"instead of {old.start.isoformat()}"
        )
    direction = "later" if new.start > old.start else "earlier"
    return f"{cause}; the start moves {direction}, from {old.start.isoformat()} to {new.start.isoformat()}"
