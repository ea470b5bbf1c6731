"""The benchmark harness end to end at its tiniest (`python -m benchmarks --smoke`); no timing asserts."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import harness  # noqa: E402
from benchmarks.bench_scale import differences, parse_size  # noqa: E402

BASELINES = {
    "staffing": {"apportionment"},
    "rota": {"round-robin"},
    "caseload": {"greedy", "highs"},
}


@pytest.fixture(scope="module")
def smoke(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("bench")
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done, out


@pytest.fixture(scope="module")
def rows(smoke: tuple[subprocess.CompletedProcess[str], Path]) -> list[dict[str, str]]:
    _, out = smoke
    with (out / "results.csv").open(newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == harness.COLUMNS
        return list(reader)


def test_every_unit_succeeds(smoke: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    done, out = smoke
    log = (out / "harness.log").read_text() if (out / "harness.log").exists() else ""
    assert done.returncode == 0, done.stderr[-2000:] + log[-2000:]
    assert "Failed units" not in (out / "results.md").read_text()


def test_every_job_has_rows(rows: list[dict[str, str]]) -> None:
    assert {r["job"] for r in rows} == {
        "staffing",
        "gap",
        "rota",
        "caseload",
        "rebalance",
        "agenda",
    }
    assert all(r["engine"] and r["wall_s"] and r["peak_mib"] and r["load_1m"] for r in rows)


def test_staffing_beside_pypi(rows: list[dict[str, str]]) -> None:
    house = [r for r in rows if r["job"] == "staffing" and r["size"].startswith("US House")]
    assert len(house) == 10
    assert all(r["baseline"].startswith("PyPI apportionment") for r in house)
    assert all(r["baseline_checked"] == "True" for r in house)


def test_gap_beside_highs_and_greedy(rows: list[dict[str, str]]) -> None:
    gap = [r for r in rows if r["job"] == "gap"]
    assert {(r["size"], r["baseline"]) for r in gap} == {
        (name, engine) for name in ("gap1-1", "gap1-2") for engine in ("highs", "greedy")
    }
    assert all(r["checked"] == "True" and float(r["gap"]) == 0 for r in gap)


def test_rebalance_beside_reoptimising_and_first_come_insertion(rows: list[dict[str, str]]) -> None:
    rebalance = [r for r in rows if r["job"] == "rebalance"]
    assert {r["baseline"] for r in rebalance} == {"rebalance reoptimise", "rebalance insert"}
    assert all(r["checked"] == "True" and r["baseline_checked"] == "True" for r in rebalance)
    assert all(r["objective"] != "" and r["baseline_objective"] != "" for r in rebalance)


def test_scale_rows_hold_ours_beside_each_baseline(rows: list[dict[str, str]]) -> None:
    scale = [r for r in rows if r["size"] == "nation:2:120"]
    for job, baselines in BASELINES.items():
        mine = [r for r in scale if r["job"] == job]
        assert {r["baseline"] for r in mine} == baselines
        assert all(r["engine"] == "allocator" and r["task_s"] and r["baseline_s"] for r in mine)
        assert all(r["baseline_objective"] for r in mine)
        # Our figure is there whenever every task found a plan, and then the checker agrees.
        assert all(r["checked"] == "True" for r in mine if r["objective"])


def test_markdown_holds_every_row_and_the_growth_table(
    smoke: tuple[subprocess.CompletedProcess[str], Path], rows: list[dict[str, str]]
) -> None:
    _, out = smoke
    text = (out / "results.md").read_text()
    table = [line for line in text.splitlines() if line.startswith("| ") and "|---" not in line]
    assert table[0].startswith("| job | size | engine | wall s | task s | peak MiB")
    assert len([t for t in table if not t.startswith(("| job", "| size"))]) == len(rows) + 1
    assert "| size | authorities | schools |" in text
    tasks = out / "scale-tasks-nation-2-120.csv"
    with tasks.open(newline="") as handle:
        assert {r["authority"] for r in csv.DictReader(handle)} == {
            "Authority 001",
            "Authority 002",
        }


def test_a_missing_job_benchmark_fails_clearly() -> None:
    with pytest.raises(RuntimeError, match=r"benchmarks/bench_payroll\.py is missing"):
        harness._bench("payroll")


def test_options() -> None:
    settings, out = harness.parse_args(["--smoke", "--out", "x", "--jobs", "gap,scale"])
    assert settings.smoke and settings.jobs == ("gap", "scale") and out == Path("x")
    assert [u.name for u in harness.units_of(settings)] == ["gap", "scale nation:2:120"]
    with pytest.raises(ValueError, match="unknown job 'payroll'"):
        harness.parse_args(["--jobs", "payroll"])


@pytest.mark.parametrize(
    ("size", "parsed"),
    [
        ("kent", ("kent", 1.0, 0)),
        ("county:3", ("county", 3.0, 0)),
        ("nation:150", ("nation", 150.0, 24_000)),
        ("nation:2:120", ("nation", 2.0, 120)),
    ],
)
def test_sizes(size: str, parsed: tuple[str, float, int]) -> None:
    assert parse_size(size) == parsed


@pytest.mark.parametrize("size", ["england", "county:0", "nation:x", "kent:2", "nation:0"])
def test_unknown_sizes_are_refused(size: str) -> None:
    with pytest.raises(ValueError, match="unknown size"):
        parse_size(size)


def test_differences_compare_outcomes_not_timings(tmp_path: Path) -> None:
    head = "size,authority,job,part,engine,variant,status,objective,best_bound,checked,seconds\n"
    row = "n,A,rota,D [g],allocator,,optimal,{objective},18.0,True,{seconds}\n"
    first, second = tmp_path / "local.csv", tmp_path / "ray.csv"
    first.write_text(head + row.format(objective=18.0, seconds=1.0))
    second.write_text(head + row.format(objective=18.0, seconds=9.0))
    assert differences(first, second) == (1, [])
    second.write_text(head + row.format(objective=19.0, seconds=1.0))
    common, found = differences(first, second)
    assert common == 1 and len(found) == 1 and "19.0" in found[0]
