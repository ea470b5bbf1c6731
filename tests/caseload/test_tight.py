"""Tight parts (demand above capacity): the search-first path of `plan_caseload`."""

from __future__ import annotations

from typing import Any

import pytest

from allocator.caseload import plan as plan_module
from allocator.caseload.data import build_instance, evaluate, placement_errors
from allocator.caseload.outcome import CaseloadOutcome
from allocator.caseload.plan import TIGHT_PART, plan_caseload, tightness
from allocator.caseload.search import compact_starts, lp_rounded, priority_greedy
from allocator.caseload.timeindexed import first_level_lp
from allocator.instances.caseload import CaseloadInstance, Placement
from allocator.io import read_scenario
from allocator.paths import KENT
from allocator.solve import SolveParams
from allocator.synthetic.generate import generate_county


@pytest.fixture(scope="module")
def tight_run() -> tuple[CaseloadOutcome, list[tuple[CaseloadInstance, int]]]:
    """A one-district county at demand 1.6, planned in 2 s, with each search-first warm start."""
    scenario = generate_county(0.1, 0, demand=1.6)
    warm_starts: list[tuple[CaseloadInstance, int]] = []
    original = plan_module.search_first

    def spy(part: CaseloadInstance, *args: Any) -> dict[int, Placement]:
        found = original(part, *args)
        warm_starts.append((part, evaluate(part, found).not_started))
        return found

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plan_module, "search_first", spy)
        outcome = plan_caseload(scenario, SolveParams(time_limit=2.0, workers=2, seed=0))
    return outcome, warm_starts


def test_tight_district_takes_the_search_first_path(
    tight_run: tuple[CaseloadOutcome, list[tuple[CaseloadInstance, int]]],
) -> None:
    outcome, warm_starts = tight_run
    district = outcome.parts[0]
    assert tightness(warm_starts[0][0]) > TIGHT_PART
    assert warm_starts[0][0].teams == district.teams


def test_tight_plan_is_checked_and_no_worse_than_its_warm_start(
    tight_run: tuple[CaseloadOutcome, list[tuple[CaseloadInstance, int]]],
) -> None:
    outcome, warm_starts = tight_run
    assert outcome.check.ok, outcome.check.breaches[:3]
    by_teams = {p.teams: p for p in outcome.parts}
    for part, warm in warm_starts:
        assert by_teams[part.teams].objectives.not_started <= warm


def test_kent_has_no_tight_part() -> None:
    """Kent's teams keep the measured path of docs/benchmarks.md."""
    instance = build_instance(read_scenario(KENT))
    assert max(tightness(part) for part in instance.components()) < TIGHT_PART


def test_lp_rounded_plan_keeps_every_rule_and_its_bound(
    tight_run: tuple[CaseloadOutcome, list[tuple[CaseloadInstance, int]]],
) -> None:
    part = tight_run[1][0][0]
    lp = first_level_lp(part, 5.0)
    assert lp.bound is not None and lp.started
    rounded = lp_rounded(part, lp.started, lp.column)
    assert placement_errors(part, rounded) == []
    greedy = compact_starts(part, priority_greedy(part))
    assert lp.bound <= evaluate(part, rounded).not_started
    assert evaluate(part, rounded).not_started < evaluate(part, greedy).not_started
