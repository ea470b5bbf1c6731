"""The year simulated (issue #16) on Kent: each policy's wall time and whole waits, where the product beats
the way it is done by hand, its distance to the clairvoyant limit, and a staffing variant's effect.

    .venv/bin/python -m benchmarks.bench_simulate [--seed 0] [--rebalance-seconds 2]
        [--clairvoyant-seconds 60] [--workers 2]
        [--variant scenarios/kent/variants/pupils-plus-2.toml] [--variant-seeds 3]
        [--district Swale] [--scenario DIR] [--out DIR]

One seed, the scenario's own requests (requests.csv). Each policy's year runs in this process, one
after the other, its solvers on `--workers` threads, and is timed alone (the goal: under 5 minutes per
policy and seed on 2 cores). Prints markdown: per policy the time and the county's median and
90th-percentile whole wait (school days, request to support starting); per district the three
policies side by side; the districts where `optimised` beats `first-come` (median and 90th percentile
both lower); and the distance to `clairvoyant`. Then the staffing variant: the optimised policy under
the scenario's people and under the variant, for `--variant-seeds` seeds each (pooled: one seed's
time-limited solves move a district's median by a day or two), on a local pool of 2 processes; per
district the change in FTE and in the median, with the check on `--district`. With `--out`, each
part's waits.csv, summary.csv and charts. No timing is asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Mapping
from pathlib import Path

from allocator.io import read_scenario
from allocator.io.simulation_export import write_simulation
from allocator.model import Scenario
from allocator.model.simulation import (
    COUNTY,
    SCENARIO_VARIANT,
    Arrivals,
    Policy,
    SimSummaryRow,
    SimulationResult,
    SimulationSettings,
    SimWait,
)
from allocator.paths import KENT
from allocator.scale.executors import LocalExecutor
from allocator.simulate.arrivals import year_requests
from allocator.simulate.loop import simulate_one
from allocator.simulate.run import PRELOAD, simulate, variant_capacities, variant_fte
from allocator.simulate.summary import beats, summarise

VARIANT = KENT / "variants" / "pupils-plus-2.toml"


def _days(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}".removesuffix(".0")


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def run_year(
    scenario: Scenario,
    policy: Policy,
    variant: str,
    capacity: Mapping[str, int] | None,
    settings: SimulationSettings,
    seed: int,
    workers: int,
) -> tuple[list[SimWait], float]:
    """One year's rows and its wall time."""
    requests = year_requests(scenario, settings.arrivals, seed)
    began = time.perf_counter()
    rows = simulate_one(
        scenario, policy, variant, capacity, seed, settings, requests, workers=workers
    )
    return rows, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rebalance-seconds", type=float, default=2.0)
    parser.add_argument("--clairvoyant-seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--variant", type=Path, default=VARIANT)
    parser.add_argument("--variant-seeds", type=int, default=3)
    parser.add_argument("--district", default="Swale")
    parser.add_argument("--scenario", type=Path, default=KENT)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    scenario = read_scenario(args.scenario)
    settings = SimulationSettings(
        seeds=1,
        arrivals=Arrivals.REQUESTS,
        rebalance_seconds=args.rebalance_seconds,
        clairvoyant_seconds=args.clairvoyant_seconds,
    )
    print(
        f"{scenario.settings.name}, seed {args.seed}, Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"solver workers {args.workers}, rebalance {args.rebalance_seconds} s, clairvoyant "
        f"{args.clairvoyant_seconds} s; load at start {_load()}\n"
    )
    waits: list[SimWait] = []
    seconds: dict[str, float] = {}
    for policy in Policy:
        rows, took = run_year(
            scenario, policy, SCENARIO_VARIANT, None, settings, args.seed, args.workers
        )
        waits += rows
        seconds[policy.value] = took
        print(f"- {policy.value}: {took:.1f} s (load {_load()})", flush=True)
    summary = summarise(waits, variant_fte(scenario, {SCENARIO_VARIANT: None}))
    table = {(r.policy, r.variant, r.district): r for r in summary}
    _policies(table, seconds)
    _districts(scenario, table)
    policies = SimulationResult(
        waits=tuple(waits),
        summary=tuple(summary),
        variants=(SCENARIO_VARIANT,),
        seeds=1,
        seconds=sum(seconds.values()),
    )
    variants = variant_capacities(scenario, [args.variant])
    variant_settings = settings.model_copy(
        update={"policies": (Policy.OPTIMISED,), "seeds": args.variant_seeds}
    )
    print(
        f"\nStaffing variant: the optimised policy, seeds 0 to {args.variant_seeds - 1}, each "
        f"variant, on a local pool of 2 processes (solver workers 1 each)...",
        flush=True,
    )
    with LocalExecutor(2, preload=PRELOAD) as pool:
        staffed = simulate(scenario, variants, variant_settings, executor=pool)
    print(f"{staffed.seconds:.1f} s (load {_load()})")
    _variant(scenario, staffed, args.variant.stem, args.district)
    if args.out is not None:
        for result, folder in ((policies, "policies"), (staffed, "variants")):
            for path in write_simulation(result, args.out / folder):
                print(f"wrote {path}")


Table = dict[tuple[Policy, str, str], SimSummaryRow]


def _policies(table: Table, seconds: dict[str, float]) -> None:
    print(
        "| policy | wall time (s) | agreements | started | median | 90th percentile | over 20 days |"
    )
    print("|---|---|---|---|---|---|---|")
    for policy in Policy:
        row = table[(policy, SCENARIO_VARIANT, COUNTY)]
        over = "-" if row.over_20 is None else f"{100 * row.over_20:.0f} %"
        print(
            f"| {policy.value} | {seconds[policy.value]:.1f} | {row.agreements:,} | {row.started:,} "
            f"| {_days(row.median_days)} | {_days(row.p90_days)} | {over} |"
        )
    ours = table[(Policy.OPTIMISED, SCENARIO_VARIANT, COUNTY)]
    limit = table[(Policy.CLAIRVOYANT, SCENARIO_VARIANT, COUNTY)]
    if None not in (ours.median_days, limit.median_days, ours.p90_days, limit.p90_days):
        assert ours.median_days is not None and limit.median_days is not None
        assert ours.p90_days is not None and limit.p90_days is not None
        print(
            f"\nDistance to the clairvoyant limit (county): median "
            f"{ours.median_days - limit.median_days:+.1f}, 90th percentile "
            f"{ours.p90_days - limit.p90_days:+.1f} school days."
        )


def _districts(scenario: Scenario, table: Table) -> None:
    print("\nMedian / 90th percentile whole wait, school days:\n")
    print("| district | optimised | first-come | clairvoyant | optimised beats first-come |")
    print("|---|---|---|---|---|")
    median = p90 = both = 0
    for district in (*sorted(scenario.district_names), COUNTY):
        cells = []
        for policy in Policy:
            row = table[(policy, SCENARIO_VARIANT, district)]
            cells.append(f"{_days(row.median_days)} / {_days(row.p90_days)}")
        ours = table[(Policy.OPTIMISED, SCENARIO_VARIANT, district)]
        theirs = table[(Policy.FIRST_COME, SCENARIO_VARIANT, district)]
        won = beats(ours, theirs)
        if district != COUNTY:
            both += won
            median += (ours.median_days or 0) < (theirs.median_days or 0)
            p90 += (ours.p90_days or 0) < (theirs.p90_days or 0)
        print(f"| {district} | {' | '.join(cells)} | {'yes' if won else 'no'} |")
    n = len(scenario.district_names)
    print(
        f"\nOptimised beats first-come in {both} of {n} districts on both figures "
        f"(median lower in {median}, 90th percentile lower in {p90})."
    )


def _variant(scenario: Scenario, result: SimulationResult, name: str, district: str) -> None:
    table = {(r.variant, r.district): r for r in result.summary}
    print(
        f"\nStaffing variant {name} against the scenario's people (optimised, all seeds pooled):\n"
    )
    print(
        "| district | FTE | change in FTE | median | change in median | 90th percentile | started |"
    )
    print("|---|---|---|---|---|---|---|")
    agree = changed = 0
    for d in (*sorted(scenario.district_names), COUNTY):
        base, row = table[(SCENARIO_VARIANT, d)], table[(name, d)]
        dm = _gap(row.median_days, base.median_days)
        df = _gap(row.fte, base.fte)
        if d != COUNTY and df is not None and dm is not None and abs(df) >= 0.3:
            changed += 1
            agree += (df > 0 and dm < 0) or (df < 0 and dm > 0)
        print(
            f"| {d} | {_days(row.fte)} | {_signed(df)} | {_days(row.median_days)} | {_signed(dm)} "
            f"| {_days(row.p90_days)} (was {_days(base.p90_days)}) | {row.started} (was "
            f"{base.started}) |"
        )
    print(
        f"\nOf the {changed} districts whose FTE changed by 0.3 or more, {agree} saw their median move "
        "the other way (more FTE, shorter waits; less FTE, longer)."
    )
    base, row = table[(SCENARIO_VARIANT, district)], table[(name, district)]
    dm = _gap(row.median_days, base.median_days)
    verdict = "lower" if dm is not None and dm < 0 else "NOT lower"
    print(
        f"{district}: {_days(base.fte)} -> {_days(row.fte)} FTE; median {_days(base.median_days)} "
        f"-> {_days(row.median_days)} school days: {verdict}."
    )


def _gap(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f}"


if __name__ == "__main__":
    main()
