"""The caseload as decided: who supports each agreed case from when, why a case waits and what would
start it sooner, the changes a rebalance makes, and the figures coordinators read. Knows no solver.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, TypeVar

from pydantic import Field

from allocator.model.base import Frozen, Name
from allocator.model.cases import CaseId, PlannedSupport, PlanStatus

Minutes = Annotated[int, Field(ge=0)]


class Assignment(Frozen):
    """A case's support: who gives it, from the first to the last day, and its weekly minutes."""

    case_id: CaseId
    person_id: Name
    team: Name
    start: date
    """The first school day of the first week of support."""
    end: date
    """The last school day of the last week (projected past the year where support runs on)."""
    minutes_per_week: Minutes
    travel_minutes: Minutes
    """Travel for the weekly visit, there and back."""
    status: PlanStatus = PlanStatus.PLANNED


Support = TypeVar("Support", PlannedSupport, Assignment)


def withdraw(row: Support, on: date, today: date | None) -> Support | None:
    """A case's support once its consent is `no`, withdrawn on `on`.

    Finished and already withdrawn support stays as it is (history). Support that has begun by `on`
    (running, or with `today` planned to start before it) stops: status `withdrawn`, ending on `on` at
    the latest. Support not yet begun is dropped (None).
    """
    if row.status in (PlanStatus.FINISHED, PlanStatus.WITHDRAWN):
        return row
    begun = row.status == PlanStatus.RUNNING or (today is not None and row.start < today)
    if not begun or row.start > on:
        return None
    return row.model_copy(update={"status": PlanStatus.WITHDRAWN, "end": min(row.end, on)})


class Help(Frozen):
    """What would start a waiting case sooner: more minutes a week in a team, from a date."""

    team: Name
    extra_minutes_per_week: Minutes
    start: date
    """The start the extra minutes would give."""
    person_id: str | None = None
    """Whose time the extra minutes would top up (None when the team has no one to top up)."""
    weeks: Annotated[int, Field(ge=0)] = 0
    """For how many weeks the extra minutes are needed."""

    def sentence(self, team_label: str) -> str:
        """The help in a coordinator's words."""
        hours = self.extra_minutes_per_week / 60
        who = f" (topping up {self.person_id})" if self.person_id else ""
        return (
            f"{self.extra_minutes_per_week} more minutes a week ({hours:.1f} h) in {team_label}{who} "
            f"for {self.weeks} weeks would start it on {self.start.isoformat()}"
        )


class Waiting(Frozen):
    """A case not started in the year: why, when it could start as the plan stands, and what would help."""

    case_id: CaseId
    reason: str
    earliest_possible_start: date | None = None
    """The earliest start without moving other support (None: it cannot be planned at all)."""
    help: Help | None = None


class CaseloadPlan(Frozen):
    """Every agreement, exactly once: started (an assignment) or waiting."""

    assignments: tuple[Assignment, ...] = ()
    waiting: tuple[Waiting, ...] = ()

    def assignment_of(self, case_id: str) -> Assignment | None:
        """The case's assignment, if it has one."""
        return self._assignments.get(case_id)

    def waiting_of(self, case_id: str) -> Waiting | None:
        """The case's waiting record, if it waits."""
        return self._waiting.get(case_id)

    @property
    def _assignments(self) -> dict[str, Assignment]:
        return {a.case_id: a for a in self.assignments}

    @property
    def _waiting(self) -> dict[str, Waiting]:
        return {w.case_id: w for w in self.waiting}

    def case_ids(self) -> list[str]:
        """Every case of the plan, assignments first."""
        return [a.case_id for a in self.assignments] + [w.case_id for w in self.waiting]


class Change(Frozen):
    """A planned case a rebalance moves (or a new agreement it adds), with a reason to pass on.

    `kind` is `new` (a new agreement), `earlier` (same person, an earlier start: good news), `broken`
    (a promise broken: a later start, another person, or no start; `needed_by` names the cases that
    needed the time) or `withdrawn` (consent withdrawn).
    """

    case_id: CaseId
    before_person: str | None = None
    after_person: str | None = None
    before_start: date | None = None
    after_start: date | None = None
    kind: Literal["new", "earlier", "broken", "withdrawn"] = "broken"
    needed_by: str = ""
    """The cases (`;`-separated ids) that took the time a broken promise had."""
    reason: str

    @property
    def is_new(self) -> bool:
        """An agreement that was not in the plan before."""
        return self.before_person is None and self.before_start is None


class WaitStats(Frozen):
    """Waits (school weeks from agreement to start) of the cases of one district or need type."""

    group: Name
    """A district or a need type."""
    cases: int
    started: int
    median_wait_weeks: float | None
    p90_wait_weeks: float | None
    mean_wait_weeks: float | None


class TeamLoad(Frozen):
    """A team's use of its minutes over the year's school weeks."""

    team: Name
    people: int
    capacity_minutes: Minutes
    used_minutes: Minutes
    highest_utilisation: float
    """The busiest member's share of their own minutes (0..1, above 1 only with running support)."""

    @property
    def utilisation(self) -> float:
        """Minutes used / minutes available."""
        return self.used_minutes / self.capacity_minutes if self.capacity_minutes else 0.0


class PersonLoad(Frozen):
    """One person's minutes in each school week of the year: what they have, and what the plan uses."""

    person_id: Name
    team: Name
    capacity_minutes: tuple[Minutes, ...]
    load_minutes: tuple[Minutes, ...]
    """Support and travel, running support included (may exceed capacity only with running support)."""


class WeeklyLoads(Frozen):
    """Every person's load, week by week over the year's school weeks (load.csv, the heatmaps)."""

    weeks: tuple[date, ...] = ()
    """The Monday of each school week of the year."""
    people: tuple[PersonLoad, ...] = ()

    @property
    def teams(self) -> tuple[str, ...]:
        """The people's teams, in first-seen order."""
        return tuple(dict.fromkeys(p.team for p in self.people))


class CaseloadKpis(Frozen):
    """What the planner prints: cases started, waits by district and by need type, team utilisation."""

    agreements: int
    started: int
    """Cases with support in the plan (running and finished support included)."""
    started_in_plan: int
    """Cases this plan starts (running and finished support not included)."""
    waiting: int
    mean_wait_weeks: float | None
    median_wait_weeks: float | None
    p90_wait_weeks: float | None
    mean_wait_all_weeks: float | None = None
    """Mean wait over every counted case, a case not started waiting to the end of the year."""
    by_district: tuple[WaitStats, ...] = ()
    by_need_type: tuple[WaitStats, ...] = ()
    teams: tuple[TeamLoad, ...] = ()


class CaseloadCheck(Frozen):
    """The independent checker's verdict: every hard rule broken, and every objective recomputed."""

    breaches: tuple[str, ...] = ()
    not_started: int = 0
    waiting: int = 0
    travel: int = 0
    neighbour: int = 0
    balance: int = 0
    urgent_not_started: int = 0
    """Priority weight of urgent cases not started (a rebalance's first level)."""
    broken_promises: int | None = None
    """With a plan before: planned cases started later, by someone else, or no longer started."""
    changes: int | None = None
    """With a plan before: planned cases moved (person or start) or no longer started."""
    start_shift: int | None = None
    """With a plan before: school weeks that kept cases' starts moved, in total."""

    @property
    def ok(self) -> bool:
        """No hard rule broken."""
        return not self.breaches
