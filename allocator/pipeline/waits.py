"""The whole wait: for every case with a request, the days from the request to the meeting, the meeting
to the agreement, and the agreement to the start of support, and their sum (DESIGN.md).

The meeting is the agenda's meeting when an agenda is given (a hearing or vision request: the day the
county coordinators decide it, `county_route_days` school days after receipt); otherwise the request's
`decided_on`; otherwise the agreement's `agreed_on` (the day the LIFT meeting agreed support). The start
is the plan's. School days are the district's term days that are not bank holidays or its closures,
counted after the earlier day up to and including the later (as the agenda counts them).

A step's date is never taken before the step before it (an agenda's meeting after the agreement counts
as on the day of the agreement's step: zero days): so every part is at least zero and the whole wait is
exactly the sum of its parts, the school days from receipt to the start.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from statistics import fmean, median
from typing import Any, Literal

from allocator.model import Frozen, NeedType, Request, Scenario
from allocator.model.agenda_result import Agenda
from allocator.model.caseload_result import CaseloadPlan
from allocator.model.summary import percentile

MeetingSource = Literal["agenda", "county", "decided_on", "agreed_on"]
WAIT_COLUMNS = (
    "request_id",
    "case_id",
    "district",
    "need_type",
    "urgent",
    "received_on",
    "meeting_date",
    "agreed_on",
    "start",
    "days_to_meeting",
    "days_to_agreement",
    "days_to_start",
    "whole_wait",
)
"""The columns of waits.csv (days are school days; blank where support has not started)."""


class CaseWait(Frozen):
    """One case's wait from its request to the start of its support, in parts."""

    request_id: str
    case_id: str
    district: str
    need_type: NeedType
    urgent: bool
    received_on: date
    meeting_date: date
    meeting_from: MeetingSource
    agreed_on: date
    start: date | None
    """The plan's start (None: not started)."""
    days_to_meeting: int
    days_to_agreement: int
    days_to_start: int | None
    whole_wait: int | None
    """School days from receipt to the start: the sum of the three parts."""
    calendar_to_meeting: int
    calendar_to_agreement: int
    calendar_to_start: int | None
    calendar_whole_wait: int | None

    def row(self) -> dict[str, Any]:
        """The waits.csv row."""
        return {c: getattr(self, c) for c in WAIT_COLUMNS}


class WaitSummary(Frozen):
    """The waits of one district, need type or urgency: school days (calendar days for the whole)."""

    group: str
    cases: int
    started: int
    mean_to_meeting: float | None
    mean_to_agreement: float | None
    mean_to_start: float | None
    median_whole: float | None
    p90_whole: float | None
    mean_whole: float | None
    median_whole_calendar: float | None


class SchoolDays:
    """School days per district (term days, not bank holidays nor the district's closures)."""

    def __init__(self, scenario: Scenario) -> None:
        self._scenario = scenario
        self._days: dict[str, list[date]] = {}

    def _of(self, district: str) -> list[date]:
        if district not in self._days:
            self._days[district] = self._scenario.meeting_days(district)
        return self._days[district]

    def between(self, district: str, after: date, until: date) -> int:
        """School days in (after, until] (zero when `until` is not after `after`)."""
        if until <= after:
            return 0
        days = self._of(district)
        return bisect.bisect_right(days, until) - bisect.bisect_right(days, after)

    def later(self, district: str, day: date, n: int) -> date | None:
        """The `n`th school day after `day` (None: past the year's last)."""
        days = self._of(district)
        i = bisect.bisect_right(days, day) + n - 1
        return days[i] if 0 <= i < len(days) else None


def plan_starts(plan: CaseloadPlan | None, scenario: Scenario) -> dict[str, date]:
    """Case -> start of support: the plan's assignments, else the scenario's current plan."""
    if plan is not None:
        return {a.case_id: a.start for a in plan.assignments}
    return {p.case_id: p.start for p in scenario.current_plan}


def whole_waits(
    scenario: Scenario, plan: CaseloadPlan | None = None, agenda: Agenda | None = None
) -> list[CaseWait]:
    """Every agreement with a request of requests.csv, its wait in parts, in case order."""
    days = SchoolDays(scenario)
    starts = plan_starts(plan, scenario)
    placed = {i.request_id: i for i in agenda.items} if agenda is not None else {}
    county_days = scenario.settings.agenda.county_route_days
    waits = []
    for a in sorted(scenario.agreements, key=lambda a: a.case_id):
        request = scenario.request_by_id.get(a.request_id or "")
        if request is None:
            continue
        district = scenario.school_by_urn[a.school_urn].district
        item = placed.get(request.request_id)
        meeting: date | None = None
        source: MeetingSource = "agreed_on"
        if item is not None and item.route == "meeting":
            meeting, source = item.meeting_date, "agenda"
        elif item is not None:
            meeting = days.later(district, request.received_on, county_days)
            source = "county"
        if meeting is None and request.decided_on is not None:
            meeting, source = request.decided_on, "decided_on"
        if meeting is None:
            meeting, source = a.agreed_on, "agreed_on"
        waits.append(
            _wait(
                days,
                district,
                a.case_id,
                request,
                meeting,
                source,
                a.agreed_on,
                starts.get(a.case_id),
            )
        )
    return waits


def _wait(
    days: SchoolDays,
    district: str,
    case_id: str,
    request: Request,
    meeting: date,
    source: MeetingSource,
    agreed: date,
    start: date | None,
) -> CaseWait:
    received = request.received_on
    at_meeting = max(meeting, received)
    at_agreement = max(agreed, at_meeting)
    at_start = None if start is None else max(start, at_agreement)
    to_start = None if at_start is None else days.between(district, at_agreement, at_start)
    to_meeting = days.between(district, received, at_meeting)
    to_agreement = days.between(district, at_meeting, at_agreement)
    calendar_to_start = None if at_start is None else (at_start - at_agreement).days
    return CaseWait(
        request_id=request.request_id,
        case_id=case_id,
        district=district,
        need_type=request.need_type,
        urgent=request.urgent,
        received_on=received,
        meeting_date=meeting,
        meeting_from=source,
        agreed_on=agreed,
        start=start,
        days_to_meeting=to_meeting,
        days_to_agreement=to_agreement,
        days_to_start=to_start,
        whole_wait=None if to_start is None else to_meeting + to_agreement + to_start,
        calendar_to_meeting=(at_meeting - received).days,
        calendar_to_agreement=(at_agreement - at_meeting).days,
        calendar_to_start=calendar_to_start,
        calendar_whole_wait=None if at_start is None else (at_start - received).days,
    )


def _mean(values: Sequence[float]) -> float | None:
    return fmean(values) if values else None


def summarise(group: str, waits: Sequence[CaseWait]) -> WaitSummary:
    """Figures of one group of waits; whole waits over the cases started."""
    started = [w for w in waits if w.whole_wait is not None]
    whole = [float(w.whole_wait) for w in started if w.whole_wait is not None]
    calendar = [float(w.calendar_whole_wait) for w in started if w.calendar_whole_wait is not None]
    return WaitSummary(
        group=group,
        cases=len(waits),
        started=len(started),
        mean_to_meeting=_mean([w.days_to_meeting for w in waits]),
        mean_to_agreement=_mean([w.days_to_agreement for w in waits]),
        mean_to_start=_mean(
            [float(w.days_to_start) for w in started if w.days_to_start is not None]
        ),
        median_whole=median(whole) if whole else None,
        p90_whole=percentile(whole, 0.9),
        mean_whole=_mean(whole),
        median_whole_calendar=median(calendar) if calendar else None,
    )


GROUPINGS: dict[str, Callable[[CaseWait], str]] = {
    "district": lambda w: w.district,
    "need type": lambda w: w.need_type.value,
    "urgency": lambda w: "urgent" if w.urgent else "routine",
}
"""The ways the whole wait is reported."""


def summaries(waits: Iterable[CaseWait], by: str) -> list[WaitSummary]:
    """The waits grouped `by` one of `GROUPINGS` (sorted by group), then all of them as `all`."""
    waits = list(waits)
    key = GROUPINGS[by]
    groups: dict[str, list[CaseWait]] = {}
    for w in waits:
        groups.setdefault(key(w), []).append(w)
    return [summarise(g, groups[g]) for g in sorted(groups)] + [summarise("all", waits)]


def summary_tables(waits: Sequence[CaseWait]) -> Mapping[str, list[WaitSummary]]:
    """By district, need type and urgency."""
    return {by: summaries(waits, by) for by in GROUPINGS}
