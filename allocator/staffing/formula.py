"""The staffing formula: exact quotas, posts by a named apportionment method, and the rules that hold.

All arithmetic is exact (integers and fractions). A float given by a person is read as the decimal it
prints as (0.1 is one tenth), and FTE is counted in posts of the formula's granularity.

The planner, in order:

1. quota: quota_d = total_fte * sum_i w_i x_id / sum_d x_id over the weighted indicators.
2. bounds: each district's fewest and most posts from the floor, the cap and the change limit.
3. constrained quota: clamp(scale * quota_d, fewest_d, most_d), with the one scale that makes the total
   exact (the one closest to 1 where several do). No allocation within the rules has a smaller largest
   relative deviation from the quota, nor a smaller total deviation.
4. posts: a district the rules hold keeps its bound; the method rounds the others' constrained quotas.
5. check: `allocator.staffing.check` re-verifies the result from the raw inputs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Literal

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from allocator.model.base import DEFAULT_COUNTY_POOLS
from allocator.model.scenario import Scenario
from allocator.model.staffing import DistrictIndicators, HighIncidenceFormula, StaffingSettings
from allocator.model.staffing_result import (
    Apportionment,
    ComparisonRow,
    DistrictStaffing,
    PoolStaffing,
    SensitivityRow,
    StaffingAllocation,
    StaffingComparison,
    StaffingError,
    StaffingInfeasible,
    StaffingRule,
    StaffingSensitivity,
    Tie,
    format_fte,
)

METHODS: tuple[str, ...] = ("hamilton", "webster", "dhondt", "huntington_hill", "adams")
"""Apportionment methods by name: largest remainder, then the divisor methods."""
DIVISOR_METHODS: tuple[str, ...] = METHODS[1:]
POOL_COLUMNS: dict[str, str] = {"HI": "hi_children", "VI": "vi_children", "PI": "pi_children"}
"""The children column of district_indicators.csv that shares out each sensory pool."""
DEFAULT_POOLS: tuple[str, ...] = tuple(pool.value for pool in DEFAULT_COUNTY_POOLS)

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


def _posts_below(method: str, quota: Fraction) -> int:
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
class _Rounding:
    """Posts per name, the ties broken, and names a bound kept from what the method would give."""

    posts: dict[str, int]
    ties: list[Tie]
    clamped: dict[str, Side]


def _tie_order(weights: Mapping[str, Fraction]) -> list[str]:
    """Names in the tie rule's order: larger weight first, then name A to Z."""
    return sorted(weights, key=lambda name: (-weights[name], name))


def _round_hamilton(weights: Mapping[str, Fraction], seats: int, share_out: str) -> _Rounding:
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
    return _Rounding(posts, ties, {})


def _round_divisor(
    method: str,
    weights: Mapping[str, Fraction],
    seats: int,
    fewest: Mapping[str, int],
    most: Mapping[str, int],
    share_out: str,
) -> _Rounding:
    """A divisor method within bounds: posts go by highest priority, each name between its bounds.

    Starts from the posts at the standard divisor, then adds the strongest missing post or removes the
    weakest held one until the total is exact; a tie at the cut is settled by the tie rule.
    """
    total = sum(weights.values(), Fraction(0))
    names = list(weights)
    posts = {}
    for name in names:
        at_standard = _posts_below(method, weights[name] * seats / total) if total else 0
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
    return _Rounding(posts, ties, clamped)


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


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(
            f"unknown apportionment method {method!r}: expected one of {', '.join(METHODS)}"
        )


def apportion_with_ties(
    weights: Mapping[str, Number], seats: int, method: str, share_out: str = "apportionment"
) -> Apportionment:
    """`apportion`, with any tie it had to break."""
    _check_method(method)
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
    rounding = _round(method, exact_weights, seats, dict.fromkeys(exact_weights, 0), share_out)
    return Apportionment(method=method, seats=rounding.posts, ties=tuple(rounding.ties))


def _round(
    method: str,
    weights: Mapping[str, Fraction],
    seats: int,
    fewest: Mapping[str, int],
    share_out: str,
    most: Mapping[str, int] | None = None,
) -> _Rounding:
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


# ---------------------------------------------------------------------------------------------
# The formula: quotas, bounds, constrained quota
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Formula:
    """The high-incidence formula in exact numbers."""

    total: Fraction
    method: str
    granularity: Fraction
    floor: Fraction
    cap: Fraction | None
    max_change_pct: Fraction | None
    weights: dict[str, Fraction]

    @classmethod
    def of(cls, formula: HighIncidenceFormula) -> _Formula:
        return cls(
            total=exact(formula.total_fte),
            method=formula.method,
            granularity=exact(formula.granularity),
            floor=exact(formula.floor_fte),
            cap=None if formula.cap_fte is None else exact(formula.cap_fte),
            max_change_pct=None
            if formula.max_change_pct is None
            else exact(formula.max_change_pct),
            weights={name: exact(w) for name, w in formula.weights.items()},
        )

    def posts(self, fte: Fraction, what: str) -> int:
        """`fte` as a whole number of posts, or an error saying what would be."""
        count = fte / self.granularity
        if count.denominator != 1:
            below = math.floor(count) * self.granularity
            raise StaffingError(
                f"{what} {format_fte(fte)} is not a whole number of {format_fte(self.granularity)}-FTE "
                f"posts ({format_fte(below)} or {format_fte(below + self.granularity)} would be)"
            )
        return count.numerator


def _columns(indicators: Sequence[DistrictIndicators]) -> set[str]:
    return set.intersection(*(set(row.indicators) for row in indicators)) if indicators else set()


def formula_quotas(
    formula: HighIncidenceFormula, indicators: Sequence[DistrictIndicators]
) -> dict[str, Fraction]:
    """Each district's exact quota in FTE: total_fte * sum_i w_i x_id / sum_d x_id.

    Weights are divided by their sum, so the quotas add up to the total exactly.
    """
    return _quotas(_Formula.of(formula), indicators)


def _quotas(formula: _Formula, indicators: Sequence[DistrictIndicators]) -> dict[str, Fraction]:
    if not indicators:
        raise StaffingError(
            "district_indicators.csv has no district, so there is nothing to share out"
        )
    columns = _columns(indicators)
    problems = [
        f"weight {name!r} names no column of district_indicators.csv "
        f"(columns: {', '.join(sorted(columns)) or 'none'})"
        for name in formula.weights
        if name not in columns
    ]
    if problems:
        raise StaffingError(problems)
    weight_sum = sum(formula.weights.values(), Fraction(0))
    if weight_sum <= 0:
        raise StaffingError("the weights are all 0: give at least one indicator a weight")
    shares = {row.district: Fraction(0) for row in indicators}
    for name, weight in formula.weights.items():
        if weight == 0:
            continue
        values = {row.district: exact(row.indicators[name], name) for row in indicators}
        column_total = sum(values.values(), Fraction(0))
        if column_total == 0:
            problems.append(
                f"indicator {name!r} is 0 in every district, so its weight {format_fte(weight)} "
                "cannot share anything out"
            )
            continue
        for district, value in values.items():
            shares[district] += weight * value / column_total
    if problems:
        raise StaffingError(problems)
    return {district: formula.total * share / weight_sum for district, share in shares.items()}


@dataclass(frozen=True)
class _Bounds:
    """Each district's fewest and most posts, and the rules that set them."""

    formula: _Formula
    seats: int
    fewest: dict[str, int]
    most: dict[str, int]
    fewest_by: dict[str, tuple[StaffingRule, ...]]
    most_by: dict[str, tuple[StaffingRule, ...]]
    baselines: dict[str, Fraction]

    def why(self, district: str, side: Side) -> str:
        """The rules that set a district's bound, in words."""
        f = self.formula
        rules = self.fewest_by[district] if side == "lower" else self.most_by[district]
        words = []
        for rule in rules:
            if rule == StaffingRule.FLOOR:
                words.append(f"floor {format_fte(f.floor)} FTE")
            elif rule == StaffingRule.CAP:
                words.append(f"cap {format_fte(f.cap or Fraction(0))} FTE")
            else:
                baseline, pct = self.baselines[district], f.max_change_pct or Fraction(0)
                sign = -1 if side == "lower" else 1
                limit = max(Fraction(0), baseline * (1 + sign * pct / 100))
                words.append(
                    f"change limit: baseline {format_fte(baseline)} FTE {'-' if sign < 0 else '+'} "
                    f"{format_fte(pct)}% = {format_fte(limit)} FTE"
                )
        return "; ".join(words) or f"the whole total, {format_fte(f.total)} FTE"


def _bounds(formula: _Formula, indicators: Sequence[DistrictIndicators], seats: int) -> _Bounds:
    """Floors round up to whole posts, caps down; the change limit allows baseline +/- max_change_pct
    (rounded inwards to whole posts) and applies only to a district with a baseline above 0."""
    g = formula.granularity
    b = _Bounds(formula, seats, {}, {}, {}, {}, {})
    floor_posts = math.ceil(formula.floor / g)
    cap_posts = seats if formula.cap is None else math.floor(formula.cap / g)
    for row in indicators:
        d = row.district
        lower: list[tuple[int, StaffingRule]] = [(floor_posts, StaffingRule.FLOOR)]
        upper: list[tuple[int, StaffingRule | None]] = [(seats, None)]
        if formula.cap is not None:
            upper.append((cap_posts, StaffingRule.CAP))
        baseline = b.baselines[d] = exact(row.baseline_fte)
        if formula.max_change_pct is not None and baseline > 0:
            step = baseline * formula.max_change_pct / 100
            lower.append(
                (math.ceil(max(Fraction(0), baseline - step) / g), StaffingRule.CHANGE_LIMIT)
            )
            upper.append((math.floor((baseline + step) / g), StaffingRule.CHANGE_LIMIT))
        b.fewest[d] = max(posts for posts, _ in lower)
        b.most[d] = min(posts for posts, _ in upper)
        b.fewest_by[d] = tuple(r for posts, r in lower if posts == b.fewest[d] and posts > 0)
        b.most_by[d] = tuple(r for posts, r in upper if posts == b.most[d] and r is not None)
    return b


def _infeasibility(
    formula: _Formula, bounds: _Bounds, quotas: Mapping[str, Fraction], seats: int
) -> list[str]:
    """Why the floors, caps and change limits cannot all hold at this total (empty when they can)."""
    g = formula.granularity

    def fte(posts: int) -> str:
        return format_fte(posts * g) + " FTE"

    reasons = [
        f"{d}: needs at least {fte(bounds.fewest[d])} ({bounds.why(d, 'lower')}) but may have at "
        f"most {fte(bounds.most[d])} ({bounds.why(d, 'upper')})"
        for d in bounds.fewest
        if bounds.fewest[d] > bounds.most[d]
    ]
    if reasons:
        return reasons
    total = format_fte(formula.total)
    need = sum(bounds.fewest.values())
    if need > seats:
        raised = [d for d in bounds.fewest if StaffingRule.CHANGE_LIMIT in bounds.fewest_by[d]]
        detail = f"; the change limit sets the least for {', '.join(raised)}" if raised else ""
        reasons.append(
            f"the floors and change limits need at least {fte(need)} in all, {fte(need - seats)} more "
            f"than total_fte {total} FTE{detail}: lower floor_fte, widen max_change_pct or raise total_fte"
        )
    room = sum(bounds.most[d] for d in bounds.most if quotas[d] > 0)
    room += sum(bounds.fewest[d] for d in bounds.fewest if quotas[d] == 0)
    if sum(bounds.most.values()) < seats:
        most = sum(bounds.most.values())
        reasons.append(
            f"the caps and change limits allow at most {fte(most)} in all, {fte(seats - most)} less than "
            f"total_fte {total} FTE: raise cap_fte, widen max_change_pct or lower total_fte"
        )
    elif room < seats:
        zero = [d for d in quotas if quotas[d] == 0]
        reasons.append(
            f"the caps and change limits let the districts with a share of the formula take at most "
            f"{fte(room)}; the other {fte(seats - room)} could only go to {', '.join(zero)}, which the "
            "formula gives no share: raise cap_fte, widen max_change_pct or lower total_fte"
        )
    return reasons


def _filled(
    scale: Fraction,
    quotas: Mapping[str, Fraction],
    fewest: Mapping[str, int],
    most: Mapping[str, int],
) -> Fraction:
    return sum(
        (
            min(Fraction(most[d]), max(Fraction(fewest[d]), scale * q))
            if q > 0
            else Fraction(fewest[d])
            for d, q in quotas.items()
        ),
        Fraction(0),
    )


def constrained_scale(
    quotas: Mapping[str, Fraction], fewest: Mapping[str, int], most: Mapping[str, int], seats: int
) -> Fraction:
    """The scale s, closest to 1, with sum_d clamp(s * quota_d, fewest_d, most_d) = seats.

    The sum is piecewise linear and non-decreasing in s, so s is found exactly between the breakpoints
    fewest_d / quota_d and most_d / quota_d. The caller makes sure such an s exists.
    """
    at_one = _filled(Fraction(1), quotas, fewest, most)
    if at_one == seats:
        return Fraction(1)
    points = {Fraction(0)} | {
        Fraction(bound) / q for d, q in quotas.items() if q > 0 for bound in (fewest[d], most[d])
    }
    going_down = at_one > seats
    walk = sorted((p for p in points if (p < 1 if going_down else p > 1)), reverse=going_down)
    before, filled_before = Fraction(1), at_one
    for point in walk:
        filled = _filled(point, quotas, fewest, most)
        if (filled <= seats) if going_down else (filled >= seats):
            if filled == seats:
                return point
            return before + (seats - filled_before) * (point - before) / (filled - filled_before)
        before, filled_before = point, filled
    raise AssertionError("no scale meets the total; the bounds were not checked first")


@dataclass(frozen=True)
class _HighIncidence:
    """The solved high-incidence share-out, in posts."""

    quotas: dict[str, Fraction]  # FTE
    constrained: dict[str, Fraction]  # posts
    posts: dict[str, int]
    held_by: dict[str, tuple[StaffingRule, ...]]
    ties: list[Tie]
    scale: Fraction


def _solve(formula: _Formula, indicators: Sequence[DistrictIndicators]) -> _HighIncidence:
    """Quota -> bounds -> constrained quota -> posts, raising StaffingInfeasible with the reasons."""
    _check_method(formula.method)
    seats = formula.posts(formula.total, "total_fte")
    quotas = _quotas(formula, indicators)
    quota_posts = {d: q / formula.granularity for d, q in quotas.items()}
    bounds = _bounds(formula, indicators, seats)
    reasons = _infeasibility(formula, bounds, quotas, seats)
    if reasons:
        raise StaffingInfeasible(reasons)
    fewest, most = bounds.fewest, bounds.most
    scale = constrained_scale(quota_posts, fewest, most, seats)
    constrained: dict[str, Fraction] = {}
    held: dict[str, Side] = {}
    for d, q in quota_posts.items():
        scaled = scale * q
        constrained[d] = min(Fraction(most[d]), max(Fraction(fewest[d]), scaled))
        if q == 0 or scaled < fewest[d]:
            if fewest[d] > 0:
                held[d] = "lower"
        elif scaled > most[d]:
            held[d] = "upper"
    free = {d: constrained[d] for d in quota_posts if d not in held and quota_posts[d] > 0}
    posts = {d: int(constrained[d]) for d in quota_posts if d not in free}
    free_seats = seats - sum(posts.values())
    ties: list[Tie] = []
    if free:
        rounding = _round(
            formula.method,
            free,
            free_seats,
            {d: fewest[d] for d in free},
            "high-incidence",
            {d: most[d] for d in free},
        )
        posts.update(rounding.posts)
        held.update(rounding.clamped)
        ties = rounding.ties
    held_by = {
        d: (bounds.fewest_by[d] if held.get(d) == "lower" else bounds.most_by[d])
        if d in held
        else ()
        for d in quota_posts
    }
    return _HighIncidence(quotas, constrained, posts, held_by, ties, scale)


def _pools(
    settings: StaffingSettings,
    indicators: Sequence[DistrictIndicators],
    county_pools: Iterable[str],
    formula: _Formula,
) -> tuple[list[PoolStaffing], list[Tie]]:
    """Each pool's FTE shared over districts by their children with that impairment, same method."""
    known = list(county_pools)
    unknown = [p for p in settings.pools if p not in known or p not in POOL_COLUMNS]
    if unknown:
        raise StaffingError(
            [
                f"pool {p!r} is not a county pool with a children column ({', '.join(known)})"
                for p in unknown
            ]
        )
    rows: list[PoolStaffing] = []
    ties: list[Tie] = []
    for pool in known:
        if pool not in settings.pools:
            continue
        total = exact(settings.pools[pool])
        seats = formula.posts(total, f"pools.{pool}")
        children = {row.district: getattr(row, POOL_COLUMNS[pool]) for row in indicators}
        everyone = sum(children.values())
        if seats and not everyone:
            raise StaffingError(
                f"no district has any {POOL_COLUMNS[pool]}, so the {pool} pool's "
                f"{format_fte(total)} FTE cannot be shared out"
            )
        shared = (
            apportion_with_ties(children, seats, formula.method, f"{pool} pool") if seats else None
        )
        for district, count in children.items():
            rows.append(
                PoolStaffing(
                    pool=pool,
                    district=district,
                    children=count,
                    quota_fte=total * count / everyone if everyone else Fraction(0),
                    allocated_fte=(shared.seats[district] if shared else 0) * formula.granularity,
                )
            )
        if shared:
            ties.extend(shared.ties)
    return rows, ties


def _in_order(
    indicators: Sequence[DistrictIndicators], districts: Sequence[str]
) -> list[DistrictIndicators]:
    """The indicator rows in the order of `districts`, one each."""
    by_name = {row.district: row for row in indicators}
    missing = [d for d in districts if d not in by_name]
    if missing:
        raise StaffingError([f"district_indicators.csv has no row for {d}" for d in missing])
    return [by_name[d] for d in districts]


def allocate_formula(
    settings: StaffingSettings,
    indicators: Sequence[DistrictIndicators],
    county_pools: Iterable[str] = DEFAULT_POOLS,
    *,
    check: bool = True,
) -> StaffingAllocation:
    """Each district's high-incidence FTE and each pool's shares under `settings`.

    Raises StaffingError for a formula the inputs cannot carry, StaffingInfeasible (a StaffingError)
    when the floors, caps and change limits cannot all hold at the total; both give reasons for people.
    """
    names = [row.district for row in indicators]
    if len(set(names)) < len(names):
        repeated = sorted({d for d in names if names.count(d) > 1})
        raise StaffingError(
            f"district_indicators.csv has more than one row for {', '.join(repeated)}"
        )
    formula = _Formula.of(settings.high_incidence)
    solved = _solve(formula, indicators)
    g = formula.granularity
    districts = tuple(
        DistrictStaffing(
            district=row.district,
            quota_fte=solved.quotas[row.district],
            constrained_quota_fte=solved.constrained[row.district] * g,
            allocated_fte=solved.posts[row.district] * g,
            baseline_fte=exact(row.baseline_fte),
            held_by=solved.held_by[row.district],
        )
        for row in indicators
    )
    pools, pool_ties = _pools(settings, indicators, county_pools, formula)
    allocation = StaffingAllocation(
        settings=settings,
        districts=districts,
        pools=tuple(pools),
        ties=tuple(solved.ties + pool_ties),
        quota_scale=solved.scale,
    )
    if check:
        from allocator.staffing.check import check_staffing

        problems = check_staffing(allocation, indicators)
        if problems:
            raise AssertionError("the staffing checker refused the result:\n" + "\n".join(problems))
    return allocation


def _settings_of(scenario: Scenario, settings: StaffingSettings | None) -> StaffingSettings:
    chosen = settings or scenario.staffing
    if chosen is None:
        raise StaffingError("the scenario has no staffing.toml, so there is no formula to apply")
    return chosen


def allocate_staffing(
    scenario: Scenario, settings: StaffingSettings | None = None, *, check: bool = True
) -> StaffingAllocation:
    """The scenario's staffing under its staffing.toml (or `settings`), districts in file order."""
    chosen = _settings_of(scenario, settings)
    indicators = _in_order(scenario.indicators, scenario.district_names)
    pools = tuple(p.value for p in scenario.pools)
    return allocate_formula(chosen, indicators, pools, check=check)


# ---------------------------------------------------------------------------------------------
# What-ifs: sensitivity, comparison, overrides
# ---------------------------------------------------------------------------------------------


def staffing_sensitivity(
    scenario: Scenario, settings: StaffingSettings | None = None, step_pct: Number = 10
) -> StaffingSensitivity:
    """Each weight moved up and down by `step_pct` percent (the weights then rescaled to sum to 1):
    the lowest and highest allocation each district gets, and which move gives it."""
    step = exact(step_pct, "step_pct")
    if not 0 < step < 100:
        raise StaffingError(
            f"step_pct is {format_fte(step)}: expected more than 0 and less than 100"
        )
    chosen = _settings_of(scenario, settings)
    indicators = _in_order(scenario.indicators, scenario.district_names)
    formula = _Formula.of(chosen.high_incidence)
    base = _solve(formula, indicators).posts
    low = dict(base)
    high = dict(base)
    low_when = dict.fromkeys(base, "")
    high_when = dict.fromkeys(base, "")
    for name, weight in formula.weights.items():
        if weight == 0:
            continue
        for sign in (1, -1):
            moved = dict(formula.weights)
            moved[name] = weight * (1 + sign * step / 100)
            total = sum(moved.values(), Fraction(0))
            run = _solve(
                replace(formula, weights={k: v / total for k, v in moved.items()}), indicators
            )
            label = f"{name} {'+' if sign > 0 else '-'}{format_fte(step)}%"
            for d, posts in run.posts.items():
                if posts < low[d]:
                    low[d], low_when[d] = posts, label
                if posts > high[d]:
                    high[d], high_when[d] = posts, label
    g = formula.granularity
    rows = tuple(
        SensitivityRow(
            district=d,
            allocated_fte=base[d] * g,
            low_fte=low[d] * g,
            high_fte=high[d] * g,
            low_when=low_when[d],
            high_when=high_when[d],
        )
        for d in base
    )
    return StaffingSensitivity(step_pct=step, rows=rows)


def compare_staffing(
    scenario: Scenario,
    a: StaffingSettings,
    b: StaffingSettings,
    label_a: str = "A",
    label_b: str = "B",
) -> StaffingComparison:
    """Two formulas side by side: each district's quota and allocation under each, and pool shares."""
    first = _labelled(label_a, scenario, a)
    second = _labelled(label_b, scenario, b)
    rows = [
        ComparisonRow(
            district=x.district,
            quota_a=x.quota_fte,
            allocated_a=x.allocated_fte,
            quota_b=y.quota_fte,
            allocated_b=y.allocated_fte,
        )
        for x, y in zip(first.districts, second.districts, strict=True)
    ]
    pool_a = {(r.pool, r.district): r for r in first.pools}
    pool_b = {(r.pool, r.district): r for r in second.pools}
    for key in dict.fromkeys([*pool_a, *pool_b]):
        x_row, y_row = pool_a.get(key), pool_b.get(key)
        rows.append(
            ComparisonRow(
                district=key[1],
                pool=key[0],
                quota_a=x_row.quota_fte if x_row else Fraction(0),
                allocated_a=x_row.allocated_fte if x_row else Fraction(0),
                quota_b=y_row.quota_fte if y_row else Fraction(0),
                allocated_b=y_row.allocated_fte if y_row else Fraction(0),
            )
        )
    return StaffingComparison(label_a=label_a, label_b=label_b, rows=tuple(rows))


def _labelled(label: str, scenario: Scenario, settings: StaffingSettings) -> StaffingAllocation:
    try:
        return allocate_staffing(scenario, settings)
    except StaffingError as error:
        raise type(error)([f"{label}: {reason}" for reason in error.reasons]) from None


_FORMULA_FIELDS = ("total_fte", "method", "granularity", "floor_fte", "cap_fte", "max_change_pct")


def adjust_formula(
    settings: StaffingSettings,
    *,
    total_fte: float | None = None,
    method: str | None = None,
    changes: Mapping[str, str] | None = None,
) -> tuple[StaffingSettings, list[str]]:
    """`settings` with a new total, method or values set by name, and notes on what was done.

    Names: `weights.NAME`, `pools.NAME` and the formula's own fields (total_fte, method, granularity,
    floor_fte, cap_fte, max_change_pct; "none" clears cap_fte or max_change_pct). Weights that are not
    set are rescaled together so that all the weights still sum to 1.
    """
    formula = settings.high_incidence.model_dump()
    pools = dict(settings.pools)
    notes: list[str] = []
    problems: list[str] = []
    set_weights: dict[str, float] = {}
    every = dict(changes or {})
    if total_fte is not None:
        every["total_fte"] = str(total_fte)
    if method is not None:
        every["method"] = method
    for key, text in every.items():
        name = key.removeprefix("high_incidence.")
        if name == "method":
            formula["method"] = text.strip()
            continue
        if name in ("cap_fte", "max_change_pct") and text.strip().lower() == "none":
            formula[name] = None
            continue
        try:
            value = float(text)
        except ValueError:
            problems.append(f"{key}={text}: expected a number")
            continue
        if name.startswith("weights."):
            set_weights[name.removeprefix("weights.")] = value
        elif key.startswith("pools."):
            pools[key.removeprefix("pools.")] = value
        elif name in _FORMULA_FIELDS:
            formula[name] = value
        else:
            problems.append(
                f"{key}: expected weights.NAME, pools.NAME or one of {', '.join(_FORMULA_FIELDS)}"
            )
    if problems:
        raise StaffingError(problems)
    if set_weights:
        formula["weights"] = _reweighted(formula["weights"], set_weights, notes)
    try:
        adjusted = StaffingSettings.model_validate({"high_incidence": formula, "pools": pools})
    except ValidationError as error:
        raise StaffingError([_plain(e) for e in error.errors()]) from None
    return adjusted, notes


def _reweighted(
    weights: dict[str, float], chosen: dict[str, float], notes: list[str]
) -> dict[str, float]:
    """The chosen weights, with the others scaled so that all sum to 1."""
    given = sum((exact(v) for v in chosen.values()), Fraction(0))
    others = {k: v for k, v in weights.items() if k not in chosen}
    rest = sum((exact(v) for v in others.values()), Fraction(0))
    if given > 1 or (given < 1 and rest == 0):
        raise StaffingError(
            f"the weights set ({', '.join(f'{k}={v:g}' for k, v in chosen.items())}) add up to "
            f"{format_fte(given, 6)}, and the other weights cannot make the total 1"
        )
    factor = (1 - given) / rest if rest else Fraction(0)
    if others and factor != 1:
        notes.append(
            f"weights {', '.join(others)} scaled by {format_fte(factor, 4)} so that the weights sum to 1"
        )
    return {**{k: float(exact(v) * factor) for k, v in others.items()}, **chosen}


def _plain(error: ErrorDetails) -> str:
    where = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def team_capacity_from_staffing(
    scenario: Scenario, allocation: StaffingAllocation
) -> dict[str, int]:
    """Casework minutes a week of each district team and each county pool under the allocation:
    allocated FTE x scenario.settings.minutes_per_fte_week, rounded down to whole minutes."""
    per_fte = scenario.settings.minutes_per_fte_week
    capacity = {
        row.district: math.floor(row.allocated_fte * per_fte) for row in allocation.districts
    }
    for pool, fte in allocation.pool_fte.items():
        capacity[pool] = math.floor(fte * per_fte)
    return capacity
