"""What a solve job's child process runs: one task, reporting progress and its output on a pipe.

`python -m api.worker TASK_FILE FD [MEMORY_BYTES]` limits its own memory (RLIMIT_DATA, when
MEMORY_BYTES is given and not 0), reads the pickled task the service wrote and sends, on the pipe `FD`,
("progress", Progress) messages, then one of ("result", output), ("error", message) or ("memory", None)
when the task ran out of its memory. Tasks carry the validated scenario and call the planners; the
service writes the output. Nothing here is logged.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

from allocator.caseload.outcome import CaseloadOutcome, RebalanceOutcome
from allocator.caseload.plan import plan_caseload
from allocator.caseload.rebalance import rebalance
from allocator.model import Agreement, Scenario
from allocator.model.caseload_result import CaseloadCheck, CaseloadKpis, CaseloadPlan, Change
from allocator.model.rota_result import Rota
from allocator.model.simulation import SimSummaryRow, SimulationSettings
from allocator.rota.data import component_label, components
from allocator.rota.plan import plan_rota
from allocator.scale.executors import Executor, make_executor
from allocator.simulate.run import PRELOAD, simulate
from allocator.simulate.summary import printed_summary
from allocator.solve import ConstraintScore, ProgressEvent, SolveParams


@dataclass(frozen=True)
class Progress:
    """A solver's progress as a job shows it: `stage` in plain words (what is placed so far, out of
    how many, and what the solver is doing)."""

    stage: str
    objective: float | None
    best_bound: float | None
    placed: int | None = None
    to_place: int | None = None
    fraction: float | None = None
    """How much of the job is done (0 to 1), when the task knows; else time against the limit."""


Report = Callable[[Progress], None]

STEPS = {
    "not_started": "starting as many cases as possible",
    "waiting": "shortening waits",
    "travel": "cutting travel",
    "balance": "sharing the work fairly",
    "urgent_not_started": "starting urgent cases first",
    "broken_promises": "keeping the promised starts",
    "changes": "changing as few plans as possible",
    "start_shift": "keeping planned start weeks",
    "feasibility": "finding a plan",
}
"""What the solver does at each level of a caseload job, in plain words."""


class Task(Protocol):
    """A planner call that a child process runs."""

    def run(self, report: Report) -> Any:
        """Solve, telling `report` of progress; return the planner's output."""


def _caseload_progress(event: ProgressEvent) -> Progress:
    """A caseload event in words: "placed 120 of 155 cases; shortening waits (step 2 of 4)"."""
    teams, _, level = event.level.rpartition(": ")
    doing = STEPS.get(level, level.replace("_", " "))
    step = f"{doing} (step {event.level_index + 1} of {event.levels})"
    if teams:
        step = f"{step} for {teams}"
    if event.placed is not None and event.to_place is not None:
        step = f"placed {event.placed} of {event.to_place} cases; {step}"
    return Progress(
        stage=step,
        objective=event.objective,
        best_bound=event.best_bound,
        placed=event.placed,
        to_place=event.to_place,
    )


class RotaCounter:
    """Turns the rota planner's events into "18 of 24 meetings placed; ..." as its parts are solved
    one after another (each part's solution places all its meetings)."""

    def __init__(self, scenario: Scenario, district: str | None) -> None:
        halves = len(scenario.terms)
        self.parts = [
            (
                component_label(scenario, part),
                sum(
                    scenario.group_by_name[g].meetings_per_half_term * halves
                    for g in part
                    if g in scenario.group_by_name
                ),
            )
            for part in components(scenario, district)
        ]
        self.total = sum(n for _, n in self.parts)
        self.index = -1
        self.finished: dict[int, int] = {}
        self.label: str | None = None
        self.closed = True

    def __call__(self, label: str, event: ProgressEvent) -> Progress:
        if label != self.label or self.closed:
            self.index = min(self.index + 1, len(self.parts) - 1)
            self.label = label
        self.closed = event.done and event.objective is not None
        size = self.parts[self.index][1] if self.parts else 0
        if event.objective is not None:
            self.finished[self.index] = size
        else:
            self.finished.pop(self.index, None)
        placed = sum(self.finished.values())
        if event.done:
            doing = (
                f"{label} planned" if event.objective is not None else f"no rota yet for {label}"
            )
        elif event.objective is None:
            doing = f"looking for a first rota for {label}"
        else:
            doing = f"improving the rota for {label}"
        part = f", part {self.index + 1} of {len(self.parts)}" if len(self.parts) > 1 else ""
        return Progress(
            stage=f"{placed} of {self.total} meetings placed; {doing}{part}",
            objective=event.objective,
            best_bound=event.best_bound,
            placed=placed,
            to_place=self.total,
        )


@dataclass(frozen=True)
class RotaTask:
    """Plan the rota of the county, or of the districts linked to `district`."""

    scenario: Scenario
    params: SolveParams
    district: str | None = None
    previous: Rota | None = None
    published: Rota | None = None
    """This year's rota in use: its meetings are promises from `today` on."""
    today: date | None = None
    free_from: date | None = None
    free_groups: tuple[str, ...] = ()

    def run(self, report: Report) -> Any:
        """The rota outcome."""
        words = RotaCounter(self.scenario, self.district)
        return plan_rota(
            self.scenario,
            self.params,
            previous=self.previous,
            district=self.district,
            progress=lambda label, event: report(words(label, event)),
            published=self.published,
            today=self.today,
            free_from=self.free_from,
            free_groups=self.free_groups,
        )


@dataclass(frozen=True)
class CaseloadOutput:
    """What a caseload job keeps of the planner's outcome."""

    plan: CaseloadPlan
    kpis: CaseloadKpis
    check: CaseloadCheck
    engine: str
    wall_time: float
    proven_optimal: bool
    gap: float | None
    breakdown: tuple[ConstraintScore, ...]
    changes: tuple[Change, ...] = ()
    moved: int | None = None
    proven_minimal: bool | None = None
    broken: int | None = None
    earlier: int | None = None


def _breakdown(outcome: CaseloadOutcome) -> tuple[ConstraintScore, ...]:
    """Each rule's final score summed over the parts (a part's later stage overrides its earlier)."""
    totals: dict[str, ConstraintScore] = {}
    for part in outcome.parts:
        final: dict[str, ConstraintScore] = {}
        for result in part.results:
            final.update({s.name: s for s in result.breakdown})
        for name, score in final.items():
            seen = totals.get(name)
            totals[name] = (
                score
                if seen is None
                else seen.model_copy(
                    update={
                        "violation": seen.violation + score.violation,
                        "penalty": seen.penalty + score.penalty,
                    }
                )
            )
    return tuple(totals.values())


def _output(outcome: CaseloadOutcome, rebalanced: RebalanceOutcome | None = None) -> CaseloadOutput:
    return CaseloadOutput(
        plan=outcome.plan,
        kpis=outcome.kpis,
        check=outcome.check,
        engine=outcome.engine,
        wall_time=outcome.wall_time,
        proven_optimal=outcome.proven_optimal,
        gap=outcome.gap,
        breakdown=_breakdown(outcome),
        changes=rebalanced.changes if rebalanced else (),
        moved=rebalanced.moved if rebalanced else None,
        proven_minimal=rebalanced.proven_minimal if rebalanced else None,
        broken=rebalanced.broken if rebalanced else None,
        earlier=rebalanced.earlier if rebalanced else None,
    )


@dataclass(frozen=True)
class CaseloadTask:
    """Plan the caseload afresh (the county, or one district)."""

    scenario: Scenario
    params: SolveParams
    district: str | None = None

    def run(self, report: Report) -> CaseloadOutput:
        """The plan and its score."""
        outcome = plan_caseload(
            self.scenario,
            self.params,
            district=self.district,
            progress=lambda event: report(_caseload_progress(event)),
        )
        return _output(outcome)


@dataclass(frozen=True)
class RebalanceTask:
    """Fit new agreements into the current plan, never moving running support."""

    scenario: Scenario
    current: CaseloadPlan
    new_agreements: tuple[Agreement, ...]
    params: SolveParams
    today: date | None = None

    def run(self, report: Report) -> CaseloadOutput:
        """The rebalanced plan, its score and its changes."""
        rebalanced = rebalance(
            self.scenario,
            self.current,
            self.new_agreements,
            self.params,
            self.today,
            progress=lambda event: report(_caseload_progress(event)),
        )
        return _output(rebalanced.outcome, rebalanced)


@dataclass(frozen=True)
class SimulationOutput:
    """What a simulation job keeps: the summary rows and the printed summary (not the waits)."""

    summary: tuple[SimSummaryRow, ...]
    printed: str
    seconds: float


POOL_FROM_SCHOOLS = 20
"""Smaller counties simulate in this process: a year of theirs takes less than starting a worker."""
HEARTBEAT = 1.0
"""Seconds between a simulation's progress messages (its tasks take minutes each)."""


def _end_with_children(_signum: int, _frame: object) -> None:
    """On SIGTERM (cancel, service stop): end the local pool's workers too, then this process."""
    for child in multiprocessing.active_children():
        child.kill()
    os._exit(1)


@dataclass(frozen=True)
class SimulationTask:
    """Simulate the year under each staffing variant (None: the scenario's own), policy and seed."""

    scenario: Scenario
    variants: Mapping[str, Mapping[str, int] | None]
    settings: SimulationSettings
    workers: int = 1

    def _executor(self) -> Executor | None:
        """A local pool for a county big enough to gain from one, else None (this process)."""
        tasks = len(self.variants) * len(self.settings.policies) * self.settings.seeds
        workers = min(self.workers, tasks)
        if workers < 2 or len(self.scenario.schools) < POOL_FROM_SCHOOLS:
            return None
        return make_executor("local", workers, PRELOAD)

    def run(self, report: Report) -> SimulationOutput:
        """The summary, with progress every second: runs done of all, and time so far."""
        signal.signal(signal.SIGTERM, _end_with_children)
        lock = threading.Lock()
        began = time.monotonic()
        counts = [0, 0]
        stop = threading.Event()

        def tell() -> None:
            done, total = counts
            so_far = time.monotonic() - began
            runs = "run" if total == 1 else "runs"
            with lock:
                report(
                    Progress(
                        stage=f"{done} of {total} {runs} of the year done; {so_far:.0f} s so far",
                        objective=None,
                        best_bound=None,
                        placed=done,
                        to_place=total,
                        fraction=done / total if total else 0.0,
                    )
                )

        def count(done: int, total: int) -> None:
            counts[:] = [done, total]
            tell()

        def beat() -> None:
            while not stop.wait(HEARTBEAT):
                if counts[1]:
                    tell()

        heart = threading.Thread(target=beat, daemon=True)
        heart.start()
        executor = self._executor()
        try:
            result = simulate(
                self.scenario, self.variants, self.settings, executor=executor, progress=count
            )
        finally:
            stop.set()
            heart.join()
            if executor is not None:
                executor.close()
        return SimulationOutput(
            summary=result.summary, printed=printed_summary(result), seconds=result.seconds
        )


NEAR_CAP = 0.8
"""A failure while the data segment is above this share of its cap is reported as out of memory (C
libraries often turn a failed allocation into some other error)."""


def run_task(task: Task, connection: Connection) -> None:
    """Child-process entry: run `task` and send its progress and output to the parent."""
    message: str | None = None
    try:
        output = task.run(lambda progress: connection.send(("progress", progress)))
        connection.send(("result", output))
    except MemoryError:
        pass  # answered below, once the failed frames have let their memory go
    except Exception as error:  # reported to the job's owner, never logged
        message = f"{type(error).__name__}: {error}"
    else:
        connection.close()
        return
    if message is None or _near_cap():
        connection.send(("memory", None))
    else:
        connection.send(("error", message))
    connection.close()


def _data_bytes() -> int | None:
    """This process's data segment now (Linux), or None where it cannot be read."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _near_cap() -> bool:
    soft, _hard = resource.getrlimit(resource.RLIMIT_DATA)
    used = _data_bytes()
    return soft != resource.RLIM_INFINITY and used is not None and used >= NEAR_CAP * soft


def limit_memory(size: int) -> None:
    """Cap this process's data segment (heap and private mappings) at `size` bytes; 0: no cap."""
    if size <= 0:
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    cap = size if hard == resource.RLIM_INFINITY else min(size, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (cap, hard))


def main(argv: list[str]) -> None:
    """Run the task in file `argv[1]`, reporting on the pipe whose descriptor is `argv[2]`, within
    `argv[3]` bytes of memory when given."""
    connection = Connection(int(argv[2]), readable=False)
    if len(argv) > 3:
        limit_memory(int(argv[3]))
    try:
        task = pickle.loads(Path(argv[1]).read_bytes())
    except Exception as error:
        if not isinstance(error, MemoryError) and not _near_cap():
            raise
        connection.send(("memory", None))
        connection.close()
        return
    run_task(task, connection)


if __name__ == "__main__":
    main(sys.argv)
