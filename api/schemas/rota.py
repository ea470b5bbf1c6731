"""Rota schemas: a solve request, the meetings, urgent-case openings and the score analysis."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import ConstraintScoreOut, DistrictName, Out, UtcTime

TimeLimit = Annotated[float, Field(gt=0, le=600, description="Seconds the solver may use")]


class RotaSolveIn(BaseModel):
    """Plan the rota of the county, or of one district (a coordinator's is always their own)."""

    model_config = ConfigDict(extra="forbid")

    district: DistrictName | None = None
    time_limit: TimeLimit = 30.0
    keep_close_to_current: bool = Field(
        default=True,
        description=(
            "Keep to the rota in use: this year's meetings are promises kept from `today` on, "
            "last year's weekdays and weeks are kept where they cost little"
        ),
    )
    today: date | None = Field(
        default=None,
        description="Meetings before this day never move (default: the real date in the scenario's year)",
    )
    free_from: date | None = Field(
        default=None, description="Published meetings from this day on may move"
    )
    free_groups: list[DistrictName] = Field(
        default_factory=list, max_length=200, description="Groups whose meetings may move"
    )


class MeetingOut(Out):
    """One LIFT meeting."""

    district: str
    group: str
    half_term: int
    date: date
    weekday: str
    start: str
    end: str
    venue: str
    slot: str
    week: int
    attendees: list[str]
    sequence: int = 0
    """How many times the published meeting has changed (the calendar event's SEQUENCE)."""


class RotaSourceOut(Out):
    """Which solved rota a district's meetings come from."""

    district: str
    rota_id: int
    created_at: UtcTime


class RotaOut(Out):
    """The rota in use for the districts you see (each district's newest solved rota)."""

    scenario_id: int
    sources: list[RotaSourceOut]
    meetings: list[MeetingOut]


class ReasonOut(Out):
    """Why some rule could not be kept, and what would fix it."""

    rule: str
    message: str
    fix: str
    district: str | None = None
    half_term: int | None = None


class RotaAnalysisOut(Out):
    """A solved rota's score: status, objective, bound, each soft rule's penalty, the checker's verdict."""

    rota_id: int
    created_at: UtcTime
    districts: list[str]
    status: str
    objective: float | None
    best_bound: float | None
    proven_optimal: bool
    wall_time: float
    constraints: list[ConstraintScoreOut]
    reasons: list[ReasonOut]
    check_ok: bool | None
    breaches: list[str]
    meetings: int
    explanations: dict[str, str] = Field(default_factory=dict)
    """Each rule by name in a plain sentence (`constraints[].description` states it with its formula)."""
    scoped: bool = False
    """True when it also covers districts you do not see: its county-wide figures (objective, bound,
    each rule's penalty, the checker's figures, breaches elsewhere) are left out and its counts are
    of your districts only."""


class OpenMeetingOut(Out):
    """A coming meeting an urgent case could go to, with the room it has left."""

    meeting: MeetingOut
    expected_cases: int
    spare_cases: int


class UrgentOpeningsOut(Out):
    """Where an urgent case from a school could go: the coming meetings with room, from a day."""

    school_urn: int
    school: str
    district: str
    on: date
    """The first day searched (the day asked for, moved into the scenario's year if outside it)."""
    year_first: date
    year_last: date
    note: str | None = None
    """Why `on` differs from the day asked for, in plain words."""
    reason: str | None = None
    """Why no meeting is listed, in plain words (none left in the year, or all full)."""
    meetings: list[OpenMeetingOut]
