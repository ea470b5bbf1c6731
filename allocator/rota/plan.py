"""The LIFT meeting rota planner: pre-check -> build -> solve -> decode -> check.

The county splits into components: groups that may use the same slot, or that share an attendee
(an EP serving two districts) whose meetings could overlap, are planned together; everything else
apart. Each component is one CP-SAT model (see `allocator.constraints.rota`) minimised in one level,
the weighted sum of the soft rules. Cheap counting pre-checks, then an assumption core, say why no
rota exists when none does.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import date, timedelta

from ortools.sat.python import cp_model

from allocator.constraints import constraints_of
from allocator.constraints.rota import Guard, MeetingKey, RotaModel
from allocator.model import LiftGroup, MeetingSlot, Problem, Scenario, ScenarioError
from allocator.model.base import Frozen
from allocator.model.rota_result import (
    InfeasibleReason,
    Meeting,
    OpenMeeting,
    Rota,
    RotaCheck,
    RuleScore,
    SchoolWeeks,
    expected_cases,
)
from allocator.rota.check import check_rota
from allocator.solve import (
    Level,
    LinearExpr,
    ProgressEvent,
    Solution,
    SolveParams,
    SolveResult,
    Status,
    explain_infeasible,
    solve,
)

RotaProgress = Callable[[str, ProgressEvent], None]
"""Told the component being planned (its label, e.g. "Thanet (5 groups)") and the solver's event."""


class ComponentResult(Frozen):
    """How one component (groups sharing a slot or an attendee who could be double-booked) was planned."""

    groups: tuple[str, ...]
    districts: tuple[str, ...]
    variables: int
    result: SolveResult

    @property
    def label(self) -> str:
        """The component's districts and size, for a person to read."""
        return f"{' + '.join(self.districts)} ({_plural(len(self.groups), 'group')})"


class RotaOutcome(Frozen):
    """A planned rota (or why there is none), its score per soft rule, and the checker's verdict."""

    rota: Rota | None
    status: Status
    districts: tuple[str, ...]
    objective: int | None = None
    """Total penalty, summed over the components."""
    best_bound: float | None = None
    wall_time: float = 0.0
    breakdown: tuple[RuleScore, ...] = ()
    """The solver's score of each soft rule, summed over the components."""
    components: tuple[ComponentResult, ...] = ()
    reasons: tuple[InfeasibleReason, ...] = ()
    check: RotaCheck | None = None

    @property
    def proven_optimal(self) -> bool:
        """Whether every component's rota is proven optimal."""
        return self.status == Status.OPTIMAL

    def summary(self) -> str:
        """One line for a terminal."""
        if self.rota is None:
            return f"no rota ({self.status.value}): " + "; ".join(str(r) for r in self.reasons)
        proof = "proven optimal" if self.proven_optimal else f"best found ({self.status.value})"
        checked = (
            ""
            if self.check is None
            else ("; checker agrees" if self.check.ok else "; CHECK FAILED")
        )
        return (
            f"{_plural(len(self.rota.meetings), 'meeting')} in "
            f"{_plural(len(self.districts), 'district')}, {proof}, "
            f"penalty {self.objective}, {self.wall_time:.2f} s{checked}"
        )


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
    parent = {g.group: g.group for g in scenario.lift_groups}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    def link(a: str, b: str) -> None:
        parent[root(b)] = root(a)

    users: dict[str, list[str]] = defaultdict(list)
    attended: dict[str, list[LiftGroup]] = defaultdict(list)
    for group in scenario.lift_groups:
        for slot in scenario.slots_for(group):
            users[slot.slot].append(group.group)
        for person in group.attendees:
            attended[person].append(group)
    for names in users.values():
        for other in names[1:]:
            link(names[0], other)
    for theirs in attended.values():
        for a, b in itertools.combinations(theirs, 2):
            if root(a.group) != root(b.group) and _may_clash(scenario, a, b):
                link(a.group, b.group)
    parts: dict[str, list[str]] = defaultdict(list)
    for group in scenario.lift_groups:
        parts[root(group.group)].append(group.group)
    found = [tuple(p) for p in parts.values()]
    if district is None:
        return found
    return [p for p in found if any(scenario.group_by_name[g].district == district for g in p)]


def _label(scenario: Scenario, groups: Collection[str]) -> str:
    return f"{' + '.join(_districts(scenario, groups))} ({_plural(len(groups), 'group')})"


def _districts(scenario: Scenario, groups: Collection[str]) -> tuple[str, ...]:
    mine = {scenario.group_by_name[g].district for g in groups}
    return tuple(d for d in scenario.district_names if d in mine)


# ---------------------------------------------------------------------------------------------
# Pre-checks: counting arguments, in users' words
# ---------------------------------------------------------------------------------------------


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _slot_days(
    scenario: Scenario, slot: MeetingSlot, weeks: SchoolWeeks, half_term: int
) -> list[date]:
    part = weeks.half_term(half_term)
    days = [m + timedelta(days=slot.weekday_index) for m in part.mondays]
    return [d for d in days if part.first_day <= d <= part.last_day]


OpenDays = dict[str, set[date]]
"""Each district's meeting days."""


def _open_days(scenario: Scenario) -> OpenDays:
    return {d: set(scenario.meeting_days(d)) for d in scenario.district_names}


def _lost_to(scenario: Scenario, open_days: OpenDays, district: str, days: Sequence[date]) -> str:
    """' after bank holidays and closures' (whichever apply) for days that are not meeting days."""
    lost = [d for d in days if d not in open_days[district]]
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


def _open_cells(
    scenario: Scenario,
    open_days: OpenDays,
    group: LiftGroup,
    weeks: SchoolWeeks,
    half_term: int,
    available: bool,
) -> list[tuple[MeetingSlot, date]]:
    """A group's (slot, date) places in a half-term on meeting days (and, if asked, with all attendees in)."""
    cells = [
        (slot, day)
        for slot in scenario.slots_for(group)
        for day in _slot_days(scenario, slot, weeks, half_term)
        if day in open_days[group.district]
    ]
    if not available:
        return cells
    away = [u for u in scenario.unavailability if u.person_id in group.attendees]
    return [(s, d) for s, d in cells if not any(u.covers(d) for u in away)]


def precheck(scenario: Scenario, groups: Collection[str]) -> list[InfeasibleReason]:
    """Cheap counting arguments that already prove no rota for `groups` exists, each with its fix."""
    weeks = SchoolWeeks.of(scenario.terms)
    planned = [g for g in scenario.lift_groups if g.group in groups]
    open_days = _open_days(scenario)
    reasons: list[InfeasibleReason] = []
    short_groups: set[tuple[str, int]] = set()
    for group, part in itertools.product(planned, weeks.half_terms):
        h = part.half_term
        need = group.meetings_per_half_term
        cells = _open_cells(scenario, open_days, group, weeks, h, available=False)
        slots = " and ".join(f"{s.weekday} {s.start:%H:%M}" for s in scenario.slots_for(group))
        if len({weeks.locate(d) for _, d in cells}) < need:
            short_groups.add((group.group, h))
            all_days = [
                d for s in scenario.slots_for(group) for d in _slot_days(scenario, s, weeks, h)
            ]
            reasons.append(
                InfeasibleReason(
                    rule="meeting_days_only",
                    message=(
                        f"{group.group} ({group.district}) must meet {_times(need)} in term {h}, "
                        f"but its slot ({slots}) has only {_plural(len(cells), 'meeting day')} "
                        f"in term {h}{_lost_to(scenario, open_days, group.district, all_days)}"
                    ),
                    fix="add a weekly slot on another day, or hold the meeting on a closed day",
                    district=group.district,
                    half_term=h,
                    groups=(group.group,),
                )
            )
            continue
        free = _open_cells(scenario, open_days, group, weeks, h, available=True)
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
    reasons += _slot_shortfalls(scenario, open_days, planned, weeks, short_groups)
    if not reasons:
        reasons += _attendee_shortfalls(scenario, open_days, planned, weeks)
    return reasons


def _slot_shortfalls(
    scenario: Scenario,
    open_days: OpenDays,
    groups: list[LiftGroup],
    weeks: SchoolWeeks,
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
                days = {s.slot: _slot_days(scenario, s, weeks, h) for s in subset}
                room = sum(
                    s.meetings_per_week * sum(d in open_days[district] for d in days[s.slot])
                    for s in subset
                )
                if need <= room:
                    continue
                failed.append(ids)
                lost = _lost_to(
                    scenario, open_days, district, [d for x in subset for d in days[x.slot]]
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
    counted = _plural(len(users), "group")
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
        supply = f"term {h} has only {_plural(room, ordered[0].weekday)}{lost}"
        fix = "add a second weekly slot or merge two groups"
    else:
        supply = f"term {h} has room for only {_plural(room, 'meeting')} in its {names} slots{lost}"
        fix = "add another weekly slot or merge groups"
    return InfeasibleReason(
        rule="slot_capacity",
        message=f"{who} but {supply}",
        fix=fix,
        district=district,
        half_term=h,
        groups=tuple(g.group for g in users),
    )


def _most_apart(intervals: list[tuple[int, int]]) -> int:
    """The most meetings one person can attend among (start, end) times on one day (greedy by end)."""
    count, free_from = 0, -1
    for start, end in sorted(intervals, key=lambda t: t[1]):
        if start >= free_from:
            count, free_from = count + 1, end
    return count


def _attendee_shortfalls(
    scenario: Scenario, open_days: OpenDays, groups: list[LiftGroup], weeks: SchoolWeeks
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
                for slot, day in _open_cells(scenario, open_days, g, weeks, h, available=True):
                    start = slot.start.hour * 60 + slot.start.minute
                    end = slot.end.hour * 60 + slot.end.minute
                    by_day[day].add((start, end))
            room = sum(_most_apart(list(times)) for times in by_day.values())
            if need <= room:
                continue
            where = " and ".join(dict.fromkeys(g.district for g in theirs))
            reasons.append(
                InfeasibleReason(
                    rule="no_double_booking",
                    message=(
                        f"{_person(scenario, person)} must attend {need} meetings in term {h} "
                        f"({_plural(len(theirs), 'group')} in {where}) but only {room} can be held "
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
# Build, solve, decode
# ---------------------------------------------------------------------------------------------


def build_rota_model(
    scenario: Scenario,
    groups: Collection[str] | None = None,
    previous: Rota | None = None,
    explain: bool = False,
) -> tuple[RotaModel, list[Level]]:
    """The CP-SAT model of the rota with every registered rota rule, and its one objective level.

    Unless explaining, interchangeable groups are ordered, and groups of the same slots aggregated.
    """
    patterns = previous.usual_patterns() if previous is not None else {}
    rota = RotaModel(scenario, groups, patterns, explain=explain)
    penalties = []
    for info in constraints_of("rota"):
        if info.kind == "hard":
            info.fn(rota)
        elif not explain:
            penalties += info.fn(rota)
    if not explain:
        for names in _alike(rota):
            _break_symmetry(rota, names)
        for names in _same_shape(rota):
            _aggregate(rota, names)
    return rota, [Level("rota", penalties)]


def _case_costs(scenario: Scenario, group: LiftGroup) -> tuple[int, ...]:
    """What case balance can charge a group beyond a constant: per slot its cases over capacity less
    the least of these (slots of one meeting a week), else its expected cases."""
    cases = expected_cases(scenario, group.group)
    slots = scenario.slots_for(group)
    if all(s.meetings_per_week == 1 for s in slots):
        costs = [max(0, cases - s.case_capacity) for s in slots]
        return tuple(c - min(costs) for c in costs)
    return (cases,)


def _alike(rota: RotaModel) -> list[list[str]]:
    """Classes of two or more interchangeable groups: same district, slots, attendees, meetings, case
    costs and previous pattern, so swapping two of them changes neither a rule nor a penalty."""
    classes: dict[tuple[object, ...], list[str]] = defaultdict(list)
    for g in rota.groups:
        signature = (
            g.district,
            tuple(s.slot for s in rota.scenario.slots_for(g)),
            frozenset(g.attendees),
            g.meetings_per_half_term,
            _case_costs(rota.scenario, g),
            rota.previous.get(g.group),
        )
        classes[signature].append(g.group)
    return [names for names in classes.values() if len(names) > 1]


def _same_shape(rota: RotaModel) -> list[list[str]]:
    """Classes of two or more groups with the same slots and meetings a half-term (so the same weeks)."""
    classes: dict[tuple[object, ...], list[str]] = defaultdict(list)
    for g in rota.groups:
        slots = tuple(s.slot for s in rota.scenario.slots_for(g))
        classes[(slots, g.meetings_per_half_term)].append(g.group)
    return [names for names in classes.values() if len(names) > 1]


def _break_symmetry(rota: RotaModel, names: list[str]) -> None:
    """Interchangeable groups take their first meetings of the year in name order (any rota can be
    renamed into one that does): sw(g_i) ≤ sw(g_i+1)."""
    first = min(part.half_term for part in rota.weeks.half_terms)
    for a, b in itertools.pairwise(names):
        rota.model.add(
            rota.school_week(MeetingKey(a, first, 1)) <= rota.school_week(MeetingKey(b, first, 1))
        )


def _aggregate(rota: RotaModel, names: list[str]) -> None:
    """Groups of the same slots also form one integer flow F[u, v] = Σ_g z_g[u, v] through the weeks.

    A redundant constraint: it changes no solution, but CP-SAT's default linear relaxation keeps only
    constraints with integer variables, and this flow with its week capacities bounds the groups'
    spacing, position and edge penalties together (exactly, when their costs are alike).
    """
    pattern = [(a, b) for a, b in rota.arcs if a.group == names[0]]
    for a0, b0 in pattern:
        pairs = [(replace(a0, group=g), replace(b0, group=g)) for g in names]
        arcs: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
        before: dict[int, list[LinearExpr]] = defaultdict(list)
        after: dict[int, list[LinearExpr]] = defaultdict(list)
        for a, b in pairs:
            for uv, z in rota.transitions(a, b).items():
                arcs[uv].append(z)
            for u, x in rota.in_school_week(a).items():
                before[u].append(x)
            for v, x in rota.in_school_week(b).items():
                after[v].append(x)
        flow = {
            uv: rota.model.new_int_var(0, len(names), f"flow|{names[0]}|{a0}|{b0}|{uv}")
            for uv in arcs
        }
        leaving: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        entering: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for (u, v), zs in arcs.items():
            rota.model.add(flow[(u, v)] == cp_model.LinearExpr.sum(zs))
            leaving[u].append(flow[(u, v)])
            entering[v].append(flow[(u, v)])
        for u, xs in before.items():
            rota.model.add(cp_model.LinearExpr.sum(leaving[u]) == sum(xs))
            if (room := _room(rota, names, a0, u)) < len(names):
                rota.model.add(cp_model.LinearExpr.sum(leaving[u]) <= room)
        for v, xs in after.items():
            rota.model.add(cp_model.LinearExpr.sum(entering[v]) == sum(xs))
            if (room := _room(rota, names, b0, v)) < len(names):
                rota.model.add(cp_model.LinearExpr.sum(entering[v]) <= room)


def _room(rota: RotaModel, names: list[str], key: MeetingKey, week: int) -> int:
    """How many of the groups `names` can meet in a school week: at most the slots' meetings a week,
    and at most what someone who attends them all can attend without a clash."""
    options = [c.option for c in rota.choices[key] if c.option.school_week == week]
    room = sum(o.slot.meetings_per_week for o in options)
    attendees = set.intersection(*(set(rota.group_by_name[g].attendees) for g in names))
    if attendees:
        by_day: dict[date, list[tuple[int, int]]] = defaultdict(list)
        for o in options:
            by_day[o.date].append(
                (
                    o.slot.start.hour * 60 + o.slot.start.minute,
                    o.slot.end.hour * 60 + o.slot.end.minute,
                )
            )
        room = min(room, sum(_most_apart(times) for times in by_day.values()))
    return room


def decode(rota: RotaModel, solution: Solution) -> list[Meeting]:
    """The meetings a solution chose."""
    meetings = []
    for key, choices in rota.choices.items():
        group = rota.group_by_name[key.group]
        for c in choices:
            if solution.boolean(c.var):
                slot = c.option.slot
                meetings.append(
                    Meeting(
                        district=group.district,
                        group=group.group,
                        half_term=key.half_term,
                        date=c.option.date,
                        weekday=slot.weekday,
                        start=slot.start,
                        end=slot.end,
                        venue=slot.venue,
                        slot=slot.slot,
                        week=c.option.week,
                        attendees=group.attendees,
                    )
                )
    return meetings


def _sort_key(m: Meeting) -> tuple[date, object, str, str]:
    return (m.date, m.start, m.district, m.group)


def plan_rota(
    scenario: Scenario,
    params: SolveParams | None = None,
    previous: Rota | None = None,
    district: str | None = None,
    progress: RotaProgress | None = None,
) -> RotaOutcome:
    """Plan the year's rota for the county (or for the groups linked to `district`), proven optimal
    where time allows; with no rota, the reasons in users' words."""
    params = params or SolveParams()
    start = time.perf_counter()
    parts = components(scenario, district)
    planned = [g for part in parts for g in part]
    districts = _districts(scenario, planned)
    reasons = precheck(scenario, planned)
    if reasons:
        return RotaOutcome(
            rota=None,
            status=Status.INFEASIBLE,
            districts=districts,
            reasons=tuple(reasons),
            wall_time=time.perf_counter() - start,
        )
    results: list[ComponentResult] = []
    meetings: list[Meeting] = []
    scores: dict[str, list[int]] = {}
    for index, part in enumerate(parts):
        left = params.time_limit - (time.perf_counter() - start)
        share = left * len(part) / sum(len(p) for p in parts[index:])
        rota, levels = build_rota_model(scenario, part, previous)
        label = _label(scenario, part)
        emit = None if progress is None else (lambda e, _l=label: progress(_l, e))
        result, solution = solve(
            rota.model,
            levels,
            params.model_copy(update={"time_limit": max(0.1, share)}),
            progress=emit,
        )
        results.append(
            ComponentResult(
                groups=part,
                districts=_districts(scenario, part),
                variables=len(rota.model.proto.variables),
                result=result,
            )
        )
        if result.status == Status.INFEASIBLE:
            reasons += explain_rota(scenario, part, params)
            continue
        if not result.status.has_solution:
            reasons.append(
                InfeasibleReason(
                    rule="time_limit",
                    message=f"no rota for {label} was found in {share:.1f} s",
                    fix="allow more time (--time-limit)",
                    groups=part,
                )
            )
            continue
        meetings += decode(rota, solution)
        for score in result.breakdown:
            totals = scores.setdefault(score.name, [score.weight, 0, 0])
            totals[1] += score.violation
            totals[2] += score.penalty
    statuses = [r.result.status for r in results]
    if reasons:
        return RotaOutcome(
            rota=None,
            status=Status.INFEASIBLE if Status.INFEASIBLE in statuses else Status.UNKNOWN,
            districts=districts,
            components=tuple(results),
            reasons=tuple(reasons),
            wall_time=time.perf_counter() - start,
        )
    rota_found = Rota(meetings=tuple(sorted(meetings, key=_sort_key)))
    optimal = all(s == Status.OPTIMAL for s in statuses)
    return RotaOutcome(
        rota=rota_found,
        status=Status.OPTIMAL if optimal else Status.FEASIBLE,
        districts=districts,
        objective=sum(round(r.result.objective or 0) for r in results),
        best_bound=sum(r.result.best_bound or 0 for r in results),
        wall_time=time.perf_counter() - start,
        breakdown=tuple(
            RuleScore(name=n, weight=w, violation=v, penalty=p) for n, (w, v, p) in scores.items()
        ),
        components=tuple(results),
        check=check_rota(scenario, rota_found, previous, planned),
    )


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
                f"holds {_plural(slot.meetings_per_week, 'meeting')} a week"
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


# ---------------------------------------------------------------------------------------------
# Urgent cases and the naive baseline
# ---------------------------------------------------------------------------------------------


def next_meetings(
    scenario: Scenario, rota: Rota, urn: int, after: date, limit: int = 5
) -> list[OpenMeeting]:
    """The next meetings of a school's district, after `after`, that still have room for a case.

    Room is the slot's case capacity less the expected cases of the groups meeting there; a school
    goes to its own kind of meeting (schools or early years), never to the Executive.
    """
    school = scenario.school_by_urn.get(urn)
    if school is None:
        raise ScenarioError(
            [Problem(file="--school", value=str(urn), expected="a urn of schools.csv")]
        )
    own = scenario.group_by_name.get(school.lift_group or "")
    kind = (
        own.kind.value
        if own is not None
        else ("early_years" if school.phase.value == "early_years" else "schools")
    )
    cases: dict[tuple[str, date], int] = defaultdict(int)
    for m in rota.meetings:
        cases[(m.slot, m.date)] += expected_cases(scenario, m.group)
    found: list[OpenMeeting] = []
    for m in sorted(rota.in_district(school.district), key=_sort_key):
        group = scenario.group_by_name.get(m.group)
        if m.date <= after or group is None or group.kind.value != kind:
            continue
        spare = scenario.slot_by_id[m.slot].case_capacity - cases[(m.slot, m.date)]
        if spare > 0:
            found.append(
                OpenMeeting(meeting=m, expected_cases=cases[(m.slot, m.date)], spare_cases=spare)
            )
        if len(found) >= limit:
            break
    return found


def round_robin_rota(scenario: Scenario) -> Rota:
    """The rota by hand: the k-th group of a slot meets in week k of every half-term (wrapping round),
    on the slot's day, whatever the calendar or the attendees."""
    weeks = SchoolWeeks.of(scenario.terms)
    meetings = []
    for slot in scenario.meeting_slots:
        users = [
            g
            for g in scenario.lift_groups
            if g.district == slot.district and scenario.slots_for(g)[0] == slot
        ]
        for k, group in enumerate(users):
            for part in weeks.half_terms:
                days = _slot_days(scenario, slot, weeks, part.half_term)
                for ordinal in range(group.meetings_per_half_term):
                    day = days[(k * group.meetings_per_half_term + ordinal) % len(days)]
                    place = weeks.locate(day)
                    meetings.append(
                        Meeting(
                            district=group.district,
                            group=group.group,
                            half_term=part.half_term,
                            date=day,
                            weekday=slot.weekday,
                            start=slot.start,
                            end=slot.end,
                            venue=slot.venue,
                            slot=slot.slot,
                            week=place[1] if place else 1,
                            attendees=group.attendees,
                        )
                    )
    return Rota(meetings=tuple(sorted(meetings, key=_sort_key)))
