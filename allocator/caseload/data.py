"""From the scenario to the caseload instance, and scoring any plan on it.

`build_instance(scenario)` turns a validated `Scenario` into a `CaseloadInstance`
(`allocator.instances.caseload`, where its weeks, options and fixed support are described), the one
input of every caseload engine. The calendar here counts the year's school weeks: Monday-to-Friday weeks
with at least one day support can be given somewhere (not the rota's term weeks, which count every week
of a half-term).

`evaluate(instance, placements)` scores any choice on the four objectives (strictly in order):
`not_started`, `waiting`, `travel` (+ `neighbour`), `balance`; see `Objectives`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from allocator.instances.caseload import (
    DAYS_PER_WEEK,
    PER_MILLE,
    CaseData,
    CaseloadInstance,
    FixedSupport,
    Option,
    PersonData,
    Placement,
    feasible_starts,
    person_loads,
    projected_week_starts,
)
from allocator.model import (
    Agreement,
    CaseloadSettings,
    Person,
    Phase,
    PlannedSupport,
    PlanStatus,
    Scenario,
    School,
    bank_holidays,
    week_start,
)
from allocator.model.caseload_result import CaseloadPlan, withdraw
from allocator.model.cases import CONSENT_WITHDRAWN
from allocator.model.travel import travel_table, weekly_travel_minutes

# ---------------------------------------------------------------------------------------------
# Calendar
# ---------------------------------------------------------------------------------------------


def school_days(scenario: Scenario) -> list[date]:
    """Days support can be given somewhere: weekdays in term, not bank holidays nor county-wide closures."""
    years = {t.first_day.year for t in scenario.terms} | {t.last_day.year for t in scenario.terms}
    holidays_ = bank_holidays(years)
    closed = {c.date for c in scenario.closures if c.district is None}
    return sorted(
        {d for t in scenario.terms for d in t.weekdays() if d not in holidays_ and d not in closed}
    )


def school_weeks(scenario: Scenario) -> list[date]:
    """The Mondays of the year's school weeks (weeks with at least one school day), in order.

    A week whose every term day is a bank holiday or a county-wide closure (an INSET week) gives no
    support anywhere, so it counts as a holiday week.
    """
    return sorted({week_start(d) for d in school_days(scenario)})


def first_week_on_or_after(weeks: Sequence[date], day: date) -> int:
    """The index of the first week whose Monday is on or after `day` (`len(weeks)` if none)."""
    for index, monday in enumerate(weeks):
        if monday >= day:
            return index
    return len(weeks)


def week_containing(weeks: Sequence[date], day: date) -> int:
    """The index of the week containing `day`, or of the next week listed if `day` is in a holiday."""
    return first_week_on_or_after(weeks, week_start(day))


# ---------------------------------------------------------------------------------------------
# Priority
# ---------------------------------------------------------------------------------------------


def priority_weight(agreement: Agreement, school: School, settings: CaseloadSettings) -> int:
    """A case's weight: the base weight plus the LAC, statutory (EHCP/SSEN), early-years and urgent weights that apply."""
    weight = settings.weight_base
    if agreement.lac:
        weight += settings.weight_lac
    if agreement.sen_stage.statutory:
        weight += settings.weight_statutory
    if school.phase == Phase.EARLY_YEARS:
        weight += settings.weight_early_years
    if agreement.priority == 1:
        weight += settings.weight_urgent
    return weight


def team_label(team: str, pools: Iterable[str]) -> str:
    """`the HI pool` or `the Swale team`, for reasons a coordinator can pass on."""
    return f"the {team} pool" if team in set(pools) else f"the {team} team"


# ---------------------------------------------------------------------------------------------
# The instance
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------------


def district_team(scenario: Scenario, district: str) -> Scenario:
    """The caseload of one district's team: its people and its schools' cases, without the county
    pools' staff and cases (those stay with the pools' owner, who plans the county)."""
    cut = scenario.restrict_to(district)
    pools = set(scenario.pools)
    people = tuple(p for p in cut.people if p.team == district)
    ids = {p.person_id for p in people}
    agreements = tuple(a for a in cut.agreements if a.need_type not in pools)
    cases = {a.case_id for a in agreements}
    return cut.model_copy(
        update={
            "people": people,
            "agreements": agreements,
            "current_plan": tuple(p for p in cut.current_plan if p.case_id in cases),
            "unavailability": tuple(u for u in cut.unavailability if u.person_id in ids),
            "travel": tuple(t for t in cut.travel if t.person_id in ids),
        }
    )


def scope_plan(plan: CaseloadPlan, scenario: Scenario) -> CaseloadPlan:
    """The rows of `plan` for the scenario's agreements only (a county plan cut to a district)."""
    cases = {a.case_id for a in scenario.agreements}
    return CaseloadPlan(
        assignments=tuple(a for a in plan.assignments if a.case_id in cases),
        waiting=tuple(w for w in plan.waiting if w.case_id in cases),
    )


def scaled_minutes(
    scenario: Scenario, capacity_override: Mapping[str, int] | None
) -> dict[str, int]:
    """Each person's weekly casework minutes, with a team's total replaced (pro rata) where overridden."""
    minutes = {p.person_id: p.minutes_per_week for p in scenario.people}
    for team, total in (capacity_override or {}).items():
        members = [p for p in scenario.people if p.team == team and p.minutes_per_week > 0]
        current = sum(p.minutes_per_week for p in members)
        for p in members:
            minutes[p.person_id] = round(total * p.minutes_per_week / current)
    return minutes


def _capacity(
    scenario: Scenario,
    person: Person,
    minutes_per_week: int,
    weeks: Sequence[date],
    horizon: int,
    days: set[date],
) -> tuple[int, ...]:
    closed = {c.date for c in scenario.closures if c.applies_to(person.team)}
    leave = [u for u in scenario.unavailability if u.person_id == person.person_id]
    capacity = []
    for index, monday in enumerate(weeks):
        if index >= horizon:
            capacity.append(minutes_per_week)
            continue
        available = 0
        for offset in range(DAYS_PER_WEEK):
            day = monday + timedelta(days=offset)
            if day in days and day not in closed and not any(u.covers(day) for u in leave):
                available += 1
        capacity.append(minutes_per_week * available // DAYS_PER_WEEK)
    return tuple(capacity)


def build_instance(
    scenario: Scenario,
    *,
    capacity_override: Mapping[str, int] | None = None,
    today: date | None = None,
    current_plan: Sequence[PlannedSupport] | None = None,
) -> CaseloadInstance:
    """The caseload instance of a scenario.

    `capacity_override` maps a team to its total minutes a week (members scaled pro rata).
    `current_plan` defaults to the scenario's: running and finished rows (and, with `today`, rows that
    started before it) are fixed; planned rows are recorded in `CaseData.planned` for a rebalance.
    `today` also keeps new starts from the week of `today` on.

    Rows of cases whose consent is `no` are withdrawn first (`consent_withdrawn_rows`): support that
    has begun stops on `today` (the day the plan is made, without it), support not yet begun is
    dropped and the case waits with the reason.
    """
    settings = scenario.settings.caseload
    pools = tuple(p.value for p in scenario.pools)
    year_weeks = school_weeks(scenario)
    horizon = len(year_weeks)
    plan_rows, dropped = consent_withdrawn_rows(
        scenario, scenario.current_plan if current_plan is None else current_plan, today
    )
    longest = max(
        [a.weeks for a in scenario.agreements]
        + [_weeks_spanned(row, year_weeks) for row in plan_rows.values()]
        + [1]
    )
    week_starts = projected_week_starts(year_weeks, horizon + longest)
    days = set(school_days(scenario))
    table = travel_table(scenario)
    minutes = scaled_minutes(scenario, capacity_override)
    fixed_people = {row.person_id for row in plan_rows.values() if _is_fixed(row, today)}
    people_src = [
        p for p in scenario.people if minutes[p.person_id] > 0 or p.person_id in fixed_people
    ]
    people = tuple(
        PersonData(
            person_id=p.person_id,
            team=p.team,
            specialisms=tuple(s.value for s in p.specialisms),
            minutes_per_week=minutes[p.person_id],
            capacity=_capacity(scenario, p, minutes[p.person_id], week_starts, horizon, days),
        )
        for p in people_src
    )
    person_index = {p.person_id: i for i, p in enumerate(people)}
    today_week = first_week_on_or_after(year_weeks, today) if today is not None else 0

    # Fixed support first: it decides the free minutes every option's starts are computed from.
    fixed_by_case: dict[str, FixedSupport] = {}
    fixed_load = [[0] * len(week_starts) for _ in people]
    agreements = {a.case_id: a for a in scenario.agreements}
    for case_id, row in plan_rows.items():
        if not _is_fixed(row, today) or case_id not in agreements:
            continue
        agreement = agreements[case_id]
        person = scenario.person_by_id[row.person_id]
        school = scenario.school_by_urn[agreement.school_urn]
        p = person_index[row.person_id]
        first, last = week_start(row.start), row.end
        occupied = tuple(w for w, monday in enumerate(week_starts) if first <= monday <= last)
        travel = weekly_travel_minutes(scenario, person, school, table)
        status = row.status if row.status != PlanStatus.PLANNED else PlanStatus.RUNNING
        fixed_by_case[case_id] = FixedSupport(p, occupied, travel, row.start, row.end, status)
        for w in occupied:
            fixed_load[p][w] += agreement.minutes_per_week + travel
    free = [
        [max(0, c - f) for c, f in zip(person.capacity, load, strict=True)]
        for person, load in zip(people, fixed_load, strict=True)
    ]

    cases = []
    for agreement in scenario.agreements:
        school = scenario.school_by_urn[agreement.school_urn]
        team = scenario.team_of(agreement)
        pooled = agreement.need_type in scenario.pools
        allowed = (team,) if pooled else (team, *settings.neighbour_teams.get(team, ()))
        agreed_week = first_week_on_or_after(year_weeks, agreement.agreed_on)
        release = max(agreed_week + settings.lead_time_weeks, today_week)
        options = []
        for rank, allowed_team in enumerate(allowed):
            for i, member in enumerate(people):
                if member.team != allowed_team or member.minutes_per_week <= 0:
                    continue
                if agreement.need_type.value not in member.specialisms:
                    continue
                travel = weekly_travel_minutes(scenario, people_src[i], school, table)
                starts = feasible_starts(
                    free[i],
                    agreement.minutes_per_week + travel,
                    release,
                    horizon,
                    agreement.weeks,
                )
                cost = settings.neighbour_cost_minutes if rank > 0 else 0
                options.append(Option(i, travel, cost, starts))
        fixed = fixed_by_case.get(agreement.case_id)
        if fixed is not None:
            options = []  # running support keeps its person: there is nothing to choose
        planned = None
        plan_row = plan_rows.get(agreement.case_id)
        if fixed is None and plan_row is not None and plan_row.status == PlanStatus.PLANNED:
            planned = Placement(
                person_index.get(plan_row.person_id, -1),
                week_containing(year_weeks, plan_row.start),
            )
        reason = None
        if fixed is None:
            reason = _wait_reason(
                agreement, team, allowed, options, release, horizon, settings, pools
            )
        gone = dropped.get(agreement.case_id)
        if gone is not None:
            reason = (
                f"{CONSENT_WITHDRAWN}: its planned support with {gone.person_id} from "
                f"{gone.start.isoformat()} is dropped"
            )
        cases.append(
            CaseData(
                case_id=agreement.case_id,
                team=team,
                district=school.district,
                need_type=agreement.need_type.value,
                agreed_on=agreement.agreed_on,
                agreed_week=agreed_week,
                release=release,
                weeks=agreement.weeks,
                minutes_per_week=agreement.minutes_per_week,
                weight=priority_weight(agreement, school, settings),
                options=tuple(options),
                allowed_teams=allowed,
                consent_plannable=agreement.consent.plannable,
                fixed=fixed,
                planned=planned,
                wait_reason=reason,
                release_in_year=release < horizon,
                urgent=agreement.priority == 1,
            )
        )
    return CaseloadInstance(
        week_starts=week_starts,
        horizon=horizon,
        people=people,
        cases=tuple(cases),
        pools=pools,
    )


def consent_withdrawn_rows(
    scenario: Scenario, rows: Iterable[PlannedSupport], today: date | None
) -> tuple[dict[str, PlannedSupport], dict[str, PlannedSupport]]:
    """The plan rows by case with consent applied, and the rows dropped for want of consent.

    A row of a case whose consent is `no` is withdrawn on `today` (without it, the day the plan is
    made): begun support stops then (status `withdrawn`), support not yet begun is dropped.
    """
    consent = {a.case_id: a.consent.plannable for a in scenario.agreements}
    on = today if today is not None else date.today()
    kept: dict[str, PlannedSupport] = {}
    dropped: dict[str, PlannedSupport] = {}
    for row in rows:
        if consent.get(row.case_id, True):
            kept[row.case_id] = row
            continue
        after = withdraw(row, on, today)
        if after is None:
            dropped[row.case_id] = row
        else:
            kept[row.case_id] = after
    return kept, dropped


def _is_fixed(row: PlannedSupport, today: date | None) -> bool:
    """Running, finished and withdrawn support is never moved, nor planned support that started
    before today."""
    if row.status in (PlanStatus.RUNNING, PlanStatus.FINISHED, PlanStatus.WITHDRAWN):
        return True
    return today is not None and row.start < today


def _weeks_spanned(row: PlannedSupport, weeks: Sequence[date]) -> int:
    first = week_containing(weeks, row.start)
    last = week_containing(weeks, row.end + timedelta(days=1))
    return max(1, last - first + 1)


def _wait_reason(
    agreement: Agreement,
    team: str,
    allowed: Sequence[str],
    options: Sequence[Option],
    release: int,
    horizon: int,
    settings: CaseloadSettings,
    pools: Sequence[str],
) -> str | None:
    if not agreement.consent.plannable:
        return "consent is 'no': the case is kept on record and never planned"
    if not options:
        where = team_label(team, pools)
        if len(allowed) > 1:
            where += " or the neighbouring teams (" + ", ".join(allowed[1:]) + ")"
        return f"no one in {where} has the {agreement.need_type.value} specialism"
    if release >= horizon:
        return (
            f"agreed on {agreement.agreed_on.isoformat()}: with the lead time of "
            f"{settings.lead_time_weeks} school week(s) it cannot start before the year ends"
        )
    return None


# ---------------------------------------------------------------------------------------------
# Scoring any plan on the instance (for every engine)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Objectives:
    """The caseload objectives, each minimised, strictly in this order.

    Over counted cases (`CaseData.counted`), with w the priority weight and a the agreed week:
    1. `not_started`: sum of w over cases not started in the year;
    2. `waiting`: sum of w x (start - a), a case not started counting (horizon - a);
    3. `travel` + `neighbour`: sum over started cases of weekly travel (resp. neighbour cost) x weeks;
    4. `balance`: sum over teams of the team's highest utilisation, in per mille, where a person's
       utilisation is ceil(1000 x minutes used in the year's weeks / capacity in the year's weeks).

    Each field has one name everywhere: its rule in `allocator.constraints.caseload`, the checker's
    field in `CaseloadCheck`, and the key of `CaseloadOutcome.penalty_values()`.
    """

    not_started: int
    waiting: int
    travel: int
    neighbour: int
    balance: int

    @property
    def levels(self) -> tuple[int, int, int, int]:
        """The four level values in order (travel and neighbour cost share level 3)."""
        return (self.not_started, self.waiting, self.travel + self.neighbour, self.balance)


def team_utilisation(instance: CaseloadInstance, loads: Sequence[Sequence[int]]) -> dict[str, int]:
    """Per team: the highest per-mille utilisation of the year's weeks among its members."""
    best: dict[str, int] = {}
    for i, person in enumerate(instance.people):
        capacity = instance.horizon_capacity(i)
        if capacity <= 0:
            continue
        used = sum(loads[i][: instance.horizon])
        utilisation = -(-PER_MILLE * used // capacity)
        best[person.team] = max(best.get(person.team, 0), utilisation)
    return best


def earliest_placement(
    case: CaseData, free: Sequence[Sequence[int]], before: int | None = None
) -> Placement | None:
    """The earliest start (before `before`, if given), then the least costly person, at which the
    person's `free` minutes hold the case in every week it runs; None if there is none."""
    best: tuple[int, int, int] | None = None
    for option in case.options:
        demand = case.demand(option)
        cost = option.travel_minutes + option.neighbour_cost
        row = free[option.person]
        for s in option.starts:
            if (before is not None and s >= before) or (best is not None and (s, cost) >= best[:2]):
                break
            if min(row[s : s + case.weeks], default=demand) >= demand:
                best = (s, cost, option.person)
                break
    return None if best is None else Placement(best[2], best[0])


def evaluate(instance: CaseloadInstance, placements: Mapping[int, Placement]) -> Objectives:
    """Score a choice of placements (case index -> person and start) on the four objectives."""
    not_started = waiting = travel = neighbour = 0
    for c, case in enumerate(instance.cases):
        if not case.counted:
            continue
        placement = placements.get(c)
        if placement is None:
            not_started += case.weight
            waiting += case.weight * (instance.horizon - case.agreed_week)
            continue
        option = case.option_for(placement.person)
        assert option is not None, f"{case.case_id}: person {placement.person} is not an option"
        waiting += case.weight * (placement.start - case.agreed_week)
        travel += option.travel_minutes * case.weeks
        neighbour += option.neighbour_cost * case.weeks
    balance = sum(team_utilisation(instance, person_loads(instance, placements)).values())
    return Objectives(not_started, waiting, travel, neighbour, balance)


def placement_errors(instance: CaseloadInstance, placements: Mapping[int, Placement]) -> list[str]:
    """Every hard rule a choice of placements breaks (empty when it is feasible)."""
    errors = []
    for c, placement in placements.items():
        case = instance.cases[c]
        if not case.plannable:
            errors.append(f"{case.case_id}: cannot be planned ({case.wait_reason or 'fixed'})")
            continue
        option = case.option_for(placement.person)
        if option is None:
            errors.append(f"{case.case_id}: person {placement.person} may not take it")
        elif placement.start < case.release or placement.start >= instance.horizon:
            errors.append(f"{case.case_id}: start week {placement.start} outside release..horizon")
    loads = person_loads(instance, placements)
    busy = _new_support_weeks(instance, placements)
    for p, person in enumerate(instance.people):
        for w, used in enumerate(loads[p]):
            if used > person.capacity[w] and (p, w) in busy:
                errors.append(
                    f"{person.person_id}: week {w} uses {used} of {person.capacity[w]} minutes"
                )
    return errors


def _new_support_weeks(
    instance: CaseloadInstance, placements: Mapping[int, Placement]
) -> set[tuple[int, int]]:
    busy: set[tuple[int, int]] = set()
    for c, placement in placements.items():
        end = min(placement.start + instance.cases[c].weeks, instance.modelled_weeks)
        busy.update((placement.person, w) for w in range(placement.start, end))
    return busy
