"""Caseload benchmark: the two CP-SAT formulations beside first-come-first-served and the HiGHS MIP,
on the same instances in the same run, and the time a rebalance after one new agreement takes.

    .venv/bin/python -m benchmarks.bench_caseload [--sizes kent,county:0.5] [--time-limit 60]
                                                  [--rebalances 5] [--rebalance-limit 2]
                                                  [--prove-for 0,60] [--out DIR]

prints (and with --out writes DIR/caseload.md and DIR/caseload.csv) one row per size and engine:
cases started, priority-weighted cases not started and its proved bound, the gap on priority-weighted
cases started, the waiting objective and its bound, mean / median / 90th-percentile waits, travel,
balance, and whether the independent checker accepts the plan and agrees with the solver's values.
No timing is asserted anywhere; the machine's load is printed beside the figures.
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

from allocator.caseload.data import school_weeks
from allocator.caseload.outcome import CaseloadOutcome
from allocator.caseload.plan import plan_caseload
from allocator.caseload.rebalance import rebalance
from allocator.io import read_scenario
from allocator.model import Agreement, Scenario
from allocator.paths import KENT
from allocator.solve import SolveParams
from allocator.synthetic.generate import generate_county

Progress = Callable[[int, int, str], None]
FORMULATIONS = ("interval", "time-indexed")
COLUMNS = (
    "size",
    "engine",
    "wall_s",
    "objective",
    "bound",
    "gap",
    "checked",
    "baseline",
    "baseline_objective",
    "baseline_s",
    "baseline_checked",
    "objective_ratio",
    "time_ratio",
    "note",
)


def scenario_of(size: str, seed: int = 0) -> Scenario:
    """`kent` (the embedded scenario) or `county:S` (the generator at scale S)."""
    if size == "kent":
        return read_scenario(KENT)
    kind, _, scale = size.partition(":")
    if kind != "county" or not scale:
        raise ValueError(f"unknown size {size!r}: expected kent or county:SCALE")
    return generate_county(scale=float(scale), seed=seed)


@dataclass(frozen=True)
class Figures:
    """What a plan achieved, engine-neutral."""

    engine: str
    seconds: float
    started: int
    not_started: int
    not_started_bound: float | None
    waiting: int
    waiting_bound: float | None
    travel: int
    balance: int
    mean_wait: float | None
    mean_wait_all: float | None
    median_wait: float | None
    p90_wait: float | None
    gap: float | None
    checked: bool
    agrees: bool | None


def figures(outcome: CaseloadOutcome, engine: str) -> Figures:
    """The figures of a plan, with the checker's verdict (and, for CP-SAT, its agreement)."""
    o, k, check = outcome.objectives, outcome.kpis, outcome.check
    agrees = None
    values = outcome.solver_values()
    if engine.startswith("cp-sat") and values:
        agrees = (
            values.get("not_started"),
            values.get("waiting"),
            values.get("travel", 0) + values.get("neighbour", 0),
            values.get("balance"),
        ) == (check.not_started, check.waiting, check.travel + check.neighbour, check.balance)
    return Figures(
        engine=engine,
        seconds=round(outcome.wall_time, 2),
        started=k.started_in_plan,
        not_started=o.not_started,
        not_started_bound=outcome.level_bound(0),
        waiting=o.waiting,
        waiting_bound=outcome.level_bound(1),
        travel=o.travel + o.neighbour,
        balance=o.balance,
        mean_wait=k.mean_wait_weeks,
        mean_wait_all=k.mean_wait_all_weeks,
        median_wait=k.median_wait_weeks,
        p90_wait=k.p90_wait_weeks,
        gap=outcome.gap,
        checked=check.ok,
        agrees=agrees,
    )


def _baselines(scenario: Scenario, time_limit: float) -> list[Figures]:
    """First come, first served, and the HiGHS MIP, where the baselines engineer's modules exist."""
    found: list[Figures] = []
    try:
        from allocator.caseload.engines.greedy import plan_caseload_greedy
    except ImportError:
        pass
    else:
        found.append(figures(plan_caseload_greedy(scenario), "greedy (first come, first served)"))
    try:
        from allocator.caseload.engines.highs import plan_caseload_highs
    except ImportError:
        pass
    else:
        params = SolveParams(time_limit=time_limit, workers=2, seed=0)
        found.append(figures(plan_caseload_highs(scenario, params), "highs mip (time-indexed)"))
    return found


def new_agreement(scenario: Scenario, rng: random.Random, number: int) -> Agreement:
    """A plausible new agreement at a random school, agreed on a school day mid-year."""
    school = rng.choice(scenario.schools)
    weeks = school_weeks(scenario)
    day = weeks[rng.randrange(len(weeks) // 3, 2 * len(weeks) // 3)] + timedelta(
        days=rng.randrange(5)
    )
    needs = ("C&I", "B&L", "BESD", "PSCN", "PD", "HI", "VI")
    return Agreement.model_validate(
        {
            "case_id": f"BENCH-{number:04d}",
            "school_urn": school.urn,
            "need_type": rng.choice(needs),
            "sen_stage": rng.choice(["SEN Support", "EHCP"]),
            "lac": rng.random() < 0.1,
            "consent": "yes",
            "agreed_on": day,
            "minutes_per_week": rng.choice([45, 60, 90]),
            "weeks": rng.randint(6, 16),
            "priority": rng.randint(1, 3),
        }
    )


def rebalance_times(
    scenario: Scenario,
    outcome: CaseloadOutcome,
    count: int,
    time_limit: float,
    seed: int = 0,
    proof_seconds: float = 0.0,
) -> list[dict[str, Any]]:
    """`count` rebalances, each adding one new agreement to the plan on its agreement date (with up
    to `proof_seconds` more to prove the fewest moves)."""
    rng = random.Random(seed)
    rows = []
    for number in range(count):
        new = new_agreement(scenario, rng, number)
        params = SolveParams(time_limit=time_limit, workers=2, seed=seed)
        start = time.perf_counter()
        result = rebalance(
            scenario,
            outcome.plan,
            [new],
            params,
            today=new.agreed_on,
            proof_seconds=proof_seconds,
        )
        rows.append(
            {
                "seconds": time.perf_counter() - start,
                "moved": result.moved,
                "proven": result.proven_minimal,
                "started": result.plan.assignment_of(new.case_id) is not None,
                "checked": result.outcome.check.ok,
                "teams": ",".join(result.resolved_teams),
            }
        )
    return rows


def run(
    sizes: Sequence[str] = ("kent",),
    time_limit: float = 60.0,
    smoke: bool = False,
    out: Path | None = None,
    progress: Progress | None = None,
    rebalances: int = 5,
    rebalance_limit: float = 2.0,
    seed: int = 0,
    proofs: Sequence[float] = (0.0,),
) -> list[dict[str, Any]]:
    """One row per size and engine, in the harness's columns plus the caseload's own figures.

    Each CP-SAT row's baseline is first come, first served; the objective is priority-weighted cases
    not started (level 1), the bound its proved bound, and the gap the relative gap on
    priority-weighted cases started. The last rows per size time `rebalances` rebalances of one new
    agreement each, once per proof budget (seconds beyond the limit,
    `rebalance(proof_seconds=...)`) in `proofs` (benchmarks/bench_rebalance.py compares policies).
    """
    if smoke:
        sizes, time_limit, rebalances = ("county:0.1",), min(time_limit, 5.0), 1
    rows: list[dict[str, Any]] = []
    steps = len(sizes) * (len(FORMULATIONS) + 2)
    done = 0

    def tick(what: str) -> None:
        nonlocal done
        if progress is not None:
            progress(done, steps, what)
        done += 1

    for size in sizes:
        scenario = scenario_of(size, seed)
        tick(f"caseload {size}: baselines")
        baselines = _baselines(scenario, time_limit)
        greedy = baselines[0] if baselines else None
        outcomes: dict[str, CaseloadOutcome] = {}
        for formulation in FORMULATIONS:
            tick(f"caseload {size}: cp-sat {formulation}")
            params = SolveParams(time_limit=time_limit, workers=2, seed=seed)
            outcomes[formulation] = plan_caseload(scenario, params, engine=formulation)
        measured = [figures(o, f"cp-sat {f}") for f, o in outcomes.items()] + baselines
        for f in measured:
            rows.append(_row(size, f, greedy))
        tick(f"caseload {size}: rebalance")
        best = min(outcomes.values(), key=lambda o: o.objectives.levels)
        for proof in proofs if rebalances else ():
            times = rebalance_times(scenario, best, rebalances, rebalance_limit, seed, proof)
            seconds = [t["seconds"] for t in times]
            budget = f", proof up to {proof:g} s" if proof else ""
            rows.append(
                {
                    "size": size,
                    "engine": f"cp-sat rebalance ({best.engine}{budget})",
                    "wall_s": round(statistics.median(seconds), 3),
                    "objective": sum(t["moved"] for t in times),
                    "checked": all(t["checked"] for t in times),
                    "note": f"{len(times)} rebalances of one new agreement, {rebalance_limit:g} s "
                    f"limit{budget}: median {statistics.median(seconds):.2f} s, "
                    f"max {max(seconds):.2f} s; "
                    f"moved {[t['moved'] for t in times]}; "
                    f"fewest broken promises proven {sum(t['proven'] for t in times)}/{len(times)}; "
                    f"new case started {sum(t['started'] for t in times)}/{len(times)}",
                    "rebalance_max_s": round(max(seconds), 3),
                }
            )
    if progress is not None:
        progress(steps, steps, "caseload done")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "caseload.md").write_text(markdown(rows) + "\n")
        with (out / "caseload.csv").open("w", newline="") as handle:
            names = list(dict.fromkeys(k for r in rows for k in r))
            writer = csv.DictWriter(handle, fieldnames=names)
            writer.writeheader()
            writer.writerows(rows)
    return rows


def _row(size: str, f: Figures, greedy: Figures | None) -> dict[str, Any]:
    def ratio(a: float | None, b: float | None) -> float | None:
        return None if a is None or not b else round(a / b, 3)

    return {
        "size": size,
        "engine": f.engine,
        "wall_s": f.seconds,
        "objective": f.not_started,
        "bound": f.not_started_bound,
        "gap": None if f.gap is None else round(f.gap, 5),
        "checked": f.checked and f.agrees is not False,
        "baseline": greedy.engine if greedy else None,
        "baseline_objective": greedy.not_started if greedy else None,
        "baseline_s": greedy.seconds if greedy else None,
        "baseline_checked": greedy.checked if greedy else None,
        "objective_ratio": ratio(f.not_started, greedy.not_started if greedy else None),
        "time_ratio": ratio(f.seconds, greedy.seconds if greedy else None),
        "note": f"started {f.started}; mean wait {_num(f.mean_wait)} weeks",
        "started": f.started,
        "waiting": f.waiting,
        "waiting_bound": f.waiting_bound,
        "travel": f.travel,
        "balance": f.balance,
        "mean_wait_weeks": None if f.mean_wait is None else round(f.mean_wait, 3),
        "mean_wait_all_weeks": None if f.mean_wait_all is None else round(f.mean_wait_all, 3),
        "median_wait_weeks": f.median_wait,
        "p90_wait_weeks": f.p90_wait,
        "solver_agrees_with_checker": f.agrees,
    }


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def markdown(rows: Sequence[dict[str, Any]]) -> str:
    """The table for docs/benchmarks.md."""
    head = (
        "| size | engine | time (s) | started | weighted not started (bound) | gap, weighted started "
        "| waiting objective (bound) | mean / median / p90 wait (weeks) "
        "| mean wait, not started to year end | travel (min) | balance | checked |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        if "rebalance" in r["engine"]:
            lines.append(
                f"| {r['size']} | {r['engine']} | {r['wall_s']} (median) | | | | | | | | "
                f"| {r['checked']} |"
            )
            continue
        bound = "-" if r.get("bound") is None else f"{r['bound']:g}"
        wbound = "-" if r.get("waiting_bound") is None else f"{r['waiting_bound']:g}"
        gap = "-" if r.get("gap") is None else f"{r['gap']:.2%}"
        waits = " / ".join(
            _num(r.get(k)) for k in ("mean_wait_weeks", "median_wait_weeks", "p90_wait_weeks")
        )
        lines.append(
            f"| {r['size']} | {r['engine']} | {r['wall_s']} | {r['started']} "
            f"| {r['objective']} ({bound}) | {gap} | {r['waiting']} ({wbound}) | {waits} "
            f"| {_num(r.get('mean_wait_all_weeks'))} | {r['travel']} | {r['balance']} "
            f"| {r['checked']} |"
        )
    notes = [
        f"- {r['size']} {r['engine']}: {r['note']}" for r in rows if "rebalance" in r["engine"]
    ]
    return "\n".join([*lines, "", *notes])


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="kent")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--rebalances", type=int, default=5)
    parser.add_argument("--rebalance-limit", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--prove-for", default="0", help="rebalance proof budgets, seconds beyond the limit"
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
        rebalance_limit=args.rebalance_limit,
        seed=args.seed,
        proofs=tuple(float(t) for t in args.prove_for.split(",")),
    )
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    )
    print(markdown(rows))


if __name__ == "__main__":
    main()
