"""Health, for probes and the load test (no token needed, nothing about the data)."""

from __future__ import annotations

from fastapi import APIRouter

from api.db.models import utcnow
from api.schemas.common import Health

router = APIRouter(prefix="/api/health", tags=["system"])


@router.get("", response_model=Health)
def health() -> Health:
    """The service is up."""
    return Health(status="ok", time=utcnow())
