"""A case's record: its fields, the support planned, and its timeline in date order (agreed, each
change with who and when, each plan's change with its reason, started, reviews, finished)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from allocator.model import Scenario
from api.db.models import (
    AgreementRow,
    AssignmentRow,
    AuditRow,
    ChangeRow,
    DecisionRow,
    PlanRow,
    ReviewRow,
    User,
    WaitingRow,
)
from api.decisions import ACCEPT
from api.schemas.agreements import (
    AgreementOut,
    CaseRecordOut,
    FieldChangeOut,
    SupportOut,
    TimelineEventOut,
)
from api.services.words import dmy, in_words
from api.store import latest_plan_ids

LABELS = {
    "school_urn": "School",
    "need_type": "Need type",
    "sen_stage": "SEN stage",
    "lac": "Looked after",
    "consent": "Consent",
    "agreed_on": "Agreed on",
    "minutes_per_week": "Minutes a week",
    "weeks": "Weeks",
    "priority": "Priority",
    "closed_on": "Closed on",
}
"""Each agreement field's name for people."""
NO_REVIEWS = "No reviews recorded yet."
KIND_WORDS = {"entry": "Entry measure", "review": "Review", "exit": "Exit measure"}
"""Each kind of measure's title on the timeline."""
_ROLES = {
    "county_officer": "county officer",
    "district_coordinator": "coordinator",
    "viewer": "viewer",
}


def _shown_value(base: Scenario, name: str, value: Any) -> str:
    if value is None:
        return ""
    if name == "school_urn":
        school = base.school_by_urn.get(int(value))
        return school.name if school is not None else str(value)
    if name == "lac":
        yes = value.strip().lower() in ("yes", "true") if isinstance(value, str) else bool(value)
        return "yes" if yes else "no"
    if name in ("agreed_on", "closed_on"):
        return dmy(str(value))
    if name == "priority":
        return {1: "1 urgent", 3: "3 routine"}.get(int(value), str(value))
    return str(value)


def _who(user: User | None, actor: str) -> str:
    if user is None:
        return actor
    return f"{user.name} ({_ROLES.get(user.role, user.role)})"


def case_record(session: Session, base: Scenario, row: AgreementRow, today: date) -> CaseRecordOut:
    """A case's fields, the support of the plan in use, and every event of the case in date order:
    agreed, recorded, each change (audit log) and each rebalance change (accepted plans), planned,
    started, closed or finished) and each measure recorded at entry, a review or exit."""
    names = {p.person_id: p.name for p in base.people}
    school = base.school_by_urn.get(row.school_urn)
    audits = list(
        session.scalars(
            select(AuditRow)
            .where(
                AuditRow.scenario_id == row.scenario_id,
                AuditRow.entity == "agreement",
                AuditRow.entity_id == row.case_id,
            )
            .order_by(AuditRow.id)
        )
    )
    users = {
        u.id: u
        for u in session.scalars(
            select(User).where(User.id.in_(sorted({a.user_id for a in audits if a.user_id})))
        )
    }
    # As agreed: each field's value before its first change.
    first: dict[str, Any] = {}
    for entry in audits:
        if entry.action == "agreement.update" and entry.detail:
            for name, change in entry.detail.items():
                if isinstance(change, dict):
                    first.setdefault(name, change.get("from"))
    agreed = {
        name: first.get(name, getattr(row, name))
        for name in ("minutes_per_week", "weeks", "priority", "consent")
    }
    events: list[TimelineEventOut] = [
        TimelineEventOut(
            on=row.agreed_on,
            kind="agreed",
            title="Agreed at a LIFT meeting",
            detail=(
                f"{agreed['minutes_per_week']} minutes a week for {agreed['weeks']} weeks, "
                f"priority {_shown_value(base, 'priority', agreed['priority'])}, "
                f"consent {agreed['consent']}"
            ),
        )
    ]
    withdrawn_at: dict[int, datetime] = {}
    for entry in audits:
        who = _who(users.get(entry.user_id) if entry.user_id else None, entry.actor)
        detail = entry.detail or {}
        if entry.action == "agreement.create":
            events.append(
                TimelineEventOut(
                    on=entry.at.date(), at=entry.at, kind="recorded", title="Recorded", by=who
                )
            )
        elif entry.action == "agreement.update":
            changes = [
                FieldChangeOut(
                    field=name,
                    label=LABELS.get(name, name),
                    before=_shown_value(base, name, change.get("from")),
                    after=_shown_value(base, name, change.get("to")),
                )
                for name, change in detail.items()
                if isinstance(change, dict)
            ]
            events.append(
                TimelineEventOut(
                    on=entry.at.date(),
                    at=entry.at,
                    kind="changed",
                    title="Agreement changed",
                    detail="; ".join(f"{c.label}: {c.before} → {c.after}" for c in changes)
                    or "nothing changed",
                    by=who,
                    changes=changes,
                )
            )
        elif entry.action == "agreement.close":
            events.append(
                TimelineEventOut(
                    on=entry.at.date(),
                    at=entry.at,
                    kind="closed",
                    title="Closed",
                    detail=f"support finished on {dmy(detail.get('closed_on'))}",
                    by=who,
                )
            )
        elif entry.action == "caseload.consent_withdrawn" and "plan_id" in detail:
            withdrawn_at.setdefault(int(detail["plan_id"]), entry.at)
    events += _plan_events(session, row, names, withdrawn_at)
    reviews = _review_events(session, row)
    events += reviews
    support, waiting, in_use_at = _in_use(session, row, names)
    if support is not None and in_use_at is not None:
        events.append(
            TimelineEventOut(
                on=in_use_at.date(),
                at=in_use_at,
                kind="planned",
                title="Planned (the plan in use)",
                detail=(
                    f"with {support.person_name} from {dmy(support.start)} to {dmy(support.end)}"
                ),
            )
        )
    if waiting is not None and in_use_at is not None:
        events.append(
            TimelineEventOut(
                on=in_use_at.date(), at=in_use_at, kind="waiting", title="Waiting", detail=waiting
            )
        )
    if support is not None:
        if support.start <= today:
            events.append(
                TimelineEventOut(
                    on=support.start,
                    kind="started",
                    title="Support started",
                    detail=f"with {support.person_name}",
                )
            )
        if support.end < min(today, row.closed_on or today):
            events.append(
                TimelineEventOut(
                    on=support.end,
                    kind="finished",
                    title="Support ended",
                    detail=f"with {support.person_name}"
                    + (" (stopped: consent withdrawn)" if support.status == "withdrawn" else ""),
                )
            )
    if row.closed_on is not None:
        events.append(
            TimelineEventOut(
                on=row.closed_on, kind="finished", title="Finished", detail="the case is closed"
            )
        )
    order = {k: i for i, k in enumerate(KINDS)}
    events.sort(key=lambda e: (e.on, e.at is None, e.at or datetime.min, order[e.kind]))
    return CaseRecordOut(
        agreement=AgreementOut.model_validate(row),
        school_name=school.name if school is not None else str(row.school_urn),
        support=support,
        waiting=waiting,
        events=events,
        reviews=_reviews_words(reviews),
    )


def _review_events(session: Session, row: AgreementRow) -> list[TimelineEventOut]:
    """Each measure recorded for the case: its kind, measure and value (and note)."""
    found = session.scalars(
        select(ReviewRow)
        .where(ReviewRow.scenario_id == row.scenario_id, ReviewRow.case_id == row.case_id)
        .order_by(ReviewRow.date, ReviewRow.id)
    )
    return [
        TimelineEventOut(
            on=r.date,
            kind="review",
            title=KIND_WORDS.get(r.kind, r.kind),
            detail=f"{r.measure}: {r.value:g}" + (f" ({r.note})" if r.note else ""),
        )
        for r in found
    ]


def _reviews_words(events: Sequence[TimelineEventOut]) -> str:
    """How many measures are recorded, of which kind, in words."""
    if not events:
        return NO_REVIEWS
    counts = {
        title: sum(e.title == title for e in events)
        for title in KIND_WORDS.values()
        if any(e.title == title for e in events)
    }
    parts = ", ".join(f"{n} {title.lower()}{'s' if n > 1 else ''}" for title, n in counts.items())
    return f"{len(events)} recorded: {parts}."


KINDS = (
    "agreed",
    "recorded",
    "changed",
    "rebalanced",
    "planned",
    "waiting",
    "started",
    "review",
    "closed",
    "finished",
)
"""Event kinds, in the order they are listed on the same day."""


def _accepted(session: Session, scenario_id: int, district: str) -> dict[int, datetime]:
    """When each caseload plan of `district` was first accepted there."""
    found: dict[int, datetime] = {}
    for source, at in session.execute(
        select(DecisionRow.source_id, DecisionRow.decided_at)
        .where(
            DecisionRow.scenario_id == scenario_id,
            DecisionRow.job == "caseload",
            DecisionRow.action == ACCEPT,
            DecisionRow.district == district,
        )
        .order_by(DecisionRow.id)
    ):
        found.setdefault(source, at)
    return found


def _plan_events(
    session: Session, row: AgreementRow, names: dict[str, str], withdrawn_at: dict[int, datetime]
) -> list[TimelineEventOut]:
    """Each change of an accepted plan touching the case, with its reason."""
    accepted = _accepted(session, row.scenario_id, row.district)
    if not accepted:
        return []
    kinds = {
        p.id: p.kind for p in session.scalars(select(PlanRow).where(PlanRow.id.in_(list(accepted))))
    }
    events = []
    for change in session.scalars(
        select(ChangeRow)
        .where(
            ChangeRow.plan_id.in_(list(accepted)),
            ChangeRow.case_id == row.case_id,
            ChangeRow.district == row.district,
        )
        .order_by(ChangeRow.id)
    ):
        at = (
            withdrawn_at.get(change.plan_id, accepted[change.plan_id])
            if change.kind == "withdrawn"
            else accepted[change.plan_id]
        )
        moves = []
        if change.kind == "broken":  # its reason names the cause; say what moved
            if change.before_person != change.after_person:
                before = change.before_person or ""
                after = change.after_person or ""
                moves.append(
                    f"{names.get(before, before or 'nobody')} → {names.get(after, after or 'nobody')}"
                )
            if change.before_start != change.after_start:
                moves.append(
                    f"start {dmy(change.before_start) or 'none'} → "
                    f"{dmy(change.after_start) or 'none'}"
                )
        title = {
            "new": "Planned by a rebalance",
            "earlier": "Brought forward by a rebalance",
            "broken": "Moved by a rebalance",
            "withdrawn": "Support stopped: consent withdrawn",
        }.get(change.kind, "Changed by a rebalance")
        if kinds.get(change.plan_id) != "rebalance" and change.kind != "withdrawn":
            title = "Changed by a plan"
        reason = in_words(change.reason, names)
        events.append(
            TimelineEventOut(
                on=at.date(),
                at=at,
                kind="rebalanced",
                title=title,
                detail="; ".join([reason, *moves]) if reason else "; ".join(moves),
            )
        )
    return events


def _in_use(
    session: Session, row: AgreementRow, names: dict[str, str]
) -> tuple[SupportOut | None, str | None, datetime | None]:
    """The case's support, or why it waits, in the plan in use of its district; and when that plan
    was accepted."""
    plan_id = latest_plan_ids(session, row.scenario_id, [row.district]).get(row.district)
    if plan_id is None:
        return None, None, None
    at = _accepted(session, row.scenario_id, row.district).get(plan_id)
    found = session.scalars(
        select(AssignmentRow).where(
            AssignmentRow.plan_id == plan_id,
            AssignmentRow.case_id == row.case_id,
            AssignmentRow.district == row.district,
        )
    ).first()
    if found is not None:
        return (
            SupportOut(
                person_id=found.person_id,
                person_name=names.get(found.person_id, found.person_id),
                team=found.team,
                start=found.start,
                end=found.end,
                status=found.status,
            ),
            None,
            at,
        )
    waiting = session.scalars(
        select(WaitingRow).where(
            WaitingRow.plan_id == plan_id,
            WaitingRow.case_id == row.case_id,
            WaitingRow.district == row.district,
        )
    ).first()
    return None, (in_words(waiting.reason, names) if waiting is not None else None), at
