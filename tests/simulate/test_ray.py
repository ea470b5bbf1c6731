"""20 seeds x 3 staffing variants of the tiny county's year through the Ray executor, on a local Ray
started here (as tests/scale does), with the requests of its first half-term: every task's rows come back, merged in order, and seed 0's rows are
the serial run's."""

from __future__ import annotations

import pytest

from allocator.model.simulation import COUNTY, SCENARIO_VARIANT, Policy, SimulationSettings
from allocator.scale.executors import RayExecutor
from allocator.simulate.run import simulate
from tests.simulate.test_loop import sim_county

SEEDS = 20


def test_twenty_seeds_by_three_variants_on_ray() -> None:
    ray = pytest.importorskip("ray", reason="Ray is not installed (the optional cluster extra)")
    scenario = sim_county()
    own: dict[str, int] = {}
    for person in scenario.people:
        own[person.team] = own.get(person.team, 0) + person.minutes_per_week
    variants = {
        SCENARIO_VARIANT: None,
        "less": {team: m * 2 // 3 for team, m in own.items()},
        "more": {team: m * 3 // 2 for team, m in own.items()},
    }
    settings = SimulationSettings(policies=(Policy.FIRST_COME,), seeds=SEEDS, rebalance_seconds=0.3)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        with RayExecutor() as executor:
            result = simulate(scenario, variants, settings, executor=executor)
    finally:
        ray.shutdown()
    n = len(scenario.requests)
    assert len(result.waits) == n * SEEDS * len(variants)
    keys = [(w.variant, w.seed) for w in result.waits[::n]]
    assert keys == [(v, s) for v in variants for s in range(SEEDS)]
    county = {r.variant: r for r in result.summary if r.district == COUNTY}
    assert all(county[v].requests == n * SEEDS for v in variants)
    serial = simulate(scenario, variants, settings.model_copy(update={"seeds": 1}))
    assert [w for w in result.waits if w.seed == 0] == list(serial.waits)
