"""Staffing schemas: a formula (the scenario's, adjusted, or a whole one), its result, saved variants
compared, and how each district responds to the weights."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Out, UtcTime

Method = Literal["hamilton", "webster", "dhondt", "huntington_hill", "adams"]
Label = Annotated[str, Field(min_length=1, max_length=100)]


Number = Annotated[float, Field(allow_inf_nan=False)]
"""A finite number; its range is checked by the service, which says in words what is allowed."""
Key = Annotated[str, Field(min_length=1, max_length=100)]


class WholeFormulaIn(BaseModel):
    """A whole formula, every value given (the page's editor); it replaces the scenario's."""

    model_config = ConfigDict(extra="forbid")

    total_fte: Number = Field(description="FTE shared between the district teams, more than 0")
    method: Method = Field(description="How shares are rounded to whole posts")
    granularity: Number | None = Field(
        default=None, description="The size of one post in FTE (default: the scenario's)"
    )
    floor_fte: Number = Field(default=0.0, description="The least FTE any district gets")
    cap_fte: Number | None = Field(default=None, description="The most FTE any district gets")
    max_change_pct: Number | None = Field(
        default=None, description="How far (%) a district may move from its current FTE"
    )
    weights: dict[Key, Number] = Field(
        max_length=50, description="Each indicator's weight; together they add up to 1"
    )
    pools: dict[Key, Number] = Field(
        default_factory=dict, max_length=10, description="FTE of each county sensory pool"
    )


class FormulaIn(BaseModel):
    """The scenario's staffing.toml with changes (a new total, method, or values set by name), or a
    whole formula (`settings`) in its place."""

    model_config = ConfigDict(extra="forbid")

    total_fte: Number | None = Field(default=None, description="More than 0, at most 100,000")
    method: Method | None = None
    settings: WholeFormulaIn | None = None
    changes: dict[
        Annotated[str, Field(min_length=1, max_length=100)],
        Annotated[str, Field(min_length=1, max_length=40)],
    ] = Field(
        default_factory=dict,
        max_length=50,
        description="e.g. {'weights.pupils': '0.5', 'floor_fte': '2', 'pools.HI': '6'}",
    )


class StaffingIn(BaseModel):
    """Compute staffing under the scenario's formula, or an adjusted one."""

    model_config = ConfigDict(extra="forbid")

    label: Label = "formula"
    formula: FormulaIn = Field(default_factory=FormulaIn)


class CompareIn(BaseModel):
    """Two formulas side by side (each the scenario's, adjusted)."""

    model_config = ConfigDict(extra="forbid")

    a: FormulaIn = Field(default_factory=FormulaIn)
    b: FormulaIn
    label_a: Label = "A"
    label_b: Label = "B"


class DistrictStaffingOut(Out):
    """One district's high-incidence FTE."""

    district: str
    quota_fte: float
    allocated_fte: float
    baseline_fte: float
    change_fte: float
    held_by: str


class PoolStaffingOut(Out):
    """One district's share of a county pool."""

    pool: str
    district: str
    children: int
    quota_fte: float
    allocated_fte: float


class StaffingOut(Out):
    """A staffing result."""

    id: int
    scenario_id: int
    label: str
    method: str
    total_fte: float
    created_at: UtcTime
    districts: list[DistrictStaffingOut]
    pools: list[PoolStaffingOut]
    ties: list[str]
    notes: list[str]


class ComparisonRowOut(Out):
    """A district (or its pool share) under formulas A and B."""

    district: str
    pool: str
    quota_a: float
    allocated_a: float
    quota_b: float
    allocated_b: float
    change_fte: float


class ComparisonOut(Out):
    """Two formulas side by side."""

    label_a: str
    label_b: str
    rows: list[ComparisonRowOut]
    notes: list[str]


class FormulaOut(Out):
    """The scenario's formula, and what a formula may name: its indicators, pools and districts."""

    total_fte: float
    method: str
    granularity: float
    floor_fte: float
    cap_fte: float | None
    max_change_pct: float | None
    weights: dict[str, float]
    pools: dict[str, float]
    indicators: list[str]
    pool_names: list[str]
    districts: list[str]


class VariantOut(Out):
    """A saved staffing result (a variant), by its label."""

    id: int
    label: str
    method: str
    total_fte: float
    pools_fte: float
    created_at: UtcTime


class VariantRowOut(Out):
    """A district's FTE (or its pool share) under variants A and B."""

    district: str
    pool: str
    fte_a: float
    fte_b: float
    difference: float


class VariantTotalOut(Out):
    """A total under variants A and B: the district teams, a pool, or everything."""

    what: str
    fte_a: float
    fte_b: float
    difference: float


class VariantComparisonOut(Out):
    """Two saved variants side by side: per district, the totals, and what changed in the formula."""

    a: VariantOut
    b: VariantOut
    rows: list[VariantRowOut]
    totals: list[VariantTotalOut]
    changes: list[str]


class SensitivityRowOut(Out):
    """One district under one weight moved up or down."""

    weight: str
    rises: bool
    weight_before_pct: float
    weight_after_pct: float
    district: str
    fte_before: float
    fte_after: float
    difference: float
    sentence: str


class SensitivityOut(Out):
    """How each district's FTE responds when each weight of a variant rises or falls."""

    variant: VariantOut
    step_pct: float
    rows: list[SensitivityRowOut]
