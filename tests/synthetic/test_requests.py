"""Kent's synthetic requests: deterministic, valid, every agreement linked to one, the stated mix."""

from __future__ import annotations

from collections import Counter

import pytest

from allocator.io import read_scenario
from allocator.model import COUNTY_ROUTE_NEEDS, RequestOutcome, Scenario, find_problems
from allocator.paths import KENT
from allocator.synthetic.generate import generate_county, kent_scenario
from allocator.synthetic.requests import SPECIALIST_SHARE


@pytest.fixture(scope="module")
def kent() -> Scenario:
    return kent_scenario()


def test_the_same_seed_gives_the_same_requests(kent: Scenario) -> None:
    assert kent_scenario().requests == kent.requests
    assert read_scenario(KENT).requests == kent.requests  # the shipped folder is regenerated


def test_the_requests_are_valid(kent: Scenario) -> None:
    assert find_problems(kent) == []
    ids = [r.request_id for r in kent.requests]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert [r.received_on for r in kent.requests] == sorted(r.received_on for r in kent.requests)


def test_every_agreement_is_linked_to_its_own_specialist_request(kent: Scenario) -> None:
    linked = [a.request_id for a in kent.agreements]
    assert None not in linked and len(set(linked)) == len(linked)
    for a in kent.agreements:
        r = kent.request_by_id[a.request_id or ""]
        assert r.outcome == RequestOutcome.SPECIALIST
        assert r.decided_on is not None and r.received_on < r.decided_on <= a.agreed_on
        assert (r.school_urn, r.need_type, r.sen_stage, r.lac) == (
            a.school_urn,
            a.need_type,
            a.sen_stage,
            a.lac,
        )
        assert r.urgent == (a.priority == 1)
        assert r.consent.plannable


def test_the_kent_mix(kent: Scenario) -> None:
    n = len(kent.requests)
    outcomes = Counter(r.outcome for r in kent.requests)
    assert outcomes[RequestOutcome.SPECIALIST] == len(kent.agreements)
    assert abs(outcomes[RequestOutcome.SPECIALIST] / n - SPECIALIST_SHARE) < 0.01
    for outcome in RequestOutcome:
        assert outcomes[outcome] > 0
    assert 0.08 < sum(r.urgent for r in kent.requests) / n < 0.12
    assert 0.05 < sum(r.county_route for r in kent.requests) / n < 0.10
    unlinked = {a.request_id for a in kent.agreements} ^ {r.request_id for r in kent.requests}
    others = [kent.request_by_id[i] for i in unlinked]
    assert all(r.outcome != RequestOutcome.SPECIALIST for r in others)
    # Without consent, or received too late for a meeting in the year: no outcome yet.
    assert all(
        r.outcome is not None or r.consent.kind == "no" or r.received_on.month >= 6 for r in others
    )


def test_decisions_follow_the_routes(kent: Scenario) -> None:
    days = {d: kent.meeting_days(d) for d in kent.district_names}
    for r in kent.requests:
        if r.decided_on is None or r.received_on < days[kent.district_names[0]][0]:
            continue  # received in the summer term before the year: its days are not in the terms
        district = kent.school_by_urn[r.school_urn].district
        between = [d for d in days[district] if r.received_on < d <= r.decided_on]
        if r.need_type in COUNTY_ROUTE_NEEDS and r.outcome != RequestOutcome.SPECIALIST:
            assert len(between) == kent.settings.agenda.county_route_days
        else:
            assert r.decided_on in days[district] and len(between) >= 3


def test_requests_change_nothing_else_of_a_county() -> None:
    plain = generate_county(0.2, seed=3)
    asked = generate_county(0.2, seed=3, requests=True)
    assert plain.requests == () and len(asked.requests) == 2 * len(asked.agreements)
    assert [a.model_copy(update={"request_id": None}) for a in asked.agreements] == list(
        plain.agreements
    )
    same = asked.model_copy(update={"requests": (), "agreements": plain.agreements})
    assert same == plain
