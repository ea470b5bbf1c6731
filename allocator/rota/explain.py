"""Why no rota exists, in users' words: cheap counting pre-checks (a group's meeting days, a district's
slots by Hall's condition, an attendee's clash-free meetings) and, when these pass but the solver
proves infeasibility, the named rules of a small conflicting core, each reason with its fix.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from datetime import date

from allocator.constraints.rota import Guard
from allocator.model import LiftGroup, MeetingSlot, Scenario
from allocator.model.rota_result import InfeasibleReason, TermWeeks
from allocator.rota.data import OpenDays, most_apart, open_cells, open_days, plural, slot_days
from allocator.rota.model import build_rota_model
from allocator.solve import SolveParams, explain_infeasible

# ---------------------------------------------------------------------------------------------
# Pre-checks: counting arguments, in users' words
# ---------------------------------------------------------------------------------------------


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def _lost_to(scenario: Scenario, days_open: OpenDays, district: str, days: Sequence[date]) -> str:
    """' after bank holidays and closures' (whichever apply) for days that are not meeting days."""
    lost = [d for d in days if d not in days_open[district]]
    if not lost:
        return ""
    closed = {c.date for c in scenario.closures if c.applies_to(district)}
    causes = []
    if any(d not in closed for d in lost):
        causes.append("bank holidays")
    if any(d in closed for d in lost):
        causes.append("closures")
    return " after " + " and ".join(causes)


def _person(scenario: Scenario, person_id: str) -> str:
    person = scenario.person_by_id.get(person_id)
    if person is None:
        return person_id
    return f"{person.name} ({person.role.value.replace('_', ' ')})"


def precheck(scenario: Scenario, groups: Collection[str]) -> list[InfeasibleReason]:
    """Cheap counting arguments that already prove no rota for `groups` exists, each with its fix."""
    weeks = TermWeeks.of(scenario.terms)
    planned = [g for g in scenario.lift_groups if g.group in groups]
    days_open = open_days(scenario)
    reasons: list[InfeasibleReason] = []
    short_groups: set[tuple[str, int]] = set()
    for group, part in itertools.product(planned, weeks.half_terms):
        h = part.half_term
        need = group.meetings_per_half_term
        cells = open_cells(scenario, days_open, group, weeks, h, available=False)
        slots = " and ".join(f"{s.weekday} {s.start:%H:%M}" for s in scenario.slots_for(group))
        if len({weeks.locate(d) for _, d in cells}) < need:
            short_groups.add((group.group, h))
            all_days = [d for s in scenario.slots_for(group) for d in slot_days(s, weeks, h)]
            reasons.append(
                InfeasibleReason(
                    rule="meeting_days_only",
                    message=(
                        f"{group.group} ({group.district}) must meet {_times(need)} in term {h}, "
                        f"but its slot ({slots}) has only {plural(len(cells), 'meeting day')} "
                        f"in term {h}{_lost_to(scenario, days_open, group.district, all_days)}"
                    ),
                    fix="add a weekly slot on another day, or hold the meeting on a closed day",
                    district=group.district,
                    half_term=h,
                    groups=(group.group,),
                )
            )
            continue
        free = open_cells(scenario, days_open, group, weeks, h, available=True)
        if len({weeks.locate(d) for _, d in free}) < need:
            short_groups.add((group.group, h))
            days = {d for _, d in cells}
            away = [
                u
                for u in scenario.unavailability
                if u.person_id in group.attendees and any(u.covers(d) for d in days)
            ]
            people = tuple(dict.fromkeys(u.person_id for u in away))
            leave = "; ".join(
                f"{_person(scenario, u.person_id)} is away {u.first_day} to {u.last_day} ({u.reason})"
                for u in away
            )
            reasons.append(
                InfeasibleReason(
                    rule="attendees_available",
                    message=(
                        f"{group.group} ({group.district}) cannot meet {_times(need)} in term {h} "
                        f"with all its attendees there: {leave}"
                    ),
                    fix="arrange cover for the meeting, or move the leave",
                    district=group.district,
                    half_term=h,
                    groups=(group.group,),
                    people=people,
                )
            )
    reasons += _slot_shortfalls(scenario, days_open, planned, weeks, short_groups)
    if not reasons:
        reasons += _attendee_shortfalls(scenario, days_open, planned, weeks)
    return reasons


def _slot_shortfalls(
    scenario: Scenario,
    days_open: OpenDays,
    groups: list[LiftGroup],
    weeks: TermWeeks,
    already: set[tuple[str, int]],
) -> list[InfeasibleReason]:
    """Groups that can only use some slots need no more meetings than those slots can hold (Hall)."""
    reasons: list[InfeasibleReason] = []
    for district in dict.fromkeys(g.district for g in groups):
        mine = [g for g in groups if g.district == district]
        slots = [s for s in scenario.meeting_slots if s.district == district]
        allowed = {g.group: {s.slot for s in scenario.slots_for(g)} for g in mine}
        subsets = [
            set(c) for size in range(1, len(slots) + 1) for c in itertools.combinations(slots, size)
        ][:63]
        for part in weeks.half_terms:
            h = part.half_term
            failed: list[set[str]] = []
            for subset in subsets:
                ids = {s.slot for s in subset}
                if any(f <= ids for f in failed):
                    continue
                users = [g for g in mine if allowed[g.group] <= ids]
                if not users or all((g.group, h) in already for g in users):
                    continue
                need = sum(g.meetings_per_half_term for g in users)
                days = {s.slot: slot_days(s, weeks, h) for s in subset}
                room = sum(
                    s.meetings_per_week * sum(d in days_open[district] for d in days[s.slot])
                    for s in subset
                )
                if need <= room:
                    continue
                failed.append(ids)
                lost = _lost_to(
                    scenario, days_open, district, [d for x in subset for d in days[x.slot]]
                )
                reasons.append(_slot_reason(district, h, users, mine, subset, lost, room))
    return reasons


def _slot_reason(
    district: str,
    h: int,
    users: list[LiftGroup],
    mine: list[LiftGroup],
    subset: set[MeetingSlot],
    lost: str,
    room: int,
) -> InfeasibleReason:
    need = sum(g.meetings_per_half_term for g in users)
    counted = plural(len(users), "group")
    if need != len(users):
        counted += f" needing {need} meetings"
    ordered = sorted(subset, key=lambda s: (s.weekday_index, s.start))
    names = " and ".join(f"{s.weekday} {s.start:%H:%M}" for s in ordered)
    who = (
        f"{district} has {counted}"
        if len(users) == len(mine)
        else f"{district} has {counted} that can only meet in its {names} slot"
    )
    if len(ordered) == 1 and ordered[0].meetings_per_week == 1:
        supply = f"term {h} has only {plural(room, ordered[0].weekday)}{lost}"
        fix = "add a second weekly slot or merge two groups"
    else:
        supply = f"term {h} has room for only {plural(room, 'meeting')} in its {names} slots{lost}"
        fix = "add another weekly slot or merge groups"
    return InfeasibleReason(
        rule="slot_capacity",
        message=f"{who} but {supply}",
        fix=fix,
        district=district,
        half_term=h,
        groups=tuple(g.group for g in users),
    )


def _attendee_shortfalls(
    scenario: Scenario, days_open: OpenDays, groups: list[LiftGroup], weeks: TermWeeks
) -> list[InfeasibleReason]:
    """A person's groups need no more meetings in a half-term than the person can attend without a clash."""
    groups_of: dict[str, list[LiftGroup]] = defaultdict(list)
    for g in groups:
        for person in g.attendees:
            groups_of[person].append(g)
    reasons: list[InfeasibleReason] = []
    for person, theirs in groups_of.items():
        if len(theirs) < 2:
            continue
        for part in weeks.half_terms:
            h = part.half_term
            need = sum(g.meetings_per_half_term for g in theirs)
            by_day: dict[date, set[tuple[int, int]]] = defaultdict(set)
            for g in theirs:
                for slot, day in open_cells(scenario, days_open, g, weeks, h, available=True):
                    start = slot.start.hour * 60 + slot.start.minute
                    end = slot.end.hour * 60 + slot.end.minute
                    by_day[day].add((start, end))
            room = sum(most_apart(list(times)) for times in by_day.values())
            if need <= room:
                continue
            where = " and ".join(dict.fromkeys(g.district for g in theirs))
            reasons.append(
                InfeasibleReason(
                    rule="no_double_booking",
                    message=(
                        f"{_person(scenario, person)} must attend {need} meetings in term {h} "
                        f"({plural(len(theirs), 'group')} in {where}) but only {room} can be held "
                        "without a clash"
                    ),
                    fix="give some of these groups another attendee, or move a slot to another day or time",
                    half_term=h,
                    groups=tuple(g.group for g in theirs),
                    people=(person,),
                )
            )
    return reasons


# ---------------------------------------------------------------------------------------------
# Explanations from an assumption core
# ---------------------------------------------------------------------------------------------


def explain_rota(
    scenario: Scenario, groups: Collection[str], params: SolveParams | None = None
) -> list[InfeasibleReason]:
    """Why the hard rules for `groups` cannot all hold, from a small set of named rules that conflict."""
    params = params or SolveParams()
    rota, _ = build_rota_model(scenario, groups, explain=True)
    literals = {name: lit for name, (_, lit) in rota.guards.items()}
    limit = params.model_copy(update={"time_limit": min(params.time_limit, 10.0)})
    core = explain_infeasible(rota.model, literals, limit)
    if not core:
        return [
            InfeasibleReason(
                rule="unexplained",
                message=f"the rules for {', '.join(groups)} cannot all hold together",
                fix="relax a slot, an attendee or a closure and try again",
            )
        ]
    if len(core) <= 16:  # drop what the conflict does not need (deletion filter)
        for name in list(core):
            rest = [n for n in core if n != name]
            if rest and explain_infeasible(rota.model, {n: literals[n] for n in rest}, limit):
                core = rest
    guards = [rota.guards[n][0] for n in core]
    by_term: dict[int, list[Guard]] = defaultdict(list)
    for guard in guards:
        by_term[guard.half_term].append(guard)
    return [_core_reason(scenario, h, gs) for h, gs in sorted(by_term.items())]


def _core_reason(scenario: Scenario, h: int, guards: list[Guard]) -> InfeasibleReason:
    rules: list[str] = []
    fixes: list[str] = []
    for g in guards:
        if g.rule == "meets_every_half_term" and g.group:
            group = scenario.group_by_name[g.group]
            rules.append(
                f"{g.group} ({group.district}) meets {_times(group.meetings_per_half_term)}"
            )
        elif g.rule == "slot_capacity" and g.slot:
            slot = scenario.slot_by_id[g.slot]
            rules.append(
                f"the {slot.weekday} {slot.start:%H:%M} slot at {slot.venue} ({slot.district}) "
                f"holds {plural(slot.meetings_per_week, 'meeting')} a week"
            )
            fixes.append(f"add a weekly slot in {slot.district} or merge two groups")
        elif g.rule == "no_double_booking" and g.person:
            rules.append(f"{_person(scenario, g.person)} is never in two meetings at once")
            fixes.append(f"give another attendee some of {_person(scenario, g.person)}'s groups")
        elif g.rule == "attendees_available" and g.person:
            rules.append(f"{_person(scenario, g.person)} is not asked to meetings while away")
            fixes.append(f"arrange cover for {_person(scenario, g.person)} or move the leave")
    return InfeasibleReason(
        rule=Counter(g.rule for g in guards).most_common(1)[0][0],
        message=f"in term {h} these rules cannot all hold: " + "; ".join(rules),
        fix="; or ".join(dict.fromkeys(fixes)) or "add a weekly slot or merge two groups",
        half_term=h,
        groups=tuple(dict.fromkeys(g.group for g in guards if g.group)),
        people=tuple(dict.fromkeys(g.person for g in guards if g.person)),
    )
