"""The meeting rota's rules, one small named function each, over a `RotaModel`.

The variables are Booleans x[m, o]: meeting m (the j-th meeting of a group in half-term h) takes option
o, a (slot, week) pair whose slot day falls inside the half-term. The term week of m (holidays not
counted) is Σ_o sw(o)·x[m, o]. Rules on the gap between two meetings a and b use transition Booleans
z[u, v] (a in term week u, b in v), a flow between the two meetings' weeks, so each gap's penalty
is exact per pair of weeks and the linear relaxation stays tight.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from ortools.sat.python import cp_model

from allocator.constraints.registry import constraint
from allocator.model import LiftGroup, MeetingSlot, Scenario
from allocator.model.rota_result import (
    Meeting,
    RotaPromises,
    TermWeeks,
    UsualPattern,
    expected_cases,
    ideal_interval,
)
from allocator.solve import LinearExpr, Penalty


@dataclass(frozen=True, order=True)
class MeetingKey:
    """The `ordinal`-th meeting (from 1) of a group in a half-term."""

    group: str
    half_term: int
    ordinal: int


@dataclass(frozen=True)
class Option:
    """A place for a meeting: a slot in a week of a half-term, on the slot's day."""

    slot: MeetingSlot
    half_term: int
    week: int
    """Week of the half-term, from 1."""
    last_week: int
    """How many weeks the half-term touches (so `week == last_week` is its last week)."""
    term_week: int
    date: date


@dataclass(frozen=True)
class Choice:
    """A meeting's option with the Boolean that says the meeting takes it."""

    meeting: MeetingKey
    option: Option
    var: cp_model.IntVar


@dataclass(frozen=True)
class Guard:
    """A named part of the hard rules that an infeasibility explanation may switch off."""

    rule: str
    half_term: int
    group: str | None = None
    person: str | None = None
    slot: str | None = None

    @property
    def name(self) -> str:
        """A unique name for the assumption."""
        parts = (
            self.rule,
            str(self.half_term),
            self.group or "",
            self.person or "",
            self.slot or "",
        )
        return "|".join(parts)


class RotaModel:
    """The CP-SAT model of a rota: options, their Booleans and the expressions the rules share.

    With `explain`, each hard rule is enforced only under a `Guard` literal, so that a sufficient set
    of guards that cannot all hold names the groups, slots and people at fault.
    """

    def __init__(
        self,
        scenario: Scenario,
        groups: Collection[str] | None = None,
        previous: Mapping[str, UsualPattern] | None = None,
        explain: bool = False,
        promises: RotaPromises | None = None,
    ) -> None:
        self.scenario = scenario
        self.promises = promises
        self.settings = scenario.settings.rota
        self.weeks = TermWeeks.of(scenario.terms)
        self.groups: list[LiftGroup] = [
            g for g in scenario.lift_groups if groups is None or g.group in groups
        ]
        self.previous: dict[str, UsualPattern] = dict(previous or {})
        self.explain = explain
        self.model = cp_model.CpModel()
        self.guards: dict[str, tuple[Guard, cp_model.IntVar]] = {}
        self.choices: dict[MeetingKey, list[Choice]] = {}
        self.arcs: dict[tuple[MeetingKey, MeetingKey], dict[tuple[int, int], cp_model.IntVar]] = {}
        """The transitions made so far, by (earlier, later) meeting."""
        for group in self.groups:
            slots = scenario.slots_for(group)
            for part in self.weeks.half_terms:
                options = [
                    Option(
                        slot=slot,
                        half_term=part.half_term,
                        week=week,
                        last_week=part.weeks,
                        term_week=part.first_term_week + week - 1,
                        date=day,
                    )
                    for week, monday in enumerate(part.mondays, start=1)
                    for slot in slots
                    if part.first_day
                    <= (day := date.fromordinal(monday.toordinal() + slot.weekday_index))
                    <= part.last_day
                ]
                for ordinal in range(1, group.meetings_per_half_term + 1):
                    key = MeetingKey(group.group, part.half_term, ordinal)
                    self.choices[key] = [
                        Choice(
                            key,
                            o,
                            self.model.new_bool_var(
                                f"{key.group}|{key.half_term}.{ordinal}|{o.slot.slot}|{o.week}"
                            ),
                        )
                        for o in options
                    ]

        self.fixed: dict[MeetingKey, Choice] = {}
        """Published meetings that stay where they are (held, or kept), by the choice they take."""
        self.movable: dict[MeetingKey, Choice | None] = {}
        """Published meetings that may move, by the choice of their published place (None: gone)."""
        self.held: set[int] = set()
        """Variables of meetings held before today (they happened, whatever the calendar now says)."""
        self.unplaced: list[Meeting] = []
        """Held meetings the model cannot represent (their slot has gone): kept as they were."""
        if promises is not None:
            self._place(promises)

    def _place(self, promises: RotaPromises) -> None:
        for kind, entries in (("held", promises.held), ("kept", promises.kept)):
            for key, entry in RotaPromises.ids(entries).items():
                if entry.meeting.group not in self.group_by_name:
                    continue
                choice = self.place_of(MeetingKey(*key), entry.meeting)
                if choice is None:
                    # Only a held meeting can have lost its place (its slot, or its number in the
                    # half-term, is gone): it happened, so it stays as it was, outside the model.
                    self.choices.pop(MeetingKey(*key), None)
                    self.unplaced.append(entry.meeting)
                    continue
                self.fixed[MeetingKey(*key)] = choice
                if kind == "held":
                    self.held.add(choice.var.index)
        for key, entry in RotaPromises.ids(promises.free).items():
            if MeetingKey(*key) in self.choices:
                self.movable[MeetingKey(*key)] = self.place_of(MeetingKey(*key), entry.meeting)
        # Nothing new is placed before today: a meeting that did not happen there never will.
        for meeting in list(self.choices):
            if meeting in self.fixed:
                continue
            future = [c for c in self.choices[meeting] if c.option.date >= promises.today]
            if future:
                self.choices[meeting] = future
            else:
                del self.choices[meeting]
                self.movable.pop(meeting, None)

    def place_of(self, key: MeetingKey, meeting: Meeting) -> Choice | None:
        """The choice that puts meeting `key` where `meeting` was (same slot and day), if any."""
        return next(
            (
                c
                for c in self.choices.get(key, ())
                if c.option.slot.slot == meeting.slot and c.option.date == meeting.date
            ),
            None,
        )

    def guard(
        self,
        rule: str,
        half_term: int,
        *,
        group: str | None = None,
        person: str | None = None,
        slot: str | None = None,
    ) -> list[cp_model.IntVar]:
        """The enforcement literal of a named part of a hard rule (none unless explaining)."""
        if not self.explain:
            return []
        guard = Guard(rule, half_term, group, person, slot)
        if guard.name not in self.guards:
            self.guards[guard.name] = (guard, self.model.new_bool_var(guard.name))
        return [self.guards[guard.name][1]]

    @cached_property
    def group_by_name(self) -> dict[str, LiftGroup]:
        """The planned groups by name."""
        return {g.group: g for g in self.groups}

    @cached_property
    def meetings_by_group(self) -> dict[str, list[MeetingKey]]:
        """Each group's meetings in order through the year."""
        keys: dict[str, list[MeetingKey]] = defaultdict(list)
        for key in sorted(self.choices):
            keys[key.group].append(key)
        return keys

    @cached_property
    def by_slot_week(self) -> dict[tuple[str, int, int], list[Choice]]:
        """The choices of every meeting for each (slot, half-term, week)."""
        cells: dict[tuple[str, int, int], list[Choice]] = defaultdict(list)
        for choices in self.choices.values():
            for c in choices:
                cells[(c.option.slot.slot, c.option.half_term, c.option.week)].append(c)
        return cells

    def all_choices(self) -> list[Choice]:
        """Every choice of every meeting."""
        return [c for choices in self.choices.values() for c in choices]

    def term_week(self, key: MeetingKey) -> LinearExpr:
        """The term week of a meeting, Σ_o sw(o)·x[m, o]."""
        choices = self.choices[key]
        return cp_model.LinearExpr.weighted_sum(
            [c.var for c in choices], [c.option.term_week for c in choices]
        )

    def in_term_week(self, key: MeetingKey) -> dict[int, LinearExpr]:
        """Per term week, whether a meeting takes it: X[m, w] = Σ x[m, o] over o in week w."""
        weeks: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for c in self.choices[key]:
            weeks[c.option.term_week].append(c.var)
        return {w: _sum(xs) for w, xs in sorted(weeks.items())}

    def transitions(
        self, earlier: MeetingKey, later: MeetingKey
    ) -> dict[tuple[int, int], cp_model.IntVar]:
        """Booleans z[u, v]: `earlier` is in term week u and `later` in v (u < v), a flow between
        the two meetings' weeks: Σ_v z[u, v] = X[earlier, u] and Σ_u z[u, v] = X[later, v].

        A penalty on the gap v − u is then exact per pair of weeks, which keeps the bound tight.
        """
        pair = (earlier, later)
        if pair not in self.arcs:
            before, after = self.in_term_week(earlier), self.in_term_week(later)
            arcs = {
                (u, v): self.model.new_bool_var(f"z|{earlier}|{u}|{v}")
                for u in before
                for v in after
                if u < v
            }
            leaving: dict[int, list[cp_model.IntVar]] = defaultdict(list)
            entering: dict[int, list[cp_model.IntVar]] = defaultdict(list)
            for (u, v), z in arcs.items():
                leaving[u].append(z)
                entering[v].append(z)
            for u, x in before.items():
                self.model.add(_sum(leaving[u]) == x)
            for v, x in after.items():
                self.model.add(_sum(entering[v]) == x)
            self.arcs[pair] = arcs
        return self.arcs[pair]


def _sum(terms: list[cp_model.IntVar]) -> LinearExpr:
    return cp_model.LinearExpr.sum(terms)


def _weighted(terms: list[tuple[int, cp_model.IntVar]]) -> LinearExpr:
    return cp_model.LinearExpr.weighted_sum([v for _, v in terms], [c for c, _ in terms])


# ---------------------------------------------------------------------------------------------
# Hard rules
# ---------------------------------------------------------------------------------------------


@constraint("rota", "hard")
def meets_every_half_term(rota: RotaModel) -> None:
    """Each group meets exactly meetings_per_half_term times in every half-term, in different weeks: Σ_o x[m, o] = 1 and sw(m_j) < sw(m_j+1)."""
    for group, keys in rota.meetings_by_group.items():
        for key in keys:
            guard = rota.guard("meets_every_half_term", key.half_term, group=group)
            rota.model.add(_sum([c.var for c in rota.choices[key]]) == 1).only_enforce_if(guard)
        for earlier, later in itertools.pairwise(keys):
            if earlier.half_term == later.half_term:
                guard = rota.guard("meets_every_half_term", later.half_term, group=group)
                rota.model.add(
                    rota.term_week(earlier) + 1 <= rota.term_week(later)
                ).only_enforce_if(guard)


@constraint("rota", "hard")
def meeting_days_only(rota: RotaModel) -> None:
    """A group meets only on meeting days of its district (term days that are not bank holidays or closures): x[m, o] = 0 otherwise."""
    days = {d: set(rota.scenario.meeting_days(d)) for d in {g.district for g in rota.groups}}
    for c in rota.all_choices():
        if c.option.date not in days[c.option.slot.district] and c.var.index not in rota.held:
            rota.model.add(c.var == 0)


@constraint("rota", "hard")
def slot_capacity(rota: RotaModel) -> None:
    """A slot holds at most meetings_per_week meetings a week: Σ x over the slot's week ≤ meetings_per_week."""
    for (slot_id, half_term, _), choices in rota.by_slot_week.items():
        slot = rota.scenario.slot_by_id[slot_id]
        if len({c.meeting for c in choices}) > slot.meetings_per_week:
            guard = rota.guard("slot_capacity", half_term, slot=slot_id)
            total = _sum([c.var for c in choices])
            rota.model.add(total <= slot.meetings_per_week).only_enforce_if(guard)


@constraint("rota", "hard")
def no_double_booking(rota: RotaModel) -> None:
    """A person is never in two meetings at once: for each attendee, date and time t, Σ x over meetings they attend that run at t ≤ 1."""
    groups_of: dict[str, list[str]] = defaultdict(list)
    for group in rota.groups:
        for person in group.attendees:
            groups_of[person].append(group.group)
    seen: set[frozenset[int]] = set()
    if not rota.explain:  # a slot of one meeting a week already keeps its meetings apart
        for (slot_id, _, _), choices in rota.by_slot_week.items():
            if rota.scenario.slot_by_id[slot_id].meetings_per_week == 1:
                seen.add(frozenset(c.var.index for c in choices))
    for person, groups in sorted(groups_of.items()):
        by_date: dict[date, list[Choice]] = defaultdict(list)
        for name in groups:
            for key in rota.meetings_by_group[name]:
                for c in rota.choices[key]:
                    by_date[c.option.date].append(c)
        mine: set[frozenset[int]] = set()
        for choices in by_date.values():
            for t in sorted({c.option.slot.start for c in choices}):
                clique = [c for c in choices if c.option.slot.start <= t < c.option.slot.end]
                ident = frozenset(c.var.index for c in clique)
                if len({c.meeting for c in clique}) < 2 or ident in seen or ident in mine:
                    continue
                mine.add(ident)
                guard = rota.guard("no_double_booking", clique[0].option.half_term, person=person)
                rota.model.add(_sum([c.var for c in clique]) <= 1).only_enforce_if(guard)
        if not rota.explain:
            seen |= mine


@constraint("rota", "hard")
def attendees_available(rota: RotaModel) -> None:
    """A group meets only when every attendee is available: x[m, o] = 0 if an attendee is away on o's date."""
    away: dict[str, list[tuple[date, date]]] = defaultdict(list)
    for u in rota.scenario.unavailability:
        away[u.person_id].append((u.first_day, u.last_day))
    for c in rota.all_choices():
        if c.var.index in rota.held:
            continue
        for person in rota.group_by_name[c.meeting.group].attendees:
            if any(first <= c.option.date <= last for first, last in away.get(person, ())):
                guard = rota.guard("attendees_available", c.option.half_term, person=person)
                rota.model.add(c.var == 0).only_enforce_if(guard)


@constraint("rota", "hard")
def keeps_promises(rota: RotaModel) -> None:
    """A published meeting stays where it is: always before today, and from today on unless freed or no longer possible there: x[m, o*] = 1."""
    for key, choice in rota.fixed.items():
        guard = rota.guard("keeps_promises", key.half_term, group=key.group)
        rota.model.add(choice.var == 1).only_enforce_if(guard)


# ---------------------------------------------------------------------------------------------
# Soft rules
# ---------------------------------------------------------------------------------------------


@constraint("rota", "soft")
def even_spacing(rota: RotaModel) -> list[Penalty]:
    """A group's consecutive meetings are the ideal interval apart: Σ |gap − I| in term weeks, I = ⌊W/n + ½⌋ for W term weeks and n meetings a year."""
    weight = rota.settings.spacing
    terms: list[tuple[int, cp_model.IntVar]] = []
    if weight > 0:
        for keys in rota.meetings_by_group.values():
            ideal = ideal_interval(rota.weeks.total, len(keys))
            for earlier, later in itertools.pairwise(keys):
                for (u, v), z in rota.transitions(earlier, later).items():
                    if v - u != ideal:
                        terms.append((abs(v - u - ideal), z))
    return [Penalty("even_spacing", _weighted(terms), weight)]


@constraint("rota", "soft")
def short_gaps(rota: RotaModel) -> list[Penalty]:
    """Gaps under short_gap_weeks S cost more: Σ max(0, S − gap) over a group's consecutive meetings, in term weeks."""
    weight, short = rota.settings.short_gap, rota.settings.short_gap_weeks
    terms: list[tuple[int, cp_model.IntVar]] = []
    if weight > 0:
        for keys in rota.meetings_by_group.values():
            for earlier, later in itertools.pairwise(keys):
                for (u, v), z in rota.transitions(earlier, later).items():
                    if v - u < short:
                        terms.append((short - (v - u), z))
    return [Penalty("short_gaps", _weighted(terms), weight)]


@constraint("rota", "soft")
def same_position(rota: RotaModel) -> list[Penalty]:
    """A group keeps its week of the half-term: Σ over half-terms h > 1 of [the week of its j-th meeting in h ≠ that in h − 1]."""
    weight = rota.settings.same_position
    terms: list[tuple[int, cp_model.IntVar]] = []
    if weight > 0:
        first_week = {part.half_term: part.first_term_week for part in rota.weeks.half_terms}
        for keys in rota.meetings_by_group.values():
            for earlier, later in itertools.combinations(keys, 2):
                if earlier.ordinal != later.ordinal or later.half_term != earlier.half_term + 1:
                    continue
                for (u, v), z in rota.transitions(earlier, later).items():
                    if u - first_week[earlier.half_term] != v - first_week[later.half_term]:
                        terms.append((1, z))
    return [Penalty("same_position", _weighted(terms), weight)]


@constraint("rota", "soft")
def edge_weeks(rota: RotaModel) -> list[Penalty]:
    """A group avoids the first and last week of a half-term: Σ x[m, o] over options in week 1 or the last week."""
    weight = rota.settings.edge_week
    edges = [c.var for c in rota.all_choices() if c.option.week in (1, c.option.last_week)]
    terms = edges if weight > 0 else []
    return [Penalty("edge_weeks", _sum(terms), weight)]


@constraint("rota", "soft")
def case_balance(rota: RotaModel) -> list[Penalty]:
    """Expected cases at a slot's meeting stay within its case_capacity: Σ over slot-weeks of max(0, Σ_g e_g·x − capacity)."""
    weight = rota.settings.case_balance
    expected = {g.group: expected_cases(rota.scenario, g.group) for g in rota.groups}
    expr: list[LinearExpr] = []
    if weight > 0:
        for (slot_id, half_term, week), choices in rota.by_slot_week.items():
            slot = rota.scenario.slot_by_id[slot_id]
            cases = [expected[c.meeting.group] for c in choices]
            if slot.meetings_per_week == 1:
                # slot_capacity lets one meeting in, so its excess is x·(e − capacity)⁺
                expr += [
                    (e - slot.case_capacity) * c.var
                    for e, c in zip(cases, choices, strict=True)
                    if e > slot.case_capacity
                ]
                continue
            most = sum(sorted(cases, reverse=True)[: slot.meetings_per_week])
            if most <= slot.case_capacity:
                continue
            over = rota.model.new_int_var(
                0, most - slot.case_capacity, f"over|{slot_id}|{half_term}|{week}"
            )
            rota.model.add(
                over
                >= cp_model.LinearExpr.weighted_sum([c.var for c in choices], cases)
                - slot.case_capacity
            )
            expr.append(over)
    return [Penalty("case_balance", sum(expr, start=cp_model.LinearExpr.sum([])), weight)]


@constraint("rota", "soft")
def stability(rota: RotaModel) -> list[Penalty]:
    """A group keeps the weekday and weeks of the previous rota: Σ over groups of [some meeting is on another weekday or in another week of its half-term]."""
    weight = rota.settings.stability
    terms: list[cp_model.IntVar] = []
    if weight > 0:
        for group, keys in rota.meetings_by_group.items():
            pattern = rota.previous.get(group)
            if pattern is None:
                continue
            changed = rota.model.new_bool_var(f"changed|{group}")
            for key in keys:
                week = pattern.weeks[key.ordinal - 1] if key.ordinal <= len(pattern.weeks) else None
                moved = [
                    c.var
                    for c in rota.choices[key]
                    if c.option.slot.weekday != pattern.weekday
                    or (week is not None and c.option.week != week)
                ]
                if moved:
                    rota.model.add(changed >= _sum(moved))
            terms.append(changed)
    return [Penalty("stability", _sum(terms), weight)]


@constraint("rota", "soft")
def moved_meetings(rota: RotaModel) -> list[Penalty]:
    """A published meeting free to move stays where it was if it can: Σ over such meetings of [not at its published place]."""
    weight = rota.settings.moved_meeting
    stay = [choice.var for choice in rota.movable.values() if choice is not None]
    return [Penalty("moved_meetings", len(rota.movable) - _sum(stay), weight)]
