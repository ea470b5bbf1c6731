"""The generalised assignment problem: reading, the independent checker, greedy, CP-SAT and HiGHS."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from allocator.caseload.gap import (
    AUTO_ENGINE,
    GapInstance,
    GapResult,
    check_gap,
    greedy_gap,
    read_gap,
    solve_gap,
    solve_gap_cpsat,
    solve_gap_greedy,
    solve_gap_highs,
)
from allocator.cli.bench import bench_app
from allocator.solve import Status

DATA = Path(__file__).resolve().parents[1] / "data" / "gap"
SMALL = DATA / "cattrysse1994"
with (DATA / "gap_reference_values.csv").open(newline="") as _handle:
    OPTIMA = {
        Path(row["single_file"]).name: int(row["min_optimum"])
        for row in csv.DictReader(_handle)
        if row["min_optimum"]
    }
SOLVED = ["gap1-0", "gap1-1", "gap1-4", "gap2-2", "gap3-3", "gap4-0", "gap4-4"]
"""OR-Library instances (5 agents, 15 to 30 jobs) both engines must solve to the published optimum."""

# Two agents, three jobs: job 2 only fits agent 1; the cheapest feasible plan costs 3 + 1 + 5 = 9.
TINY = GapInstance(
    name="tiny",
    cost=((3, 4, 9), (6, 1, 5)),
    resource=((2, 2, 9), (2, 3, 4)),
    capacity=(4, 7),
)


def test_read_gap_gives_dimensions_and_values_in_file_order() -> None:
    instance = read_gap(SMALL / "gap1-0")
    assert (instance.name, instance.agents, instance.jobs) == ("gap1-0", 5, 15)
    assert instance.cost[0][:3] == (17, 21, 22)
    assert instance.cost[4][-1] == 24
    assert instance.resource[0][:3] == (8, 15, 14)
    assert instance.capacity == (36, 34, 38, 27, 33)


def test_read_gap_refuses_a_wrong_number_of_integers(tmp_path: Path) -> None:
    path = tmp_path / "short"
    path.write_text("2 2\n1 2 3 4\n1 1 1 1\n5\n")
    with pytest.raises(ValueError, match="need 12 integers, found 11"):
        read_gap(path)


def test_read_gap_refuses_text(tmp_path: Path) -> None:
    path = tmp_path / "words"
    path.write_text("two agents\n")
    with pytest.raises(ValueError, match="whitespace-separated integers"):
        read_gap(path)


def test_instance_refuses_ragged_matrices() -> None:
    with pytest.raises(ValueError, match="resource must be 2 rows of 3"):
        GapInstance("bad", cost=((1, 2, 3), (1, 2, 3)), resource=((1, 2), (1, 2)), capacity=(5, 5))


def test_check_gap_recomputes_the_cost() -> None:
    assert check_gap(TINY, (0, 1, 1)) == 3 + 1 + 5
    assert check_gap(TINY, (1, 0, 1)) == 6 + 4 + 5


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ((0, 0, 0), "agent 0: uses 13, capacity 4"),
        ((1, 1, 1), "agent 1: uses 9, capacity 7"),
        ((0, 1), "expected an agent for each of 3 jobs, got 2"),
        ((0, 2, 1), "job 1: agent 2 is not in 0..1"),
    ],
)
def test_check_gap_refuses_broken_assignments(assignment: tuple[int, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_gap(TINY, assignment)


@pytest.mark.parametrize("solve", [solve_gap_cpsat, solve_gap_highs])
def test_engines_find_the_tiny_optimum(solve: Callable[[GapInstance, float], GapResult]) -> None:
    result = solve(TINY, 5.0)
    assert result.status == Status.OPTIMAL
    assert result.assignment == (0, 1, 1)
    assert result.objective == 9 == check_gap(TINY, result.assignment)
    assert result.best_bound == pytest.approx(9)


def test_engines_report_an_infeasible_instance() -> None:
    crowded = GapInstance("crowded", cost=((1, 1),), resource=((2, 2),), capacity=(3,))
    assert solve_gap_cpsat(crowded, 5.0).status == Status.INFEASIBLE
    assert solve_gap_highs(crowded, 5.0).status == Status.INFEASIBLE
    assert greedy_gap(crowded) is None
    assert solve_gap_greedy(crowded).status == Status.UNKNOWN


@pytest.mark.parametrize("name", SOLVED)
def test_greedy_is_feasible_and_no_better_than_the_optimum(name: str) -> None:
    instance = read_gap(SMALL / name)
    assignment = greedy_gap(instance)
    assert assignment is not None
    assert check_gap(instance, assignment) >= OPTIMA[name]


@pytest.mark.parametrize("name", SOLVED)
@pytest.mark.parametrize("engine", ["cpsat", "highs"])
def test_or_library_instances_solve_to_the_published_optimum(name: str, engine: str) -> None:
    instance = read_gap(SMALL / name)
    if engine == "cpsat":
        result = solve_gap_cpsat(instance, 10.0, workers=2, seed=0)
    else:
        result = solve_gap_highs(instance, 10.0)
    assert result.status == Status.OPTIMAL
    assert result.objective == OPTIMA[name] == check_gap(instance, result.assignment)
    assert result.best_bound == pytest.approx(OPTIMA[name])


def test_every_shipped_instance_reads_and_has_a_reference_value() -> None:
    paths = sorted(p for family in ("cattrysse1994", "chu1997") for p in (DATA / family).iterdir())
    assert len(paths) == 60 + 24
    with (DATA / "gap_reference_values.csv").open(newline="") as handle:
        rows = {Path(row["single_file"]).name: row for row in csv.DictReader(handle)}
    for path in paths:
        instance = read_gap(path)
        row = rows[path.name]
        assert (instance.agents, instance.jobs) == (int(row["agents"]), int(row["jobs"]))
        assert row["min_optimum"] or row["min_best_known"]
    assert (OPTIMA["gap1-0"], OPTIMA["gap1-1"], OPTIMA["gap4-0"]) == (261, 269, 423)


@pytest.mark.parametrize("engine", [None, "cpsat", "highs", "greedy"])
def test_cli_prints_one_line_per_instance(engine: str | None) -> None:
    files = [str(SMALL / "gap1-0"), str(SMALL / "gap1-1")]
    chosen = [] if engine is None else ["--engine", engine]
    result = CliRunner().invoke(bench_app, ["gap", *files, *chosen, "--time-limit", "5"])
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines()]
    assert [line[0] for line in lines] == ["gap1-0", "gap1-1"]
    assert all(len(line) == 4 for line in lines)
    if engine != "greedy":
        assert [int(line[1]) for line in lines] == [261, 269]
        assert [float(line[2]) for line in lines] == [261, 269]
    else:
        assert [line[2] for line in lines] == ["-", "-"]


def test_auto_is_the_measured_winner_and_unknown_engines_are_refused() -> None:
    instance = read_gap(SMALL / "gap1-0")
    auto = solve_gap(instance, 5.0)
    assert AUTO_ENGINE == "highs"
    assert auto.status == Status.OPTIMAL and auto.objective == 261
    with pytest.raises(ValueError, match="unknown engine 'simplex'"):
        solve_gap(instance, 5.0, "simplex")


def test_cli_names_a_file_it_cannot_read(tmp_path: Path) -> None:
    path = tmp_path / "broken"
    path.write_text("1 1 5\n")
    result = CliRunner().invoke(bench_app, ["gap", str(path)])
    assert result.exit_code == 1
    assert "broken" in result.output
