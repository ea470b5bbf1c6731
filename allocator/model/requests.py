"""Requests for LIFT support as they arrive from schools (the access form), and the meeting's outcome."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from allocator.model.base import Day, Frozen, NeedType, Urn, YesNo, not_before
from allocator.model.cases import CaseId, Consent, SenStage

COUNTY_ROUTE_NEEDS: tuple[NeedType, ...] = (NeedType.HI, NeedType.VI)
"""Need types decided by the county coordinators (no LIFT meeting): hearing and vision."""


class RequestOutcome(StrEnum):
    """What the meeting (or the county coordinators) decided for a request."""

    ADVICE = "advice"
    SCHOOL_TO_SCHOOL = "school_to_school"
    TRAINING = "training"
    SPECIALIST = "specialist"
    """Specialist intervention: it becomes an agreement (agreements.csv names the request)."""
    REFERRAL_EP = "referral_ep"
    REFERRAL_EARLY_SUPPORT = "referral_early_support"


class Request(Frozen):
    """A school's request for support for one child (pseudonymous), as received, and its outcome."""

    request_id: CaseId
    school_urn: Urn
    received_on: Day
    need_type: NeedType
    sen_stage: SenStage
    lac: YesNo = False
    urgent: YesNo = False
    consent: Consent
    outcome: RequestOutcome | None = Field(default=None, exclude_if=lambda v: v is None)
    """What was decided (None: not yet, or not recorded)."""
    decided_on: Day | None = Field(default=None, exclude_if=lambda v: v is None)
    """The day it was decided: on or after `received_on`, and only with an outcome."""

    @field_validator("consent", mode="before")
    @classmethod
    def _consent(cls, value: Any) -> Any:
        return Consent.model_validate(value)

    @field_validator("decided_on")
    @classmethod
    def _decided_after_receipt(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is None:
            return None
        if info.data.get("outcome") is None and "outcome" in info.data:
            raise ValueError("a decision date needs its outcome (the outcome column is blank)")
        return not_before(value, info, "received_on")

    @property
    def county_route(self) -> bool:
        """Whether the county coordinators decide it (hearing or vision), not a LIFT meeting."""
        return self.need_type in COUNTY_ROUTE_NEEDS
