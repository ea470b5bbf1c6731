"""The audit log (county officers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from api.db.models import AuditRow
from api.deps import Officer, SessionDep
from api.errors import responses
from api.schemas.audit import AuditOut

router = APIRouter(prefix="/api/audit", tags=["audit"], responses=responses(401, 403, 422))


@router.get("", response_model=list[AuditOut])
def audit_log(
    session: SessionDep,
    user: Officer,
    scenario_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[AuditRow]:
    """Who changed what and when, newest first."""
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit).offset(offset)
    if scenario_id is not None:
        query = query.where(AuditRow.scenario_id == scenario_id)
    return list(session.scalars(query))
