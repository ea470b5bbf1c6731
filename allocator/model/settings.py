"""`scenario.toml`: the scenario's name and year, the county pools, and the planners' weights."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field

from allocator.model.base import DEFAULT_COUNTY_POOLS, Frozen, Name, NeedType

_YEAR = re.compile(r"^([0-9]{4})-([0-9]{2})$")


def year_bounds(academic_year: str) -> tuple[date, date]:
    """The first and last day (1 September to 31 August) of an academic year such as `2025-26`."""
    match = _YEAR.match(academic_year)
    if match is None:
        raise ValueError("an academic year such as 2025-26")
    start = int(match.group(1))
    return date(start, 9, 1), date(start + 1, 8, 31)


def _academic_year(value: str) -> str:
    match = _YEAR.match(value)
    first = int(match.group(1)) if match else 0
    if match is None or not 2000 <= first <= 2098 or int(match.group(2)) != (first + 1) % 100:
        raise ValueError("an academic year from 2000-01 to 2098-99, e.g. 2025-26")
    return value


AcademicYear = Annotated[str, AfterValidator(_academic_year)]
"""`YYYY-YY`, the second year following the first (1 September to 31 August)."""

Weight = Annotated[int, Field(ge=0, le=1_000_000)]


class RotaSettings(Frozen):
    """Weights of the rota's soft rules (integers; 0 switches a rule off)."""

    spacing: Weight = 2
    """Per week that a gap between consecutive meetings differs from the ideal interval."""
    short_gap: Weight = 20
    """Per week that a gap falls short of `short_gap_weeks`."""
    short_gap_weeks: Annotated[int, Field(ge=0, le=10)] = 4
    same_position: Weight = 3
    """Per half-term in which a group's week of the half-term differs from the previous half-term's."""
    edge_week: Weight = 5
    """Per meeting in the first or last week of a half-term."""
    case_balance: Weight = 1
    """Per expected case over a meeting's case capacity."""
    stability: Weight = 4
    """Per group whose weekday or position differs from last year's rota."""
    moved_meeting: Weight = 50
    """Per published meeting of this year's rota that a re-plan moves (only meetings that are freed or
    made impossible may move at all)."""
    referrals_per_1000_pupils: Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)] = 1.2
    """Expected cases a half-term per 1,000 pupils of a group's schools (Kent: about 250 cases a
    half-term over about 215,000 pupils)."""


class CaseloadSettings(Frozen):
    """Caseload rules and weights."""

    lead_time_weeks: Annotated[int, Field(ge=0, le=20)] = 1
    """School weeks between agreement and the earliest start."""
    weight_urgent: Weight = 3
    weight_lac: Weight = 3
    weight_statutory: Weight = 2
    weight_early_years: Weight = 2
    weight_base: Weight = 1
    neighbour_teams: dict[Name, list[Name]] = Field(default_factory=dict)
    """District -> other district teams allowed to take its high-incidence cases, at a cost."""
    neighbour_cost_minutes: Weight = 60
    travel_speed_kmh: Annotated[float, Field(gt=0, le=200, allow_inf_nan=False)] = 30.0
    """Estimated road speed when travel_minutes.csv does not give a time."""
    road_factor: Annotated[float, Field(ge=1, le=10, allow_inf_nan=False)] = 1.3
    """Road distance per straight-line distance when estimating travel."""


class AgendaSettings(Frozen):
    """How requests are weighed on meeting agendas, and the county route's time."""

    weight_base: Weight = 1
    weight_urgent: Weight = 3
    weight_lac: Weight = 3
    county_route_days: Annotated[int, Field(ge=1, le=60)] = 10
    """School days within which the county coordinators decide a hearing or vision request."""


class ReviewSettings(Frozen):
    """When agreements are reviewed where no review date was agreed."""

    every_weeks: Annotated[int, Field(ge=1, le=60)] = 6
    """School weeks from the start of support to each review (and a review at the end)."""


class ScenarioSettings(Frozen):
    """The scenario's identity and the settings every planner reads."""

    name: Name
    academic_year: AcademicYear
    county_pools: tuple[NeedType, ...] = DEFAULT_COUNTY_POOLS
    minutes_per_fte_week: Annotated[int, Field(gt=0, le=3000)] = 1110
    rota: RotaSettings = Field(default_factory=RotaSettings)
    caseload: CaseloadSettings = Field(default_factory=CaseloadSettings)
    agenda: AgendaSettings = Field(default_factory=AgendaSettings)
    reviews: ReviewSettings = Field(default_factory=ReviewSettings)
