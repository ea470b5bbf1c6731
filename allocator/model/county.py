"""Districts, special schools, schools, LIFT groups and weekly meeting slots."""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator

from allocator.model.base import (
    HHMM,
    WEEKDAYS,
    Frozen,
    Latitude,
    Longitude,
    Name,
    NeedList,
    StrList,
    Text,
    Urn,
)


class District(Frozen):
    """One of the county's districts, each with its own LIFT."""

    district: Name
    population: Annotated[int, Field(ge=0, le=100_000_000)]
    lat: Latitude
    lon: Longitude


class SpecialRole(StrEnum):
    """A special school's part in a district: the SLA-holding lead school, or a link school."""

    LEAD = "lead"
    LINK = "link"


class SpecialSchool(Frozen):
    """A lead or link special school of a district (Appendix 1); one school may serve two districts."""

    school: Name
    district: Name
    role: SpecialRole
    need_types: NeedList
    note: Text = ""


class Phase(StrEnum):
    """A school's phase."""

    EARLY_YEARS = "early_years"
    PRIMARY = "primary"
    SECONDARY = "secondary"
    ALL_THROUGH = "all_through"
    SPECIAL = "special"
    PRU = "pru"


class School(Frozen):
    """A school or early-years setting, in one district and (usually) one LIFT group."""

    urn: Urn
    name: Name
    district: Name
    phase: Phase
    pupils: Annotated[int, Field(ge=0, le=20_000)]
    lat: Latitude
    lon: Longitude
    lift_group: Name | None = None


class GroupKind(StrEnum):
    """What a LIFT group is: a group of schools, of early-years settings, or the LIFT Executive."""

    SCHOOLS = "schools"
    EARLY_YEARS = "early_years"
    EXECUTIVE = "executive"


class LiftGroup(Frozen):
    """A group of schools (or settings, or the Executive) that meets at its district's LIFT meeting."""

    group: Name
    district: Name
    kind: GroupKind = GroupKind.SCHOOLS
    meetings_per_half_term: Annotated[int, Field(ge=1, le=5)] = 1
    attendees: StrList = ()
    slots: StrList = ()
    """Slot ids the group may use; empty means any slot of its district."""


class MeetingSlot(Frozen):
    """A weekly time at which a district holds its LIFT meeting."""

    slot: Name
    district: Name
    weekday: Annotated[str, Field(pattern="^(" + "|".join(WEEKDAYS) + ")$")]
    start: HHMM
    end: HHMM
    venue: Name
    case_capacity: Annotated[int, Field(ge=0, le=100)] = 8
    meetings_per_week: Annotated[int, Field(ge=1, le=5)] = 1

    @field_validator("end")
    @classmethod
    def _ordered(cls, end: time, info: ValidationInfo) -> time:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError(f"a time after start ({start:%H:%M})")
        return end

    @property
    def weekday_index(self) -> int:
        """Monday = 0 ... Friday = 4."""
        return WEEKDAYS.index(self.weekday)
