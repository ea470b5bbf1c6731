"""The caseload planner: build -> solve -> decode, part by part, with CP-SAT.

`plan_caseload` allocates every team's time to the agreed cases. The county splits into independent
parts (`allocator.caseload.parts`: a district team, a county pool, or teams linked by neighbour rules);
each is solved with CP-SAT lexicographically (cases started, waiting, travel, balance; then, on a
rebalance (`allocator.caseload.rebalance`) broken promises second, changes and start shift last),
warm-started from a priority
greedy (`allocator.caseload.search`; on a tight part, where the cases ask for more than its free
minutes, improved first by ruin and recreate, `search_first`), its first level bounded by the LP relaxation of the time-indexed
formulation (`allocator.caseload.timeindexed`); the placements are decoded, scored and checked into a
`CaseloadOutcome` (`allocator.caseload.outcome`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from allocator.caseload.data import build_instance, district_team, evaluate, placement_errors
from allocator.caseload.outcome import CaseloadOutcome, PartSolve, make_outcome
from allocator.caseload.parts import (
    MIN_PART_SECONDS,
    decided_cases,
    globalise,
    localise,
)
from allocator.caseload.search import compact_starts, lp_rounded, priority_greedy, ruin_and_recreate
from allocator.caseload.timeindexed import FirstLevelLp, first_level_lp
from allocator.constraints.caseload import (
    CaseloadModel,
    IntervalModel,
    build_caseload_model,
)
from allocator.instances.caseload import CaseloadInstance, Placement
from allocator.model import Scenario
from allocator.solve import (
    Level,
    LevelResult,
    ProgressEvent,
    ProgressFn,
    Solution,
    SolveParams,
    SolveResult,
    Status,
    TimeShares,
    descend,
    relative_gap,
    solve,
)

AUTO_FORMULATION = IntervalModel.name
"""The formulation `engine="auto"` uses: the one that won the measurements of docs/benchmarks.md."""
ENGINES = ("auto", "time-indexed", "interval")
PLAN_SHARES = (0.25, 0.65, 0.05, 0.05)
"""How a part's time is shared between the planning levels (what a level leaves unused passes on)."""
REBALANCE_SHARES = (0.1, 0.2, 0.1, 0.3, 0.05, 0.05, 0.15, 0.05)
"""How a rebalance's time is shared between its levels: urgent cases started, broken promises, cases
started, waiting, travel, balance, changes, start shift (a proof by descent, if asked for, comes after
the broken promises, with its own time)."""
PROMISE_LEVELS = ("urgent_not_started", "broken_promises")
"""The rebalance levels that keep promises (a `reoptimise` baseline leaves them out)."""
REBALANCE_POLICIES = ("promises", "reoptimise", "insert")
"""How a rebalance treats the current plan: keep its promises (the product), or the baselines."""
MIN_LEVEL_SECONDS = 0.2
"""Each level gets at least this long: the solver needs it to take in the model and the warm start."""
LP_BOUND_SHARE = 0.1
"""At most this share of a part's time goes to the LP relaxation that bounds the first level."""
FIRST_LEVEL_SECONDS = 1.5
"""The first level gets at least this long (if the part has it): time to take in the warm start."""
SEARCH_SHARE = 0.5
"""Share of the second level's time for ruin and recreate (`allocator.caseload.search`) before the
solver: it finds shorter waits faster than the solver's own search does (docs/benchmarks.md)."""
TIGHT_PART = 1.0
"""A part is tight when its cases ask for more than this multiple of its free minutes (`tightness`;
Kent's teams: 0.28 to 0.88). Tight parts take the search-first path of `_solve_part`."""
TIGHT_LP_SHARE = 0.3
"""At most this share of a tight part's time goes to the LP relaxation: its solution, rounded, is
the warm start (`search.lp_rounded`), so it must be solved to optimality."""
SEARCH_FIRST_SHARE = 0.3
"""Share of a tight part's time for ruin and recreate before the solver's first level: on tight
parts it starts more priority weight than CP-SAT or HiGHS in the same time (docs/benchmarks.md)."""


def formulation_for(engine: str) -> str:
    """The CP-SAT formulation an engine name stands for (`auto`: AUTO_FORMULATION)."""
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r}: expected one of {', '.join(ENGINES)}")
    return AUTO_FORMULATION if engine == "auto" else engine


def _part_progress(
    progress: ProgressFn | None,
    label: str,
    start: float,
    total: float,
    placed_before: int = 0,
    to_place: int | None = None,
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
                placed=None if event.placed is None else placed_before + event.placed,
                to_place=to_place if to_place is not None else event.to_place,
            )
        )

    return relay


def started_cases(part: CaseloadInstance, placements: Mapping[int, Placement]) -> int:
    """How many of the part's counted cases `placements` starts (for progress)."""
    return sum(1 for c in placements if part.cases[c].counted)


def _counting(
    progress: ProgressFn | None, part: CaseloadInstance, placed: list[int]
) -> ProgressFn | None:
    """`progress` with each event telling the cases the best plan so far starts (`placed[0]`)."""
    if progress is None:
        return None
    counted = sum(1 for case in part.cases if case.counted)

    def relay(event: ProgressEvent) -> None:
        progress(replace(event, placed=placed[0], to_place=counted))

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
    placed = [started_cases(model.instance, warm_start)]
    progress = _counting(progress, model.instance, placed)
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
        if progress is not None:
            placed[0] = started_cases(model.instance, model.placements(solution))
        hint = None  # the model now holds the level, with this solution as the next warm start
        if index < 2 and planning:
            # Starting cases earlier where there is room keeps the levels held and helps the next.
            model.model.clear_hints()
            improved = compact_starts(model.instance, model.placements(solution))
            if index == 0 and len(levels) > 1:
                improved = search_waiting(
                    model,
                    level,
                    improved,
                    seconds - (time.perf_counter() - began),
                    shares,
                    params.seed,
                )
            hint = model.hint(improved)
    return best, results


def search_waiting(
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
    proof_seconds: float = 0.0,
    policy: str = "promises",
    lp: FirstLevelLp | None = None,
) -> tuple[dict[int, Placement], tuple[SolveResult, ...], dict[str, int]]:
    """Solve one part: the four planning levels, or on a rebalance its eight (`_rebalance_part`).

    A tight part (`tightness` above TIGHT_PART) starts from the better of the priority greedy and
    the rounded LP solution `lp`, improved by ruin and recreate (`search_first`).
    Returns the placements, one result per level, and every penalty's value in the final solution.
    """
    if rebalance:
        return _rebalance_part(
            part, formulation, params, seconds, progress, keep, proof_seconds, policy
        )
    began = time.perf_counter()
    warm = compact_starts(part, priority_greedy(part, keep))
    if tightness(part) > TIGHT_PART:
        if lp is not None and lp.started:
            rounded = lp_rounded(part, lp.started, lp.column)
            if evaluate(part, rounded).levels[:2] < evaluate(part, warm).levels[:2]:
                warm = rounded
        warm = search_first(part, warm, SEARCH_FIRST_SHARE * seconds, params.seed)
        seconds = max(MIN_PART_SECONDS, seconds - (time.perf_counter() - began))
    model, levels = build_caseload_model(part, formulation)
    best, results = _solve_levels(
        model, levels, PLAN_SHARES, params, seconds, progress, warm, planning=True
    )
    if best is None:
        # No solution in the time: the warm start is a plan that keeps every hard rule.
        return warm, tuple(results), {}
    placements = model.placements(best)
    if evaluate(part, placements).not_started > evaluate(part, warm).not_started:
        # Never fewer priority weight started than the warm start.
        return warm, tuple(results), {}
    values = {p.name: best.value(p.expr) for level in levels for p in level.penalties}
    return placements, tuple(results), values


def search_first(
    part: CaseloadInstance, warm: Mapping[int, Placement], seconds: float, seed: int
) -> dict[int, Placement]:
    """A tight part's warm start: ruin and recreate from `warm` for `seconds`, cases started earlier
    where there is room. On tight parts the search starts more priority weight than the solver's
    first level (or HiGHS) in the same time; the solver goes on from its plan."""
    return compact_starts(part, ruin_and_recreate(part, warm, seconds=seconds, seed=seed))


def tightness(part: CaseloadInstance) -> float:
    """How many times its free minutes in the year a part's cases ask for: each case that can
    start, at its cheapest option, its weeks in the year from its earliest start."""
    free = sum(sum(row[: part.horizon]) for row in part.free_capacity)
    asked = 0
    for case in part.cases:
        options = [o for o in case.options if o.starts] if case.plannable else []
        if options:
            first = min(o.starts[0] for o in options)
            asked += min(case.demand(o) for o in options) * part.weeks_in_year(first, case.weeks)
    return asked / free if free > 0 else (float("inf") if asked else 0.0)


def _rebalance_part(
    part: CaseloadInstance,
    formulation: str,
    params: SolveParams,
    seconds: float,
    progress: ProgressFn | None,
    keep: Mapping[int, Placement] | None,
    proof_seconds: float,
    policy: str = "promises",
) -> tuple[dict[int, Placement], tuple[SolveResult, ...], dict[str, int]]:
    """A rebalance of one part: start the most urgent weight, then break the fewest promises (a planned
    case starting later, with someone else, or not at all), then start the most priority weight, then
    waits, travel, balance, and last move and shift the fewest planned cases. So a routine new case
    starts if it fits around the promises, and only an urgent one may break them.

    The warm start is the current plan with the new cases fitted around it, which breaks no promise.
    If the fewest broken promises is not proven in its time, up to `proof_seconds` more go to proving
    it (or finding fewer) by descent.

    The baselines of docs/benchmarks.md are other `policy`s: `reoptimise` (the levels without the
    promises: what a rebalance did before promises were kept) and `insert` (the new cases fitted
    around the current plan by priority, first come first served, with no solve).
    """
    if policy not in REBALANCE_POLICIES:
        raise ValueError(f"policy {policy!r}: expected one of {', '.join(REBALANCE_POLICIES)}")
    began = time.perf_counter()
    warm = priority_greedy(part, keep)
    if policy == "insert":
        return warm, (), {}
    model, levels = build_caseload_model(part, formulation, rebalance=True)
    shares = list(REBALANCE_SHARES)
    if policy == "reoptimise":
        kept = [i for i, level in enumerate(levels) if level.name not in PROMISE_LEVELS]
        levels, shares = [levels[i] for i in kept], [shares[i] for i in kept]
    names = [level.name for level in levels]
    split = names.index("broken_promises") + 1 if "broken_promises" in names else 1
    first_share = sum(shares[:split]) / sum(shares)
    best, results = _solve_levels(
        model,
        levels[:split],
        shares[:split],
        params,
        seconds * first_share,
        progress,
        warm,
        planning=False,
        count=len(levels),
    )
    if best is None:
        results.extend(_not_attempted(later) for later in levels[split:])
        return warm, tuple(results), {}
    proved = 0.0
    promises = levels[split - 1]
    if policy == "promises" and proof_seconds > 0 and results[-1].status != Status.OPTIMAL:
        proof, best = descend(
            model.model,
            promises,
            best.value(promises.expr()),
            best,
            params.model_copy(update={"time_limit": proof_seconds}),
        )
        results[-1], proved = _merged(results[-1], proof), proof.wall_time
    model.model.clear_hints()
    later, more = _solve_levels(
        model,
        levels[split:],
        shares[split:],
        params,
        max(MIN_LEVEL_SECONDS, seconds + proved - (time.perf_counter() - began)),
        progress,
        model.placements(best),
        planning=False,
        first_index=split,
        count=len(levels),
    )
    results.extend(more)
    last = later or best
    values = {p.name: last.value(p.expr) for level in levels for p in level.penalties}
    return model.placements(last), tuple(results), values


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


def _level_progress(progress: ProgressFn | None, index: int, count: int) -> ProgressFn | None:
    if progress is None:
        return None

    def relay(event: ProgressEvent) -> None:
        progress(replace(event, level_index=index, levels=count))

    return relay


def solve_parts(
    instance: CaseloadInstance,
    parts: Sequence[CaseloadInstance],
    formulation: str,
    params: SolveParams,
    progress: ProgressFn | None,
    *,
    keep: Mapping[int, Placement] | None = None,
    rebalance: bool = False,
    proof_seconds: float = 0.0,
    policy: str = "promises",
) -> tuple[dict[int, Placement], list[PartSolve]]:
    """Solve each part in turn, sharing the time by size (time a part leaves unused passes on)."""
    start = time.perf_counter()
    placements: dict[int, Placement] = {}
    solved: list[PartSolve] = []
    sizes = [decided_cases(p) for p in parts]
    shares = TimeShares(params.time_limit, sum(sizes), start, least=MIN_PART_SECONDS)
    to_place = sum(1 for p in parts for case in p.cases if case.counted)
    placed_before = 0
    for part, size in zip(parts, sizes, strict=True):
        part_keep = {
            c: p
            for c, p in localise(instance, part, keep or {}).items()
            if part.cases[c].fixed is None
        }
        values: dict[str, int] = {}
        lp: FirstLevelLp | None = None
        if size == 0:
            local = part_keep
            results: tuple[SolveResult, ...] = ()
        else:
            seconds = shares.seconds(size)
            if not rebalance:
                # A stronger first-level bound than CP-SAT's own, for the gap (and on a tight part
                # a warm start); its time is the part's.
                lp_start = time.perf_counter()
                share = TIGHT_LP_SHARE if tightness(part) > TIGHT_PART else LP_BOUND_SHARE
                lp = first_level_lp(part, share * seconds)
                seconds = max(MIN_PART_SECONDS, seconds - (time.perf_counter() - lp_start))
            label = ", ".join(part.teams)
            local, results, values = _solve_part(
                part,
                formulation,
                params,
                seconds,
                _part_progress(progress, label, start, params.time_limit, placed_before, to_place),
                keep=part_keep,
                rebalance=rebalance,
                proof_seconds=proof_seconds,
                policy=policy,
                lp=lp,
            )
        errors = placement_errors(part, local)
        if errors:
            raise RuntimeError("the solver broke a hard rule: " + "; ".join(errors[:3]))
        placements.update(globalise(instance, part, local))
        placed_before += started_cases(part, local)
        lp_bound = None if lp is None else lp.bound
        solved.append(PartSolve(part.teams, size, results, evaluate(part, local), values, lp_bound))
    return placements, solved


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
    """Allocate each team's time to the agreed cases (with `district`, that district team's own:
    its pool cases stay with the county pools, `district_team`).

    Running and finished support in the scenario's current plan is kept; planned rows are replanned.
    Support of a case whose consent is `no` is withdrawn: stopped on `today` (default: the day it
    runs) if it has begun, else dropped. With `today`, support that started before it counts as
    running and nothing new starts before its week. `engine` is `auto` (the measured winner),
    `time-indexed` or `interval`.
    """
    started = time.perf_counter()
    params = params or SolveParams()
    formulation = formulation_for(engine)
    if district is not None:
        scenario = district_team(scenario, district)
    instance = build_instance(scenario, capacity_override=capacity_override, today=today)
    placements, parts = solve_parts(instance, instance.components(), formulation, params, progress)
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
