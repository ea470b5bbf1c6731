"""`benchmarks/bench_tight.py` at its tiniest, and tight sizes in `bench_rebalance`; no timing asserts."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import bench_tight, harness  # noqa: E402
from benchmarks.bench_rebalance import scenario_for  # noqa: E402


def test_bench_tight_smoke(tmp_path: Path) -> None:
    rows = bench_tight.run(time_limit=1.0, smoke=True, out=tmp_path)
    assert [r["engine"] for r in rows] == [bench_tight.OURS, bench_tight.HIGHS, bench_tight.GREEDY]
    assert all(r["size"] == "tight:0.1:0:1.3" and r["checked"] for r in rows)
    ours, highs, greedy = rows
    assert ours["baseline_objective"] == highs["objective"]
    assert ours["objective"] <= greedy["objective"]
    assert all(r["best_bound"] is None or r["best_bound"] <= r["objective"] for r in rows)
    table = (tmp_path / "caseload-tight.md").read_text()
    assert "| tight:0.1:0:1.3 |" in table and "HiGHS" in table
    assert (tmp_path / "caseload-tight.csv").read_text().startswith("size,engine,")


def test_tight_is_a_job_on_request() -> None:
    assert "tight" not in harness.JOBS and "tight" in harness.ON_REQUEST
    settings, _ = harness.parse_args(["--jobs", "tight"])
    assert [u.job for u in harness.units_of(settings)] == ["tight"]


def test_rebalance_on_a_tight_county() -> None:
    tight = scenario_for("tight:0.1:1.6")
    plain = scenario_for("county:0.1")
    assert len(tight.agreements) > 1.5 * len(plain.agreements)
