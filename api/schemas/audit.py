"""Audit-log schema."""

from __future__ import annotations

from typing import Any

from api.schemas.common import Out, UtcTime


class AuditOut(Out):
    """Who changed what and when."""

    id: int
    at: UtcTime
    user_id: int | None
    actor: str
    action: str
    scenario_id: int | None
    entity: str
    entity_id: str
    detail: dict[str, Any] | None
