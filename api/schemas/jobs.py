"""Solve-job schemas: progress while it runs, and where its result is."""

from __future__ import annotations

from api.schemas.common import Out, UtcTime


class JobOut(Out):
    """A solve job and how far it has got."""

    id: str
    kind: str
    scenario_id: int
    district: str | None
    status: str
    """queued, running, succeeded, failed or cancelled."""
    progress: float
    """0 to 1 (time used against the time limit while running; 1 when it succeeded)."""
    stage: str
    objective: float | None
    best_bound: float | None
    message: str
    result_id: int | None
    created_at: UtcTime
    started_at: UtcTime | None
    finished_at: UtcTime | None
