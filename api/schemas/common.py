"""Schemas shared by several resources."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

DistrictName = Annotated[str, Field(min_length=1, max_length=200)]


def _utc(value: datetime) -> datetime:
    """Stored times are UTC without a zone; say so in every response."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


UtcTime = Annotated[datetime, AfterValidator(_utc)]
"""A time in UTC, written with its offset (RFC 3339)."""


class Out(BaseModel):
    """Base of every response schema (read from ORM rows or domain objects by attribute)."""

    model_config = ConfigDict(from_attributes=True)


class UserOut(Out):
    """The signed-in user."""

    id: int
    name: str
    role: str
    district: str | None
    scenario_id: int | None = None
    """The scenario the page opens on (None when the user sees none)."""


class ConstraintScoreOut(Out):
    """A soft rule's part of the objective: how often it is broken, its weight and the penalty."""

    name: str
    description: str = ""
    level: str = ""
    weight: int
    violation: int
    penalty: int


class Health(Out):
    """The service is up."""

    status: str
    time: UtcTime
