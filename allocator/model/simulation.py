"""The year simulation's settings and results (`lift simulate`): the whole wait per request, under each
policy, staffing variant and seed, and its summary. Computed by `allocator.simulate`."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from allocator.model.base import Frozen, NeedType
from allocator.model.cases import CaseId

SCENARIO_VARIANT = "scenario"
"""The variant name of the scenario's own team capacities (no staffing file)."""
COUNTY = "county"
"""The `district` of a summary row over every district."""
LONG_WAIT_DAYS = 20
"""A whole wait longer than this many school days counts as long (`SimSummaryRow.over_20`)."""


class Policy(StrEnum):
    """How the year is run: the product, the way it is done by hand, or the limit knowing the future."""

    OPTIMISED = "optimised"
    """Optimised rota, optimised agendas, a weekly rebalance that keeps promises."""
    FIRST_COME = "first-come"
    """Round-robin rota, first-come agendas, first-come-first-served caseload (no plan is moved)."""
    CLAIRVOYANT = "clairvoyant"
    """The offline plan knowing every arrival in advance (agendas and caseload planned once)."""


class Arrivals(StrEnum):
    """Where the year's requests come from."""

    REQUESTS = "requests"
    """The scenario's requests.csv, as received."""
    MODEL = "model"
    """Drawn (seeded) from an arrival model fitted to the scenario: per school by pupils and phase,
    with the term-by-term pattern."""


class SimulationSettings(Frozen):
    """What one `lift simulate` run does (besides the scenario and the staffing variants)."""

    policies: tuple[Policy, ...] = (Policy.OPTIMISED, Policy.FIRST_COME, Policy.CLAIRVOYANT)
    seeds: Annotated[int, Field(ge=1, le=1000)] = 1
    """Seeds 0 .. seeds - 1; each draws the meetings' decisions (and, with `Arrivals.MODEL`, the
    arrivals) anew."""
    arrivals: Arrivals = Arrivals.REQUESTS
    specialist_share: Annotated[float, Field(gt=0, le=1)] | None = None
    """Share of requests a meeting turns into agreements (None: the scenario's own mix)."""
    rebalance_seconds: Annotated[float, Field(gt=0, le=600)] = 2.0
    """Time limit of each weekly rebalance (and each week's agenda planning)."""
    clairvoyant_seconds: Annotated[float, Field(gt=0, le=3600)] = 60.0
    """Time limit of the clairvoyant caseload plan."""


class SimWait(Frozen):
    """One request's path through a simulated year: a row of waits.csv."""

    request_id: CaseId
    district: str
    need_type: NeedType
    urgent: bool
    policy: Policy
    variant: str
    seed: int
    received_on: date
    meeting_date: date | None = None
    """The LIFT meeting that decided it (None: county route, or no meeting reached in the year)."""
    agreed_on: date | None = None
    """The agreement's date (None: not a specialist outcome, or not decided in the year)."""
    start: date | None = None
    """Support's first day (None: not started in the year)."""
    school_days: int | None = None
    """The whole wait, received to start, in the district's school days (None: not started)."""


class SimSummaryRow(Frozen):
    """A row of summary.csv: one policy, variant and district (or `COUNTY`), over every seed."""

    policy: Policy
    variant: str
    district: str
    requests: int
    agreements: int
    started: int
    median_days: float | None
    """Median whole wait of started cases, in school days (None: none started)."""
    p90_days: float | None
    """90th-percentile whole wait of started cases, in school days."""
    over_20: float | None
    """Share of started cases whose whole wait exceeded LONG_WAIT_DAYS school days."""
    fte: float | None = None
    """The district's FTE under the variant (None for the county row or unknown)."""


class SimulationResult(Frozen):
    """Everything a simulation run returns."""

    waits: tuple[SimWait, ...]
    summary: tuple[SimSummaryRow, ...]
    variants: tuple[str, ...]
    seeds: int
    seconds: float
    """Wall time of the whole run."""
