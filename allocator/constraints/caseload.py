"""The caseload's rules, one small named function each, over a `CaseloadModel`.

Two formulations of the same decisions share the rules (see docs/benchmarks.md for how they compare):

- `TimeIndexedModel`: a Boolean x[c, o, s] per case c, option o (a person who may take it) and start
  week s among the option's feasible starts; person p's load in week w is
  Σ (minutes + travel)·x[c, o, s] over the options of p and the starts with s <= w < s + weeks.
- `IntervalModel`: per case a start variable (the horizon when it waits) and a presence Boolean per
  option; each option is an optional interval [start, start + weeks); per person a cumulative whose
  capacity dips, through fixed reserving intervals, in weeks of leave, closures and running support.

The instance already offers only eligible people and allowed start weeks; the hard rules that concern
eligibility state the rule again on the variables, so the model holds it whatever the instance offers.
Soft rules return their `Penalty` and name their lexicographic level; `build_caseload_model` puts a
model and its levels (from the registry) together.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar

from ortools.sat.python import cp_model

from allocator.constraints.registry import constraint, constraints_of, levels_of
from allocator.instances.caseload import PER_MILLE, CaseloadInstance, Placement, person_loads
from allocator.solve import Level, LinearExpr, Penalty, Solution

Var = cp_model.IntVar
Placements = Mapping[int, Placement]


class CaseloadModel(ABC):
    """The CP-SAT variables of one formulation and the expressions the rules read.

    `modelled` lists the cases that have variables: no reason to wait, and a feasible start.
    An option is addressed by its position `k` in `CaseData.options`.
    """

    name: ClassVar[str]

    def __init__(self, instance: CaseloadInstance) -> None:
        self.instance = instance
        self.model = cp_model.CpModel()
        self.modelled: list[int] = [
            c
            for c, case in enumerate(instance.cases)
            if case.wait_reason is None and any(o.starts for o in case.options)
        ]
        self.options: dict[int, list[int]] = {
            c: [k for k, o in enumerate(instance.cases[c].options) if o.starts]
            for c in self.modelled
        }
        self.derived: list[tuple[Var, Callable[[Placements], int]]] = []
        """Auxiliary variables the rules add, each with how to compute it from placements."""
        self._build()

    def derive(self, var: Var, value: Callable[[Placements], int]) -> Var:
        """Record how an auxiliary variable follows from placements (for complete warm starts)."""
        self.derived.append((var, value))
        return var

    def hint(self, placements: Placements) -> dict[Var, int]:
        """Values of every variable that reproduce `placements`: a complete warm start."""
        values = self.decision_hint(placements)
        for var, value in self.derived:
            values[var] = value(placements)
        return values

    def option_of(self, c: int, placements: Placements) -> int | None:
        """The option position case c takes in `placements` (None if it waits)."""
        placement = placements.get(c)
        if placement is None:
            return None
        options = self.instance.cases[c].options
        return next(
            (k for k in self.options.get(c, ()) if options[k].person == placement.person), None
        )

    @abstractmethod
    def _build(self) -> None:
        """Create the decision variables and their definitions."""

    @abstractmethod
    def started(self, c: int) -> LinearExpr:
        """1 if case c starts in the year, else 0."""

    @abstractmethod
    def uses(self, c: int, k: int) -> LinearExpr:
        """1 if case c is taken by option k."""

    @abstractmethod
    def start_week(self, c: int) -> LinearExpr:
        """The start week of case c; the horizon when it does not start."""

    @abstractmethod
    def year_weeks(self, c: int, k: int) -> LinearExpr:
        """Weeks of the year case c runs with option k (0 unless k takes it)."""

    @abstractmethod
    def at(self, c: int, k: int, start: int) -> LinearExpr:
        """1 if case c is taken by option k from week `start`."""

    @abstractmethod
    def start_shift(self, c: int, start: int) -> LinearExpr:
        """|start week - `start`| if case c starts, else 0."""

    @abstractmethod
    def add_one_placement(self) -> None:
        """Each case takes at most one option and one start."""

    @abstractmethod
    def add_weekly_capacity(self) -> None:
        """Each person's weekly load stays within their free minutes."""

    @abstractmethod
    def forbid_option(self, c: int, k: int) -> None:
        """Case c may not be taken by option k."""

    @abstractmethod
    def forbid_starts_outside(self, c: int, first: int, last: int) -> None:
        """Case c may start only in weeks first..last."""

    @abstractmethod
    def placements(self, solution: Solution) -> dict[int, Placement]:
        """The decision of a solution: case index -> person and start."""

    @abstractmethod
    def decision_hint(self, placements: Placements) -> dict[Var, int]:
        """Values of the formulation's own variables that reproduce `placements`."""

    def demand(self, c: int, k: int) -> int:
        """Minutes a week case c uses of option k's person."""
        case = self.instance.cases[c]
        return case.demand(case.options[k])

    def by_person(self) -> dict[int, list[tuple[int, int]]]:
        """Per person index, the (case, option) pairs that may use them."""
        pairs: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for c in self.modelled:
            for k in self.options[c]:
                pairs[self.instance.cases[c].options[k].person].append((c, k))
        return pairs


class TimeIndexedModel(CaseloadModel):
    """Booleans x[c, k, s]: case c taken by option k from week s."""

    name = "time-indexed"

    def _build(self) -> None:
        self.x: dict[tuple[int, int], dict[int, Var]] = {}
        for c in self.modelled:
            for k in self.options[c]:
                self.x[c, k] = {
                    s: self.model.new_bool_var(f"x[{c},{k},{s}]")
                    for s in self.instance.cases[c].options[k].starts
                }

    def _all(self, c: int) -> list[Var]:
        return [v for k in self.options.get(c, ()) for v in self.x[c, k].values()]

    def started(self, c: int) -> LinearExpr:
        return cp_model.LinearExpr.sum(self._all(c))

    def uses(self, c: int, k: int) -> LinearExpr:
        return cp_model.LinearExpr.sum(list(self.x.get((c, k), {}).values()))

    def start_week(self, c: int) -> LinearExpr:
        horizon = self.instance.horizon
        pairs = [(v, s - horizon) for k in self.options[c] for s, v in self.x[c, k].items()]
        return (
            cp_model.LinearExpr.weighted_sum([v for v, _ in pairs], [w for _, w in pairs]) + horizon
        )

    def year_weeks(self, c: int, k: int) -> LinearExpr:
        weeks = self.instance.cases[c].weeks
        items = list(self.x.get((c, k), {}).items())
        return cp_model.LinearExpr.weighted_sum(
            [v for _, v in items], [self.instance.weeks_in_year(s, weeks) for s, _ in items]
        )

    def at(self, c: int, k: int, start: int) -> LinearExpr:
        var = self.x.get((c, k), {}).get(start)
        return 0 if var is None else var

    def start_shift(self, c: int, start: int) -> LinearExpr:
        pairs = [(v, abs(s - start)) for k in self.options[c] for s, v in self.x[c, k].items()]
        return cp_model.LinearExpr.weighted_sum([v for v, _ in pairs], [w for _, w in pairs])

    def add_one_placement(self) -> None:
        for c in self.modelled:
            self.model.add_at_most_one(self._all(c))

    def add_weekly_capacity(self) -> None:
        free = self.instance.free_capacity
        buckets: dict[tuple[int, int], list[tuple[Var, int]]] = defaultdict(list)
        for (c, k), starts in self.x.items():
            case = self.instance.cases[c]
            person, demand = case.options[k].person, self.demand(c, k)
            for s, var in starts.items():
                for w in range(s, s + case.weeks):
                    buckets[person, w].append((var, demand))
        for (person, w), terms in buckets.items():
            if sum(d for _, d in terms) > free[person][w]:
                self.model.add(
                    cp_model.LinearExpr.weighted_sum([v for v, _ in terms], [d for _, d in terms])
                    <= free[person][w]
                )

    def forbid_option(self, c: int, k: int) -> None:
        for var in self.x.get((c, k), {}).values():
            self.model.add(var == 0)

    def forbid_starts_outside(self, c: int, first: int, last: int) -> None:
        for k in self.options.get(c, ()):
            for s, var in self.x[c, k].items():
                if not first <= s <= last:
                    self.model.add(var == 0)

    def placements(self, solution: Solution) -> dict[int, Placement]:
        chosen = {}
        for (c, k), starts in self.x.items():
            for s, var in starts.items():
                if solution.boolean(var):
                    chosen[c] = Placement(self.instance.cases[c].options[k].person, s)
        return chosen

    def decision_hint(self, placements: Placements) -> dict[Var, int]:
        values = {}
        for (c, k), starts in self.x.items():
            placement = placements.get(c)
            person = self.instance.cases[c].options[k].person
            for s, var in starts.items():
                values[var] = int(
                    placement is not None and placement.person == person and placement.start == s
                )
        return values


class IntervalModel(CaseloadModel):
    """A start variable per case, a presence Boolean and an optional interval per option."""

    name = "interval"

    def _build(self) -> None:
        horizon = self.instance.horizon
        self.start: dict[int, Var] = {}
        self.is_started: dict[int, Var] = {}
        self.present: dict[tuple[int, int], Var] = {}
        self.interval: dict[tuple[int, int], cp_model.IntervalVar] = {}
        self.in_year: dict[int, Var] = {}
        self.option_year: dict[tuple[int, int], Var] = {}
        for c in self.modelled:
            case = self.instance.cases[c]
            starts = sorted({s for k in self.options[c] for s in case.options[k].starts})
            start = self.model.new_int_var_from_domain(
                cp_model.Domain.from_values([*starts, horizon]), f"start[{c}]"
            )
            started = self.model.new_bool_var(f"started[{c}]")
            self.model.add(start == horizon).only_enforce_if(started.Not())
            self.model.add(start <= horizon - 1).only_enforce_if(started)
            in_year = self.model.new_int_var(0, case.weeks, f"in_year[{c}]")
            self.model.add_min_equality(in_year, [case.weeks, horizon - start])
            presences = []
            for k in self.options[c]:
                option = case.options[k]
                present = self.model.new_bool_var(f"present[{c},{k}]")
                self.model.add_implication(present, started)
                if list(option.starts) != starts:
                    self.model.add_linear_expression_in_domain(
                        start, cp_model.Domain.from_values(option.starts)
                    ).only_enforce_if(present)
                self.interval[c, k] = self.model.new_optional_fixed_size_interval_var(
                    start, case.weeks, present, f"run[{c},{k}]"
                )
                weeks = self.model.new_int_var(0, case.weeks, f"year_weeks[{c},{k}]")
                self.model.add(weeks <= case.weeks * present)
                self.model.add(weeks <= in_year)
                self.model.add(weeks >= in_year - case.weeks * (1 - present))
                self.present[c, k] = present
                self.option_year[c, k] = weeks
                presences.append(present)
            self.model.add_bool_or(presences).only_enforce_if(started)
            self.start[c], self.is_started[c], self.in_year[c] = start, started, in_year

    def started(self, c: int) -> LinearExpr:
        return self.is_started[c]

    def uses(self, c: int, k: int) -> LinearExpr:
        var = self.present.get((c, k))
        return 0 if var is None else var

    def start_week(self, c: int) -> LinearExpr:
        return self.start[c]

    def year_weeks(self, c: int, k: int) -> LinearExpr:
        var = self.option_year.get((c, k))
        return 0 if var is None else var

    def at(self, c: int, k: int, start: int) -> LinearExpr:
        present = self.present.get((c, k))
        if present is None or start not in self.instance.cases[c].options[k].starts:
            return 0
        same_week = self.model.new_bool_var(f"same_week[{c}]")
        self.model.add(self.start[c] == start).only_enforce_if(same_week)
        self.model.add(self.start[c] != start).only_enforce_if(same_week.Not())
        kept = self.model.new_bool_var(f"kept[{c}]")
        self.model.add_bool_and([present, same_week]).only_enforce_if(kept)
        self.model.add_bool_or([present.Not(), same_week.Not()]).only_enforce_if(kept.Not())
        person = self.instance.cases[c].options[k].person

        def starts_then(p: Placements) -> int:
            return int(c in p and p[c].start == start)

        self.derive(same_week, starts_then)
        self.derive(kept, lambda p: int(starts_then(p) and p[c].person == person))
        return kept

    def start_shift(self, c: int, start: int) -> LinearExpr:
        horizon = self.instance.horizon
        moved = self.model.new_int_var(-horizon, horizon, f"moved[{c}]")
        self.model.add(moved == self.start[c] - start).only_enforce_if(self.is_started[c])
        self.model.add(moved == 0).only_enforce_if(self.is_started[c].Not())
        shift = self.model.new_int_var(0, horizon, f"shift[{c}]")
        self.model.add_abs_equality(shift, moved)
        self.derive(moved, lambda p: p[c].start - start if c in p else 0)
        self.derive(shift, lambda p: abs(p[c].start - start) if c in p else 0)
        return shift

    def add_one_placement(self) -> None:
        for c in self.modelled:
            self.model.add_at_most_one(self.present[c, k] for k in self.options[c])

    def add_weekly_capacity(self) -> None:
        free = self.instance.free_capacity
        for person, pairs in self.by_person().items():
            weeks = range(
                min(min(self.instance.cases[c].options[k].starts) for c, k in pairs),
                max(
                    max(self.instance.cases[c].options[k].starts) + self.instance.cases[c].weeks
                    for c, k in pairs
                ),
            )
            capacity = max(free[person][w] for w in weeks)
            intervals = [self.interval[c, k] for c, k in pairs]
            demands = [self.demand(c, k) for c, k in pairs]
            if sum(demands) <= min(free[person][w] for w in weeks):
                continue
            # Reserve what a week lacks against the most free week, merging runs of equal weeks.
            w = weeks.start
            while w < weeks.stop:
                lack = capacity - free[person][w]
                run = w
                while run + 1 < weeks.stop and capacity - free[person][run + 1] == lack:
                    run += 1
                if lack > 0:
                    intervals.append(
                        self.model.new_fixed_size_interval_var(
                            w, run - w + 1, f"reserve[{person},{w}]"
                        )
                    )
                    demands.append(lack)
                w = run + 1
            self.model.add_cumulative(intervals, demands, capacity)

    def forbid_option(self, c: int, k: int) -> None:
        if (c, k) in self.present:
            self.model.add(self.present[c, k] == 0)

    def forbid_starts_outside(self, c: int, first: int, last: int) -> None:
        if c in self.start:
            self.model.add(self.start[c] >= first).only_enforce_if(self.is_started[c])
            self.model.add(self.start[c] <= last).only_enforce_if(self.is_started[c])

    def placements(self, solution: Solution) -> dict[int, Placement]:
        chosen = {}
        for (c, k), present in self.present.items():
            if solution.boolean(present):
                person = self.instance.cases[c].options[k].person
                chosen[c] = Placement(person, solution.value(self.start[c]))
        return chosen

    def decision_hint(self, placements: Placements) -> dict[Var, int]:
        horizon = self.instance.horizon
        values: dict[Var, int] = {}
        for c in self.modelled:
            case = self.instance.cases[c]
            placement = placements.get(c)
            start = placement.start if placement is not None else horizon
            values[self.start[c]] = start
            values[self.is_started[c]] = int(placement is not None)
            values[self.in_year[c]] = min(case.weeks, horizon - start)
            for k in self.options[c]:
                chosen = placement is not None and case.options[k].person == placement.person
                values[self.present[c, k]] = int(chosen)
                values[self.option_year[c, k]] = min(case.weeks, horizon - start) if chosen else 0
        return values


FORMULATIONS: dict[str, type[CaseloadModel]] = {
    TimeIndexedModel.name: TimeIndexedModel,
    IntervalModel.name: IntervalModel,
}


# ---------------------------------------------------------------------------------------------
# Hard rules
# ---------------------------------------------------------------------------------------------


@constraint("caseload", "hard")
def one_person_one_start(m: CaseloadModel) -> None:
    """Each agreement gets at most one person and one start week (or waits)."""
    m.add_one_placement()


@constraint("caseload", "hard")
def specialism_covers_need(m: CaseloadModel) -> None:
    """A case is taken only by a person whose specialisms include its need type."""
    for c in m.modelled:
        case = m.instance.cases[c]
        for k in m.options[c]:
            if case.need_type not in m.instance.people[case.options[k].person].specialisms:
                m.forbid_option(c, k)


@constraint("caseload", "hard")
def served_by_its_team(m: CaseloadModel) -> None:
    """A pooled need is served by its county pool; a high-incidence need by the school's district team or an allowed neighbouring team."""
    for c in m.modelled:
        case = m.instance.cases[c]
        pooled = case.need_type in m.instance.pools
        allowed = {case.need_type} if pooled else {case.district, *case.allowed_teams[1:]}
        for k in m.options[c]:
            if m.instance.people[case.options[k].person].team not in allowed:
                m.forbid_option(c, k)


@constraint("caseload", "hard")
def weekly_capacity(m: CaseloadModel) -> None:
    """Every week, each person's support plus travel minutes stay within their minutes less leave, closures and running support."""
    m.add_weekly_capacity()


@constraint("caseload", "hard")
def starts_after_agreement(m: CaseloadModel) -> None:
    """A case starts in the year, no earlier than the week after its agreement date plus the lead time."""
    for c in m.modelled:
        m.forbid_starts_outside(c, m.instance.cases[c].release, m.instance.horizon - 1)


@constraint("caseload", "hard")
def consent_required(m: CaseloadModel) -> None:
    """A case starts only with consent yes or a recorded exception; with consent no it waits."""
    for c in m.modelled:
        if not m.instance.cases[c].consent_plannable:
            for k in m.options[c]:
                m.forbid_option(c, k)


@constraint("caseload", "hard")
def running_support_never_moves(m: CaseloadModel) -> None:
    """Support already running keeps its person and weeks: it gets no new placement and its minutes stay reserved."""
    for c in m.modelled:
        if m.instance.cases[c].fixed is not None:
            for k in m.options[c]:
                m.forbid_option(c, k)


# ---------------------------------------------------------------------------------------------
# Objectives (soft rules), in levels
# ---------------------------------------------------------------------------------------------


def _counted(m: CaseloadModel) -> list[int]:
    return [c for c, case in enumerate(m.instance.cases) if case.counted]


@constraint("caseload", "soft", level="urgent_not_started", rebalance_only=True)
def urgent_not_started(m: CaseloadModel) -> Penalty:
    """On a rebalance, start urgent cases first, even at the cost of promises: Σ weight over urgent counted cases not started in the year."""
    modelled = set(m.modelled)
    terms: list[LinearExpr] = []
    constant = 0
    for c in _counted(m):
        case = m.instance.cases[c]
        if not case.urgent:
            continue
        constant += case.weight
        if c in modelled:
            terms.append(-case.weight * m.started(c))
    return Penalty("urgent_not_started", cp_model.LinearExpr.sum(terms) + constant)


@constraint("caseload", "soft", level="broken_promises", rebalance_only=True)
def broken_promises(m: CaseloadModel) -> Penalty:
    """On a rebalance, break the fewest promises: Σ over planned cases of [not started with the same person by its planned start week]."""
    modelled = set(m.modelled)
    terms: list[LinearExpr] = []
    constant = 0
    for c, case in enumerate(m.instance.cases):
        promise = case.planned
        if promise is None or case.fixed is not None:
            continue
        constant += 1
        if c not in modelled:
            continue
        k = next((k for k in m.options[c] if case.options[k].person == promise.person), None)
        if k is None:
            continue
        kept = m.model.new_bool_var(f"kept[{c}]")
        m.model.add(m.uses(c, k) == 1).only_enforce_if(kept)
        m.model.add(m.start_week(c) <= promise.start).only_enforce_if(kept)
        m.derive(kept, _keeps(c, promise))
        terms.append(-1 * kept)
    return Penalty("broken_promises", cp_model.LinearExpr.sum(terms) + constant)


def _keeps(c: int, promise: Placement) -> Callable[[Placements], int]:
    """1 if placements start case c with the promised person by the promised week."""

    def kept(placements: Placements) -> int:
        p = placements.get(c)
        return int(p is not None and p.person == promise.person and p.start <= promise.start)

    return kept


@constraint("caseload", "soft", level="not_started")
def not_started(m: CaseloadModel) -> Penalty:
    """Start as many cases as possible, by priority: Σ weight over counted cases not started in the year."""
    modelled = set(m.modelled)
    terms: list[LinearExpr] = []
    constant = 0
    for c in _counted(m):
        weight = m.instance.cases[c].weight
        constant += weight
        if c in modelled:
            terms.append(-weight * m.started(c))
    return Penalty("not_started", cp_model.LinearExpr.sum(terms) + constant)


@constraint("caseload", "soft", level="waiting")
def waiting(m: CaseloadModel) -> Penalty:
    """Shortest waits, by priority: Σ weight x (start week - agreed week), a case not started waiting to the year's end."""
    modelled = set(m.modelled)
    horizon = m.instance.horizon
    terms: list[LinearExpr] = []
    constant = 0
    for c in _counted(m):
        case = m.instance.cases[c]
        constant -= case.weight * case.agreed_week
        if c in modelled:
            terms.append(case.weight * m.start_week(c))
        else:
            constant += case.weight * horizon
    return Penalty("waiting", cp_model.LinearExpr.sum(terms) + constant)


@constraint("caseload", "soft", level="travel")
def travel(m: CaseloadModel) -> Penalty:
    """Least travel: Σ weekly travel (there and back) x weeks over the cases started."""
    terms = [
        m.instance.cases[c].options[k].travel_minutes * m.instance.cases[c].weeks * m.uses(c, k)
        for c in m.modelled
        for k in m.options[c]
    ]
    return Penalty("travel", cp_model.LinearExpr.sum(terms))


@constraint("caseload", "soft", level="travel")
def neighbour(m: CaseloadModel) -> Penalty:
    """A neighbouring team taking a case costs neighbour_cost_minutes a week of support, counted with travel."""
    terms = [
        m.instance.cases[c].options[k].neighbour_cost * m.instance.cases[c].weeks * m.uses(c, k)
        for c in m.modelled
        for k in m.options[c]
        if m.instance.cases[c].options[k].neighbour_cost
    ]
    return Penalty("neighbour", cp_model.LinearExpr.sum(terms))


@constraint("caseload", "soft", level="balance")
def balance(m: CaseloadModel) -> Penalty:
    """Balanced load: Σ over teams of the highest utilisation (per mille of a member's own minutes in the year)."""
    inst = m.instance
    pairs = m.by_person()
    fixed_in_year = [sum(row[: inst.horizon]) for row in inst.fixed_load]
    highest: list[Var] = []
    by_team: dict[str, list[tuple[Var, int]]] = defaultdict(list)
    for p, person in enumerate(inst.people):
        capacity = inst.horizon_capacity(p)
        if capacity <= 0:
            continue
        most = fixed_in_year[p] + sum(m.demand(c, k) * inst.cases[c].weeks for c, k in pairs[p])
        most_util = -(-PER_MILLE * most // capacity)
        util = m.model.new_int_var(0, most_util, f"util[{person.person_id}]")
        m.derive(util, _utilisation_of(inst, [(p, capacity)]))
        load = (
            cp_model.LinearExpr.sum([m.demand(c, k) * m.year_weeks(c, k) for c, k in pairs[p]])
            + fixed_in_year[p]
        )
        # util = ceil(1000 load / capacity), exactly.
        m.model.add(capacity * util >= PER_MILLE * load)
        m.model.add(capacity * util <= PER_MILLE * load + capacity - 1)
        by_team[person.team].append((util, most_util))
    for team, utils in by_team.items():
        top = m.model.new_int_var(0, max(most for _, most in utils), f"highest[{team}]")
        m.model.add_max_equality(top, [u for u, _ in utils])
        members = [
            (p, inst.horizon_capacity(p))
            for p, x in enumerate(inst.people)
            if x.team == team and inst.horizon_capacity(p) > 0
        ]
        m.derive(top, _utilisation_of(inst, members))
        highest.append(top)
    return Penalty("balance", cp_model.LinearExpr.sum(highest))


def _utilisation_of(
    inst: CaseloadInstance, members: Sequence[tuple[int, int]]
) -> Callable[[Placements], int]:
    """The highest per-mille utilisation of `members` (person, capacity) under placements."""
    memo: list[tuple[Placements, list[list[int]]]] = []

    def highest(placements: Placements) -> int:
        # Loads are computed once per placements object (held, so its identity stays unique).
        if not memo or memo[0][0] is not placements:
            memo[:] = [(placements, person_loads(inst, placements))]
        loads = memo[0][1]
        return max(
            -(-PER_MILLE * sum(loads[p][: inst.horizon]) // capacity) for p, capacity in members
        )

    return highest


@constraint("caseload", "soft", level="changes", rebalance_only=True)
def changes(m: CaseloadModel) -> Penalty:
    """On a rebalance, move as few planned cases as possible: Σ over planned cases not kept with the same person and start."""
    modelled = set(m.modelled)
    terms: list[LinearExpr] = []
    constant = 0
    for c, case in enumerate(m.instance.cases):
        if case.planned is None or case.fixed is not None:
            continue
        constant += 1
        if c not in modelled:
            continue
        for k in m.options[c]:
            if case.options[k].person == case.planned.person:
                terms.append(-1 * m.at(c, k, case.planned.start))
    return Penalty("changes", cp_model.LinearExpr.sum(terms) + constant)


@constraint("caseload", "soft", level="start_shift", rebalance_only=True)
def start_shift(m: CaseloadModel) -> Penalty:
    """On a rebalance, shift planned start weeks least: Σ |new start - planned start| over planned cases still started."""
    terms = [
        m.start_shift(c, m.instance.cases[c].planned.start)  # type: ignore[union-attr]
        for c in m.modelled
        if m.instance.cases[c].planned is not None
    ]
    return Penalty("start_shift", cp_model.LinearExpr.sum(terms))


PLANNING_LEVEL_NAMES = tuple(name for name, _ in levels_of("caseload", rebalance=False))
"""The levels of a plan, in order; a rebalance adds the rebalance-only levels after them."""
PLANNING_LEVELS = len(PLANNING_LEVEL_NAMES)


def build_caseload_model(
    instance: CaseloadInstance,
    formulation: str = IntervalModel.name,
    *,
    rebalance: bool = False,
) -> tuple[CaseloadModel, list[Level]]:
    """The model of an instance with every hard rule, and its levels in order: the four planning
    levels; on a rebalance the urgent weight not started and the fewest broken promises come first,
    and the fewest changes and the least start shift last."""
    m = FORMULATIONS[formulation](instance)
    for rule in constraints_of("caseload", "hard"):
        rule.fn(m)
    return m, [
        Level(name, [rule.fn(m) for rule in rules])
        for name, rules in levels_of("caseload", rebalance=rebalance)
    ]
