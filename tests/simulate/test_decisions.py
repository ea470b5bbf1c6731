"""The simulated decisions: the same for every policy and call, the scenario's mix or a set share, the
linked agreement's shape reused, and the county coordinators' lag."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocator.model import COUNTY_ROUTE_NEEDS, Request, RequestOutcome, Scenario
from allocator.model.simulation import Arrivals
from allocator.pipeline.waits import SchoolDays
from allocator.simulate.arrivals import year_requests
from allocator.simulate.decisions import Decider
from allocator.synthetic.generate import generate_county


@pytest.fixture(scope="module")
def county() -> Scenario:
    return generate_county(0.2, seed=3, requests=True)


@pytest.fixture(scope="module")
def requests(county: Scenario) -> list[Request]:
    return year_requests(county, Arrivals.REQUESTS, seed=0)


def _agreed(decider: Decider, requests: list[Request], shift: int = 0) -> dict[str, object]:
    made = {}
    for r in requests:
        a = decider.agreement(r, r.received_on + timedelta(days=shift))
        if a is not None:
            made[r.request_id] = a.model_dump(exclude={"agreed_on"})
    return made


def test_decisions_identical_across_calls_and_days(
    county: Scenario, requests: list[Request]
) -> None:
    first = _agreed(Decider(county, 4), requests)
    assert first == _agreed(Decider(county, 4), requests)
    assert first == _agreed(Decider(county, 4), list(reversed(requests)), shift=9)
    assert first != _agreed(Decider(county, 5), requests)


def test_agreement_fields(county: Scenario, requests: list[Request]) -> None:
    decider = Decider(county, 0)
    day = requests[-1].received_on
    for r in requests:
        a = decider.agreement(r, day)
        if a is None:
            continue
        assert (a.case_id, a.request_id, a.agreed_on) == (f"A-{r.request_id}", r.request_id, day)
        assert (a.school_urn, a.sen_stage, a.lac, a.consent) == (
            r.school_urn,
            r.sen_stage,
            r.lac,
            r.consent,
        )


def test_linked_request_reuses_its_agreement(county: Scenario, requests: list[Request]) -> None:
    linked = {a.request_id: a for a in county.agreements}
    decider = Decider(county, 1, specialist_share=1.0)
    checked = 0
    for r in requests:
        original = linked.get(r.request_id)
        if original is None or not r.consent.plannable:
            continue
        a = decider.agreement(r, r.received_on)
        assert a is not None
        got = (a.minutes_per_week, a.weeks, a.priority, a.need_type)
        assert got == (
            original.minutes_per_week,
            original.weeks,
            original.priority,
            original.need_type,
        )
        checked += 1
    assert checked > 50


def test_no_consent_no_agreement(county: Scenario, requests: list[Request]) -> None:
    refused = [Request.model_validate(r.model_dump() | {"consent": "no"}) for r in requests[:40]]
    decider = Decider(county, 0, specialist_share=1.0)
    assert all(decider.agreement(r, r.received_on) is None for r in refused)


def _share(county: Scenario, requests: list[Request], share: float | None) -> float:
    plannable = [r for r in requests if r.consent.plannable]
    deciders = [Decider(county, seed, share) for seed in range(5)]
    made = sum(d.agreement(r, r.received_on) is not None for d in deciders for r in plannable)
    return made / (5 * len(plannable))


@pytest.mark.parametrize("share", [0.2, 0.7])
def test_specialist_share_respected(
    county: Scenario, requests: list[Request], share: float
) -> None:
    assert _share(county, requests, share) == pytest.approx(share, abs=0.04)


def test_default_share_is_the_scenarios(county: Scenario, requests: list[Request]) -> None:
    decided = [r for r in county.requests if r.outcome is not None]
    specialist = sum(r.outcome == RequestOutcome.SPECIALIST for r in decided) / len(decided)
    assert Decider(county, 0).share[None] == pytest.approx(specialist)
    assert _share(county, requests, None) == pytest.approx(specialist, abs=0.05)


def test_county_route_lag(county: Scenario, requests: list[Request]) -> None:
    decider = Decider(county, 0)
    lag = county.settings.agenda.county_route_days  # the synthetic county's county route
    assert decider.county_lag == lag
    days = SchoolDays(county)
    district = {s.urn: s.district for s in county.schools}
    first = min(t.first_day for t in county.terms)
    routed = [r for r in requests if r.need_type in COUNTY_ROUTE_NEEDS and r.received_on >= first]
    assert routed
    for r in routed:
        decided = decider.county_decided_on(r)
        if decided <= max(county.meeting_days(district[r.school_urn])):
            assert days.between(district[r.school_urn], r.received_on, decided) == lag
            assert decided in county.meeting_days(district[r.school_urn])


def test_county_decision_after_the_year(county: Scenario, requests: list[Request]) -> None:
    district = county.schools[0].district
    last = max(county.meeting_days(district))
    late = requests[0].model_copy(update={"received_on": last, "school_urn": county.schools[0].urn})
    decided = Decider(county, 0).county_decided_on(late)
    assert decided > last
    weekdays = sum(
        (last + timedelta(days=k)).weekday() < 5 for k in range(1, (decided - last).days + 1)
    )
    assert weekdays == Decider(county, 0).county_lag


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10**6), share=st.floats(min_value=0.01, max_value=1))
def test_decisions_depend_on_seed_and_request_alone(
    county: Scenario, requests: list[Request], seed: int, share: float
) -> None:
    a, b = Decider(county, seed, share), Decider(county, seed, share)
    for r in requests[::25]:
        early, late = a.agreement(r, r.received_on), b.agreement(r, r.received_on + timedelta(7))
        assert (early is None) == (late is None)
        if early is not None and late is not None:
            assert early.model_copy(update={"agreed_on": late.agreed_on}) == late
    if share == 1:
        assert all(a.agreement(r, r.received_on) for r in requests if r.consent.plannable)
