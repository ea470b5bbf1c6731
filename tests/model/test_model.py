"""Entity rules of the county model and the academic calendar."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from allocator.model import (
    Agreement,
    Closure,
    Consent,
    MeetingSlot,
    Scenario,
    SenStage,
    Term,
    bank_holidays,
    meeting_days,
    term_days,
)
from tests.builders.folders import make_tiny_scenario


def test_bank_holidays_keep_weekdays_only() -> None:
    """1 January 2012 was a Sunday: the package lists it beside the observed Monday; we keep Monday."""
    days = bank_holidays([2012])
    assert date(2012, 1, 1) not in days
    assert date(2012, 1, 2) in days
    assert all(d.weekday() < 5 for d in days)


def test_bank_holidays_2025_26_inside_terms() -> None:
    days = bank_holidays([2025, 2026])
    assert {date(2026, 5, 4), date(2026, 5, 25), date(2026, 4, 3), date(2026, 4, 6)} <= days


def test_meeting_days_drop_bank_holidays_and_closures(tiny_scenario: Scenario) -> None:
    north = tiny_scenario.meeting_days("Northdown")
    south = tiny_scenario.meeting_days("Southfield")
    assert date(2025, 9, 1) not in north and date(2025, 9, 1) not in south  # county-wide INSET
    assert date(2026, 1, 7) not in north and date(2026, 1, 7) in south  # Northdown only
    assert date(2026, 5, 4) not in north  # May Day, inside term 5
    assert all(d.weekday() < 5 for d in north)


def test_term_5_2025_26_has_five_weeks_and_four_mondays(tiny_scenario: Scenario) -> None:
    term5 = next(t for t in tiny_scenario.terms if t.term == 5)
    days = [d for d in term_days([term5])]
    assert len({d.isocalendar()[1] for d in days}) == 5
    assert sum(1 for d in days if d.weekday() == 0) == 4


def test_term_rejects_last_day_before_first() -> None:
    with pytest.raises(ValidationError, match="last_day"):
        Term(term=1, first_day=date(2025, 9, 5), last_day=date(2025, 9, 1))


def test_slot_end_after_start() -> None:
    with pytest.raises(ValidationError, match="end"):
        MeetingSlot(slot="x", district="d", weekday="Monday", start="10:00", end="09:00", venue="v")


@pytest.mark.parametrize("text", ["yes", "YES", " no ", "exception: parent could not be reached"])
def test_consent_accepts_the_three_forms(text: str) -> None:
    consent = Consent.model_validate(text)
    assert str(consent) == text.strip().lower() or consent.kind == "exception"
    assert consent.plannable == (consent.kind != "no")


@pytest.mark.parametrize("text", ["maybe", "", "exception", "exception:   ", "y e s"])
def test_consent_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValidationError):
        Consent.model_validate(text)


def test_exception_keeps_its_reason() -> None:
    consent = Consent.model_validate("exception: safeguarding concern")
    assert consent.reason == "safeguarding concern"
    assert str(consent) == "exception: safeguarding concern"


@pytest.mark.parametrize(
    ("stage", "statutory"),
    [
        ("EYA/SA", False),
        ("EYA+/SA+", False),
        ("SSEN", True),
        ("SEN Support", False),
        ("EHCP", True),
    ],
)
def test_sen_stages(stage: str, statutory: bool) -> None:
    assert SenStage(stage).statutory is statutory


def _agreement(**changes: object) -> Agreement:
    data: dict[str, object] = {
        "case_id": "K-1",
        "school_urn": 1,
        "need_type": "C&I",
        "sen_stage": "EHCP",
        "consent": "yes",
        "agreed_on": "2025-09-10",
        "minutes_per_week": 60,
        "weeks": 10,
    }
    return Agreement.model_validate(data | changes)


def test_case_id_cannot_hold_a_name() -> None:
    with pytest.raises(ValidationError, match="case_id"):
        _agreement(case_id="Jane Smith")


def test_entities_are_frozen_and_strict() -> None:
    agreement = _agreement()
    with pytest.raises(ValidationError):
        agreement.weeks = 3  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Extra inputs"):
        _agreement(child_name="Jane")


def test_closure_without_district_closes_every_district() -> None:
    closure = Closure(date=date(2025, 9, 1))
    assert closure.applies_to("Ashford") and closure.applies_to("Dover")
    assert not Closure(date=date(2025, 9, 1), district="Dover").applies_to("Ashford")


@settings(max_examples=40, deadline=None)
@given(
    start=st.dates(min_value=date(2020, 8, 1), max_value=date(2030, 7, 1)),
    length=st.integers(min_value=0, max_value=60),
    closed=st.sets(st.integers(min_value=0, max_value=60), max_size=5),
)
def test_meeting_days_are_term_weekdays_minus_holidays_and_closures(
    start: date, length: int, closed: set[int]
) -> None:
    from datetime import timedelta

    term = Term(term=1, first_day=start, last_day=start + timedelta(days=length))
    closures = [Closure(date=start + timedelta(days=c)) for c in closed]
    days = meeting_days([term], closures, "Any")
    holidays = bank_holidays({start.year, (start + timedelta(days=length)).year})
    assert all(term.first_day <= d <= term.last_day for d in days)
    assert all(d.weekday() < 5 and d not in holidays for d in days)
    assert not {c.date for c in closures} & set(days)
    assert days == sorted(days)


def test_a_copy_with_new_fields_forgets_lookups_cached_from_the_old_ones() -> None:
    s = make_tiny_scenario()
    assert len(s.person_by_id) == len(s.people) > 1
    fewer = s.model_copy(update={"people": s.people[:1]})
    assert list(fewer.person_by_id) == [s.people[0].person_id]
    assert len(s.person_by_id) == len(s.people)
