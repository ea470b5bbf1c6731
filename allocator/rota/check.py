"""The rota's independent checker: re-verifies every hard rule and recomputes every penalty from a
`Rota` (as decoded, or read back from rota.csv) and the `Scenario` alone, without the solver.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from datetime import date

from allocator.model import LiftGroup, Scenario
from allocator.model.rota_result import (
    Breach,
    Meeting,
    MeetingChange,
    Rota,
    RotaCheck,
    RuleScore,
    TermWeeks,
    UsualPattern,
    expected_cases,
    ideal_interval,
)


def check_rota(
    scenario: Scenario,
    rota: Rota,
    previous: Rota | None = None,
    groups: Collection[str] | None = None,
    *,
    published: Rota | None = None,
    today: date | None = None,
    changes: Collection[MeetingChange] = (),
) -> RotaCheck:
    """Every hard rule the rota breaks and every soft rule's score, for `groups` (default: all).

    With this year's `published` rota and `today`: a meeting before today never moves, and one from
    today on moves or goes only if `changes` lists it with a reason (last year's rota is `previous`).
    """
    planned = {g.group for g in scenario.lift_groups} if groups is None else set(groups)
    lift_groups = [g for g in scenario.lift_groups if g.group in planned]
    weeks = TermWeeks.of(scenario.terms)
    by_group: dict[str, list[Meeting]] = defaultdict(list)
    for meeting in rota.meetings:
        by_group[meeting.group].append(meeting)
    for meetings in by_group.values():
        meetings.sort(key=lambda m: (m.date, m.start))
    happened = _happened(published, today, planned)
    breaches = [
        *_matches_scenario(scenario, rota, planned, weeks),
        *_meets_every_half_term(scenario, by_group, lift_groups, weeks, happened),
        *_meeting_days_only(scenario, rota, happened),
        *_slot_capacity(scenario, rota),
        *_no_double_booking(scenario, rota),
        *_attendees_available(scenario, rota, happened),
    ]
    moved = 0
    if published is not None and today is not None:
        found, moved = _keeps_promises(scenario, rota, published, today, planned, changes)
        breaches += found
    settings = scenario.settings.rota
    patterns = previous.usual_patterns() if previous is not None else {}
    violations = {
        "even_spacing": _even_spacing(by_group, weeks),
        "short_gaps": _short_gaps(by_group, weeks, settings.short_gap_weeks),
        "same_position": _same_position(by_group),
        "edge_weeks": _edge_weeks(rota, weeks),
        "case_balance": _case_balance(scenario, rota),
        "stability": _stability(by_group, patterns),
        "moved_meetings": moved,
    }
    weights = {
        "even_spacing": settings.spacing,
        "short_gaps": settings.short_gap,
        "same_position": settings.same_position,
        "edge_weeks": settings.edge_week,
        "case_balance": settings.case_balance,
        "stability": settings.stability,
        "moved_meetings": settings.moved_meeting,
    }
    scores = tuple(
        RuleScore(name=n, weight=weights[n], violation=v, penalty=weights[n] * v)
        for n, v in violations.items()
    )
    return RotaCheck(breaches=tuple(breaches), scores=scores)


def _breach(rule: str, message: str) -> Breach:
    return Breach(rule=rule, message=message)


def _matches_scenario(
    scenario: Scenario, rota: Rota, planned: set[str], weeks: TermWeeks
) -> list[Breach]:
    """Each meeting names a planned group, one of its slots, the slot's day and times, its week."""
    out: list[Breach] = []
    for m in rota.meetings:
        group = scenario.group_by_name.get(m.group)
        slot = scenario.slot_by_id.get(m.slot)
        where = f"{m.group} on {m.date}"
        if group is None or group.group not in planned or group.district != m.district:
            out.append(
                _breach("rota_matches_scenario", f"{where}: not a planned group of {m.district}")
            )
            continue
        if slot is None or slot not in scenario.slots_for(group):
            out.append(
                _breach("rota_matches_scenario", f"{where}: {m.slot} is not one of its slots")
            )
            continue
        if (m.weekday, m.start, m.end, m.venue) != (slot.weekday, slot.start, slot.end, slot.venue):
            out.append(_breach("rota_matches_scenario", f"{where}: not at the time of {m.slot}"))
        if m.date.weekday() != slot.weekday_index:
            out.append(_breach("rota_matches_scenario", f"{where}: {m.date} is not a {m.weekday}"))
        if set(m.attendees) != set(group.attendees):
            out.append(
                _breach("rota_matches_scenario", f"{where}: attendees differ from the group's")
            )
        place = weeks.locate(m.date)
        if place is None or place[0] != m.half_term:
            out.append(_breach("meeting_days_only", f"{where}: not in term {m.half_term}"))
        elif place[1] != m.week:
            out.append(_breach("rota_matches_scenario", f"{where}: is in week {place[1]}"))
    return out


def _meets_every_half_term(
    scenario: Scenario,
    by_group: dict[str, list[Meeting]],
    groups: list[LiftGroup],
    weeks: TermWeeks,
    happened: set[Place],
) -> list[Breach]:
    """Each group meets exactly meetings_per_half_term times in every half-term, in different weeks
    (a half-term in which some of its meetings already happened is not recounted)."""
    out: list[Breach] = []
    for group in groups:
        meetings = by_group.get(group.group, [])
        for part in weeks.half_terms:
            held = [m for m in meetings if m.half_term == part.half_term]
            past = any(_place(m) in happened for m in held)
            if len(held) != group.meetings_per_half_term and not past:
                out.append(
                    _breach(
                        "meets_every_half_term",
                        f"{group.group} meets {len(held)} time(s) in term {part.half_term}, "
                        f"not {group.meetings_per_half_term}",
                    )
                )
            if len({m.week for m in held}) != len(held):
                out.append(
                    _breach(
                        "meets_every_half_term",
                        f"{group.group} meets twice in one week of term {part.half_term}",
                    )
                )
    return out


def _meeting_days_only(scenario: Scenario, rota: Rota, happened: set[Place]) -> list[Breach]:
    """A meeting falls on a meeting day of its district (a meeting that already happened stands)."""
    days = {d: set(scenario.meeting_days(d)) for d in rota.districts}
    return [
        _breach("meeting_days_only", f"{m.group} meets on {m.date}, not a meeting day")
        for m in rota.meetings
        if m.date not in days[m.district] and _place(m) not in happened
    ]


def _slot_capacity(scenario: Scenario, rota: Rota) -> list[Breach]:
    """A slot holds at most meetings_per_week meetings in a week."""
    held = Counter((m.slot, m.date) for m in rota.meetings)
    out: list[Breach] = []
    for (slot_id, day), n in sorted(held.items()):
        slot = scenario.slot_by_id.get(slot_id)
        if slot is not None and n > slot.meetings_per_week:
            out.append(
                _breach(
                    "slot_capacity",
                    f"{n} meetings in {slot_id} on {day}, room for {slot.meetings_per_week}",
                )
            )
    return out


def _no_double_booking(scenario: Scenario, rota: Rota) -> list[Breach]:
    """No attendee is in two meetings whose times overlap on the same date."""
    by_person_day: dict[tuple[str, object], list[Meeting]] = defaultdict(list)
    for m in rota.meetings:
        group = scenario.group_by_name.get(m.group)
        for person in group.attendees if group is not None else m.attendees:
            by_person_day[(person, m.date)].append(m)
    out: list[Breach] = []
    for (person, day), meetings in sorted(by_person_day.items(), key=lambda kv: str(kv[0])):
        for a, b in itertools.combinations(meetings, 2):
            if a.start < b.end and b.start < a.end:
                out.append(
                    _breach(
                        "no_double_booking",
                        f"{person} is due at {a.group} and {b.group} at once on {day}",
                    )
                )
    return out


def _attendees_available(scenario: Scenario, rota: Rota, happened: set[Place]) -> list[Breach]:
    """No meeting falls on a day one of its group's attendees is away (unless it already happened)."""
    out: list[Breach] = []
    for m in rota.meetings:
        if _place(m) in happened:
            continue
        group = scenario.group_by_name.get(m.group)
        attendees = set(group.attendees if group is not None else m.attendees)
        for u in scenario.unavailability:
            if u.person_id in attendees and u.covers(m.date):
                out.append(
                    _breach(
                        "attendees_available", f"{u.person_id} is away for {m.group} on {m.date}"
                    )
                )
    return out


def _gaps(meetings: list[Meeting], weeks: TermWeeks) -> list[int]:
    term_weeks = []
    for m in meetings:
        place = weeks.locate(m.date)
        if place is not None:
            term_weeks.append(place[2])
    return [b - a for a, b in itertools.pairwise(term_weeks)]


def _even_spacing(by_group: dict[str, list[Meeting]], weeks: TermWeeks) -> int:
    """Σ |gap − I| over each group's consecutive meetings, in term weeks."""
    total = 0
    for meetings in by_group.values():
        ideal = ideal_interval(weeks.total, len(meetings))
        total += sum(abs(gap - ideal) for gap in _gaps(meetings, weeks))
    return total


def _short_gaps(by_group: dict[str, list[Meeting]], weeks: TermWeeks, short: int) -> int:
    """Σ max(0, S − gap) over each group's consecutive meetings."""
    return sum(
        max(0, short - gap) for meetings in by_group.values() for gap in _gaps(meetings, weeks)
    )


def _ordinals(meetings: list[Meeting]) -> dict[int, list[Meeting]]:
    """A group's meetings by their order in the half-term (1st, 2nd, ...)."""
    by_half_term: dict[int, list[Meeting]] = defaultdict(list)
    for m in meetings:
        by_half_term[m.half_term].append(m)
    by_ordinal: dict[int, list[Meeting]] = defaultdict(list)
    for held in by_half_term.values():
        for ordinal, m in enumerate(sorted(held, key=lambda m: m.date), start=1):
            by_ordinal[ordinal].append(m)
    return by_ordinal


def _same_position(by_group: dict[str, list[Meeting]]) -> int:
    """Σ over half-terms h > 1 of a group's j-th meetings in another week of the half-term than in h − 1."""
    total = 0
    for meetings in by_group.values():
        for same in _ordinals(meetings).values():
            weeks = {m.half_term: m.week for m in same}
            total += sum(1 for h, week in weeks.items() if h - 1 in weeks and weeks[h - 1] != week)
    return total


def _edge_weeks(rota: Rota, weeks: TermWeeks) -> int:
    """Meetings in the first or last week of their half-term."""
    last = {part.half_term: part.weeks for part in weeks.half_terms}
    return sum(1 for m in rota.meetings if m.week in (1, last.get(m.half_term)))


def _case_balance(scenario: Scenario, rota: Rota) -> int:
    """Σ over slot meetings of max(0, expected cases of the groups meeting − case capacity)."""
    cases: dict[tuple[str, object], int] = defaultdict(int)
    for m in rota.meetings:
        if m.group in scenario.group_by_name:
            cases[(m.slot, m.date)] += expected_cases(scenario, m.group)
    total = 0
    for (slot_id, _), n in cases.items():
        slot = scenario.slot_by_id.get(slot_id)
        if slot is not None:
            total += max(0, n - slot.case_capacity)
    return total


def _stability(by_group: dict[str, list[Meeting]], patterns: dict[str, UsualPattern]) -> int:
    """Groups with a meeting on another weekday, or in another week, than the previous rota's."""
    changed = 0
    for group, meetings in by_group.items():
        pattern = patterns.get(group)
        if pattern is None:
            continue
        moved = any(m.weekday != pattern.weekday for m in meetings) or any(
            m.week != pattern.weeks[ordinal - 1]
            for ordinal, same in _ordinals(meetings).items()
            if ordinal <= len(pattern.weeks)
            for m in same
        )
        changed += moved
    return changed


Place = tuple[str, date, str]
"""Where a group meets: (group, day, slot)."""


def _place(m: Meeting) -> Place:
    return (m.group, m.date, m.slot)


def _happened(published: Rota | None, today: date | None, planned: set[str]) -> set[Place]:
    if published is None or today is None:
        return set()
    return {_place(m) for m in published.meetings if m.date < today and m.group in planned}


def _keeps_promises(
    scenario: Scenario,
    rota: Rota,
    published: Rota,
    today: date,
    planned: set[str],
    changes: Collection[MeetingChange],
) -> tuple[list[Breach], int]:
    """Breaches of the published rota's promises, and how many published meetings from today on that
    can still take place (their group still meets that often) are not where they were."""
    listed = {(c.group, c.half_term, c.index) for c in changes if c.reason.strip()}
    now = _numbered(rota.meetings)
    out: list[Breach] = []
    moved = 0
    for key, before in _numbered(published.meetings).items():
        group = scenario.group_by_name.get(key[0])
        if key[0] not in planned:
            continue
        after = now.get(key)
        if after is not None and _place(after) == _place(before):
            continue
        where = f"{before.group}'s meeting {key[2]} of term {key[1]} on {before.date}"
        if before.date < today:
            out.append(_breach("keeps_promises", f"{where} already happened but was moved"))
            continue
        if key not in listed:
            out.append(_breach("keeps_promises", f"{where} moved without a reason"))
        if group is not None and key[2] <= group.meetings_per_half_term:
            moved += 1
    return out, moved


def _numbered(meetings: Iterable[Meeting]) -> dict[tuple[str, int, int], Meeting]:
    """Meetings by (group, half-term, number in the half-term by date)."""
    parts: dict[tuple[str, int], list[Meeting]] = defaultdict(list)
    for m in meetings:
        parts[(m.group, m.half_term)].append(m)
    return {
        (group, term, n): m
        for (group, term), ms in parts.items()
        for n, m in enumerate(sorted(ms, key=lambda m: (m.date, m.start)), start=1)
    }
