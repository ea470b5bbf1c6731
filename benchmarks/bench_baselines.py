"""Caseload baselines for the caseload benchmark: first come, first served, and the HiGHS MIP.

`run_greedy(x)` and `run_highs(x, time_limit=...)` take a `Scenario` (planned, decoded and checked by
the independent checker) or a `CaseloadInstance` (scored with `evaluate` only) and return one dict
row each, with the same keys, for `benchmarks/bench_caseload.py` to put beside CP-SAT's rows.

    .venv/bin/python -m benchmarks.bench_baselines [--scenario DIR] [--time-limit S] [--levels N]

prints the rows as a markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from allocator.caseload.data import evaluate, placement_errors
from allocator.caseload.engines.greedy import plan_caseload_greedy
from allocator.caseload.engines.highs import plan_caseload_highs, solve_caseload_highs
from allocator.caseload.outcome import CaseloadOutcome
from allocator.caseload.search import first_come_first_served
from allocator.instances.caseload import CaseloadInstance, Placement
from allocator.io import read_scenario
from allocator.model import Scenario
from allocator.solve import SolveParams, Status

COLUMNS = (
    "engine",
    "seconds",
    "cases",
    "counted",
    "started",
    "started_weight",
    "not_started",
    "waiting",
    "travel",
    "balance",
    "mean_wait_weeks",
    "not_started_bound",
    "gap",
    "status",
    "checked",
)


def run_greedy(subject: Scenario | CaseloadInstance) -> dict[str, Any]:
    """The first-come-first-served plan's row (`checked`: the independent checker's verdict)."""
    if isinstance(subject, Scenario):
        return _outcome_row(plan_caseload_greedy(subject))
    start = time.perf_counter()
    placements = first_come_first_served(subject)
    return _instance_row(subject, placements, "greedy", time.perf_counter() - start, None, None)


def run_highs(
    subject: Scenario | CaseloadInstance, time_limit: float = 60.0, levels: int = 4
) -> dict[str, Any]:
    """The HiGHS lexicographic MIP's row, with its bound on priority-weighted cases not started."""
    if isinstance(subject, Scenario):
        params = SolveParams(time_limit=time_limit)
        return _outcome_row(plan_caseload_highs(subject, params, levels=levels))
    start = time.perf_counter()
    placements, parts = solve_caseload_highs(subject, time_limit, levels=levels)
    bound: float | None = 0.0
    optimal = True
    for part in parts:
        if not part.results:
            exact = part.objectives.not_started if part.objectives else 0
            bound = None if bound is None else bound + exact
            continue
        first = part.results[0].levels[0]
        optimal = optimal and all(r.proven_optimal for r in part.results)
        bound = None if bound is None or first.best_bound is None else bound + first.best_bound
    status = Status.OPTIMAL if optimal else Status.FEASIBLE
    seconds = time.perf_counter() - start
    return _instance_row(subject, placements, "highs", seconds, bound, status)


def _instance_row(
    instance: CaseloadInstance,
    placements: Mapping[int, Placement],
    engine: str,
    seconds: float,
    bound: float | None,
    status: Status | None,
) -> dict[str, Any]:
    objectives = evaluate(instance, placements)
    counted = [c for c in instance.cases if c.counted]
    total = sum(c.weight for c in counted)
    waits = [p.start - instance.cases[c].agreed_week for c, p in placements.items()]
    return {
        "engine": engine,
        "seconds": round(seconds, 2),
        "cases": len(instance.cases),
        "counted": len(counted),
        "started": len(placements),
        "started_weight": total - objectives.not_started,
        "not_started": objectives.not_started,
        "waiting": objectives.waiting,
        "travel": objectives.travel + objectives.neighbour,
        "balance": objectives.balance,
        "mean_wait_weeks": round(statistics.fmean(waits), 3) if waits else None,
        "not_started_bound": None if bound is None else round(bound, 2),
        "gap": _gap(total, objectives.not_started, bound),
        "status": (status or Status.FEASIBLE).value,
        "checked": not placement_errors(instance, placements),
    }


def _outcome_row(outcome: CaseloadOutcome) -> dict[str, Any]:
    o = outcome.objectives
    counted = [c for c in outcome.instance.cases if c.counted]
    total = sum(c.weight for c in counted)
    bound = outcome.level_bound(0)
    status = Status.OPTIMAL if outcome.engine != "greedy" and outcome.proven_optimal else None
    mean_wait = outcome.kpis.mean_wait_weeks
    return {
        "engine": outcome.engine,
        "seconds": round(outcome.wall_time, 2),
        "cases": len(outcome.instance.cases),
        "counted": len(counted),
        "started": outcome.kpis.started_in_plan,
        "started_weight": outcome.started_weight,
        "not_started": o.not_started,
        "waiting": o.waiting,
        "travel": o.travel + o.neighbour,
        "balance": o.balance,
        "mean_wait_weeks": None if mean_wait is None else round(mean_wait, 3),
        "not_started_bound": None if bound is None else round(bound, 2),
        "gap": _gap(total, o.not_started, bound),
        "status": (status or Status.FEASIBLE).value,
        "checked": outcome.check.ok,
    }


def _gap(total: int, not_started: int, bound: float | None) -> float | None:
    """Relative gap on priority-weighted cases started: (best possible - found) / best possible."""
    if bound is None:
        return None
    best = total - bound
    return round((best - (total - not_started)) / best, 5) if best > 0 else 0.0


def markdown(rows: Sequence[dict[str, Any]]) -> str:
    """The rows as a markdown table."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        cells = ["-" if row[c] is None else str(row[c]) for c in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: both baselines on a scenario folder (default: the embedded Kent scenario)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=Path("scenarios/kent"))
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--levels", type=int, default=4)
    args = parser.parse_args(argv)
    scenario = read_scenario(args.scenario)
    rows = [run_greedy(scenario), run_highs(scenario, args.time_limit, args.levels)]
    print(markdown(rows))


if __name__ == "__main__":
    main()
