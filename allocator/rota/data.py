"""What the rota planner and the baseline both read from a scenario: the components (groups planned
together), the calendar of meeting weeks (a slot's days in a half-term), each district's open days,
and the words and orders shared by the rooms of the rota.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Collection
from datetime import date, timedelta

from allocator.model import LiftGroup, MeetingSlot, Problem, Scenario, ScenarioError
from allocator.model.rota_result import Meeting, TermWeeks
from allocator.unionfind import UnionFind

# ---------------------------------------------------------------------------------------------
# Components
# ---------------------------------------------------------------------------------------------


def _may_clash(scenario: Scenario, a: LiftGroup, b: LiftGroup) -> bool:
    """Whether meetings of two groups could overlap: some slots of theirs share a weekday and a time."""
    return any(
        s.weekday == t.weekday and s.start < t.end and t.start < s.end
        for s in scenario.slots_for(a)
        for t in scenario.slots_for(b)
    )


def components(scenario: Scenario, district: str | None = None) -> list[tuple[str, ...]]:
    """Groups that must be planned together, in file order (only those touching `district`, if given).

    Two groups are linked when they may use the same slot, or when someone attends both and their
    slots could overlap (same weekday, overlapping times): nothing else ties one group's meetings to
    another's, so each component is an independent, smaller model.
    """
    if district is not None and district not in scenario.district_names:
        raise ScenarioError(
            [
                Problem(
                    file="--district",
                    value=district,
                    expected="a district of the scenario: " + ", ".join(scenario.district_names),
                )
            ]
        )
    linked = UnionFind(g.group for g in scenario.lift_groups)
    users: dict[str, list[str]] = defaultdict(list)
    attended: dict[str, list[LiftGroup]] = defaultdict(list)
    for group in scenario.lift_groups:
        for slot in scenario.slots_for(group):
            users[slot.slot].append(group.group)
        for person in group.attendees:
            attended[person].append(group)
    for names in users.values():
        for other in names[1:]:
            linked.union(other, names[0])
    for theirs in attended.values():
        for a, b in itertools.combinations(theirs, 2):
            if linked.find(a.group) != linked.find(b.group) and _may_clash(scenario, a, b):
                linked.union(b.group, a.group)
    found = [tuple(p) for p in linked.groups()]
    if district is None:
        return found
    return [p for p in found if any(scenario.group_by_name[g].district == district for g in p)]


def districts_of(scenario: Scenario, groups: Collection[str]) -> tuple[str, ...]:
    """The districts of `groups`, in the scenario's order."""
    mine = {scenario.group_by_name[g].district for g in groups}
    return tuple(d for d in scenario.district_names if d in mine)


def component_label(scenario: Scenario, groups: Collection[str]) -> str:
    """A component's districts and size, for a person to read (e.g. "Thanet (5 groups)")."""
    return f"{' + '.join(districts_of(scenario, groups))} ({plural(len(groups), 'group')})"


def plural(n: int, word: str) -> str:
    """`n` and `word`, plural unless `n` is 1: "1 group", "3 groups"."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# ---------------------------------------------------------------------------------------------
# The calendar of meeting weeks
# ---------------------------------------------------------------------------------------------


def slot_days(slot: MeetingSlot, weeks: TermWeeks, half_term: int) -> list[date]:
    """The days of a weekly slot in a half-term (term weeks only, bank holidays and closures kept)."""
    part = weeks.half_term(half_term)
    days = [m + timedelta(days=slot.weekday_index) for m in part.mondays]
    return [d for d in days if part.first_day <= d <= part.last_day]


OpenDays = dict[str, set[date]]
"""Each district's meeting days."""


def open_days(scenario: Scenario) -> OpenDays:
    """Each district's meeting days: school days that are neither bank holidays nor its closures."""
    return {d: set(scenario.meeting_days(d)) for d in scenario.district_names}


def open_cells(
    scenario: Scenario,
    days_open: OpenDays,
    group: LiftGroup,
    weeks: TermWeeks,
    half_term: int,
    available: bool,
) -> list[tuple[MeetingSlot, date]]:
    """A group's (slot, date) places in a half-term on meeting days (and, if asked, with all attendees in)."""
    cells = [
        (slot, day)
        for slot in scenario.slots_for(group)
        for day in slot_days(slot, weeks, half_term)
        if day in days_open[group.district]
    ]
    if not available:
        return cells
    away = [u for u in scenario.unavailability if u.person_id in group.attendees]
    return [(s, d) for s, d in cells if not any(u.covers(d) for u in away)]


def most_apart(intervals: list[tuple[int, int]]) -> int:
    """The most meetings one person can attend among (start, end) times on one day (greedy by end)."""
    count, free_from = 0, -1
    for start, end in sorted(intervals, key=lambda t: t[1]):
        if start >= free_from:
            count, free_from = count + 1, end
    return count


def meeting_order(m: Meeting) -> tuple[date, object, str, str]:
    """The order of meetings in a rota: by date, start, district and group."""
    return (m.date, m.start, m.district, m.group)
