"""The national decomposition: generated authorities, tasks, and the same rows from every executor."""

from __future__ import annotations

import math
import sys
from collections import Counter

import pytest

from allocator.model import Scenario
from allocator.rota.plan import plan_rota
from allocator.scale.executors import (
    ExecutorError,
    LocalExecutor,
    RayExecutor,
    SerialExecutor,
    make_executor,
)
from allocator.scale.national import (
    MAX_DISTRICTS,
    SCHOOLS_PER_DISTRICT,
    AuthorityResult,
    generate_nation,
    nation_specs,
    nation_tasks,
    run_nation,
)
from allocator.solve import SolveParams, Status

PARAMS = SolveParams(time_limit=20, workers=1)
JOBS = ("staffing", "rota")
"""Jobs whose results do not depend on timing (the rota is proven optimal on these sizes)."""


@pytest.fixture(scope="module")
def nation() -> list[Scenario]:
    """Two one-district authorities."""
    return generate_nation(2, seed=7, target_schools=100)


@pytest.fixture(scope="module")
def serial_rows(nation: list[Scenario]) -> list[AuthorityResult]:
    return run_nation(nation, JOBS, SerialExecutor(), PARAMS)


def outcomes(rows: list[AuthorityResult]) -> list[tuple[object, ...]]:
    return [r.outcome() for r in rows]


# Authorities ----------------------------------------------------------------------------------


def test_specs_add_up_to_the_target_in_varied_sizes() -> None:
    specs = nation_specs(150, seed=0, target_schools=24_000)
    sizes = [s.districts for s in specs]
    assert len(specs) == 150
    assert sum(sizes) == round(24_000 / SCHOOLS_PER_DISTRICT)
    assert min(sizes) == 1 and 5 <= max(sizes) <= MAX_DISTRICTS
    assert len(Counter(sizes)) >= 5
    assert len({s.name for s in specs}) == 150
    assert len({s.seed for s in specs}) == 150


def test_specs_are_deterministic_for_a_seed() -> None:
    assert nation_specs(20, seed=3) == nation_specs(20, seed=3)
    assert nation_specs(20, seed=3) != nation_specs(20, seed=4)


def test_specs_never_exceed_the_largest_authority() -> None:
    specs = nation_specs(2, seed=0, target_schools=10_000)
    assert [s.districts for s in specs] == [MAX_DISTRICTS, MAX_DISTRICTS]


@pytest.mark.parametrize(("authorities", "schools"), [(0, 100), (3, 0)])
def test_specs_refuse_nonsense(authorities: int, schools: int) -> None:
    with pytest.raises(ValueError, match="expected 1 or more"):
        nation_specs(authorities, target_schools=schools)


def test_generate_nation_makes_the_specified_authorities() -> None:
    specs = nation_specs(3, seed=1, target_schools=300)
    made = generate_nation(3, seed=1, target_schools=300)
    assert [s.settings.name for s in made] == [s.name for s in specs]
    assert [len(s.districts) for s in made] == [s.districts for s in specs]
    assert 150 <= sum(len(s.schools) for s in made) <= 450


def test_generate_nation_is_deterministic(nation: list[Scenario]) -> None:
    again = generate_nation(2, seed=7, target_schools=100)
    assert [s.schools for s in again] == [s.schools for s in nation]
    assert [s.agreements for s in again] == [s.agreements for s in nation]


# Tasks ----------------------------------------------------------------------------------------


def test_tasks_cover_every_rota_group_once(nation: list[Scenario]) -> None:
    tasks = nation_tasks(nation, ("rota",), PARAMS)
    for scenario in nation:
        mine = [t for t in tasks if t.scenario.settings.name == scenario.settings.name]
        groups = [g for t in mine for g in t.groups]
        assert sorted(groups) == sorted(g.group for g in scenario.lift_groups)
        for task in mine:
            assert {g.group for g in task.scenario.lift_groups} == set(task.groups)


def test_tasks_refuse_an_unknown_job(nation: list[Scenario]) -> None:
    with pytest.raises(ValueError, match="unknown job 'payroll'"):
        nation_tasks(nation, ("payroll",))


def test_rota_components_add_up_to_the_whole_authority(
    nation: list[Scenario], serial_rows: list[AuthorityResult]
) -> None:
    for scenario in nation:
        whole = plan_rota(scenario, PARAMS)
        assert whole.status == Status.OPTIMAL
        parts = [
            r
            for r in serial_rows
            if r.authority == scenario.settings.name and r.job == "rota" and r.engine == "allocator"
        ]
        assert len(parts) >= 2
        assert all(r.status == "optimal" and r.checked for r in parts)
        assert sum(r.objective or 0 for r in parts) == whole.objective


def test_round_robin_is_scored_beside_ours(serial_rows: list[AuthorityResult]) -> None:
    rota = [r for r in serial_rows if r.job == "rota"]
    ours = {r.part: r for r in rota if r.engine == "allocator"}
    theirs = {r.part: r for r in rota if r.engine == "round-robin"}
    assert ours.keys() == theirs.keys()
    for part, row in ours.items():
        baseline = theirs[part]
        assert baseline.objective is not None and row.objective is not None
        if baseline.checked:  # a round-robin rota that breaks no hard rule cannot beat the optimum
            assert row.objective <= baseline.objective


def test_staffing_agrees_with_pypi_apportionment(serial_rows: list[AuthorityResult]) -> None:
    staffing = [r for r in serial_rows if r.job == "staffing"]
    pypi = [r for r in staffing if r.engine == "apportionment"]
    assert len(staffing) == 2 * 15 and len(pypi) == 2 * 5
    assert all(r.variant.endswith("no rules") for r in pypi)
    assert all(r.checked for r in pypi), [r.note for r in pypi if not r.checked]
    ours = {(r.authority, r.variant): r.objective for r in staffing if r.engine == "allocator"}
    for row in pypi:
        assert row.objective is not None
        assert math.isclose(row.objective, ours[(row.authority, row.variant)] or 0.0)


def test_rows_come_back_in_authority_order(
    nation: list[Scenario], serial_rows: list[AuthorityResult]
) -> None:
    names = [s.settings.name for s in nation]
    seen = list(dict.fromkeys(r.authority for r in serial_rows))
    assert seen == names
    assert all(r.status != "error" for r in serial_rows), [r.note for r in serial_rows]


def test_a_failure_becomes_an_error_row(nation: list[Scenario]) -> None:
    broken = nation[0].model_copy(update={"staffing": None})
    rows = run_nation([broken], ("staffing",), SerialExecutor(), PARAMS)
    assert [(r.engine, r.status) for r in rows] == [("allocator", "error")]
    assert "no staffing.toml" in rows[0].note


# Executors ------------------------------------------------------------------------------------


def test_local_pool_gives_the_serial_rows(
    nation: list[Scenario], serial_rows: list[AuthorityResult]
) -> None:
    with LocalExecutor(2) as executor:
        rows = run_nation(nation, JOBS, executor, PARAMS)
    assert outcomes(rows) == outcomes(serial_rows)
    assert len({r.worker for r in rows}) == 2


def test_local_pool_raises_a_task_error() -> None:
    with LocalExecutor(1) as executor, pytest.raises(ValueError, match="math domain error"):
        list(executor.map_unordered(math.sqrt, [4.0, -1.0]))


@pytest.mark.parametrize("spec", ["local:3", "dask", "serial:x", ""])
def test_make_executor_refuses_unknown_specs(spec: str) -> None:
    with pytest.raises(ExecutorError, match="unknown executor"):
        make_executor(spec)


def test_local_pool_needs_a_worker() -> None:
    with pytest.raises(ExecutorError, match="expected 1 or more"):
        LocalExecutor(0)


def test_ray_executor_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ExecutorError, match="cluster"):
        make_executor("ray")


def test_ray_gives_the_serial_rows(
    nation: list[Scenario], serial_rows: list[AuthorityResult]
) -> None:
    ray = pytest.importorskip("ray", reason="Ray is not installed (the optional cluster extra)")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        with RayExecutor() as executor:
            assert executor.workers == 2
            rows = run_nation(nation, JOBS, executor, PARAMS)
        assert ray.is_initialized()  # a cluster the executor joined is left running
    finally:
        ray.shutdown()
    assert outcomes(rows) == outcomes(serial_rows)
