"""Ruin and recreate (`allocator.caseload.search`): feasible, never worse, and it finds what the
priority greedy misses."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from allocator.caseload.data import build_instance, evaluate, placement_errors
from allocator.caseload.plan import search_waiting
from allocator.caseload.search import (
    RuinRecreate,
    compact_starts,
    priority_greedy,
    ruin_and_recreate,
)
from allocator.constraints.caseload import build_caseload_model
from allocator.model import Scenario
from allocator.solve import SolveParams, Status, solve
from tests.builders.caseload import case, county, small_counties, teacher


def long_case_first() -> Scenario:
    # `a` has room for one case at a time (80 minutes a week with travel, of 100). The long case is
    # listed first, so the priority greedy starts it in week 0 and the three short ones wait for it.
    people = [teacher("a", minutes=100)]
    agreements = [case("LONG", weeks=6), *(case(f"SHORT{i}", weeks=1) for i in range(3))]
    return county(people, agreements)


def test_short_cases_go_first_and_the_weighted_wait_falls() -> None:
    inst = build_instance(long_case_first())
    greedy = compact_starts(inst, priority_greedy(inst))
    assert greedy[0].start == 0 and sorted(p.start for p in greedy.values()) == [0, 6, 7, 8]
    weight = inst.cases[0].weight
    assert evaluate(inst, greedy).waiting == weight * (6 + 7 + 8)
    better = ruin_and_recreate(inst, greedy, seconds=30.0, seed=0, max_steps=200)
    assert not placement_errors(inst, better)
    # The optimum: the three short cases in weeks 0, 1 and 2, the long one from week 3.
    assert evaluate(inst, better).waiting == weight * (1 + 2 + 3)
    assert better[0].start == 3


def test_the_floor_is_every_case_at_its_earliest_start() -> None:
    # All four cases are agreed in week 0 and could each start then: no plan waits less than 0, and a
    # plan of the long case alone scores its three unstarted cases waiting to the year's end.
    inst = build_instance(long_case_first())
    search = RuinRecreate(inst, {0: compact_starts(inst, priority_greedy(inst))[0]})
    weight = inst.cases[0].weight
    assert search.floor == (0, 0)
    assert search.score == (3 * weight, 3 * weight * inst.horizon)


def test_an_empty_plan_gets_cases_started() -> None:
    inst = build_instance(long_case_first())
    found = ruin_and_recreate(inst, {}, seconds=30.0, seed=0, max_steps=50)
    assert evaluate(inst, found).not_started == 0 and not placement_errors(inst, found)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_counties())
def test_random_counties_keep_every_rule_and_never_get_worse(s: Scenario) -> None:
    inst = build_instance(s)
    start = priority_greedy(inst)
    found = ruin_and_recreate(inst, start, seconds=30.0, seed=3, max_steps=100)
    assert not placement_errors(inst, found)
    assert evaluate(inst, found).levels[:2] <= evaluate(inst, start).levels[:2]
    assert found == ruin_and_recreate(inst, start, seconds=30.0, seed=3, max_steps=100)


def test_the_model_holds_the_first_level_at_what_the_search_starts() -> None:
    # The plan handed over starts nothing; the search starts every case, and the model is then held
    # at 0 weight unstarted: a plan leaving any case unstarted is no longer feasible in it.
    inst = build_instance(long_case_first())
    params = SolveParams(time_limit=10.0, workers=2, seed=1)
    shares = (0.25, 0.65, 0.05, 0.05)
    held, levels = build_caseload_model(inst, "interval")
    plan = search_waiting(held, levels[0], {}, 10.0, shares, seed=0)
    assert evaluate(inst, plan).not_started == 0
    free, free_levels = build_caseload_model(inst, "interval")
    for model, first in ((held, levels[0]), (free, free_levels[0])):
        model.model.add(first.expr() >= 1)
    assert solve(held.model, [levels[1]], params)[0].status == Status.INFEASIBLE
    assert solve(free.model, [free_levels[1]], params)[0].status == Status.OPTIMAL
