"""One simulated year (`simulate_one`): the product's own planners run week by week over the year's
requests, under one policy, one staffing variant and one seed.

Each Monday from the week of the year's first term day to its last:

1. requests received before that Monday are known: a meeting-route request joins the inbox (one
   without consent never does: it waits for consent); a hearing or vision request goes to the county
   coordinators, decided on `Decider.county_decided_on` with no meeting;
2. the agendas of this week's meetings are chosen from the inbox: `optimised` plans the agenda over
   the meetings from this Monday to AGENDA_HORIZON_WEEKS ahead and keeps this week's placements;
   `first-come` takes the first-come agenda (`allocator.agenda.baseline.first_come`);
3. the meetings held decide (`Decider.agreement`), and so do the county coordinators on their days;
4. the caseload takes in the week's new agreements, planned from the next Monday on (`today`):
   `optimised` rebalances (`allocator.caseload.rebalance.rebalance`: promises kept, running support
   fixed); `first-come` fits each new case, in agreement order, to whoever can start it soonest
   around everything already planned, which never moves
   (`allocator.caseload.search.first_come_first_served`).

Support starts on its planned start. `clairvoyant` knows the whole year at once: the optimised rota,
one agenda over every request, and one caseload plan over every agreement (agreed on its meeting's
day). The whole wait is counted in the district's school days from receipt to start.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from allocator.agenda.baseline import first_come
from allocator.agenda.data import build_agenda_data, meeting_order
from allocator.agenda.outcome import make_agenda
from allocator.agenda.plan import plan_agenda
from allocator.caseload.data import build_instance
from allocator.caseload.outcome import decode
from allocator.caseload.plan import plan_caseload
from allocator.caseload.rebalance import rebalance, with_new_agreements
from allocator.caseload.search import first_come_first_served
from allocator.model import (
    Agreement,
    PlannedSupport,
    PlanStatus,
    Problem,
    Request,
    Scenario,
    ScenarioError,
)
from allocator.model.agenda_result import Agenda
from allocator.model.calendar import week_start
from allocator.model.caseload_result import CaseloadPlan, Change
from allocator.model.rota_result import Meeting, Rota
from allocator.model.simulation import Policy, SimulationSettings, SimWait
from allocator.pipeline.waits import SchoolDays
from allocator.rota.baseline import round_robin_rota
from allocator.rota.plan import plan_rota
from allocator.simulate.decisions import Decider
from allocator.solve import SolveParams

AGENDA_HORIZON_WEEKS = 6
"""How far ahead a week's agenda planning looks (about a half-term): it keeps only this week's
placements; the rest are planned again next week with what is known then."""
ROTA_SECONDS = 30.0
"""Time limit of the optimised rota, planned once for the year (Kent's is proven optimal in seconds)."""
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Week:
    """What one simulated week did (for progress and tests)."""

    monday: date
    inbox: int
    """Meeting-route requests known and not yet decided, before this week's meetings."""
    decided: tuple[str, ...]
    """Requests decided this week (at a meeting or by the county coordinators)."""
    new_agreements: tuple[str, ...]
    plan: CaseloadPlan
    """The caseload plan after this week's rebalance (or fit)."""
    changes: tuple[Change, ...] = ()
    """The rebalance's changes to the plan before it (`optimised` only)."""
    breaches: tuple[str, ...] = ()
    """What the caseload checker found wrong with the week's plan (nothing, when all is well)."""


WeekFn = Callable[[Week], None]


def year_mondays(scenario: Scenario) -> list[date]:
    """The Mondays the simulation steps through: from the week of the first term day to the last."""
    first = min(t.first_day for t in scenario.terms)
    last = max(t.last_day for t in scenario.terms)
    mondays = []
    monday = week_start(first)
    while monday <= last:
        mondays.append(monday)
        monday += WEEK
    return mondays


def simulate_one(
    scenario: Scenario,
    policy: Policy,
    variant: str,
    capacity: Mapping[str, int] | None,
    seed: int,
    settings: SimulationSettings,
    requests: Sequence[Request],
    *,
    workers: int | None = None,
    on_week: WeekFn | None = None,
) -> list[SimWait]:
    """Every request's path through the year under `policy`, one row per request (receipt order).

    `capacity` maps a team to its minutes a week (None: the scenario's people as they are);
    `workers` is the solver's threads (default: the solver's own); `on_week` is told each week.
    The scenario's own agreements, current plan, details and reviews are left out: the year starts
    with every team free, and every agreement comes from a request of the year.
    """
    year = _Year(scenario, requests, seed, settings, capacity, workers)
    if policy == Policy.CLAIRVOYANT:
        year.clairvoyant()
    else:
        year.weekly(policy, on_week)
    return year.waits(policy, variant, seed)


def _with(scenario: Scenario, **changes: object) -> Scenario:
    """The scenario with fields replaced, without validating again (the parts are valid already)."""
    fields = {name: getattr(scenario, name) for name in type(scenario).model_fields}
    return Scenario.model_construct(**(fields | changes))


class _Year:
    """One year's run: the scenario without its cases, the decisions, and each request's path."""

    def __init__(
        self,
        scenario: Scenario,
        requests: Sequence[Request],
        seed: int,
        settings: SimulationSettings,
        capacity: Mapping[str, int] | None,
        workers: int | None,
    ) -> None:
        self.requests = sorted(requests, key=lambda r: (r.received_on, r.request_id))
        cleared = [
            r.model_copy(update={"outcome": None, "decided_on": None}) for r in self.requests
        ]
        fields = {name: getattr(scenario, name) for name in type(scenario).model_fields}
        fields |= {
            "requests": tuple(cleared),
            "agreements": (),
            "current_plan": (),
            "details": (),
            "reviews": (),
        }
        self.base = Scenario.model_validate(fields)
        self.decider = Decider(scenario, seed, settings.specialist_share)
        self.settings = settings
        self.capacity = capacity
        base_params = SolveParams(seed=seed)
        self.params = SolveParams(
            time_limit=settings.rebalance_seconds,
            seed=seed,
            workers=workers or base_params.workers,
        )
        self.last_day = max(t.last_day for t in scenario.terms)
        self.district = {s.urn: s.district for s in scenario.schools}
        self.meeting: dict[str, date] = {}
        self.agreed: dict[str, Agreement] = {}
        self.starts: dict[str, date] = {}

    # The rota -------------------------------------------------------------------------------

    def rota(self, policy: Policy) -> Rota:
        """The optimised rota (planned once), or the round-robin rota by hand for `first-come`."""
        if policy == Policy.FIRST_COME:
            return round_robin_rota(self.base)
        outcome = plan_rota(self.base, self.params.model_copy(update={"time_limit": ROTA_SECONDS}))
        if outcome.rota is None:
            reasons = "; ".join(r.message for r in outcome.reasons) or outcome.status.value
            raise ScenarioError(
                [
                    Problem(
                        file="lift_groups.csv", expected=f"a rota that can be planned ({reasons})"
                    )
                ]
            )
        return outcome.rota

    # The weekly loop ------------------------------------------------------------------------

    def weekly(self, policy: Policy, on_week: WeekFn | None) -> None:
        """Week by week with what is known each week (`optimised` or `first-come`)."""
        meetings = sorted(self.rota(policy).meetings, key=meeting_order)
        caseload: _Caseload = (
            _Promises(self) if policy == Policy.OPTIMISED else _FirstComeCaseload(self)
        )
        county: list[tuple[date, str, Request]] = []
        for r in self.requests:
            if r.county_route and r.consent.plannable:
                day = self.decider.county_decided_on(r)
                heapq.heappush(county, (day, r.request_id, r))
        arriving = [r for r in self.requests if not r.county_route and r.consent.plannable]
        arriving.reverse()  # popped from the end: earliest first
        inbox: list[Request] = []
        for monday in year_mondays(self.base):
            following = monday + WEEK
            while arriving and arriving[-1].received_on < monday:
                inbox.append(arriving.pop())
            known = len(inbox)
            placed = self.agenda_week(policy, meetings, inbox, monday)
            decided: list[str] = []
            new: list[Agreement] = []
            for r in inbox:
                held = placed.get(r.request_id)
                if held is None:
                    continue
                self.meeting[r.request_id] = held
                decided.append(r.request_id)
                new.extend(self.decide(r, held))
            inbox = [r for r in inbox if r.request_id not in placed]
            while county and county[0][0] < following:
                day, _, r = heapq.heappop(county)
                if day <= self.last_day:
                    decided.append(r.request_id)
                    new.extend(self.decide(r, day))
            new.sort(key=lambda a: (a.agreed_on, a.case_id))
            plan, changes, breaches = caseload.week(new, following)
            if on_week is not None:
                on_week(
                    Week(
                        monday=monday,
                        inbox=known,
                        decided=tuple(decided),
                        new_agreements=tuple(a.case_id for a in new),
                        plan=plan,
                        changes=changes,
                        breaches=breaches,
                    )
                )
        self.starts = {a.case_id: a.start for a in caseload.plan().assignments}

    def agenda_week(
        self, policy: Policy, meetings: Sequence[Meeting], inbox: Sequence[Request], monday: date
    ) -> dict[str, date]:
        """Request -> meeting day of this week's meetings, chosen from the inbox."""
        following = monday + WEEK
        horizon = monday + AGENDA_HORIZON_WEEKS * WEEK
        window = tuple(m for m in meetings if monday <= m.date < horizon)
        if not inbox or not any(m.date < following for m in window):
            return {}
        scenario = _with(self.base, requests=tuple(inbox))
        rota = Rota(meetings=window)
        agenda: Agenda
        if policy == Policy.OPTIMISED:
            agenda = plan_agenda(scenario, rota, params=self.params).agenda
        else:
            data = build_agenda_data(scenario, rota)
            agenda = make_agenda(data, first_come(data))
        return {
            item.request_id: item.meeting_date
            for item in agenda.items
            if item.route == "meeting" and item.meeting_date is not None
            if item.meeting_date < following
        }

    def decide(self, request: Request, day: date) -> list[Agreement]:
        """The decision on `day`: an agreement (recorded) or none."""
        agreement = self.decider.agreement(request, day)
        if agreement is None:
            return []
        self.agreed[request.request_id] = agreement
        return [agreement]

    # The clairvoyant limit ------------------------------------------------------------------

    def clairvoyant(self) -> None:
        """The whole year known at once: the optimised rota, one agenda, one caseload plan."""
        seconds = self.settings.clairvoyant_seconds
        params = self.params.model_copy(update={"time_limit": seconds})
        agenda = plan_agenda(self.base, self.rota(Policy.CLAIRVOYANT), params=params).agenda
        by_id = {r.request_id: r for r in self.requests}
        for item in agenda.items:
            request = by_id[item.request_id]
            if item.route == "meeting" and item.meeting_date is not None:
                self.meeting[request.request_id] = item.meeting_date
                self.decide(request, item.meeting_date)
            elif item.route == "county" and request.consent.plannable:
                day = self.decider.county_decided_on(request)
                if day <= self.last_day:
                    self.decide(request, day)
        agreements = sorted(self.agreed.values(), key=lambda a: (a.agreed_on, a.case_id))
        scenario = with_new_agreements(self.base, agreements)
        plan = plan_caseload(scenario, params, capacity_override=self.capacity).plan
        self.starts = {a.case_id: a.start for a in plan.assignments}

    # The rows -------------------------------------------------------------------------------

    def waits(self, policy: Policy, variant: str, seed: int) -> list[SimWait]:
        """One row per request: its meeting, agreement, start and whole wait."""
        days = SchoolDays(self.base)
        rows = []
        for r in self.requests:
            district = self.district[r.school_urn]
            agreement = self.agreed.get(r.request_id)
            start = None if agreement is None else self.starts.get(agreement.case_id)
            rows.append(
                SimWait(
                    request_id=r.request_id,
                    district=district,
                    need_type=r.need_type,
                    urgent=r.urgent,
                    policy=policy,
                    variant=variant,
                    seed=seed,
                    received_on=r.received_on,
                    meeting_date=self.meeting.get(r.request_id),
                    agreed_on=None if agreement is None else agreement.agreed_on,
                    start=start,
                    school_days=None
                    if start is None
                    else days.between(district, r.received_on, start),
                )
            )
        return rows


class _Caseload(Protocol):
    """How the caseload takes in each week's new agreements."""

    def week(
        self, new: Sequence[Agreement], today: date
    ) -> tuple[CaseloadPlan, tuple[Change, ...], tuple[str, ...]]:
        """Take in `new` (agreed before `today`), planning from `today` on: the plan, changes, breaches."""
        ...

    def plan(self) -> CaseloadPlan:
        """The plan as it stands."""
        ...


class _Promises:
    """The product: each week a rebalance that keeps promises and never moves running support."""

    def __init__(self, year: _Year) -> None:
        self.year = year
        self.scenario = year.base
        self.current = CaseloadPlan()

    def week(
        self, new: Sequence[Agreement], today: date
    ) -> tuple[CaseloadPlan, tuple[Change, ...], tuple[str, ...]]:
        if not new:
            return self.current, (), ()
        result = rebalance(
            self.scenario,
            self.current,
            new,
            self.year.params,
            today=today,
            capacity_override=self.year.capacity,
        )
        self.scenario = with_new_agreements(self.scenario, new)
        self.current = result.outcome.plan
        return self.current, result.changes, result.outcome.check.breaches

    def plan(self) -> CaseloadPlan:
        return self.current


class _FirstComeCaseload:
    """By hand: each new case, in agreement order, to whoever can start it soonest around everything
    already planned; nothing planned ever moves."""

    def __init__(self, year: _Year) -> None:
        self.year = year
        self.scenario = year.base
        self.rows: dict[str, PlannedSupport] = {}
        self.current = CaseloadPlan()

    def week(
        self, new: Sequence[Agreement], today: date
    ) -> tuple[CaseloadPlan, tuple[Change, ...], tuple[str, ...]]:
        if not new:
            return self.current, (), ()
        self.scenario = with_new_agreements(self.scenario, new)
        held = [row.model_copy(update={"status": PlanStatus.RUNNING}) for row in self.rows.values()]
        instance = build_instance(
            self.scenario,
            capacity_override=self.year.capacity,
            today=today,
            current_plan=held,
        )
        priority = {a.case_id: a.priority for a in self.scenario.agreements}
        placements = first_come_first_served(instance, priority)
        plan = decode(self.scenario, instance, placements)
        for a in plan.assignments:
            if a.case_id not in self.rows:
                self.rows[a.case_id] = PlannedSupport(
                    case_id=a.case_id, person_id=a.person_id, start=a.start, end=a.end
                )
        self.current = plan
        return plan, (), ()

    def plan(self) -> CaseloadPlan:
        return self.current
