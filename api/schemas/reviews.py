"""Review schemas: reviews due and overdue, measures recorded at entry, review and exit, progress
from entry to exit, and the written agreement's text. Cases by reference only, never a name."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from allocator.model.base import check_text
from allocator.model.details import DETAIL_MAX_CHARS
from api.schemas.agreements import CaseIdText
from api.schemas.common import Out, UtcTime

MEASURE_MAX = 100
"""The longest measure name stored (`case_reviews.measure`)."""
NOTE_MAX = 1000
"""The longest note (as reviews.csv's)."""

MeasureName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MEASURE_MAX,
        description="What was measured, e.g. 'reading age (months)' or 'Boxall profile'",
    ),
    AfterValidator(check_text),
]
NoteText = Annotated[str, Field(max_length=NOTE_MAX), AfterValidator(check_text)]
ItemText = Annotated[str, Field(max_length=DETAIL_MAX_CHARS), AfterValidator(check_text)]


class ReviewIn(BaseModel):
    """A measure taken for a case: at entry to support, at a review, or at exit."""

    model_config = ConfigDict(extra="forbid")

    case_id: CaseIdText
    date: date
    kind: Literal["entry", "review", "exit"]
    measure: MeasureName
    value: float = Field(ge=-1_000_000, le=1_000_000, allow_inf_nan=False)
    note: NoteText = ""


class ReviewOut(Out):
    """A measure recorded for a case."""

    id: int
    case_id: str
    district: str
    date: date
    kind: str
    measure: str
    value: float
    note: str
    recorded_at: UtcTime


class DueOut(BaseModel):
    """A review date to do: due this week (from the day asked about) or overdue."""

    case_id: str
    district: str
    school_name: str
    need_type: str
    person_name: str | None = Field(
        default=None, description="Who supports the case in the plan in use (None: not planned)"
    )
    due_on: date
    status: Literal["due", "overdue"]
    basis: Literal["details", "plan", "estimated"] = Field(
        description="details: the review date agreed; plan: by the plan's start; estimated: the "
        "case is not planned yet, dated from its earliest possible start"
    )


class ReviewsDueOut(BaseModel):
    """Reviews due in the week of `on` (from `on`) and every earlier one not done."""

    on: date = Field(description="The day asked about, moved into the scenario's year")
    note: str | None = Field(default=None, description="Why `on` was moved, if it was")
    week_start: date
    due: list[DueOut]
    overdue: list[DueOut]


class CaseProgressOut(BaseModel):
    """One measure of one case from entry to exit."""

    case_id: str
    district: str
    need_type: str
    measure: str
    entry: float
    exit: float
    change: float


class NeedProgressOut(BaseModel):
    """One measure over the cases of one need type with an entry and an exit value."""

    need_type: str
    measure: str
    cases: int
    mean_entry: float
    mean_exit: float
    mean_change: float


class ProgressOut(BaseModel):
    """Progress from entry to exit (exit value minus entry value), by need type and per case."""

    by_need: list[NeedProgressOut]
    cases: list[CaseProgressOut]


class DetailsIn(BaseModel):
    """The written agreement's text: each item optional (blank: not recorded)."""

    model_config = ConfigDict(extra="forbid")

    support: ItemText | None = None
    criteria: ItemText | None = Field(default=None, description="Criteria for specialist support")
    entry_strategy: ItemText | None = None
    exit_strategy: ItemText | None = None
    expected_outcomes: ItemText | None = None
    progress_measures: ItemText | None = None
    evidence: ItemText | None = Field(default=None, description="How it will be evidenced")
    review_date: date | None = Field(
        default=None, description="The quality-assurance review date agreed at the meeting"
    )


class DetailsOut(BaseModel):
    """A case's written agreement: its text, and what the document shows around it."""

    case_id: str
    district: str
    school_name: str
    status: str = Field(description="The case: open or closed")
    agreed_on: date
    support: str | None = None
    criteria: str | None = None
    entry_strategy: str | None = None
    exit_strategy: str | None = None
    expected_outcomes: str | None = None
    progress_measures: str | None = None
    evidence: str | None = None
    review_date: date | None = None
    review_dates: list[date] = Field(
        default_factory=list,
        description="The review dates: the one agreed, else those of the default schedule",
    )
    weeks: int
    minutes_per_week: int
    start: date | None = Field(default=None, description="The start of support in the plan in use")
    end: date | None = None
    specialist_role: str | None = Field(
        default=None, description="The specialist's role and team in the plan (never a name)"
    )
