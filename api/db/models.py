"""The service's tables. Children appear only as pseudonymous case ids; people as staff ids."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAME = 200
"""Longest district, team, group or venue name (as the domain model allows)."""


def utcnow() -> datetime:
    """Now in UTC, without a time zone (stored as UTC everywhere)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class User(Base):
    """A person who signs in with a bearer token (stored only as its SHA-256) until it expires or
    is revoked."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    district: Mapped[str | None] = mapped_column(String(NAME))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    """False once revoked."""
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    """The token answers 401 from this time on (UTC)."""
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    """When the token last signed a request in (to the hour, to keep reads free of writes)."""
    last_scenario_id: Mapped[int | None] = mapped_column(Integer)
    """The scenario this user chose last on the page (no foreign key: a deleted scenario is skipped)."""


class ScenarioRow(Base):
    """A county scenario: everything of the folder except agreements and plans (stored apart)."""

    __tablename__ = "scenarios"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME))
    academic_year: Mapped[str] = mapped_column(String(16))
    districts: Mapped[list[Any]] = mapped_column(JSON)
    content: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    """The validated `Scenario` as JSON, with no agreements and no current plan (loaded when used)."""
    notes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    live: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """The scenario in use in the county (at most one; users land on it until they choose another)."""
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class AgreementRow(Base):
    """One child's case as agreed at a LIFT meeting (one row per case of a scenario)."""

    __tablename__ = "agreements"
    __table_args__ = (
        UniqueConstraint("scenario_id", "case_id", name="uq_agreements_case"),
        Index("ix_agreements_scope", "scenario_id", "district", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"))
    case_id: Mapped[str] = mapped_column(String(64))
    district: Mapped[str] = mapped_column(String(NAME))
    school_urn: Mapped[int] = mapped_column(Integer)
    need_type: Mapped[str] = mapped_column(String(8))
    sen_stage: Mapped[str] = mapped_column(String(16))
    lac: Mapped[bool] = mapped_column(Boolean, default=False)
    consent: Mapped[str] = mapped_column(Text)
    """`yes`, `no` or `exception: <why>`: as long as the scenario format allows (PostgreSQL enforces
    a VARCHAR's length, SQLite does not)."""
    agreed_on: Mapped[date] = mapped_column(Date)
    minutes_per_week: Mapped[int] = mapped_column(Integer)
    weeks: Mapped[int] = mapped_column(Integer)
    priority: Mapped[int] = mapped_column(Integer, default=3)
    request_id: Mapped[str | None] = mapped_column(String(64))
    """The request (access form) this agreement came from, when known."""
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The written agreement's text (agreement_details.csv's columns but case_id), when recorded."""
    status: Mapped[str] = mapped_column(String(16), default="open")
    """open, or closed (finished: kept until purged after its retention)."""
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class PlanRow(Base):
    """A caseload plan (imported, planned or rebalanced) of some districts of a scenario."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"))
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))
    """import, plan or rebalance."""
    districts: Mapped[list[Any]] = mapped_column(JSON)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    assignments: Mapped[list[AssignmentRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="AssignmentRow.id"
    )
    waiting: Mapped[list[WaitingRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="WaitingRow.id"
    )
    changes: Mapped[list[ChangeRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ChangeRow.id"
    )


class AssignmentRow(Base):
    """Who supports a case of a plan, from when to when."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[str] = mapped_column(String(64))
    district: Mapped[str] = mapped_column(String(NAME))
    person_id: Mapped[str] = mapped_column(String(64))
    team: Mapped[str] = mapped_column(String(NAME))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    minutes_per_week: Mapped[int] = mapped_column(Integer)
    travel_minutes: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="planned")


class WaitingRow(Base):
    """A case of a plan that is not started, with the reason and what would start it."""

    __tablename__ = "waiting"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[str] = mapped_column(String(64))
    district: Mapped[str] = mapped_column(String(NAME))
    reason: Mapped[str] = mapped_column(Text)
    earliest_possible_start: Mapped[date | None] = mapped_column(Date)
    help: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """What would start it sooner (team, extra minutes a week, from when), if anything would."""


class ChangeRow(Base):
    """What a rebalance changed for a case already planned (or newly planned)."""

    __tablename__ = "changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[str] = mapped_column(String(64))
    district: Mapped[str] = mapped_column(String(NAME))
    before_person: Mapped[str | None] = mapped_column(String(64))
    after_person: Mapped[str | None] = mapped_column(String(64))
    before_start: Mapped[date | None] = mapped_column(Date)
    after_start: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16), default="broken", server_default="broken")
    """new, earlier (good news), broken (a promise broken) or withdrawn (consent withdrawn)."""
    needed_by: Mapped[str] = mapped_column(Text, default="", server_default="")
    """The cases (`;`-separated ids) that took the time a broken promise had."""


class RotaRow(Base):
    """A solved meeting rota of some districts of a scenario."""

    __tablename__ = "rotas"

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"))
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    districts: Mapped[list[Any]] = mapped_column(JSON)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    meetings: Mapped[list[MeetingRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="MeetingRow.id"
    )


class MeetingRow(Base):
    """One LIFT meeting of a rota."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    rota_id: Mapped[int] = mapped_column(ForeignKey("rotas.id", ondelete="CASCADE"), index=True)
    district: Mapped[str] = mapped_column(String(NAME))
    group: Mapped[str] = mapped_column(String(NAME))
    half_term: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column("date", Date)
    weekday: Mapped[str] = mapped_column(String(16))
    start: Mapped[str] = mapped_column(String(5))
    end: Mapped[str] = mapped_column(String(5))
    venue: Mapped[str] = mapped_column(String(NAME))
    slot: Mapped[str] = mapped_column(String(NAME))
    week: Mapped[int] = mapped_column(Integer)
    attendees: Mapped[str] = mapped_column(Text, default="")
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """How many times the published meeting has changed (the calendar event's SEQUENCE)."""


class DecisionRow(Base):
    """Who accepted or rejected a proposal (a rota or a caseload plan) for one district, and when.

    The rota or plan in use for a district is the source of its newest `accept`."""

    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_scope", "scenario_id", "job", "district"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"))
    job: Mapped[str] = mapped_column(String(16))
    """rota or caseload."""
    source_id: Mapped[int] = mapped_column(Integer)
    """The rota's id (job `rota`) or the plan's id (job `caseload`)."""
    district: Mapped[str] = mapped_column(String(NAME))
    action: Mapped[str] = mapped_column(String(16))
    """accept or reject."""
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class OutcomeRow(Base):
    """What a LIFT meeting (or the county route) decided for a request, and when."""

    __tablename__ = "request_outcomes"
    __table_args__ = (
        UniqueConstraint("scenario_id", "request_id", name="uq_request_outcomes_request"),
        Index("ix_request_outcomes_scope", "scenario_id", "district"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"))
    request_id: Mapped[str] = mapped_column(String(64))
    district: Mapped[str] = mapped_column(String(NAME))
    outcome: Mapped[str] = mapped_column(String(32))
    """advice, school_to_school, training, specialist (an agreement follows) or a referral on."""
    decided_on: Mapped[date] = mapped_column(Date)
    case_id: Mapped[str | None] = mapped_column(String(64))
    """The agreement a `specialist` outcome became, once it exists."""
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ReviewRow(Base):
    """A measure taken for a case at its entry, a review, or its exit."""

    __tablename__ = "case_reviews"
    __table_args__ = (Index("ix_case_reviews_case", "scenario_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"))
    case_id: Mapped[str] = mapped_column(String(64))
    district: Mapped[str] = mapped_column(String(NAME))
    date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    """entry, review or exit."""
    measure: Mapped[str] = mapped_column(String(100))
    value: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class StaffingRow(Base):
    """A staffing formula's result for a scenario."""

    __tablename__ = "staffing_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(100))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class SimulationRow(Base):
    """A simulated year (`allocator.simulate`): its settings and summary rows, not per-request waits."""

    __tablename__ = "simulations"

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(
        ForeignKey("scenarios.id", ondelete="CASCADE"), index=True
    )
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Policies, seeds, arrivals, time limits and the variants (name, saved staffing id)."""
    summary: Mapped[list[Any]] = mapped_column(JSON)
    """The `SimSummaryRow`s as JSON."""
    printed: Mapped[str] = mapped_column(Text, default="")
    """The printed summary in plain words."""
    seconds: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class JobRow(Base):
    """A solve job: what it runs, how far it has got, and where its result went."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    district: Mapped[str | None] = mapped_column(String(NAME))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str] = mapped_column(String(200), default="")
    objective: Mapped[float | None] = mapped_column(Float)
    best_bound: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class AuditRow(Base):
    """Who changed what and when; `detail` never holds names."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    scenario_id: Mapped[int | None] = mapped_column(Integer)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
