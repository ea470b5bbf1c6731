"""Request schemas: the inbox, the agendas, the meeting's outcome and the whole wait. Children are
pseudonymous request and case ids."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from allocator.model.requests import RequestOutcome

RequestStatus = Literal["waiting", "agenda", "decided", "agreed"]


class OutcomeIn(BaseModel):
    """What the meeting (or the county coordinators) decided for a request, and when."""

    model_config = ConfigDict(extra="forbid")

    outcome: RequestOutcome = Field(
        description="advice, school_to_school, training, specialist (an agreement follows), "
        "referral_ep or referral_early_support"
    )
    decided_on: date = Field(description="The day it was decided: on or after the day received")
    note: str = Field(default="", max_length=2000, description="No names: case references only")


class OutcomeOut(BaseModel):
    """A recorded outcome."""

    request_id: str
    district: str
    outcome: str
    decided_on: date
    note: str
    case_id: str | None = None


class RequestOut(BaseModel):
    """A request as the inbox shows it, with where it stands."""

    request_id: str
    school_urn: int
    school_name: str
    district: str
    received_on: date
    need_type: str
    sen_stage: str
    lac: bool
    urgent: bool
    consent: str
    county_route: bool = Field(description="Hearing or vision: the county coordinators decide it")
    status: RequestStatus
    status_text: str = Field(description="Where it stands, in words")
    meeting_date: date | None = None
    group: str | None = None
    reason: str | None = Field(default=None, description="Why no meeting takes it, if none does")
    outcome: str | None = None
    decided_on: date | None = None
    note: str = ""
    case_id: str | None = Field(default=None, description="The agreement naming the request")


class AgendaMeetingOut(BaseModel):
    """A meeting of the rota in use and the requests on its agenda."""

    date: date
    weekday: str
    start: str
    end: str
    district: str
    group: str
    venue: str
    slot: str
    capacity: int = Field(description="The slot's case capacity (shared by groups in the slot)")
    request_ids: list[str] = Field(description="In order of receipt")
    urgent_ids: list[str]


class CountyItemOut(BaseModel):
    """A hearing or vision request: decided by the county coordinators, at no meeting."""

    request_id: str
    received_on: date
    urgent: bool
    school_days: int = Field(description="School days allowed for the decision")


class UnplacedOut(BaseModel):
    """A request no meeting takes, and why."""

    request_id: str
    received_on: date
    urgent: bool
    reason: str


class AgendaFiguresOut(BaseModel):
    """The agenda's figures: placed, county route, unplaced, priority-weighted school days."""

    placed: int
    county: int
    unplaced: int
    unplaced_weight: int
    weighted_days: int = Field(description="Σ priority weight × school days to the meeting")
    mean_days: float | None
    worst_days: int | None


class AgendaOut(BaseModel):
    """One district's agenda on the rota in use, beside first come, first served."""

    district: str
    start: date | None
    end: date | None
    meetings: list[AgendaMeetingOut]
    county: list[CountyItemOut]
    unplaced: list[UnplacedOut]
    ours: AgendaFiguresOut
    first_come: AgendaFiguresOut
    proven_optimal: bool
    checked: bool = Field(description="The independent checker agrees")
    breaches: list[str]


class CaseWaitOut(BaseModel):
    """One case's wait from its request to the start of support, in school days."""

    request_id: str
    case_id: str
    district: str
    need_type: str
    urgent: bool
    received_on: date
    meeting_date: date
    meeting_from: str = Field(description="decided_on (the outcome's day) or agreed_on")
    agreed_on: date
    start: date | None
    days_to_meeting: int
    days_to_agreement: int
    days_to_start: int | None
    whole_wait: int | None


class WaitSummaryOut(BaseModel):
    """The waits of one district, need type or urgency (school days; calendar for the median)."""

    group: str
    cases: int
    started: int
    mean_to_meeting: float | None
    mean_to_agreement: float | None
    mean_to_start: float | None
    median_whole: float | None
    p90_whole: float | None
    mean_whole: float | None
    median_whole_calendar: float | None


class WaitsOut(BaseModel):
    """The whole wait of every case with a request, and its summaries."""

    cases: list[CaseWaitOut]
    by_district: list[WaitSummaryOut]
    by_need_type: list[WaitSummaryOut]
    by_urgency: list[WaitSummaryOut]
