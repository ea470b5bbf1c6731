"""Scale benchmark: every job on growing sizes, decomposed into independent tasks on an executor.

A size is `kent` (the embedded scenario), `county:SCALE` (one synthetic county, scale 1 =
Kent-sized) or `nation:N[:SCHOOLS]` (N generated authorities of varied size, about 160 schools
each unless SCHOOLS is given; `nation:150` is England, about 24,000 schools). Each job runs on the
whole size at once through `allocator.scale.national.run_nation`, our engine and its baselines side by
side in the same tasks, on a local process pool (or Ray with `--executor ray[:ADDRESS]`).

    .venv/bin/python -m benchmarks.bench_scale --sizes kent,county:3,nation:150 --time-limit 10 --out OUT

writes OUT/scale-tasks.csv (one row per task and engine) and OUT/scale-summary.json, and prints the
growth table and the caseload's quality; `--compare A.csv B.csv` tells whether two runs (say, local
and Ray) gave the same outcomes, `--side-by-side DIR...` sets runs' time and caseload quality side
by side. `--time-limit` is per task, but the caseload's time is a budget, `--caseload-mean` seconds
per authority shared by size and difficulty (`allocator.scale.national.CaseloadTimes`);
`--flat-caseload` gives every authority the time limit instead (the baseline), `--no-baselines`
runs our engines alone. Peak memory
is this process's peak resident set plus, for each worker process, its own peak (an upper bound on
the simultaneous total); run each size in a fresh process (as `python -m benchmarks` does) for a
peak that belongs to that size alone.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import math
import os
import resource
import socket
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from allocator.io import read_scenario
from allocator.model import Scenario
from allocator.paths import KENT
from allocator.scale.executors import Executor, make_executor
from allocator.scale.national import (
    ENGINES,
    JOBS,
    AuthorityResult,
    CaseloadTimes,
    NationTask,
    generate_nation,
    run_nation,
)
from allocator.solve import SolveParams
from allocator.synthetic.generate import generate_county

SCHOOLS_PER_AUTHORITY = 160
"""England's mean: about 24,000 schools in 150 authorities."""
DEFAULT_SIZES = ("kent", "county:3", "nation:150")
GROWTH_SIZES = ("kent", "county:3", "nation:38", "nation:75", "nation:150")
SMOKE_SIZES = ("nation:2:120",)

Progress = Callable[[int, int, str], None]
"""Told tasks done, tasks in all, and what just finished."""


def parse_size(size: str) -> tuple[str, float, int]:
    """`kent`, `county:SCALE` or `nation:N[:SCHOOLS]` -> (kind, scale or authorities, schools)."""
    kind, _, rest = size.partition(":")
    try:
        if kind == "kent" and not rest:
            return kind, 1.0, 0
        if kind == "county" and rest:
            scale = float(rest)
            if scale > 0:
                return kind, scale, 0
        if kind == "nation" and rest:
            count, _, schools = rest.partition(":")
            n = int(count)
            total = int(schools) if schools else SCHOOLS_PER_AUTHORITY * n
            if n >= 1 and total >= 1:
                return kind, float(n), total
    except ValueError:
        pass
    raise ValueError(f"unknown size {size!r}: expected kent, county:SCALE or nation:N[:SCHOOLS]")


def make_size(size: str, seed: int = 0, executor: Executor | None = None) -> list[Scenario]:
    """The authorities of a size."""
    kind, amount, schools = parse_size(size)
    if kind == "kent":
        return [read_scenario(KENT)]
    if kind == "county":
        return [generate_county(amount, seed, name=f"County x{amount:g}")]
    return generate_nation(int(amount), seed, schools, executor)


def peak_mib(rows: Sequence[AuthorityResult]) -> tuple[float, float]:
    """(this process's peak MiB, the sum over worker processes of each one's peak MiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    own_mib = own / 2**20 if sys.platform == "darwin" else own / 1024
    workers: dict[str, float] = {}
    for row in rows:
        workers[row.worker] = max(workers.get(row.worker, 0.0), row.worker_peak_mib)
    here = f"{socket.gethostname()}:{os.getpid()}"
    return own_mib, sum(v for k, v in workers.items() if k != here)


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _sum(values: Sequence[float | None]) -> float | None:
    return None if not values or any(v is None for v in values) else sum(v or 0.0 for v in values)


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    if ours is None or theirs is None or theirs == 0:
        return None
    return ours / theirs


def _key(row: AuthorityResult) -> tuple[str, str, str]:
    return (row.authority, row.part, row.variant)


def _totals(rows: Sequence[AuthorityResult]) -> dict[str, Any]:
    objective = _sum([r.objective for r in rows])
    bound = _sum([r.best_bound for r in rows])
    gap = None
    if objective is not None and bound is not None:
        gap = max(0.0, objective - bound) / max(1.0, abs(objective))
    checked = [r.checked for r in rows if r.checked is not None]
    statuses = sorted({r.status for r in rows})
    errors = [r.note for r in rows if r.status == "error"]
    note = f"{len(rows)} results: {', '.join(statuses)}"
    if checked:
        note += f"; checker accepts {sum(checked)}/{len(checked)}"
    if errors:
        note += f"; first error: {errors[0][:120]}"
    return {
        "task_s": round(sum(r.seconds for r in rows), 3),
        "objective": objective,
        "bound": bound,
        "gap": gap,
        "checked": all(checked) if checked else None,
        "note": note,
    }


def compare(
    size: str, job: str, rows: Sequence[AuthorityResult], wall: float, peak: float
) -> list[dict[str, Any]]:
    """Our engine's totals over a job's tasks beside each baseline's, on the tasks both ran.

    One row per baseline (or one row alone without baselines); ratios are ours / baseline, for
    objectives (all minimised) and for task seconds.
    """
    engines = ENGINES[job]
    ours = [r for r in rows if r.engine == engines[0]]
    common = {
        "job": job,
        "size": size,
        "engine": engines[0],
        "wall_s": round(wall, 3),
        "peak_mib": round(peak, 1),
    }
    found = []
    for baseline in engines[1:]:
        theirs = [r for r in rows if r.engine == baseline]
        if not theirs:
            continue
        keys = {_key(r) for r in theirs}
        mine = _totals([r for r in ours if _key(r) in keys])
        other = _totals(theirs)
        found.append(
            common
            | mine
            | {
                "baseline": baseline,
                "baseline_objective": other["objective"],
                "baseline_s": other["task_s"],
                "baseline_checked": other["checked"],
                "objective_ratio": _ratio(mine["objective"], other["objective"]),
                "time_ratio": _ratio(mine["task_s"], other["task_s"]),
                "note": f"{mine['note']} | {baseline}: {other['note']}",
            }
        )
    return found or [common | _totals(ours)]


@dataclasses.dataclass
class SizeRun:
    """One size's runs: summary rows, every task row, and where the time and memory went."""

    size: str
    authorities: int
    schools: int
    agreements: int
    workers: int
    phases: dict[str, float]
    summary: list[dict[str, Any]]
    tasks: list[AuthorityResult]
    parent_mib: float
    workers_mib: float
    load: float
    caseload: str = "flat"
    """How the caseload's time was given: `flat` (the time limit each) or `sized MEAN/FLOOR/CAP`."""
    load_start: float | None = None

    @property
    def peak_mib(self) -> float:
        """Parent plus workers."""
        return self.parent_mib + self.workers_mib


def run_size(
    size: str,
    executor: Executor,
    jobs: Sequence[str] = JOBS,
    time_limit: float = 10.0,
    seed: int = 0,
    baselines: bool = True,
    progress: Progress | None = None,
    caseload_times: CaseloadTimes | None = None,
) -> SizeRun:
    """Generate a size on the executor and run each job on it in turn, timing every phase.

    The caseload gets `time_limit` per authority, or with `caseload_times` a budget shared by size
    and difficulty (`allocator.scale.national.caseload_seconds`)."""
    load_start = _load()
    phases: dict[str, float] = {}
    start = time.perf_counter()
    executor.start()
    phases["start workers"] = time.perf_counter() - start
    start = time.perf_counter()
    scenarios = make_size(size, seed, executor)
    phases["generate"] = time.perf_counter() - start
    params = SolveParams(time_limit=time_limit, workers=1, seed=seed)
    tasks: list[AuthorityResult] = []
    jobs_rows: list[tuple[str, list[AuthorityResult], float]] = []
    for job in jobs:

        def tick(done: int, total: int, task: NationTask) -> None:
            if progress is not None:
                progress(done, total, f"{size}: {task.label}")

        start = time.perf_counter()
        rows = run_nation(
            scenarios,
            (job,),
            executor,
            params,
            baselines=baselines,
            progress=tick,
            caseload_times=caseload_times,
        )
        wall = time.perf_counter() - start
        phases[job] = wall
        tasks += rows
        jobs_rows.append((job, rows, wall))
    parent, workers = peak_mib(tasks)
    summary = [
        r for job, rows, wall in jobs_rows for r in compare(size, job, rows, wall, parent + workers)
    ]
    return SizeRun(
        size=size,
        authorities=len(scenarios),
        schools=sum(len(s.schools) for s in scenarios),
        agreements=sum(len(s.agreements) for s in scenarios),
        workers=executor.workers,
        phases={k: round(v, 3) for k, v in phases.items()},
        summary=summary,
        tasks=tasks,
        parent_mib=round(parent, 1),
        workers_mib=round(workers, 1),
        load=_load(),
        caseload=_caseload_mode(caseload_times),
        load_start=load_start,
    )


def _caseload_mode(times: CaseloadTimes | None) -> str:
    if times is None:
        return "flat"
    return f"sized {times.mean:g}/{times.floor:g}/{times.cap:g}"


def write_tasks(runs: Sequence[SizeRun], path: Path) -> None:
    """Every task row of every size, as CSV."""
    fields = ["size", *(f.name for f in dataclasses.fields(AuthorityResult))]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for run in runs:
            for row in run.tasks:
                writer.writerow({"size": run.size} | dataclasses.asdict(row))


OUTCOME = (
    "authority",
    "job",
    "part",
    "engine",
    "variant",
    "status",
    "objective",
    "best_bound",
    "checked",
)
"""Columns of scale-tasks CSV that do not depend on where or how fast a task ran."""


def differences(first: Path, second: Path) -> tuple[int, list[str]]:
    """Task rows compared on their outcome columns: (rows in common, each difference in words)."""

    def read(path: Path) -> dict[tuple[str, ...], tuple[str, ...]]:
        with path.open(newline="") as handle:
            return {
                (r["size"], r["authority"], r["job"], r["part"], r["engine"], r["variant"]): tuple(
                    r[c] for c in OUTCOME
                )
                for r in csv.DictReader(handle)
            }

    a, b = read(first), read(second)
    found = [f"only in {first.name}: {k}" for k in a.keys() - b.keys()]
    found += [f"only in {second.name}: {k}" for k in b.keys() - a.keys()]
    common = a.keys() & b.keys()
    found += [f"{k}: {a[k]} != {b[k]}" for k in sorted(common) if a[k] != b[k]]
    return len(common), found


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def growth_markdown(runs: Sequence[SizeRun]) -> str:
    """How time and memory grow with size, and where the time goes (seconds per phase)."""
    jobs = [j for j in JOBS if any(j in r.phases for r in runs)]
    head = ["size", "authorities", "schools", "agreements", "workers", "start s", "generate s"]
    head += [f"{j} s" for j in jobs] + ["total s", "parent MiB", "workers MiB", "peak MiB", "load"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for r in runs:
        cells = [
            r.size,
            str(r.authorities),
            f"{r.schools:,}",
            f"{r.agreements:,}",
            str(r.workers),
            _fmt(r.phases.get("start workers"), 1),
            _fmt(r.phases.get("generate"), 1),
            *(_fmt(r.phases.get(j), 1) for j in jobs),
            _fmt(sum(r.phases.values()), 1),
            _fmt(r.parent_mib, 0),
            _fmt(r.workers_mib, 0),
            _fmt(r.peak_mib, 0),
            _fmt(r.load),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


@dataclasses.dataclass(frozen=True)
class CaseloadRow:
    """Our caseload on one authority, as quality needs it."""

    authority: str
    objective: float | None
    """Priority weight not started."""
    bound: float | None
    waiting: float | None
    seconds: float
    time_limit: float | None
    checked: bool | None


def caseload_rows(rows: Sequence[AuthorityResult]) -> list[CaseloadRow]:
    """Our engine's caseload rows."""
    return [
        CaseloadRow(
            r.authority, r.objective, r.best_bound, r.waiting, r.seconds, r.time_limit, r.checked
        )
        for r in rows
        if r.job == "caseload" and r.engine == ENGINES["caseload"][0]
    ]


def read_caseload_rows(path: Path, size: str) -> list[CaseloadRow]:
    """Our engine's caseload rows of a size from a scale-tasks CSV."""

    def number(text: str) -> float | None:
        return float(text) if text not in ("", "None") else None

    with path.open(newline="") as handle:
        return [
            CaseloadRow(
                r["authority"],
                number(r["objective"]),
                number(r["best_bound"]),
                number(r.get("waiting", "")),
                float(r["seconds"]),
                number(r.get("time_limit", "")),
                {"True": True, "False": False}.get(r["checked"]),
            )
            for r in csv.DictReader(handle)
            if r["size"] == size and r["job"] == "caseload" and r["engine"] == "allocator"
        ]


def best_bounds(*runs: Sequence[CaseloadRow]) -> dict[str, float]:
    """Each authority's best bound on weight not started over several runs (each a valid bound)."""
    found: dict[str, float] = {}
    for rows in runs:
        for r in rows:
            if r.bound is not None:
                found[r.authority] = max(found.get(r.authority, r.bound), r.bound)
    return found


def _percentile(ordered: Sequence[float], share: float) -> float | None:
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else None


def quality(rows: Sequence[CaseloadRow], bounds: dict[str, float] | None = None) -> dict[str, Any]:
    """Weight not started against its bound (each row's own, or `bounds`), in all and authority by
    authority: the gaps' distribution, over the authorities with a bound."""
    gaps: list[float] = []
    bound_sum = 0.0
    for r in rows:
        bound = r.bound if bounds is None else bounds.get(r.authority)
        if r.objective is not None and bound is not None:
            gaps.append(max(0.0, r.objective - bound))
            bound_sum += bound
    gaps.sort()
    return {
        "authorities": len(rows),
        "task_s": round(sum(r.seconds for r in rows), 1),
        "time_limit_s": round(sum(r.time_limit or 0.0 for r in rows), 1),
        "not_started": sum(r.objective or 0.0 for r in rows),
        "bound": bound_sum,
        "gap": sum(gaps),
        "no_bound": len(rows) - len(gaps),
        "at_bound": sum(1 for g in gaps if g == 0),
        "gap_median": statistics.median(gaps) if gaps else None,
        "gap_p90": _percentile(gaps, 0.9),
        "gap_max": gaps[-1] if gaps else None,
        "waiting": sum(r.waiting or 0.0 for r in rows),
        "checked": all(r.checked for r in rows),
    }


def summary_json(run: SizeRun) -> dict[str, Any]:
    """A size's run in brief: phases, memory, load and the caseload's quality."""
    brief = {k: v for k, v in dataclasses.asdict(run).items() if k not in {"summary", "tasks"}}
    brief["total_s"] = round(sum(run.phases.values()), 1)
    brief["peak_mib"] = run.peak_mib
    brief["caseload_quality"] = quality(caseload_rows(run.tasks))
    return brief


def side_by_side(dirs: Sequence[Path]) -> str:
    """Runs written with `--out` (each a scale-summary.json and scale-tasks.csv), size by size:
    time, memory and the caseload's quality, the gap also against each authority's best bound
    over all the runs."""
    runs = []
    for folder in dirs:
        for brief in json.loads((folder / "scale-summary.json").read_text()):
            rows = read_caseload_rows(folder / "scale-tasks.csv", brief["size"])
            runs.append((folder.name, brief, rows))
    head = [
        "run",
        "size",
        "caseload time",
        "total s",
        "caseload s",
        "caseload task s",
        "peak MiB",
        "load",
        "not started",
        "own bound",
        "gap",
        "best bound",
        "gap to best",
        "at best",
        "median",
        "p90",
        "max",
        "no bound",
        "waiting",
        "checked",
    ]
    lines = ["| " + " | ".join(head) + " |", "|---|---|---|" + "---:|" * (len(head) - 4) + "---|"]
    for size in dict.fromkeys(brief["size"] for _, brief, _ in runs):
        same = [(name, brief, rows) for name, brief, rows in runs if brief["size"] == size]
        bounds = best_bounds(*(rows for _, _, rows in same))
        for name, brief, rows in same:
            own, best = quality(rows), quality(rows, bounds)
            load = f"{_fmt(brief.get('load_start'))}-{_fmt(brief['load'])}"
            cells = [
                name,
                size,
                brief.get("caseload", "flat"),
                _fmt(brief["total_s"], 1),
                _fmt(brief["phases"].get("caseload"), 1),
                _fmt(own["task_s"], 1),
                _fmt(brief["peak_mib"], 0),
                load,
                _fmt(own["not_started"], 0),
                _fmt(own["bound"], 0),
                _fmt(own["gap"], 0),
                _fmt(best["bound"], 0),
                _fmt(best["gap"], 0),
                f"{best['at_bound']}/{best['authorities'] - best['no_bound']}",
                _fmt(best["gap_median"], 1),
                _fmt(best["gap_p90"], 1),
                _fmt(best["gap_max"], 0),
                str(best["no_bound"]),
                _fmt(own["waiting"], 0),
                "yes" if own["checked"] else "NO",
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: run the sizes in this process and print the growth table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default=",".join(DEFAULT_SIZES))
    parser.add_argument("--jobs", default=",".join(JOBS))
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per task")
    parser.add_argument("--executor", default="local", help="local, ray or ray:ADDRESS")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--no-baselines", action="store_true", help="our engines alone (the product's time)"
    )
    parser.add_argument(
        "--flat-caseload",
        action="store_true",
        help="the baseline: every authority's caseload gets --time-limit, whatever its size",
    )
    sized = CaseloadTimes()
    parser.add_argument(
        "--caseload-mean",
        type=float,
        default=sized.mean,
        help="caseload budget: seconds per authority on average, shared by size and difficulty",
    )
    parser.add_argument("--caseload-floor", type=float, default=sized.floor)
    parser.add_argument("--caseload-cap", type=float, default=sized.cap)
    parser.add_argument(
        "--compare", nargs=2, type=Path, metavar="CSV", help="compare two scale-tasks files"
    )
    parser.add_argument(
        "--side-by-side",
        nargs="+",
        type=Path,
        metavar="DIR",
        help="time, memory and caseload quality of runs written with --out, side by side",
    )
    args = parser.parse_args(argv)
    if args.compare:
        common, found = differences(*args.compare)
        print(f"{common} task rows in common, {len(found)} differences")
        print("\n".join(found[:50]))
        return
    if args.side_by_side:
        print(side_by_side(args.side_by_side))
        return
    times = None
    if not args.flat_caseload:
        times = CaseloadTimes(args.caseload_mean, args.caseload_floor, args.caseload_cap)
    runs = []
    with make_executor(args.executor, args.workers, ("allocator.scale.national",)) as executor:
        for size in args.sizes.split(","):
            runs.append(
                run_size(
                    size,
                    executor,
                    args.jobs.split(","),
                    args.time_limit,
                    args.seed,
                    baselines=not args.no_baselines,
                    caseload_times=times,
                )
            )
            print(f"{size}: {runs[-1].phases}", file=sys.stderr)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        write_tasks(runs, args.out / "scale-tasks.csv")
        briefs = [summary_json(run) for run in runs]
        (args.out / "scale-summary.json").write_text(json.dumps(briefs, indent=1) + "\n")
    print(growth_markdown(runs))
    if args.out is not None and any(caseload_rows(run.tasks) for run in runs):
        print()
        print(side_by_side([args.out]))


if __name__ == "__main__":
    main()
