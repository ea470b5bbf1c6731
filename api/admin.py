"""What the service's commands do to the database: open it, add, list and revoke users, purge
finished cases."""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Connection, Engine, delete, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from api import audit
from api.db.engine import make_engine, make_sessionmaker
from api.db.migrate import upgrade
from api.db.models import (
    AgreementRow,
    AssignmentRow,
    AuditRow,
    ChangeRow,
    JobRow,
    OutcomeRow,
    PlanRow,
    ReviewRow,
    ScenarioRow,
    User,
    WaitingRow,
    utcnow,
)
from api.security import Role, create_user
from api.settings import DEFAULT_TOKEN_DAYS, Settings
from api.store import CLOSED

log = logging.getLogger("lift.api")


def open_database(settings: Settings) -> tuple[Engine, sessionmaker[Session]]:
    """The database of `settings`, created or migrated to the newest schema."""
    engine = make_engine(settings.resolved_database_url())
    upgrade(engine)
    return engine, make_sessionmaker(engine)


def add_user(
    sessions: sessionmaker[Session],
    role: Role,
    district: str | None,
    name: str | None = None,
    days: int = DEFAULT_TOKEN_DAYS,
) -> tuple[User, str]:
    """Add a user whose token lasts `days` and return it with its token (shown once, stored hashed)."""
    with sessions() as session:
        user, token = _new_user(session, role, district, name, days)
        session.commit()
        return user, token


def _new_user(
    session: Session, role: Role, district: str | None, name: str | None, days: int
) -> tuple[User, str]:
    """A user and its audit entry in `session` (the caller commits)."""
    label = (name or (f"{role.value} {district}" if district else role.value))[:100]
    user, token = create_user(session, label, role, district, days)
    audit.record(
        session,
        None,
        "user.add",
        "user",
        user.id,
        None,
        {"role": role.value, "district": district, "expires_at": user.expires_at.isoformat()},
        actor="lift user add",
    )
    return user, token


def known_districts(sessions: sessionmaker[Session]) -> list[str]:
    """Every district of the stored scenarios (what a coordinator's or viewer's district may be)."""
    with sessions() as session:
        return sorted(
            {str(d) for row in session.scalars(select(ScenarioRow.districts)) for d in row}
        )


@contextmanager
def secret_file(path: Path) -> Iterator[TextIO]:
    """A new file only its owner may read (0600, created atomically, never over an existing file or
    link); removed again if the block fails. `ValueError` with a plain message if it cannot be made."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        raise ValueError(f"{path} already exists; move it away or choose another file") from None
    except OSError as error:
        raise ValueError(f"cannot create {path}: {error.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yield handle
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def first_officer(
    sessions: sessionmaker[Session], token_file: Path, days: int = DEFAULT_TOKEN_DAYS
) -> Path | None:
    """On a database with no users, add a county officer and write its token to `token_file`
    (owner-only; the officer is stored only once the file is written); returns the file, or None
    when there are users already."""
    with sessions() as session:
        if session.scalar(select(func.count()).select_from(User)):
            return None
        with secret_file(token_file) as handle:
            token = _new_user(session, Role.COUNTY_OFFICER, None, "county officer", days)[1]
            handle.write(token + "\n")
            handle.flush()
            os.fsync(handle.fileno())
            session.commit()
    return token_file


def list_users(sessions: sessionmaker[Session]) -> list[User]:
    """Every user, oldest first (the rows carry the token's hash: never show it)."""
    with sessions() as session:
        return list(session.scalars(select(User).order_by(User.id)))


def revoke_user(sessions: sessionmaker[Session], who: str) -> tuple[User, bool]:
    """Revoke the token of the user with id `who` (all digits) or name `who`; returns the user and
    whether it was active until now. `LookupError` when no single user matches."""
    with sessions() as session:
        if who.isdigit():
            matches = [u for u in [session.get(User, int(who))] if u is not None]
        else:
            matches = list(session.scalars(select(User).where(User.name == who).order_by(User.id)))
        if not matches:
            raise LookupError(f"no user has the {'id' if who.isdigit() else 'name'} {who!r}")
        if len(matches) > 1:
            ids = ", ".join(str(u.id) for u in matches)
            raise LookupError(f"{len(matches)} users are named {who!r} (ids {ids}); give the id")
        user = matches[0]
        if not user.active or user.revoked_at is not None:
            return user, False
        user.active = False
        user.revoked_at = utcnow()
        audit.record(
            session, None, "user.revoke", "user", user.id, None, None, actor="lift user revoke"
        )
        session.commit()
        return user, True


@dataclass(frozen=True)
class PurgeReport:
    """How much a purge removed (counts only: nothing about the cases themselves)."""

    cases: int
    assignments: int
    waiting: int
    changes: int
    audit_entries_redacted: int
    files_clean: bool | None = None
    """SQLite: whether the file was rebuilt and its write-ahead log emptied, so no deleted byte is
    left (False: the service kept the database busy; run the purge again). None: not SQLite, or a
    dry run."""


ID_CHAR = r"A-Za-z0-9_\-"
"""What a case id is made of besides dots (the scenario format's rule)."""


class Redaction:
    """Replaces purged case ids, as whole ids, by labels that cannot be turned back into them
    (random, one per case and purge, so entries about one case still read as one case)."""

    def __init__(self, case_ids: Iterable[str]) -> None:
        ids = sorted(set(case_ids), key=lambda c: (-len(c), c))
        self.labels = {c: f"purged-{secrets.token_hex(4)}" for c in ids}
        alternatives = "|".join(re.escape(c) for c in ids) or "(?!)"
        self._pattern = re.compile(
            rf"(?<![{ID_CHAR}.])(?:{alternatives})(?![{ID_CHAR}]|\.[{ID_CHAR}])"
        )

    def text(self, value: str) -> str:
        """`value` with every purged case id replaced by its label."""
        return self._pattern.sub(lambda m: self.labels[m.group(0)], value)

    def json(self, value: Any) -> Any:
        """A JSON value with every string (keys too) redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(v) for v in value]
        if isinstance(value, dict):
            return {self.text(str(k)): self.json(v) for k, v in value.items()}
        return value


def purge_finished(
    sessions: sessionmaker[Session], finished_before: date, dry_run: bool = False
) -> PurgeReport:
    """Delete cases closed before `finished_before`, with every plan row about them, in one
    transaction. Their audit entries keep who did what and when but lose the case's details, and
    the case id leaves every audit entry, plan summary, job and scenario note. On SQLite the file is
    then rebuilt and its write-ahead log emptied, so the deleted bytes are gone from disk too."""
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
            # Measures are the case's; an outcome stays (it is the request's) without the case id.
            in_scenario = (ReviewRow.scenario_id == scenario_id, ReviewRow.case_id.in_(case_ids))
            session.execute(delete(ReviewRow).where(*in_scenario))
            session.execute(
                update(OutcomeRow)
                .where(OutcomeRow.scenario_id == scenario_id, OutcomeRow.case_id.in_(case_ids))
                .values(case_id=None)
            )
            counts["audit"] += _redact_scenario(session, scenario_id, Redaction(case_ids))
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
        engine = session.get_bind()
    return replace(report, files_clean=forget_deleted(engine))


def _redact_scenario(session: Session, scenario_id: int, redaction: Redaction) -> int:
    """Take the purged case ids out of everything stored about `scenario_id` that may quote them;
    returns how many audit entries changed."""
    redacted = 0
    for row in session.scalars(select(AuditRow).where(AuditRow.scenario_id == scenario_id)):
        if row.entity == "agreement" and row.entity_id in redaction.labels:
            entity_id, detail = redaction.labels[row.entity_id], {"purged": True}
        else:
            entity_id, detail = redaction.text(row.entity_id), redaction.json(row.detail)
        if (entity_id, detail) != (row.entity_id, row.detail):
            row.entity_id, row.detail = entity_id, detail
            redacted += 1
    for plan in session.scalars(select(PlanRow).where(PlanRow.scenario_id == scenario_id)):
        summary = redaction.json(plan.summary)
        if summary != plan.summary:
            plan.summary = summary
    plans = select(PlanRow.id).where(PlanRow.scenario_id == scenario_id)
    for change in session.scalars(select(ChangeRow).where(ChangeRow.plan_id.in_(plans))):
        # Another case's broken promise names the cases that needed its time.
        reason, needed_by = redaction.text(change.reason), redaction.text(change.needed_by or "")
        if (reason, needed_by) != (change.reason, change.needed_by):
            change.reason, change.needed_by = reason, needed_by
    for job in session.scalars(select(JobRow).where(JobRow.scenario_id == scenario_id)):
        message, stage, params = (
            redaction.text(job.message),
            redaction.text(job.stage),
            redaction.json(job.params),
        )
        if (message, stage, params) != (job.message, job.stage, job.params):
            job.message, job.stage, job.params = message, stage, params
    scenario = session.get(ScenarioRow, scenario_id)
    if scenario is not None:
        notes = redaction.json(scenario.notes)
        if notes != scenario.notes:
            scenario.notes = notes
    session.flush()
    return redacted


def forget_deleted(engine: Engine | Connection) -> bool | None:
    """On SQLite, rebuild the file from its live rows (VACUUM: no deleted byte stays in a free page)
    and empty the write-ahead log into it (checkpoint TRUNCATE); returns whether both were done
    (False when other connections kept the database busy). None on other databases."""
    if isinstance(engine, Connection):
        engine = engine.engine
    if engine.dialect.name != "sqlite":
        return None
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("PRAGMA temp_store=MEMORY")
            connection.exec_driver_sql("VACUUM")
            busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0]
    except OperationalError:
        log.warning("the database stayed busy; deleted rows may remain in its free pages or log")
        return False
    return not busy
