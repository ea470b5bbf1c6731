"""Many simulated years: staffing variants from staffing.toml files, tasks merged in order, the
serial and local executors giving the same rows, and a clear error when there is nothing to run."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest
import tomli_w

from allocator.model import Scenario, ScenarioError
from allocator.model.simulation import (
    COUNTY,
    SCENARIO_VARIANT,
    Policy,
    SimulationSettings,
    SimWait,
)
from allocator.scale.executors import LocalExecutor
from allocator.simulate.run import PRELOAD, simulate, variant_capacities, variant_fte
from tests.simulate.test_loop import sim_county

FIRST_COME = SimulationSettings(policies=(Policy.FIRST_COME,), seeds=2, rebalance_seconds=0.3)


def _toml(path: Path, scenario: Scenario, **high_incidence: object) -> Path:
    assert scenario.staffing is not None
    data = scenario.staffing.model_dump(mode="json", exclude_none=True)
    data["high_incidence"] |= high_incidence
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def _variants(scenario: Scenario) -> dict[str, dict[str, int] | None]:
    own: dict[str, int] = {}
    for person in scenario.people:
        own[person.team] = own.get(person.team, 0) + person.minutes_per_week
    return {SCENARIO_VARIANT: None, "more": {team: 2 * m for team, m in own.items()}}


def _median(rows: list[SimWait], variant: str) -> float:
    return statistics.median(
        r.school_days for r in rows if r.variant == variant and r.school_days is not None
    )


def test_each_staffing_file_is_a_variant_named_by_its_stem(tmp_path: Path) -> None:
    scenario = sim_county()
    small = _toml(tmp_path / "small.toml", scenario, total_fte=3.0, max_change_pct=90.0)
    large = _toml(tmp_path / "large.toml", scenario, total_fte=6.0, max_change_pct=90.0)
    variants = variant_capacities(scenario, [small, large])
    assert list(variants) == [SCENARIO_VARIANT, "small", "large"]
    assert variants[SCENARIO_VARIANT] is None
    district = scenario.district_names[0]
    small_minutes, large_minutes = variants["small"], variants["large"]
    assert small_minutes is not None and large_minutes is not None
    assert small_minutes[district] < large_minutes[district]
    fte = variant_fte(scenario, variants)
    assert fte["small"][district] < fte["large"][district]
    assert fte[SCENARIO_VARIANT][district] > 0


def test_a_staffing_file_that_does_not_validate_is_named_with_its_field(tmp_path: Path) -> None:
    scenario = sim_county()
    bad = _toml(tmp_path / "bad.toml", scenario, total_fte=-1.0)
    with pytest.raises(ScenarioError) as error:
        variant_capacities(scenario, [bad])
    assert str(bad) in str(error.value) and "high_incidence.total_fte" in str(error.value)
    with pytest.raises(ScenarioError, match="not used by another variant"):
        variant_capacities(scenario, [tmp_path / "scenario.toml"])
    with pytest.raises(ScenarioError, match="readable file"):
        variant_capacities(scenario, [tmp_path / "missing.toml"])


def test_variants_and_seeds_are_merged_in_order_and_summarised() -> None:
    scenario = sim_county()
    told: list[tuple[int, int]] = []
    result = simulate(
        scenario, _variants(scenario), FIRST_COME, progress=lambda d, t: told.append((d, t))
    )
    n = len(scenario.requests)
    assert len(result.waits) == n * 2 * 2
    keys = [(w.variant, w.seed) for w in result.waits[::n]]
    assert keys == [(SCENARIO_VARIANT, 0), (SCENARIO_VARIANT, 1), ("more", 0), ("more", 1)]
    assert told == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
    assert result.variants == (SCENARIO_VARIANT, "more") and result.seeds == 2
    rows = {(r.variant, r.district): r for r in result.summary}
    district = scenario.district_names[0]
    assert rows[("more", district)].requests == 2 * n
    assert rows[("more", district)].fte == pytest.approx(
        2 * (rows[(SCENARIO_VARIANT, district)].fte or 0), abs=0.02
    )
    assert rows[("more", COUNTY)].fte is None
    # Twice the people never make the whole wait longer.
    assert _median(list(result.waits), "more") <= _median(list(result.waits), SCENARIO_VARIANT)


def test_the_local_pool_gives_the_serial_rows() -> None:
    scenario = sim_county()
    settings = FIRST_COME.model_copy(update={"seeds": 1})
    serial = simulate(scenario, _variants(scenario), settings)
    with LocalExecutor(2, preload=PRELOAD) as pool:
        local = simulate(scenario, _variants(scenario), settings, executor=pool)
    assert local.waits == serial.waits
    assert local.summary == serial.summary


def test_nothing_to_simulate_says_so_before_any_task() -> None:
    scenario = sim_county()
    fields = {name: getattr(scenario, name) for name in type(scenario).model_fields}
    empty = Scenario.model_validate(fields | {"requests": (), "agreements": ()})
    told: list[tuple[int, int]] = []
    with pytest.raises(ScenarioError, match="model"):
        simulate(
            empty, {SCENARIO_VARIANT: None}, FIRST_COME, progress=lambda d, t: told.append((d, t))
        )
    assert told == []
