"""The rota's CP-SAT model: every registered rota rule on a `RotaModel` (its variables live in
`allocator.constraints.rota`), one objective level, symmetry breaking between interchangeable groups,
the redundant flow that aggregates groups of the same slots, and decoding a solution into meetings.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Collection
from dataclasses import replace
from datetime import date

from ortools.sat.python import cp_model

from allocator.constraints import constraints_of
from allocator.constraints.rota import MeetingKey, RotaModel
from allocator.model import LiftGroup, Scenario
from allocator.model.rota_result import Meeting, Rota, RotaPromises, expected_cases
from allocator.rota.data import most_apart
from allocator.solve import Level, LinearExpr, Solution


def build_rota_model(
    scenario: Scenario,
    groups: Collection[str] | None = None,
    previous: Rota | None = None,
    explain: bool = False,
    promises: RotaPromises | None = None,
) -> tuple[RotaModel, list[Level]]:
    """The CP-SAT model of the rota with every registered rota rule, and its one objective level.

    Unless explaining, groups of the same slots are aggregated, and interchangeable groups ordered
    (not when a published rota is kept: its groups are no longer interchangeable).
    """
    patterns = previous.usual_patterns() if previous is not None else {}
    rota = RotaModel(scenario, groups, patterns, explain=explain, promises=promises)
    penalties = []
    for info in constraints_of("rota"):
        if info.kind == "hard":
            info.fn(rota)
        elif not explain:
            penalties += info.fn(rota)
    if not explain and promises is None:
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
            rota.term_week(MeetingKey(a, first, 1)) <= rota.term_week(MeetingKey(b, first, 1))
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
            for u, x in rota.in_term_week(a).items():
                before[u].append(x)
            for v, x in rota.in_term_week(b).items():
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
    """How many of the groups `names` can meet in a term week: at most the slots' meetings a week,
    and at most what someone who attends them all can attend without a clash."""
    options = [c.option for c in rota.choices[key] if c.option.term_week == week]
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
        room = min(room, sum(most_apart(times) for times in by_day.values()))
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
    return meetings + rota.unplaced
