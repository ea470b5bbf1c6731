"""Kent's synthetic written agreements and reviews: deterministic, valid, shipped, the stated shares."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import pytest

from allocator.io import read_scenario
from allocator.model import ReviewKind, Scenario, find_problems
from allocator.paths import KENT
from allocator.synthetic.details import DETAILS_SHARE, ENDED_BEFORE, ENTRY_AFTER, MEASURE
from allocator.synthetic.generate import generate_county, kent_scenario


@pytest.fixture(scope="module")
def kent() -> Scenario:
    return kent_scenario()


def test_the_same_seed_gives_the_same_rows(kent: Scenario) -> None:
    again = kent_scenario()
    assert again.details == kent.details and again.reviews == kent.reviews
    shipped = read_scenario(KENT)  # the shipped folder is regenerated
    assert shipped.details == kent.details and shipped.reviews == kent.reviews
    assert shipped.agreements == kent.agreements and shipped.requests == kent.requests


def test_the_rows_are_valid(kent: Scenario) -> None:
    assert find_problems(kent) == []
    assert find_problems(read_scenario(KENT)) == []


def test_the_shares(kent: Scenario) -> None:
    n = len(kent.agreements)
    assert abs(len(kent.details) / n - DETAILS_SHARE) < 0.03
    ids = [d.case_id for d in kent.details]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(d.support for d in kent.details)
    dated = sum(d.review_date is not None for d in kent.details)
    assert 0.3 < dated / len(kent.details) < 0.5
    assert any(d.criteria is None for d in kent.details)  # some items "not recorded"


def test_reviews_of_cases_ended_before_the_year_end(kent: Scenario) -> None:
    year_end = max(t.last_day for t in kent.terms)
    by_case: dict[str, dict[ReviewKind, list[tuple[date, float]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for r in kent.reviews:
        assert r.measure == MEASURE
        by_case[r.case_id][r.kind].append((r.date, r.value))
    for a in kent.agreements:
        end = a.agreed_on + timedelta(weeks=a.weeks)
        ended = a.consent.plannable and end <= year_end - ENDED_BEFORE
        rows = by_case.get(a.case_id)
        if not ended:
            assert rows is None
            continue
        assert rows is not None
        assert rows[ReviewKind.ENTRY] == [(a.agreed_on + ENTRY_AFTER, rows[ReviewKind.ENTRY][0][1])]
        assert rows[ReviewKind.EXIT] == [(end, rows[ReviewKind.EXIT][0][1])]
        assert rows[ReviewKind.EXIT][0][1] > rows[ReviewKind.ENTRY][0][1]
        for day, _ in rows.get(ReviewKind.REVIEW, []):
            assert a.agreed_on + ENTRY_AFTER < day < end
    assert 0.3 < sum(ReviewKind.REVIEW in r for r in by_case.values()) / len(by_case) < 0.7


def test_details_change_nothing_else_of_a_county() -> None:
    plain = generate_county(0.2, seed=3, requests=True)
    written = generate_county(0.2, seed=3, requests=True, details=True)
    assert plain.details == () and plain.reviews == ()
    assert written.details and written.reviews and find_problems(written) == []
    assert written.model_copy(update={"details": (), "reviews": ()}) == plain
