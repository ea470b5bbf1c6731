"""The review schedule, reviews due and overdue, progress from entry to exit, and the agreement's
content (allocator.pipeline.reviews)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocator.model import (
    Agreement,
    AgreementDetails,
    PlannedSupport,
    Review,
    ReviewSettings,
    Scenario,
    week_start,
)
from allocator.pipeline.reviews import (
    UnknownCase,
    agreement_document,
    case_progress,
    due_in_week,
    overdue,
    progress_by_need,
    review_schedules,
    reviews_due,
    school_weeks,
)
from tests.builders.folders import make_tiny_scenario
from tests.pipeline.cases import tiny_with_reviews, with_fields


def _schedule(scenario: Scenario, case_id: str) -> tuple[date, ...]:
    return next(s.dates for s in review_schedules(scenario) if s.case_id == case_id)


def test_planned_support_is_reviewed_every_six_school_weeks_and_at_its_end() -> None:
    s = tiny_with_reviews()
    # Start Wednesday 1 October; six school weeks on (half-term 20-24 October left out): 19 November.
    assert _schedule(s, "T-0001") == (date(2025, 11, 19), date(2025, 12, 12))
    schedule = next(x for x in review_schedules(s) if x.case_id == "T-0001")
    assert schedule.basis == "plan" and schedule.district == "Northdown"


def test_the_interval_is_a_setting() -> None:
    s = tiny_with_reviews()
    settings_ = s.settings.model_copy(update={"reviews": ReviewSettings(every_weeks=3)})
    dates = _schedule(with_fields(s, settings=settings_), "T-0001")
    # Three school weeks on from the week of 29 September, half-term left out: 29 October, 19
    # November; the next (10 December) falls in the last week, which has the end review.
    assert dates == (date(2025, 10, 29), date(2025, 11, 19), date(2025, 12, 12))


def test_an_agreed_review_date_replaces_the_default() -> None:
    details = AgreementDetails(case_id="T-0001", review_date=date(2025, 11, 5))
    assert _schedule(tiny_with_reviews(details=(details,)), "T-0001") == (date(2025, 11, 5),)


def test_a_case_not_planned_is_dated_from_its_earliest_start() -> None:
    s = tiny_with_reviews()
    schedule = next(x for x in review_schedules(s) if x.case_id == "T-0002")
    # Agreed Wednesday 17 September: first week on or after is 22 September, plus one lead week.
    assert schedule.basis == "estimated" and schedule.start == date(2025, 9, 29)
    weeks = school_weeks(s)
    assert week_start(schedule.end) == weeks[weeks.index(date(2025, 9, 29)) + 12 - 1]


def test_no_consent_and_withdrawn_support_get_no_reviews() -> None:
    withdrawn = PlannedSupport(
        case_id="T-0001",
        person_id="ST1",
        start=date(2025, 10, 1),
        end=date(2025, 10, 20),
        status="withdrawn",
    )
    cases = {x.case_id for x in review_schedules(tiny_with_reviews(current_plan=(withdrawn,)))}
    assert cases == {"T-0002"}  # T-0003 has no consent


def test_a_given_plan_replaces_the_current_plan() -> None:
    s = tiny_with_reviews()
    later = PlannedSupport(
        case_id="T-0002", person_id="HI1", start=date(2026, 1, 5), end=date(2026, 3, 20)
    )
    schedules = {x.case_id: x for x in review_schedules(s, (later,))}
    assert schedules["T-0002"].basis == "plan" and schedules["T-0001"].basis == "estimated"


def test_due_and_overdue() -> None:
    s = tiny_with_reviews(reviews=())
    schedules = review_schedules(s)
    today = date(2025, 11, 19)  # T-0001's first review is today; T-0002's was on Monday
    due = due_in_week(s, schedules, today)
    assert {(r.case_id, r.due_on, r.status) for r in due} == {
        ("T-0001", date(2025, 11, 19), "due"),
        ("T-0002", date(2025, 11, 17), "due"),
    }
    late = overdue(s, schedules, today)
    assert [(r.case_id, r.due_on) for r in late] == [("T-0002", date(2025, 11, 17))]
    rows = reviews_due(s, schedules, today)
    assert [(r.case_id, r.status) for r in rows] == [("T-0002", "overdue"), ("T-0001", "due")]
    assert next(r for r in rows if r.case_id == "T-0002").basis == "estimated"


def test_a_review_recorded_on_or_after_the_date_clears_it() -> None:
    s = tiny_with_reviews()  # T-0001 reviewed on 19 November and exited on 12 December
    schedules = review_schedules(s)
    assert not [r for r in reviews_due(s, schedules, date(2026, 1, 5)) if r.case_id == "T-0001"]
    early = Review(case_id="T-0001", date=date(2025, 11, 18), kind="review", measure="m", value=1)
    s2 = tiny_with_reviews(reviews=(early,))
    late = overdue(s2, review_schedules(s2), date(2025, 11, 20))
    assert ("T-0001", date(2025, 11, 19)) in {(r.case_id, r.due_on) for r in late}


def test_progress_from_entry_to_exit() -> None:
    s = tiny_with_reviews()
    progress = case_progress(s)
    assert [(p.case_id, p.measure, p.change) for p in progress] == [
        ("T-0001", "Language link", 15.5)
    ]  # T-0002 has an entry only
    (need,) = progress_by_need(progress)
    assert (need.need_type.value, need.cases, need.mean_change) == ("C&I", 1, 15.5)


def test_progress_by_need_averages_cases() -> None:
    s = make_tiny_scenario()
    extra = s.agreements[0].model_copy(update={"case_id": "T-0009"})
    rows = []
    for case, entry, exit_ in (("T-0001", 10, 20), ("T-0009", 10, 14)):
        rows.append(
            Review(case_id=case, date=date(2025, 10, 1), kind="entry", measure="m", value=entry)
        )
        rows.append(
            Review(case_id=case, date=date(2025, 12, 1), kind="exit", measure="m", value=exit_)
        )
    s = with_fields(s, agreements=(*s.agreements, extra), reviews=tuple(rows))
    (need,) = progress_by_need(case_progress(s))
    assert (need.cases, need.mean_entry, need.mean_exit, need.mean_change) == (2, 10, 17, 7)


def test_the_document_of_a_planned_case() -> None:
    doc = agreement_document(tiny_with_reviews(), "T-0001")
    assert (doc.school, doc.start, doc.status) == ("North Primary", date(2025, 10, 1), "running")
    assert doc.specialist_role == "Specialist teacher, Northdown team"
    assert doc.review_dates == (date(2025, 11, 19), date(2025, 12, 12))


def test_the_document_of_a_case_not_planned() -> None:
    doc = agreement_document(tiny_with_reviews(), "T-0002")
    assert doc.start is None and doc.specialist_role is None
    assert doc.details == AgreementDetails(case_id="T-0002")


def test_an_unknown_case_is_refused() -> None:
    with pytest.raises(UnknownCase, match="T-9"):
        agreement_document(tiny_with_reviews(), "T-9")


# ---------------------------------------------------------------------------------------------
# Properties over generated agreements, plans and reviews
# ---------------------------------------------------------------------------------------------

TINY = make_tiny_scenario()
YEAR_START = date(2025, 9, 1)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Scenario, date]:
    n = draw(st.integers(1, 6))
    agreements, plan, reviews, details = [], [], [], []
    for i in range(n):
        agreed = YEAR_START + timedelta(days=draw(st.integers(0, 300)))
        case = f"P-{i}"
        agreements.append(
            Agreement(
                case_id=case,
                school_urn=draw(st.sampled_from([s.urn for s in TINY.schools])),
                need_type=draw(st.sampled_from(["C&I", "B&L", "HI", "PD"])),
                sen_stage="SEN Support",
                consent="yes",
                agreed_on=agreed,
                minutes_per_week=60,
                weeks=draw(st.integers(1, 60)),
            )
        )
        if draw(st.booleans()):
            start = agreed + timedelta(days=draw(st.integers(0, 60)))
            end = start + timedelta(days=draw(st.integers(0, 200)))
            plan.append(PlannedSupport(case_id=case, person_id="ST1", start=start, end=end))
        if draw(st.integers(0, 3)) == 0:
            review_day = agreed + timedelta(days=draw(st.integers(0, 100)))
            details.append(AgreementDetails(case_id=case, review_date=review_day))
        for _ in range(draw(st.integers(0, 3))):
            day = agreed + timedelta(days=draw(st.integers(0, 300)))
            reviews.append(Review(case_id=case, date=day, kind="review", measure="m", value=1))
    every = draw(st.integers(1, 12))
    scenario = with_fields(
        TINY,
        settings=TINY.settings.model_copy(update={"reviews": ReviewSettings(every_weeks=every)}),
        agreements=tuple(agreements),
        current_plan=tuple(plan),
        details=tuple(details),
        reviews=tuple(reviews),
    )
    today = YEAR_START + timedelta(days=draw(st.integers(0, 364)))
    return scenario, today


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_every_agreement_gets_a_review_and_due_and_overdue_are_disjoint(
    drawn: tuple[Scenario, date],
) -> None:
    scenario, today = drawn
    schedules = review_schedules(scenario)
    assert {s.case_id for s in schedules} == {a.case_id for a in scenario.agreements}
    for s in schedules:
        assert s.dates and list(s.dates) == sorted(set(s.dates))
        assert s.basis == "details" or s.dates[-1] == s.end
        assert all(s.start <= d <= s.end for d in s.dates) or s.basis == "details"
    due = {
        (r.case_id, r.due_on) for r in due_in_week(scenario, schedules, today) if r.due_on >= today
    }
    late = {(r.case_id, r.due_on) for r in overdue(scenario, schedules, today)}
    assert not due & late
    rows = reviews_due(scenario, schedules, today)
    assert {(r.case_id, r.due_on) for r in rows} == due | late
    latest = {}
    for r in scenario.reviews:
        latest[r.case_id] = max(r.date, latest.get(r.case_id, r.date))
    for case, day in late:
        assert day < today and (case not in latest or latest[case] < day)
    for _, day in due:
        assert week_start(day) == week_start(today) and day >= today
