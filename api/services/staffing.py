"""Staffing: the scenario's formula adjusted as asked (or a whole formula, checked value by value with
plain messages), computed, stored, saved variants compared, and the weights' effect on each district."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

from pydantic import ValidationError

from allocator.model import Scenario, StaffingSettings
from allocator.model.staffing_result import (
    StaffingAllocation,
    StaffingComparison,
    StaffingError,
    format_fte,
)
from allocator.staffing.apportion import exact
from allocator.staffing.formula import POOL_COLUMNS, allocate_staffing
from allocator.staffing.whatif import (
    WeightMove,
    adjust_formula,
    compare_allocations,
    compare_staffing,
    weight_moves,
)
from api.schemas.staffing import (
    ComparisonOut,
    ComparisonRowOut,
    DistrictStaffingOut,
    FormulaIn,
    FormulaOut,
    PoolStaffingOut,
    SensitivityRowOut,
    VariantRowOut,
    VariantTotalOut,
    WholeFormulaIn,
)
from api.services.errors import FieldError, Invalid, field_error

PLACES = 3
MAX_POSTS = 100_000


def fte(value: Fraction) -> float:
    """An exact FTE as a float for a response (3 decimals)."""
    return round(float(value), PLACES)


def formula(scenario: Scenario, given: FormulaIn, where: str) -> tuple[StaffingSettings, list[str]]:
    """The scenario's staffing.toml with `given`'s changes; a 422 at `where` when they do not fit."""
    if scenario.staffing is None:
        raise field_error(["body", where], "a scenario with a staffing.toml")
    if given.settings is not None:
        if given.total_fte is not None or given.method is not None or given.changes:
            raise field_error(
                ["body", where],
                "Give either the whole formula (settings) or changes to the scenario's, not both.",
            )
        return whole_formula(scenario, given.settings, ["body", where, "settings"]), []
    if given.total_fte is not None:
        _check_total(given.total_fte, ["body", where, "total_fte"])
    if given.total_fte is None and given.method is None and not given.changes:
        return scenario.staffing, []
    try:
        settings, notes = adjust_formula(
            scenario.staffing,
            total_fte=given.total_fte,
            method=given.method,
            changes=given.changes,
        )
    except StaffingError as error:
        raise field_error(["body", where], "; ".join(error.reasons)) from None
    except (ValueError, ArithmeticError) as error:
        raise field_error(["body", where], f"numbers the formula can use ({error})") from None
    _bounded(settings, where)
    return settings, notes


def _bounded(settings: StaffingSettings, where: str) -> None:
    """Refuse formulas with more posts than any county has (they would take long to share out)."""
    formula = settings.high_incidence
    totals = [formula.total_fte, *settings.pools.values()]
    if any(total / formula.granularity > MAX_POSTS for total in totals):
        raise field_error(
            ["body", where, "changes"],
            f"at most {MAX_POSTS:,} posts of the granularity in any total",
            formula.granularity,
        )


PLAIN_NAMES = {
    "floor_fte": "the floor",
    "cap_fte": "the cap",
    "max_change_pct": "the change limit",
    "total_fte": "the total",
    "granularity": "the post size",
}


def plain(reasons: Sequence[str]) -> str:
    """The formula's reasons with its setting names in words."""
    text = "; ".join(reasons)
    for name, words in PLAIN_NAMES.items():
        text = text.replace(name, words)
    return text


def allocate(scenario: Scenario, settings: StaffingSettings, where: str) -> StaffingAllocation:
    """The formula applied; a 422 with the reasons when the rules cannot all hold."""
    try:
        return allocate_staffing(scenario, settings)
    except StaffingError as error:
        raise field_error(["body", where], plain(error.reasons)) from None
    except (ValueError, ArithmeticError) as error:
        raise field_error(["body", where], f"a formula that can be applied ({error})") from None


def compare(
    scenario: Scenario, a: StaffingSettings, b: StaffingSettings, label_a: str, label_b: str
) -> StaffingComparison:
    """Two formulas side by side; a 422 with the reasons when either cannot be applied."""
    try:
        return compare_staffing(scenario, a, b, label_a, label_b)
    except StaffingError as error:
        raise field_error(["body"], plain(error.reasons)) from None
    except (ValueError, ArithmeticError) as error:
        raise field_error(["body"], f"formulas that can be applied ({error})") from None


def district_rows(allocation: StaffingAllocation) -> list[DistrictStaffingOut]:
    """District rows for a response."""
    return [
        DistrictStaffingOut(
            district=d.district,
            quota_fte=fte(d.quota_fte),
            allocated_fte=fte(d.allocated_fte),
            baseline_fte=fte(d.baseline_fte),
            change_fte=fte(d.change_fte),
            held_by=d.held_by_text,
        )
        for d in allocation.districts
    ]


def pool_rows(allocation: StaffingAllocation) -> list[PoolStaffingOut]:
    """Pool rows for a response."""
    return [
        PoolStaffingOut(
            pool=p.pool,
            district=p.district,
            children=p.children,
            quota_fte=fte(p.quota_fte),
            allocated_fte=fte(p.allocated_fte),
        )
        for p in allocation.pools
    ]


def comparison_out(comparison: StaffingComparison, notes: list[str]) -> ComparisonOut:
    """A comparison for a response."""
    return ComparisonOut(
        label_a=comparison.label_a,
        label_b=comparison.label_b,
        rows=[
            ComparisonRowOut(
                district=r.district,
                pool=r.pool,
                quota_a=fte(r.quota_a),
                allocated_a=fte(r.allocated_a),
                quota_b=fte(r.quota_b),
                allocated_b=fte(r.allocated_b),
                change_fte=fte(r.change_fte),
            )
            for r in comparison.rows
        ],
        notes=notes,
    )


# A whole formula, checked value by value ---------------------------------------------------------

MAX_TOTAL = 100_000
MAX_POST = 100
MAX_CHANGE_PCT = 1000
WEIGHT_SLACK = 1e-4
"""How far the weights may add up from 1 (typing rounding); they are then scaled to add up to 1."""


def _n(value: float) -> str:
    return f"{value:,.6g}"


def _check_total(value: float, loc: list[str | int]) -> None:
    if value <= 0:
        raise field_error(loc, f"The total FTE must be more than 0 (you gave {_n(value)}).", value)
    if value > MAX_TOTAL:
        raise field_error(loc, f"The total FTE can be at most {MAX_TOTAL:,}.", value)


def _posts_problem(value: float, post: float, what: str) -> str | None:
    """Why `value` FTE is not a whole number of posts of `post` FTE (None when it is)."""
    count = exact(value) / exact(post)
    if count.denominator == 1:
        return None
    below = math.floor(count) * exact(post)
    return (
        f"{what} of {_n(value)} FTE is not a whole number of posts of {_n(post)} FTE: "
        f"{format_fte(below)} or {format_fte(below + exact(post))} would be."
    )


def pool_names(scenario: Scenario) -> list[str]:
    """The county pools a formula may give FTE to."""
    return [p.value for p in scenario.pools if p.value in POOL_COLUMNS]


def indicator_names(scenario: Scenario) -> list[str]:
    """The indicator columns every district has."""
    rows = scenario.indicators
    if not rows:
        return []
    common = set.intersection(*(set(row.indicators) for row in rows))
    return [name for name in rows[0].indicators if name in common]


def whole_formula(
    scenario: Scenario, given: WholeFormulaIn, loc: list[str | int]
) -> StaffingSettings:
    """`given` as staffing settings; a 422 naming each impossible value in plain words."""
    assert scenario.staffing is not None
    errors: list[FieldError] = []

    def refuse(field: list[str | int], message: str, value: object) -> None:
        errors.append(FieldError(loc=[*loc, *field], msg=message, type="value_error", input=value))

    districts = len(scenario.district_names)
    total = given.total_fte
    post = scenario.staffing.high_incidence.granularity
    if given.granularity is not None:
        post = given.granularity
        if not 0 < post <= MAX_POST:
            refuse(
                ["granularity"],
                f"The post size must be more than 0 and at most {MAX_POST} FTE "
                f"(you gave {_n(post)}).",
                post,
            )
    post_ok = 0 < post <= MAX_POST
    if total <= 0:
        refuse(["total_fte"], f"The total FTE must be more than 0 (you gave {_n(total)}).", total)
    elif total > MAX_TOTAL:
        refuse(["total_fte"], f"The total FTE can be at most {MAX_TOTAL:,}.", total)
    elif post_ok:
        problem = _posts_problem(total, post, "The total")
        if problem:
            refuse(["total_fte"], problem, total)
        elif total / post > MAX_POSTS:
            refuse(["total_fte"], f"At most {MAX_POSTS:,} posts in all: use a larger post.", total)
    floor, cap = given.floor_fte, given.cap_fte
    if floor < 0:
        refuse(["floor_fte"], f"The floor cannot be below 0 FTE (you gave {_n(floor)}).", floor)
    elif total > 0 and floor * districts > total:
        refuse(
            ["floor_fte"],
            f"A floor of {_n(floor)} FTE for each of the {districts} districts needs "
            f"{_n(floor * districts)} FTE, more than the total of {_n(total)} FTE.",
            floor,
        )
    if cap is not None:
        if cap < 0:
            refuse(["cap_fte"], f"The cap cannot be below 0 FTE (you gave {_n(cap)}).", cap)
        elif cap > MAX_TOTAL:
            refuse(["cap_fte"], f"The cap can be at most {MAX_TOTAL:,} FTE.", cap)
        elif cap < floor:
            refuse(
                ["cap_fte"],
                f"The cap ({_n(cap)} FTE) is below the floor ({_n(floor)} FTE): no district "
                "could meet both.",
                cap,
            )
        elif total > 0 and cap * districts < total:
            refuse(
                ["cap_fte"],
                f"A cap of {_n(cap)} FTE for each of the {districts} districts allows only "
                f"{_n(cap * districts)} FTE in all, less than the total of {_n(total)} FTE.",
                cap,
            )
    change = given.max_change_pct
    if change is not None and not 0 <= change <= MAX_CHANGE_PCT:
        refuse(
            ["max_change_pct"],
            f"The change limit must be from 0 to {MAX_CHANGE_PCT} % (you gave {_n(change)}).",
            change,
        )
    known = indicator_names(scenario)
    for name, weight in given.weights.items():
        if name not in known:
            refuse(
                ["weights", name],
                f"There is no indicator called {name!r} (the indicators are: "
                f"{', '.join(known) or 'none'}).",
                weight,
            )
        elif weight < 0:
            refuse(
                ["weights", name],
                f"The weight of {name} cannot be below 0 (you gave {_n(weight)}).",
                weight,
            )
    weight_sum = sum(w for w in given.weights.values() if w > 0)
    if weight_sum <= 0:
        refuse(["weights"], "Give at least one indicator a weight above 0.", None)
    elif abs(weight_sum - 1) > WEIGHT_SLACK:
        refuse(
            ["weights"],
            f"The weights add up to {weight_sum * 100:.4g} %; they must add up to 100 %.",
            weight_sum,
        )
    allowed = pool_names(scenario)
    for name, fte_value in given.pools.items():
        if name not in allowed:
            refuse(
                ["pools", name],
                f"There is no county pool called {name!r} (the pools are: "
                f"{', '.join(allowed) or 'none'}).",
                fte_value,
            )
        elif not 0 <= fte_value <= MAX_TOTAL:
            refuse(
                ["pools", name],
                f"The {name} pool must be from 0 to {MAX_TOTAL:,} FTE (you gave {_n(fte_value)}).",
                fte_value,
            )
        elif post_ok:
            problem = _posts_problem(fte_value, post, f"The {name} pool")
            if problem:
                refuse(["pools", name], problem, fte_value)
            elif fte_value / post > MAX_POSTS:
                refuse(["pools", name], f"At most {MAX_POSTS:,} posts: use a larger post.", None)
    if errors:
        raise Invalid(errors)
    exact_sum = sum((exact(w) for w in given.weights.values()), Fraction(0))
    weights = {name: float(exact(w) / exact_sum) for name, w in given.weights.items()}
    try:
        return StaffingSettings.model_validate(
            {
                "high_incidence": {
                    "total_fte": total,
                    "method": given.method,
                    "granularity": post,
                    "floor_fte": floor,
                    "cap_fte": cap,
                    "max_change_pct": change,
                    "weights": weights,
                },
                "pools": given.pools,
            }
        )
    except ValidationError as error:
        message = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in error.errors())
        raise field_error(loc, plain([message])) from None


def formula_out(scenario: Scenario) -> FormulaOut:
    """The scenario's formula for the page's editor."""
    if scenario.staffing is None:
        raise field_error(["path", "scenario_id"], "a scenario with a staffing.toml")
    hi = scenario.staffing.high_incidence
    return FormulaOut(
        total_fte=hi.total_fte,
        method=hi.method,
        granularity=hi.granularity,
        floor_fte=hi.floor_fte,
        cap_fte=hi.cap_fte,
        max_change_pct=hi.max_change_pct,
        weights=dict(hi.weights),
        pools=dict(scenario.staffing.pools),
        indicators=indicator_names(scenario),
        pool_names=pool_names(scenario),
        districts=list(scenario.district_names),
    )


# Saved variants side by side --------------------------------------------------------------------


def _pct(value: float | Fraction) -> str:
    return f"{float(value) * 100:.4g} %"


def _fte_or(value: float | None, none: str) -> str:
    return none if value is None else f"{_n(value)} FTE"


def setting_changes(a: StaffingSettings, b: StaffingSettings) -> list[str]:
    """What differs between two formulas, in words ("method: hamilton -> webster")."""
    x, y = a.high_incidence, b.high_incidence
    pairs: list[tuple[str, str, str]] = [
        ("total", f"{_n(x.total_fte)} FTE", f"{_n(y.total_fte)} FTE"),
        ("method", x.method, y.method),
        ("post size", f"{_n(x.granularity)} FTE", f"{_n(y.granularity)} FTE"),
        ("floor", f"{_n(x.floor_fte)} FTE", f"{_n(y.floor_fte)} FTE"),
        ("cap", _fte_or(x.cap_fte, "none"), _fte_or(y.cap_fte, "none")),
        (
            "change limit",
            "none" if x.max_change_pct is None else f"{_n(x.max_change_pct)} %",
            "none" if y.max_change_pct is None else f"{_n(y.max_change_pct)} %",
        ),
    ]
    for name in dict.fromkeys([*x.weights, *y.weights]):
        pairs.append(
            (f"weight of {name}", _pct(x.weights.get(name, 0.0)), _pct(y.weights.get(name, 0.0)))
        )
    for pool in dict.fromkeys([*a.pools, *b.pools]):
        pairs.append(
            (
                f"{pool} pool",
                _fte_or(a.pools.get(pool), "none"),
                _fte_or(b.pools.get(pool), "none"),
            )
        )
    return [f"{what}: {before} -> {after}" for what, before, after in pairs if before != after]


def compare_variants(
    a: StaffingAllocation, b: StaffingAllocation, label_a: str, label_b: str
) -> tuple[list[VariantRowOut], list[VariantTotalOut]]:
    """Per district (and pool share) each variant's FTE and the difference, and the totals."""
    comparison = compare_allocations(a, b, label_a, label_b)
    rows = [
        VariantRowOut(
            district=r.district,
            pool=r.pool,
            fte_a=fte(r.allocated_a),
            fte_b=fte(r.allocated_b),
            difference=fte(r.change_fte),
        )
        for r in comparison.rows
    ]
    groups: dict[str, list[Fraction]] = {}
    for r in comparison.rows:
        what = f"{r.pool} pool" if r.pool else "District teams"
        sums = groups.setdefault(what, [Fraction(0), Fraction(0)])
        sums[0] += r.allocated_a
        sums[1] += r.allocated_b
    if len(groups) > 1:
        groups["Everything"] = [
            sum((g[0] for g in groups.values()), Fraction(0)),
            sum((g[1] for g in groups.values()), Fraction(0)),
        ]
    totals = [
        VariantTotalOut(what=what, fte_a=fte(x), fte_b=fte(y), difference=fte(y - x))
        for what, (x, y) in groups.items()
    ]
    return rows, totals


# Sensitivity ------------------------------------------------------------------------------------


def sensitivity_rows(
    scenario: Scenario, settings: StaffingSettings, step_pct: float, seen: Sequence[str]
) -> list[SensitivityRowOut]:
    """For each weight moved up and down by `step_pct` %, each district in `seen`: its FTE before and
    after, and a sentence saying what it gains or loses."""
    try:
        moves = weight_moves(scenario, settings, step_pct)
    except StaffingError as error:
        raise field_error(["query", "variant"], plain(error.reasons)) from None
    except (ValueError, ArithmeticError) as error:
        raise field_error(["query", "step_pct"], f"a step the formula can use ({error})") from None
    return [_sensitivity_row(move, district) for move in moves for district in seen]


def _sensitivity_row(move: WeightMove, district: str) -> SensitivityRowOut:
    before, after = move.before[district], move.after[district]
    difference = after - before
    verb = "rises" if move.rises else "falls"
    if difference > 0:
        effect = f"{district} gains {format_fte(difference)} FTE"
    elif difference < 0:
        effect = f"{district} loses {format_fte(-difference)} FTE"
    else:
        effect = f"{district} keeps {format_fte(before)} FTE"
    return SensitivityRowOut(
        weight=move.weight,
        rises=move.rises,
        weight_before_pct=round(float(move.weight_before) * 100, 2),
        weight_after_pct=round(float(move.weight_after) * 100, 2),
        district=district,
        fte_before=fte(before),
        fte_after=fte(after),
        difference=fte(difference),
        sentence=(
            f"If the weight of {move.weight} {verb} by {format_fte(move.step_pct)} % of itself "
            f"(from {_pct(move.weight_before)} to {_pct(move.weight_after)} once the weights are "
            f"scaled back to 100 %), {effect}."
        ),
    )
