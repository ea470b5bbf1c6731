"""The agenda's independent checker: its own code, no solver and nothing of the planner's.

From the scenario, the rota and the agenda alone it verifies that every request received in the window
appears once; that each placed request sits at a meeting of the rota, of its school's district, after
the day it was received, of a group its urgency and setting allow, within the slot's case capacity;
that hearing and vision requests take the county route; that no request without consent is placed;
and it recomputes every school-day count and the objective (unplaced weight, weighted days).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from allocator.model import GroupKind, NeedType, Phase, Request, Scenario, School, bank_holidays
from allocator.model.agenda_result import Agenda, AgendaCheck, AgendaScore
from allocator.model.rota_result import Meeting, Rota

HEARING_AND_VISION = {NeedType.HI, NeedType.VI}


def _weight(scenario: Scenario, request: Request) -> int:
    s = scenario.settings.agenda
    return (
        s.weight_base
        + (s.weight_urgent if request.urgent else 0)
        + (s.weight_lac if request.lac else 0)
    )


def _school_days(scenario: Scenario, district: str, after: date, until: date) -> int:
    """Weekdays inside a term, not bank holidays nor closures of the district, in (after, until]."""
    holidays = bank_holidays({after.year, until.year})
    closed = {c.date for c in scenario.closures if c.district is None or c.district == district}
    count = 0
    day = after + timedelta(days=1)
    while day <= until:
        if (
            day.weekday() < 5
            and any(t.first_day <= day <= t.last_day for t in scenario.terms)
            and day not in holidays
            and day not in closed
        ):
            count += 1
        day += timedelta(days=1)
    return count


def _group_allowed(scenario: Scenario, request: Request, school: School, group: str) -> bool:
    found = scenario.group_by_name.get(group)
    if found is None or found.district != school.district or found.kind == GroupKind.EXECUTIVE:
        return False
    if request.urgent:
        return True
    own = scenario.group_by_name.get(school.lift_group or "")
    if school.phase == Phase.EARLY_YEARS:
        if own is not None and own.kind == GroupKind.EARLY_YEARS:
            return group == own.group
        return found.kind == GroupKind.EARLY_YEARS
    return own is not None and group == own.group


def check_agenda(scenario: Scenario, rota: Rota, agenda: Agenda) -> AgendaCheck:
    """Verify `agenda` against `scenario` and `rota`, and recompute its objective."""
    breaches: list[str] = []
    window = {
        r.request_id: r
        for r in scenario.requests
        if (agenda.start is None or r.received_on >= agenda.start)
        and (agenda.end is None or r.received_on <= agenda.end)
    }
    listed = Counter(
        [*(i.request_id for i in agenda.items), *(u.request_id for u in agenda.unplaced)]
    )
    for request_id, n in sorted(listed.items()):
        if request_id not in window:
            breaches.append(f"request {request_id}: not a request received in the window")
        elif n > 1:
            breaches.append(f"request {request_id}: listed {n} times")
    for request_id in sorted(set(window) - set(listed)):
        breaches.append(f"request {request_id}: missing from the agenda")
    meetings: dict[tuple[date | None, str | None, str | None], Meeting] = {
        (m.date, m.group, m.slot): m for m in rota.meetings
    }
    load: Counter[tuple[str, date]] = Counter()
    days_total = 0
    for item in agenda.items:
        request = window.get(item.request_id)
        if request is None:
            continue
        school = scenario.school_by_urn[request.school_urn]
        where = f"request {item.request_id}"
        if (item.school_urn, item.district, item.urgent, item.received_on) != (
            request.school_urn,
            school.district,
            request.urgent,
            request.received_on,
        ):
            breaches.append(f"{where}: school, district, urgency or date differ from requests.csv")
        if request.consent.kind == "no":
            breaches.append(f"{where}: placed without parental consent")
        if item.route == "county":
            if request.need_type not in HEARING_AND_VISION:
                breaches.append(f"{where}: county route for a {request.need_type} request")
            if (item.meeting_date, item.group, item.slot) != (None, None, None):
                breaches.append(f"{where}: a county-route request names a meeting")
            if item.school_days_to_meeting != scenario.settings.agenda.county_route_days:
                breaches.append(f"{where}: county route days differ from the setting")
            continue
        if request.need_type in HEARING_AND_VISION:
            breaches.append(f"{where}: a {request.need_type} request at a meeting")
        meeting = meetings.get((item.meeting_date, item.group, item.slot))
        if meeting is None:
            breaches.append(
                f"{where}: {item.group} meets at {item.slot} on {item.meeting_date} in no rota meeting"
            )
            continue
        if meeting.district != school.district:
            breaches.append(f"{where}: a meeting of {meeting.district}, not {school.district}")
        if meeting.date <= request.received_on:
            breaches.append(f"{where}: meeting on {meeting.date}, not after receipt")
        if not _group_allowed(scenario, request, school, meeting.group):
            breaches.append(f"{where}: group {meeting.group} is not one it may go to")
        load[(meeting.slot, meeting.date)] += 1
        days = _school_days(scenario, school.district, request.received_on, meeting.date)
        if days != item.school_days_to_meeting:
            breaches.append(
                f"{where}: {item.school_days_to_meeting} school days given, {days} counted"
            )
        days_total += _weight(scenario, request) * days
    for (slot, day), n in sorted(load.items()):
        capacity = scenario.slot_by_id[slot].case_capacity
        if n > capacity:
            breaches.append(f"slot {slot} on {day}: {n} requests, capacity {capacity}")
    unplaced_total = 0
    for left in agenda.unplaced:
        request = window.get(left.request_id)
        if request is None:
            continue
        if request.need_type in HEARING_AND_VISION and request.consent.kind != "no":
            breaches.append(f"request {left.request_id}: hearing and vision take the county route")
        elif request.consent.kind != "no":
            unplaced_total += _weight(scenario, request)
    return AgendaCheck(
        ok=not breaches,
        breaches=tuple(breaches),
        score=AgendaScore(unplaced=unplaced_total, days_to_meeting=days_total),
    )
