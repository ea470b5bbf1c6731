"""The meeting rota as decided: its meetings, the term weeks they are counted in, the checker's
report, and the reasons a rota cannot exist. Knows no solver.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Annotated

from pydantic import Field

from allocator.model.base import HHMM, WEEKDAYS, Frozen, Name, StrList
from allocator.model.calendar import HalfTerm, Term, week_start
from allocator.model.scenario import Scenario

Weekday = Annotated[str, Field(pattern="^(" + "|".join(WEEKDAYS) + ")$")]


class Meeting(Frozen):
    """One LIFT meeting of a group: when, where and who attends."""

    district: Name
    group: Name
    half_term: HalfTerm
    date: date
    weekday: Weekday
    start: HHMM
    end: HHMM
    venue: Name
    slot: Name
    week: Annotated[int, Field(ge=1, le=30)]
    """The week of the half-term the meeting is in (1 = the week the half-term starts)."""
    attendees: StrList = ()
    sequence: Annotated[int, Field(ge=0, le=10_000)] = 0
    """How many times the published meeting has changed (the calendar event's SEQUENCE)."""


MeetingId = tuple[str, int, int]
"""A meeting's identity across re-plans: (group, half-term, its number in the half-term from 1)."""


def meeting_uid(meeting_id: MeetingId) -> str:
    """The calendar UID of a meeting: stable while the meeting moves, unique in the year's rota."""
    group, half_term, index = meeting_id
    slug = "-".join("".join(c if c.isalnum() else " " for c in group.lower()).split()) or "group"
    return f"{slug}-{half_term}-{index}@lift-allocator"


class MeetingChange(Frozen):
    """A published meeting that a re-plan moved or cancelled, and why (in a coordinator's words)."""

    group: Name
    district: Name
    half_term: HalfTerm
    index: Annotated[int, Field(ge=1, le=30)]
    before: date
    before_slot: Name
    after: date | None = None
    """None: the meeting is cancelled."""
    after_slot: Name | None = None
    reason: str

    @property
    def meeting_id(self) -> MeetingId:
        """The meeting's identity (its calendar UID)."""
        return (self.group, self.half_term, self.index)

    @property
    def kind(self) -> str:
        """`cancelled`, `earlier` or `later`."""
        if self.after is None:
            return "cancelled"
        return "earlier" if self.after < self.before else "later"


class PromisedMeeting(Frozen):
    """A meeting of the published rota, its number in its half-term, and why it may move or is cancelled."""

    meeting: Meeting
    index: Annotated[int, Field(ge=1, le=30)]
    reason: str = ""


class RotaPromises(Frozen):
    """What a re-plan owes this year's published rota, meeting by meeting (see `allocator.rota.promises`).

    Meetings before `today` are `held` (they happened: never moved); from `today` on a meeting is
    `kept` where it was, unless it is `free` to move (freed by the user, or no longer possible there)
    or `cancelled` (its group has gone, or meets fewer times a half-term).
    """

    today: date
    held: tuple[PromisedMeeting, ...] = ()
    kept: tuple[PromisedMeeting, ...] = ()
    free: tuple[PromisedMeeting, ...] = ()
    cancelled: tuple[PromisedMeeting, ...] = ()

    @staticmethod
    def ids(entries: Iterable[PromisedMeeting]) -> dict[MeetingId, PromisedMeeting]:
        """Entries by meeting identity."""
        return {(e.meeting.group, e.meeting.half_term, e.index): e for e in entries}

    @property
    def published(self) -> int:
        """How many meetings the published rota had from today on."""
        return len(self.kept) + len(self.free) + len(self.cancelled)


class UsualPattern(Frozen):
    """How a group usually met in a rota: its weekday and the week of each meeting in a half-term."""

    weekday: Weekday
    weeks: tuple[int, ...]
    """The usual week of the half-term of its 1st, 2nd, ... meeting in a half-term."""


def _mode(values: Iterable[int]) -> int:
    counts = Counter(values)
    best = max(counts.values())
    return min(v for v, n in counts.items() if n == best)  # ties: the earliest


class Rota(Frozen):
    """A year's LIFT meetings (for the whole county, or for the districts planned)."""

    meetings: tuple[Meeting, ...] = ()

    @property
    def districts(self) -> list[str]:
        """Districts with meetings, in first-seen order."""
        return list(dict.fromkeys(m.district for m in self.meetings))

    @property
    def groups(self) -> list[str]:
        """Groups with meetings, in first-seen order."""
        return list(dict.fromkeys(m.group for m in self.meetings))

    def numbered(self) -> dict[MeetingId, Meeting]:
        """Each meeting by its identity: a group's meetings of a half-term are numbered by date."""
        by_part: dict[tuple[str, int], list[Meeting]] = defaultdict(list)
        for meeting in self.meetings:
            by_part[(meeting.group, meeting.half_term)].append(meeting)
        return {
            (group, half_term, index): meeting
            for (group, half_term), meetings in by_part.items()
            for index, meeting in enumerate(sorted(meetings, key=lambda m: (m.date, m.start)), 1)
        }

    def meetings_of(self, group: str) -> list[Meeting]:
        """A group's meetings in date order."""
        return sorted((m for m in self.meetings if m.group == group), key=lambda m: m.date)

    def in_district(self, district: str) -> list[Meeting]:
        """A district's meetings by date, start and group."""
        chosen = (m for m in self.meetings if m.district == district)
        return sorted(chosen, key=lambda m: (m.date, m.start, m.group))

    def usual_patterns(self) -> dict[str, UsualPattern]:
        """Each group's most common weekday and, per meeting of a half-term, its most common week.

        The j-th meeting of a half-term is the j-th by date; ties go to the earliest weekday or week.
        """
        by_group: dict[str, list[Meeting]] = defaultdict(list)
        for meeting in self.meetings:
            by_group[meeting.group].append(meeting)
        patterns: dict[str, UsualPattern] = {}
        for group, meetings in by_group.items():
            weeks_by_ordinal: dict[int, list[int]] = defaultdict(list)
            for ordinal_weeks in _ordinal_weeks(meetings).values():
                for ordinal, week in enumerate(ordinal_weeks):
                    weeks_by_ordinal[ordinal].append(week)
            weekday = _mode(WEEKDAYS.index(m.weekday) for m in meetings)
            patterns[group] = UsualPattern(
                weekday=WEEKDAYS[weekday],
                weeks=tuple(_mode(weeks_by_ordinal[j]) for j in sorted(weeks_by_ordinal)),
            )
        return patterns


def _ordinal_weeks(meetings: Iterable[Meeting]) -> dict[int, list[int]]:
    """For each half-term, the weeks of a group's meetings in date order."""
    by_half_term: dict[int, list[Meeting]] = defaultdict(list)
    for meeting in meetings:
        by_half_term[meeting.half_term].append(meeting)
    return {h: [m.week for m in sorted(ms, key=lambda m: m.date)] for h, ms in by_half_term.items()}


class HalfTermWeeks(Frozen):
    """The calendar weeks a half-term touches, and the school-week number of its first week."""

    half_term: HalfTerm
    first_day: date
    last_day: date
    mondays: tuple[date, ...]
    first_term_week: int

    @property
    def weeks(self) -> int:
        """How many weeks the half-term touches (a part week counts)."""
        return len(self.mondays)


class TermWeeks(Frozen):
    """The year counted in term weeks: holidays between half-terms are not counted.

    Week w of half-term h is term week `first_term_week(h) + w - 1`, so the gap between two meetings
    in term weeks is the difference of their term-week numbers.
    """

    half_terms: tuple[HalfTermWeeks, ...]

    @classmethod
    def of(cls, terms: Iterable[Term]) -> TermWeeks:
        """The term weeks of a year's six terms."""
        parts: list[HalfTermWeeks] = []
        next_week = 1
        for term in sorted(terms, key=lambda t: t.term):
            first, last = week_start(term.first_day), week_start(term.last_day)
            mondays = tuple(first + timedelta(weeks=k) for k in range((last - first).days // 7 + 1))
            parts.append(
                HalfTermWeeks(
                    half_term=term.term,
                    first_day=term.first_day,
                    last_day=term.last_day,
                    mondays=mondays,
                    first_term_week=next_week,
                )
            )
            next_week += len(mondays)
        return cls(half_terms=tuple(parts))

    @property
    def total(self) -> int:
        """Term weeks in the year."""
        return sum(h.weeks for h in self.half_terms)

    def half_term(self, number: int) -> HalfTermWeeks:
        """The weeks of half-term `number`."""
        return next(h for h in self.half_terms if h.half_term == number)

    def locate(self, day: date) -> tuple[int, int, int] | None:
        """(half-term, week of the half-term, term week) of a term day; None in a holiday."""
        for part in self.half_terms:
            if part.first_day <= day <= part.last_day:
                week = (week_start(day) - part.mondays[0]).days // 7 + 1
                return part.half_term, week, part.first_term_week + week - 1
        return None


def ideal_interval(term_weeks: int, meetings_a_year: int) -> int:
    """The ideal gap in term weeks between a group's meetings: ⌊W / n + ½⌋, at least 1."""
    return max(1, (2 * term_weeks + meetings_a_year) // (2 * meetings_a_year))


def expected_cases(scenario: Scenario, group: str) -> int:
    """Cases a group is expected to bring to one meeting: ⌊r · pupils / 1000 / m + ½⌋.

    r is `referrals_per_1000_pupils` a half-term, pupils those of the group's schools and m the group's
    meetings a half-term.
    """
    lift_group = scenario.group_by_name[group]
    pupils = sum(s.pupils for s in scenario.schools_in_group(group))
    rate = scenario.settings.rota.referrals_per_1000_pupils
    return int(rate * pupils / 1000 / lift_group.meetings_per_half_term + 0.5)


class RuleScore(Frozen):
    """A soft rule's score: how often it is broken (violation), its weight and the penalty."""

    name: str
    weight: int
    violation: int
    penalty: int


class Breach(Frozen):
    """A hard rule a rota breaks, in users' words."""

    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


class RotaCheck(Frozen):
    """The independent checker's verdict: hard rules broken, and every soft rule's recomputed score."""

    breaches: tuple[Breach, ...] = ()
    scores: tuple[RuleScore, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether every hard rule holds."""
        return not self.breaches

    @property
    def total(self) -> int:
        """The total penalty (the objective the solver minimises)."""
        return sum(s.penalty for s in self.scores)

    def score(self, name: str) -> RuleScore:
        """The score of the soft rule `name`."""
        return next(s for s in self.scores if s.name == name)

    def count(self, rule: str) -> int:
        """How many breaches of the hard rule `rule`."""
        return sum(1 for b in self.breaches if b.rule == rule)


class InfeasibleReason(Frozen):
    """Why no rota can keep every hard rule, and what would fix it."""

    rule: str
    message: str
    fix: str
    district: str | None = None
    half_term: int | None = None
    groups: tuple[str, ...] = ()
    people: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.message}: {self.fix}"


class OpenMeeting(Frozen):
    """A meeting a school could bring an urgent case to, with the cases it still has room for."""

    meeting: Meeting
    expected_cases: int
    spare_cases: int
