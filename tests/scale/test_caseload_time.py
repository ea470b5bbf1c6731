"""The caseload's time at scale: shared by size and difficulty within a budget, and a tiny nation run so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from allocator.model import Scenario
from allocator.scale.executors import SerialExecutor
from allocator.scale.national import (
    TIGHT_FROM,
    CaseloadTimes,
    TeamLoad,
    caseload_seconds,
    caseload_weight,
    difficulty,
    generate_nation,
    nation_tasks,
    run_nation,
    share_budget,
    team_loads,
)
from allocator.solve import SolveParams
from benchmarks.bench_scale import (
    CaseloadRow,
    best_bounds,
    quality,
    read_caseload_rows,
    side_by_side,
    summary_json,
    write_tasks,
)

WEIGHTS = [100.0, 250.0, 40.0, 900.0, 250.0, 3000.0, 10.0]


@pytest.fixture(scope="module")
def nation() -> list[Scenario]:
    """Three small authorities of different sizes."""
    return generate_nation(3, seed=5, target_schools=300)


@pytest.mark.parametrize("budget", [40.0, 60.0, 100.0])
def test_shares_keep_the_budget_within_floor_and_cap(budget: float) -> None:
    seconds = share_budget(WEIGHTS, budget, floor=2.0, cap=30.0)
    assert sum(seconds) == pytest.approx(budget, rel=1e-6)
    assert all(2.0 <= s <= 30.0 for s in seconds)


def test_shares_are_monotone_in_weight() -> None:
    seconds = share_budget(WEIGHTS, 60.0, floor=2.0, cap=30.0)
    ordered = [s for _, s in sorted(zip(WEIGHTS, seconds, strict=True))]
    assert ordered == sorted(ordered)
    assert seconds[WEIGHTS.index(10.0)] == 2.0  # the smallest at the floor
    assert seconds[WEIGHTS.index(3000.0)] == 30.0  # the largest at the cap
    assert seconds[1] == seconds[4]  # equal weights, equal time


def test_shares_outside_the_floor_and_cap() -> None:
    assert share_budget(WEIGHTS, 7.0, floor=2.0, cap=30.0) == [2.0] * len(WEIGHTS)
    assert share_budget(WEIGHTS, 1_000.0, floor=2.0, cap=30.0) == [30.0] * len(WEIGHTS)
    assert share_budget([], 10.0, floor=2.0, cap=30.0) == []


def test_tight_teams_need_more_time() -> None:
    loose = TeamLoad(agreements=100, demand=50_000, capacity=100_000)
    tight = TeamLoad(agreements=100, demand=90_000, capacity=100_000)
    assert difficulty([loose]) == 1.0
    assert difficulty([tight]) == pytest.approx(1.0 + 3.0 * (0.9 - TIGHT_FROM))
    assert difficulty([loose, tight]) == pytest.approx(1.0 + 3.0 * (0.7 - TIGHT_FROM))


def test_team_loads_count_every_agreement(nation: list[Scenario]) -> None:
    for scenario in nation:
        loads = team_loads(scenario)
        assert sum(load.agreements for load in loads.values()) == len(scenario.agreements)
        assert set(scenario.district_names) <= set(loads)
        assert all(load.capacity > 0 for load in loads.values())


def test_caseload_seconds_follow_size_and_keep_the_budget(nation: list[Scenario]) -> None:
    times = CaseloadTimes(mean=2.0, floor=1.0, cap=4.0)
    seconds = caseload_seconds(nation, times)
    assert sum(seconds) == pytest.approx(2.0 * len(nation), rel=1e-6)
    assert all(1.0 <= s <= 4.0 for s in seconds)
    by_weight = sorted(zip((caseload_weight(s) for s in nation), seconds, strict=True))
    assert [s for _, s in by_weight] == sorted(seconds)
    sizes = [len(s.agreements) for s in nation]
    assert seconds[sizes.index(max(sizes))] == max(seconds)


@pytest.mark.parametrize(("mean", "floor", "cap"), [(1.0, 2.0, 3.0), (5.0, 0.0, 9.0), (9, 1, 5)])
def test_caseload_times_refuse_nonsense(mean: float, floor: float, cap: float) -> None:
    with pytest.raises(ValueError, match="expected 0 < floor <= mean <= cap"):
        CaseloadTimes(mean, floor, cap)


def test_sized_tasks_get_their_share_and_the_rest_the_time_limit(nation: list[Scenario]) -> None:
    params = SolveParams(time_limit=7.0, workers=1)
    times = CaseloadTimes(mean=2.0, floor=1.0, cap=4.0)
    tasks = nation_tasks(nation, ("rota", "caseload"), params, caseload_times=times)
    caseload = {t.scenario.settings.name: t.params.time_limit for t in tasks if t.job == "caseload"}
    expected = caseload_seconds(nation, times)
    assert caseload == {s.settings.name: x for s, x in zip(nation, expected, strict=True)}
    assert all(t.params.time_limit == 7.0 for t in tasks if t.job == "rota")
    flat = nation_tasks(nation, ("caseload",), params)
    assert {t.params.time_limit for t in flat} == {7.0}


def test_a_tiny_nation_runs_with_sized_times(nation: list[Scenario], tmp_path: Path) -> None:
    times = CaseloadTimes(mean=1.0, floor=0.5, cap=2.0)
    params = SolveParams(time_limit=10.0, workers=1, seed=0)
    rows = run_nation(
        nation, ("caseload",), SerialExecutor(), params, baselines=False, caseload_times=times
    )
    assert [r.authority for r in rows] == [s.settings.name for s in nation]
    assert [r.time_limit for r in rows] == caseload_seconds(nation, times)
    for row in rows:
        assert row.status != "error", row.note
        assert row.checked
        assert row.objective is not None and row.best_bound is not None
        assert row.best_bound <= row.objective
        assert row.waiting is not None
        assert row.seconds < 10.0
    # The benchmark's summary and side-by-side table read them back.
    from benchmarks.bench_scale import SizeRun

    run = SizeRun("nation:3:300", 3, 300, 0, 1, {"caseload": 1.0}, [], rows, 100.0, 0.0, 1.0)
    write_tasks([run], tmp_path / "scale-tasks.csv")
    (tmp_path / "scale-summary.json").write_text(json.dumps([summary_json(run)]))
    back = read_caseload_rows(tmp_path / "scale-tasks.csv", "nation:3:300")
    assert [(r.objective, r.bound, r.waiting) for r in back] == [
        (r.objective, r.best_bound, r.waiting) for r in rows
    ]
    table = side_by_side([tmp_path])
    assert "| nation:3:300 | flat |" in table


def test_quality_against_own_and_best_bounds() -> None:
    first = [
        CaseloadRow("A", 10.0, 4.0, 100.0, 2.0, 2.0, True),
        CaseloadRow("B", 5.0, 5.0, 50.0, 3.0, 3.0, True),
        CaseloadRow("C", 8.0, None, 70.0, 1.0, 1.0, True),
    ]
    second = [
        CaseloadRow("A", 9.0, 6.0, 90.0, 4.0, 4.0, True),
        CaseloadRow("B", 7.0, 5.0, 40.0, 4.0, 4.0, False),
        CaseloadRow("C", 8.0, 2.0, 60.0, 4.0, 4.0, True),
    ]
    assert best_bounds(first, second) == {"A": 6.0, "B": 5.0, "C": 2.0}
    own = quality(first)
    assert (own["not_started"], own["bound"], own["gap"], own["no_bound"]) == (23.0, 9.0, 6.0, 1)
    assert (own["at_bound"], own["gap_max"], own["task_s"], own["checked"]) == (1, 6.0, 6.0, True)
    best = quality(first, best_bounds(first, second))
    assert (best["gap"], best["no_bound"], best["gap_median"], best["gap_p90"]) == (
        10.0,
        0,
        4.0,
        6.0,
    )
    assert quality(second)["checked"] is False
