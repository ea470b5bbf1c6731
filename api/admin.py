"""What the service's commands do to the database: open it, add users, purge finished cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from api import audit
from api.db.engine import make_engine, make_sessionmaker
from api.db.migrate import upgrade
from api.db.models import (
    AgreementRow,
    AssignmentRow,
    AuditRow,
    ChangeRow,
    PlanRow,
    User,
    WaitingRow,
)
from api.security import Role, create_user
from api.settings import Settings
from api.store import CLOSED


def open_database(settings: Settings) -> tuple[Engine, sessionmaker[Session]]:
    """The database of `settings`, created or migrated to the newest schema."""
    engine = make_engine(settings.resolved_database_url())
    upgrade(engine)
    return engine, make_sessionmaker(engine)


def add_user(
    sessions: sessionmaker[Session], role: Role, district: str | None, name: str | None = None
) -> tuple[User, str]:
    """Add a user and return it with its token (shown once, stored hashed)."""
    with sessions() as session:
        label = (name or (f"{role.value} {district}" if district else role.value))[:100]
        user, token = create_user(session, label, role, district)
        audit.record(
            session,
            None,
            "user.add",
            "user",
            user.id,
            None,
            {"role": role.value, "district": district},
            actor="lift user add",
        )
        session.commit()
        return user, token


def first_officer(sessions: sessionmaker[Session]) -> str | None:
    """On a database with no users, add a county officer and return its token; else None."""
    with sessions() as session:
        if session.scalar(select(func.count()).select_from(User)):
            return None
    return add_user(sessions, Role.COUNTY_OFFICER, None, "county officer")[1]


@dataclass(frozen=True)
class PurgeReport:
    """How much a purge removed (counts only: nothing about the cases themselves)."""

    cases: int
    assignments: int
    waiting: int
    changes: int
    audit_entries_redacted: int


def purge_finished(
    sessions: sessionmaker[Session], finished_before: date, dry_run: bool = False
) -> PurgeReport:
    """Delete cases closed before `finished_before`, with every plan row about them, in one
    transaction; their audit entries keep who did what and when, but lose the case's details."""
    with sessions() as session:
        cases = session.execute(
            select(AgreementRow.id, AgreementRow.scenario_id, AgreementRow.case_id).where(
                AgreementRow.status == CLOSED, AgreementRow.closed_on < finished_before
            )
        ).all()
        counts = {"assignments": 0, "waiting": 0, "changes": 0, "audit": 0}
        by_scenario: dict[int, list[str]] = {}
        for _, scenario_id, case_id in cases:
            by_scenario.setdefault(scenario_id, []).append(case_id)
        for scenario_id, case_ids in by_scenario.items():
            plans = select(PlanRow.id).where(PlanRow.scenario_id == scenario_id)
            for key, table in (
                ("assignments", AssignmentRow),
                ("waiting", WaitingRow),
                ("changes", ChangeRow),
            ):
                result = session.execute(
                    delete(table).where(table.plan_id.in_(plans), table.case_id.in_(case_ids))
                )
                counts[key] += int(result.rowcount or 0)  # type: ignore[attr-defined]
            redacted = session.execute(
                update(AuditRow)
                .where(
                    AuditRow.scenario_id == scenario_id,
                    AuditRow.entity == "agreement",
                    AuditRow.entity_id.in_(case_ids),
                )
                .values(detail={"purged": True})
            )
            counts["audit"] += int(redacted.rowcount or 0)  # type: ignore[attr-defined]
        session.execute(delete(AgreementRow).where(AgreementRow.id.in_([c[0] for c in cases])))
        report = PurgeReport(
            cases=len(cases),
            assignments=counts["assignments"],
            waiting=counts["waiting"],
            changes=counts["changes"],
            audit_entries_redacted=counts["audit"],
        )
        if dry_run:
            session.rollback()
            return report
        audit.record(
            session,
            None,
            "purge",
            "agreements",
            finished_before.isoformat(),
            None,
            {"cases": report.cases, "finished_before": finished_before.isoformat()},
            actor="lift purge",
        )
        session.commit()
        return report
