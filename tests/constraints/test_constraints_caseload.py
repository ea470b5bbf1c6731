"""One pair of tests per caseload rule: a case with no penalty and a case with a known penalty.

For a hard rule, the "penalty" test offers the model a way to break it (an option the instance would
never offer, injected by hand) and shows the rule is what stops it: the most the breach can reach is 0
with the rule and more without. Each test runs on both formulations.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import fields, replace
from datetime import timedelta

import pytest
from ortools.sat.python import cp_model

from allocator.caseload.data import Objectives, build_instance
from allocator.constraints import constraints_of, levels_of
from allocator.constraints.caseload import (
    FORMULATIONS,
    CaseloadModel,
    build_caseload_model,
    consent_required,
    one_person_one_start,
    running_support_never_moves,
    served_by_its_team,
    specialism_covers_need,
    starts_after_agreement,
    weekly_capacity,
)
from allocator.instances.caseload import CaseloadInstance, Option, Placement
from allocator.model import CaseloadSettings, Scenario, TravelTime
from allocator.model.caseload_result import CaseloadCheck
from allocator.solve import LinearExpr, solve
from tests.builders.caseload import (
    FAST,
    NORTH_PRIMARY,
    case,
    county,
    friday,
    monday,
    plan_row,
    teacher,
)

FORMS = sorted(FORMULATIONS)
HardRule = Callable[[CaseloadModel], None]


def most(
    instance: CaseloadInstance,
    formulation: str,
    rules: Sequence[HardRule],
    breach: Callable[[CaseloadModel], LinearExpr],
) -> int:
    """The largest value `breach` can take in a model with only `rules`."""
    m = FORMULATIONS[formulation](instance)
    for rule in rules:
        rule(m)
    m.model.maximize(breach(m))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.max_time_in_seconds = 10
    assert solver.solve(m.model) == cp_model.OPTIMAL
    return round(solver.objective_value)


def planned(
    scenario: Scenario, formulation: str, rebalance: bool = False
) -> tuple[dict[str, int], dict[int, Placement]]:
    """Every penalty's value at the lexicographic optimum, and the placements."""
    instance = build_instance(scenario)
    m, levels = build_caseload_model(instance, formulation, rebalance=rebalance)
    result, solution = solve(m.model, levels, FAST)
    assert result.proven_optimal
    values = {p.name: solution.value(p.expr) for level in levels for p in level.penalties}
    return values, m.placements(solution)


def with_option(
    instance: CaseloadInstance, c: int, option: Option, **changes: object
) -> CaseloadInstance:
    """The instance with an option (and case fields) injected into case c."""
    cases = list(instance.cases)
    cases[c] = replace(cases[c], options=(*cases[c].options, option), **changes)  # type: ignore[arg-type]
    return replace(instance, cases=tuple(cases))


def all_placements(m: CaseloadModel) -> LinearExpr:
    return sum((m.started(c) for c in m.modelled), start=0)


# ---------------------------------------------------------------------------------------------
# Hard rules
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
def test_one_person_one_start_no_penalty(form: str) -> None:
    inst = build_instance(county([teacher("a"), teacher("b")], [case("C1")]))
    uses = lambda m: m.uses(0, 0) + m.uses(0, 1)  # noqa: E731
    assert most(inst, form, [one_person_one_start], uses) == 1


@pytest.mark.parametrize("form", FORMS)
def test_one_person_one_start_penalty(form: str) -> None:
    inst = build_instance(county([teacher("a"), teacher("b")], [case("C1")]))
    uses = lambda m: m.uses(0, 0) + m.uses(0, 1)  # noqa: E731
    if form == "time-indexed":
        # Without the rule, a case could take two people and several starts at once.
        assert most(inst, form, [], uses) > 1
    else:
        # The interval model ties all options to one start; without the rule both could be present.
        assert most(inst, form, [], uses) == 2
    assert most(inst, form, [one_person_one_start], uses) == 1


@pytest.mark.parametrize("form", FORMS)
def test_specialism_covers_need_no_penalty(form: str) -> None:
    inst = build_instance(county([teacher("a", specialisms="C&I")], [case("C1")]))
    assert most(inst, form, [one_person_one_start, specialism_covers_need], all_placements) == 1


@pytest.mark.parametrize("form", FORMS)
def test_specialism_covers_need_penalty(form: str) -> None:
    inst = build_instance(
        county([teacher("bl", specialisms="B&L")], [case("C1", need="B&L"), case("C2")])
    )
    # C2 (C&I) has no one; offer it the B&L specialist anyway.
    inst = with_option(inst, 1, Option(0, 20, 0, tuple(range(11))), wait_reason=None)
    breach = lambda m: m.started(1)  # noqa: E731
    assert most(inst, form, [one_person_one_start], breach) == 1
    assert most(inst, form, [one_person_one_start, specialism_covers_need], breach) == 0


@pytest.mark.parametrize("form", FORMS)
def test_served_by_its_team_no_penalty(form: str) -> None:
    inst = build_instance(county([teacher("hi", "HI", "HI")], [case("C1", need="HI")]))
    assert most(inst, form, [one_person_one_start, served_by_its_team], all_placements) == 1


@pytest.mark.parametrize("form", FORMS)
def test_served_by_its_team_penalty(form: str) -> None:
    inst = build_instance(county([teacher("n"), teacher("s", "Southfield")], [case("C1")]))
    south = inst.person_index["s"]
    inst = with_option(inst, 0, Option(south, 20, 0, tuple(range(11))))
    breach = lambda m: m.uses(0, 1)  # noqa: E731
    assert most(inst, form, [one_person_one_start], breach) == 1
    assert most(inst, form, [one_person_one_start, served_by_its_team], breach) == 0


@pytest.mark.parametrize("form", FORMS)
def test_weekly_capacity_no_penalty(form: str) -> None:
    inst = build_instance(county([teacher("a", minutes=160)], [case("C1"), case("C2")]))
    at_zero = lambda m: m.at(0, 0, 0) + m.at(1, 0, 0)  # noqa: E731
    assert most(inst, form, [one_person_one_start, weekly_capacity], at_zero) == 2


@pytest.mark.parametrize("form", FORMS)
def test_weekly_capacity_penalty(form: str) -> None:
    # 60 + 20 travel each: two at once need 160 minutes; the person has 150.
    inst = build_instance(county([teacher("a", minutes=150)], [case("C1"), case("C2")]))
    at_zero = lambda m: m.at(0, 0, 0) + m.at(1, 0, 0)  # noqa: E731
    assert most(inst, form, [one_person_one_start], at_zero) == 2
    assert most(inst, form, [one_person_one_start, weekly_capacity], at_zero) == 1


@pytest.mark.parametrize("form", FORMS)
def test_starts_after_agreement_no_penalty(form: str) -> None:
    inst = build_instance(county([teacher("a")], [case("C1", agreed=monday(3))]))
    assert (
        most(inst, form, [one_person_one_start, starts_after_agreement], lambda m: m.at(0, 0, 3))
        == 1
    )


@pytest.mark.parametrize("form", FORMS)
def test_starts_after_agreement_penalty(form: str) -> None:
    inst = build_instance(county([teacher("a")], [case("C1", agreed=monday(3))]))
    early = Option(0, 20, 0, tuple(range(11)))
    inst = replace(inst, cases=(replace(inst.cases[0], options=(early,)),))
    before = lambda m: m.at(0, 0, 0) + m.at(0, 0, 1) + m.at(0, 0, 2)  # noqa: E731
    assert most(inst, form, [one_person_one_start], before) == 1
    assert most(inst, form, [one_person_one_start, starts_after_agreement], before) == 0


@pytest.mark.parametrize("form", FORMS)
def test_consent_required_no_penalty(form: str) -> None:
    inst = build_instance(county([teacher("a")], [case("C1", consent="exception: safeguarding")]))
    assert most(inst, form, [one_person_one_start, consent_required], all_placements) == 1


@pytest.mark.parametrize("form", FORMS)
def test_consent_required_penalty(form: str) -> None:
    inst = build_instance(county([teacher("a")], [case("C1", consent="no")]))
    assert inst.cases[0].wait_reason is not None  # the instance never offers it ...
    inst = replace(
        inst, cases=(replace(inst.cases[0], wait_reason=None),)
    )  # ... but suppose it did
    assert most(inst, form, [one_person_one_start], all_placements) == 1
    assert most(inst, form, [one_person_one_start, consent_required], all_placements) == 0


@pytest.mark.parametrize("form", FORMS)
def test_running_support_never_moves_no_penalty(form: str) -> None:
    rows = [plan_row("C1", "a", monday(0), monday(1) + timedelta(days=4))]
    inst = build_instance(county([teacher("a")], [case("C1"), case("C2")], current_plan=rows))
    assert inst.cases[0].options == ()  # nothing to choose for running support
    rules = [one_person_one_start, running_support_never_moves]
    assert most(inst, form, rules, all_placements) == 1  # only the new case is placed


@pytest.mark.parametrize("form", FORMS)
def test_running_support_never_moves_penalty(form: str) -> None:
    rows = [plan_row("C1", "a", monday(0), monday(1) + timedelta(days=4))]
    inst = build_instance(county([teacher("a")], [case("C1")], current_plan=rows))
    inst = with_option(inst, 0, Option(0, 20, 0, tuple(range(2, 11))))
    assert most(inst, form, [one_person_one_start], all_placements) == 1
    assert (
        most(inst, form, [one_person_one_start, running_support_never_moves], all_placements) == 0
    )


# ---------------------------------------------------------------------------------------------
# Objectives
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
def test_not_started_no_penalty(form: str) -> None:
    values, placements = planned(county([teacher("a")], [case("C1"), case("C2")]), form)
    assert values["not_started"] == 0 and len(placements) == 2


@pytest.mark.parametrize("form", FORMS)
def test_not_started_penalty(form: str) -> None:
    # Two 6-week cases from week 6 and room for one case at a time: the second could start in week
    # 12 at the earliest, after the 11-week year. The LAC case (weight 4) starts; C1 (weight 1) waits.
    people = [teacher("a", minutes=100)]
    agreements = [
        case("C1", agreed=monday(6), weeks=6),
        case("C2", agreed=monday(6), weeks=6, lac=True),
    ]
    values, placements = planned(county(people, agreements), form)
    assert values["not_started"] == 1
    assert placements == {1: Placement(0, 6)}


@pytest.mark.parametrize("form", FORMS)
def test_waiting_no_penalty(form: str) -> None:
    values, _ = planned(county([teacher("a")], [case("C1", agreed=monday(2))]), form)
    assert values["waiting"] == 0


@pytest.mark.parametrize("form", FORMS)
def test_waiting_penalty(form: str) -> None:
    # One at a time: the urgent LAC case (weight 1+3+3 = 7) goes first, the routine one waits 3 weeks.
    people = [teacher("a", minutes=100)]
    agreements = [case("C1", weeks=3), case("C2", weeks=3, lac=True, priority=1)]
    values, placements = planned(county(people, agreements), form)
    assert placements[1].start == 0 and placements[0].start == 3
    assert values["waiting"] == 1 * 3


@pytest.mark.parametrize("form", FORMS)
def test_travel_no_penalty(form: str) -> None:
    values, _ = planned(county([teacher("a")], [case("C1")], one_way=0), form)
    assert values["travel"] == 0


@pytest.mark.parametrize("form", FORMS)
def test_travel_penalty(form: str) -> None:
    travel = [
        TravelTime(person_id="far", school_urn=NORTH_PRIMARY, minutes=30),
        TravelTime(person_id="near", school_urn=NORTH_PRIMARY, minutes=10),
    ]
    s = county([teacher("far"), teacher("near")], [case("C1", weeks=4)], travel=travel)
    values, placements = planned(s, form)
    assert values["travel"] == 2 * 10 * 4
    assert placements[0].person == build_instance(s).person_index["near"]


@pytest.mark.parametrize("form", FORMS)
def test_neighbour_no_penalty(form: str) -> None:
    settings = CaseloadSettings(lead_time_weeks=0, neighbour_teams={"Northdown": ["Southfield"]})
    s = county([teacher("n"), teacher("s", "Southfield")], [case("C1")], caseload=settings)
    values, _ = planned(s, form)
    assert values["neighbour"] == 0


@pytest.mark.parametrize("form", FORMS)
def test_neighbour_penalty(form: str) -> None:
    # Northdown's teacher has no room for a second case in week 0; Southfield takes it at a cost.
    settings = CaseloadSettings(lead_time_weeks=0, neighbour_teams={"Northdown": ["Southfield"]})
    people = [teacher("n", minutes=100), teacher("s", "Southfield")]
    s = county(people, [case("C1", weeks=2), case("C2", weeks=2)], caseload=settings)
    values, _ = planned(s, form)
    assert values["waiting"] == 0
    assert values["neighbour"] == 60 * 2


@pytest.mark.parametrize("form", FORMS)
def test_balance_no_penalty(form: str) -> None:
    values, _ = planned(county([teacher("a")]), form)
    assert values["balance"] == 0


@pytest.mark.parametrize("form", FORMS)
def test_balance_penalty(form: str) -> None:
    # Two cases, two people with room for both: balance gives each one case.
    values, placements = planned(
        county([teacher("a"), teacher("b")], [case("C1"), case("C2")]), form
    )
    assert {p.person for p in placements.values()} == {0, 1}
    capacity = 600 * 11
    assert values["balance"] == -(-1000 * 80 * 2 // capacity)


def rebalance_county(extra: Sequence[object] = ()) -> Scenario:
    """C1 planned with `a` from week 0; `a` has room for one case at a time."""
    rows = [plan_row("C1", "a", monday(0), monday(2) + timedelta(days=4), "planned")]
    agreements = [case("C1", weeks=3), *extra]
    return county(
        [teacher("a", minutes=100), teacher("b", minutes=100, specialisms="B&L")],
        agreements,
        current_plan=rows,
    )  # type: ignore[arg-type]


def long_promise() -> Scenario:
    """C1 planned with `a` for the whole year; an urgent LAC case C2 for `a` can start in the year
    only if C1's promise is broken."""
    rows = [plan_row("C1", "a", monday(0), friday(10), "planned")]
    return county(
        [teacher("a", minutes=100), teacher("b", minutes=100, specialisms="B&L")],
        [case("C1", weeks=11), case("C2", weeks=3, lac=True, priority=1)],
        current_plan=rows,
    )  # type: ignore[arg-type]


@pytest.mark.parametrize("form", FORMS)
def test_changes_no_penalty(form: str) -> None:
    values, placements = planned(rebalance_county([case("C2", need="B&L")]), form, rebalance=True)
    assert values["changes"] == 0 and placements[0] == Placement(0, 0)


@pytest.mark.parametrize("form", FORMS)
def test_changes_penalty(form: str) -> None:
    # The urgent LAC case takes `a` from week 0: the planned C1 moves (after it, in week 3).
    values, placements = planned(long_promise(), form, rebalance=True)
    assert placements[1] == Placement(0, 0)
    assert values["changes"] == 1


@pytest.mark.parametrize("form", FORMS)
def test_urgent_not_started_no_penalty(form: str) -> None:
    # The urgent LAC case starts at once, at the cost of C1's promise.
    values, placements = planned(long_promise(), form, rebalance=True)
    assert values["urgent_not_started"] == 0 and placements[1] == Placement(0, 0)


@pytest.mark.parametrize("form", FORMS)
def test_urgent_not_started_penalty(form: str) -> None:
    # C1 runs with `a` all year (running support never moves): the urgent C2 (weight 1 + 3) cannot start.
    rows = [plan_row("C1", "a", monday(0), friday(10), "running")]
    s = county(
        [teacher("a", minutes=100)],
        [case("C1", weeks=11), case("C2", weeks=3, priority=1)],
        current_plan=rows,
    )  # type: ignore[arg-type]
    values, placements = planned(s, form, rebalance=True)
    assert 1 not in placements
    assert values["urgent_not_started"] == 1 + 3


@pytest.mark.parametrize("form", FORMS)
def test_broken_promises_no_penalty(form: str) -> None:
    # A routine case that fits in `b`'s spare time breaks no promise.
    values, placements = planned(rebalance_county([case("C2", need="B&L")]), form, rebalance=True)
    assert values["broken_promises"] == 0 and placements[0] == Placement(0, 0)


@pytest.mark.parametrize("form", FORMS)
def test_broken_promises_penalty(form: str) -> None:
    # Starting the urgent LAC case in the year breaks C1's promise (week 0 with `a`), and only it.
    values, placements = planned(long_promise(), form, rebalance=True)
    assert placements[1] == Placement(0, 0) and placements[0].start > 0
    assert values["broken_promises"] == 1


@pytest.mark.parametrize("form", FORMS)
def test_start_shift_no_penalty(form: str) -> None:
    values, _ = planned(rebalance_county(), form, rebalance=True)
    assert values["start_shift"] == 0


@pytest.mark.parametrize("form", FORMS)
def test_start_shift_penalty(form: str) -> None:
    values, placements = planned(long_promise(), form, rebalance=True)
    assert placements[0] == Placement(0, 3)
    assert values["start_shift"] == 3


def test_every_caseload_constraint_has_its_pair_of_tests() -> None:
    names = {name for name in dir(sys.modules[__name__]) if name.startswith("test_")}
    missing = [
        f"test_{info.name}_{suffix}"
        for info in constraints_of("caseload")
        for suffix in ("no_penalty", "penalty")
        if f"test_{info.name}_{suffix}" not in names
    ]
    assert not missing


def test_the_registry_is_complete_on_import_and_orders_the_levels() -> None:
    # A fresh interpreter importing only the catalogue sees every rule this process sees.
    fresh = subprocess.run(
        [
            sys.executable,
            "-c",
            "from allocator.constraints import REGISTRY; print(sorted(REGISTRY['caseload']))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert fresh == str(sorted(info.name for info in constraints_of("caseload")))
    # Serve children first, then waits, travel, balance; a rebalance then moves and shifts least.
    assert all(info.level for info in constraints_of("caseload", "soft"))
    assert [name for name, _ in levels_of("caseload")] == [
        "not_started",
        "waiting",
        "travel",
        "balance",
    ]
    assert [name for name, _ in levels_of("caseload", rebalance=True)] == [
        "urgent_not_started",
        "broken_promises",
        "not_started",
        "waiting",
        "travel",
        "balance",
        "changes",
        "start_shift",
    ]


def test_each_objective_has_one_name_from_the_rule_to_the_checker() -> None:
    soft = [info.name for info in constraints_of("caseload", "soft")]
    planning = [f.name for f in fields(Objectives)]
    assert soft == ["urgent_not_started", "broken_promises", *planning, "changes", "start_shift"]
    assert set(soft) <= set(CaseloadCheck.model_fields)
