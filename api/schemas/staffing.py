"""Staffing schemas: a formula (the scenario's, adjusted), its result, and two formulas compared."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Out, UtcTime

Method = Literal["hamilton", "webster", "dhondt", "huntington_hill", "adams"]
Label = Annotated[str, Field(min_length=1, max_length=100)]


class FormulaIn(BaseModel):
    """The scenario's staffing.toml with changes: a new total, method, or values set by name."""

    model_config = ConfigDict(extra="forbid")

    total_fte: Annotated[float, Field(gt=0, le=100_000)] | None = None
    method: Method | None = None
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
