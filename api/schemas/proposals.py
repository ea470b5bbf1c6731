"""Proposals and decisions: a rota or caseload plan is proposed per district, then accepted (a version,
which can be rolled back to) or rejected."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from api.schemas.common import DistrictName, Out, UtcTime


class DecideIn(BaseModel):
    """The district a decision is for (a coordinator's own; an officer names one)."""

    model_config = ConfigDict(extra="forbid")

    district: DistrictName


class ProposalOut(Out):
    """A rota or plan proposed for a district and not decided there yet."""

    id: int
    """The rota's or plan's id."""
    job: str
    """rota or caseload."""
    district: str
    kind: str
    """The plan's kind (plan, rebalance, import) or `rota`."""
    job_id: str | None
    created_at: UtcTime
    created_by: str | None
    """Who made it (their name), if known."""
    message: str
    """The job's one-line summary."""
    figures: dict[str, int | None]
    """For a plan: started, waiting, broken, earlier, moved (the district's); for a rota: meetings,
    moved, cancelled."""


class CaseDifferenceOut(Out):
    """A case the proposal changes against the plan in use."""

    kind: str
    """new, earlier, broken, withdrawn, or waiting (a case the plan in use does not hold, not started)."""
    case_id: str
    before_person: str | None
    before_name: str | None
    after_person: str | None
    after_name: str | None
    before_start: date | None
    after_start: date | None
    reason: str
    needed_by: str = ""


class MeetingDifferenceOut(Out):
    """A meeting the proposal moves, cancels or adds against the rota in use."""

    kind: str
    """earlier, later, moved (same day, another slot), cancelled or new."""
    group: str
    half_term: int
    index: int
    """The meeting's number in its group's half-term."""
    before_date: date | None
    before_slot: str | None
    after_date: date | None
    after_slot: str | None
    reason: str


class ProposalDetailOut(Out):
    """A proposal's differences against what is in use in one district, and the figures of both."""

    proposal: ProposalOut
    status: str
    """pending, accepted (in use), superseded (accepted once, no longer in use) or rejected."""
    in_use_id: int | None
    """The rota or plan in use in the district (None: nothing yet)."""
    before: dict[str, int | None]
    after: dict[str, int | None]
    cases: list[CaseDifferenceOut]
    meetings: list[MeetingDifferenceOut]


class DecisionOut(Out):
    """A decision on a proposal for a district; an accepted one is a version."""

    id: int
    job: str
    source_id: int
    district: str
    action: str
    decided_by: str | None
    decided_at: UtcTime
    in_use: bool
    """True for the version in use now."""
    kind: str | None = None
    created_at: UtcTime | None = None
    """When the accepted rota or plan was made."""


class SchoolNoteOut(Out):
    """A plain-language note for a school of what changed for its pupils (case ids only) and why."""

    urn: int
    school: str
    district: str
    lines: list[str]
    text: str
