"""First come, first served: in order of receipt (then id), each request for a meeting takes the
earliest meeting it may go to that still has room. Scored the same way as the planner's agenda."""

from __future__ import annotations

from collections import Counter
from datetime import date

from allocator.agenda.data import AgendaData


def first_come(data: AgendaData) -> dict[int, int]:
    """Request -> meeting, first come first served."""
    inst = data.instance
    used: Counter[tuple[str, date]] = Counter()
    chosen: dict[int, int] = {}
    for r in data.meeting_requests():  # the instance's requests are in order of receipt
        for m in data.options[r]:  # options are in date order
            sitting = inst.sitting(m)
            if used[sitting] < inst.capacity(m):
                used[sitting] += 1
                chosen[r] = m
                break
    return chosen
