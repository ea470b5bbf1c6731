"""What the agenda planner returns: the agenda, the solver's score, first come first served's agenda
beside it, the checker's verdict on both, and each district's solve."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from allocator.agenda.data import AgendaData, receipt_order, unplaced, unplaced_reason
from allocator.model.agenda_result import (
    Agenda,
    AgendaCheck,
    AgendaItem,
    AgendaScore,
    DistrictAgenda,
)
from allocator.model.base import Frozen
from allocator.solve import SolveResult, Status


def make_agenda(data: AgendaData, chosen: Mapping[int, int]) -> Agenda:
    """The agenda of an assignment (request -> meeting): placed, county route, unplaced with reasons."""
    inst = data.instance
    scenario = inst.scenario
    items: list[AgendaItem] = []
    left = list(data.held)
    for r, request in enumerate(inst.requests):
        common = {
            "request_id": request.request_id,
            "school_urn": request.school_urn,
            "district": inst.districts[r],
            "urgent": request.urgent,
            "received_on": request.received_on,
            "weight": inst.weights[r],
        }
        if request.county_route:
            days = scenario.settings.agenda.county_route_days
            items.append(AgendaItem(route="county", school_days_to_meeting=days, **common))
        elif r in chosen:
            m = inst.meetings[chosen[r]]
            items.append(
                AgendaItem(
                    route="meeting",
                    meeting_date=m.date,
                    group=m.group,
                    slot=m.slot,
                    school_days_to_meeting=inst.days_to(r, chosen[r]),
                    **common,
                )
            )
        else:
            kind, reason = unplaced_reason(data, r)
            left.append(unplaced(scenario, request, kind, reason))
    by_id = scenario.request_by_id
    return Agenda(
        items=tuple(items),
        unplaced=tuple(sorted(left, key=lambda u: receipt_order(by_id[u.request_id]))),
        meetings=tuple(inst.meetings[m] for m in sorted(set(chosen.values()))),
        start=data.start,
        end=data.end,
    )


class DistrictSolve(Frozen):
    """How one district's agenda was decided: by CP-SAT, by first come first served (the solver
    found nothing in its time), or with nothing to decide."""

    district: str
    requests: int
    variables: int
    engine: Literal["cp-sat", "first-come", "none"]
    result: SolveResult | None = None


class AgendaComparison(Frozen):
    """A district's figures for the planned agenda and for first come first served."""

    ours: DistrictAgenda
    first_come: DistrictAgenda


class AgendaOutcome(Frozen):
    """A planned agenda, the solver's score, the first-come agenda, the checker's verdicts."""

    agenda: Agenda
    status: Status
    score: AgendaScore
    """The objective as the solver measured it (summed over districts)."""
    baseline: Agenda
    check: AgendaCheck
    baseline_check: AgendaCheck
    districts: tuple[DistrictSolve, ...] = ()
    wall_time: float = 0.0

    @property
    def proven_optimal(self) -> bool:
        """Whether every district's agenda is proven optimal."""
        return self.status == Status.OPTIMAL

    def comparison(self) -> list[AgendaComparison]:
        """Per district (sorted), the agenda's figures beside first come first served's."""
        theirs = {row.district: row for row in self.baseline.by_district()}
        return [
            AgendaComparison(ours=row, first_come=theirs[row.district])
            for row in self.agenda.by_district()
        ]

    def summary(self) -> str:
        """One line for a terminal."""
        placed = len(self.agenda.at_meetings())
        county = len(self.agenda.items) - placed
        proof = "proven optimal" if self.proven_optimal else f"best found ({self.status.value})"
        verdict = "checker agrees" if self.check.ok else "CHECK FAILED"
        return (
            f"{placed} request(s) placed at meetings, {county} on the county route, "
            f"{len(self.agenda.unplaced)} unplaced; {proof}: {self.score} "
            f"(first come first served: {self.baseline_check.score}); "
            f"{self.wall_time:.2f} s; {verdict}"
        )
