"""Simulation schemas: a simulated year asked for (staffing variants, policies, seeds), and its waits
side by side per district, variant and policy."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from allocator.model.simulation import Arrivals, Policy
from api.schemas.common import Out, UtcTime

MAX_SEEDS = 5
MAX_SAVED_VARIANTS = 4
"""Saved staffing variants one run may take (the scenario's own staffing always runs too)."""

VariantId = Annotated[int, Field(ge=1, le=2_147_483_647)]


class SimulationIn(BaseModel):
    """What to simulate: saved staffing variants beside the scenario's own staffing, policies, seeds."""

    model_config = ConfigDict(extra="forbid")

    variants: list[VariantId] = Field(
        default_factory=list,
        max_length=MAX_SAVED_VARIANTS,
        description="Saved staffing variants' ids (the scenario's own staffing always runs too)",
    )
    policies: list[Policy] = Field(
        default_factory=lambda: [Policy.OPTIMISED, Policy.FIRST_COME],
        min_length=1,
        max_length=3,
        description="optimised, first-come and/or clairvoyant",
    )
    seeds: int = Field(default=1, ge=1, le=MAX_SEEDS, description="How many seeds (1 to 5)")
    arrivals: Arrivals | None = Field(
        default=None,
        description="requests (the scenario's requests.csv) or model; default: requests when the "
        "scenario has some, else model",
    )
    rebalance_seconds: float = Field(
        default=2.0, gt=0, le=30, description="Time limit of each weekly plan, in seconds"
    )
    clairvoyant_seconds: float = Field(
        default=30.0, gt=0, le=600, description="Time limit of the clairvoyant plan, in seconds"
    )


class SimulationRowOut(Out):
    """One policy, variant and district (or the county): the whole wait of started cases in school
    days."""

    policy: str
    variant: str
    district: str
    """A district's name, or "county" for the whole county."""
    requests: int
    agreements: int
    started: int
    median_days: float | None
    p90_days: float | None
    over_20: float | None
    """Share (0 to 1) of started cases that waited more than 20 school days."""
    fte: float | None


class SimulationBriefOut(Out):
    """A simulation in a list: when, and what it compared."""

    id: int
    created_at: UtcTime
    variants: list[str]
    policies: list[str]
    seeds: int
    arrivals: str
    seconds: float


class SimulationOut(SimulationBriefOut):
    """A simulation's waits side by side, a sentence per district a variant changed, and the
    printed summary."""

    scenario_id: int
    rows: list[SimulationRowOut]
    sentences: list[str]
    """E.g. "Swale: median whole wait 24 school days under 'swale-plus-2' against 31 under the
    scenario's staffing"."""
    printed: str
