"""Decisions on proposals: a rota or caseload plan is in use for a district once it is accepted there.

The thing in use for a district is the source of its newest `accept` decision (whose source still
exists); a proposal is a source covering the district, newer than the one in use, with no decision
for that district yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import DecisionRow, PlanRow, RotaRow, User

Job = Literal["rota", "caseload"]
ACCEPT = "accept"
REJECT = "reject"


def source_table(job: Job) -> type[PlanRow] | type[RotaRow]:
    """The table a job's sources are stored in."""
    return RotaRow if job == "rota" else PlanRow


def accepted_decisions(
    session: Session, scenario_id: int, job: Job, districts: Iterable[str]
) -> dict[str, DecisionRow]:
    """For each district, its newest `accept` whose source still exists (none: nothing in use)."""
    wanted = list(districts)
    rows = list(
        session.scalars(
            select(DecisionRow)
            .where(
                DecisionRow.scenario_id == scenario_id,
                DecisionRow.job == job,
                DecisionRow.action == ACCEPT,
                DecisionRow.district.in_(wanted),
            )
            .order_by(DecisionRow.id.desc())
        )
    )
    table = source_table(job)
    existing = set(
        session.scalars(select(table.id).where(table.id.in_({r.source_id for r in rows})))
    )
    found: dict[str, DecisionRow] = {}
    for row in rows:
        if row.district not in found and row.source_id in existing:
            found[row.district] = row
    return {d: found[d] for d in wanted if d in found}


def accepted_sources(
    session: Session, scenario_id: int, job: Job, districts: Iterable[str]
) -> dict[str, int]:
    """For each district, the rota or plan in use (its newest accepted source)."""
    found = accepted_decisions(session, scenario_id, job, districts)
    return {d: row.source_id for d, row in found.items()}


def decided(session: Session, scenario_id: int, job: Job) -> set[tuple[int, str]]:
    """(source, district) pairs that have a decision."""
    rows = session.execute(
        select(DecisionRow.source_id, DecisionRow.district).where(
            DecisionRow.scenario_id == scenario_id, DecisionRow.job == job
        )
    ).all()
    return {(source, district) for source, district in rows}


def decide(
    session: Session,
    scenario_id: int,
    job: Job,
    source_id: int,
    district: str,
    action: str,
    user: User | None,
) -> DecisionRow:
    """Record a decision in `session` (flushed)."""
    row = DecisionRow(
        scenario_id=scenario_id,
        job=job,
        source_id=source_id,
        district=district,
        action=action,
        decided_by=user.id if user is not None else None,
    )
    session.add(row)
    session.flush()
    return row
