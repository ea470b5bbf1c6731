"""Rota benchmark: time to the proven optimum on Kent and on a generated county three times its size,
beside the naive round-robin rota (group k meets in week k of every half-term), compared on spacing,
position changes, edge weeks and double bookings, all recomputed by the independent checker.

    .venv/bin/python -m benchmarks.bench_rota [--sizes kent,county:3] [--time-limit S] [--workers N]

prints a markdown table to paste into docs/benchmarks.md. `run` also serves the benchmark harness
(`python -m benchmarks --jobs rota`), in its columns. No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from allocator.io import read_scenario
from allocator.model import Scenario
from allocator.model.rota_result import RotaCheck
from allocator.paths import KENT
from allocator.rota.baseline import round_robin_rota
from allocator.rota.check import check_rota
from allocator.rota.plan import plan_rota
from allocator.solve import SolveParams, default_workers
from allocator.synthetic.generate import generate_county

Progress = Callable[[int, int, str], None]
HARD = ("meets_every_half_term", "meeting_days_only", "slot_capacity", "attendees_available")


def scenario_of(size: str, seed: int = 0) -> Scenario:
    """`kent` (the embedded scenario) or `county:S` (lift generate at scale S)."""
    if size == "kent":
        return read_scenario(KENT)
    kind, _, scale = size.partition(":")
    if kind != "county" or not scale:
        raise ValueError(f"unknown size {size!r}: expected kent or county:SCALE")
    return generate_county(scale=float(scale), seed=seed)


def _figures(check: RotaCheck) -> dict[str, int]:
    return {
        "spacing_weeks_off": check.score("even_spacing").violation,
        "short_gap_weeks": check.score("short_gaps").violation,
        "position_changes": check.score("same_position").violation,
        "edge_meetings": check.score("edge_weeks").violation,
        "double_bookings": check.count("no_double_booking"),
        "other_breaches": sum(check.count(rule) for rule in HARD),
    }


def run(
    sizes: Sequence[str] = ("kent", "county:3"),
    time_limit: float = 60.0,
    smoke: bool = False,
    out: Path | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """One row per size: ours (CP-SAT) beside the round-robin rota, in the harness's columns plus the
    rota's own figures (`ours_*` and `naive_*`)."""
    if smoke:
        sizes, time_limit = ("county:0.25",), min(time_limit, 5.0)
    rows: list[dict[str, Any]] = []
    for done, size in enumerate(sizes):
        if progress is not None:
            progress(done, len(sizes), f"rota {size}")
        scenario = scenario_of(size, seed)
        params = SolveParams(time_limit=time_limit, workers=workers or default_workers(), seed=seed)
        start, cpu = time.perf_counter(), time.process_time()
        outcome = plan_rota(scenario, params)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        ours = outcome.check if outcome.rota is not None else None
        start = time.perf_counter()
        naive_rota = round_robin_rota(scenario)
        naive_s = time.perf_counter() - start
        naive = check_rota(scenario, naive_rota)
        row: dict[str, Any] = {
            "size": size,
            "engine": "cp-sat",
            "wall_s": round(wall, 3),
            "cpu_s": round(cpu, 3),
            "task_s": round(sum(c.result.wall_time for c in outcome.components), 3),
            "objective": outcome.objective,
            "bound": outcome.best_bound,
            "gap": None
            if outcome.objective is None or outcome.best_bound is None
            else abs(outcome.objective - outcome.best_bound) / max(1, abs(outcome.objective)),
            "checked": bool(ours and ours.ok and ours.total == outcome.objective),
            "baseline": "round-robin",
            "baseline_objective": naive.total,
            "baseline_s": round(naive_s, 4),
            "baseline_checked": naive.ok,
            "objective_ratio": None
            if outcome.objective is None or not naive.total
            else outcome.objective / naive.total,
            "time_ratio": None if not naive_s else wall / naive_s,
            "note": f"{outcome.status.value}; naive rota breaks {len(naive.breaches)} hard rules",
            "status": outcome.status.value,
            "districts": len(scenario.districts),
            "groups": len(scenario.lift_groups),
            "meetings": len(outcome.rota.meetings) if outcome.rota else 0,
            "components": len(outcome.components),
            "largest_component_s": max((c.result.wall_time for c in outcome.components), default=0),
        }
        for name, value in (_figures(ours) if ours else {}).items():
            row[f"ours_{name}"] = value
        for name, value in _figures(naive).items():
            row[f"naive_{name}"] = value
        rows.append(row)
    if progress is not None:
        progress(len(sizes), len(sizes), "rota done")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "rota.md").write_text(markdown(rows) + "\n")
    return rows


def markdown(rows: Sequence[dict[str, Any]]) -> str:
    """The table for docs/benchmarks.md: ours / round-robin in each comparison column."""
    head = (
        "| size | districts | groups | meetings | components | status | time to optimum (s) "
        "| CPU (s) | largest component (s) | penalty: ours / round-robin | spacing weeks off "
        "| short-gap weeks "
        "| position changes | edge-week meetings | double bookings | other hard-rule breaches |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:

        def pair(name: str, r: dict[str, Any] = r) -> str:
            return f"{r.get('ours_' + name, '-')} / {r.get('naive_' + name, '-')}"

        lines.append(
            f"| {r['size']} | {r['districts']} | {r['groups']} | {r['meetings']} "
            f"| {r['components']} | {r['status']} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} "
            f"| {r['largest_component_s']:.2f} "
            f"| {r['objective']} / {r['baseline_objective']} | {pair('spacing_weeks_off')} "
            f"| {pair('short_gap_weeks')} | {pair('position_changes')} | {pair('edge_meetings')} "
            f"| {pair('double_bookings')} | {pair('other_breaches')} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="kent,county:3", help="comma-separated: kent, county:S")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rows = run(
        sizes=[s.strip() for s in args.sizes.split(",") if s.strip()],
        time_limit=args.time_limit,
        workers=args.workers,
        seed=args.seed,
    )
    load = os.getloadavg()[0]
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"workers {args.workers or default_workers()}, load {load:.1f}, Python {platform.python_version()}"
    )
    print()
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
