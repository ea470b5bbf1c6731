"""Cases agreed at LIFT meetings (from the access form) and support already planned."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_serializer, model_validator

from allocator.model.base import Day, Frozen, Name, NeedType, Text, Urn, YesNo, not_before

CaseId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
"""A pseudonymous case reference: letters, digits, `_`, `.` and `-` only, so a name cannot fit."""


class SenStage(StrEnum):
    """SEN stage as on the access form, with today's names accepted beside them."""

    EYA_SA = "EYA/SA"
    EYA_PLUS_SA_PLUS = "EYA+/SA+"
    SSEN = "SSEN"
    SEN_SUPPORT = "SEN Support"
    EHCP = "EHCP"

    @property
    def statutory(self) -> bool:
        """A statement (SSEN) or an EHC plan."""
        return self in {SenStage.SSEN, SenStage.EHCP}


class Consent(Frozen):
    """Parental consent: `yes`, `no` (kept on record, never planned) or `exception: <why>`."""

    kind: Literal["yes", "no", "exception"]
    reason: Text = ""

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            text = value.strip()
            lowered = text.lower()
            if lowered in {"yes", "no"}:
                return {"kind": lowered}
            if lowered.startswith("exception"):
                _, _, why = text.partition(":")
                if not why.strip():
                    raise ValueError("an exception needs its reason: 'exception: <why>'")
                return {"kind": "exception", "reason": why.strip()}
            raise ValueError("expected yes, no or 'exception: <why>'")
        return value

    @model_serializer
    def _as_text(self) -> str:
        return f"exception: {self.reason}" if self.kind == "exception" else self.kind

    @property
    def plannable(self) -> bool:
        """Consent given, or an exception recorded with its reason."""
        return self.kind != "no"

    def __str__(self) -> str:
        return self._as_text()


class Agreement(Frozen):
    """Support agreed at a LIFT meeting for one child's case (pseudonymous)."""

    case_id: CaseId
    school_urn: Urn
    need_type: NeedType
    sen_stage: SenStage
    lac: YesNo = False
    consent: Consent
    agreed_on: Day
    minutes_per_week: Annotated[int, Field(gt=0, le=1200)]
    weeks: Annotated[int, Field(gt=0, le=60)]
    priority: Annotated[int, Field(ge=1, le=3)] = 3
    request_id: CaseId | None = Field(default=None, exclude_if=lambda v: v is None)
    """The request of requests.csv this case came from (left out of dumps when not known)."""

    @field_validator("consent", mode="before")
    @classmethod
    def _consent(cls, value: Any) -> Any:
        return Consent.model_validate(value)


class PlanStatus(StrEnum):
    """Where a planned piece of support stands."""

    PLANNED = "planned"
    RUNNING = "running"
    FINISHED = "finished"
    WITHDRAWN = "withdrawn"
    """Stopped because consent was withdrawn: `end` is the day it stopped (kept like finished)."""


CONSENT_WITHDRAWN = "consent withdrawn"
"""The reason given wherever support stops or is dropped because consent became `no`."""


class PlannedSupport(Frozen):
    """A row of the current plan: who supports a case from when to when."""

    case_id: CaseId
    person_id: Name
    start: Day
    end: Day
    status: PlanStatus = PlanStatus.PLANNED

    @field_validator("end")
    @classmethod
    def _ordered(cls, end: date, info: ValidationInfo) -> date:
        return not_before(end, info, "start")
