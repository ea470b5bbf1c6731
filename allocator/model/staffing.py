"""Staffing formula settings and the district indicators it reads."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from allocator.model.base import Count, Frozen, Name

ApportionmentMethod = Literal["hamilton", "webster", "dhondt", "huntington_hill", "adams"]
NonNegative = Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]
"""A finite number from 0 to a billion."""
Percent = Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)]


class HighIncidenceFormula(Frozen):
    """How the county's high-incidence FTE is shared out over districts."""

    total_fte: Annotated[float, Field(gt=0, le=100_000, allow_inf_nan=False)]
    method: ApportionmentMethod = "webster"
    granularity: Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)] = 0.1
    floor_fte: NonNegative = 0.0
    cap_fte: NonNegative | None = None
    max_change_pct: Percent | None = None
    weights: dict[Name, NonNegative]

    @model_validator(mode="after")
    def _weights(self) -> HighIncidenceFormula:
        if not self.weights:
            raise ValueError("weights name no indicator")
        if abs(sum(self.weights.values()) - 1.0) > 1e-9:
            raise ValueError(f"weights sum to {sum(self.weights.values()):g}, not 1")
        if self.cap_fte is not None and self.cap_fte < self.floor_fte:
            raise ValueError("cap_fte is below floor_fte")
        return self


class StaffingSettings(Frozen):
    """`staffing.toml`: the high-incidence formula and the county pools' FTE."""

    high_incidence: HighIncidenceFormula
    pools: dict[Name, NonNegative] = Field(default_factory=dict)


class DistrictIndicators(Frozen):
    """A district's formula indicators (any named columns) and sensory-impairment counts."""

    district: Name
    indicators: dict[Name, NonNegative]
    baseline_fte: NonNegative = 0.0
    hi_children: Count = 0
    vi_children: Count = 0
    pi_children: Count = 0
