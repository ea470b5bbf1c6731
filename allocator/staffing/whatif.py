"""What-ifs over the staffing formula: weights moved up and down (sensitivity, and each move's effect
on each district), two formulas or results side by side (comparison), and a formula with values set by
name (overrides, as `lift staffing --set` takes)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from allocator.model.scenario import Scenario
from allocator.model.staffing import StaffingSettings
from allocator.model.staffing_result import (
    ComparisonRow,
    SensitivityRow,
    StaffingAllocation,
    StaffingComparison,
    StaffingError,
    StaffingSensitivity,
    format_fte,
)
from allocator.staffing.apportion import Number, exact
from allocator.staffing.formula import (
    ExactFormula,
    allocate_staffing,
    indicators_in_order,
    settings_of,
    solve_high_incidence,
)


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
    chosen = settings_of(scenario, settings)
    indicators = indicators_in_order(scenario.indicators, scenario.district_names)
    formula = ExactFormula.of(chosen.high_incidence)
    base = solve_high_incidence(formula, indicators).posts
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
            run = solve_high_incidence(
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
    return compare_allocations(
        _labelled(label_a, scenario, a), _labelled(label_b, scenario, b), label_a, label_b
    )


def compare_allocations(
    first: StaffingAllocation, second: StaffingAllocation, label_a: str = "A", label_b: str = "B"
) -> StaffingComparison:
    """Two results of the formula on the same districts side by side (districts, then pool shares)."""
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


@dataclass(frozen=True)
class WeightMove:
    """One weight moved up or down by `step_pct` percent (the others rescaled to sum to 1), and each
    district's high-incidence FTE before and after."""

    weight: str
    step_pct: Fraction
    rises: bool
    weight_before: Fraction
    weight_after: Fraction
    before: dict[str, Fraction]
    after: dict[str, Fraction]


def weight_moves(
    scenario: Scenario, settings: StaffingSettings | None = None, step_pct: Number = 10
) -> list[WeightMove]:
    """Each weight above 0 moved up, then down, by `step_pct` percent of itself, as
    `staffing_sensitivity` moves them: each district's FTE before and after each move."""
    step = exact(step_pct, "step_pct")
    if not 0 < step < 100:
        raise StaffingError(
            f"step_pct is {format_fte(step)}: expected more than 0 and less than 100"
        )
    chosen = settings_of(scenario, settings)
    indicators = indicators_in_order(scenario.indicators, scenario.district_names)
    formula = ExactFormula.of(chosen.high_incidence)
    g = formula.granularity
    base = {d: posts * g for d, posts in solve_high_incidence(formula, indicators).posts.items()}
    weight_sum = sum(formula.weights.values(), Fraction(0))
    moves: list[WeightMove] = []
    for name, weight in formula.weights.items():
        if weight == 0:
            continue
        for sign in (1, -1):
            moved = dict(formula.weights)
            moved[name] = weight * (1 + sign * step / 100)
            total = sum(moved.values(), Fraction(0))
            run = solve_high_incidence(
                replace(formula, weights={k: v / total for k, v in moved.items()}), indicators
            )
            moves.append(
                WeightMove(
                    weight=name,
                    step_pct=step,
                    rises=sign > 0,
                    weight_before=weight / weight_sum,
                    weight_after=moved[name] / total,
                    before=base,
                    after={d: posts * g for d, posts in run.posts.items()},
                )
            )
    return moves


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
