"""Requests for LIFT support as they arrive from schools (the access form), before any meeting."""

from __future__ import annotations

from typing import Any

from pydantic import field_validator

from allocator.model.base import Day, Frozen, NeedType, Urn, YesNo
from allocator.model.cases import CaseId, Consent, SenStage

COUNTY_ROUTE_NEEDS: tuple[NeedType, ...] = (NeedType.HI, NeedType.VI)
"""Need types decided by the county coordinators (no LIFT meeting): hearing and vision."""


class Request(Frozen):
    """A school's request for support for one child (pseudonymous), as received."""

    request_id: CaseId
    school_urn: Urn
    received_on: Day
    need_type: NeedType
    sen_stage: SenStage
    lac: YesNo = False
    urgent: YesNo = False
    consent: Consent

    @field_validator("consent", mode="before")
    @classmethod
    def _consent(cls, value: Any) -> Any:
        return Consent.model_validate(value)

    @property
    def county_route(self) -> bool:
        """Whether the county coordinators decide it (hearing or vision), not a LIFT meeting."""
        return self.need_type in COUNTY_ROUTE_NEEDS
