"""Quality benchmark: the OR-Library generalised assignment instances, CP-SAT v HiGHS v greedy.

Every instance shipped in `tests/data/gap/` (Cattrysse gap1-12: 60 small; Chu-Beasley types A-D: 24
with 100 or 200 jobs) is solved by each engine with a fixed time limit, checked by `check_gap`, and
compared with its published minimisation optimum (or best known value where no optimum is proven).

    .venv/bin/python -m benchmarks.bench_gap --time-limit 10 --large-time-limit 60 --out OUT [NAME...]

writes OUT/gap.csv (one row per instance and engine, written as it goes) and OUT/gap.md (tables to
paste into docs/benchmarks.md). NAMEs are instance file names or shell patterns (`gap1-*`, `d*`).
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import os
import platform
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from allocator.caseload.gap import AUTO_ENGINE, check_gap, read_gap, solve_gap
from allocator.solve import Status

REFDATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "gap"
SMALL, LARGE = "cattrysse1994", "chu1997"
ENGINES = ("cpsat", "highs", "greedy")
COLUMNS = (
    "instance",
    "family",
    "agents",
    "jobs",
    "reference",
    "reference_kind",
    "engine",
    "time_limit",
    "status",
    "objective",
    "best_bound",
    "seconds",
    "gap_pct",
)


def references(refdata: Path = REFDATA) -> dict[str, tuple[int, str]]:
    """Instance file name -> (published minimisation value, "optimum" or "best known")."""
    table: dict[str, tuple[int, str]] = {}
    with (refdata / "gap_reference_values.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            name = Path(row["single_file"]).name
            if row["min_optimum"]:
                table[name] = (int(row["min_optimum"]), "optimum")
            elif row["min_best_known"]:
                table[name] = (int(row["min_best_known"]), "best known")
    return table


def instance_paths(refdata: Path = REFDATA, patterns: Sequence[str] | None = None) -> list[Path]:
    """The instance files (small family first, in natural order), filtered by name patterns."""

    def key(path: Path) -> tuple[int, int, int, str]:
        stem, _, index = path.name.partition("-")
        number = stem[3:] if stem.startswith("gap") else ""
        family = (SMALL, LARGE).index(path.parent.name)
        return (family, int(number or 0), int(index or 0), path.name)

    paths = sorted(
        (p for family in (SMALL, LARGE) for p in (refdata / family).iterdir() if p.is_file()),
        key=key,
    )
    if patterns:
        paths = [p for p in paths if any(fnmatch.fnmatch(p.name, pat) for pat in patterns)]
    return paths


def run(
    time_limit: float = 10.0,
    large_time_limit: float = 60.0,
    instances: Sequence[str] | None = None,
    engines: Sequence[str] = ENGINES,
    refdata: Path = REFDATA,
    out: Path | None = None,
    progress: Callable[[str], None] | None = print,
) -> list[dict[str, Any]]:
    """Solve the instances with each engine; one checked row per instance and engine.

    `time_limit` applies to the small (gap1-12) family, `large_time_limit` to types A-D. With `out`,
    rows are appended to `out/gap.csv` as they finish and the tables written to `out/gap.md`.
    """
    refs = references(refdata)
    rows: list[dict[str, Any]] = []
    writer = None
    handle = None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        handle = (out / "gap.csv").open("w", newline="")
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
    try:
        for path in instance_paths(refdata, instances):
            instance = read_gap(path)
            limit = time_limit if path.parent.name == SMALL else large_time_limit
            reference, kind = refs.get(path.name, (None, ""))
            for engine in engines:
                result = solve_gap(instance, limit, engine, workers=2, seed=0)
                objective = None
                if result.assignment:
                    objective = check_gap(instance, result.assignment)
                    if objective != result.objective:
                        raise AssertionError(
                            f"{path.name} {engine}: reported {result.objective}, checked {objective}"
                        )
                gap = (
                    100.0 * (objective - reference) / reference
                    if objective is not None and reference
                    else None
                )
                row = {
                    "instance": path.name,
                    "family": path.parent.name,
                    "agents": instance.agents,
                    "jobs": instance.jobs,
                    "reference": reference,
                    "reference_kind": kind,
                    "engine": engine,
                    "time_limit": limit,
                    "status": result.status.value,
                    "objective": objective,
                    "best_bound": result.best_bound,
                    "seconds": round(result.seconds, 3),
                    "gap_pct": None if gap is None else round(gap, 3),
                }
                rows.append(row)
                if writer is not None and handle is not None:
                    writer.writerow(row)
                    handle.flush()
                if progress is not None:
                    progress(
                        f"{path.name:10} {engine:6} {result.status.value:9} "
                        f"obj {objective} ref {reference} {result.seconds:.2f}s"
                    )
    finally:
        if handle is not None:
            handle.close()
    if out is not None:
        (out / "gap.md").write_text(markdown(rows))
    return rows


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _solved(row: dict[str, Any]) -> bool:
    """Proven optimal at the published optimum."""
    return (
        row["status"] == Status.OPTIMAL.value
        and row["reference_kind"] == "optimum"
        and row["objective"] == row["reference"]
    )


def _family(row: dict[str, Any]) -> str:
    """gap1-12, or the Chu-Beasley type (A-D)."""
    return "gap1-12" if row["family"] == SMALL else f"type {row['instance'][0].upper()}"


def summary(rows: Sequence[dict[str, Any]], kept: str = AUTO_ENGINE) -> list[str]:
    """Per family: instances proven at the published optimum, mean gap to the reference, and each
    other engine's objective as a ratio to the kept engine's on the same instance (mean)."""
    engines = [e for e in ENGINES if any(r["engine"] == e for r in rows)]
    if kept not in engines:
        return []
    others = [e for e in engines if e != kept]
    by_key = {(r["instance"], r["engine"]): r for r in rows}
    families: dict[str, list[str]] = {}
    for r in rows:
        families.setdefault(_family(r), [])
        if r["instance"] not in families[_family(r)]:
            families[_family(r)].append(r["instance"])
    lines = [
        "Per family: proven at the published optimum; mean gap to the reference (%); objective "
        f"as a ratio to the kept engine's ({kept}, `--engine auto`) on the same instance, mean.",
        "",
        "| family | instances | "
        + " | ".join(f"{e} proven" for e in engines if e != "greedy")
        + " | "
        + " | ".join(f"{e} gap %" for e in engines)
        + " | "
        + " | ".join(f"{e} / {kept}" for e in others)
        + " |",
        "|---|---|"
        + "---|" * (len([e for e in engines if e != "greedy"]) + len(engines) + len(others)),
    ]
    for family, names in families.items():
        cells = [family, str(len(names))]
        for e in engines:
            if e != "greedy":
                mine = [by_key[n, e] for n in names if (n, e) in by_key]
                cells.append(f"{sum(_solved(r) for r in mine)}/{len(mine)}")
        for e in engines:
            gaps = [by_key[n, e]["gap_pct"] for n in names if (n, e) in by_key]
            known = [g for g in gaps if g is not None]
            cells.append(_fmt(sum(known) / len(known) if known else None))
        for e in others:
            ratios = [
                by_key[n, e]["objective"] / by_key[n, kept]["objective"]
                for n in names
                if (n, e) in by_key
                and (n, kept) in by_key
                and by_key[n, e]["objective"]
                and by_key[n, kept]["objective"]
            ]
            cells.append(_fmt(sum(ratios) / len(ratios) if ratios else None, 4))
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def markdown(rows: Sequence[dict[str, Any]]) -> str:
    """A summary per family, then per OR-Library file for gap1-12 and a row per instance for A-D."""
    engines = [e for e in ENGINES if any(r["engine"] == e for r in rows)]
    by_key = {(r["instance"], r["engine"]): r for r in rows}
    lines: list[str] = summary(rows)
    small = [r for r in rows if r["family"] == SMALL]
    if small:
        lines += [
            "Cattrysse gap1-12 (5 instances each): proven optimal at the published optimum, "
            "mean and max seconds, mean gap to the optimum (%).",
            "",
            "| file | m x n | "
            + " | ".join(f"{e}: optimal, mean s, max s, gap %" for e in engines)
            + " |",
            "|---|---|" + "---|" * len(engines),
        ]
        files: dict[str, list[dict[str, Any]]] = {}
        for r in small:
            files.setdefault(r["instance"].split("-")[0], []).append(r)
        for name, group in files.items():
            cells = []
            for e in engines:
                mine = [r for r in group if r["engine"] == e]
                secs = [r["seconds"] for r in mine]
                gaps = [r["gap_pct"] for r in mine if r["gap_pct"] is not None]
                solved = sum(_solved(r) for r in mine) if e != "greedy" else "-"
                mean_gap = sum(gaps) / len(gaps) if gaps else None
                cells.append(
                    f"{solved}/{len(mine)}, {sum(secs) / len(secs):.2f}, {max(secs):.2f}, "
                    f"{_fmt(mean_gap)}"
                )
            m, n = group[0]["agents"], group[0]["jobs"]
            lines.append(f"| {name} | {m} x {n} | " + " | ".join(cells) + " |")
        lines.append("")
    large = [r for r in rows if r["family"] == LARGE]
    if large:
        names = list(dict.fromkeys(r["instance"] for r in large))
        lines += [
            "Chu-Beasley types A-D: objective, best bound, seconds and gap to the reference (%); "
            "`*` = proven optimal.",
            "",
            "| instance | reference | "
            + " | ".join(f"{e} obj / bound / s / gap %" for e in engines)
            + " |",
            "|---|---|" + "---|" * len(engines),
        ]
        for name in names:
            first = next(r for r in large if r["instance"] == name)
            ref = f"{first['reference']}" + (
                "" if first["reference_kind"] == "optimum" else " (bk)"
            )
            cells = []
            for e in engines:
                hit = by_key.get((name, e))
                if hit is None:
                    cells.append("-")
                    continue
                star = "*" if hit["status"] == Status.OPTIMAL.value else ""
                cells.append(
                    f"{_fmt(hit['objective'])}{star} / {_fmt(hit['best_bound'], 0)} / "
                    f"{_fmt(hit['seconds'], 1)} / {_fmt(hit['gap_pct'])}"
                )
            lines.append(f"| {name} | {ref} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def machine() -> str:
    """One line describing where the benchmark ran."""
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: run the benchmark and print the markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="instance names or patterns (default: all)")
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds, gap1-12")
    parser.add_argument("--large-time-limit", type=float, default=60.0, help="seconds, types A-D")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--refdata", type=Path, default=REFDATA)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    rows = run(
        time_limit=args.time_limit,
        large_time_limit=args.large_time_limit,
        instances=args.names or None,
        engines=args.engines.split(","),
        refdata=args.refdata,
        out=args.out,
    )
    print(f"\n{machine()}\n")
    print(markdown(rows))


if __name__ == "__main__":
    main()
