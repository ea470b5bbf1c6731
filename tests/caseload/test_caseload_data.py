"""The solver-neutral caseload instance: weeks, capacity, travel, weights, options, reasons, scoring."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from allocator.caseload.data import build_instance, evaluate, placement_errors, school_weeks
from allocator.instances.caseload import Placement
from allocator.model import CaseloadSettings, Closure, TravelTime
from allocator.model.travel import estimated_one_way_minutes, haversine_km
from tests.builders.caseload import (
    FIRST_MONDAY,
    NORTH_NURSERY,
    NORTH_PRIMARY,
    SOUTH_PRIMARY,
    case,
    county,
    leave,
    monday,
    plan_row,
    teacher,
)


def test_school_weeks_skip_holidays_and_county_inset_weeks() -> None:
    s = county([teacher("a")])
    assert len(school_weeks(s)) == 11
    assert school_weeks(s)[2] == date(2025, 9, 22)  # after the first holiday week
    inset = [Closure(date=monday(3) + timedelta(days=d)) for d in range(5)]
    assert monday(3) not in school_weeks(county([teacher("a")], closures=inset))


def test_capacity_scales_with_days_less_closures_and_leave() -> None:
    s = county(
        [teacher("a", minutes=500)],
        closures=[
            Closure(date=monday(1), district="Northdown"),
            Closure(date=monday(1), district="Southfield"),
        ],
        unavailability=[leave("a", monday(2) + timedelta(days=1), monday(2) + timedelta(days=2))],
    )
    capacity = build_instance(s).people[0].capacity
    assert capacity[:4] == (500, 400, 300, 500)
    assert capacity[11:] == (500,) * (len(capacity) - 11)  # projected weeks: full minutes


def test_release_is_first_week_after_agreement_plus_lead_time() -> None:
    agreed = monday(2) + timedelta(days=2)  # a Wednesday: the next Monday is week 3
    s = county(
        [teacher("a")], [case("C1", agreed=agreed)], caseload=CaseloadSettings(lead_time_weeks=2)
    )
    c = build_instance(s).cases[0]
    assert (c.agreed_week, c.release) == (3, 5)
    assert c.options[0].starts[0] == 5


def test_today_holds_back_new_starts() -> None:
    s = county([teacher("a")], [case("C1")])
    assert build_instance(s, today=monday(4)).cases[0].release == 4


def test_travel_is_there_and_back_from_the_table_else_estimated() -> None:
    s = county(
        [teacher("a"), teacher("b", lat=51.1, lon=0.6)],
        [case("C1")],
        one_way=None,
        travel=[TravelTime(person_id="a", school_urn=NORTH_PRIMARY, minutes=25)],
    )
    options = build_instance(s).cases[0].options
    assert options[0].travel_minutes == 50
    km = haversine_km(51.1, 0.6, 51.31, 0.51)
    assert 23 < km < 25
    expected = round(km * 1.3 / 30 * 60)
    assert options[1].travel_minutes == 2 * expected
    assert estimated_one_way_minutes(s.people[1], s.schools[0], s.settings.caseload) == expected


def test_priority_weight_adds_lac_statutory_early_years_and_urgent() -> None:
    s = county(
        [teacher("a")],
        [
            case("C1"),
            case("C2", lac=True, stage="EHCP", priority=1),
            case("C3", urn=NORTH_NURSERY, priority=2),
        ],
    )
    assert [c.weight for c in build_instance(s).cases] == [1, 1 + 3 + 2 + 3, 1 + 2]


def test_options_follow_specialism_team_and_pool_rules() -> None:
    people = [
        teacher("north-ci", "Northdown", "C&I"),
        teacher("north-bl", "Northdown", "B&L"),
        teacher("south-ci", "Southfield", "C&I"),
        teacher("hi", "HI", "HI;C&I"),
    ]
    s = county(people, [case("C1"), case("C2", need="HI", urn=SOUTH_PRIMARY)])
    inst = build_instance(s)
    ids = [[inst.people[o.person].person_id for o in c.options] for c in inst.cases]
    assert ids == [["north-ci"], ["hi"]]
    assert inst.cases[1].team == "HI"


def test_neighbour_teams_are_options_at_a_cost() -> None:
    settings = CaseloadSettings(lead_time_weeks=0, neighbour_teams={"Northdown": ["Southfield"]})
    s = county([teacher("n"), teacher("s", "Southfield")], [case("C1")], caseload=settings)
    inst = build_instance(s)
    assert [(o.person, o.neighbour_cost) for o in inst.cases[0].options] == [(0, 0), (1, 60)]
    assert [sorted(p.teams) for p in inst.components()] == [["Northdown", "Southfield"]]


def test_components_are_teams_without_neighbour_rules() -> None:
    s = county([teacher("n"), teacher("s", "Southfield"), teacher("h", "HI", "HI")], [case("C1")])
    parts = build_instance(s).components()
    assert sorted(p.teams for p in parts) == [("HI",), ("Northdown",), ("Southfield",)]
    north = next(p for p in parts if p.teams == ("Northdown",))
    assert [c.case_id for c in north.cases] == ["C1"]
    assert north.people[north.cases[0].options[0].person].person_id == "n"


@pytest.mark.parametrize(
    ("agreement", "words"),
    [
        (case("C1", consent="no"), "consent"),
        (case("C1", need="PSCN"), "no one in the Northdown team has the PSCN specialism"),
        (case("C1", agreed=monday(10) + timedelta(days=1)), "cannot start before the year ends"),
    ],
)
def test_wait_reasons_when_a_case_cannot_be_planned(agreement, words) -> None:  # type: ignore[no-untyped-def]
    c = build_instance(county([teacher("a")], [agreement])).cases[0]
    assert not c.plannable
    assert words in (c.wait_reason or "")


def test_starts_avoid_weeks_without_room() -> None:
    s = county(
        [teacher("a", minutes=100)],
        [case("C1", minutes=70, weeks=2)],
        unavailability=[leave("a", monday(3), monday(3) + timedelta(days=4))],
    )
    starts = build_instance(s).cases[0].options[0].starts
    assert 2 not in starts and 3 not in starts  # a run through the week of leave does not fit
    assert {0, 1, 4, 10} <= set(starts)


def test_running_support_is_fixed_and_reserves_minutes() -> None:
    s = county(
        [teacher("a", minutes=200)],
        [case("C1", minutes=100, weeks=2), case("C2", minutes=80)],
        current_plan=[plan_row("C1", "a", monday(0), monday(1) + timedelta(days=4))],
    )
    inst = build_instance(s)
    assert inst.cases[0].fixed is not None and not inst.cases[0].plannable
    assert inst.fixed_load[0][:3] == (120, 120, 0)
    assert inst.cases[1].options[0].starts[0] == 2  # 80 + 20 does not fit beside 120 in 200


def test_planned_rows_are_recorded_and_started_ones_fixed_with_today() -> None:
    rows = [plan_row("C1", "a", monday(2), monday(3), "planned")]
    s = county([teacher("a")], [case("C1")], current_plan=rows)
    assert build_instance(s).cases[0].planned == Placement(0, 2)
    fixed = build_instance(s, today=monday(2) + timedelta(days=1)).cases[0]
    assert fixed.fixed is not None and fixed.planned is None


def test_capacity_override_scales_a_team_pro_rata() -> None:
    s = county([teacher("a", minutes=300), teacher("b", minutes=100)])
    people = build_instance(s, capacity_override={"Northdown": 800}).people
    assert [p.minutes_per_week for p in people] == [600, 200]


def test_evaluate_scores_by_hand() -> None:
    s = county(
        [teacher("a", minutes=200), teacher("b", minutes=200)],
        [case("C1", weeks=2, lac=True), case("C2", agreed=monday(1)), case("C3", consent="no")],
    )
    inst = build_instance(s)
    scores = evaluate(inst, {0: Placement(0, 3)})
    # C1 (weight 4) waits 3 weeks; C2 (weight 1) is not started: it waits 11 - 1 = 10; C3 is not counted.
    assert scores.not_started == 1
    assert scores.waiting == 4 * 3 + 10
    assert scores.travel == 20 * 2
    capacity = 200 * 11
    assert scores.balance == -(-1000 * 2 * 80 // capacity)  # a's share; b's team is the same team
    assert scores.levels == (1, 22, 40, scores.balance)


def test_placement_errors_find_breaches() -> None:
    s = county(
        [teacher("a", minutes=100)],
        [case("C1", minutes=60), case("C2", minutes=60, agreed=monday(2))],
    )
    inst = build_instance(s)
    assert placement_errors(inst, {0: Placement(0, 0)}) == []
    assert any(
        "week 0 uses 160" in e
        for e in placement_errors(inst, {0: Placement(0, 0), 1: Placement(0, 0)})
    )
    assert any("outside release" in e for e in placement_errors(inst, {1: Placement(0, 1)}))


def test_first_monday_is_week_zero() -> None:
    assert school_weeks(county([teacher("a")]))[0] == FIRST_MONDAY
