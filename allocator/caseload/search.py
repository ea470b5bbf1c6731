"""Ruin and recreate: a fast local search on the first two caseload levels, used as the solver's hint.

Each step takes a few placed cases out around a random case's start week, from its person's diary or
from every diary of the part (the ruin), then puts them back with every case still waiting, each at
its earliest start, in a blurred priority order or by priority per minute of support (the recreate).
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
from collections.abc import Mapping

from allocator.caseload.data import CaseloadInstance, Placement, earliest_placement

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
