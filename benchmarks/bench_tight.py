"""Tight counties: the caseload planner beside the HiGHS MIP and first come, first served, where
demand is well above capacity (issue #15).

    .venv/bin/python -m benchmarks.bench_tight [--scales 0.25,0.5,1.0] [--seeds 0,1,2]
                                               [--demands 1.3,1.6] [--time-limit 60] [--out DIR]

Each instance is `generate_county(scale, seed, demand=demand)` (`lift generate --demand`). On each,
in one run: ours (`plan_caseload`, `engine="auto"`, 2 workers), HiGHS on the time-indexed MIP
(`plan_caseload_highs`), both with the same limit, and first come, first served. One row per
instance and engine: priority weight not started and its bound (the engine's own, and the best of
both solvers'), priority-weighted waiting, mean wait of the cases started, wall time and the
independent checker's verdict. Prints (and with --out writes DIR/caseload-tight.md and .csv) the
table, with the machine, the command and the load. No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from allocator.caseload.data import build_instance
from allocator.caseload.engines.greedy import plan_caseload_greedy
from allocator.caseload.engines.highs import plan_caseload_highs
from allocator.caseload.outcome import CaseloadOutcome
from allocator.caseload.plan import plan_caseload
from allocator.caseload.timeindexed import level_offsets
from allocator.solve import SolveParams
from allocator.synthetic.generate import generate_county
from benchmarks.harness import machine

Progress = Callable[[int, int, str], None]
SCALES = (0.25, 0.5, 1.0)
SEEDS = (0, 1, 2)
DEMANDS = (1.3, 1.6)
OURS, HIGHS, GREEDY = "ours (cp-sat, auto)", "highs mip (time-indexed)", "first come, first served"


def instance_name(scale: float, seed: int, demand: float) -> str:
    """`tight:SCALE:SEED:DEMAND`, the size column."""
    return f"tight:{scale:g}:{seed}:{demand:g}"


def _figures(outcome: CaseloadOutcome) -> dict[str, Any]:
    k = outcome.kpis
    return {
        "wall_s": round(outcome.wall_time, 2),
        "objective": outcome.objectives.not_started,
        "bound": outcome.level_bound(0),
        "waiting": outcome.objectives.waiting,
        "mean_wait_weeks": None if k.mean_wait_weeks is None else round(k.mean_wait_weeks, 3),
        "started": k.started_in_plan,
        "checked": outcome.check.ok,
    }


def measure(
    scale: float, seed: int, demand: float, time_limit: float, workers: int = 2
) -> list[dict[str, Any]]:
    """One instance's rows: ours, HiGHS, first come first served, with the best bound of both solvers."""
    scenario = generate_county(scale, seed, demand=demand)
    params = SolveParams(time_limit=time_limit, workers=workers, seed=0)
    found = {
        OURS: _figures(plan_caseload(scenario, params)),
        HIGHS: _figures(plan_caseload_highs(scenario, params)),
        GREEDY: _figures(plan_caseload_greedy(scenario)),
    }
    bounds = [f["bound"] for f in found.values() if f["bound"] is not None]
    best_bound = max(bounds) if bounds else None
    total = level_offsets(build_instance(scenario))[0]
    rows = []
    for engine, f in found.items():
        highs = found[HIGHS]
        rows.append(
            {
                "size": instance_name(scale, seed, demand),
                "engine": engine,
                **f,
                "best_bound": best_bound,
                "gap": _gap(f["objective"], best_bound, total),
                "unproven_share": None
                if best_bound is None
                else round((f["objective"] - best_bound) / max(1, f["objective"]), 4),
                "weight_total": total,
                "agreements": len(scenario.agreements),
                "baseline": HIGHS if engine == OURS else None,
                "baseline_objective": highs["objective"] if engine == OURS else None,
                "baseline_s": highs["wall_s"] if engine == OURS else None,
                "baseline_checked": highs["checked"] if engine == OURS else None,
                "objective_ratio": _ratio(f["objective"], highs["objective"])
                if engine == OURS
                else None,
                "time_ratio": _ratio(f["wall_s"], highs["wall_s"]) if engine == OURS else None,
                "note": f"{len(scenario.agreements)} agreements; demand {demand:g}; "
                f"waiting {f['waiting']}; mean wait {_num(f['mean_wait_weeks'])} weeks",
            }
        )
    return rows


def _gap(found: int, bound: float | None, total: int) -> float | None:
    """The gap on priority weight started, as in docs/benchmarks.md: (best possible - found) / best
    possible, the best possible being the total weight less the bound (None without a bound)."""
    if bound is None:
        return None
    return round((found - bound) / max(1.0, total - bound), 5)


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else round(a / b, 3)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def run(
    time_limit: float = 60.0,
    smoke: bool = False,
    out: Path | None = None,
    progress: Progress | None = None,
    scales: Sequence[float] = SCALES,
    seeds: Sequence[int] = SEEDS,
    demands: Sequence[float] = DEMANDS,
) -> list[dict[str, Any]]:
    """Rows for every (scale, seed, demand), in the harness's columns plus the table's own."""
    if smoke:
        scales, seeds, demands, time_limit = (0.1,), (0,), (1.3,), min(time_limit, 1.0)
    instances = [(sc, se, d) for sc in scales for d in demands for se in seeds]
    rows: list[dict[str, Any]] = []
    for index, (scale, seed, demand) in enumerate(instances):
        if progress is not None:
            progress(index, len(instances), instance_name(scale, seed, demand))
        rows += measure(scale, seed, demand, time_limit)
    if progress is not None:
        progress(len(instances), len(instances), "tight done")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "caseload-tight.md").write_text(markdown(rows) + "\n")
        with (out / "caseload-tight.csv").open("w", newline="") as handle:
            writer = csv.DictWriter(
                handle, fieldnames=list(dict.fromkeys(k for r in rows for k in r))
            )
            writer.writeheader()
            writer.writerows(rows)
    return rows


def markdown(rows: Sequence[dict[str, Any]]) -> str:
    """The table for docs/benchmarks.md, with the verdict per instance (ours against HiGHS)."""
    head = (
        "| instance | agreements | engine | weight not started | its bound | best bound "
        "| gap, weight started | weighted waiting | mean wait started (weeks) | time (s) | checked |"
    )
    lines = [head, "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        gap = "-" if r["gap"] is None else f"{r['gap']:.2%}"
        lines.append(
            f"| {r['size']} | {r['agreements']} | {r['engine']} | {r['objective']} "
            f"| {_bound(r['bound'])} | {_bound(r['best_bound'])} | {gap} | {r['waiting']} "
            f"| {_num(r['mean_wait_weeks'])} | {r['wall_s']} | {r['checked']} |"
        )
    verdicts = []
    for r in rows:
        if r["engine"] != OURS:
            continue
        theirs = r["baseline_objective"]
        if r["objective"] < theirs:
            verdict = "less weight unstarted than HiGHS"
        elif r["objective"] > theirs:
            verdict = "MORE weight unstarted than HiGHS"
        else:
            highs = next(x for x in rows if x["size"] == r["size"] and x["engine"] == HIGHS)
            verdict = "same weight as HiGHS, " + (
                "no more waiting" if r["waiting"] <= highs["waiting"] else "MORE waiting"
            )
        verdicts.append(f"- {r['size']}: ours {r['objective']}, HiGHS {theirs}: {verdict}")
    return "\n".join([*lines, "", *verdicts])


def _bound(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scales", default=",".join(f"{s:g}" for s in SCALES))
    parser.add_argument("--seeds", default=",".join(str(s) for s in SEEDS))
    parser.add_argument("--demands", default=",".join(f"{d:g}" for d in DEMANDS))
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args(argv)
    print(f"Machine: {machine()}")
    print(
        "Command: "
        + " ".join(
            [Path(sys.executable).name, "-m", "benchmarks.bench_tight", *(argv or sys.argv[1:])]
        )
    )
    print(f"Load at start (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rows = run(
        time_limit=args.time_limit,
        smoke=args.smoke,
        out=args.out,
        scales=tuple(float(s) for s in args.scales.split(",")),
        seeds=tuple(int(s) for s in args.seeds.split(",")),
        demands=tuple(float(d) for d in args.demands.split(",")),
    )
    print(markdown(rows))
    print(f"Load at end (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
