"""The year's requests: the scenario's own as received, and the fitted arrival model's seeded draws."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocator.model import Scenario, ScenarioError
from allocator.model.simulation import Arrivals
from allocator.simulate.arrivals import EXCEPTION_REASON, ArrivalModel, year_requests
from allocator.synthetic.generate import generate_county


@pytest.fixture(scope="module")
def county() -> Scenario:
    return generate_county(0.2, seed=3, requests=True)


def test_requests_as_received_sorted_and_cleared(county: Scenario) -> None:
    got = year_requests(county, Arrivals.REQUESTS, seed=7)
    assert len(got) == len(county.requests)
    assert all(r.outcome is None and r.decided_on is None for r in got)
    assert [(r.received_on, r.request_id) for r in got] == sorted(
        (r.received_on, r.request_id) for r in county.requests
    )
    assert got == year_requests(county, Arrivals.REQUESTS, seed=8)  # the seed draws nothing here


def test_no_requests_says_to_draw_them(county: Scenario) -> None:
    bare = county.model_copy(update={"requests": ()})
    with pytest.raises(ScenarioError, match="--arrivals model") as raised:
        year_requests(bare, Arrivals.REQUESTS, seed=0)
    assert raised.value.problems[0].file == "requests.csv"


def test_fitted_rates_follow_pupils_within_a_phase(county: Scenario) -> None:
    model = ArrivalModel.fit(county)
    phase_of = {s.urn: s.phase for s in county.schools}
    sent = Counter(phase_of[r.school_urn] for r in county.requests)
    for phase, count in sent.items():
        schools = [s for s in county.schools if s.phase == phase and s.pupils > 0]
        assert sum(model.rates.get(s.urn, 0) for s in schools) == pytest.approx(count)
        per_pupil = {round(model.rates[s.urn] / s.pupils, 9) for s in schools}
        assert len(per_pupil) == 1
    assert model.expected_requests() == pytest.approx(len(county.requests))
    assert all(phase_of[urn] in sent for urn in model.rates)  # phases that send none get no rate


def test_fitted_from_agreements_without_requests(county: Scenario) -> None:
    model = ArrivalModel.fit(county.model_copy(update={"requests": ()}))
    assert model.fitted_from == "agreements.csv"
    assert model.expected_requests() == pytest.approx(2 * len(county.agreements))
    with pytest.raises(ScenarioError, match="arrival model"):
        ArrivalModel.fit(county.model_copy(update={"requests": (), "agreements": ()}))


def test_same_seed_same_draws_other_seed_differs(county: Scenario) -> None:
    first = year_requests(county, Arrivals.MODEL, seed=1)
    assert first == year_requests(county, Arrivals.MODEL, seed=1)
    other = year_requests(county, Arrivals.MODEL, seed=2)
    assert [(r.received_on, r.school_urn) for r in first] != [
        (r.received_on, r.school_urn) for r in other
    ]


def _term_shares(county: Scenario, days: list) -> dict[int, float]:
    """Receipts per term: a day in a holiday or before the year counts in the next term."""
    terms = sorted(county.terms, key=lambda t: t.first_day)
    counted = Counter(
        next((t.term for t in terms if d <= t.last_day), terms[-1].term) for d in days
    )
    return {t.term: counted[t.term] / len(days) for t in terms}


def test_term_pattern_kept(county: Scenario) -> None:
    drawn = [
        r.received_on for seed in range(8) for r in year_requests(county, Arrivals.MODEL, seed)
    ]
    want = _term_shares(county, [r.received_on for r in county.requests])
    got = _term_shares(county, drawn)
    assert got == pytest.approx(want, abs=0.03)


def test_phase_mix_kept(county: Scenario) -> None:
    drawn = [r for seed in range(8) for r in year_requests(county, Arrivals.MODEL, seed)]
    assert len(drawn) / 8 == pytest.approx(len(county.requests), rel=0.05)
    urgent = sum(r.urgent for r in county.requests) / len(county.requests)
    assert sum(r.urgent for r in drawn) / len(drawn) == pytest.approx(urgent, abs=0.03)
    needs = Counter(r.need_type for r in county.requests)
    drawn_needs = Counter(r.need_type for r in drawn)
    for need, n in needs.items():
        assert drawn_needs[need] / len(drawn) == pytest.approx(n / len(county.requests), abs=0.03)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10**6))
def test_draws_are_school_days_sorted_and_pseudonymous(county: Scenario, seed: int) -> None:
    drawn = year_requests(county, Arrivals.MODEL, seed)
    school_days = {d: set(county.meeting_days(d)) for d in county.district_names}
    district = {s.urn: s.district for s in county.schools}
    assert all(r.received_on in school_days[district[r.school_urn]] for r in drawn)
    assert drawn == sorted(drawn, key=lambda r: (r.received_on, r.request_id))
    assert [r.request_id for r in drawn] == [f"S{seed}-{n:06d}" for n in range(1, len(drawn) + 1)]
    assert all(re.fullmatch(r"S\d+-\d{6}", r.request_id) for r in drawn)
    reasons = {r.consent.reason for r in drawn if r.consent.kind == "exception"}
    assert reasons <= {EXCEPTION_REASON}
    assert all(r.outcome is None and r.decided_on is None for r in drawn)
