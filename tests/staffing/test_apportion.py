"""`apportion`: the five methods, exact arithmetic, ties, the US House, and the properties each method keeps."""

from __future__ import annotations

import csv
import math
from fractions import Fraction
from pathlib import Path

import apportionment.methods as pypi_apportionment
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocator.staffing.apportion import DIVISOR_METHODS, METHODS, apportion, apportion_with_ties
from allocator.staffing.check import reference_rounding

REFDATA = Path(__file__).resolve().parents[1] / "data" / "apportionment"
PYPI_NAMES = {
    "hamilton": "hamilton",
    "webster": "webster",
    "dhondt": "dhondt",
    "huntington_hill": "huntington",
    "adams": "adams",
}


def us_house(year: int) -> tuple[dict[str, int], dict[str, int]]:
    """Apportionment populations and published seats of the 50 states."""
    with (REFDATA / f"us_{year}_apportionment.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    populations = {r["state"]: int(r["apportionment_population"]) for r in rows}
    return populations, {r["state"]: int(r["seats"]) for r in rows}


@pytest.mark.parametrize("year", [2010, 2020])
def test_huntington_hill_reproduces_the_us_house(year: int) -> None:
    populations, seats = us_house(year)
    assert len(populations) == 50
    assert apportion(populations, 435, "huntington_hill") == seats


def test_us_2020_last_seat_goes_to_minnesota_by_89_people() -> None:
    populations, _ = us_house(2020)
    assert apportion(populations, 435, "huntington_hill")["Minnesota"] == 8
    assert apportion(populations, 436, "huntington_hill")["New York"] == 27
    moved = dict(populations, **{"New York": populations["New York"] + 89})
    shifted = apportion(moved, 435, "huntington_hill")
    assert (shifted["New York"], shifted["Minnesota"]) == (27, 7)
    moved["New York"] -= 1
    assert apportion(moved, 435, "huntington_hill")["New York"] == 26


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("year", [2010, 2020])
def test_every_method_agrees_with_the_pypi_package_on_the_us_house(method: str, year: int) -> None:
    populations, _ = us_house(year)
    theirs = pypi_apportionment.compute(
        PYPI_NAMES[method], list(populations.values()), 435, fractions=True
    )
    assert list(apportion(populations, 435, method).values()) == theirs


# Hand-worked: weights 53, 24, 23 and 7 seats; standard divisor 100 / 7, quotas 3.71, 1.68, 1.61.
HAND_WORKED = {
    # whole parts 3, 1, 1; the remainders .71 and .68 take the two seats left.
    "hamilton": {"A": 4, "B": 2, "C": 1},
    # divisor 15.2: 3.49, 1.58, 1.51 round to 3, 2, 2.
    "webster": {"A": 3, "B": 2, "C": 2},
    # divisor 11.9: 4.45, 2.02, 1.93 round down to 4, 2, 1.
    "dhondt": {"A": 4, "B": 2, "C": 1},
    # divisor 18: 2.94, 1.33, 1.28 round up to 3, 2, 2.
    "adams": {"A": 3, "B": 2, "C": 2},
    # divisor 16: 3.31 is below sqrt(12) = 3.46, 1.5 and 1.44 are above sqrt(2) = 1.41: 3, 2, 2.
    "huntington_hill": {"A": 3, "B": 2, "C": 2},
}


@pytest.mark.parametrize("method", METHODS)
def test_hand_worked_example(method: str) -> None:
    assert apportion({"A": 53, "B": 24, "C": 23}, 7, method) == HAND_WORKED[method]


def test_dhondt_favours_the_large_and_adams_the_small() -> None:
    weights = {"large": 90, "small1": 5, "small2": 5}
    assert apportion(weights, 10, "dhondt") == {"large": 10, "small1": 0, "small2": 0}
    assert apportion(weights, 10, "adams") == {"large": 8, "small1": 1, "small2": 1}


def test_alabama_paradox_of_largest_remainder_from_the_docs() -> None:
    """docs/staffing.md: whole posts, 10 FTE then 11 FTE; Canterbury loses a post."""
    weights = {"Ashford": 6, "Swale": 6, "Canterbury": 2}
    assert apportion(weights, 10, "hamilton") == {"Ashford": 4, "Swale": 4, "Canterbury": 2}
    assert apportion(weights, 11, "hamilton") == {"Ashford": 5, "Swale": 5, "Canterbury": 1}
    for method in DIVISOR_METHODS:
        ten, eleven = apportion(weights, 10, method), apportion(weights, 11, method)
        assert all(eleven[d] >= ten[d] for d in weights)


def test_floats_are_read_as_the_decimals_they_print_as() -> None:
    # As binary floats 0.1 + 0.2 > 0.3; read as decimals they are equal, so the seat is tied.
    result = apportion_with_ties({"a": 0.1, "b": 0.2, "c": 0.3}, 3, "hamilton")
    assert result.seats == {"a": 0, "b": 1, "c": 2}
    assert apportion({"a": 0.1, "b": 0.2, "c": 0.3}, 6, "webster") == {"a": 1, "b": 2, "c": 3}
    assert apportion({"a": Fraction(1, 3), "b": Fraction(2, 3)}, 3, "dhondt") == {"a": 1, "b": 2}


def test_a_tie_goes_to_the_larger_weight_then_the_name_and_is_reported() -> None:
    result = apportion_with_ties({"Thanet": 1, "Dover": 1, "Swale": 2}, 2, "webster")
    # Claims: Swale's first seat 2 / 0.5 = 4, Thanet's and Dover's first 1 / 0.5 = 2, a tie for the second.
    assert result.seats == {"Thanet": 0, "Dover": 1, "Swale": 1}
    (tie,) = result.ties
    assert tie.candidates == ("Dover", "Thanet") and tie.winners == ("Dover",) and tie.posts == 1
    assert "Dover, Thanet" in str(tie) and "larger quota" in str(tie)

    weighted = apportion_with_ties({"a": 1, "b": 3}, 2, "webster")  # a's first seat ties b's second
    assert weighted.seats == {"a": 0, "b": 2}
    assert weighted.ties[0].candidates == ("b", "a")


def test_a_largest_remainder_tie_names_its_candidates_and_winners() -> None:
    # Quotas 1.2, 0.4, 0.4: whole parts 1, 0, 0; b and c tie on .4 for the one seat left; a's .2 is out.
    result = apportion_with_ties({"a": 3, "b": 1, "c": 1}, 2, "hamilton")
    assert result.seats == {"a": 1, "b": 1, "c": 0}
    (tie,) = result.ties
    assert tie.candidates == ("b", "c") and tie.winners == ("b",) and tie.posts == 1
    # Quotas exactly whole: no seat is left to contest, so no tie.
    assert apportion_with_ties({"a": 1, "b": 1, "c": 1}, 3, "hamilton").ties == ()


def test_no_tie_is_reported_when_there_is_no_choice() -> None:
    result = apportion_with_ties({"a": 1, "b": 1}, 2, "webster")
    assert result.seats == {"a": 1, "b": 1} and result.ties == ()


@pytest.mark.parametrize("method", ["adams", "huntington_hill"])
def test_fewer_seats_than_names_go_to_the_largest_under_zero_signpost_methods(method: str) -> None:
    assert apportion({"a": 5, "b": 9, "c": 7}, 2, method) == {"a": 0, "b": 1, "c": 1}


def test_zero_weights_get_nothing_and_zero_seats_give_nothing() -> None:
    for method in METHODS:
        assert apportion({"a": 0, "b": 3}, 4, method) == {"a": 0, "b": 4}
        assert apportion({"a": 0, "b": 3}, 0, method) == {"a": 0, "b": 0}
    assert apportion({}, 0, "webster") == {}


@pytest.mark.parametrize(
    ("weights", "seats", "method", "message"),
    [
        (
            {"a": 1},
            3,
            "jefferson",
            "unknown apportionment method 'jefferson': expected one of hamilton",
        ),
        ({"a": -1, "b": 2}, 3, "webster", "the weight of 'a' is -1: expected 0 or more"),
        ({"a": 0, "b": 0}, 3, "webster", "every weight is 0"),
        ({"a": 1}, -1, "webster", "seats is -1"),
        ({"a": float("nan")}, 1, "webster", "not a finite number"),
        ({"a": 1}, True, "webster", "seats is True"),
    ],
)
def test_bad_input_is_refused_in_words(
    weights: dict, seats: int, method: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        apportion(weights, seats, method)


weights_strategy = st.dictionaries(
    st.text("ABCDEFGHIJ", min_size=1, max_size=3),
    st.just(0) | st.integers(1, 1000) | st.fractions(0, 50, max_denominator=20),
    min_size=1,
    max_size=9,
).filter(lambda w: any(w.values()))


@settings(max_examples=50, deadline=None)
@given(weights_strategy, st.integers(0, 60), st.sampled_from(METHODS))
def test_totals_are_exact_for_every_method(weights: dict, seats: int, method: str) -> None:
    result = apportion(weights, seats, method)
    assert sum(result.values()) == seats and set(result) == set(weights)
    assert all(result[n] == 0 for n, w in weights.items() if w == 0)


@settings(max_examples=50, deadline=None)
@given(weights_strategy, st.integers(0, 60))
def test_hamilton_stays_within_quota(weights: dict, seats: int) -> None:
    total = sum(Fraction(w) for w in weights.values())
    for name, got in apportion(weights, seats, "hamilton").items():
        quota = Fraction(weights[name]) * seats / total
        assert math.floor(quota) <= got <= math.ceil(quota)


@settings(max_examples=50, deadline=None)
@given(weights_strategy, st.integers(0, 40), st.sampled_from(DIVISOR_METHODS))
def test_divisor_methods_are_house_monotone(weights: dict, seats: int, method: str) -> None:
    smaller, larger = apportion(weights, seats, method), apportion(weights, seats + 1, method)
    assert all(larger[n] >= smaller[n] for n in weights)


@settings(max_examples=50, deadline=None)
@given(weights_strategy, st.integers(0, 60), st.sampled_from(METHODS))
def test_fast_rounding_equals_the_checkers_one_seat_at_a_time(
    weights: dict, seats: int, method: str
) -> None:
    exact = {n: Fraction(w) for n, w in weights.items()}
    assert apportion(weights, seats, method) == reference_rounding(method, exact, seats)


@settings(max_examples=50, deadline=None)
@given(weights_strategy, st.integers(1, 40), st.sampled_from(METHODS))
def test_the_order_names_are_given_in_does_not_matter(
    weights: dict, seats: int, method: str
) -> None:
    backwards = dict(reversed(list(weights.items())))
    assert apportion(backwards, seats, method) == apportion(weights, seats, method)
