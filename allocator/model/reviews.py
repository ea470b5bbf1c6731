"""Reviews of running support (`reviews.csv`): entry, review and exit measures per case, and the
results the review pipeline gives (schedules, reviews due and overdue, progress from entry to exit)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from allocator.model.base import Day, Frozen, Name, NeedType, Text
from allocator.model.cases import CaseId

MeasureValue = Annotated[float, Field(ge=-1_000_000, le=1_000_000, allow_inf_nan=False)]
"""A measured value: a finite number from -1,000,000 to 1,000,000."""


class ReviewKind(StrEnum):
    """When a measure was taken: at entry to support, at a review, or at exit."""

    ENTRY = "entry"
    REVIEW = "review"
    EXIT = "exit"


class Review(Frozen):
    """One measure recorded for a case on a day (a row of reviews.csv)."""

    case_id: CaseId
    date: Day
    kind: ReviewKind
    measure: Name
    value: MeasureValue
    note: Text | None = Field(default=None, exclude_if=lambda v: v is None)


ReviewBasis = Literal["details", "plan", "estimated"]
"""Where a schedule's dates come from: the agreed review date, the plan's start, or the earliest start
the caseload allows (the case is not planned yet)."""


class ReviewSchedule(Frozen):
    """The review dates of one agreement."""

    case_id: CaseId
    district: str
    need_type: NeedType
    start: date
    end: date
    basis: ReviewBasis
    dates: tuple[date, ...]


class ReviewDue(Frozen):
    """A review date that needs doing: due in the week asked about, or overdue."""

    case_id: CaseId
    district: str
    due_on: date
    status: Literal["due", "overdue"]
    basis: ReviewBasis
    """Where the date comes from (`estimated`: the case is not planned yet)."""


class CaseProgress(Frozen):
    """One measure of one case from entry to exit (exit value minus entry value)."""

    case_id: CaseId
    district: str
    need_type: NeedType
    measure: str
    entry: float
    exit: float

    @property
    def change(self) -> float:
        """Exit value minus entry value."""
        return self.exit - self.entry


class NeedProgress(Frozen):
    """Progress from entry to exit of one measure over the finished cases of one need type."""

    need_type: NeedType
    measure: str
    cases: int
    mean_entry: float
    mean_exit: float
    mean_change: float
