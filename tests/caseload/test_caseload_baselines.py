"""The caseload baselines: first come, first served by hand, and the lexicographic MIP on HiGHS."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from allocator.caseload.data import evaluate, placement_errors
from allocator.caseload.engines.greedy import plan_caseload_greedy
from allocator.caseload.engines.highs import plan_caseload_highs, solve_caseload_highs
from allocator.caseload.outcome import CaseloadOutcome
from allocator.caseload.search import first_come_first_served
from allocator.instances.caseload import CaseData, CaseloadInstance, Option, PersonData, Placement
from allocator.model import Agreement, Scenario
from allocator.solve import SolveParams, Status

# ---------------------------------------------------------------------------------------------
# A hand-worked instance: one person, 100 minutes a week; two 4-week cases of 80 minutes, agreed a
# day apart in week 0 of a 4-week year. Only one fits at a time, and whichever goes second would
# start in week 4, after the year. First come first served starts the routine case A (weight 1,
# agreed first); the urgent case B (weight 9) waits: 9 not started, waiting 1 x 0 + 9 x 4 = 36.
# Starting B instead leaves 1 not started, waiting 9 x 0 + 1 x 4 = 4.
# ---------------------------------------------------------------------------------------------


def _case(case_id: str, agreed: date, weight: int) -> CaseData:
    return CaseData(
        case_id=case_id,
        team="North",
        district="North",
        need_type="C&I",
        agreed_on=agreed,
        agreed_week=0,
        release=0,
        weeks=4,
        minutes_per_week=80,
        weight=weight,
        options=(Option(person=0, travel_minutes=0, starts=(0, 1, 2, 3)),),
        allowed_teams=("North",),
    )


def _two_cases() -> CaseloadInstance:
    monday = date(2025, 9, 1)
    return CaseloadInstance(
        week_starts=tuple(monday + timedelta(weeks=w) for w in range(8)),
        horizon=4,
        people=(PersonData("P1", "North", ("C&I",), 100, (100,) * 8),),
        cases=(_case("A", date(2025, 9, 1), 1), _case("B", date(2025, 9, 2), 9)),
    )


def test_greedy_serves_the_first_agreed_case_and_the_urgent_one_waits() -> None:
    instance = _two_cases()
    placements = first_come_first_served(instance)
    assert placements == {0: Placement(0, 0)}
    objectives = evaluate(instance, placements)
    assert (objectives.not_started, objectives.waiting) == (9, 36)


def test_highs_starts_the_urgent_case_instead() -> None:
    instance = _two_cases()
    placements, parts = solve_caseload_highs(instance, 10.0)
    assert placements == {1: Placement(0, 0)}
    objectives = evaluate(instance, placements)
    assert (objectives.not_started, objectives.waiting) == (1, 4)
    (result,) = parts[0].results
    assert result.status == Status.OPTIMAL
    assert [lv.objective for lv in result.levels] == [1, 4, 0, 800]
    assert result.levels[0].best_bound == pytest.approx(1)


def test_greedy_breaks_a_same_day_tie_by_agreed_priority() -> None:
    instance = _two_cases()
    same_day = CaseloadInstance(
        week_starts=instance.week_starts,
        horizon=instance.horizon,
        people=instance.people,
        cases=(_case("A", date(2025, 9, 1), 1), _case("B", date(2025, 9, 1), 1)),
    )
    assert first_come_first_served(same_day) == {0: Placement(0, 0)}
    assert first_come_first_served(same_day, {"A": 3, "B": 1}) == {1: Placement(0, 0)}


def test_greedy_gives_a_case_to_whoever_starts_it_soonest() -> None:
    instance = _two_cases()
    two_people = CaseloadInstance(
        week_starts=instance.week_starts,
        horizon=instance.horizon,
        people=(
            PersonData("P1", "North", ("C&I",), 100, (100,) * 8),
            PersonData("P2", "North", ("C&I",), 100, (0, 0, 100, 100, 100, 100, 100, 100)),
        ),
        cases=tuple(
            replace(
                case,
                weeks=2,
                options=(
                    Option(0, travel_minutes=10, starts=(0, 1, 2, 3)),
                    Option(1, travel_minutes=0, starts=(2, 3)),
                ),
            )
            for case in instance.cases
        ),
    )
    # A: P1 from week 0 (P2 has no time before week 2). B: P1 is busy until week 2, when both are
    # free; P2 is less loaded, so B goes to P2 in week 2.
    assert first_come_first_served(two_people) == {0: Placement(0, 0), 1: Placement(1, 2)}


# ---------------------------------------------------------------------------------------------
# Scenarios: both plans pass the independent checker, and HiGHS starts at least as much as greedy.
# ---------------------------------------------------------------------------------------------


def _crowded(tiny: Scenario) -> Scenario:
    """The tiny county with a dozen more C&I cases than its two district teachers can start at once."""
    extra = tuple(
        Agreement(
            case_id=f"C-{i:03d}",
            school_urn=(100001, 100002, 100003)[i % 3],
            need_type="C&I",
            sen_stage=("SEN Support", "EHCP")[i % 2],
            lac="yes" if i % 5 == 0 else "no",
            consent="yes",
            agreed_on=date(2025, 9, 3) + timedelta(days=3 * i),
            minutes_per_week=(240, 300, 360)[i % 3],
            weeks=(20, 30, 36)[i % 3],
            priority=(3, 2, 1)[i % 3],
        )
        for i in range(14)
    )
    fields = {name: getattr(tiny, name) for name in type(tiny).model_fields}
    fields["agreements"] = (*tiny.agreements, *extra)
    return Scenario.model_validate(fields)


@pytest.fixture(scope="module")
def crowded(tiny_scenario: Scenario) -> Scenario:
    return _crowded(tiny_scenario)


@pytest.fixture(scope="module")
def greedy_plan(crowded: Scenario) -> CaseloadOutcome:
    return plan_caseload_greedy(crowded)


@pytest.fixture(scope="module")
def highs_plan(crowded: Scenario) -> CaseloadOutcome:
    return plan_caseload_highs(crowded, SolveParams(time_limit=20, workers=2, seed=0))


def _assert_checked(outcome: CaseloadOutcome) -> None:
    assert outcome.check.ok, outcome.check.breaches
    assert placement_errors(outcome.instance, outcome.placements) == []
    recomputed = (
        outcome.check.not_started,
        outcome.check.waiting,
        outcome.check.travel,
        outcome.check.neighbour,
        outcome.check.balance,
    )
    o = outcome.objectives
    assert recomputed == (o.not_started, o.waiting, o.travel, o.neighbour, o.balance)
    assert sorted(outcome.plan.case_ids()) == sorted(c.case_id for c in outcome.instance.cases)


def test_greedy_plan_passes_the_checker(greedy_plan: CaseloadOutcome) -> None:
    _assert_checked(greedy_plan)
    assert greedy_plan.engine == "greedy"
    assert greedy_plan.kpis.waiting > 0, "the crowded county should leave some cases waiting"
    assert greedy_plan.level_bound(0) is None, "a greedy proves no bound"


def test_highs_plan_passes_the_checker(highs_plan: CaseloadOutcome) -> None:
    _assert_checked(highs_plan)
    assert highs_plan.engine == "highs"


def test_highs_starts_at_least_the_greedy_weight(
    greedy_plan: CaseloadOutcome, highs_plan: CaseloadOutcome
) -> None:
    assert highs_plan.started_weight >= greedy_plan.started_weight
    # Here first come first served is beaten outright: 34 priority weight waits, against 31.
    assert highs_plan.objectives.not_started < greedy_plan.objectives.not_started
    bound = highs_plan.level_bound(0)
    assert bound is not None
    assert bound <= highs_plan.objectives.not_started


def test_highs_proves_the_crowded_county_optimal(highs_plan: CaseloadOutcome) -> None:
    assert highs_plan.proven_optimal
    for part in highs_plan.parts:
        for result in part.results:
            for level in result.levels:
                assert level.best_bound == pytest.approx(level.objective)
    assert highs_plan.gap == 0


def test_levels_after_the_first_never_undo_it(crowded: Scenario) -> None:
    first_only = plan_caseload_highs(crowded, SolveParams(time_limit=10), levels=1)
    _assert_checked(first_only)
    assert [lv.name for p in first_only.parts for r in p.results for lv in r.levels][:1] == [
        "not_started"
    ]
    full = plan_caseload_highs(crowded, SolveParams(time_limit=20), levels=3)
    assert full.objectives.not_started == first_only.objectives.not_started


def test_one_district(crowded: Scenario) -> None:
    greedy = plan_caseload_greedy(crowded, district="Southfield")
    highs = plan_caseload_highs(crowded, SolveParams(time_limit=10), district="Southfield")
    for outcome in (greedy, highs):
        _assert_checked(outcome)
        assert {a.team for a in outcome.plan.assignments} <= {"Southfield", "HI"}


def test_levels_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError, match="levels must be 1 to 4"):
        solve_caseload_highs(_two_cases(), 1.0, levels=5)
