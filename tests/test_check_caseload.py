"""The independent checker: it accepts a sound plan, finds each kind of breach, and scores by hand."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from caseload_fixtures import SOUTH_PRIMARY, case, county, friday, leave, monday, plan_row, teacher

from allocator.check_caseload import check_caseload
from allocator.model import CaseloadSettings, Scenario
from allocator.model.caseload_result import Assignment, CaseloadPlan, Waiting


def assignment(
    case_id: str, person: str = "a", start: int = 0, weeks: int = 2, **fields: object
) -> Assignment:
    """An assignment from school week `start` for `weeks` school weeks (60 minutes, 20 travel)."""
    data: dict[str, object] = {
        "case_id": case_id,
        "person_id": person,
        "team": "Northdown",
        "start": monday(start),
        "end": friday(start + weeks - 1),
        "minutes_per_week": 60,
        "travel_minutes": 20,
    }
    data.update(fields)
    return Assignment.model_validate(data)


def scenario() -> Scenario:
    people = [
        teacher("a", minutes=200),
        teacher("bl", specialisms="B&L"),
        teacher("s", "Southfield"),
    ]
    agreements = [case("C1"), case("C2", agreed=monday(2), lac=True), case("C3", consent="no")]
    return county(people, agreements, caseload=CaseloadSettings(lead_time_weeks=1))


def plan(*assignments: Assignment, waiting: tuple[str, ...] = ()) -> CaseloadPlan:
    return CaseloadPlan(
        assignments=assignments,
        waiting=tuple(
            Waiting(case_id=c, reason="consent is 'no'" if c == "C3" else "capacity is full")
            for c in waiting
        ),
    )


GOOD = plan(assignment("C1", start=1), assignment("C2", start=3), waiting=("C3",))


def test_accepts_a_sound_plan_and_scores_it_by_hand() -> None:
    report = check_caseload(scenario(), GOOD)
    assert report.ok, report.breaches
    # C1 (weight 1) agreed week 0 starts week 1; C2 (LAC, weight 4) agreed week 2 starts week 3.
    assert report.not_started == 0
    assert report.waiting == 1 * 1 + 4 * 1
    assert report.travel == 20 * 2 + 20 * 2
    # a: 80 minutes in each of 4 weeks, of 200 x 11; the other teams' members are idle.
    assert report.balance == -(-1000 * 320 // 2200)


def test_a_waiting_case_counts_to_the_end_of_the_year() -> None:
    report = check_caseload(scenario(), plan(assignment("C1", start=1), waiting=("C2", "C3")))
    assert report.not_started == 4
    assert report.waiting == 1 + 4 * (11 - 2)


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (plan(assignment("C1", start=1), waiting=("C2", "C3")), None),
        (
            plan(assignment("C1", start=1), assignment("C2", start=3), waiting=("C1", "C3")),
            "appears 2 times",
        ),
        (plan(assignment("C1", start=1), waiting=("C3",)), "C2: in neither"),
        (
            plan(assignment("C1", start=1), assignment("C2", start=3), assignment("C3", start=3)),
            "without consent",
        ),
        (
            plan(
                assignment("C1", person="bl", start=1), assignment("C2", start=3), waiting=("C3",)
            ),
            "lacks the C&I specialism",
        ),
        (
            plan(
                assignment("C1", person="s", team="Southfield", start=1),
                assignment("C2", start=3),
                waiting=("C3",),
            ),
            "may not serve",
        ),
        (
            plan(assignment("C1", start=0), assignment("C2", start=3), waiting=("C3",)),
            "before week 2",
        ),
        (
            plan(assignment("C1", start=1, weeks=3), assignment("C2", start=3), waiting=("C3",)),
            "runs 3 school weeks",
        ),
        (
            plan(
                assignment("C1", start=1, travel_minutes=5),
                assignment("C2", start=3),
                waiting=("C3",),
            ),
            "travel 5",
        ),
        (
            plan(assignment("C1", start=1, team="HI"), assignment("C2", start=3), waiting=("C3",)),
            "not a's team",
        ),
        (
            plan(assignment("C1", start=1), assignment("C2", start=3), waiting=("C3",)).model_copy(
                update={"waiting": (Waiting(case_id="C3", reason="capacity is full"),)}
            ),
            "does not say so",
        ),
    ],
)
def test_finds_each_kind_of_breach(bad: CaseloadPlan, words: str | None) -> None:
    report = check_caseload(scenario(), bad)
    if words is None:
        assert report.ok
    else:
        assert any(words in b for b in report.breaches), report.breaches


def test_finds_weeks_over_capacity_and_leave() -> None:
    three = [assignment("C1", start=2), assignment("C2", start=3), assignment("C4", start=3)]
    s = county([teacher("a", minutes=200)], [case("C1"), case("C2"), case("C4")])
    assert check_caseload(s, plan(*three[:2])).breaches == (
        "C4: in neither the assignments nor the waiting list",
    )
    report = check_caseload(s, plan(*three))
    assert any(f"a: week of {monday(3)} uses 240 of 200" in b for b in report.breaches)
    away = county(
        [teacher("a", minutes=200)],
        [case("C1")],
        unavailability=[leave("a", monday(2), friday(2) - timedelta(days=1))],
    )
    assert check_caseload(away, plan(assignment("C1", start=3))).ok
    report = check_caseload(away, plan(assignment("C1", start=2)))
    assert any(f"a: week of {monday(2)} uses 80 of 40" in b for b in report.breaches)


def test_a_pooled_need_goes_to_its_pool() -> None:
    s = county(
        [teacher("a", specialisms="C&I;HI"), teacher("h", "HI", "HI")],
        [case("C1", need="HI", urn=SOUTH_PRIMARY)],
    )
    wrong = check_caseload(s, plan(assignment("C1")))
    assert any("served by the HI pool" in b for b in wrong.breaches)
    assert check_caseload(s, plan(assignment("C1", person="h", team="HI"))).ok


def test_running_support_may_not_move() -> None:
    rows = [plan_row("C1", "a", monday(0), friday(1))]
    s = county([teacher("a"), teacher("b")], [case("C1")], current_plan=rows)
    kept = assignment("C1", status="running")
    assert check_caseload(s, plan(kept)).ok
    moved = assignment("C1", person="b", status="running")
    assert any("running support moved" in b for b in check_caseload(s, plan(moved)).breaches)


def test_running_support_is_exempt_from_the_start_rules_but_uses_minutes() -> None:
    # C1 started before its agreement (an old plan); it is still checked for minutes.
    rows = [plan_row("C1", "a", monday(0), friday(1))]
    s = county(
        [teacher("a", minutes=100)], [case("C1", agreed=monday(5)), case("C2")], current_plan=rows
    )
    ok = plan(assignment("C1", status="running"), assignment("C2", start=2))
    assert check_caseload(s, ok).ok
    clash = plan(assignment("C1", status="running"), assignment("C2", start=1))
    assert any("uses 160 of 100" in b for b in check_caseload(s, clash).breaches)


def test_counts_changes_and_start_shift_against_the_plan_before() -> None:
    s = county([teacher("a"), teacher("b")], [case("C1"), case("C2"), case("C3")])
    before = plan(assignment("C1"), assignment("C2", start=2), assignment("C3", start=4))
    after = plan(assignment("C1"), assignment("C2", person="b", start=2), assignment("C3", start=7))
    report = check_caseload(s, after, before=before)
    assert (report.changes, report.start_shift) == (2, 3)
    assert check_caseload(s, before, before=before).changes == 0


def test_today_holds_back_starts_and_fixes_what_has_begun() -> None:
    s = county([teacher("a")], [case("C1"), case("C2")])
    before = plan(assignment("C1", start=0), assignment("C2", start=4))
    today = monday(2) + timedelta(days=2)
    moved_started = plan(assignment("C1", start=1), assignment("C2", start=4))
    assert any(
        "running support moved" in b
        for b in check_caseload(s, moved_started, before=before, today=today).breaches
    )
    too_soon = plan(assignment("C1", start=0), assignment("C2", start=2))
    assert any(
        "before week 4" in b
        for b in check_caseload(s, too_soon, before=before, today=today).breaches
    )


def test_capacity_override_changes_the_minutes_checked() -> None:
    s = county([teacher("a", minutes=100)], [case("C1"), case("C2")])
    both = plan(assignment("C1"), assignment("C2"))
    assert not check_caseload(s, both).ok
    assert check_caseload(s, both, capacity_override={"Northdown": 160}).ok


def test_a_start_outside_the_year_is_a_breach() -> None:
    s = county([teacher("a")], [case("C1")])
    late = assignment("C1").model_copy(update={"start": date(2026, 3, 2), "end": date(2026, 3, 13)})
    assert any(
        "not in a school week of the year" in b for b in check_caseload(s, plan(late)).breaches
    )
