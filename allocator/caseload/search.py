"""Caseload heuristics that know no solver: the plans engines start from, and a local search.

- `first_come_first_served`: what a coordinator does by hand; the greedy baseline, and the HiGHS
  engine's first plan.
- `priority_greedy` and `compact_starts`: the CP-SAT planner's warm start, and its hint between levels.
- `lp_rounded`: the first level's LP relaxation rounded into a plan (a tight part's warm start).
- `ruin_and_recreate`: a fast local search on the first two levels, used as the solver's hint.

Each ruin-and-recreate step takes a few placed cases out around a random case's start week, from
its person's diary or from every diary of the part (the ruin), then puts them back with every case
still waiting, each at its earliest start, in a blurred priority order or by priority per minute of
support (the recreate).
A step never leaves more priority weight unstarted; it is kept if no worse lexicographically on
(weight not started, priority-weighted waiting) than the current plan, or than the plan of `HISTORY`
steps ago (late acceptance, to leave local optima). The best plan seen is returned: never worse than
the one given on those two levels, and keeping every hard rule, so the solver can start from it.

The search knows no solver. It is deterministic for a given seed and number of steps; with a time
limit, how many steps it takes depends on the machine.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence

from allocator.caseload.data import earliest_placement
from allocator.instances.caseload import CaseData, CaseloadInstance, Option, Placement

RUIN_CASES = (2, 10)
"""How many placed cases a ruin takes out (inclusive range)."""
RUIN_SPAN = 6
"""How many weeks either side of the chosen week a ruin looks for cases."""
STALL_STEPS = 5000
"""Stop after this many steps without a better plan (small parts settle in milliseconds)."""
HISTORY = 50
"""Late acceptance: how many steps back a kept step may be compared with."""
ORDER_NOISE = 0.3
"""How far a case's priority may be blurred when recreating (as a share of its weight)."""


class RuinRecreate:
    """The search state: placements, free minutes per person and week, and the two level values."""

    def __init__(self, instance: CaseloadInstance, placements: Mapping[int, Placement]) -> None:
        self.instance = instance
        self.free = [list(row) for row in instance.free_capacity]
        self.placed: dict[int, Placement] = {}
        self.open = [
            c
            for c, case in enumerate(instance.cases)
            if case.plannable and any(option.starts for option in case.options)
        ]
        self.by_person: dict[int, set[int]] = {p: set() for p in range(len(instance.people))}
        for c, placement in placements.items():
            self._book(c, placement)
        self.score = self._score()
        self.floor = (
            0,
            sum(
                case.weight
                * (min(o.starts[0] for o in case.options if o.starts) - case.agreed_week)
                for case in (instance.cases[c] for c in self.open)
                if case.counted
            ),
        )
        """No plan does better: every open case started at its earliest start week."""

    def _demand(self, c: int, person: int) -> int:
        case = self.instance.cases[c]
        option = case.option_for(person)
        assert option is not None, f"{case.case_id}: person {person} may not take it"
        return case.demand(option)

    def _reserve(self, c: int, placement: Placement, sign: int) -> None:
        demand = sign * self._demand(c, placement.person)
        row = self.free[placement.person]
        for w in range(placement.start, placement.start + self.instance.cases[c].weeks):
            row[w] -= demand

    def _book(self, c: int, placement: Placement) -> None:
        self._reserve(c, placement, 1)
        self.placed[c] = placement
        self.by_person[placement.person].add(c)

    def _unbook(self, c: int) -> Placement:
        placement = self.placed.pop(c)
        self._reserve(c, placement, -1)
        self.by_person[placement.person].discard(c)
        return placement

    def _case_score(self, c: int) -> tuple[int, int]:
        """(weight not started, weighted waiting) of one counted case, as `evaluate` counts them."""
        case = self.instance.cases[c]
        if not case.counted:
            return 0, 0
        placement = self.placed.get(c)
        if placement is None:
            return case.weight, case.weight * (self.instance.horizon - case.agreed_week)
        return 0, case.weight * (placement.start - case.agreed_week)

    def _score(self) -> tuple[int, int]:
        not_started = waiting = 0
        for c in self.open:
            a, b = self._case_score(c)
            not_started, waiting = not_started + a, waiting + b
        return not_started, waiting

    def _ruin(self, rng: random.Random) -> list[int]:
        """Placed cases to take out: around a random placed case's start, in its person's diary,
        or in every diary of the part (none if nothing is placed)."""
        if not self.placed:
            return []
        seed = rng.choice(list(self.placed))
        anchor = self.placed[seed]
        lo, hi = anchor.start - RUIN_SPAN, anchor.start + RUIN_SPAN
        pool = self.by_person[anchor.person] if rng.random() < 0.5 else self.placed
        near = [c for c in pool if lo <= self.placed[c].start <= hi]
        return rng.sample(near, min(len(near), rng.randint(*RUIN_CASES)))

    def _order(self, rng: random.Random, waiting: list[int]) -> list[int]:
        """Recreate order: priority first (blurred), or priority per minute of support (Smith's rule)."""
        cases = self.instance.cases
        if rng.random() < 0.5:
            return sorted(
                waiting,
                key=lambda c: (
                    -cases[c].weight * (1.0 + ORDER_NOISE * rng.random()),
                    cases[c].release + rng.random(),
                ),
            )
        return sorted(
            waiting,
            key=lambda c: (
                -cases[c].weight
                * (1.0 + ORDER_NOISE * rng.random())
                / (cases[c].weeks * cases[c].minutes_per_week or 1)
            ),
        )

    def step(self, rng: random.Random, threshold: tuple[int, int] | None = None) -> bool:
        """One ruin and recreate, kept (True) if no worse on both levels than the current plan or
        than `threshold` (lexicographically), and never with more weight unstarted; else undone."""
        removed = self._ruin(rng)
        before = {c: self._unbook(c) for c in removed}
        order = self._order(rng, [c for c in self.open if c not in self.placed])
        added: list[int] = []
        for c in order:
            found = earliest_placement(self.instance.cases[c], self.free)
            if found is not None:
                self._book(c, found)
                added.append(c)
        score = self._score()
        if score[0] <= self.score[0] and (
            score <= self.score or (threshold is not None and score <= threshold)
        ):
            self.score = score
            return True
        for c in added:
            self._unbook(c)
        for c, placement in before.items():
            self._book(c, placement)
        return False


def ruin_and_recreate(
    instance: CaseloadInstance,
    placements: Mapping[int, Placement],
    *,
    seconds: float,
    seed: int = 0,
    max_steps: int | None = None,
) -> dict[int, Placement]:
    """Improve a feasible plan on weight not started, then weighted waiting, for up to `seconds`
    (or `max_steps` steps, until STALL_STEPS steps in a row find nothing better, or until no plan
    could do better); never returns a worse plan on those two levels."""
    search = RuinRecreate(instance, placements)
    rng = random.Random(seed)
    deadline = time.perf_counter() + seconds
    # Late acceptance: a step may also be kept if no worse than the plan of HISTORY steps ago.
    history = [search.score] * HISTORY
    best, best_score = dict(search.placed), search.score
    steps = last_better = 0
    while (
        time.perf_counter() < deadline
        and (max_steps is None or steps < max_steps)
        and steps - last_better < STALL_STEPS
        and best_score > search.floor
    ):
        search.step(rng, history[steps % HISTORY])
        history[steps % HISTORY] = search.score
        steps += 1
        if search.score < best_score:
            best, best_score, last_better = dict(search.placed), search.score, steps
    return best


# ---------------------------------------------------------------------------------------------
# Constructive plans
# ---------------------------------------------------------------------------------------------


def first_come_first_served(
    instance: CaseloadInstance, priority: Mapping[str, int] | None = None
) -> dict[int, Placement]:
    """What a coordinator does by hand: each case in turn, to whoever can start it soonest.

    Cases are taken in agreement-date order; ties go to the more urgent case (`priority`: case id ->
    1 urgent .. 3 routine, as agreed), then the higher priority weight, then the case id. Each case
    goes to the eligible person with the earliest start week at which their free minutes, after the
    cases already placed, hold it in every week it runs; ties go to the case's own team, then the least
    loaded person (share of their year's minutes already used), then the shortest travel. A case no one
    can start in the year waits. Returns case index -> placement.
    """
    urgency = priority or {}
    free = [list(row) for row in instance.free_capacity]
    used = [sum(row[: instance.horizon]) for row in instance.fixed_load]
    capacity = [instance.horizon_capacity(p) for p in range(len(instance.people))]
    order = sorted(
        (c for c, case in enumerate(instance.cases) if case.plannable),
        key=lambda c: (
            instance.cases[c].agreed_on,
            urgency.get(instance.cases[c].case_id, 3),
            -instance.cases[c].weight,
            instance.cases[c].case_id,
        ),
    )
    placements: dict[int, Placement] = {}
    for c in order:
        case = instance.cases[c]
        best: tuple[tuple[int, int, float, int, int], Option, int] | None = None
        for option in case.options:
            start = earliest_start(free[option.person], case, option)
            if start is None:
                continue
            p = option.person
            load = used[p] / capacity[p] if capacity[p] > 0 else float("inf")
            key = (start, option.neighbour_cost, load, option.travel_minutes, p)
            if best is None or key < best[0]:
                best = (key, option, start)
        if best is None:
            continue
        _, option, start = best
        demand = case.demand(option)
        for w in range(start, start + case.weeks):
            free[option.person][w] -= demand
        used[option.person] += demand * instance.weeks_in_year(start, case.weeks)
        placements[c] = Placement(option.person, start)
    return placements


def earliest_start(free: Sequence[int], case: CaseData, option: Option) -> int | None:
    """The first of the option's start weeks at which `free` minutes hold the case every week it runs."""
    demand = case.demand(option)
    for start in option.starts:
        if all(free[w] >= demand for w in range(start, start + case.weeks)):
            return start
    return None


def priority_greedy(
    instance: CaseloadInstance, keep: Mapping[int, Placement] | None = None
) -> dict[int, Placement]:
    """A quick plan to warm-start the solver: week by week, start waiting cases by priority.

    From each week on, the released cases not yet started are taken highest weight first (then
    earliest release) and started that week with the least costly person who has room throughout;
    placements in `keep` stay as they are.
    """
    placed = dict(keep or {})
    free = [list(row) for row in instance.free_capacity]
    for c, placement in placed.items():
        case = instance.cases[c]
        option = case.option_for(placement.person)
        if option is None:
            continue
        for w in range(placement.start, placement.start + case.weeks):
            free[placement.person][w] -= case.demand(option)
    todo = sorted(
        (
            c
            for c, case in enumerate(instance.cases)
            if c not in placed and case.plannable and any(o.starts for o in case.options)
        ),
        key=lambda c: (-instance.cases[c].weight, instance.cases[c].release, c),
    )
    for week in range(instance.horizon):
        for c in todo:
            case = instance.cases[c]
            if c in placed or case.release > week:
                continue
            for option in sorted(case.options, key=lambda o: o.travel_minutes + o.neighbour_cost):
                demand = case.demand(option)
                weeks = range(week, week + case.weeks)
                if week in option.starts and all(free[option.person][w] >= demand for w in weeks):
                    for w in weeks:
                        free[option.person][w] -= demand
                    placed[c] = Placement(option.person, week)
                    break
    return placed


def lp_rounded(
    instance: CaseloadInstance,
    started: Mapping[int, float],
    column: Mapping[int, tuple[int, int]],
) -> dict[int, Placement]:
    """A plan rounded from the first level's LP relaxation (`timeindexed.first_level_lp`): cases
    the LP starts most of first (then by weight), each at its largest LP column (person, start) if
    the person has room throughout, else at its earliest start; then every other case that fits,
    and cases started earlier where there is room (`compact_starts`)."""
    free = [list(row) for row in instance.free_capacity]
    placed: dict[int, Placement] = {}
    open_cases = [
        c
        for c, case in enumerate(instance.cases)
        if case.plannable and any(o.starts for o in case.options)
    ]
    order = sorted(open_cases, key=lambda c: (-started.get(c, 0.0), -instance.cases[c].weight, c))
    for c in order:
        case = instance.cases[c]
        found = None
        if c in column:
            person, start = column[c]
            option = case.option_for(person)
            if option is not None and start in option.starts:
                demand = case.demand(option)
                if all(free[person][w] >= demand for w in range(start, start + case.weeks)):
                    found = Placement(person, start)
        if found is None:
            found = earliest_placement(case, free)
        if found is None:
            continue
        option = case.option_for(found.person)
        assert option is not None
        for w in range(found.start, found.start + case.weeks):
            free[found.person][w] -= case.demand(option)
        placed[c] = found
    return compact_starts(instance, placed)


def compact_starts(
    instance: CaseloadInstance, placements: Mapping[int, Placement], passes: int = 5
) -> dict[int, Placement]:
    """Improve a plan without moving anything later: start cases earlier where there is room, then
    start waiting cases where they fit, highest priority first, until nothing changes.

    Each move keeps every hard rule, never unstarts a case and never delays one, so the plan is at
    least as good on cases started and on waiting. Used between the solver's levels as its hint.
    """
    placed = dict(placements)
    free = [list(row) for row in instance.free_capacity]

    def book(c: int, placement: Placement, sign: int) -> None:
        case = instance.cases[c]
        option = case.option_for(placement.person)
        assert option is not None
        for w in range(placement.start, placement.start + case.weeks):
            free[placement.person][w] -= sign * case.demand(option)

    def earliest(c: int, before: int) -> Placement | None:
        return earliest_placement(instance.cases[c], free, before)

    for c, placement in placed.items():
        book(c, placement, 1)
    waiting = [
        c
        for c, case in enumerate(instance.cases)
        if c not in placed and case.plannable and any(o.starts for o in case.options)
    ]
    for _ in range(passes):
        changed = False
        for c in sorted(placed, key=lambda c: (-instance.cases[c].weight, placed[c].start, c)):
            book(c, placed[c], -1)
            better = earliest(c, placed[c].start)
            if better is not None:
                placed[c] = better
                changed = True
            book(c, placed[c], 1)
        for c in sorted(waiting, key=lambda c: (-instance.cases[c].weight, c)):
            if c not in placed and (found := earliest(c, instance.horizon)) is not None:
                placed[c] = found
                book(c, found, 1)
                changed = True
        if not changed:
            break
    return placed
