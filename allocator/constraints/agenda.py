"""The meeting agenda's rules, one small named function each, over an `AgendaModel`.

The variables are Booleans x[r, m]: request r is discussed at meeting m of the rota. Requests are
weighed by their priority weight w_r (base, plus urgent, plus looked-after: `[agenda]` settings), and
d(r, m) counts the school days of the request's district after `received_on` up to the meeting's date.
The hard rules that say which meeting a request may go to are also predicates (`ELIGIBILITY`), which
the agenda job's data room uses to list each request's options and the first-come baseline reads.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date

from ortools.sat.python import cp_model

from allocator.constraints.registry import constraint
from allocator.model import GroupKind, Phase, Request, Scenario
from allocator.model.rota_result import Meeting
from allocator.solve import LinearExpr, Penalty


def priority_weight(scenario: Scenario, request: Request) -> int:
    """A request's priority weight: base, plus urgent, plus looked-after (the `[agenda]` settings)."""
    weights = scenario.settings.agenda
    return (
        weights.weight_base
        + weights.weight_urgent * request.urgent
        + weights.weight_lac * request.lac
    )


def allowed_groups(scenario: Scenario, request: Request) -> frozenset[str]:
    """The groups whose meetings a request may go to (district aside).

    Urgent: any schools' or early-years group of its school's district, never the Executive. Routine:
    its school's own group; an early-years setting's own group if that is an early-years group, else
    every early-years group of its district.
    """
    school = scenario.school_by_urn[request.school_urn]
    district = [g for g in scenario.lift_groups if g.district == school.district]
    if request.urgent:
        return frozenset(g.group for g in district if g.kind != GroupKind.EXECUTIVE)
    own = scenario.group_by_name.get(school.lift_group or "")
    if school.phase == Phase.EARLY_YEARS:
        if own is not None and own.kind == GroupKind.EARLY_YEARS:
            return frozenset({own.group})
        return frozenset(g.group for g in district if g.kind == GroupKind.EARLY_YEARS)
    if own is None or own.kind == GroupKind.EXECUTIVE:
        return frozenset()
    return frozenset({own.group})


class AgendaInstance:
    """What every agenda engine reads: the requests to place, their weights, the rota's meetings in
    date order, and each district's school days."""

    def __init__(
        self,
        scenario: Scenario,
        requests: Sequence[Request],
        meetings: Sequence[Meeting],
    ) -> None:
        self.scenario = scenario
        self.requests = tuple(requests)
        self.meetings = tuple(meetings)
        self.weights = tuple(priority_weight(scenario, r) for r in self.requests)
        self.districts = tuple(scenario.school_by_urn[r.school_urn].district for r in self.requests)
        self._days: dict[str, tuple[date, ...]] = {}
        self._groups: dict[int, frozenset[str]] = {}

    def school_days(self, district: str) -> tuple[date, ...]:
        """The district's school days (term days that are not bank holidays or closures), in order."""
        if district not in self._days:
            self._days[district] = tuple(self.scenario.meeting_days(district))
        return self._days[district]

    def days_between(self, district: str, after: date, until: date) -> int:
        """School days of `district` after `after`, up to and including `until`."""
        days = self.school_days(district)
        return max(0, bisect_right(days, until) - bisect_right(days, after))

    def days_to(self, r: int, m: int) -> int:
        """d(r, m): school days from request r's receipt to meeting m."""
        return self.days_between(
            self.districts[r], self.requests[r].received_on, self.meetings[m].date
        )

    def groups(self, r: int) -> frozenset[str]:
        """The groups request r may go to (see `allowed_groups`)."""
        if r not in self._groups:
            self._groups[r] = allowed_groups(self.scenario, self.requests[r])
        return self._groups[r]

    def sitting(self, m: int) -> tuple[str, date]:
        """The slot and date of meeting m: groups meeting together share its case capacity."""
        return (self.meetings[m].slot, self.meetings[m].date)

    def capacity(self, m: int) -> int:
        """The case capacity of meeting m's slot."""
        return self.scenario.slot_by_id[self.meetings[m].slot].case_capacity


Eligible = Callable[[AgendaInstance, int, int], bool]


def in_own_district(instance: AgendaInstance, r: int, m: int) -> bool:
    """Meeting m is of request r's district."""
    return instance.meetings[m].district == instance.districts[r]


def after_receipt(instance: AgendaInstance, r: int, m: int) -> bool:
    """Meeting m falls after the day request r was received."""
    return instance.meetings[m].date > instance.requests[r].received_on


def of_right_group(instance: AgendaInstance, r: int, m: int) -> bool:
    """Meeting m is of a group request r may go to."""
    return instance.meetings[m].group in instance.groups(r)


def by_meeting(instance: AgendaInstance, r: int, m: int) -> bool:
    """Request r is for a meeting at all (hearing and vision go the county route)."""
    return not instance.requests[r].county_route


class AgendaModel:
    """The CP-SAT model: x[r, m] for the given (request, meeting) pairs of the given requests."""

    def __init__(
        self,
        instance: AgendaInstance,
        pairs: Iterable[tuple[int, int]],
        requests: Iterable[int] | None = None,
    ) -> None:
        self.instance = instance
        self.model = cp_model.CpModel()
        self.x: dict[tuple[int, int], cp_model.IntVar] = {
            (r, m): self.model.new_bool_var(f"x|{r}|{m}") for r, m in pairs
        }
        self.requests = tuple(
            range(len(instance.requests)) if requests is None else sorted(set(requests))
        )
        """The requests this model decides (a request without pairs is left unplaced)."""

    def of_request(self) -> Mapping[int, list[tuple[int, cp_model.IntVar]]]:
        """Each request's (meeting, variable) pairs."""
        out: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        for (r, m), var in self.x.items():
            out[r].append((m, var))
        return out

    def forbid(self, allowed: Eligible) -> None:
        """x[r, m] = 0 wherever `allowed` refuses the pair."""
        for (r, m), var in self.x.items():
            if not allowed(self.instance, r, m):
                self.model.add(var == 0)


ELIGIBILITY: dict[str, Eligible] = {
    "own_district": in_own_district,
    "after_received": after_receipt,
    "group_route": of_right_group,
    "county_route": by_meeting,
}
"""Each hard rule that says which meeting a request may go to, as a predicate on (r, m)."""


@constraint("agenda", "hard")
def one_meeting_each(agenda: AgendaModel) -> None:
    """A request goes to at most one meeting: Σ_m x[r, m] ≤ 1."""
    for choices in agenda.of_request().values():
        if len(choices) > 1:
            agenda.model.add(sum(var for _, var in choices) <= 1)


@constraint("agenda", "hard")
def meeting_capacity(agenda: AgendaModel) -> None:
    """A meeting takes at most its slot's case_capacity requests: Σ x[r, m] over m at the slot on that date ≤ case_capacity."""
    sittings: dict[tuple[str, date], list[cp_model.IntVar]] = defaultdict(list)
    capacity: dict[tuple[str, date], int] = {}
    for (_, m), var in agenda.x.items():
        key = agenda.instance.sitting(m)
        sittings[key].append(var)
        capacity[key] = agenda.instance.capacity(m)
    for key, variables in sittings.items():
        if len(variables) > capacity[key]:
            agenda.model.add(sum(variables) <= capacity[key])


@constraint("agenda", "hard")
def own_district(agenda: AgendaModel) -> None:
    """A request goes to a meeting of its school's district: x[r, m] = 0 for another district's meeting."""
    agenda.forbid(in_own_district)


@constraint("agenda", "hard")
def after_received(agenda: AgendaModel) -> None:
    """A request goes to a meeting after the day it was received: x[r, m] = 0 when date(m) ≤ received_on."""
    agenda.forbid(after_receipt)


@constraint("agenda", "hard")
def group_route(agenda: AgendaModel) -> None:
    """A routine request goes to its own group's meeting (an early-years setting's to an early-years group's), an urgent one to any schools' or early-years group's of its district, never the Executive's."""
    agenda.forbid(of_right_group)


@constraint("agenda", "hard")
def county_route(agenda: AgendaModel) -> None:
    """A hearing or vision request goes to the county coordinators, not a meeting: x[r, m] = 0 for HI and VI."""
    agenda.forbid(by_meeting)


def _meeting_requests(agenda: AgendaModel) -> list[int]:
    return [r for r in agenda.requests if not agenda.instance.requests[r].county_route]


@constraint("agenda", "soft", level="unplaced")
def unplaced(agenda: AgendaModel) -> list[Penalty]:
    """Every request for a meeting gets one: Σ_r w_r·(1 − Σ_m x[r, m]), the priority weight left off every agenda."""
    weights = agenda.instance.weights
    choices = agenda.of_request()
    terms: list[LinearExpr] = []
    for r in _meeting_requests(agenda):
        placed = [var for _, var in choices.get(r, [])]
        terms.append(weights[r] - weights[r] * sum(placed, start=cp_model.LinearExpr.sum([])))
    return [Penalty("unplaced", sum(terms, start=cp_model.LinearExpr.sum([])))]


@constraint("agenda", "soft", level="days_to_meeting")
def days_to_meeting(agenda: AgendaModel) -> list[Penalty]:
    """Requests are discussed soon: Σ w_r·d(r, m)·x[r, m], d the school days from received_on to the meeting."""
    inst = agenda.instance
    variables = [var for (r, m), var in agenda.x.items()]
    costs = [inst.weights[r] * inst.days_to(r, m) for (r, m) in agenda.x]
    return [Penalty("days_to_meeting", cp_model.LinearExpr.weighted_sum(variables, costs))]
