"""Agenda benchmark: the planned agenda beside first come, first served, on the same requests and the
same rota, in one run: Kent's synthetic requests and generated counties with theirs.

    .venv/bin/python -m benchmarks.bench_agenda [--sizes kent,county:1] [--time-limit 30]
                                                [--rota-limit 60] [--seed 1] [--out DIR]

Per size it plans the year's rota (round-robin should the rota find none in its time), then the agenda
(`plan_agenda`, which runs first come first served beside it, both checked by the independent checker),
and reports for each: requests placed, on the county route and unplaced, the priority weight left
unplaced, the priority-weighted school days to meeting (the objective), the mean school days to meeting
of urgent or looked-after requests and of routine ones, and the time. Prints a markdown table; `run`
also serves the benchmark harness (`python -m benchmarks --jobs agenda`). No timing is asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import fmean
from typing import Any

from allocator.agenda.baseline import first_come
from allocator.agenda.data import build_agenda_data
from allocator.agenda.outcome import make_agenda
from allocator.agenda.plan import plan_agenda
from allocator.io import read_scenario
from allocator.model import Scenario
from allocator.model.agenda_result import Agenda, AgendaCheck
from allocator.model.rota_result import Rota
from allocator.paths import KENT
from allocator.rota.baseline import round_robin_rota
from allocator.rota.plan import plan_rota
from allocator.solve import SolveParams
from allocator.synthetic.generate import generate_county

Progress = Callable[[int, int, str], None]


def scenario_of(size: str, seed: int = 0) -> Scenario:
    """`kent` (the embedded scenario, with its requests) or `county:S` (generated with requests)."""
    if size == "kent":
        return read_scenario(KENT)
    kind, _, scale = size.partition(":")
    if kind != "county" or not scale:
        raise ValueError(f"unknown size {size!r}: expected kent or county:SCALE")
    return generate_county(scale=float(scale), seed=seed, requests=True)


@dataclass(frozen=True)
class Side:
    """One agenda's figures (the planner's or first come first served's)."""

    placed: int
    county: int
    unplaced: int
    unplaced_weight: int
    weighted_days: int
    mean_days_priority: float | None
    """Mean school days to meeting of urgent or looked-after requests."""
    mean_days_routine: float | None
    seconds: float
    checked: bool


def side(scenario: Scenario, agenda: Agenda, check: AgendaCheck, seconds: float) -> Side:
    """The figures of an agenda, from the checker's recomputed score."""
    lac = {r.request_id for r in scenario.requests if r.lac}
    placed = agenda.at_meetings()
    first = [i.school_days_to_meeting for i in placed if i.urgent or i.request_id in lac]
    routine = [i.school_days_to_meeting for i in placed if not (i.urgent or i.request_id in lac)]
    return Side(
        placed=len(placed),
        county=len(agenda.items) - len(placed),
        unplaced=sum(1 for u in agenda.unplaced if u.kind != "no_consent"),
        unplaced_weight=check.score.unplaced,
        weighted_days=check.score.days_to_meeting,
        mean_days_priority=fmean(first) if first else None,
        mean_days_routine=fmean(routine) if routine else None,
        seconds=round(seconds, 3),
        checked=check.ok,
    )


def _rota(scenario: Scenario, limit: float, seed: int) -> tuple[Rota, str]:
    outcome = plan_rota(scenario, SolveParams(time_limit=limit, workers=2, seed=seed))
    if outcome.rota is not None:
        return outcome.rota, f"planned rota ({outcome.status.value})"
    return round_robin_rota(scenario), "round-robin rota (none planned in time)"


def run(
    sizes: Sequence[str] = ("kent", "county:1"),
    time_limit: float = 30.0,
    smoke: bool = False,
    out: Path | None = None,
    progress: Progress | None = None,
    rota_limit: float = 60.0,
    seed: int = 1,
) -> list[dict[str, Any]]:
    """Per size, the planned agenda beside first come first served, in the harness's columns plus
    both sides' figures (`ours_*`, `fcfs_*`)."""
    if smoke:
        sizes, time_limit, rota_limit = ("county:0.1",), min(time_limit, 5.0), 10.0
    rows: list[dict[str, Any]] = []
    for done, size in enumerate(sizes):
        if progress is not None:
            progress(done, len(sizes), f"agenda {size}")
        scenario = scenario_of(size, seed)
        rota, rota_note = _rota(scenario, rota_limit, seed)
        began = time.perf_counter()
        data = build_agenda_data(scenario, rota)
        baseline = make_agenda(data, first_come(data))
        fcfs_s = time.perf_counter() - began
        outcome = plan_agenda(
            scenario, rota, params=SolveParams(time_limit=time_limit, workers=2, seed=seed)
        )
        ours = side(scenario, outcome.agenda, outcome.check, outcome.wall_time)
        theirs = side(scenario, baseline, outcome.baseline_check, fcfs_s)
        row: dict[str, Any] = {
            "size": size,
            "engine": "cp-sat",
            "wall_s": ours.seconds,
            "objective": ours.weighted_days,
            "checked": ours.checked and outcome.check.score == outcome.score,
            "baseline": "first-come",
            "baseline_objective": theirs.weighted_days,
            "baseline_s": theirs.seconds,
            "baseline_checked": theirs.checked,
            "objective_ratio": ours.weighted_days / theirs.weighted_days
            if theirs.weighted_days
            else None,
            "time_ratio": ours.seconds / theirs.seconds if theirs.seconds else None,
            "note": f"{'proven optimal' if outcome.proven_optimal else outcome.status.value}; "
            f"{len(scenario.requests)} requests, {len(rota.meetings)} meetings, {rota_note}; "
            f"unplaced weight {ours.unplaced_weight} / {theirs.unplaced_weight} (first level)",
            "requests": len(scenario.requests),
            "meetings": len(rota.meetings),
            "status": outcome.status.value,
        }
        row |= {f"ours_{k}": v for k, v in asdict(ours).items()}
        row |= {f"fcfs_{k}": v for k, v in asdict(theirs).items()}
        rows.append(row)
    if progress is not None:
        progress(len(sizes), len(sizes), "agenda done")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "agenda.md").write_text(markdown(rows) + "\n")
    return rows


def _num(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def markdown(rows: Sequence[dict[str, Any]]) -> str:
    """The table for docs/benchmarks.md: each figure as ours / first come first served."""
    pairs = (
        ("placed", "placed"),
        ("county route", "county"),
        ("unplaced", "unplaced"),
        ("unplaced weight", "unplaced_weight"),
        ("weighted school days", "weighted_days"),
        ("mean days, urgent or LAC", "mean_days_priority"),
        ("mean days, routine", "mean_days_routine"),
        ("time (s)", "seconds"),
        ("checker agrees", "checked"),
    )
    head = "| size | requests | meetings | status | " + " | ".join(p for p, _ in pairs) + " |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        cells = [f"{_num(r['ours_' + key])} / {_num(r['fcfs_' + key])}" for _, key in pairs]
        lines.append(
            f"| {r['size']} | {r['requests']} | {r['meetings']} | {r['status']} | "
            + " | ".join(cells)
            + " |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="kent,county:1")
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--rota-limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args(argv)
    rows = run(
        sizes=tuple(args.sizes.split(",")),
        time_limit=args.time_limit,
        smoke=args.smoke,
        out=args.out,
        rota_limit=args.rota_limit,
        seed=args.seed,
    )
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    print("Each cell: the planned agenda / first come, first served (same requests, same rota).")
    print(markdown(rows))
    for row in rows:
        print(f"{row['size']}: {row['note']}")


if __name__ == "__main__":
    main()
