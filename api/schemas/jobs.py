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
    """0 to 1 (while running: time used against the time limit, or a simulation's share of runs
    done; 1 when it succeeded)."""
    stage: str
    """What the solver is doing, in plain words (e.g. "placed 120 of 155 cases; shortening waits
    (step 2 of 4)" or "18 of 24 meetings placed; improving the rota for Thanet (5 groups)")."""
    seconds_left: float | None = None
    """While it runs: about how many seconds of its time limit are left."""
    objective: float | None
    best_bound: float | None
    message: str
    result_id: int | None
    created_at: UtcTime
    started_at: UtcTime | None
    finished_at: UtcTime | None
