"""Many simulated years (`simulate`): one independent task per policy, staffing variant and seed, run on
the executors of `allocator.scale.executors` (in this process, a local process pool, or Ray), merged and
summarised. A staffing variant is a staffing.toml: the teams sized by its formula
(`variant_capacities`); `SCENARIO_VARIANT` is the scenario's own people as they are.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from allocator.io.staffing_export import read_staffing_settings
from allocator.model import Problem, Scenario, ScenarioError
from allocator.model.simulation import (
    SCENARIO_VARIANT,
    Policy,
    SimulationResult,
    SimulationSettings,
    SimWait,
)
from allocator.scale.executors import Executor, SerialExecutor
from allocator.simulate.arrivals import year_requests
from allocator.simulate.loop import simulate_one
from allocator.simulate.summary import summarise
from allocator.staffing.formula import allocate_staffing, team_capacity_from_staffing

Capacity = Mapping[str, int] | None
"""Minutes a week per team (None: the scenario's own people)."""
SimProgress = Callable[[int, int], None]
"""Told (tasks done, tasks in all): first (0, total), then after each task."""
PRELOAD = ("allocator.simulate.loop",)
"""What a local pool's workers import as they start."""


@dataclass(frozen=True)
class SimTask:
    """One independent piece of a run: a year under one policy, variant and seed."""

    scenario: Scenario
    policy: Policy
    variant: str
    capacity: Capacity
    seed: int
    settings: SimulationSettings
    workers: int | None = None
    """Solver threads (None: the solver's default)."""


def run_task(task: SimTask) -> list[SimWait]:
    """A task's rows (module level, so every executor can ship it)."""
    requests = year_requests(task.scenario, task.settings.arrivals, task.seed)
    return simulate_one(
        task.scenario,
        task.policy,
        task.variant,
        task.capacity,
        task.seed,
        task.settings,
        requests,
        workers=task.workers,
    )


def simulate(
    scenario: Scenario,
    variants: Mapping[str, Capacity],
    settings: SimulationSettings,
    *,
    executor: Executor | None = None,
    progress: SimProgress | None = None,
    fte: Mapping[str, Mapping[str, float]] | None = None,
) -> SimulationResult:
    """Every (policy, variant, seed) year of `settings`, as tasks on `executor` (default: this
    process), merged in that order and summarised. `fte[variant][district]` goes into the summary
    (default: `variant_fte`). Raises ScenarioError before any task when there is nothing to simulate.
    """
    began = time.perf_counter()
    if not variants:
        raise ScenarioError([Problem(file="--staffing", expected="at least one variant")])
    year_requests(scenario, settings.arrivals, 0)  # fails early, in words, with nothing to run
    executor = executor or SerialExecutor()
    workers = None if executor.workers <= 1 else max(1, (os.cpu_count() or 1) // executor.workers)
    tasks = [
        SimTask(scenario, policy, variant, capacity, seed, settings, workers)
        for seed in range(settings.seeds)
        for variant, capacity in variants.items()
        for policy in settings.policies
    ]
    results: dict[int, list[SimWait]] = {}
    if progress is not None:
        progress(0, len(tasks))
    for index, rows in executor.map_unordered(run_task, tasks):
        results[index] = rows
        if progress is not None:
            progress(len(results), len(tasks))
    order = {p: i for i, p in enumerate(settings.policies)}
    names = {v: i for i, v in enumerate(variants)}
    ranked = sorted(
        range(len(tasks)),
        key=lambda i: (order[tasks[i].policy], names[tasks[i].variant], tasks[i].seed),
    )
    waits = tuple(row for i in ranked for row in results[i])
    figures = dict(variant_fte(scenario, variants))
    figures.update({name: dict(values) for name, values in (fte or {}).items()})
    return SimulationResult(
        waits=waits,
        summary=tuple(summarise(waits, figures)),
        variants=tuple(variants),
        seeds=settings.seeds,
        seconds=time.perf_counter() - began,
    )


def variant_capacities(scenario: Scenario, paths: Sequence[Path]) -> dict[str, Capacity]:
    """`SCENARIO_VARIANT` (None: the scenario's people), then each staffing.toml's team capacities
    under the staffing formula, named by the file's stem. A file that cannot be read, does not
    validate or does not fit the scenario's indicators raises ScenarioError naming it."""
    variants: dict[str, Capacity] = {SCENARIO_VARIANT: None}
    for path in paths:
        name = path.stem
        if name in variants:
            raise ScenarioError(
                [
                    Problem(
                        file=str(path),
                        value=name,
                        expected="a file name not used by another variant (nor 'scenario')",
                    )
                ]
            )
        staffing = read_staffing_settings(path)
        try:
            allocation = allocate_staffing(scenario, staffing)
        except ScenarioError as error:
            raise ScenarioError(
                [p.model_copy(update={"file": f"{path} ({p.file})"}) for p in error.problems]
            ) from None
        except (ValueError, KeyError) as error:
            raise ScenarioError(
                [Problem(file=str(path), expected=f"a formula the scenario can use ({error})")]
            ) from None
        variants[name] = team_capacity_from_staffing(scenario, allocation)
    return variants


def variant_fte(
    scenario: Scenario, variants: Mapping[str, Capacity]
) -> dict[str, dict[str, float]]:
    """Each variant's FTE per district: its capacity (or, for None, the district team's minutes in
    people.csv) over the scenario's minutes a week per FTE, to two places."""
    per_fte = scenario.settings.minutes_per_fte_week
    own: dict[str, int] = defaultdict(int)
    for person in scenario.people:
        own[person.team] += person.minutes_per_week
    return {
        name: {
            d: round((own[d] if capacity is None else capacity.get(d, 0)) / per_fte, 2)
            for d in scenario.district_names
        }
        for name, capacity in variants.items()
    }
