"""Apportionment: whole seats shared in proportion to weights by a named method, in exact numbers.

Holds the exact reading of numbers (`exact`), the five methods (hamilton, webster, dhondt,
huntington_hill, adams), the tie rule (larger weight first, then name A to Z) and the rounding within
bounds that the staffing formula uses (`round_within`); `apportion` and `apportion_with_ties` are the
plain functions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from allocator.model.staffing_result import Apportionment, Tie

METHODS: tuple[str, ...] = ("hamilton", "webster", "dhondt", "huntington_hill", "adams")
"""Apportionment methods by name: largest remainder, then the divisor methods."""
DIVISOR_METHODS: tuple[str, ...] = METHODS[1:]

Number = int | float | Fraction
Side = Literal["lower", "upper"]
Priority = tuple[int, Fraction]


def exact(value: Number, what: str = "value") -> Fraction:
    """`value` as an exact fraction; a float is read as the decimal it prints as (0.1 -> 1/10)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Fraction):
        raise TypeError(f"{what} is {value!r}, not a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{what} is {value}, not a finite number")
        return Fraction(repr(value))
    return Fraction(value)


# ---------------------------------------------------------------------------------------------
# Apportionment: the rounding machinery
# ---------------------------------------------------------------------------------------------


def _priority(method: str, weight: Fraction, post: int) -> Priority:
    """Claim of a name with `weight` to its post number `post + 1`: weight / signpost(post).

    Signposts: D'Hondt post + 1, Webster post + 1/2, Adams post, Huntington-Hill sqrt(post (post + 1)),
    compared squared so that no square root is taken. A first post under Adams or Huntington-Hill has
    signpost 0, an infinite claim; those claims rank by weight among themselves.
    """
    if method == "dhondt":
        return (0, weight / (post + 1))
    if method == "webster":
        return (0, 2 * weight / (2 * post + 1))
    if post == 0:
        return (1, weight) if weight > 0 else (0, Fraction(0))
    if method == "adams":
        return (0, weight / post)
    return (0, weight * weight / (post * (post + 1)))


def posts_below(method: str, quota: Fraction) -> int:
    """Posts a divisor method gives `quota` at the standard divisor: signposts strictly below it."""
    if quota <= 0:
        return 0
    if method == "dhondt":
        return math.ceil(quota) - 1
    if method == "adams":
        return math.ceil(quota)
    if method == "webster":
        return max(0, math.ceil(quota - Fraction(1, 2)))
    whole = math.floor(quota)
    return whole + 1 if whole * (whole + 1) < quota * quota else whole


@dataclass
class Rounding:
    """Posts per name, the ties broken, and names a bound kept from what the method would give."""

    posts: dict[str, int]
    ties: list[Tie]
    clamped: dict[str, Side]


def _tie_order(weights: Mapping[str, Fraction]) -> list[str]:
    """Names in the tie rule's order: larger weight first, then name A to Z."""
    return sorted(weights, key=lambda name: (-weights[name], name))


def _round_hamilton(weights: Mapping[str, Fraction], seats: int, share_out: str) -> Rounding:
    """Largest remainder: each name gets the whole part of its quota, the rest go to the largest fractions."""
    total = sum(weights.values(), Fraction(0))
    quotas = {name: w * seats / total for name, w in weights.items()}
    posts = {name: math.floor(q) for name, q in quotas.items()}
    remainders = {name: quotas[name] - posts[name] for name in quotas}
    left = seats - sum(posts.values())
    ranked = sorted(_tie_order(weights), key=lambda name: -remainders[name])
    for name in ranked[:left]:
        posts[name] += 1
    ties: list[Tie] = []
    if 0 < left < len(ranked) and remainders[ranked[left - 1]] == remainders[ranked[left]]:
        cut = remainders[ranked[left]]
        tied = [name for name in ranked if remainders[name] == cut]
        winners = [name for name in tied if name in ranked[:left]]
        ties.append(
            Tie(
                share_out=share_out,
                posts=len(winners),
                candidates=tuple(tied),
                winners=tuple(winners),
            )
        )
    return Rounding(posts, ties, {})


def _round_divisor(
    method: str,
    weights: Mapping[str, Fraction],
    seats: int,
    fewest: Mapping[str, int],
    most: Mapping[str, int],
    share_out: str,
) -> Rounding:
    """A divisor method within bounds: posts go by highest priority, each name between its bounds.

    Starts from the posts at the standard divisor, then adds the strongest missing post or removes the
    weakest held one until the total is exact; a tie at the cut is settled by the tie rule.
    """
    total = sum(weights.values(), Fraction(0))
    names = list(weights)
    posts = {}
    for name in names:
        at_standard = posts_below(method, weights[name] * seats / total) if total else 0
        posts[name] = min(most[name], max(fewest[name], at_standard))

    known: dict[tuple[str, int], Priority] = {}

    def claim(name: str, post: int) -> Priority:
        if (name, post) not in known:
            known[name, post] = _priority(method, weights[name], post)
        return known[name, post]

    count = sum(posts.values())
    while count < seats:
        name = max((n for n in names if posts[n] < most[n]), key=lambda n: claim(n, posts[n]))
        posts[name] += 1
        count += 1
    while count > seats:
        name = min((n for n in names if posts[n] > fewest[n]), key=lambda n: claim(n, posts[n] - 1))
        posts[name] -= 1
        count -= 1

    ties = _settle_tie(method, weights, posts, fewest, most, share_out)
    last = [claim(n, posts[n] - 1) for n in names if posts[n] > fewest[n]]
    following = [claim(n, posts[n]) for n in names if posts[n] < most[n]]
    weakest_held = min(last, default=None)
    strongest_missing = max(following, default=None)
    clamped: dict[str, Side] = {}
    for name in names:
        if (
            posts[name] == most[name]
            and weakest_held is not None
            and claim(name, posts[name]) > weakest_held
        ):
            clamped[name] = "upper"
        elif (
            posts[name] == fewest[name] > 0
            and strongest_missing is not None
            and claim(name, posts[name] - 1) < strongest_missing
        ):
            clamped[name] = "lower"
    return Rounding(posts, ties, clamped)


def _settle_tie(
    method: str,
    weights: Mapping[str, Fraction],
    posts: dict[str, int],
    fewest: Mapping[str, int],
    most: Mapping[str, int],
    share_out: str,
) -> list[Tie]:
    """Where the weakest post given and the strongest post not given have equal claims, give the
    contested posts by the tie rule (one a name in turn) and report the tie. Changes `posts`."""
    names = list(weights)
    last = {n: _priority(method, weights[n], posts[n] - 1) for n in names if posts[n] > fewest[n]}
    following = {n: _priority(method, weights[n], posts[n]) for n in names if posts[n] < most[n]}
    if not last or not following:
        return []
    cut = min(last.values())
    if max(following.values()) != cut:
        return []
    given: dict[str, int] = {}
    room: dict[str, int] = {}
    for name in names:
        if weights[name] == 0:
            # Every post of a weightless name has the claim (0, 0).
            flat = cut == (0, Fraction(0))
            given[name] = posts[name] - fewest[name] if flat else 0
            room[name] = most[name] - fewest[name] if flat else 0
        else:
            given[name] = int(last.get(name) == cut)
            room[name] = given[name] + int(following.get(name) == cut)
    contested = sum(given.values())
    if sum(room.values()) <= contested:
        return []
    candidates = [n for n in _tie_order(weights) if room[n] > 0]
    for name in candidates:
        posts[name] -= given[name]
    won = dict.fromkeys(candidates, 0)
    left = contested
    while left:
        for name in candidates:
            if left and won[name] < room[name]:
                won[name] += 1
                posts[name] += 1
                left -= 1
    winners = tuple(n for n in candidates if won[n])
    return [
        Tie(share_out=share_out, posts=contested, candidates=tuple(candidates), winners=winners)
    ]


def check_method(method: str) -> None:
    """Raise ValueError for a name that is not one of `METHODS`."""
    if method not in METHODS:
        raise ValueError(
            f"unknown apportionment method {method!r}: expected one of {', '.join(METHODS)}"
        )


def apportion_with_ties(
    weights: Mapping[str, Number], seats: int, method: str, share_out: str = "apportionment"
) -> Apportionment:
    """`apportion`, with any tie it had to break."""
    check_method(method)
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 0:
        raise ValueError(f"seats is {seats!r}: expected a whole number, 0 or more")
    exact_weights = {name: exact(w, f"the weight of {name!r}") for name, w in weights.items()}
    for name, w in exact_weights.items():
        if w < 0:
            raise ValueError(f"the weight of {name!r} is {w}: expected 0 or more")
    if seats and not any(exact_weights.values()):
        raise ValueError(f"every weight is 0, so nothing says how to share {seats} seats")
    if not seats:
        return Apportionment(method=method, seats=dict.fromkeys(exact_weights, 0))
    rounding = round_within(
        method, exact_weights, seats, dict.fromkeys(exact_weights, 0), share_out
    )
    return Apportionment(method=method, seats=rounding.posts, ties=tuple(rounding.ties))


def round_within(
    method: str,
    weights: Mapping[str, Fraction],
    seats: int,
    fewest: Mapping[str, int],
    share_out: str,
    most: Mapping[str, int] | None = None,
) -> Rounding:
    """Share `seats` among exact `weights` by `method`, each name between `fewest` and `most` (a
    divisor method only: hamilton ignores the bounds); the ties broken name `share_out`."""
    if method == "hamilton":
        return _round_hamilton(weights, seats, share_out)
    return _round_divisor(
        method, weights, seats, fewest, most or dict.fromkeys(weights, seats), share_out
    )


def apportion(
    weights: Mapping[str, int | float | Fraction], seats: int, method: str
) -> dict[str, int]:
    """Share `seats` whole seats among names in proportion to their weights, by a named method.

    Methods: hamilton (largest remainder), webster (Sainte-Lague), dhondt (Jefferson),
    huntington_hill (equal proportions, the US House method) and adams. Arithmetic is exact; a tie at
    the last seat goes to the larger weight, then the name first A to Z (`apportion_with_ties` reports it).
    """
    return apportion_with_ties(weights, seats, method).seats
