"""The written agreement: the text a LIFT meeting agrees for a case (`agreement_details.csv`), and the
document built from it with the agreement and its plan.

The prospectus's six items are the support; the criteria for specialist intervention; the entrance and
exit strategies; the duration; the expected outcomes, progress measures and how they will be evidenced;
and the quality-assurance review date. Each text is optional: where it is missing the document says
"not recorded". Case references only, never a child's name.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from allocator.model.base import Day, Frozen, NeedType, check_text
from allocator.model.cases import CaseId
from allocator.model.settings import year_bounds

DETAIL_MAX_CHARS = 2000
"""The longest text a cell of agreement_details.csv may hold."""


def _blank_is_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


DetailText = Annotated[
    str,
    Field(min_length=1, max_length=DETAIL_MAX_CHARS),
    AfterValidator(check_text),
]
"""One item's text: 1 to 2,000 characters, no control or bidirectional characters."""
OptionalText = Annotated[DetailText | None, BeforeValidator(_blank_is_none)]
OptionalDay = Annotated[Day | None, BeforeValidator(_blank_is_none)]

DETAIL_TEXTS: tuple[str, ...] = (
    "support",
    "criteria",
    "entry_strategy",
    "exit_strategy",
    "expected_outcomes",
    "progress_measures",
    "evidence",
)
"""The text columns of agreement_details.csv, in document order."""
DETAIL_COLUMNS: tuple[str, ...] = ("case_id", *DETAIL_TEXTS, "review_date")


class AgreementDetails(Frozen):
    """The written agreement's text for one case; every item is optional."""

    case_id: CaseId
    support: OptionalText = None
    criteria: OptionalText = None
    """Criteria for specialist intervention."""
    entry_strategy: OptionalText = None
    exit_strategy: OptionalText = None
    expected_outcomes: OptionalText = None
    progress_measures: OptionalText = None
    evidence: OptionalText = None
    """How the outcomes and measures will be evidenced."""
    review_date: OptionalDay = None
    """The quality-assurance review date agreed at the meeting."""


def review_date_bounds(academic_year: str) -> tuple[date, date]:
    """A review date lies within the academic year or just after it (to 31 December following)."""
    first, last = year_bounds(academic_year)
    return first, date(last.year, 12, 31)


class AgreementDocument(Frozen):
    """Everything the written agreement shows for one case (built by `allocator.pipeline`)."""

    case_id: CaseId
    school: str
    district: str
    need_type: NeedType
    agreed_on: date
    minutes_per_week: int
    weeks: int
    start: date | None = None
    """The start of support in the plan (None: not planned yet)."""
    end: date | None = None
    status: str | None = None
    """The plan's status of the support (planned, running, finished, withdrawn), if planned."""
    specialist_role: str | None = None
    """The specialist's role and team from the plan (None: not planned yet); never a name."""
    details: AgreementDetails
    review_dates: tuple[date, ...] = ()
    """The review dates by the default schedule, shown when no review date was agreed."""
    every_weeks: int = 6
