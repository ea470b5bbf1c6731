"""The LIFT Executive's report figures, by hand on the tiny county with requests, a plan and reviews."""

from __future__ import annotations

from datetime import date

import pytest

from allocator.model import PlannedSupport, Request, Review, Scenario
from allocator.model.agenda_result import Agenda, AgendaItem
from allocator.model.executive import Count
from allocator.pipeline.executive import (
    NOT_DECIDED,
    UnknownDistrict,
    executive_report,
    period_of,
)
from tests.builders.folders import make_tiny_scenario

TODAY = date(2025, 12, 1)


def _request(request_id: str, urn: int, received: date, **extra: object) -> Request:
    return Request.model_validate(
        {
            "request_id": request_id,
            "school_urn": urn,
            "received_on": received,
            "need_type": "C&I",
            "sen_stage": "SEN Support",
            "consent": "yes",
            **extra,
        }
    )


def report_scenario() -> Scenario:
    """The tiny county with four requests (R1 -> T-0001, R2 -> T-0002), a plan for T-0001 and
    T-0002, and T-0001's entry and exit measures."""
    tiny = make_tiny_scenario()
    requests = (
        _request(
            "R1", 100001, date(2025, 9, 3), outcome="specialist", decided_on=date(2025, 9, 10)
        ),
        _request("R2", 100003, date(2025, 9, 2), need_type="HI", urgent="yes"),
        _request(
            "R3",
            100002,
            date(2025, 11, 5),
            need_type="B&L",
            urgent="yes",
            lac="yes",
            outcome="advice",
            decided_on=date(2025, 11, 12),
        ),
        _request("R4", 100001, date(2025, 10, 20), consent="no"),
    )
    links = {"T-0001": "R1", "T-0002": "R2"}
    agreements = tuple(
        a.model_copy(update={"request_id": links.get(a.case_id)}) for a in tiny.agreements
    )
    plan = (
        PlannedSupport(
            case_id="T-0001",
            person_id="ST1",
            start=date(2025, 9, 22),
            end=date(2025, 12, 5),
            status="running",
        ),
        PlannedSupport(
            case_id="T-0002", person_id="HI1", start=date(2025, 9, 29), end=date(2025, 12, 19)
        ),
    )
    reviews = (
        Review(case_id="T-0001", date=date(2025, 9, 22), kind="entry", measure="Link", value=40),
        Review(case_id="T-0001", date=date(2025, 12, 5), kind="exit", measure="Link", value=55.5),
    )
    return Scenario.model_validate(
        tiny.model_dump()
        | {
            "requests": requests,
            "agreements": agreements,
            "current_plan": plan,
            "reviews": reviews,
        }
    )


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return report_scenario()


def test_periods_cover_the_year_without_overlap(scenario: Scenario) -> None:
    one, two, six = (period_of(scenario, n) for n in (1, 2, 6))
    assert (one.start, one.end) == (None, date(2025, 10, 26))
    assert (two.start, two.end) == (date(2025, 10, 27), date(2026, 1, 4))
    assert (two.first_day, two.last_day) == (date(2025, 10, 27), date(2025, 12, 19))
    assert six.end is None and six.start == date(2026, 6, 1)
    year = period_of(scenario, None)
    assert (year.start, year.end, year.label) == (None, None, "the whole year")
    with pytest.raises(ValueError, match="half-term 7"):
        period_of(scenario, 7)


def test_northdown_half_term_one_by_hand(scenario: Scenario) -> None:
    f = executive_report(scenario, district="Northdown", half_term=1, today=TODAY).summary
    # R1 (3 Sep) and R4 (20 Oct, in the holiday after half-term 1; no consent).
    assert (f.requests.received, f.requests.urgent, f.requests.no_consent) == (2, 0, 1)
    outcomes = {c.label: c.count for c in f.requests.outcomes}
    assert outcomes["specialist intervention"] == 1 and outcomes[NOT_DECIDED] == 1
    # R1 decided 10 Sep: Thu 4 .. Wed 10 Sep is 5 school days; R4 has no consent: not awaiting.
    m = f.meetings
    assert (m.basis, m.days_to_meeting.count, m.days_to_meeting.median, m.awaiting) == (
        "decided_on",
        1,
        5,
        0,
    )
    # T-0001 agreed Wed 17 Sep, started Mon 22 Sep: the next school week.
    a = f.agreements
    assert (a.made, a.from_request, a.started, a.weeks_to_start.median) == (1, 1, 1, 1)
    # Whole wait 5 + 5 + 3 = 13 school days (as tests/pipeline/test_waits.py).
    assert (f.whole_wait.waits.count, f.whole_wait.waits.median) == (1, 13)
    assert [(g.group, g.waits.median) for g in f.by_need_type] == [("C&I", 13)]
    assert [g.group for g in f.by_urgency] == ["routine"]
    assert [(w.need_type.value, w.values) for w in f.wait_values] == [("C&I", (13,))]
    c = f.cases
    assert (c.started, c.running, c.finished, c.withdrawn, c.waiting) == (1, 1, 0, 0, 0)
    # T-0001's reviews: 10 Nov (six school weeks on, the half-term holiday not counted), 5 Dec.
    assert f.reviews.due == 0 and f.progress == ()


def test_northdown_half_term_two_by_hand(scenario: Scenario) -> None:
    f = executive_report(scenario, district="Northdown", half_term=2, today=TODAY).summary
    r = f.requests
    assert (r.received, r.urgent, r.looked_after, r.county_route) == (1, 1, 1, 0)
    assert Count(label="advice at the meeting", count=1) in r.outcomes
    # R3: Thu 6 .. Wed 12 Nov is 5 school days.
    assert (f.meetings.days_to_meeting.median, f.meetings.urgent_days.count) == (5, 1)
    assert (f.agreements.made, f.agreements.started, f.whole_wait.waits.count) == (0, 0, 0)
    assert f.whole_wait.waits.median is None
    c = f.cases
    assert (c.started, c.running, c.finished, c.waiting) == (0, 1, 1, 0)
    # Both reviews are done: the exit measure was recorded on 5 Dec.
    v = f.reviews
    assert (v.due, v.done, v.overdue, v.to_come) == (2, 2, 0, 0)
    (progress,) = f.progress
    assert (progress.need_type.value, progress.measure, progress.cases) == ("C&I", "Link", 1)
    assert (progress.mean_entry, progress.mean_exit, progress.mean_change) == (40, 55.5, 15.5)
    by_term = {h.half_term: h for h in f.half_terms}
    assert (by_term[1].received, by_term[1].started, by_term[1].median_whole_wait) == (2, 1, 13)
    assert (by_term[2].received, by_term[2].median_to_meeting, by_term[2].started) == (1, 5, 0)


def test_southfield_reviews_overdue_and_to_come(scenario: Scenario) -> None:
    f = executive_report(scenario, district="Southfield", half_term=2, today=TODAY).summary
    # T-0002 from Mon 29 Sep: a review six school weeks on (Mon 17 Nov) and at its end (19 Dec).
    v = f.reviews
    assert (v.due, v.done, v.overdue, v.to_come) == (2, 0, 1, 1)
    assert (f.cases.running, f.cases.finished) == (1, 1)


def test_the_county_sums_its_districts(scenario: Scenario) -> None:
    report = executive_report(scenario, district=None, half_term=None, today=TODAY)
    assert report.county and [d.district for d in report.districts] == ["Northdown", "Southfield"]
    s = report.summary
    assert s.requests.received == 4 == sum(d.requests.received for d in report.districts)
    assert s.agreements.made == 3 and s.agreements.from_request == 2
    # R2 (HI, urgent) has no decision date: it waits for its meeting all year.
    assert s.meetings.days_to_meeting.count == 2 and s.meetings.awaiting == 1
    # Whole waits 13 (T-0001) and 19 (T-0002: 11 + 0 + 8).
    assert sorted(v for w in s.wait_values for v in w.values) == [13, 19]
    assert [g.group for g in s.by_urgency] == ["urgent", "routine"]
    assert s.reviews.due == 4 and s.reviews.overdue == 1
    assert report.stem == "executive-county-year"


def test_an_agenda_gives_the_meeting_dates(scenario: Scenario) -> None:
    item = AgendaItem(
        request_id="R1",
        school_urn=100001,
        district="Northdown",
        route="meeting",
        meeting_date=date(2025, 9, 24),
        group="N1",
        slot="N-A",
        received_on=date(2025, 9, 3),
        school_days_to_meeting=15,
    )
    report = executive_report(
        scenario, district="Northdown", half_term=1, today=TODAY, agenda=Agenda(items=(item,))
    )
    m = report.summary.meetings
    assert (report.meetings_basis, m.days_to_meeting.median) == ("agenda", 15)
    assert report.stem == "executive-northdown-ht1"


def test_a_plan_given_replaces_the_current_plan(scenario: Scenario) -> None:
    later = PlannedSupport(
        case_id="T-0001", person_id="ST1", start=date(2025, 11, 3), end=date(2026, 1, 30)
    )
    f = executive_report(
        scenario, district="Northdown", half_term=2, today=TODAY, plan=(later,)
    ).summary
    assert (f.agreements.started, f.cases.started, f.cases.finished) == (1, 1, 0)
    # After 3 Sep: Thu 4 Sep .. Fri 17 Oct is 32 school days, Mon 27 Oct .. Mon 3 Nov 6 more.
    assert f.whole_wait.waits.median == 38


def test_withdrawn_support_is_stopped_not_started(scenario: Scenario) -> None:
    stopped = PlannedSupport(
        case_id="T-0001",
        person_id="ST1",
        start=date(2025, 9, 22),
        end=date(2025, 10, 10),
        status="withdrawn",
    )
    f = executive_report(
        scenario, district="Northdown", half_term=1, today=TODAY, plan=(stopped,)
    ).summary
    assert (f.cases.started, f.cases.withdrawn, f.agreements.started) == (0, 1, 0)
    assert f.whole_wait.waits.count == 0


def test_an_unknown_district_is_refused(scenario: Scenario) -> None:
    with pytest.raises(UnknownDistrict, match="Nowhere"):
        executive_report(scenario, district="Nowhere", half_term=1, today=TODAY)
