"""Rebalance benchmark: many random rebalances, each run three ways on the same plan and the same new
agreements: keeping promises (the product), re-optimising (the rebalance levels without the two promise
levels: how a rebalance worked before), and first-come insertion (the new cases fitted around the plan by
priority, no solve).

    .venv/bin/python -m benchmarks.bench_rebalance [--sizes kent,county:0.5,tight:0.5:1.6] [--rebalances 20]
                                                   [--time-limit 10] [--plan-limit 60] [--most-new 3]
                                                   [--out DIR]

A size `tight:SCALE:DEMAND` is a tight county, `generate_county(SCALE, seed, demand=DEMAND)`.
Each rebalance adds one to `--most-new` agreements for one district (one in four urgent) on a random school
day of the middle of the year, with today that day. Per size and policy it reports the promises broken
(planned cases that start later, with someone else, or not at all), the cases moved earlier, the new
cases started and their priority weight, and the time (median and max), and whether the independent
checker accepts every plan. No timing is asserted anywhere; the machine's load is printed beside the
figures.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from allocator.caseload.data import priority_weight, school_weeks
from allocator.caseload.outcome import CaseloadOutcome
from allocator.caseload.plan import REBALANCE_POLICIES, plan_caseload
from allocator.caseload.rebalance import rebalance
from allocator.model import Agreement, Scenario
from allocator.solve import SolveParams
from allocator.synthetic.generate import generate_county
from benchmarks.bench_caseload import scenario_of

Progress = Callable[[int, int, str], None]
OURS = "promises"


@dataclass(frozen=True)
class Trial:
    """One rebalance under one policy."""

    policy: str
    seconds: float
    broken: int
    earlier: int
    new: int
    started: int
    weight_started: int
    not_started: int
    """Priority weight not started in the year over every case (the first level)."""
    proven: bool
    checked: bool


def scenario_for(size: str, seed: int = 0) -> Scenario:
    """`tight:SCALE:DEMAND` (a tight generated county), or a size of `bench_caseload.scenario_of`."""
    kind, _, rest = size.partition(":")
    if kind != "tight":
        return scenario_of(size, seed)
    scale, _, demand = rest.partition(":")
    if not scale or not demand:
        raise ValueError(f"unknown size {size!r}: expected tight:SCALE:DEMAND")
    return generate_county(float(scale), seed, demand=float(demand))


def new_agreements(
    scenario: Scenario, rng: random.Random, number: int, most: int = 3
) -> list[Agreement]:
    """One to `most` plausible new agreements for one district's schools, agreed the same day."""
    district = rng.choice(scenario.district_names)
    schools = [s for s in scenario.schools if s.district == district]
    weeks = school_weeks(scenario)
    day = weeks[rng.randrange(len(weeks) // 3, 2 * len(weeks) // 3)] + timedelta(
        days=rng.randrange(5)
    )
    needs = ("C&I", "B&L", "BESD", "PSCN", "PD")
    return [
        Agreement.model_validate(
            {
                "case_id": f"BENCH-{number:03d}-{k}",
                "school_urn": rng.choice(schools).urn,
                "need_type": rng.choice(needs),
                "sen_stage": rng.choice(["SEN Support", "EHCP"]),
                "lac": rng.random() < 0.1,
                "consent": "yes",
                "agreed_on": day,
                "minutes_per_week": rng.choice([45, 60, 90]),
                "weeks": rng.randint(6, 16),
                "priority": 1 if rng.random() < 0.25 else rng.randint(2, 3),
            }
        )
        for k in range(rng.randint(1, most))
    ]


def trial(
    scenario: Scenario,
    plan: CaseloadOutcome,
    new: Sequence[Agreement],
    policy: str,
    time_limit: float,
    seed: int,
) -> Trial:
    """One rebalance of `plan` with `new` under `policy`, and what it did."""
    params = SolveParams(time_limit=time_limit, workers=2, seed=seed)
    start = time.perf_counter()
    result = rebalance(scenario, plan.plan, new, params, new[0].agreed_on, policy=policy)
    seconds = time.perf_counter() - start
    schools = scenario.school_by_urn
    settings = scenario.settings.caseload
    started = [a for a in new if result.plan.assignment_of(a.case_id) is not None]
    return Trial(
        policy=policy,
        seconds=seconds,
        broken=result.broken,
        earlier=result.earlier,
        new=len(new),
        started=len(started),
        weight_started=sum(priority_weight(a, schools[a.school_urn], settings) for a in started),
        not_started=result.outcome.objectives.not_started,
        proven=result.proven_minimal,
        checked=result.outcome.check.ok,
    )


def run(
    sizes: Sequence[str] = ("kent",),
    time_limit: float = 10.0,
    smoke: bool = False,
    out: Path | None = None,
    progress: Progress | None = None,
    rebalances: int = 20,
    plan_limit: float = 60.0,
    seed: int = 0,
    most_new: int = 3,
) -> list[dict[str, Any]]:
    """Per size, our policy beside each baseline, in the harness's columns (objective: promises broken)."""
    if smoke:
        sizes, time_limit, plan_limit, rebalances = ("county:0.1",), 2.0, 5.0, 1
    rows: list[dict[str, Any]] = []
    steps = len(sizes) * (1 + rebalances)
    done = 0
    for size in sizes:
        scenario = scenario_for(size, seed)
        if progress is not None:
            progress(done, steps, f"rebalance {size}: plan")
        plan = plan_caseload(scenario, SolveParams(time_limit=plan_limit, workers=2, seed=seed))
        done += 1
        rng = random.Random(seed)
        trials: dict[str, list[Trial]] = {p: [] for p in REBALANCE_POLICIES}
        for number in range(rebalances):
            if progress is not None:
                progress(done, steps, f"rebalance {size}: {number + 1}/{rebalances}")
            new = new_agreements(scenario, rng, number, most_new)
            for policy in REBALANCE_POLICIES:
                trials[policy].append(trial(scenario, plan, new, policy, time_limit, seed))
            done += 1
        ours = trials[OURS]
        # Where first-come insertion starts every new case, it fitted in spare time: no promise
        # needed breaking there.
        spare = [i for i, t in enumerate(trials["insert"]) if t.started == t.new]
        fits = (
            f"where the new cases fit in spare time ({len(spare)} of {rebalances}), "
            f"promises broken: {sum(ours[i].broken for i in spare)}; "
        )
        for baseline in REBALANCE_POLICIES:
            if baseline == OURS:
                continue
            theirs = trials[baseline]
            rows.append(
                {
                    "size": size,
                    "engine": f"rebalance {OURS}",
                    "wall_s": round(statistics.median(t.seconds for t in ours), 3),
                    "objective": sum(t.broken for t in ours),
                    "checked": all(t.checked for t in ours),
                    "baseline": f"rebalance {baseline}",
                    "baseline_objective": sum(t.broken for t in theirs),
                    "baseline_s": round(statistics.median(t.seconds for t in theirs), 3),
                    "baseline_checked": all(t.checked for t in theirs),
                    "note": f"{rebalances} rebalances of 1 to {most_new} new agreements, "
                    f"{time_limit:g} s limit; {fits}"
                    + "; ".join(_summary(t) for t in (ours, theirs)),
                }
            )
        if out is not None:
            _write_trials(out, size, trials)
    if progress is not None:
        progress(steps, steps, "rebalance done")
    return rows


def _summary(trials: Sequence[Trial]) -> str:
    seconds = [t.seconds for t in trials]
    policy = trials[0].policy
    proof = (
        f", fewest broken proven {sum(t.proven for t in trials)}/{len(trials)}"
        if policy == OURS
        else ""
    )
    return (
        f"{policy}: broken {sum(t.broken for t in trials)} "
        f"(max {max(t.broken for t in trials)}), earlier {sum(t.earlier for t in trials)}, "
        f"new started {sum(t.started for t in trials)}/{sum(t.new for t in trials)} "
        f"(weight {sum(t.weight_started for t in trials)}), "
        f"weight not started (all cases) {sum(t.not_started for t in trials)}, "
        f"median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s{proof}"
    )


def _write_trials(out: Path, size: str, trials: dict[str, list[Trial]]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"rebalance-{size.replace(':', '-')}.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["rebalance", *Trial.__dataclass_fields__])
        for found in trials.values():
            for number, t in enumerate(found):
                writer.writerow([number, *(getattr(t, f) for f in Trial.__dataclass_fields__)])


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="kent")
    parser.add_argument("--rebalances", type=int, default=20)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--plan-limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--most-new", type=int, default=3, help="new agreements per rebalance, at most"
    )
    parser.add_argument("--out", type=Path)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args(argv)
    rows = run(
        sizes=tuple(args.sizes.split(",")),
        time_limit=args.time_limit,
        smoke=args.smoke,
        out=args.out,
        rebalances=args.rebalances,
        plan_limit=args.plan_limit,
        seed=args.seed,
        most_new=args.most_new,
    )
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    for row in rows:
        print(f"{row['size']}: {row['engine']} vs {row['baseline']}: {row['note']}")


if __name__ == "__main__":
    main()
