"""Caseload schemas: plan and rebalance requests, the plan in use, its waiting list and changes."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.agreements import AgreementIn
from api.schemas.common import ConstraintScoreOut, DistrictName, Out, UtcTime

TimeLimit = Annotated[float, Field(gt=0, le=600, description="Seconds the solver may use")]


class CaseloadPlanIn(BaseModel):
    """Plan the caseload afresh for the county, or one district (a coordinator's is their own)."""

    model_config = ConfigDict(extra="forbid")

    district: DistrictName | None = None
    time_limit: TimeLimit = 30.0


class RebalanceIn(BaseModel):
    """Fit new agreements into the plan in use, never moving running support.

    New agreements are the open cases the plan does not hold yet, with any given here (stored first).
    """

    model_config = ConfigDict(extra="forbid")

    district: DistrictName | None = None
    time_limit: TimeLimit = 30.0
    agreements: list[AgreementIn] = Field(default_factory=list, max_length=200)
    today: date | None = Field(
        default=None,
        description=(
            "Support that started before this day is running and never moves "
            "(default: the real date in the scenario's year)"
        ),
    )


class AssignmentOut(Out):
    """Who supports a case, from when to when."""

    case_id: str
    district: str
    person_id: str
    team: str
    start: date
    end: date
    minutes_per_week: int
    travel_minutes: int
    status: str


class WaitingOut(Out):
    """A case not started: why, the earliest it could start, and what would start it sooner."""

    case_id: str
    district: str
    reason: str
    earliest_possible_start: date | None
    help: str | None


class ChangeOut(Out):
    """What a rebalance changed for a case."""

    case_id: str
    district: str
    before_person: str | None
    after_person: str | None
    before_start: date | None
    after_start: date | None
    reason: str
    kind: str = "broken"
    """new, earlier (good news), broken (a promise broken) or withdrawn (consent withdrawn)."""
    needed_by: str = ""
    """The cases (`;`-separated) that took the time a broken promise had."""


class PersonLoadOut(Out):
    """A person's caseload in the plan in use."""

    person_id: str
    name: str
    team: str
    minutes_per_week: int
    cases: int
    peak_minutes: int
    """Support plus travel minutes in their busiest week."""
    case_ids: list[str]
    load: list[int] = Field(default_factory=list)
    """Support plus travel minutes in each of `CaseloadOut.weeks` (their cases in every district)."""
    away: list[bool] = Field(default_factory=list)
    """For each of `CaseloadOut.weeks`: whether they are away some of that week."""


class CaseOut(Out):
    """An open case of the districts shown: its school, need, who supports it from when to when, and
    where it stands (planned, running, finished, stopped, waiting, without_consent or not_planned)."""

    case_id: str
    district: str
    school_urn: int
    school: str
    need_type: str
    priority: int
    urgent: bool
    agreed_on: date
    person_id: str | None = None
    person: str | None = None
    """The person's name."""
    team: str | None = None
    start: date | None = None
    end: date | None = None
    minutes_per_week: int
    status: str
    wait_kind: str | None = None
    """Why a waiting case waits: no_capacity, too_big, no_specialist, too_late or other."""
    reason: str | None = None


class CaseloadCountsOut(Out):
    """Every open case of the districts shown counted once: the parts add up to `total`."""

    total: int
    running: int
    planned: int
    finished: int
    stopped: int
    """Support stopped because consent was withdrawn."""
    waiting: int
    waiting_reasons: dict[str, int]
    """`waiting` split by `CaseOut.wait_kind` (only kinds with cases)."""
    without_consent: int
    not_planned: int
    """Agreed cases no plan holds yet (a rebalance adds them)."""


class PlanSourceOut(Out):
    """Which plan a district's caseload comes from."""

    district: str
    plan_id: int
    kind: str
    created_at: UtcTime


class CaseloadOut(Out):
    """The caseload in use for the districts you see (each district's newest plan)."""

    scenario_id: int
    sources: list[PlanSourceOut]
    assignments: list[AssignmentOut]
    waiting: list[WaitingOut]
    people: list[PersonLoadOut]
    changes: list[ChangeOut]
    """The changes of the newest rebalance among the sources."""
    not_in_plan: list[str]
    """Open cases no plan holds yet (a rebalance adds them)."""
    without_consent: list[WaitingOut] = Field(default_factory=list)
    """Cases whose consent is `no` (never planned, or withdrawn): on record, never waiting."""
    cases: list[CaseOut] = Field(default_factory=list)
    """Every open case of the districts shown, with where it stands."""
    counts: CaseloadCountsOut | None = None
    weeks: list[date] = Field(default_factory=list)
    """The Monday of each school week of the scenario's year (`PersonLoadOut.load` follows them)."""
    names: dict[str, str] = Field(default_factory=dict)
    """Each person named in this response: id to name."""


class CaseloadAnalysisOut(Out):
    """A plan's score: each rule's penalty, the checker's recomputation and the headline figures."""

    plan_id: int
    kind: str
    created_at: UtcTime
    districts: list[str]
    engine: str
    proven_optimal: bool
    gap: float | None
    wall_time: float
    constraints: list[ConstraintScoreOut]
    check_ok: bool
    breaches: list[str]
    checker: dict[str, int | None]
    agreements: int
    started: int
    waiting: int
    mean_wait_weeks: float | None
    moved: int | None
    proven_minimal: bool | None
    scoped: bool = False
    """True when it also covers districts you do not see: its county-wide figures (objective, bound,
    each rule's penalty, the checker's figures, breaches elsewhere) are left out and its counts are
    of your districts only."""


class CaseloadResultOut(Out):
    """A caseload job's plan: its analysis, and its rows in your districts."""

    analysis: CaseloadAnalysisOut
    assignments: list[AssignmentOut]
    waiting: list[WaitingOut]
    changes: list[ChangeOut]
