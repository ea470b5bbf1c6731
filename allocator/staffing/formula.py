"""The staffing formula: exact quotas, bounds, the constrained quota, posts and the sensory pools.

All arithmetic is exact (integers and fractions). A float given by a person is read as the decimal it
prints as (0.1 is one tenth), and FTE is counted in posts of the formula's granularity.

The planner, in order:

1. quota: quota_d = total_fte * sum_i w_i x_id / sum_d x_id over the weighted indicators.
2. bounds: each district's fewest and most posts from the floor, the cap and the change limit.
3. constrained quota: clamp(scale * quota_d, fewest_d, most_d), with the one scale that makes the total
   exact (the one closest to 1 where several do). No allocation within the rules has a smaller largest
   relative deviation from the quota, nor a smaller total deviation.
4. posts: a district the rules hold keeps its bound; the method (`allocator.staffing.apportion`) rounds
   the others' constrained quotas.
5. check: `allocator.staffing.check` re-verifies the result from the raw inputs.

What-ifs over the formula (sensitivity, comparison, overrides) are in `allocator.staffing.whatif`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from allocator.model.base import DEFAULT_COUNTY_POOLS
from allocator.model.scenario import Scenario
from allocator.model.staffing import DistrictIndicators, HighIncidenceFormula, StaffingSettings
from allocator.model.staffing_result import (
    DistrictStaffing,
    PoolStaffing,
    StaffingAllocation,
    StaffingError,
    StaffingInfeasible,
    StaffingRule,
    Tie,
    format_fte,
)
from allocator.staffing.apportion import (
    Side,
    apportion_with_ties,
    check_method,
    exact,
    round_within,
)
from allocator.staffing.check import check_staffing

POOL_COLUMNS: dict[str, str] = {"HI": "hi_children", "VI": "vi_children", "PI": "pi_children"}
"""The children column of district_indicators.csv that shares out each sensory pool."""
DEFAULT_POOLS: tuple[str, ...] = tuple(pool.value for pool in DEFAULT_COUNTY_POOLS)


@dataclass(frozen=True)
class ExactFormula:
    """The high-incidence formula in exact numbers."""

    total: Fraction
    method: str
    granularity: Fraction
    floor: Fraction
    cap: Fraction | None
    max_change_pct: Fraction | None
    weights: dict[str, Fraction]

    @classmethod
    def of(cls, formula: HighIncidenceFormula) -> ExactFormula:
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
    return _quotas(ExactFormula.of(formula), indicators)


def _quotas(formula: ExactFormula, indicators: Sequence[DistrictIndicators]) -> dict[str, Fraction]:
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

    formula: ExactFormula
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


def _bounds(formula: ExactFormula, indicators: Sequence[DistrictIndicators], seats: int) -> _Bounds:
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
    formula: ExactFormula, bounds: _Bounds, quotas: Mapping[str, Fraction], seats: int
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
class HighIncidence:
    """The solved high-incidence share-out, in posts."""

    quotas: dict[str, Fraction]  # FTE
    constrained: dict[str, Fraction]  # posts
    posts: dict[str, int]
    held_by: dict[str, tuple[StaffingRule, ...]]
    ties: list[Tie]
    scale: Fraction


def solve_high_incidence(
    formula: ExactFormula, indicators: Sequence[DistrictIndicators]
) -> HighIncidence:
    """Quota -> bounds -> constrained quota -> posts, raising StaffingInfeasible with the reasons."""
    check_method(formula.method)
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
        rounding = round_within(
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
    return HighIncidence(quotas, constrained, posts, held_by, ties, scale)


def _pools(
    settings: StaffingSettings,
    indicators: Sequence[DistrictIndicators],
    county_pools: Iterable[str],
    formula: ExactFormula,
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


def indicators_in_order(
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
    formula = ExactFormula.of(settings.high_incidence)
    solved = solve_high_incidence(formula, indicators)
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
        problems = check_staffing(allocation, indicators)
        if problems:
            raise AssertionError("the staffing checker refused the result:\n" + "\n".join(problems))
    return allocation


def settings_of(scenario: Scenario, settings: StaffingSettings | None) -> StaffingSettings:
    """`settings`, else the scenario's staffing.toml; a StaffingError when there is neither."""
    chosen = settings or scenario.staffing
    if chosen is None:
        raise StaffingError("the scenario has no staffing.toml, so there is no formula to apply")
    return chosen


def allocate_staffing(
    scenario: Scenario, settings: StaffingSettings | None = None, *, check: bool = True
) -> StaffingAllocation:
    """The scenario's staffing under its staffing.toml (or `settings`), districts in file order."""
    chosen = settings_of(scenario, settings)
    indicators = indicators_in_order(scenario.indicators, scenario.district_names)
    pools = tuple(p.value for p in scenario.pools)
    return allocate_formula(chosen, indicators, pools, check=check)


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
