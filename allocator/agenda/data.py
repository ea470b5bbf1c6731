"""The agenda's instance: the requests of the window, the rota's meetings in date order, each request's
options (the meetings the hard rules let it go to) and, where it has none, the reason in plain words.

School days are counted per district: term days that are not bank holidays or closures, after the day
a request was received, up to and including the meeting's day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time

from allocator.constraints.agenda import ELIGIBILITY, AgendaInstance, priority_weight
from allocator.model import Request, Scenario
from allocator.model.agenda_result import AgendaScore, UnplacedKind, UnplacedRequest
from allocator.model.rota_result import Meeting, Rota

NO_CONSENT = "no parental consent recorded: the request waits for consent"


def meeting_order(meeting: Meeting) -> tuple[date, time, str, str]:
    """Meetings in date order, then time, slot and group."""
    return (meeting.date, meeting.start, meeting.slot, meeting.group)


def receipt_order(request: Request) -> tuple[date, str]:
    """Requests in order of receipt, then id."""
    return (request.received_on, request.request_id)


def in_window(request: Request, start: date | None, end: date | None) -> bool:
    """Whether a request was received within [start, end] (an open end is unbounded)."""
    day = request.received_on
    return (start is None or day >= start) and (end is None or day <= end)


@dataclass(frozen=True)
class AgendaData:
    """The instance, the requests held back for consent, and each request's options."""

    instance: AgendaInstance
    held: tuple[UnplacedRequest, ...]
    options: Mapping[int, tuple[int, ...]]
    """Request index -> meeting indexes it may go to, in date order (county route: none)."""
    start: date | None = None
    end: date | None = None

    def meeting_requests(self) -> list[int]:
        """Requests for a meeting (not the county route), in order of receipt."""
        return [r for r, q in enumerate(self.instance.requests) if not q.county_route]


def district_pairs(instance: AgendaInstance) -> list[tuple[int, int]]:
    """Every (request, meeting) pair of the same district: the candidates the rules narrow."""
    by_district: dict[str, list[int]] = defaultdict(list)
    for m, meeting in enumerate(instance.meetings):
        by_district[meeting.district].append(m)
    return [(r, m) for r, d in enumerate(instance.districts) for m in by_district.get(d, [])]


def build_agenda_data(
    scenario: Scenario, rota: Rota, start: date | None = None, end: date | None = None
) -> AgendaData:
    """The window's requests (with consent) and the rota's meetings of known groups and slots."""
    window = sorted((r for r in scenario.requests if in_window(r, start, end)), key=receipt_order)
    held = tuple(
        unplaced(scenario, r, "no_consent", NO_CONSENT) for r in window if not r.consent.plannable
    )
    meetings = sorted(
        (
            m
            for m in rota.meetings
            if m.group in scenario.group_by_name and m.slot in scenario.slot_by_id
        ),
        key=meeting_order,
    )
    instance = AgendaInstance(scenario, [r for r in window if r.consent.plannable], meetings)
    options: dict[int, list[int]] = defaultdict(list)
    for r, m in district_pairs(instance):
        if all(allowed(instance, r, m) for allowed in ELIGIBILITY.values()):
            options[r].append(m)
    return AgendaData(
        instance=instance,
        held=held,
        options={r: tuple(options.get(r, ())) for r in range(len(instance.requests))},
        start=start,
        end=end,
    )


def unplaced(
    scenario: Scenario, request: Request, kind: UnplacedKind, reason: str
) -> UnplacedRequest:
    """A request left off every agenda, with its reason."""
    school = scenario.school_by_urn[request.school_urn]
    return UnplacedRequest(
        request_id=request.request_id,
        school_urn=request.school_urn,
        district=school.district,
        urgent=request.urgent,
        received_on=request.received_on,
        kind=kind,
        reason=reason,
        weight=priority_weight(scenario, request),
    )


def unplaced_reason(data: AgendaData, r: int) -> tuple[UnplacedKind, str]:
    """Why request r is on no agenda, in plain words."""
    inst = data.instance
    request, district = inst.requests[r], inst.districts[r]
    received = request.received_on.isoformat()
    if data.options[r]:
        n = len(data.options[r])
        which = (
            "the one meeting it may go to after"
            if n == 1
            else f"all {n} meetings it may go to after"
        )
        full = "is" if n == 1 else "are"
        return (
            "full",
            f"{which} {received} {full} full (each takes at most its slot's case capacity)",
        )
    ours = [m for m in inst.meetings if m.district == district]
    if not ours:
        return "no_meeting", f"the rota has no LIFT meeting in {district}"
    if not any(m.date > request.received_on for m in ours):
        return "no_meeting", f"no LIFT meeting in {district} after it was received on {received}"
    groups = sorted(inst.groups(r))
    if not groups:
        school = inst.scenario.school_by_urn[request.school_urn]
        if school.phase.value == "early_years":
            return "no_meeting", f"{district} has no early-years group for an early-years setting"
        return (
            "no_meeting",
            "its school is in no LIFT group (only an urgent request may go to any group's meeting)",
        )
    return "no_meeting", f"no meeting of {', '.join(groups)} after it was received on {received}"


def evaluate(data: AgendaData, chosen: Mapping[int, int], requests: Sequence[int]) -> AgendaScore:
    """The objective of an assignment (request -> meeting) over the given meeting-route requests."""
    inst = data.instance
    return AgendaScore(
        unplaced=sum(inst.weights[r] for r in requests if r not in chosen),
        days_to_meeting=sum(
            inst.weights[r] * inst.days_to(r, chosen[r]) for r in requests if r in chosen
        ),
    )
