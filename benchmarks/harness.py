"""The benchmark harness: every job's benchmark with its baselines, in one run, into one table.

    python -m benchmarks [--jobs staffing,gap,rota,caseload,rebalance,agenda,scale[,tight]] [--sizes kent,county:3,nation:150]
                         [--time-limit S] [--executor local|ray[:ADDRESS]] [--workers N]
                         [--out DIR] [--smoke]

Each unit (a job's benchmark, or one size of the scale benchmark) runs in a fresh Python process,
so its peak memory is its own and a failure stops that unit alone; the parent shows progress bars
and writes OUT/results.csv (every row), OUT/results.md (the tables) and OUT/harness.log (what the
units printed). A row is our engine on one case or size beside one baseline from the same run, with
ours / baseline ratios for the objective (all minimised) and for the time. Exit status 1 if any
unit failed.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

JOBS = ("staffing", "gap", "rota", "caseload", "rebalance", "agenda", "scale")
ON_REQUEST = ("tight",)
"""Jobs run only when named in --jobs: tight counties (`bench_tight`) take about 40 minutes."""
COLUMNS = (
    "job",
    "size",
    "engine",
    "wall_s",
    "task_s",
    "peak_mib",
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
    "load_1m",
)
MARK = "@@bench "
"""Prefix of the lines a unit's process sends its parent (JSON after it)."""
ROOT = Path(__file__).resolve().parents[1]
PRELOAD = ("allocator.scale.national",)
"""What local workers import as they start (so that start-up is timed apart)."""


@dataclass(frozen=True)
class Settings:
    """What one harness run measures, and how hard it tries."""

    jobs: tuple[str, ...] = JOBS
    sizes: tuple[str, ...] = ("kent", "county:3", "nation:150")
    scale_jobs: tuple[str, ...] = ("staffing", "rota", "caseload")
    """The jobs the scale benchmark runs on each size."""
    time_limit: float = 10.0
    """Seconds per solve (per task for the scale benchmark, per instance for gap1-12)."""
    large_time_limit: float = 60.0
    """Seconds per Chu-Beasley GAP instance."""
    gap_instances: tuple[str, ...] = ()
    """GAP instance names or patterns (empty: all)."""
    repeat: int = 20
    executor: str = "local"
    workers: int | None = None
    seed: int = 0
    smoke: bool = False

    @classmethod
    def smoke_run(cls, **changes: Any) -> Settings:
        """The tiniest run of everything: two one-district authorities, two GAP instances."""
        base = cls(
            sizes=("nation:2:120",),
            time_limit=5.0,
            large_time_limit=5.0,
            gap_instances=("gap1-1", "gap1-2"),
            repeat=1,
            smoke=True,
        )
        return base.__class__(**(asdict(base) | changes))


@dataclass
class Unit:
    """One process's worth of benchmarking: a job, or one size of the scale benchmark."""

    job: str
    size: str = ""
    rows: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    seconds: float = 0.0

    @property
    def name(self) -> str:
        """The unit for people: `rota`, `scale nation:150`."""
        return f"{self.job} {self.size}".strip()


def units_of(settings: Settings) -> list[Unit]:
    """The units a run consists of, in order."""
    unknown = [j for j in settings.jobs if j not in JOBS + ON_REQUEST]
    if unknown:
        known = ", ".join(JOBS + ON_REQUEST)
        raise ValueError(f"unknown job {unknown[0]!r}: expected some of {known}")
    units = []
    for job in settings.jobs:
        if job == "scale":
            units += [Unit("scale", size) for size in settings.sizes]
        else:
            units.append(Unit(job))
    return units


# ---------------------------------------------------------------------------------------------
# Inside a unit's process
# ---------------------------------------------------------------------------------------------


def _send(kind: str, value: Any) -> None:
    print(MARK + json.dumps({kind: value}, default=str), flush=True)


def _progress(done: int, total: int, what: str) -> None:
    _send("progress", [done, total, what])


def _peak_mib() -> float:
    """Peak resident memory of this process and of its finished children."""
    scale = 2**20 if sys.platform == "darwin" else 1024
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round((own + children) / scale, 1)


def _bench(job: str) -> Any:
    """A job's benchmark module, or a clear error when it is not there."""
    if importlib.util.find_spec(f"benchmarks.bench_{job}") is None:
        raise RuntimeError(f"benchmarks/bench_{job}.py is missing")
    return importlib.import_module(f"benchmarks.bench_{job}")


def _ratio(ours: Any, theirs: Any) -> float | None:
    if ours is None or theirs is None or not theirs:
        return None
    return float(ours) / float(theirs)


def _staffing_rows(settings: Settings) -> list[dict[str, Any]]:
    bench = _bench("staffing")
    found = bench.run(repeat=settings.repeat)
    rows = []
    for index, row in enumerate(found):
        _progress(index + 1, len(found), row["case"])
        if not row["engine"].startswith("allocator"):
            continue
        theirs = next(
            (r for r in found if r["case"] == row["case"] and not r["engine"].startswith("alloc")),
            None,
        )
        base = {
            "job": "staffing",
            "size": row["case"],
            "engine": row["engine"],
            "wall_s": row["ms"] / 1000,
            "task_s": row["ms"] / 1000,
            "checked": row["ok"],
            "note": "median of the runs",
        }
        if theirs is not None:
            base |= {
                "baseline": theirs["engine"],
                "baseline_s": theirs["ms"] / 1000,
                "baseline_checked": theirs["ok"],
                "time_ratio": _ratio(row["ms"], theirs["ms"]),
                "note": "median of the runs; "
                + ("same seats" if theirs["ok"] else "DIFFERENT seats"),
            }
        rows.append(base)
    return rows


def _gap_rows(settings: Settings, out: Path) -> list[dict[str, Any]]:
    bench = _bench("gap")
    instances = settings.gap_instances or None
    total = len(bench.instance_paths(patterns=instances)) * len(bench.ENGINES)
    done = 0

    def tick(line: str) -> None:
        nonlocal done
        done += 1
        _progress(done, total, line)

    found = bench.run(
        time_limit=settings.time_limit,
        large_time_limit=settings.large_time_limit,
        instances=instances,
        out=out,
        progress=tick,
    )
    rows = []
    for row in found:
        if row["engine"] != "cpsat":
            continue
        for other in found:
            if other["instance"] != row["instance"] or other["engine"] == "cpsat":
                continue
            rows.append(
                {
                    "job": "gap",
                    "size": row["instance"],
                    "engine": "cpsat",
                    "wall_s": row["seconds"],
                    "task_s": row["seconds"],
                    "objective": row["objective"],
                    "bound": row["best_bound"],
                    "gap": None if row["gap_pct"] is None else row["gap_pct"] / 100,
                    "checked": row["objective"] == row["reference"]
                    if row["reference_kind"] == "optimum"
                    else None,
                    "baseline": other["engine"],
                    "baseline_objective": other["objective"],
                    "baseline_s": other["seconds"],
                    "objective_ratio": _ratio(row["objective"], other["objective"]),
                    "time_ratio": _ratio(row["seconds"], other["seconds"]),
                    "note": f"{row['status']}; {row['reference_kind'] or 'no reference'} "
                    f"{row['reference']}",
                }
            )
    return rows


def _job_bench_rows(job: str, settings: Settings, out: Path) -> list[dict[str, Any]]:
    """The rota, caseload, rebalance, agenda and tight benchmarks' rows (in the harness's columns)."""
    bench = _bench(job)
    rows: list[dict[str, Any]] = bench.run(
        time_limit=settings.time_limit, smoke=settings.smoke, out=out, progress=_progress
    )
    return [{"job": job} | row for row in rows]


def _scale_rows(settings: Settings, size: str, out: Path) -> tuple[list[dict[str, Any]], Any]:
    from allocator.scale.executors import make_executor
    from benchmarks import bench_scale

    began = time.perf_counter()
    with make_executor(settings.executor, settings.workers, PRELOAD) as executor:
        opened = time.perf_counter() - began
        run = bench_scale.run_size(
            size,
            executor,
            settings.scale_jobs,
            time_limit=settings.time_limit,
            seed=settings.seed,
            progress=_progress,
        )
    run.phases["start workers"] = round(run.phases["start workers"] + opened, 3)
    safe = size.replace(":", "-")
    bench_scale.write_tasks([run], out / f"scale-tasks-{safe}.csv")
    extra = {k: v for k, v in asdict(run).items() if k not in {"summary", "tasks"}}
    extra["executor"] = settings.executor
    return run.summary, extra


def run_unit(unit: Unit, settings: Settings, out: Path) -> None:
    """Run one unit here and send its rows (and extras) to the parent on stdout."""
    if unit.job == "scale":
        rows, extra = _scale_rows(settings, unit.size, out)
        _send("extra", extra)
    elif unit.job == "staffing":
        rows = _staffing_rows(settings)
    elif unit.job == "gap":
        rows = _gap_rows(settings, out)
    else:
        rows = _job_bench_rows(unit.job, settings, out)
    peak = _peak_mib()
    load = round(os.getloadavg()[0], 2)
    for row in rows:
        if unit.job != "scale":
            row["peak_mib"] = peak
        row["load_1m"] = load
    _send("rows", rows)


# ---------------------------------------------------------------------------------------------
# The parent
# ---------------------------------------------------------------------------------------------


def _launch(unit: Unit, settings: Settings, out: Path, log: Any, tick: Callable[..., None]) -> None:
    """Run a unit in a fresh process, collecting what it sends; its other output goes to the log."""
    command = [
        sys.executable,
        "-m",
        "benchmarks.harness",
        "--unit",
        json.dumps({"job": unit.job, "size": unit.size}),
        "--settings",
        json.dumps(asdict(settings)),
        "--out",
        str(out),
    ]
    log.write(f"\n=== {unit.name}: {' '.join(command)}\n")
    log.flush()
    started = time.perf_counter()
    with subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True, bufsize=1
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            if not line.startswith(MARK):
                log.write(line)
                continue
            message = json.loads(line[len(MARK) :])
            if "progress" in message:
                tick(*message["progress"])
            elif "rows" in message:
                unit.rows = message["rows"]
            elif "extra" in message:
                unit.extra = message["extra"]
        code = child.wait()
    unit.seconds = time.perf_counter() - started
    log.flush()
    if code != 0:
        unit.error = f"{unit.name} failed (exit {code}): {_last_error(out / 'harness.log')}"
        unit.rows = [{"job": unit.job, "size": unit.size or "-", "note": unit.error}]


def _last_error(log: Path) -> str:
    lines = [x.strip() for x in log.read_text(errors="replace").splitlines() if x.strip()]
    return lines[-1][:300] if lines else "no output"


@contextmanager
def _bars(console: Console, total: int) -> Iterator[tuple[Progress, Any, Any]]:
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[what]}"),
        console=console,
        disable=not console.is_terminal,
    )
    with progress:
        units = progress.add_task("units", total=total, what="")
        current = progress.add_task("", total=None, what="")
        yield progress, units, current


def run_harness(settings: Settings, out: Path, console: Console | None = None) -> list[Unit]:
    """Run every unit in turn and write results.csv, results.md and harness.log to `out`."""
    console = console or Console(stderr=True)
    out.mkdir(parents=True, exist_ok=True)
    units = units_of(settings)
    with (out / "harness.log").open("w") as log, _bars(console, len(units)) as bars:
        progress, overall, current = bars
        for unit in units:
            progress.reset(current, total=None, description=unit.name, what="")

            def tick(done: int, total: int, what: str) -> None:
                progress.update(current, completed=done, total=total, what=what[-60:])

            _launch(unit, settings, out, log, tick)
            progress.advance(overall)
            verdict = f"[red]{unit.error}" if unit.error else f"{len(unit.rows)} rows"
            console.print(f"{unit.name}: {verdict} in {unit.seconds:.1f} s")
    write_results(units, settings, out)
    return units


def write_results(units: Sequence[Unit], settings: Settings, out: Path) -> None:
    """results.csv (every row, every column) and results.md (the tables and the machine)."""
    with (out / "results.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for unit in units:
            for row in unit.rows:
                writer.writerow({c: row.get(c) for c in COLUMNS})
    (out / "results.md").write_text(markdown(units, settings))


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        if value.is_integer() and digits <= 2:
            return f"{value:,.0f}"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    return str(value)


def machine() -> str:
    """Where the run happened, in one line."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def markdown(units: Sequence[Unit], settings: Settings) -> str:
    """The results table (our figure beside each baseline's, as ratios) and the growth table."""
    head = (
        "| job | size | engine | wall s | task s | peak MiB | objective | bound | gap | checked "
        "| baseline | baseline objective | baseline s | objective ratio | time ratio | load |"
    )
    lines = [
        f"Machine: {machine()}. Executor: {settings.executor}. Time limit {settings.time_limit:g} s "
        f"per solve. Load is the 1-minute load average when the unit ended.",
        "",
        head,
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for unit in units:
        for r in unit.rows:
            cells = [
                r.get("job"),
                r.get("size"),
                r.get("engine"),
                _fmt(r.get("wall_s"), 3),
                _fmt(r.get("task_s"), 3),
                _fmt(r.get("peak_mib"), 0),
                _fmt(r.get("objective")),
                _fmt(r.get("bound")),
                _fmt(None if r.get("gap") is None else 100 * r["gap"]) + "%"
                if r.get("gap") is not None
                else "-",
                _fmt(r.get("checked")),
                _fmt(r.get("baseline")),
                _fmt(r.get("baseline_objective")),
                _fmt(r.get("baseline_s"), 3),
                _fmt(r.get("objective_ratio"), 3),
                _fmt(r.get("time_ratio"), 3),
                _fmt(r.get("load_1m")),
            ]
            lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    notes = [
        f"- {r['job']} {r.get('size', '')}: {r['note']}"
        for u in units
        for r in u.rows
        if r.get("note")
    ]
    if notes:
        lines += ["", "Notes:", "", *notes]
    growth = [u.extra for u in units if u.extra]
    if growth:
        lines += ["", "Growth with size (seconds per phase; peak resident memory):", ""]
        lines += _growth(growth)
    failed = [u.error for u in units if u.error]
    if failed:
        lines += ["", "Failed units:", "", *(f"- {e}" for e in failed)]
    return "\n".join(lines) + "\n"


def _growth(runs: Sequence[dict[str, Any]]) -> list[str]:
    jobs = [j for j in ("staffing", "rota", "caseload") if any(j in r["phases"] for r in runs)]
    head = ["size", "authorities", "schools", "agreements", "workers", "start s", "generate s"]
    head += [f"{j} s" for j in jobs]
    head += ["total s", "parent MiB", "workers MiB", "peak MiB", "load"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for r in runs:
        phases = r["phases"]
        cells = [
            r["size"],
            str(r["authorities"]),
            f"{r['schools']:,}",
            f"{r['agreements']:,}",
            str(r["workers"]),
            _fmt(phases.get("start workers"), 1),
            _fmt(phases.get("generate"), 1),
            *(_fmt(phases.get(j), 1) for j in jobs),
            _fmt(sum(phases.values()), 1),
            _fmt(r["parent_mib"], 0),
            _fmt(r["workers_mib"], 0),
            _fmt(r["parent_mib"] + r["workers_mib"], 0),
            _fmt(r["load"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> tuple[Settings, Path]:
    """`python -m benchmarks` options -> settings and the output folder."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument(
        "--jobs", default=",".join(JOBS), help="some of " + ",".join(JOBS + ON_REQUEST)
    )
    parser.add_argument("--sizes", default=None, help="kent, county:SCALE, nation:N[:SCHOOLS]")
    parser.add_argument("--scale-jobs", default=None, help="jobs of the scale benchmark")
    parser.add_argument("--time-limit", type=float, default=None, help="seconds per solve")
    parser.add_argument("--large-time-limit", type=float, default=None, help="Chu-Beasley GAP")
    parser.add_argument("--gap", default=None, help="GAP instances or patterns, comma-separated")
    parser.add_argument("--repeat", type=int, default=None, help="staffing timing repeats")
    parser.add_argument("--executor", default="local", help="local, ray or ray:ADDRESS")
    parser.add_argument("--workers", type=int, default=None, help="local pool size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("out/bench"))
    parser.add_argument("--smoke", action="store_true", help="everything at the tiniest size")
    args = parser.parse_args(argv)
    changes: dict[str, Any] = {
        "jobs": tuple(args.jobs.split(",")),
        "executor": args.executor,
        "workers": args.workers,
        "seed": args.seed,
    }
    if args.sizes:
        changes["sizes"] = tuple(args.sizes.split(","))
    if args.scale_jobs:
        changes["scale_jobs"] = tuple(args.scale_jobs.split(","))
    if args.time_limit is not None:
        changes["time_limit"] = args.time_limit
    if args.large_time_limit is not None:
        changes["large_time_limit"] = args.large_time_limit
    if args.gap:
        changes["gap_instances"] = tuple(args.gap.split(","))
    if args.repeat is not None:
        changes["repeat"] = args.repeat
    settings = Settings.smoke_run(**changes) if args.smoke else Settings(**changes)
    units_of(settings)  # refuse unknown jobs before anything runs
    return settings, args.out


def main(argv: Sequence[str] | None = None) -> int:
    """Run the harness; 0 when every unit succeeded."""
    settings, out = parse_args(argv)
    units = run_harness(settings, out)
    print((out / "results.md").read_text())
    return 1 if any(u.error for u in units) else 0


def _unit_main(argv: Sequence[str]) -> int:
    """Entry point of a unit's own process (started by `_launch`)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--unit", required=True)
    parser.add_argument("--settings", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    spec = json.loads(args.unit)
    raw = json.loads(args.settings)
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
    settings = Settings(**fields)
    run_unit(Unit(spec["job"], spec["size"]), settings, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(_unit_main(sys.argv[1:]))
