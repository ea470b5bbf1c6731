"""The audit log: who changed what and when, written in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from api.db.models import AuditRow, User


def record(
    session: Session,
    user: User | None,
    action: str,
    entity: str,
    entity_id: str | int,
    scenario_id: int | None = None,
    detail: dict[str, Any] | None = None,
    actor: str | None = None,
) -> None:
    """Add an audit entry to `session` (committed, or rolled back, with the change it records)."""
    session.add(
        AuditRow(
            user_id=user.id if user is not None else None,
            actor=actor or (f"user {user.id} ({user.role})" if user is not None else "system"),
            action=action,
            scenario_id=scenario_id,
            entity=entity,
            entity_id=str(entity_id),
            detail=detail,
        )
    )
