"""Agreement schemas. Children are pseudonymous case ids; consent is yes, no or an exception with why."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from allocator.model import Consent, NeedType, SenStage
from api.schemas.common import Out, UtcTime


def _consent(value: str) -> str:
    """Refuse anything but `yes`, `no` or `exception: <why>`; return the normal form."""
    return str(Consent.model_validate(value))


ConsentText = Annotated[
    str,
    Field(
        min_length=2,
        max_length=500,
        description="`yes`, `no` (kept, never planned) or `exception: <why>`",
        examples=["yes", "exception: parent unreachable"],
    ),
    AfterValidator(_consent),
]
CaseIdText = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.\-]+$",
        description="A pseudonymous case reference (never a name)",
        examples=["K-001234"],
    ),
]
Minutes = Annotated[int, Field(gt=0, le=1200)]
Weeks = Annotated[int, Field(gt=0, le=60)]
Priority = Annotated[int, Field(ge=1, le=3, description="1 urgent ... 3 routine")]
Urn = Annotated[int, Field(gt=0, le=2_000_000_000)]


class AgreementIn(BaseModel):
    """A new agreement from a LIFT meeting."""

    model_config = ConfigDict(extra="forbid")

    case_id: CaseIdText
    school_urn: Urn
    need_type: NeedType
    sen_stage: SenStage
    lac: bool = False
    consent: ConsentText
    agreed_on: date
    minutes_per_week: Minutes
    weeks: Weeks
    priority: Priority = 3


class AgreementUpdate(BaseModel):
    """Fields of an open agreement to change (the case id never changes)."""

    model_config = ConfigDict(extra="forbid")

    school_urn: Urn | None = None
    need_type: NeedType | None = None
    sen_stage: SenStage | None = None
    lac: bool | None = None
    consent: ConsentText | None = None
    agreed_on: date | None = None
    minutes_per_week: Minutes | None = None
    weeks: Weeks | None = None
    priority: Priority | None = None


class AgreementClose(BaseModel):
    """Closing a case: support finished (or no longer needed) on a day."""

    model_config = ConfigDict(extra="forbid")

    closed_on: date | None = Field(default=None, description="Default: today")


class AgreementOut(Out):
    """A stored agreement."""

    case_id: str
    district: str
    school_urn: int
    need_type: str
    sen_stage: str
    lac: bool
    consent: str
    agreed_on: date
    minutes_per_week: int
    weeks: int
    priority: int
    status: str
    closed_on: date | None
    created_at: UtcTime
    updated_at: UtcTime
