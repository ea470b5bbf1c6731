"""The simulation's files: waits.csv and summary.csv columns and read-back, safe cells, and the charts."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

from allocator.io.simulation_export import SUMMARY_COLUMNS, WAIT_COLUMNS, write_simulation
from allocator.model.simulation import COUNTY, Policy, SimSummaryRow, SimulationResult, SimWait

DAY = date(2025, 9, 8)
PNG = b"\x89PNG\r\n\x1a\n"


def _wait(n: int, policy: Policy, variant: str, district: str, days: int | None) -> SimWait:
    return SimWait(
        request_id=f"S0-{n:06d}",
        district=district,
        need_type="B&L",
        urgent=n % 2 == 0,
        policy=policy,
        variant=variant,
        seed=n % 3,
        received_on=DAY,
        meeting_date=None if days is None else DAY + timedelta(days=2),
        agreed_on=None if days is None else DAY + timedelta(days=2),
        start=None if days is None else DAY + timedelta(days=days),
        school_days=days,
    )


def _row(
    policy: Policy, variant: str, district: str, median: float, fte: float | None
) -> SimSummaryRow:
    return SimSummaryRow(
        policy=policy,
        variant=variant,
        district=district,
        requests=4,
        agreements=3,
        started=2,
        median_days=median,
        p90_days=median * 1.8,
        over_20=1 / 3,
        fte=fte,
    )


def _result(variants: tuple[str, ...]) -> SimulationResult:
    waits, summary = [], []
    for v, variant in enumerate(variants):
        for p, policy in enumerate(Policy):
            for d, district in enumerate(("Ashford", "=Swale")):
                waits += [_wait(k, policy, variant, district, k + p + d) for k in range(1, 6)]
                waits.append(_wait(9, policy, variant, district, None))
                summary.append(_row(policy, variant, district, 4.0 + p - v * d, 10.0 + v * d))
            summary.append(_row(policy, variant, COUNTY, 4.5 + p, None))
    return SimulationResult(
        waits=tuple(waits), summary=tuple(summary), variants=variants, seeds=3, seconds=2.5
    )


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def test_csvs_columns_and_read_back(tmp_path: Path) -> None:
    result = _result(("scenario",))
    written = write_simulation(result, tmp_path / "out")
    names = [p.name for p in written]
    assert names == ["waits.csv", "summary.csv", "waits_by_policy.png", "waits_by_district.png"]
    columns, rows = _read(tmp_path / "out" / "waits.csv")
    assert tuple(columns) == WAIT_COLUMNS
    assert len(rows) == len(result.waits)
    first, idle = rows[0], next(r for r in rows if r["start"] == "")
    assert first == {
        "request_id": "S0-000001",
        "district": "Ashford",
        "need_type": "B&L",
        "urgent": "no",
        "policy": "optimised",
        "variant": "scenario",
        "seed": "1",
        "received_on": "2025-09-08",
        "meeting_date": "2025-09-10",
        "agreed_on": "2025-09-10",
        "start": "2025-09-09",
    }
    assert (idle["meeting_date"], idle["agreed_on"]) == ("", "")
    assert {r["district"] for r in rows} == {"Ashford", "'=Swale"}  # a formula is shown as text
    columns, summary = _read(tmp_path / "out" / "summary.csv")
    assert tuple(columns) == SUMMARY_COLUMNS
    assert len(summary) == len(result.summary)
    county = next(r for r in summary if r["district"] == COUNTY and r["policy"] == "first-come")
    assert county == {
        "policy": "first-come",
        "variant": "scenario",
        "district": COUNTY,
        "requests": "4",
        "agreements": "3",
        "started": "2",
        "median_days": "5.5",
        "p90_days": "9.9",
        "over_20": "0.3333",
        "fte": "",
    }


def test_charts_written(tmp_path: Path) -> None:
    written = write_simulation(_result(("scenario", "swale-plus-2")), tmp_path)
    charts = [p for p in written if p.suffix == ".png"]
    assert [p.name for p in charts] == [
        "waits_by_policy.png",
        "waits_by_district.png",
        "waits_vs_fte.png",
    ]
    for chart in charts:
        assert chart.read_bytes()[:8] == PNG and chart.stat().st_size > 10_000


def test_nothing_simulated_writes_the_csvs_only(tmp_path: Path) -> None:
    empty = SimulationResult(waits=(), summary=(), variants=("scenario",), seeds=1, seconds=0.0)
    written = write_simulation(empty, tmp_path)
    assert [p.name for p in written] == ["waits.csv", "summary.csv"]
    assert _read(tmp_path / "waits.csv") == (list(WAIT_COLUMNS), [])
