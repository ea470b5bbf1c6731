"""The independent checker: it accepts a sound plan, finds each kind of breach, and scores by hand."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from allocator.caseload.check import check_caseload, unlisted_changes
from allocator.model import CaseloadSettings, Closure, Scenario
from allocator.model.caseload_result import Assignment, CaseloadPlan, Change, Waiting
from tests.builders.caseload import (
    SOUTH_PRIMARY,
    case,
    county,
    friday,
    leave,
    monday,
    plan_row,
    teacher,
)


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


# ---------------------------------------------------------------------------------------------
# Blind spots (#11): each test below fails when its planted bug is put back (docs/testing.md)
# ---------------------------------------------------------------------------------------------


def _running() -> Scenario:
    """C1 running with `a` in school weeks 2 and 3 (the current plan)."""
    rows = [plan_row("C1", "a", monday(2), friday(3))]
    return county([teacher("a"), teacher("b")], [case("C1")], current_plan=rows)


@pytest.mark.parametrize(
    "change",
    [
        {"end": friday(2)},  # cut short by a week
        {"end": friday(3) - timedelta(days=1)},  # cut short by a day
        {"end": friday(4)},  # run on
        {"start": monday(1)},  # started a week earlier
        {"start": monday(2) - timedelta(days=3)},  # the Friday before
        {"start": monday(2) + timedelta(days=1)},  # a day later
    ],
)
def test_running_support_keeps_its_weeks(change: dict[str, object]) -> None:
    kept = assignment("C1", start=2, status="running")
    assert check_caseload(_running(), plan(kept)).ok
    moved = kept.model_copy(update=change)
    report = check_caseload(_running(), plan(moved))
    assert any("C1: running support moved" in b for b in report.breaches), report.breaches


def test_a_run_shorter_than_agreed_is_a_breach() -> None:
    s = county([teacher("a")], [case("C1", weeks=3)])
    assert check_caseload(s, plan(assignment("C1", weeks=3))).ok
    for weeks in (1, 2):
        report = check_caseload(s, plan(assignment("C1", weeks=weeks)))
        assert f"C1: runs {weeks} school weeks, agreed 3" in report.breaches


def test_a_start_a_week_too_early_is_a_breach() -> None:
    s = county(
        [teacher("a")], [case("C1", agreed=monday(3))], caseload=CaseloadSettings(lead_time_weeks=2)
    )
    assert check_caseload(s, plan(assignment("C1", start=5))).ok
    report = check_caseload(s, plan(assignment("C1", start=4)))
    assert any("starts in school week 5, before week 6" in b for b in report.breaches)


def test_a_start_on_a_closure_day_is_a_breach() -> None:
    s = county([teacher("a")], [case("C1")], closures=[Closure(date=monday(1))])
    on_closure = assignment("C1", start=1)
    report = check_caseload(s, plan(on_closure))
    assert report.breaches == (f"C1: starts on {monday(1)}, not a school day",)
    after = on_closure.model_copy(update={"start": monday(1) + timedelta(days=1)})
    assert check_caseload(s, plan(after)).ok
    weekend = on_closure.model_copy(update={"start": monday(1) - timedelta(days=1)})
    assert any("not a school day" in b for b in check_caseload(s, plan(weekend)).breaches)


def test_the_neighbour_team_cost_is_counted_per_week_of_support() -> None:
    settings = CaseloadSettings(
        lead_time_weeks=0, neighbour_teams={"Northdown": ["Southfield"]}, neighbour_cost_minutes=45
    )
    s = county([teacher("n"), teacher("s", "Southfield")], [case("C1", weeks=3)], caseload=settings)
    south = assignment("C1", person="s", team="Southfield", weeks=3)
    assert check_caseload(s, plan(south)).neighbour == 45 * 3
    assert check_caseload(s, plan(assignment("C1", person="n", weeks=3))).neighbour == 0


# ---------------------------------------------------------------------------------------------
# Consent (#11): no planned or running support of a case whose consent is 'no'
# ---------------------------------------------------------------------------------------------


def _withdrawn_county() -> Scenario:
    """C3 (consent 'no') still runs with `a` in the current plan, weeks 0 to 3."""
    base = scenario()
    return base.model_copy(update={"current_plan": (plan_row("C3", "a", monday(0), friday(3)),)})


def test_consent_required_for_support_accepts_stopped_or_dropped_support() -> None:
    from allocator.caseload.check import support_without_consent

    s = _withdrawn_county()
    stopped = assignment("C3", weeks=2, status="withdrawn")
    ok = plan(assignment("C1", start=4), assignment("C2", start=6), stopped)
    assert support_without_consent(s, ok) == []
    assert check_caseload(s, ok).ok, check_caseload(s, ok).breaches
    dropped = plan(assignment("C1", start=1), assignment("C2", start=3), waiting=("C3",))
    assert check_caseload(s, dropped).ok, check_caseload(s, dropped).breaches


@pytest.mark.parametrize("status", ["running", "planned"])
def test_consent_required_for_support_flags_support_without_consent(status: str) -> None:
    from allocator.caseload.check import support_without_consent

    s = _withdrawn_county()
    kept = assignment("C3", weeks=4, status=status)
    bad = plan(assignment("C1", start=4), assignment("C2", start=6), kept)
    assert support_without_consent(s, bad) == [
        f"C3: {status} support without consent (consent is 'no')"
    ]
    assert f"C3: {status} support without consent (consent is 'no')" in (
        check_caseload(s, bad).breaches
    )


def test_withdrawn_support_may_only_stop_earlier_not_move() -> None:
    s = _withdrawn_county()
    later = assignment("C3", weeks=5, status="withdrawn")  # runs past the row's end
    moved = assignment("C3", person="bl", weeks=2, status="withdrawn")
    for bad in (later, moved):
        report = check_caseload(s, plan(assignment("C1", start=4), assignment("C2", start=6), bad))
        assert any("neither stopped nor dropped" in b for b in report.breaches), report.breaches


def test_a_broken_promise_must_be_listed_with_a_reason() -> None:
    before = CaseloadPlan(
        assignments=(
            Assignment(
                case_id="C1",
                person_id="a",
                team="Northdown",
                start=monday(1),
                end=friday(3),
                minutes_per_week=60,
                travel_minutes=20,
            ),
        )
    )
    later = before.assignments[0].model_copy(update={"start": monday(4), "end": friday(6)})
    after = CaseloadPlan(assignments=(later,))
    assert unlisted_changes(before, before, []) == []
    assert unlisted_changes(before, after, []) == [
        "C1: its planned start was broken without a listed reason"
    ]
    said = Change(case_id="C1", before_person="a", after_person="a", kind="broken", reason="why")
    assert unlisted_changes(before, after, [said]) == []
