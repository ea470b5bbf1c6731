"""The simulated year, week by week, on a tiny county (one district, the requests of its first
half-term): one row per request and policy, dates in order, decisions shared by the policies, promises
kept, first come never moving a plan, and the clairvoyant limit no worse than the product."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import date
from functools import lru_cache

import pytest

from allocator.model import Request, Scenario
from allocator.model.simulation import Arrivals, Policy, SimulationSettings, SimWait
from allocator.pipeline.waits import SchoolDays
from allocator.simulate.arrivals import year_requests
from allocator.simulate.loop import WEEK, Week, simulate_one, year_mondays
from allocator.synthetic.generate import generate_county

SETTINGS = SimulationSettings(rebalance_seconds=0.3, clairvoyant_seconds=1.0)
FIRST_HALF_TERM = date(2025, 10, 20)


@lru_cache(maxsize=2)
def sim_county(until: date = FIRST_HALF_TERM) -> Scenario:
    """A one-district county with the requests received before `until` (and their agreements)."""
    s = generate_county(scale=0.05, seed=0, requests=True)
    requests = tuple(r for r in s.requests if r.received_on < until)
    ids = {r.request_id for r in requests}
    fields = {name: getattr(s, name) for name in type(s).model_fields}
    fields |= {
        "requests": requests,
        "agreements": tuple(a for a in s.agreements if a.request_id in ids),
    }
    return Scenario.model_validate(fields)


def requests_of(scenario: Scenario) -> list[Request]:
    return year_requests(scenario, Arrivals.REQUESTS, 0)


Run = tuple[list[SimWait], list[Week]]


@pytest.fixture(scope="module")
def runs() -> dict[Policy, Run]:
    scenario = sim_county()
    requests = requests_of(scenario)
    out: dict[Policy, Run] = {}
    for policy in Policy:
        weeks: list[Week] = []
        rows = simulate_one(
            scenario,
            policy,
            "scenario",
            None,
            0,
            SETTINGS,
            requests,
            workers=1,
            on_week=weeks.append,
        )
        out[policy] = (rows, weeks)
    return out


def _median(rows: Sequence[SimWait]) -> float:
    return statistics.median(r.school_days for r in rows if r.school_days is not None)


def test_every_request_has_one_row_per_policy(runs: dict[Policy, Run]) -> None:
    ids = sorted(r.request_id for r in requests_of(sim_county()))
    for policy, (rows, _) in runs.items():
        assert sorted(r.request_id for r in rows) == ids
        assert {(r.policy, r.variant, r.seed) for r in rows} == {(policy, "scenario", 0)}
        assert sum(r.start is not None for r in rows) > 0.3 * len(rows)


def test_dates_are_in_order_and_waits_counted_in_school_days(runs: dict[Policy, Run]) -> None:
    scenario = sim_county()
    days = SchoolDays(scenario)
    by_id = {r.request_id: r for r in scenario.requests}
    for rows, _ in runs.values():
        for row in rows:
            request = by_id[row.request_id]
            if row.meeting_date is not None:
                assert row.received_on < row.meeting_date
                assert not request.county_route
            if row.agreed_on is not None:
                assert row.received_on <= row.agreed_on
                assert row.meeting_date is None or row.meeting_date == row.agreed_on
                assert request.consent.plannable
            if row.start is None:
                assert row.school_days is None
                continue
            assert row.agreed_on is not None and row.agreed_on < row.start
            assert row.school_days == days.between(row.district, row.received_on, row.start)


def test_every_policy_sees_the_same_decisions(runs: dict[Policy, Run]) -> None:
    decided: dict[str, set[bool]] = {}
    for rows, _ in runs.values():
        for row in rows:
            if row.meeting_date is not None:
                decided.setdefault(row.request_id, set()).add(row.agreed_on is not None)
    assert decided and all(len(outcomes) == 1 for outcomes in decided.values())


def test_hearing_and_vision_take_the_county_route(runs: dict[Policy, Run]) -> None:
    for rows, _ in runs.values():
        county = [r for r in rows if r.need_type.value in ("HI", "VI")]
        assert all(r.meeting_date is None for r in county)


def test_the_rebalance_keeps_its_promises_week_to_week(runs: dict[Policy, Run]) -> None:
    _, weeks = runs[Policy.OPTIMISED]
    assert weeks[0].monday == year_mondays(sim_county())[0] and len(weeks) == len(
        year_mondays(sim_county())
    )
    before: dict[str, tuple[str, date]] = {}
    for week in weeks:
        today = week.monday + WEEK
        assert week.breaches == ()
        broken = {c.case_id for c in week.changes if c.kind == "broken"}
        after = {a.case_id: (a.person_id, a.start) for a in week.plan.assignments}
        for case, (person, start) in before.items():
            if start < week.monday:  # running by the time of this rebalance: never moves
                assert after.get(case) == (person, start)
            elif after.get(case) != (person, start):
                moved = after.get(case)
                earlier = moved is not None and moved[0] == person and moved[1] < start
                assert earlier or case in broken, case
        assert all(start >= today for case, (_, start) in after.items() if case not in before)
        before = after


def test_first_come_never_moves_a_plan(runs: dict[Policy, Run]) -> None:
    _, weeks = runs[Policy.FIRST_COME]
    assert all(week.changes == () for week in weeks)
    seen: dict[str, tuple[str, date]] = {}
    for week in weeks:
        for a in week.plan.assignments:
            assert seen.setdefault(a.case_id, (a.person_id, a.start)) == (a.person_id, a.start)


def test_the_clairvoyant_limit_is_no_worse_than_the_product(runs: dict[Policy, Run]) -> None:
    clairvoyant, _ = runs[Policy.CLAIRVOYANT]
    optimised, _ = runs[Policy.OPTIMISED]
    assert _median(clairvoyant) <= _median(optimised)
