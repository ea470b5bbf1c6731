"""What meetings (and the county coordinators) decide in a simulated year.

Whether a request becomes an agreement is drawn from (seed, request id) alone, so every policy sees the
same decisions whatever day they are made. By default a request becomes an agreement with the share
the scenario's decided requests of its need type and urgency did (requests.csv outcomes; a request an
agreement names counts as specialist), pulled towards the county's share where a group is small; a
`specialist_share` replaces it for every request. A request without consent never becomes one. The
agreement reuses the minutes, weeks, priority and need type of the agreement that named the request in
the scenario, if any; otherwise it takes minutes and weeks of a scenario agreement of its need type and
a priority as the scenario's agreements of its urgency had.
"""

from __future__ import annotations

import random
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from allocator.model import (
    COUNTY_ROUTE_NEEDS,
    Agreement,
    NeedType,
    Request,
    RequestOutcome,
    Scenario,
)
from allocator.pipeline.waits import SchoolDays

DEFAULT_SPECIALIST_SHARE = 0.5
"""The share used when the scenario records no decided request."""
SHRINK = 5.0
"""Requests' worth of the county share mixed into each need type and urgency's own share."""
DEFAULT_SHAPE = (60, 12)
"""Minutes a week and weeks of an agreement when the scenario has none to copy."""

Key = tuple[NeedType, bool]


class Decider:
    """The decisions of one seed: the same for every policy and every call."""

    def __init__(
        self, scenario: Scenario, seed: int, specialist_share: float | None = None
    ) -> None:
        self.seed = seed
        self._district = {s.urn: s.district for s in scenario.schools}
        self._days = SchoolDays(scenario)
        self._last_day = {
            d: max(scenario.meeting_days(d), default=date.min) for d in scenario.district_names
        }
        self._linked = {a.request_id: a for a in scenario.agreements if a.request_id}
        self.share = _fitted_shares(scenario, self._linked)
        self.specialist_share = specialist_share
        self._shapes = _shapes(scenario.agreements)
        self._priorities = _priorities(scenario, self._linked)
        self.county_lag = _county_lag(scenario, self._days)

    def share_of(self, request: Request) -> float:
        """The chance `request` becomes an agreement (given consent)."""
        if self.specialist_share is not None:
            return self.specialist_share
        county = self.share[None]
        return self.share.get((request.need_type, request.urgent), county)

    def agreement(self, request: Request, decided_on: date) -> Agreement | None:
        """The agreement a decision on `decided_on` makes of `request`, or None for another outcome."""
        rng = random.Random(f"lift-simulate/{self.seed}/{request.request_id}")
        specialist = rng.random() < self.share_of(request)
        if not specialist or not request.consent.plannable:
            return None
        linked = self._linked.get(request.request_id)
        if linked is not None:
            need, priority = linked.need_type, linked.priority
            minutes, weeks = linked.minutes_per_week, linked.weeks
        else:
            need = request.need_type
            shapes = self._shapes.get(need) or self._shapes.get(None) or [DEFAULT_SHAPE]
            minutes, weeks = shapes[rng.randrange(len(shapes))]
            choices = self._priorities.get(request.urgent) or [1 if request.urgent else 3]
            priority = choices[rng.randrange(len(choices))]
        return Agreement(
            case_id=f"A-{request.request_id}",
            school_urn=request.school_urn,
            need_type=need,
            sen_stage=request.sen_stage,
            lac=request.lac,
            consent=request.consent,
            agreed_on=decided_on,
            minutes_per_week=minutes,
            weeks=weeks,
            priority=priority,
            request_id=request.request_id,
        )

    def county_decided_on(self, request: Request) -> date:
        """The county coordinators' decision day: `county_lag` school days of the request's district
        after receipt (past the year's last school day, counted on in weekdays)."""
        if self.county_lag <= 0:
            return request.received_on
        district = self._district[request.school_urn]
        day = self._days.later(district, request.received_on, self.county_lag)
        if day is not None:
            return day
        last = self._last_day[district]
        remaining = self.county_lag - self._days.between(district, request.received_on, last)
        day = max(request.received_on, last)
        while remaining > 0:
            day += timedelta(days=1)
            if day.weekday() < 5:
                remaining -= 1
        return day


def _fitted_shares(scenario: Scenario, linked: Mapping[str, Agreement]) -> dict[Key | None, float]:
    """Specialist share of decided requests per (need type, urgent), and the county's under None."""
    decided: Counter[Key] = Counter()
    specialist: Counter[Key] = Counter()
    for r in scenario.requests:
        named = r.request_id in linked
        if r.outcome is None and not named:
            continue
        key = (r.need_type, r.urgent)
        decided[key] += 1
        specialist[key] += named or r.outcome == RequestOutcome.SPECIALIST
    total = sum(decided.values())
    county = sum(specialist.values()) / total if total else DEFAULT_SPECIALIST_SHARE
    shares: dict[Key | None, float] = {None: county}
    for key, n in decided.items():
        shares[key] = (specialist[key] + SHRINK * county) / (n + SHRINK)
    return shares


def _shapes(agreements: Sequence[Agreement]) -> dict[NeedType | None, list[tuple[int, int]]]:
    """(minutes a week, weeks) of the scenario's agreements, per need type and all under None."""
    shapes: dict[NeedType | None, list[tuple[int, int]]] = {None: []}
    for a in agreements:
        shape = (a.minutes_per_week, a.weeks)
        shapes.setdefault(a.need_type, []).append(shape)
        shapes[None].append(shape)
    return shapes


def _priorities(scenario: Scenario, linked: Mapping[str, Agreement]) -> dict[bool, list[int]]:
    """The priorities of agreements whose request was urgent (True) or routine (False)."""
    found: dict[bool, list[int]] = {True: [], False: []}
    for request_id, a in sorted(linked.items()):
        request = scenario.request_by_id.get(request_id)
        if request is not None:
            found[request.urgent].append(a.priority)
    return found


def _county_lag(scenario: Scenario, days: SchoolDays) -> int:
    """Median school days from receipt to the county coordinators' decision, of the scenario's
    county-route requests received in the year (else the agenda's `county_route_days`)."""
    if not scenario.terms:
        return scenario.settings.agenda.county_route_days
    first = min(t.first_day for t in scenario.terms)
    district = {s.urn: s.district for s in scenario.schools}
    lags = [
        days.between(district[r.school_urn], r.received_on, r.decided_on)
        for r in scenario.requests
        if r.need_type in COUNTY_ROUTE_NEEDS and r.decided_on is not None and r.received_on >= first
    ]
    if not lags:
        return scenario.settings.agenda.county_route_days
    return round(statistics.median(lags))
