"""Speed benchmark: the staffing formula on Kent and the US House apportionment beside PyPI `apportionment`.

    .venv/bin/python -m benchmarks.bench_staffing [--repeat N]

prints a markdown table (median milliseconds over N runs, and whether the result is the published one)
to paste into the docs. No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import csv
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import apportionment.methods as pypi_apportionment

from allocator.io import read_scenario
from allocator.paths import KENT
from allocator.staffing.apportion import METHODS, apportion
from allocator.staffing.formula import allocate_staffing
from allocator.staffing.whatif import staffing_sensitivity

REFDATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "apportionment"
PYPI_NAMES = {
    "hamilton": "hamilton",
    "webster": "webster",
    "dhondt": "dhondt",
    "huntington_hill": "huntington",
    "adams": "adams",
}


def median_ms(task: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median wall time of `task` in milliseconds, and its last result."""
    times = []
    result: object = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = task()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def us_house(year: int, refdata: Path = REFDATA) -> tuple[dict[str, int], dict[str, int]]:
    """Apportionment populations and published seats of the 50 states."""
    with (refdata / f"us_{year}_apportionment.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return (
        {r["state"]: int(r["apportionment_population"]) for r in rows},
        {r["state"]: int(r["seats"]) for r in rows},
    )


def run(
    repeat: int = 20, scenario_dir: Path = KENT, refdata: Path = REFDATA
) -> list[dict[str, Any]]:
    """One row per case and engine: median ms, and whether the result is the expected one."""
    rows: list[dict[str, Any]] = []
    kent = read_scenario(scenario_dir)
    ms, checked = median_ms(lambda: allocate_staffing(kent), repeat)
    unchecked_ms, unchecked = median_ms(lambda: allocate_staffing(kent, check=False), repeat)
    sensitivity_ms, _ = median_ms(lambda: staffing_sensitivity(kent), max(3, repeat // 4))
    same = checked == unchecked
    rows += [
        {
            "case": "Kent staffing, 12 districts + 3 pools",
            "engine": "allocator",
            "ms": unchecked_ms,
            "ok": same,
        },
        {
            "case": "Kent staffing, with the independent check",
            "engine": "allocator",
            "ms": ms,
            "ok": same,
        },
        {
            "case": "Kent sensitivity, each weight ±10%",
            "engine": "allocator",
            "ms": sensitivity_ms,
            "ok": True,
        },
    ]
    for year in (2010, 2020):
        populations, seats = us_house(year, refdata)
        for method in METHODS:
            case = f"US House {year}, 435 seats, {method}"
            ours_ms, ours = median_ms(partial(apportion, populations, 435, method), repeat)
            theirs_ms, theirs = median_ms(
                partial(
                    pypi_apportionment.compute, PYPI_NAMES[method], list(populations.values()), 435
                ),
                repeat,
            )
            assert isinstance(ours, dict) and isinstance(theirs, list)
            published = ours == seats if method == "huntington_hill" else None
            rows.append(
                {"case": case, "engine": "allocator (exact)", "ms": ours_ms, "ok": published}
            )
            rows.append(
                {
                    "case": case,
                    "engine": "PyPI apportionment 1.0",
                    "ms": theirs_ms,
                    "ok": theirs == list(ours.values()),
                }
            )
    return rows


def markdown(rows: Sequence[dict[str, Any]]) -> str:
    """The rows as a markdown table."""
    lines = [
        "| case | engine | median ms | result |",
        "|---|---|---:|---|",
    ]
    for r in rows:
        if r["case"].startswith("US") and r["engine"].startswith("PyPI"):
            verdict = "same seats" if r["ok"] else "DIFFERENT seats"
        elif r["ok"] is None:
            verdict = "-"
        elif "huntington_hill" in r["case"]:
            verdict = "published seats" if r["ok"] else "NOT the published seats"
        else:
            verdict = "ok" if r["ok"] else "MISMATCH"
        lines.append(f"| {r['case']} | {r['engine']} | {r['ms']:.2f} | {verdict} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: run the benchmark and print the markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--scenario", type=Path, default=KENT)
    args = parser.parse_args(argv)
    rows = run(args.repeat, args.scenario)
    print(
        f"\n{platform.python_implementation()} {platform.python_version()}, {platform.machine()}\n"
    )
    print(markdown(rows))


if __name__ == "__main__":
    main()
