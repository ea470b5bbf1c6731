"""People who attend meetings or give support, their leave, and travel times."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator

from allocator.model.base import (
    Day,
    Email,
    Frozen,
    Latitude,
    Longitude,
    Name,
    NeedList,
    Urn,
    not_before,
)


class Role(StrEnum):
    """What a person does."""

    SPECIALIST_TEACHER = "specialist_teacher"
    EDUCATIONAL_PSYCHOLOGIST = "educational_psychologist"
    OUTREACH_MANAGER = "outreach_manager"
    DISTRICT_COORDINATOR = "district_coordinator"
    COUNTY_COORDINATOR = "county_coordinator"
    HEADTEACHER = "headteacher"
    EARLY_YEARS_MANAGER = "early_years_manager"


class Person(Frozen):
    """A member of staff: in a district team or a county pool, with weekly casework minutes."""

    person_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
    name: Name
    role: Role
    team: Name
    """A district name, or a county pool's need type (HI, VI, PI)."""
    specialisms: NeedList = ()
    minutes_per_week: Annotated[int, Field(ge=0, le=60 * 60)] = 0
    base_lat: Latitude
    base_lon: Longitude
    email: Email | None = None
    """A work address for meeting invitations (optional; calendars list no attendee without one)."""


class Unavailability(Frozen):
    """Days a person cannot attend meetings or give support (inclusive)."""

    person_id: Name
    first_day: Day
    last_day: Day
    reason: Name = "leave"

    @field_validator("last_day")
    @classmethod
    def _ordered(cls, last_day: date, info: ValidationInfo) -> date:
        return not_before(last_day, info, "first_day")

    def covers(self, day: date) -> bool:
        """Whether the person is away on `day`."""
        return self.first_day <= day <= self.last_day


class TravelTime(Frozen):
    """Minutes of travel each way between a person's base and a school."""

    person_id: Name
    school_urn: Urn
    minutes: Annotated[int, Field(ge=0, le=600)]
