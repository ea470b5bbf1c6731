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
    request_id: CaseIdText | None = Field(
        default=None, description="The request (access form) this agreement came from, if any"
    )


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
    request_id: str | None = None
    status: str
    closed_on: date | None
    created_at: UtcTime
    updated_at: UtcTime


class FieldChangeOut(BaseModel):
    """One field of a case changed: its name for people, the value before and after (as shown)."""

    field: str
    label: str
    before: str
    after: str


class TimelineEventOut(BaseModel):
    """Something that happened to a case, on a day (and at a time when the service recorded it)."""

    on: date
    at: UtcTime | None = None
    kind: str = Field(
        description="agreed, recorded, changed, planned, rebalanced, waiting, started, review, "
        "closed or finished"
    )
    title: str
    detail: str = ""
    by: str | None = Field(default=None, description="Who did it (a user of the service)")
    changes: list[FieldChangeOut] = Field(default_factory=list)


class SupportOut(BaseModel):
    """The support of the plan in use for a case: who, from when to when."""

    person_id: str
    person_name: str
    team: str
    start: date
    end: date
    status: str


class CaseRecordOut(BaseModel):
    """A case's record: its fields, the support planned, and its timeline in date order."""

    agreement: AgreementOut
    school_name: str
    support: SupportOut | None
    waiting: str | None = Field(default=None, description="Why the case waits, if it does")
    events: list[TimelineEventOut]
    reviews: str = Field(
        description="How many measures are recorded (entry, review, exit); each is an event of kind review"
    )


class RowProblemOut(BaseModel):
    """A problem with a cell (or a whole row) of an uploaded file, in plain words."""

    row: int = Field(description="The spreadsheet row (the header is row 1)")
    column: str | None = None
    value: str | None = None
    expected: str


class PreviewRowOut(BaseModel):
    """A row of an uploaded file: what it would add, or its problems."""

    row: int
    case_id: str
    district: str | None
    school_urn: str
    school_name: str | None
    need_type: str
    sen_stage: str
    lac: str
    consent: str
    agreed_on: date | None
    agreed_on_text: str
    minutes_per_week: str
    weeks: str
    priority: str
    problems: list[RowProblemOut]


class PreviewOut(BaseModel):
    """What an uploaded file of new agreements holds; nothing is stored."""

    file: str
    rows: list[PreviewRowOut]
    ok: int = Field(description="Rows that would be added")
    with_problems: int
    problems: list[RowProblemOut] = Field(
        description="Problems of the file itself (a missing column, say)"
    )


class ImportOut(BaseModel):
    """Agreements added from a file (all of its rows, or none)."""

    added: int
    case_ids: list[str]
