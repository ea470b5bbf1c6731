"""The caseload instance: solver-neutral weeks, people with weekly capacity, cases and who may take them.

`allocator.caseload.data.build_instance(scenario)` builds a `CaseloadInstance`, the one input of every
caseload engine and of the rule catalogue (`allocator.constraints.caseload`), which is why it sits below
both. Weeks are indices, not dates:

- week `w` in `0 .. horizon - 1` is the w-th school week of the year: a Monday-to-Friday week with at
  least one term day that is neither a bank holiday nor a county-wide closure. Holiday weeks are
  skipped, so they neither count towards a case's weeks nor use capacity;
- weeks from `horizon` on are projected: next year's school weeks, taken as this year's moved on 52
  weeks, at each person's full weekly minutes (next year's leave and closures are not known). A case
  starts in the year (`start < horizon`), but the weeks it runs into next year use capacity there too, so
  starting a case late never looks cheaper than it is.

A case started in week `s` by the person of option `o` runs weeks `s .. s + weeks - 1` and uses
`minutes_per_week + o.travel_minutes` of that person's minutes in each. The hard rules are applied once,
when the instance is built, so every engine sees the same choices: `CaseData.options` lists only people
whose specialisms cover the need and whose team may serve the case, and `Option.starts` lists only start
weeks on or after the case's release week in which the person's free minutes (capacity less running
support) fit the case in every week it runs. An engine picks, per case, at most one option and one of
its starts, and keeps each person's weekly load within `PersonData.capacity` less
`CaseloadInstance.fixed_load`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cached_property

from allocator.model import PlanStatus
from allocator.unionfind import UnionFind

DAYS_PER_WEEK = 5
PROJECTED_WEEK_SHIFT = timedelta(weeks=52)
"""Next year's school weeks are taken to be this year's, 52 weeks later."""
PER_MILLE = 1000


def projected_week_starts(weeks: Sequence[date], count: int) -> tuple[date, ...]:
    """`count` week Mondays: the year's school weeks, then the same weeks 52, 104, ... weeks later."""
    if not weeks:
        return ()
    return tuple(
        weeks[k % len(weeks)] + PROJECTED_WEEK_SHIFT * (k // len(weeks)) for k in range(count)
    )


@dataclass(frozen=True)
class Placement:
    """A decision for one case: the person (index into `CaseloadInstance.people`) and the start week."""

    person: int
    start: int


@dataclass(frozen=True)
class Option:
    """A person who may take a case, what a weekly visit costs, and the weeks the case could start.

    `travel_minutes` is weekly travel, both ways; `neighbour_cost` is the weekly cost (in minutes, set by
    `neighbour_cost_minutes`) of a neighbouring district team taking the case, 0 in the case's own team.
    `starts` are the start weeks (ascending, all `< horizon`) at which this person alone, with the support
    already running, has room for the case in every week it runs.
    """

    person: int
    travel_minutes: int
    neighbour_cost: int = 0
    starts: tuple[int, ...] = ()


@dataclass(frozen=True)
class FixedSupport:
    """Support that is never moved (running, finished, or started before `today`): who, and the weeks it uses."""

    person: int
    weeks: tuple[int, ...]
    """Week indices it occupies (any it has in the modelled weeks)."""
    travel_minutes: int
    start: date
    end: date
    status: PlanStatus


@dataclass(frozen=True)
class CaseData:
    """One agreement as the engines see it."""

    case_id: str
    team: str
    """The team that serves the case: its county pool, or its school's district."""
    district: str
    need_type: str
    agreed_on: date
    agreed_week: int
    """The first school week starting on or after the agreement date; waiting is counted from it."""
    release: int
    """The earliest start week: `agreed_week` plus the lead time (and not before `today`)."""
    weeks: int
    minutes_per_week: int
    weight: int
    options: tuple[Option, ...] = ()
    """Eligible people (specialism and team rules), each with its feasible start weeks (maybe none);
    none for fixed support, which keeps its person."""
    allowed_teams: tuple[str, ...] = ()
    """The case's own team, then any neighbouring district teams allowed to take it."""
    consent_plannable: bool = True
    fixed: FixedSupport | None = None
    planned: Placement | None = None
    """Where the current plan has it (planned, not yet running); person -1 if that person has gone."""
    wait_reason: str | None = None
    """Why it cannot be planned at all (consent no; no one with the specialism; agreed too late)."""
    release_in_year: bool = True
    """Whether the release week is a week of the year."""
    urgent: bool = False
    """Agreed as urgent (priority 1): on a rebalance, only urgent cases may break promises to start."""

    @property
    def plannable(self) -> bool:
        """Open to the engines: not fixed and with no reason to wait whatever the plan."""
        return self.fixed is None and self.wait_reason is None

    @property
    def counted(self) -> bool:
        """Counted in the objectives: not fixed, consent given (or an exception), startable in the year."""
        return self.fixed is None and self.consent_plannable and self.release_in_year

    def option_for(self, person: int) -> Option | None:
        """The option of a person, if they may take the case."""
        for option in self.options:
            if option.person == person:
                return option
        return None

    def demand(self, option: Option) -> int:
        """Minutes a week the case uses of the option's person: support plus travel."""
        return self.minutes_per_week + option.travel_minutes


@dataclass(frozen=True)
class PersonData:
    """A person who gives casework: team, specialisms and weekly capacity (minutes) in each modelled week."""

    person_id: str
    team: str
    specialisms: tuple[str, ...]
    minutes_per_week: int
    capacity: tuple[int, ...]
    """Minutes per modelled week: minutes_per_week x available days / 5 (term days less bank holidays, closures and leave)."""


@dataclass(frozen=True)
class CaseloadInstance:
    """Everything an engine needs: weeks, people with weekly capacity, and cases with their options."""

    week_starts: tuple[date, ...]
    """Mondays of every modelled week: the `horizon` school weeks of the year, then projected weeks."""
    horizon: int
    people: tuple[PersonData, ...]
    cases: tuple[CaseData, ...]
    pools: tuple[str, ...] = ()

    @property
    def modelled_weeks(self) -> int:
        """Number of modelled weeks (year plus projection)."""
        return len(self.week_starts)

    @cached_property
    def person_index(self) -> dict[str, int]:
        """Index of each person id."""
        return {p.person_id: i for i, p in enumerate(self.people)}

    @cached_property
    def case_index(self) -> dict[str, int]:
        """Index of each case id."""
        return {c.case_id: i for i, c in enumerate(self.cases)}

    @cached_property
    def teams(self) -> tuple[str, ...]:
        """Teams of the people, in first-seen order."""
        return tuple(dict.fromkeys(p.team for p in self.people))

    @cached_property
    def fixed_load(self) -> tuple[tuple[int, ...], ...]:
        """Per person, per modelled week: minutes used by support that is never moved."""
        load = [[0] * self.modelled_weeks for _ in self.people]
        for case in self.cases:
            if case.fixed is None:
                continue
            for w in case.fixed.weeks:
                load[case.fixed.person][w] += case.minutes_per_week + case.fixed.travel_minutes
        return tuple(tuple(row) for row in load)

    @cached_property
    def free_capacity(self) -> tuple[tuple[int, ...], ...]:
        """Per person, per modelled week: capacity less fixed load (never below 0)."""
        return tuple(
            tuple(max(0, c - f) for c, f in zip(p.capacity, fixed, strict=True))
            for p, fixed in zip(self.people, self.fixed_load, strict=True)
        )

    def horizon_capacity(self, person: int) -> int:
        """A person's minutes over the year's school weeks (the denominator of utilisation)."""
        return sum(self.people[person].capacity[: self.horizon])

    def weeks_in_year(self, start: int, weeks: int) -> int:
        """How many of `weeks` weeks from `start` fall in the year."""
        return max(0, min(start + weeks, self.horizon) - start)

    def end_week(self, case: CaseData, start: int) -> int:
        """The last week a case started at `start` runs."""
        return start + case.weeks - 1

    def week_date(self, week: int) -> date:
        """The Monday of a modelled week (projected past the modelled weeks if need be)."""
        if week < self.modelled_weeks:
            return self.week_starts[week]
        return projected_week_starts(self.week_starts[: self.horizon], week + 1)[week]

    def holding(self, held: Mapping[int, Placement]) -> CaseloadInstance:
        """The instance with the `held` cases fixed where they are (their minutes reserved, as for
        running support) and every other case's feasible start weeks worked out again."""
        cases = list(self.cases)
        for c, placement in held.items():
            case = cases[c]
            option = case.option_for(placement.person)
            assert option is not None, f"{case.case_id}: person {placement.person} may not take it"
            last = placement.start + case.weeks - 1
            fixed = FixedSupport(
                person=placement.person,
                weeks=tuple(range(placement.start, min(last + 1, self.modelled_weeks))),
                travel_minutes=option.travel_minutes,
                start=self.week_date(placement.start),
                end=self.week_date(last) + timedelta(days=DAYS_PER_WEEK - 1),
                status=PlanStatus.PLANNED,
            )
            cases[c] = replace(case, options=(), fixed=fixed, planned=None)
        free = replace(self, cases=tuple(cases)).free_capacity
        for c, case in enumerate(cases):
            if case.fixed is None:
                options = tuple(
                    replace(
                        o,
                        starts=feasible_starts(
                            free[o.person], case.demand(o), case.release, self.horizon, case.weeks
                        ),
                    )
                    for o in case.options
                )
                cases[c] = replace(case, options=options)
        return replace(self, cases=tuple(cases))

    def components(self) -> list[CaseloadInstance]:
        """Independent parts: teams linked by a case one of them may take; each as its own instance.

        With no neighbour teams these are the district teams and the county pools, one each.
        """
        linked = UnionFind(self.teams)
        for case in self.cases:
            linked.add(case.team)
            for option in case.options:
                linked.union(case.team, self.people[option.person].team)
            if case.fixed is not None:
                linked.union(case.team, self.people[case.fixed.person].team)
        return [self.subset(teams) for teams in linked.groups()]

    def subset(self, teams: Iterable[str]) -> CaseloadInstance:
        """The part of the instance for `teams`: their people and the cases they serve, re-indexed."""
        chosen = set(teams)
        keep = [i for i, p in enumerate(self.people) if p.team in chosen]
        new_index = {old: new for new, old in enumerate(keep)}
        cases = []
        for case in self.cases:
            if case.team not in chosen:
                continue
            options = tuple(
                Option(new_index[o.person], o.travel_minutes, o.neighbour_cost, o.starts)
                for o in case.options
                if o.person in new_index
            )
            fixed = case.fixed
            if fixed is not None:
                fixed = replace(fixed, person=new_index[fixed.person])
            planned = case.planned
            if planned is not None:
                planned = Placement(new_index.get(planned.person, -1), planned.start)
            cases.append(replace(case, options=options, fixed=fixed, planned=planned))
        return CaseloadInstance(
            week_starts=self.week_starts,
            horizon=self.horizon,
            people=tuple(self.people[i] for i in keep),
            cases=tuple(cases),
            pools=self.pools,
        )


def feasible_starts(
    free: Sequence[int], demand: int, release: int, horizon: int, weeks: int
) -> tuple[int, ...]:
    """Start weeks in `release .. horizon - 1` with `demand` free minutes in each of the `weeks` weeks run."""
    bad_before = [0]
    for minutes in free:
        bad_before.append(bad_before[-1] + (minutes < demand))
    return tuple(
        s
        for s in range(release, horizon)
        if s + weeks <= len(free) and bad_before[s + weeks] == bad_before[s]
    )


def person_loads(
    instance: CaseloadInstance, placements: Mapping[int, Placement]
) -> list[list[int]]:
    """Per person, per modelled week: minutes used (support + travel), fixed support included."""
    load = [list(row) for row in instance.fixed_load]
    for c, placement in placements.items():
        case = instance.cases[c]
        option = case.option_for(placement.person)
        travel = option.travel_minutes if option is not None else 0
        for w in range(placement.start, min(placement.start + case.weeks, instance.modelled_weeks)):
            load[placement.person][w] += case.minutes_per_week + travel
    return load
