"""summary.csv's figures on a hand-made list of waits, and the printed summary."""

from __future__ import annotations

import statistics
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocator.model.simulation import COUNTY, Policy, SimulationResult, SimWait
from allocator.simulate.summary import beats, percentile, printed_summary, summarise

DAY = date(2025, 9, 8)


def wait(
    n: int,
    days: int | None,
    *,
    district: str = "Ashford",
    policy: Policy = Policy.OPTIMISED,
    variant: str = "scenario",
    agreed: bool = True,
    seed: int = 0,
) -> SimWait:
    """Request R{n}: agreed (unless `agreed` is False) and started after `days` school days."""
    return SimWait(
        request_id=f"R{n}",
        district=district,
        need_type="C&I",
        urgent=False,
        policy=policy,
        variant=variant,
        seed=seed,
        received_on=DAY,
        meeting_date=DAY + timedelta(days=7),
        agreed_on=DAY + timedelta(days=7) if agreed or days is not None else None,
        start=None if days is None else DAY + timedelta(days=days * 7 // 5 + 1),
        school_days=days,
    )


def test_summary_by_hand() -> None:
    waits = [wait(k, d) for k, d in enumerate([1, 2, 3, 4, 30])]
    waits += [wait(5, None), wait(6, None, agreed=False), wait(7, 10, district="Dover", seed=1)]
    rows = summarise(waits, {"scenario": {"Ashford": 9.5}})
    assert [(r.district, r.requests, r.agreements, r.started) for r in rows] == [
        ("Ashford", 7, 6, 5),
        ("Dover", 1, 1, 1),
        (COUNTY, 8, 7, 6),
    ]
    ashford, dover, county = rows
    assert (ashford.median_days, ashford.p90_days, ashford.over_20) == (3, pytest.approx(19.6), 0.2)
    assert (dover.median_days, dover.p90_days, dover.over_20) == (10, 10, 0)
    assert (county.median_days, county.p90_days) == (3.5, pytest.approx(20.0))
    assert county.over_20 == pytest.approx(1 / 6)
    assert (ashford.fte, dover.fte, county.fte) == (9.5, None, None)


def test_summary_order_and_nothing_started() -> None:
    waits = [
        wait(1, None, policy=Policy.CLAIRVOYANT),
        wait(1, 5, policy=Policy.FIRST_COME, variant="b"),
        wait(1, 4, policy=Policy.OPTIMISED, variant="b", district="Thanet"),
        wait(1, 3, policy=Policy.OPTIMISED, variant="a"),
    ]
    rows = summarise(waits)
    assert [(r.policy, r.variant, r.district) for r in rows] == [
        (Policy.OPTIMISED, "b", "Thanet"),
        (Policy.OPTIMISED, "b", COUNTY),
        (Policy.OPTIMISED, "a", "Ashford"),
        (Policy.OPTIMISED, "a", COUNTY),
        (Policy.FIRST_COME, "b", "Ashford"),
        (Policy.FIRST_COME, "b", COUNTY),
        (Policy.CLAIRVOYANT, "scenario", "Ashford"),
        (Policy.CLAIRVOYANT, "scenario", COUNTY),
    ]
    idle = rows[-1]
    assert (idle.started, idle.median_days, idle.p90_days, idle.over_20) == (0, None, None, None)
    assert summarise([]) == []


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=200), min_size=2, max_size=60))
def test_figures_match_the_statistics_module(days: list[int]) -> None:
    (row, county) = summarise([wait(k, d) for k, d in enumerate(days)])
    assert row.median_days == statistics.median(days) == county.median_days
    assert row.p90_days == pytest.approx(statistics.quantiles(days, n=10, method="inclusive")[8])
    assert row.over_20 == sum(d > 20 for d in days) / len(days)
    assert percentile([7.0], 0.9) == 7.0 and percentile([], 0.5) is None


def _result(
    waits: list[SimWait], fte: dict[str, dict[str, float]] | None = None
) -> SimulationResult:
    variants = tuple(dict.fromkeys(w.variant for w in waits))
    return SimulationResult(
        waits=tuple(waits),
        summary=tuple(summarise(waits, fte)),
        variants=variants,
        seeds=1,
        seconds=1.0,
    )


def _district_waits(variant: str, policy: Policy, district: str, days: list[int]) -> list[SimWait]:
    return [
        wait(k, d, district=district, policy=policy, variant=variant) for k, d in enumerate(days)
    ]


def test_printed_summary() -> None:
    waits: list[SimWait] = []
    for variant, swale_days in (("scenario", [10, 20, 30]), ("swale-plus-2", [5, 8, 12])):
        for policy, extra in (
            (Policy.OPTIMISED, 0),
            (Policy.FIRST_COME, 6),
            (Policy.CLAIRVOYANT, -2),
        ):
            waits += _district_waits(variant, policy, "Swale", [d + extra for d in swale_days])
            waits += _district_waits(variant, policy, "Dover", [4, 7, 9])
    fte = {
        "scenario": {"Swale": 10.0, "Dover": 8.0},
        "swale-plus-2": {"Swale": 12.0, "Dover": 8.0},
    }
    text = printed_summary(_result(waits, fte))
    lines = text.splitlines()
    assert "1 seed, variant scenario" in lines[0]
    assert "optimised" in lines[1] and "median   9.5" in lines[1]
    assert "first-come" in lines[2] and "clairvoyant" in lines[3]
    # Dover's waits are the same under every policy: not beaten there.
    assert "in 1 of 2 districts (scenario); county-wide: yes" in text
    assert "Distance to the clairvoyant limit: median +1, 90th percentile +2" in text
    assert "Swale (FTE 10.00 -> 12.00): median 20 -> 8 (-12)" in text
    assert "Dover" not in lines[-1]


def test_printed_summary_without_fte_names_changed_medians() -> None:
    waits = _district_waits("scenario", Policy.OPTIMISED, "Swale", [10, 20])
    waits += _district_waits("more", Policy.OPTIMISED, "Swale", [10, 12])
    waits += _district_waits("same", Policy.OPTIMISED, "Swale", [10, 20])
    text = printed_summary(_result(waits))
    assert "Variant more against scenario (optimised): Swale: median 15 -> 11 (-4)" in text
    assert "Variant same against scenario (optimised): no district changed." in text
    assert "beats" not in text and "clairvoyant" not in text


def test_beats_needs_both_lower() -> None:
    rows = summarise(
        _district_waits("v", Policy.OPTIMISED, "A", [1, 2, 30])
        + _district_waits("v", Policy.FIRST_COME, "A", [3, 4, 20])
    )
    optimised, first_come = rows[0], rows[2]
    assert not beats(optimised, first_come) and not beats(first_come, optimised)
    assert beats(optimised, optimised.model_copy(update={"median_days": None, "p90_days": None}))
