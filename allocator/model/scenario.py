"""The whole county as one validated object, and the cross-reference rules that bind its parts.

Each rule is a small named function returning `Problem`s; `Scenario` refuses to exist while any rule
finds one, and the scenario reader reports them all at once with the file, row and column.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from functools import cached_property
from typing import Any

from pydantic import model_validator

from allocator.model.base import Frozen, NeedType
from allocator.model.calendar import Closure, Term, meeting_days
from allocator.model.cases import Agreement, PlannedSupport
from allocator.model.county import (
    District,
    LiftGroup,
    MeetingSlot,
    School,
    SpecialRole,
    SpecialSchool,
)
from allocator.model.details import AgreementDetails, review_date_bounds
from allocator.model.people import Person, TravelTime, Unavailability
from allocator.model.requests import Request, RequestOutcome
from allocator.model.reviews import Review, ReviewKind
from allocator.model.settings import ScenarioSettings, year_bounds
from allocator.model.staffing import DistrictIndicators, StaffingSettings


class Problem(Frozen):
    """One thing wrong with a scenario, placed as a person would look for it.

    `row` is the spreadsheet row: the header is row 1, the first record row 2.
    """

    file: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    expected: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        got = f": got {self.value!r}" if self.value is not None else ""
        return f"{where}{got}; {self.expected}"


class ScenarioError(ValueError):
    """A scenario with problems; carries every one of them."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the scenario:\n{lines}")


class Scenario(Frozen):
    """A county: calendar, districts, schools, groups, slots, people, cases and staffing inputs."""

    settings: ScenarioSettings
    terms: tuple[Term, ...]
    closures: tuple[Closure, ...] = ()
    districts: tuple[District, ...]
    special_schools: tuple[SpecialSchool, ...] = ()
    schools: tuple[School, ...]
    lift_groups: tuple[LiftGroup, ...]
    meeting_slots: tuple[MeetingSlot, ...]
    people: tuple[Person, ...]
    unavailability: tuple[Unavailability, ...] = ()
    requests: tuple[Request, ...] = ()
    agreements: tuple[Agreement, ...] = ()
    current_plan: tuple[PlannedSupport, ...] = ()
    details: tuple[AgreementDetails, ...] = ()
    reviews: tuple[Review, ...] = ()
    staffing: StaffingSettings | None = None
    indicators: tuple[DistrictIndicators, ...] = ()
    travel: tuple[TravelTime, ...] = ()

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        problems = find_problems(self)
        if problems:
            raise ScenarioError(problems)
        return self

    # Look-ups (derived, never stored).
    @cached_property
    def district_names(self) -> tuple[str, ...]:
        """District names in file order."""
        return tuple(d.district for d in self.districts)

    @cached_property
    def school_by_urn(self) -> dict[int, School]:
        """Schools by URN."""
        return {s.urn: s for s in self.schools}

    @cached_property
    def request_by_id(self) -> dict[str, Request]:
        """Requests by id."""
        return {r.request_id: r for r in self.requests}

    @cached_property
    def person_by_id(self) -> dict[str, Person]:
        """People by id."""
        return {p.person_id: p for p in self.people}

    @cached_property
    def group_by_name(self) -> dict[str, LiftGroup]:
        """LIFT groups by name."""
        return {g.group: g for g in self.lift_groups}

    @cached_property
    def slot_by_id(self) -> dict[str, MeetingSlot]:
        """Meeting slots by id."""
        return {s.slot: s for s in self.meeting_slots}

    @property
    def pools(self) -> tuple[NeedType, ...]:
        """The county-pooled need types."""
        return self.settings.county_pools

    def groups_in(self, district: str) -> list[LiftGroup]:
        """The LIFT groups of a district."""
        return [g for g in self.lift_groups if g.district == district]

    def slots_for(self, group: LiftGroup) -> list[MeetingSlot]:
        """The meeting slots a group may use."""
        slots = [s for s in self.meeting_slots if s.district == group.district]
        return [s for s in slots if not group.slots or s.slot in group.slots]

    def schools_in_group(self, group: str) -> list[School]:
        """The schools of a LIFT group."""
        return [s for s in self.schools if s.lift_group == group]

    def meeting_days(self, district: str) -> list[date]:
        """Term days of a district that are not bank holidays or closures."""
        return meeting_days(self.terms, self.closures, district)

    def team_of(self, agreement: Agreement) -> str:
        """The team that serves an agreement: its county pool, or its school's district."""
        if agreement.need_type in self.pools:
            return agreement.need_type.value
        return self.school_by_urn[agreement.school_urn].district

    def restrict_to(self, district: str) -> Scenario:
        """The scenario cut down to one district (its schools, groups, slots, people and cases).

        County-pool staff and attendees of the district's groups are kept, so each job still sees everyone
        who serves the district.
        """
        if district not in self.district_names:
            raise ScenarioError(
                [Problem(file="--district", value=district, expected=_one_of(self.district_names))]
            )
        groups = tuple(g for g in self.lift_groups if g.district == district)
        attendees = {a for g in groups for a in g.attendees}
        people = tuple(
            p
            for p in self.people
            if p.team == district or p.team in self.pools or p.person_id in attendees
        )
        ids = {p.person_id for p in people}
        schools = tuple(s for s in self.schools if s.district == district)
        urns = {s.urn for s in schools}
        agreements = tuple(a for a in self.agreements if a.school_urn in urns)
        requests = tuple(r for r in self.requests if r.school_urn in urns)
        cases = {a.case_id for a in agreements}
        fields = {name: getattr(self, name) for name in type(self).model_fields}
        # Built without re-validation: the cut keeps people who serve the district from elsewhere.
        return Scenario.model_construct(
            **fields
            | {
                "districts": tuple(d for d in self.districts if d.district == district),
                "special_schools": tuple(s for s in self.special_schools if s.district == district),
                "schools": schools,
                "lift_groups": groups,
                "meeting_slots": tuple(s for s in self.meeting_slots if s.district == district),
                "people": people,
                "unavailability": tuple(u for u in self.unavailability if u.person_id in ids),
                "requests": requests,
                "agreements": agreements,
                "details": tuple(d for d in self.details if d.case_id in cases),
                "reviews": tuple(r for r in self.reviews if r.case_id in cases),
                "current_plan": tuple(
                    p for p in self.current_plan if p.case_id in cases and p.person_id in ids
                ),
                "indicators": tuple(i for i in self.indicators if i.district == district),
                "travel": tuple(
                    t for t in self.travel if t.school_urn in urns and t.person_id in ids
                ),
                "closures": tuple(c for c in self.closures if c.district in (None, district)),
            }
        )


# ---------------------------------------------------------------------------------------------
# Cross-reference rules
# ---------------------------------------------------------------------------------------------

RowMap = Mapping[str, Sequence[int]]
"""For each file, the spreadsheet row of each record kept (records that failed are left out)."""


class _Ctx:
    """What the rules share: the scenario, and where each record came from."""

    def __init__(self, scenario: Scenario, rows: RowMap | None) -> None:
        self.s = scenario
        self.rows = rows or {}

    def problem(
        self, file: str, index: int | None, column: str | None, value: Any, expected: str
    ) -> Problem:
        row: int | None = None
        if index is not None:
            mapped = self.rows.get(file)
            row = mapped[index] if mapped is not None and index < len(mapped) else index + 2
        return Problem(
            file=file,
            row=row,
            column=column,
            value=None if value is None else str(value),
            expected=expected,
        )


Rule = Callable[[_Ctx], Iterator[Problem]]
RULES: dict[str, Rule] = {}


def rule(fn: Rule) -> Rule:
    """Register a cross-reference rule under its function name."""
    RULES[fn.__name__] = fn
    return fn


def _one_of(names: Sequence[str] | set[str], limit: int = 12) -> str:
    shown = sorted(names)[:limit]
    more = "" if len(names) <= limit else f" (and {len(names) - limit} more)"
    return "one of: " + ", ".join(shown) + more if shown else "a known value (none is defined)"


def _duplicates(file: str, column: str, keys: Sequence[Any], ctx: _Ctx) -> Iterator[Problem]:
    counts = Counter(keys)
    seen: set[Any] = set()
    for i, key in enumerate(keys):
        if counts[key] > 1 and key in seen:
            yield ctx.problem(file, i, column, key, "a value not used by an earlier row")
        seen.add(key)


@rule
def unique_keys(ctx: _Ctx) -> Iterator[Problem]:
    """Districts, URNs, groups, slots, people, case and request ids are unique; a special school once per district."""
    s = ctx.s
    yield from _duplicates("districts.csv", "district", [d.district for d in s.districts], ctx)
    yield from _duplicates("schools.csv", "urn", [x.urn for x in s.schools], ctx)
    yield from _duplicates("lift_groups.csv", "group", [g.group for g in s.lift_groups], ctx)
    yield from _duplicates("meeting_slots.csv", "slot", [x.slot for x in s.meeting_slots], ctx)
    yield from _duplicates("people.csv", "person_id", [p.person_id for p in s.people], ctx)
    yield from _duplicates("agreements.csv", "case_id", [a.case_id for a in s.agreements], ctx)
    yield from _duplicates("requests.csv", "request_id", [r.request_id for r in s.requests], ctx)
    yield from _duplicates(
        "special_schools.csv", "school", [(x.school, x.district) for x in s.special_schools], ctx
    )
    yield from _duplicates("terms.csv", "term", [t.term for t in s.terms], ctx)


@rule
def six_terms_in_order(ctx: _Ctx) -> Iterator[Problem]:
    """The year has terms 1 to 6, each starting after the previous one ends."""
    numbers = sorted(t.term for t in ctx.s.terms)
    if numbers != list(range(1, 7)) and len(set(numbers)) == len(numbers):
        yield ctx.problem(
            "terms.csv", None, "term", ";".join(map(str, numbers)), "terms 1, 2, 3, 4, 5 and 6"
        )
    ordered = sorted(enumerate(ctx.s.terms), key=lambda it: it[1].term)
    for (_, before), (i, after) in itertools.pairwise(ordered):
        if after.first_day <= before.last_day:
            yield ctx.problem(
                "terms.csv", i, "first_day", after.first_day, f"a day after term {before.term} ends"
            )


@rule
def dates_in_academic_year(ctx: _Ctx) -> Iterator[Problem]:
    """Terms lie in the academic year (1 September to 31 August); other dates within a year of it."""
    try:
        first, last = year_bounds(ctx.s.settings.academic_year)
    except ValueError:
        return  # scenario.toml's own check has reported the year
    year = ctx.s.settings.academic_year
    for i, term in enumerate(ctx.s.terms):
        for column in ("first_day", "last_day"):
            day = getattr(term, column)
            if not first <= day <= last:
                yield ctx.problem(
                    "terms.csv",
                    i,
                    column,
                    day,
                    f"a day of the academic year {year} ({first} to {last})",
                )
    low, high = first.replace(year=first.year - 1), last.replace(year=last.year + 1)
    expected = f"a date within a year of the academic year {year} ({low} to {high})"
    sources: tuple[tuple[str, Sequence[Any], tuple[str, ...]], ...] = (
        ("closures.csv", ctx.s.closures, ("date",)),
        ("unavailability.csv", ctx.s.unavailability, ("first_day", "last_day")),
        ("requests.csv", ctx.s.requests, ("received_on",)),
        ("agreements.csv", ctx.s.agreements, ("agreed_on",)),
        ("current_plan.csv", ctx.s.current_plan, ("start", "end")),
    )
    for file, items, columns in sources:
        for i, item in enumerate(items):
            for column in columns:
                day = getattr(item, column)
                if not low <= day <= high:
                    yield ctx.problem(file, i, column, day, expected)


def _known_district(
    ctx: _Ctx, file: str, items: Sequence[Any], column: str = "district"
) -> Iterator[Problem]:
    names = set(ctx.s.district_names)
    for i, item in enumerate(items):
        value = getattr(item, column)
        if value is not None and value not in names:
            yield ctx.problem(
                file, i, column, value, "a district of districts.csv: " + _one_of(names)
            )


@rule
def districts_known(ctx: _Ctx) -> Iterator[Problem]:
    """Every district named by another file is in districts.csv."""
    s = ctx.s
    yield from _known_district(ctx, "closures.csv", s.closures)
    yield from _known_district(ctx, "special_schools.csv", s.special_schools)
    yield from _known_district(ctx, "schools.csv", s.schools)
    yield from _known_district(ctx, "lift_groups.csv", s.lift_groups)
    yield from _known_district(ctx, "meeting_slots.csv", s.meeting_slots)
    yield from _known_district(ctx, "district_indicators.csv", s.indicators)


@rule
def school_groups_known(ctx: _Ctx) -> Iterator[Problem]:
    """A school's LIFT group exists and belongs to the school's district."""
    groups = ctx.s.group_by_name
    for i, school in enumerate(ctx.s.schools):
        if school.lift_group is None:
            continue
        group = groups.get(school.lift_group)
        if group is None:
            yield ctx.problem(
                "schools.csv",
                i,
                "lift_group",
                school.lift_group,
                "a group of lift_groups.csv: " + _one_of(set(groups)),
            )
        elif group.district != school.district:
            yield ctx.problem(
                "schools.csv",
                i,
                "lift_group",
                school.lift_group,
                f"a group of the school's district {school.district}",
            )


@rule
def group_attendees_known(ctx: _Ctx) -> Iterator[Problem]:
    """Every attendee of a LIFT group is a person of people.csv."""
    people = ctx.s.person_by_id
    for i, group in enumerate(ctx.s.lift_groups):
        for person in group.attendees:
            if person not in people:
                yield ctx.problem(
                    "lift_groups.csv", i, "attendees", person, "a person_id of people.csv"
                )


@rule
def group_slots_known(ctx: _Ctx) -> Iterator[Problem]:
    """A group's slots are slots of its district, and every group has at least one slot."""
    slots = ctx.s.slot_by_id
    for i, group in enumerate(ctx.s.lift_groups):
        for slot in group.slots:
            if slot not in slots or slots[slot].district != group.district:
                yield ctx.problem(
                    "lift_groups.csv",
                    i,
                    "slots",
                    slot,
                    f"a slot of meeting_slots.csv in {group.district}",
                )
        if group.district in ctx.s.district_names and not ctx.s.slots_for(group):
            yield ctx.problem(
                "lift_groups.csv",
                i,
                "district",
                group.district,
                "a district with a weekly meeting slot",
            )


@rule
def people_teams_known(ctx: _Ctx) -> Iterator[Problem]:
    """A person's team is a district or a county pool; a pool member has the pool's specialism."""
    pools = {p.value for p in ctx.s.pools}
    teams = set(ctx.s.district_names) | pools
    for i, person in enumerate(ctx.s.people):
        if person.team not in teams:
            yield ctx.problem(
                "people.csv",
                i,
                "team",
                person.team,
                "a district or a county pool: " + _one_of(teams),
            )
        elif (
            person.team in pools
            and person.minutes_per_week > 0
            and person.team not in person.specialisms
        ):
            yield ctx.problem(
                "people.csv",
                i,
                "specialisms",
                ";".join(person.specialisms),
                f"to include {person.team}, the pool's need",
            )


@rule
def person_references_known(ctx: _Ctx) -> Iterator[Problem]:
    """Leave, travel times and the current plan name people of people.csv."""
    people = ctx.s.person_by_id
    sources: tuple[tuple[str, Sequence[Unavailability | TravelTime | PlannedSupport]], ...] = (
        ("unavailability.csv", ctx.s.unavailability),
        ("travel_minutes.csv", ctx.s.travel),
        ("current_plan.csv", ctx.s.current_plan),
    )
    for file, items in sources:
        for i, item in enumerate(items):
            if item.person_id not in people:
                yield ctx.problem(file, i, "person_id", item.person_id, "a person_id of people.csv")


@rule
def school_references_known(ctx: _Ctx) -> Iterator[Problem]:
    """Requests, agreements and travel times name schools of schools.csv; an agreement's request is a
    request of requests.csv, received on or before the agreement (and, where its outcome is given,
    a `specialist` one decided on or before it)."""
    urns = ctx.s.school_by_urn
    sources: tuple[tuple[str, Sequence[Request | Agreement | TravelTime]], ...] = (
        ("requests.csv", ctx.s.requests),
        ("agreements.csv", ctx.s.agreements),
        ("travel_minutes.csv", ctx.s.travel),
    )
    for file, items in sources:
        for i, item in enumerate(items):
            if item.school_urn not in urns:
                yield ctx.problem(file, i, "school_urn", item.school_urn, "a urn of schools.csv")
    yield from _request_references(ctx)
    yield from _request_outcomes(ctx)


def _request_references(ctx: _Ctx) -> Iterator[Problem]:
    """An agreement's `request_id` names a request of requests.csv received on or before it."""
    requests = ctx.s.request_by_id
    for i, agreement in enumerate(ctx.s.agreements):
        if agreement.request_id is None:
            continue
        request = requests.get(agreement.request_id)
        if request is None:
            yield ctx.problem(
                "agreements.csv",
                i,
                "request_id",
                agreement.request_id,
                "a request_id of requests.csv",
            )
        elif request.received_on > agreement.agreed_on:
            yield ctx.problem(
                "agreements.csv",
                i,
                "agreed_on",
                agreement.agreed_on,
                f"a day on or after its request was received ({request.received_on})",
            )


def _request_outcomes(ctx: _Ctx) -> Iterator[Problem]:
    """An agreement's request, where its outcome is given, has outcome `specialist`, decided on or
    before the agreement."""
    requests = ctx.s.request_by_id
    for i, agreement in enumerate(ctx.s.agreements):
        request = requests.get(agreement.request_id or "")
        if request is None or request.outcome is None:
            continue
        if request.outcome != RequestOutcome.SPECIALIST:
            yield ctx.problem(
                "agreements.csv",
                i,
                "request_id",
                agreement.request_id,
                f"a request whose outcome is specialist (it is {request.outcome.value})",
            )
        if request.decided_on is not None and request.decided_on > agreement.agreed_on:
            yield ctx.problem(
                "agreements.csv",
                i,
                "agreed_on",
                agreement.agreed_on,
                f"a day on or after its request was decided ({request.decided_on})",
            )


@rule
def plan_cases_known(ctx: _Ctx) -> Iterator[Problem]:
    """Every case of the current plan is an agreement, planned at most once."""
    cases = {a.case_id for a in ctx.s.agreements}
    seen: set[str] = set()
    for i, row in enumerate(ctx.s.current_plan):
        if row.case_id not in cases:
            yield ctx.problem(
                "current_plan.csv", i, "case_id", row.case_id, "a case_id of agreements.csv"
            )
        elif row.case_id in seen:
            yield ctx.problem("current_plan.csv", i, "case_id", row.case_id, "one row per case")
        seen.add(row.case_id)


@rule
def one_lead_school_per_district(ctx: _Ctx) -> Iterator[Problem]:
    """Where special schools are listed, each district they name has exactly one lead school."""
    if not ctx.s.special_schools:
        return
    leads = Counter(x.district for x in ctx.s.special_schools if x.role == SpecialRole.LEAD)
    for i, x in enumerate(ctx.s.special_schools):
        if x.role == SpecialRole.LEAD and leads[x.district] > 1:
            yield ctx.problem(
                "special_schools.csv", i, "role", x.role.value, f"one lead school for {x.district}"
            )
    named = {x.district for x in ctx.s.special_schools}
    for district in sorted(named - set(leads)):
        yield ctx.problem(
            "special_schools.csv", None, "role", None, f"a lead school for {district}"
        )


@rule
def indicators_complete(ctx: _Ctx) -> Iterator[Problem]:
    """With staffing settings, every district has indicators and every weight names an indicator."""
    staffing = ctx.s.staffing
    if staffing is None:
        return
    have = {i.district for i in ctx.s.indicators}
    for district in ctx.s.district_names:
        if district not in have:
            yield ctx.problem(
                "district_indicators.csv", None, "district", district, "a row for every district"
            )
    yield from _duplicates(
        "district_indicators.csv", "district", [i.district for i in ctx.s.indicators], ctx
    )
    columns = (
        set.intersection(*(set(i.indicators) for i in ctx.s.indicators))
        if ctx.s.indicators
        else set()
    )
    for name in staffing.high_incidence.weights:
        if name not in columns:
            yield ctx.problem(
                "staffing.toml",
                None,
                f"high_incidence.weights.{name}",
                name,
                "a column of district_indicators.csv: " + _one_of(columns),
            )
    pools = {p.value for p in ctx.s.pools}
    for name in staffing.pools:
        if name not in pools:
            yield ctx.problem(
                "staffing.toml", None, f"pools.{name}", name, "a county pool: " + _one_of(pools)
            )


@rule
def details_known(ctx: _Ctx) -> Iterator[Problem]:
    """Each row of agreement_details.csv names an agreement, once; its review date lies within or
    just after the academic year (to 31 December following) and not before the agreement."""
    agreements = {a.case_id: a for a in ctx.s.agreements}
    seen: set[str] = set()
    try:
        low, high = review_date_bounds(ctx.s.settings.academic_year)
    except ValueError:
        low, high = None, None  # scenario.toml's own check has reported the year
    file = "agreement_details.csv"
    for i, row in enumerate(ctx.s.details):
        agreement = agreements.get(row.case_id)
        if agreement is None:
            yield ctx.problem(file, i, "case_id", row.case_id, "a case_id of agreements.csv")
        elif row.case_id in seen:
            yield ctx.problem(file, i, "case_id", row.case_id, "one row per case")
        seen.add(row.case_id)
        day = row.review_date
        if day is None or low is None or high is None:
            continue
        if not low <= day <= high:
            within = f"a date within or just after the academic year ({low} to {high})"
            yield ctx.problem(file, i, "review_date", day, within)
        elif agreement is not None and day < agreement.agreed_on:
            yield ctx.problem(
                file, i, "review_date", day, f"a date on or after agreed_on ({agreement.agreed_on})"
            )


@rule
def reviews_known(ctx: _Ctx) -> Iterator[Problem]:
    """Each row of reviews.csv names an agreement, dated within a year of the academic year and not
    before the agreement; a case has at most one entry and one exit per measure, the exit not
    before the entry."""
    agreements = {a.case_id: a for a in ctx.s.agreements}
    file = "reviews.csv"
    try:
        first, last = year_bounds(ctx.s.settings.academic_year)
        low, high = first.replace(year=first.year - 1), last.replace(year=last.year + 1)
    except ValueError:
        return  # scenario.toml's own check has reported the year
    within = f"a date within a year of the academic year ({low} to {high})"
    marks: dict[tuple[str, str, ReviewKind], date] = {}
    for i, row in enumerate(ctx.s.reviews):
        agreement = agreements.get(row.case_id)
        if agreement is None:
            yield ctx.problem(file, i, "case_id", row.case_id, "a case_id of agreements.csv")
            continue
        if not low <= row.date <= high:
            yield ctx.problem(file, i, "date", row.date, within)
            continue
        if row.date < agreement.agreed_on:
            yield ctx.problem(
                file, i, "date", row.date, f"a date on or after agreed_on ({agreement.agreed_on})"
            )
            continue
        if row.kind == ReviewKind.REVIEW:
            continue
        key = (row.case_id, row.measure, row.kind)
        if key in marks:
            yield ctx.problem(
                file, i, "kind", row.kind.value, f"one {row.kind.value} of '{row.measure}' per case"
            )
            continue
        marks[key] = row.date
        other = ReviewKind.EXIT if row.kind == ReviewKind.ENTRY else ReviewKind.ENTRY
        paired = marks.get((row.case_id, row.measure, other))
        entry, exit_ = (row.date, paired) if row.kind == ReviewKind.ENTRY else (paired, row.date)
        if entry is not None and exit_ is not None and exit_ < entry:
            yield ctx.problem(
                file, i, "date", row.date, f"the entry of '{row.measure}' on or before its exit"
            )


def find_problems(scenario: Scenario, rows: RowMap | None = None) -> list[Problem]:
    """Every cross-reference problem of `scenario`, by rule order then row."""
    ctx = _Ctx(scenario, rows)
    return [problem for check in RULES.values() for problem in check(ctx)]
