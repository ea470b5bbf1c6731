"""Proposals per district: what a rota or caseload plan would change against the one in use, and the
decisions (accept, reject, roll back) that put one in use.

A rota or plan is a proposal for a district it covers when its job was the county's or that district's
own; it is pending there while it is newer than the one in use and has no decision there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from allocator.io.notes import SchoolNote, school_notes
from allocator.model import PlanStatus, Scenario
from allocator.model.caseload_result import Change
from allocator.model.rota_result import MeetingChange, MeetingId, Rota
from api import audit
from api.convert import to_meeting
from api.db.models import (
    AssignmentRow,
    DecisionRow,
    JobRow,
    MeetingRow,
    PlanRow,
    RotaRow,
    User,
    WaitingRow,
)
from api.decisions import ACCEPT, REJECT, Job, accepted_decisions, decide, source_table
from api.schemas.proposals import (
    CaseDifferenceOut,
    DecisionOut,
    MeetingDifferenceOut,
    ProposalDetailOut,
    ProposalOut,
)
from api.scope import Scope
from api.services.caseload import consent_reason
from api.services.errors import Conflict, NotFound
from api.services.words import in_words
from api.store import open_case_ids

Source = PlanRow | RotaRow


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all())


def _job_districts(
    session: Session, sources: Sequence[Source]
) -> dict[str, tuple[str | None, str]]:
    """Each source's job: (its district, its message)."""
    ids = [s.job_id for s in sources if s.job_id is not None]
    if not ids:
        return {}
    rows = session.execute(
        select(JobRow.id, JobRow.district, JobRow.message).where(JobRow.id.in_(ids))
    ).all()
    return {job_id: (district, message) for job_id, district, message in rows}


def _covers(source: Source, district: str, jobs: dict[str, tuple[str | None, str]]) -> bool:
    """Whether `source` is a proposal for `district`: it covers it, and its job was the county's or
    that district's (a district's job never proposes for its neighbours)."""
    if district not in source.districts:
        return False
    job_district = jobs.get(source.job_id or "", (None, ""))[0]
    return job_district is None or job_district == district


def get_source(session: Session, scenario_id: int, job: Job, source_id: int) -> Source:
    """A rota or plan of the scenario; NotFound otherwise."""
    row: Source | None = (
        session.get(RotaRow, source_id) if job == "rota" else session.get(PlanRow, source_id)
    )
    if row is None or row.scenario_id != scenario_id:
        raise NotFound(f"{'rota' if job == 'rota' else 'plan'} {source_id} not found")
    return row


def _check_covers(session: Session, source: Source, district: str) -> None:
    if not _covers(source, district, _job_districts(session, [source])):
        raise NotFound(f"it proposes nothing for {district}")


# Figures -----------------------------------------------------------------------------------------


def _plan_figures(plan: PlanRow, district: str) -> dict[str, int | None]:
    changes = [c for c in plan.changes if c.district == district]
    return {
        "started": sum(
            1
            for a in plan.assignments
            if a.district == district and a.status != PlanStatus.WITHDRAWN.value
        ),
        "waiting": sum(
            1 for w in plan.waiting if w.district == district and not consent_reason(w.reason)
        ),
        "without_consent": sum(
            1 for w in plan.waiting if w.district == district and consent_reason(w.reason)
        ),
        "broken": sum(1 for c in changes if c.kind == "broken")
        if plan.kind == "rebalance"
        else None,
        "earlier": sum(1 for c in changes if c.kind == "earlier")
        if plan.kind == "rebalance"
        else None,
        "new": sum(1 for c in changes if c.kind == "new") if plan.kind == "rebalance" else None,
    }


def _rota_figures(rota: RotaRow, district: str) -> dict[str, int | None]:
    changes = [c for c in rota.summary.get("changes", []) if c.get("district") == district]
    return {
        "meetings": sum(1 for m in rota.meetings if m.district == district),
        "moved": sum(1 for c in changes if c.get("after") is not None),
        "cancelled": sum(1 for c in changes if c.get("after") is None),
    }


def _proposal_out(
    job: Job,
    source: Source,
    district: str,
    names: dict[int, str],
    jobs: dict[str, tuple[str | None, str]],
) -> ProposalOut:
    figures = (
        _rota_figures(source, district)
        if isinstance(source, RotaRow)
        else _plan_figures(source, district)
    )
    return ProposalOut(
        id=source.id,
        job=job,
        district=district,
        kind=source.kind if isinstance(source, PlanRow) else "rota",
        job_id=source.job_id,
        created_at=source.created_at,
        created_by=names.get(source.created_by) if source.created_by is not None else None,
        message=jobs.get(source.job_id or "", (None, ""))[1],
        figures=figures,
    )


# Listing ----------------------------------------------------------------------------------------


def pending(
    session: Session, scenario_id: int, job: Job, districts: Sequence[str]
) -> list[ProposalOut]:
    """Each district's pending proposals, newest first."""
    table = source_table(job)
    sources: list[Source] = list(
        session.scalars(
            select(table).where(table.scenario_id == scenario_id).order_by(table.id.desc())
        )
    )
    jobs = _job_districts(session, sources)
    names = _names(session, {s.created_by for s in sources})
    in_use = accepted_decisions(session, scenario_id, job, districts)
    decided = set(
        session.execute(
            select(DecisionRow.source_id, DecisionRow.district).where(
                DecisionRow.scenario_id == scenario_id, DecisionRow.job == job
            )
        ).all()
    )
    found = []
    for district in districts:
        current = in_use.get(district)
        for source in sources:
            if current is not None and source.id <= current.source_id:
                break
            if (source.id, district) not in decided and _covers(source, district, jobs):
                found.append(_proposal_out(job, source, district, names, jobs))
    return found


def _status(session: Session, job: Job, source: Source, district: str) -> tuple[str, int | None]:
    current = accepted_decisions(session, source.scenario_id, job, [district]).get(district)
    in_use = current.source_id if current is not None else None
    actions = set(
        session.scalars(
            select(DecisionRow.action).where(
                DecisionRow.scenario_id == source.scenario_id,
                DecisionRow.job == job,
                DecisionRow.source_id == source.id,
                DecisionRow.district == district,
            )
        )
    )
    if in_use == source.id:
        return "accepted", in_use
    if ACCEPT in actions:
        return "superseded", in_use
    if REJECT in actions:
        return "rejected", in_use
    return "pending", in_use


# Differences ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseDifference:
    """A case a plan changes against the plan in use."""

    kind: str
    case_id: str
    before_person: str | None
    after_person: str | None
    before_start: Any
    after_start: Any
    reason: str
    needed_by: str = ""

    def change(self) -> Change:
        """As the domain's change (a case newly held but waiting is `new` with no start)."""
        return Change(
            case_id=self.case_id,
            before_person=self.before_person,
            after_person=self.after_person,
            before_start=self.before_start,
            after_start=self.after_start,
            kind="new" if self.kind == "waiting" else self.kind,
            needed_by=self.needed_by,
            reason=self.reason,
        )


def _rows_in(
    session: Session, plan_id: int, district: str, cases: set[str]
) -> tuple[dict[str, AssignmentRow], dict[str, WaitingRow]]:
    assignments = session.scalars(
        select(AssignmentRow).where(
            AssignmentRow.plan_id == plan_id, AssignmentRow.district == district
        )
    )
    waiting = session.scalars(
        select(WaitingRow).where(WaitingRow.plan_id == plan_id, WaitingRow.district == district)
    )
    return (
        {a.case_id: a for a in assignments if a.case_id in cases},
        {w.case_id: w for w in waiting if w.case_id in cases},
    )


def case_differences(
    session: Session, plan: PlanRow, district: str, in_use: int | None
) -> list[CaseDifference]:
    """Each open case of `district` that `plan` starts, moves, stops or newly holds against the plan
    in use (`in_use`), with the plan's reason where it gave one for that very change."""
    cases = open_case_ids(session, plan.scenario_id, [district])
    after, after_waiting = _rows_in(session, plan.id, district, cases)
    before, before_waiting = (
        _rows_in(session, in_use, district, cases) if in_use is not None else ({}, {})
    )
    logged = {c.case_id: c for c in plan.changes if c.district == district}
    found = []
    for case_id in sorted(set(after) | set(before) | set(after_waiting)):
        b, a = before.get(case_id), after.get(case_id)
        log = logged.get(case_id)
        if b is not None and a is not None:
            if a.status == PlanStatus.WITHDRAWN.value and b.status != a.status:
                kind = "withdrawn"
            elif (b.person_id, b.start) == (a.person_id, a.start):
                continue
            elif b.person_id == a.person_id and a.start < b.start:
                kind = "earlier"
            else:
                kind = "broken"
        elif a is not None:
            kind = "new"
        elif b is not None:
            kind = "withdrawn" if log is not None and log.kind == "withdrawn" else "broken"
        elif case_id in before_waiting:
            continue  # waiting in both
        else:
            kind = "waiting"
        same = log is not None and (log.before_person, log.before_start) == (
            b.person_id if b else None,
            b.start if b else None,
        )
        waiting = after_waiting.get(case_id)
        if same and log is not None:
            reason, needed_by = log.reason, log.needed_by or ""
        elif kind == "waiting" and waiting is not None:
            reason, needed_by = waiting.reason, ""
        elif kind == "new":
            reason, needed_by = "not started in the plan in use; this plan starts it", ""
        elif kind == "earlier":
            reason, needed_by = "this plan starts it sooner with the same person", ""
        elif b is not None and a is None and waiting is not None:
            reason, needed_by = waiting.reason, ""
        else:
            reason, needed_by = "this plan was made afresh: the case was planned again", ""
        found.append(
            CaseDifference(
                kind=kind,
                case_id=case_id,
                before_person=b.person_id if b else None,
                after_person=a.person_id if a else None,
                before_start=b.start if b else None,
                after_start=a.start if a else None,
                reason=reason,
                needed_by=needed_by,
            )
        )
    return found


def _plan_in_use_figures(
    session: Session, in_use: int | None, district: str
) -> dict[str, int | None]:
    if in_use is None:
        return {"started": 0, "waiting": 0, "without_consent": 0, "broken": 0}
    plan = session.get(PlanRow, in_use)
    figures = _plan_figures(plan, district) if plan is not None else {}
    kept = ("started", "waiting", "without_consent")
    return {**{k: figures.get(k, 0) for k in kept}, "broken": 0}


def caseload_detail(
    session: Session, base: Scenario, plan: PlanRow, district: str
) -> ProposalDetailOut:
    """A plan's differences against the plan in use in `district`, and the figures of both."""
    _check_covers(session, plan, district)
    status, in_use = _status(session, "caseload", plan, district)
    if status == "accepted":
        # In use: its differences are against the version it replaced.
        in_use = _previous_version(session, "caseload", plan, district)
    jobs = _job_districts(session, [plan])
    names = _names(session, {plan.created_by})
    people = {p.person_id: p.name for p in base.people}
    found = case_differences(session, plan, district, in_use)
    before = _plan_in_use_figures(session, in_use, district)
    figures = _plan_figures(plan, district)
    after = {
        "started": figures["started"],
        "waiting": figures["waiting"],
        "without_consent": figures["without_consent"],
        "broken": sum(1 for d in found if d.kind == "broken"),
        "earlier": sum(1 for d in found if d.kind == "earlier"),
        "new": sum(1 for d in found if d.kind == "new"),
    }
    return ProposalDetailOut(
        proposal=_proposal_out("caseload", plan, district, names, jobs),
        status=status,
        in_use_id=in_use,
        before=before,
        after=after,
        cases=[
            CaseDifferenceOut(
                kind=d.kind,
                case_id=d.case_id,
                before_person=d.before_person,
                before_name=people.get(d.before_person or ""),
                after_person=d.after_person,
                after_name=people.get(d.after_person or ""),
                before_start=d.before_start,
                after_start=d.after_start,
                reason=in_words(d.reason, people),
                needed_by=d.needed_by,
            )
            for d in found
        ],
        meetings=[],
    )


def _previous_version(session: Session, job: Job, source: Source, district: str) -> int | None:
    """The source accepted in `district` before `source`'s newest acceptance (None: none)."""
    rows = list(
        session.scalars(
            select(DecisionRow)
            .where(
                DecisionRow.scenario_id == source.scenario_id,
                DecisionRow.job == job,
                DecisionRow.district == district,
                DecisionRow.action == ACCEPT,
            )
            .order_by(DecisionRow.id.desc())
        )
    )
    table = source_table(job)
    existing = set(
        session.scalars(select(table.id).where(table.id.in_({r.source_id for r in rows})))
    )
    seen = False
    for row in rows:
        if row.source_id == source.id:
            seen = True
        elif seen and row.source_id in existing:
            return row.source_id
    return None


def school_notes_of(
    session: Session, scenario: Scenario, plan: PlanRow, district: str
) -> list[SchoolNote]:
    """A note per school of `district` of what `plan` changes for its pupils (against the plan in use,
    or once accepted, against the version it replaced)."""
    _check_covers(session, plan, district)
    status, in_use = _status(session, "caseload", plan, district)
    if status == "accepted":
        in_use = _previous_version(session, "caseload", plan, district)
    changes = [d.change() for d in case_differences(session, plan, district, in_use)]
    return [n for n in school_notes(changes, scenario) if n.district == district]


def _rota_of(rows: Sequence[MeetingRow]) -> dict[MeetingId, MeetingRow]:
    by_id = Rota(meetings=tuple(to_meeting(r) for r in rows)).numbered()
    lookup = {(r.group, r.half_term, r.day, r.start): r for r in rows}
    return {
        key: lookup[(m.group, m.half_term, m.date, m.start.strftime("%H:%M"))]
        for key, m in by_id.items()
    }


def rota_detail(session: Session, rota: RotaRow, district: str) -> ProposalDetailOut:
    """A rota's meetings moved, cancelled or added against the rota in use in `district`."""
    _check_covers(session, rota, district)
    status, in_use = _status(session, "rota", rota, district)
    if status == "accepted":
        in_use = _previous_version(session, "rota", rota, district)
    before_rows = (
        list(
            session.scalars(
                select(MeetingRow).where(
                    MeetingRow.rota_id == in_use, MeetingRow.district == district
                )
            )
        )
        if in_use is not None
        else []
    )
    after_rows = [m for m in rota.meetings if m.district == district]
    before, after = _rota_of(before_rows), _rota_of(after_rows)
    reasons: dict[MeetingId, str] = {}
    for raw in rota.summary.get("changes", []):
        change = MeetingChange.model_validate(raw)
        reasons[change.meeting_id] = change.reason
    found = []
    for key in sorted(set(before) | set(after), key=lambda k: (k[1], k[0], k[2])):
        b, a = before.get(key), after.get(key)
        if b is not None and a is not None:
            if (b.day, b.slot, b.start) == (a.day, a.slot, a.start):
                continue
            kind = "earlier" if a.day < b.day else "later" if a.day > b.day else "moved"
        else:
            kind = "cancelled" if a is None else "new"
        default = {
            "new": "a meeting the rota in use does not have",
            "cancelled": "the meeting is no longer in the rota",
        }.get(kind, "re-planned")
        found.append(
            MeetingDifferenceOut(
                kind=kind,
                group=key[0],
                half_term=key[1],
                index=key[2],
                before_date=b.day if b else None,
                before_slot=b.slot if b else None,
                after_date=a.day if a else None,
                after_slot=a.slot if a else None,
                reason=reasons.get(key, default),
            )
        )
    jobs = _job_districts(session, [rota])
    names = _names(session, {rota.created_by})
    figures = _rota_figures(rota, district)
    return ProposalDetailOut(
        proposal=_proposal_out("rota", rota, district, names, jobs),
        status=status,
        in_use_id=in_use,
        before={"meetings": len(before_rows)},
        after={
            "meetings": figures["meetings"],
            "moved": sum(1 for d in found if d.kind in ("earlier", "later", "moved")),
            "cancelled": sum(1 for d in found if d.kind == "cancelled"),
            "new": sum(1 for d in found if d.kind == "new"),
        },
        cases=[],
        meetings=found,
    )


# Decisions --------------------------------------------------------------------------------------


def decide_on(
    session: Session,
    scenario_id: int,
    job: Job,
    source: Source,
    district: str,
    action: str,
    user: User,
    *,
    rollback_of: int | None = None,
) -> DecisionRow:
    """Accept or reject `source` for `district` (audited). Accepting puts it in use at once."""
    _check_covers(session, source, district)
    current = accepted_decisions(session, scenario_id, job, [district]).get(district)
    if current is not None and current.source_id == source.id:
        raise Conflict(f"it is already in use in {district}")
    if action == ACCEPT and rollback_of is None:
        _check_not_stale(source, district, current)
    row = decide(session, scenario_id, job, source.id, district, action, user)
    detail: dict[str, Any] = {"district": district, "decision_id": row.id}
    if rollback_of is not None:
        detail["rollback_of"] = rollback_of
    verb = "rollback" if rollback_of is not None else action
    entity = "rota" if job == "rota" else "plan"
    audit.record(session, user, f"{job}.{verb}", entity, source.id, scenario_id, detail)
    return row


def _check_not_stale(source: Source, district: str, current: DecisionRow | None) -> None:
    """A caseload proposal made from a plan no longer in use in `district` would silently undo what
    was accepted since: refuse it (a rollback is the way back to an older version)."""
    if not isinstance(source, PlanRow):
        return
    based_on = source.summary.get("based_on")
    if based_on is None:
        return  # made before proposals recorded their basis
    was = based_on.get(district)
    now = current.source_id if current is not None else None
    if was != now:
        raise Conflict(
            f"this proposal was made from an older plan of {district}; another plan has been "
            "accepted since, so accepting this one would undo it. Run the plan or rebalance again"
        )


def versions(
    session: Session, scenario_id: int, job: Job, districts: Sequence[str]
) -> list[DecisionOut]:
    """The accepted versions of `districts`, newest first, the one in use marked."""
    rows = list(
        session.scalars(
            select(DecisionRow)
            .where(
                DecisionRow.scenario_id == scenario_id,
                DecisionRow.job == job,
                DecisionRow.action == ACCEPT,
                DecisionRow.district.in_(list(districts)),
            )
            .order_by(DecisionRow.id.desc())
        )
    )
    return _decisions_out(session, scenario_id, job, rows, districts)


def _decisions_out(
    session: Session,
    scenario_id: int,
    job: Job,
    rows: Sequence[DecisionRow],
    districts: Sequence[str],
) -> list[DecisionOut]:
    in_use = {r.id for r in accepted_decisions(session, scenario_id, job, districts).values()}
    ids = {r.source_id for r in rows}
    sources: dict[int, Source] = (
        {s.id: s for s in session.scalars(select(RotaRow).where(RotaRow.id.in_(ids)))}
        if job == "rota"
        else {s.id: s for s in session.scalars(select(PlanRow).where(PlanRow.id.in_(ids)))}
    )
    names = _names(session, {r.decided_by for r in rows})
    out = []
    for row in rows:
        source = sources.get(row.source_id)
        out.append(
            DecisionOut(
                id=row.id,
                job=row.job,
                source_id=row.source_id,
                district=row.district,
                action=row.action,
                decided_by=names.get(row.decided_by) if row.decided_by is not None else None,
                decided_at=row.decided_at,
                in_use=row.id in in_use,
                kind=(source.kind if isinstance(source, PlanRow) else "rota") if source else None,
                created_at=source.created_at if source is not None else None,
            )
        )
    return out


def decision_out(session: Session, row: DecisionRow) -> DecisionOut:
    """One decision for a response."""
    job: Job = "rota" if row.job == "rota" else "caseload"
    return _decisions_out(session, row.scenario_id, job, [row], [row.district])[0]


def get_version(
    session: Session, scenario_id: int, job: Job, decision_id: int, scope: Scope
) -> DecisionRow:
    """An accepted version of a district in `scope`; NotFound otherwise."""
    row = session.get(DecisionRow, decision_id)
    if (
        row is None
        or row.scenario_id != scenario_id
        or row.job != job
        or row.action != ACCEPT
        or row.district not in scope.districts
    ):
        raise NotFound(f"version {decision_id} not found")
    return row
