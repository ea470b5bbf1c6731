"""Staffing: the scenario's formula adjusted as asked, computed, stored and compared."""

from __future__ import annotations

from fractions import Fraction

from allocator.model import Scenario, StaffingSettings
from allocator.model.staffing_result import StaffingAllocation, StaffingComparison, StaffingError
from allocator.staffing.formula import allocate_staffing
from allocator.staffing.whatif import adjust_formula, compare_staffing
from api.schemas.staffing import (
    ComparisonOut,
    ComparisonRowOut,
    DistrictStaffingOut,
    FormulaIn,
    PoolStaffingOut,
)
from api.services.errors import field_error

PLACES = 3
MAX_POSTS = 100_000


def fte(value: Fraction) -> float:
    """An exact FTE as a float for a response (3 decimals)."""
    return round(float(value), PLACES)


def formula(scenario: Scenario, given: FormulaIn, where: str) -> tuple[StaffingSettings, list[str]]:
    """The scenario's staffing.toml with `given`'s changes; a 422 at `where` when they do not fit."""
    if scenario.staffing is None:
        raise field_error(["body", where], "a scenario with a staffing.toml")
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


def allocate(scenario: Scenario, settings: StaffingSettings, where: str) -> StaffingAllocation:
    """The formula applied; a 422 with the reasons when the rules cannot all hold."""
    try:
        return allocate_staffing(scenario, settings)
    except StaffingError as error:
        raise field_error(["body", where], "; ".join(error.reasons)) from None
    except (ValueError, ArithmeticError) as error:
        raise field_error(["body", where], f"a formula that can be applied ({error})") from None


def compare(
    scenario: Scenario, a: StaffingSettings, b: StaffingSettings, label_a: str, label_b: str
) -> StaffingComparison:
    """Two formulas side by side; a 422 with the reasons when either cannot be applied."""
    try:
        return compare_staffing(scenario, a, b, label_a, label_b)
    except StaffingError as error:
        raise field_error(["body"], "; ".join(error.reasons)) from None
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
