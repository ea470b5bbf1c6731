"""A fixed regression corpus for the apportionment: every small case, and the quotas on the edges.

The property tests draw at random and reach a rounding edge (a quota exactly on a signpost) only now
and then; these cases reach them on purpose, every run.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest

from allocator.staffing.apportion import (
    DIVISOR_METHODS,
    METHODS,
    apportion,
    posts_below,
    round_within,
)
from allocator.staffing.check import reference_rounding


def _signpost(method: str, post: int) -> Fraction:
    """The divisor method's signpost between `post` and `post + 1` posts (squared for Huntington-Hill)."""
    if method == "dhondt":
        return Fraction(post + 1)
    if method == "webster":
        return post + Fraction(1, 2)
    if method == "adams":
        return Fraction(post)
    return Fraction(post * (post + 1))  # huntington_hill, compared with quota squared


def _count_signposts_below(method: str, quota: Fraction) -> int:
    """Posts at the standard divisor, counted one signpost at a time."""
    if quota <= 0:
        return 0
    value = quota * quota if method == "huntington_hill" else quota
    posts = 0
    while _signpost(method, posts) < value:
        posts += 1
    return posts


EDGE_QUOTAS = sorted(
    {
        Fraction(k, 2) + delta
        for k in range(0, 13)
        for delta in (Fraction(0), Fraction(1, 1000), Fraction(-1, 1000))
        if Fraction(k, 2) + delta >= 0
    }
    # Huntington-Hill's signposts sqrt(n (n + 1)), approached from both sides.
    | {Fraction(math.isqrt(n * (n + 1) * 10**6), 1000) for n in range(1, 7)}
    | {Fraction(math.isqrt(n * (n + 1) * 10**6) + 1, 1000) for n in range(1, 7)}
)


@pytest.mark.parametrize("method", DIVISOR_METHODS)
def test_the_starting_point_is_the_signposts_strictly_below_each_edge_quota(method: str) -> None:
    for quota in EDGE_QUOTAS:
        assert posts_below(method, quota) == _count_signposts_below(method, quota), (method, quota)


# Every share-out of 0 to 9 seats over three names with weights 0 to 5: 3,430 cases a method, many
# with quotas exactly on a signpost and ties at the cut.
SMALL_CASES = [
    (weights, seats)
    for weights in itertools.product(range(6), repeat=3)
    if any(weights)
    for seats in range(10)
]


@pytest.mark.parametrize("method", METHODS)
def test_every_small_case_equals_the_reference_rounding(method: str) -> None:
    wrong = []
    for (a, b, c), seats in SMALL_CASES:
        weights = {"A": a, "B": b, "C": c}
        exact = {n: Fraction(w) for n, w in weights.items()}
        got = apportion(weights, seats, method)
        if got != reference_rounding(method, exact, seats):
            wrong.append((weights, seats, got))
    assert not wrong, wrong[:5]


@pytest.mark.parametrize(
    ("weights", "seats", "method", "expected"),
    [
        # Quotas 1.5 and 0.5 (Webster rounds both halves up at the standard divisor, 3 > 2 seats).
        ({"A": 3, "B": 1}, 2, "webster", {"A": 2, "B": 0}),
        # Quotas 2.5, 2.5, 1: the two halves tie for the last seat; the tie rule gives it to A.
        ({"A": 5, "B": 5, "C": 2}, 6, "webster", {"A": 3, "B": 2, "C": 1}),
        # Quotas 0.5, 1.5, 2.5, 3.5: the start gives 0, 1, 2, 3; the next post of each claims exactly 2,
        # a four-way tie for two seats, won by the larger weights.
        ({"A": 1, "B": 3, "C": 5, "D": 7}, 8, "webster", {"A": 0, "B": 1, "C": 3, "D": 4}),
        # One quota just above a half, the other just below.
        ({"A": 501, "B": 499}, 1, "webster", {"A": 1, "B": 0}),
    ],
)
def test_hand_checked_edge_cases(
    weights: dict[str, int], seats: int, method: str, expected: dict[str, int]
) -> None:
    assert apportion(weights, seats, method) == expected


# Bounded share-outs, as the floors, caps and change limits make them: three names with weights 1
# to 4, each held between a least and a most number of posts.
BOUNDED_CASES = [
    (weights, seats, least, most)
    for weights in itertools.product(range(1, 5), repeat=3)
    for seats in range(1, 9)
    for least in ((0, 0, 0), (2, 0, 0), (0, 1, 2))
    for most in ((9, 9, 9), (1, 9, 9), (9, 2, 3))
    if all(lo <= hi for lo, hi in zip(least, most, strict=True))
    and sum(least) <= seats <= sum(most)
]


@pytest.mark.parametrize("method", DIVISOR_METHODS)
def test_every_bounded_small_case_equals_the_reference_rounding(method: str) -> None:
    names = ("A", "B", "C")
    wrong = []
    for weights, seats, least, most in BOUNDED_CASES:
        exact = {n: Fraction(w) for n, w in zip(names, weights, strict=True)}
        fewest = dict(zip(names, least, strict=True))
        highest = dict(zip(names, most, strict=True))
        got = round_within(method, exact, seats, fewest, "test", highest).posts
        if got != reference_rounding(method, exact, seats, fewest, highest):
            wrong.append((weights, seats, least, most, got))
    assert not wrong, wrong[:5]
