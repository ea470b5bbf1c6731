"""Independent checker of a staffing allocation: every rule re-verified from the raw inputs alone.

It shares no code with the planner (`allocator/staffing/formula.py` and `apportion.py`): the quotas,
the bounds and the method's rounding are recomputed here in the plainest way (the divisor methods by
handing out posts one at a time from a priority queue), so a fault in the planner's faster arithmetic
shows up as a problem here.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from allocator.model.staffing import DistrictIndicators
from allocator.model.staffing_result import StaffingAllocation, StaffingRule, format_fte

_CHILDREN = {"HI": "hi_children", "VI": "vi_children", "PI": "pi_children"}


def _exact(value: float | int | Fraction) -> Fraction:
    """A person's number as the decimal it prints as."""
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


@dataclass(frozen=True)
class _Facts:
    """The allocation beside what the raw inputs say it should be."""

    allocation: StaffingAllocation
    indicators: dict[str, DistrictIndicators]
    total: Fraction
    unit: Fraction
    floor: Fraction
    cap: Fraction | None
    max_change_pct: Fraction | None
    quotas: dict[str, Fraction]
    lowest: dict[str, Fraction]
    """The least FTE each district may have, in whole posts: floor and change limit."""
    highest: dict[str, Fraction]
    """The most FTE each district may have, in whole posts: cap, change limit, the total."""
    bounds_by: dict[str, dict[StaffingRule, set[Fraction]]]
    """Each rule's bounds for each district, in whole posts."""


def _facts(allocation: StaffingAllocation, indicators: Sequence[DistrictIndicators]) -> _Facts:
    f = allocation.settings.high_incidence
    unit = _exact(f.granularity)
    total = _exact(f.total_fte)
    by_name = {row.district: row for row in indicators}
    weights = {k: _exact(w) for k, w in f.weights.items()}
    column_totals = {
        k: sum((_exact(row.indicators.get(k, 0)) for row in indicators), Fraction(0))
        for k in weights
    }
    weight_sum = sum(weights.values(), Fraction(0)) or Fraction(1)
    quotas = {}
    for row in indicators:
        share = sum(
            (
                w * _exact(row.indicators.get(k, 0)) / column_totals[k]
                for k, w in weights.items()
                if w and column_totals[k]
            ),
            Fraction(0),
        )
        quotas[row.district] = total * share / weight_sum
    cap = None if f.cap_fte is None else _exact(f.cap_fte)
    pct = None if f.max_change_pct is None else _exact(f.max_change_pct)
    floor = _exact(f.floor_fte)
    lowest: dict[str, Fraction] = {}
    highest: dict[str, Fraction] = {}
    bounds_by: dict[str, dict[StaffingRule, set[Fraction]]] = {}
    for row in indicators:
        low, high = math.ceil(floor / unit) * unit, total
        rules = {StaffingRule.FLOOR: {low}}
        if cap is not None:
            high = min(high, math.floor(cap / unit) * unit)
            rules[StaffingRule.CAP] = {math.floor(cap / unit) * unit}
        baseline = _exact(row.baseline_fte)
        if pct is not None and baseline > 0:
            change_low = math.ceil(max(Fraction(0), baseline * (1 - pct / 100)) / unit) * unit
            change_high = math.floor(baseline * (1 + pct / 100) / unit) * unit
            low, high = max(low, change_low), min(high, change_high)
            rules[StaffingRule.CHANGE_LIMIT] = {change_low, change_high}
        lowest[row.district], highest[row.district] = low, high
        bounds_by[row.district] = rules
    return _Facts(
        allocation, by_name, total, unit, floor, cap, pct, quotas, lowest, highest, bounds_by
    )


Check = Callable[[_Facts], Iterator[str]]
CHECKS: dict[str, Check] = {}


def check(fn: Check) -> Check:
    """Register a check under its function name."""
    CHECKS[fn.__name__] = fn
    return fn


@check
def same_districts(facts: _Facts) -> Iterator[str]:
    """The allocation has one row for each district of the indicators, and no other."""
    names = [d.district for d in facts.allocation.districts]
    if sorted(names) != sorted(facts.indicators):
        yield f"districts {sorted(names)} differ from the indicators' {sorted(facts.indicators)}"


@check
def total_exact(facts: _Facts) -> Iterator[str]:
    """The districts' allocations add up to total_fte exactly."""
    got = facts.allocation.allocated_fte
    if got != facts.total:
        yield f"allocations add up to {format_fte(got, 6)} FTE, not total_fte {format_fte(facts.total)}"


@check
def whole_posts(facts: _Facts) -> Iterator[str]:
    """Every allocation, district or pool, is a whole number of posts of the granularity."""
    for d in facts.allocation.districts:
        if (d.allocated_fte / facts.unit).denominator != 1:
            yield f"{d.district}: {format_fte(d.allocated_fte, 6)} FTE is not whole posts"
    for p in facts.allocation.pools:
        if (p.allocated_fte / facts.unit).denominator != 1:
            yield f"{p.pool} pool, {p.district}: {format_fte(p.allocated_fte, 6)} FTE is not whole posts"


@check
def floors(facts: _Facts) -> Iterator[str]:
    """No district is below floor_fte."""
    for d in facts.allocation.districts:
        if d.allocated_fte < facts.floor:
            yield f"{d.district}: {format_fte(d.allocated_fte)} FTE is below the floor {format_fte(facts.floor)}"


@check
def caps(facts: _Facts) -> Iterator[str]:
    """No district is above cap_fte."""
    for d in facts.allocation.districts:
        if facts.cap is not None and d.allocated_fte > facts.cap:
            yield f"{d.district}: {format_fte(d.allocated_fte)} FTE is above the cap {format_fte(facts.cap)}"


@check
def change_limit(facts: _Facts) -> Iterator[str]:
    """A district with a baseline changes by at most max_change_pct percent of it."""
    if facts.max_change_pct is None:
        return
    for d in facts.allocation.districts:
        baseline = _exact(facts.indicators[d.district].baseline_fte)
        if baseline > 0 and abs(d.allocated_fte - baseline) > baseline * facts.max_change_pct / 100:
            yield (
                f"{d.district}: {format_fte(d.allocated_fte)} FTE is more than "
                f"{format_fte(facts.max_change_pct)}% from the baseline {format_fte(baseline)}"
            )


@check
def baselines(facts: _Facts) -> Iterator[str]:
    """Each row reports the district's baseline from the indicators."""
    for d in facts.allocation.districts:
        if d.district in facts.indicators and d.baseline_fte != _exact(
            facts.indicators[d.district].baseline_fte
        ):
            yield f"{d.district}: baseline {format_fte(d.baseline_fte)} is not the indicators' one"


@check
def quotas(facts: _Facts) -> Iterator[str]:
    """Each quota is total_fte * sum_i w_i x_id / sum_d x_id, recomputed from the indicators."""
    for d in facts.allocation.districts:
        want = facts.quotas.get(d.district)
        if want is not None and d.quota_fte != want:
            yield f"{d.district}: quota {format_fte(d.quota_fte, 6)} FTE, recomputed {format_fte(want, 6)}"


@check
def deviations(facts: _Facts) -> Iterator[str]:
    """The reported largest relative deviation and total deviation match the recomputed quotas."""
    rows = [d for d in facts.allocation.districts if d.district in facts.quotas]
    gaps = {d.district: abs(d.allocated_fte - facts.quotas[d.district]) for d in rows}
    largest = max(
        (gaps[d] / q for d, q in facts.quotas.items() if q > 0 and d in gaps), default=Fraction(0)
    )
    total = sum(gaps.values(), Fraction(0))
    if largest != facts.allocation.max_relative_deviation:
        yield f"largest relative deviation recomputes to {float(largest):.6f}"
    if total != facts.allocation.total_deviation_fte:
        yield f"total deviation recomputes to {format_fte(total, 6)} FTE"


def _scaled(facts: _Facts, district: str) -> Fraction:
    return facts.allocation.quota_scale * facts.quotas[district]


@check
def constrained_quota(facts: _Facts) -> Iterator[str]:
    """The constrained quota is clamp(scale * quota, least, most), summing to total_fte.

    One scale for every district the rules leave free is what makes it the closest to the quota:
    no allocation within the rules has a smaller largest relative deviation or total deviation.
    """
    if facts.allocation.quota_scale < 0:
        yield "the quota scale is negative"
    added = Fraction(0)
    for d in facts.allocation.districts:
        if d.district not in facts.quotas:
            continue
        low, high = facts.lowest[d.district], facts.highest[d.district]
        want = min(high, max(low, _scaled(facts, d.district))) if facts.quotas[d.district] else low
        if d.constrained_quota_fte != want:
            yield (
                f"{d.district}: constrained quota {format_fte(d.constrained_quota_fte, 6)} FTE, "
                f"expected {format_fte(want, 6)}"
            )
        added += d.constrained_quota_fte
    if added != facts.total:
        yield f"constrained quotas add up to {format_fte(added, 6)} FTE, not {format_fte(facts.total)}"


def _held_side(facts: _Facts, district: str) -> str:
    """'lower' or 'upper' when the rules hold the constrained quota, else ''."""
    scaled = _scaled(facts, district)
    if facts.quotas[district] == 0 or scaled < facts.lowest[district]:
        return "lower" if facts.lowest[district] > 0 else ""
    return "upper" if scaled > facts.highest[district] else ""


@check
def held_by(facts: _Facts) -> Iterator[str]:
    """A rule named as holding a district has its bound at the allocation; a district held away from
    its scaled quota names a rule."""
    for d in facts.allocation.districts:
        if d.district not in facts.quotas:
            continue
        for rule in d.held_by:
            if d.allocated_fte not in facts.bounds_by[d.district].get(rule, set()):
                yield f"{d.district}: said to be held by the {rule.label}, but is not at its bound"
        if _held_side(facts, d.district) and not d.held_by:
            yield f"{d.district}: held away from its quota, but no rule is named"


def _claim(method: str, weight: Fraction, posts_held: int) -> tuple[int, Fraction]:
    """weight / signpost(posts_held), squared for Huntington-Hill; a zero signpost outranks all."""
    if method == "dhondt":
        signpost_squared = Fraction((posts_held + 1) ** 2)
    elif method == "webster":
        signpost_squared = (posts_held + Fraction(1, 2)) ** 2
    elif method == "adams":
        signpost_squared = Fraction(posts_held**2)
    else:
        signpost_squared = Fraction(posts_held * (posts_held + 1))
    if signpost_squared == 0:
        return (1, weight) if weight else (0, Fraction(0))
    return (0, weight * weight / signpost_squared)


def reference_rounding(
    method: str,
    weights: Mapping[str, Fraction],
    seats: int,
    least: Mapping[str, int] | None = None,
    most: Mapping[str, int] | None = None,
) -> dict[str, int]:
    """The method's rounding done the slow, obvious way, with the tie rule (larger weight, then name).

    Largest remainder: whole parts of the quotas, then the largest fractions. Divisor methods: from
    `least` posts each, hand out the rest one at a time to the strongest claim below `most`.
    """
    total = sum(weights.values(), Fraction(0))
    if method == "hamilton":
        quotas = {n: w * seats / total for n, w in weights.items()}
        posts = {n: math.floor(q) for n, q in quotas.items()}
        ranked = sorted(weights, key=lambda n: (-(quotas[n] - posts[n]), -weights[n], n))
        for n in ranked[: seats - sum(posts.values())]:
            posts[n] += 1
        return posts
    posts = {n: (least or {}).get(n, 0) for n in weights}
    cap = {n: (most or {}).get(n, seats) for n in weights}
    queue = [
        (_negated(_claim(method, w, posts[n])), -w, n)
        for n, w in weights.items()
        if posts[n] < cap[n]
    ]
    heapq.heapify(queue)
    for _ in range(seats - sum(posts.values())):
        _, _, n = heapq.heappop(queue)
        posts[n] += 1
        if posts[n] < cap[n]:
            heapq.heappush(queue, (_negated(_claim(method, weights[n], posts[n])), -weights[n], n))
    return posts


def _negated(claim: tuple[int, Fraction]) -> tuple[int, Fraction]:
    return (-claim[0], -claim[1])


@check
def method_rounding(facts: _Facts) -> Iterator[str]:
    """Districts the rules leave free get the method's rounding of their constrained quotas."""
    free = {
        d.district: d.constrained_quota_fte / facts.unit
        for d in facts.allocation.districts
        if d.district in facts.quotas
        and facts.quotas[d.district] > 0
        and not _held_side(facts, d.district)
    }
    if not free:
        return
    held = facts.total / facts.unit - sum(
        d.constrained_quota_fte / facts.unit
        for d in facts.allocation.districts
        if d.district not in free
    )
    if held.denominator != 1:
        yield "the held districts' constrained quotas are not whole posts"
        return
    want = reference_rounding(
        facts.allocation.method,
        free,
        held.numerator,
        {d: int(facts.lowest[d] / facts.unit) for d in free},
        {d: int(facts.highest[d] / facts.unit) for d in free},
    )
    for d in facts.allocation.districts:
        if d.district in free and d.allocated_fte != want[d.district] * facts.unit:
            yield (
                f"{d.district}: {format_fte(d.allocated_fte)} FTE, but {facts.allocation.method} "
                f"rounds its constrained quota to {format_fte(want[d.district] * facts.unit)}"
            )


@check
def pools(facts: _Facts) -> Iterator[str]:
    """Each pool adds up to its FTE, shared by the method in proportion to its children column."""
    settings = facts.allocation.settings
    for pool, fte in settings.pools.items():
        rows = [r for r in facts.allocation.pools if r.pool == pool]
        total = _exact(fte)
        if sum((r.allocated_fte for r in rows), Fraction(0)) != total:
            yield f"the {pool} pool's shares do not add up to {format_fte(total)} FTE"
        column = _CHILDREN.get(pool)
        if column is None or not rows:
            continue
        children = {d: Fraction(getattr(row, column)) for d, row in facts.indicators.items()}
        everyone = sum(children.values(), Fraction(0))
        seats = total / facts.unit
        if not everyone or seats.denominator != 1:
            continue
        want = reference_rounding(facts.allocation.method, children, seats.numerator)
        for r in rows:
            if (
                r.children != children.get(r.district)
                or r.quota_fte != total * r.children / everyone
            ):
                yield f"{pool} pool, {r.district}: children or quota do not match the indicators"
            if r.allocated_fte != want.get(r.district, 0) * facts.unit:
                yield f"{pool} pool, {r.district}: {format_fte(r.allocated_fte)} FTE is not the method's share"


def problems_by_check(
    allocation: StaffingAllocation, indicators: Sequence[DistrictIndicators]
) -> dict[str, list[str]]:
    """Each check's problems with `allocation` against the raw indicators, by check name."""
    facts = _facts(allocation, indicators)
    return {name: list(rule(facts)) for name, rule in CHECKS.items()}


def check_staffing(
    allocation: StaffingAllocation, indicators: Sequence[DistrictIndicators]
) -> list[str]:
    """Every problem with `allocation` against the raw indicators, one plain sentence each; [] if none."""
    return [p for problems in problems_by_check(allocation, indicators).values() for p in problems]
