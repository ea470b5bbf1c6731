"""The independent caseload checker: every hard rule and every objective, from the plan and the scenario.

It shares no code with the planner or its instance: it counts school weeks, capacity and travel itself
from the scenario's dates, so a mistake in the model or the decoding shows up as a breach or as an
objective that differs from the solver's.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from allocator.model import (
    Agreement,
    Person,
    Phase,
    PlannedSupport,
    PlanStatus,
    Scenario,
    bank_holidays,
    week_start,
)
from allocator.model.caseload_result import Assignment, CaseloadCheck, CaseloadPlan, Change

_YEAR = timedelta(weeks=52)


class _Weeks:
    """The year's school weeks (Mondays), its support days, and projected weeks after it."""

    def __init__(self, mondays: list[date], days: set[date]) -> None:
        self.mondays = mondays
        self.days = days
        self.count = len(mondays)
        self._all: list[date] = []
        self._index: dict[date, int] = {}
        self._extend(3 * self.count)

    @classmethod
    def of(cls, scenario: Scenario) -> _Weeks:
        years = {t.first_day.year for t in scenario.terms} | {
            t.last_day.year for t in scenario.terms
        }
        holidays_ = bank_holidays(years)
        county_closed = {c.date for c in scenario.closures if c.district is None}
        days = {
            d
            for t in scenario.terms
            for d in t.weekdays()
            if d not in holidays_ and d not in county_closed
        }
        return cls(sorted({week_start(d) for d in days}), days)

    def _extend(self, size: int) -> None:
        for k in range(len(self._all), size):
            monday = self.mondays[k % self.count] + _YEAR * (k // self.count)
            self._all.append(monday)
            self._index[monday] = k

    def monday(self, k: int) -> date:
        """Monday of week k, past the year as the same week 52 weeks on."""
        self._extend(k + 1)
        return self._all[k]

    def index(self, monday: date) -> int | None:
        """The index of a week (year or projected) by its Monday, or None if it is no school week."""
        while self._all[-1] < monday:
            self._extend(len(self._all) + self.count)
        return self._index.get(monday)

    def first_on_or_after(self, day: date) -> int:
        """The first year week whose Monday is on or after `day` (the count if none)."""
        return bisect.bisect_left(self.mondays, day)

    def between(self, start: date, end: date) -> list[int]:
        """Indices of the weeks whose Monday lies in [Monday of start, end]."""
        while self._all[-1] <= end:
            self._extend(len(self._all) + self.count)
        first = bisect.bisect_left(self._all, week_start(start))
        last = bisect.bisect_right(self._all, end)
        return list(range(first, last))


def _one_way(
    scenario: Scenario, given: Mapping[tuple[str, int], int], person: Person, urn: int
) -> int:
    if (person.person_id, urn) in given:
        return given[person.person_id, urn]
    school = scenario.school_by_urn[urn]
    lat1, lon1 = math.radians(person.base_lat), math.radians(person.base_lon)
    lat2, lon2 = math.radians(school.lat), math.radians(school.lon)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    km = 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))
    settings = scenario.settings.caseload
    return round(km * settings.road_factor / settings.travel_speed_kmh * 60)


def _weight(scenario: Scenario, agreement: Agreement) -> int:
    s = scenario.settings.caseload
    school = scenario.school_by_urn[agreement.school_urn]
    return (
        s.weight_base
        + s.weight_lac * agreement.lac
        + s.weight_statutory * agreement.sen_stage.statutory
        + s.weight_early_years * (school.phase == Phase.EARLY_YEARS)
        + s.weight_urgent * (agreement.priority == 1)
    )


def _minutes(scenario: Scenario, override: Mapping[str, int] | None) -> dict[str, int]:
    minutes = {p.person_id: p.minutes_per_week for p in scenario.people}
    for team, total in (override or {}).items():
        members = [p for p in scenario.people if p.team == team and p.minutes_per_week > 0]
        current = sum(p.minutes_per_week for p in members)
        for p in members:
            minutes[p.person_id] = round(total * p.minutes_per_week / current)
    return minutes


class _Capacity:
    """Each person's minutes in each week: minutes_per_week x available days / 5; full past the year."""

    def __init__(self, scenario: Scenario, weeks: _Weeks, minutes: Mapping[str, int]) -> None:
        self.scenario, self.weeks, self.minutes = scenario, weeks, minutes
        self.leave: dict[str, list[tuple[date, date]]] = defaultdict(list)
        for u in scenario.unavailability:
            self.leave[u.person_id].append((u.first_day, u.last_day))
        self._cache: dict[tuple[str, int], int] = {}

    def __call__(self, person: Person, k: int) -> int:
        key = (person.person_id, k)
        if key not in self._cache:
            self._cache[key] = self._compute(person, k)
        return self._cache[key]

    def _compute(self, person: Person, k: int) -> int:
        minutes = self.minutes[person.person_id]
        if k >= self.weeks.count:
            return minutes
        closed = {c.date for c in self.scenario.closures if c.applies_to(person.team)}
        available = 0
        for offset in range(5):
            day = self.weeks.mondays[k] + timedelta(days=offset)
            away = any(a <= day <= b for a, b in self.leave[person.person_id])
            if day in self.weeks.days and day not in closed and not away:
                available += 1
        return minutes * available // 5


def _fixed_rows(
    scenario: Scenario, before: CaseloadPlan | None, today: date | None
) -> dict[str, PlannedSupport | Assignment]:
    """The support that may not move: running and finished, and with `today` what started before it."""
    rows: list[PlannedSupport | Assignment] = (
        list(before.assignments) if before is not None else list(scenario.current_plan)
    )
    return {
        r.case_id: r
        for r in rows
        if r.status != PlanStatus.PLANNED or (today is not None and r.start < today)
    }


def check_caseload(
    scenario: Scenario,
    plan: CaseloadPlan,
    *,
    capacity_override: Mapping[str, int] | None = None,
    today: date | None = None,
    before: CaseloadPlan | None = None,
) -> CaseloadCheck:
    """Re-verify a plan against every hard rule and recompute every objective.

    `before` is the plan a rebalance started from (else the scenario's current plan gives the support
    that may not move); with it the change count and the start shift are recomputed too.
    """
    breaches: list[str] = []
    weeks = _Weeks.of(scenario)
    settings = scenario.settings.caseload
    pools = {p.value for p in scenario.pools}
    agreements = {a.case_id: a for a in scenario.agreements}
    people = scenario.person_by_id
    minutes = _minutes(scenario, capacity_override)
    fixed = _fixed_rows(scenario, before, today)
    today_week = weeks.first_on_or_after(today) if today is not None else 0
    capacity = _Capacity(scenario, weeks, minutes)
    given = {(t.person_id, t.school_urn): t.minutes for t in scenario.travel}

    # Every agreement exactly once.
    seen = Counter(plan.case_ids())
    for case_id, times in seen.items():
        if case_id not in agreements:
            breaches.append(f"{case_id}: not an agreement of the scenario")
        elif times > 1:
            breaches.append(f"{case_id}: appears {times} times in the plan")
    for case_id in agreements:
        if case_id not in seen:
            breaches.append(f"{case_id}: in neither the assignments nor the waiting list")

    # Support that may not move is where it was (or, without consent, stopped or dropped).
    assigned = {a.case_id: a for a in plan.assignments}
    for case_id, row in fixed.items():
        now = assigned.get(case_id)
        agreement = agreements.get(case_id)
        if agreement is not None and not agreement.consent.plannable:
            if not _withdrawn_as_allowed(row, now):
                breaches.append(f"{case_id}: support without consent neither stopped nor dropped")
        elif now is None or (now.person_id, now.start, now.end) != (
            row.person_id,
            row.start,
            row.end,
        ):
            breaches.append(f"{case_id}: running support moved or dropped")
    breaches.extend(support_without_consent(scenario, plan))

    load: dict[tuple[str, int], int] = defaultdict(int)
    new_support: set[tuple[str, int]] = set()
    start_week: dict[str, int] = {}
    travel = neighbour = 0
    for a in plan.assignments:
        agreement = agreements.get(a.case_id)
        person = people.get(a.person_id)
        if agreement is None or person is None:
            if person is None:
                breaches.append(f"{a.case_id}: {a.person_id} is not a person of the scenario")
            continue
        school = scenario.school_by_urn[agreement.school_urn]
        trip = 2 * _one_way(scenario, given, person, agreement.school_urn)
        if a.minutes_per_week != agreement.minutes_per_week:
            breaches.append(
                f"{a.case_id}: {a.minutes_per_week} minutes a week, agreed {agreement.minutes_per_week}"
            )
        if a.travel_minutes != trip:
            breaches.append(
                f"{a.case_id}: travel {a.travel_minutes} minutes a week, expected {trip}"
            )
        if a.team != person.team:
            breaches.append(f"{a.case_id}: team {a.team} is not {a.person_id}'s team {person.team}")
        occupied = weeks.between(a.start, a.end)
        for k in occupied:
            load[a.person_id, k] += agreement.minutes_per_week + trip
        if a.case_id in fixed:
            continue
        for k in occupied:
            new_support.add((a.person_id, k))
        # The rules for support this plan starts.
        if agreement.need_type not in person.specialisms:
            breaches.append(
                f"{a.case_id}: {a.person_id} lacks the {agreement.need_type.value} specialism"
            )
        need = agreement.need_type.value
        if need in pools:
            if person.team != need:
                breaches.append(
                    f"{a.case_id}: a {need} case is served by the {need} pool, not {person.team}"
                )
        else:
            allowed = {school.district, *settings.neighbour_teams.get(school.district, ())}
            if person.team not in allowed:
                breaches.append(
                    f"{a.case_id}: {person.team} may not serve a case in {school.district}"
                )
            elif person.team != school.district:
                neighbour += settings.neighbour_cost_minutes * agreement.weeks
        if not agreement.consent.plannable:
            breaches.append(f"{a.case_id}: started without consent")
        first = weeks.index(week_start(a.start))
        agreed = weeks.first_on_or_after(agreement.agreed_on)
        release = max(agreed + settings.lead_time_weeks, today_week)
        if first is None or first >= weeks.count:
            breaches.append(f"{a.case_id}: starts on {a.start}, not in a school week of the year")
            continue
        if a.start not in weeks.days:
            breaches.append(f"{a.case_id}: starts on {a.start}, not a school day")
        if first < release:
            breaches.append(
                f"{a.case_id}: starts in school week {first + 1}, before week {release + 1} (agreement plus lead time)"
            )
        if len(occupied) != agreement.weeks or (occupied and occupied[0] != first):
            breaches.append(
                f"{a.case_id}: runs {len(occupied)} school weeks, agreed {agreement.weeks}"
            )
        start_week[a.case_id] = first
        travel += trip * agreement.weeks

    # Weekly capacity, wherever new support runs.
    for (person_id, k), used in sorted(load.items()):
        person = people[person_id]
        cap = capacity(person, k)
        if used > cap and (person_id, k) in new_support:
            breaches.append(f"{person_id}: week of {weeks.monday(k)} uses {used} of {cap} minutes")

    # Waiting cases.
    for w in plan.waiting:
        agreement = agreements.get(w.case_id)
        if agreement is not None and not agreement.consent.plannable and "consent" not in w.reason:
            breaches.append(
                f"{w.case_id}: waits for want of consent, but the reason does not say so"
            )
        if not w.reason.strip():
            breaches.append(f"{w.case_id}: waits with no reason given")

    # Objectives.
    not_started = waiting = urgent_not_started = 0
    for case_id, agreement in agreements.items():
        agreed = weeks.first_on_or_after(agreement.agreed_on)
        release = max(agreed + settings.lead_time_weeks, today_week)
        if case_id in fixed or not agreement.consent.plannable or release >= weeks.count:
            continue
        weight = _weight(scenario, agreement)
        if case_id in start_week:
            waiting += weight * (start_week[case_id] - agreed)
        else:
            not_started += weight
            urgent_not_started += weight if agreement.priority == 1 else 0
            waiting += weight * (weeks.count - agreed)
    balance = _balance(scenario, weeks, minutes, load, capacity)
    withdrawn = {c for c, a in agreements.items() if not a.consent.plannable}
    changes, shift, broken = _changes(before, plan, {**dict.fromkeys(withdrawn), **fixed}, weeks)
    return CaseloadCheck(
        breaches=tuple(breaches),
        not_started=not_started,
        waiting=waiting,
        travel=travel,
        neighbour=neighbour,
        balance=balance,
        urgent_not_started=urgent_not_started,
        broken_promises=broken,
        changes=changes,
        start_shift=shift,
    )


def _withdrawn_as_allowed(row: PlannedSupport | Assignment, now: Assignment | None) -> bool:
    """Fixed support of a case without consent: dropped, or the same support stopped no later."""
    if now is None:
        return True
    same = (now.person_id, now.start) == (row.person_id, row.start)
    if row.status in (PlanStatus.FINISHED, PlanStatus.WITHDRAWN):
        return same and now.end == row.end and now.status == row.status
    return same and now.end <= row.end and now.status == PlanStatus.WITHDRAWN


def support_without_consent(scenario: Scenario, plan: CaseloadPlan) -> list[str]:
    """Named check `consent_required_for_support`: no planned or running support of a case whose
    consent is `no` (it may only be finished, or withdrawn: stopped when consent was withdrawn)."""
    consent = {a.case_id: a.consent.plannable for a in scenario.agreements}
    return [
        f"{a.case_id}: {a.status.value} support without consent (consent is 'no')"
        for a in plan.assignments
        if not consent.get(a.case_id, True) and a.status in (PlanStatus.PLANNED, PlanStatus.RUNNING)
    ]


def _balance(
    scenario: Scenario,
    weeks: _Weeks,
    minutes: Mapping[str, int],
    load: Mapping[tuple[str, int], int],
    capacity_of: _Capacity,
) -> int:
    """Σ over teams of the highest ceil(1000 x used / capacity) over the year's school weeks."""
    used: dict[str, int] = defaultdict(int)
    for (person_id, k), minutes_used in load.items():
        if k < weeks.count:
            used[person_id] += minutes_used
    highest: dict[str, int] = {}
    for person in scenario.people:
        if minutes[person.person_id] <= 0 and person.person_id not in used:
            continue
        capacity = sum(capacity_of(person, k) for k in range(weeks.count))
        if capacity <= 0:
            continue
        share = -(-1000 * used[person.person_id] // capacity)
        highest[person.team] = max(highest.get(person.team, 0), share)
    return sum(highest.values())


def _changes(
    before: CaseloadPlan | None,
    after: CaseloadPlan,
    fixed: Mapping[str, object],
    weeks: _Weeks,
) -> tuple[int | None, int | None, int | None]:
    """Planned cases moved or dropped, the weeks kept cases' starts moved, and the promises broken
    (a planned case dropped, given to someone else, or started in a later week). Cases in `fixed`,
    which includes those without consent, are not counted: withdrawing support is not a move."""
    if before is None:
        return None, None, None
    now = {a.case_id: a for a in after.assignments}
    changes = shift = broken = 0
    for old in before.assignments:
        if old.status != PlanStatus.PLANNED or old.case_id in fixed:
            continue
        new = now.get(old.case_id)
        if new is None or (new.person_id, new.start) != (old.person_id, old.start):
            changes += 1
        if new is None or new.person_id != old.person_id:
            broken += 1
            if new is None:
                continue
        a, b = weeks.index(week_start(old.start)), weeks.index(week_start(new.start))
        if a is not None and b is not None:
            shift += abs(b - a)
            broken += new.person_id == old.person_id and b > a
    return changes, shift, broken


def unlisted_changes(
    before: CaseloadPlan, after: CaseloadPlan, changes: Iterable[Change]
) -> list[str]:
    """Planned cases of `before` that `after` starts later, gives to someone else or drops, and that
    `changes` does not list as a broken promise with a reason (a rebalance must say why)."""
    listed = {c.case_id for c in changes if c.kind in ("broken", "withdrawn") and c.reason.strip()}
    now = {a.case_id: a for a in after.assignments}
    out = []
    for old in before.assignments:
        if old.status != PlanStatus.PLANNED or old.case_id in listed:
            continue
        new = now.get(old.case_id)
        if new is None or new.person_id != old.person_id or new.start > old.start:
            out.append(f"{old.case_id}: its planned start was broken without a listed reason")
    return out
