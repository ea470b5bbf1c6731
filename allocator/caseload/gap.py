"""The generalised assignment problem (GAP): the caseload core's single-period special case.

Each job goes to exactly one agent; the resource an agent's jobs use stays within its capacity; the
total cost is minimised:

    min sum_ij c[i][j] x[i][j]   s.t.   sum_i x[i][j] = 1 (each job j),
                                        sum_j a[i][j] x[i][j] <= b[i] (each agent i),  x binary.

Instances are the OR-Library / Chu-Beasley files in Yagiura's single-instance format. Two engines solve
them, CP-SAT and HiGHS, and `solve_gap` keeps the one that won the measurements (`AUTO_ENGINE`);
`check_gap` re-verifies any answer without a solver.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import highspy
import numpy as np
from ortools.sat.python import cp_model

from allocator.highs import highs_status, new_highs
from allocator.solve import Status

Matrix = tuple[tuple[int, ...], ...]

ENGINES = ("auto", "highs", "cpsat", "greedy")
AUTO_ENGINE = "highs"
"""The engine `auto` uses: HiGHS proved every OR-Library and Chu-Beasley A-C optimum within 60 s in
every run on this 2-core machine; CP-SAT with 2 workers proved c20200 in one run of three (46.5 s
against HiGHS's 8.8 s) and is further off on type D (docs/benchmarks.md)."""


@dataclass(frozen=True)
class GapInstance:
    """A GAP instance: `cost[i][j]` and `resource[i][j]` of job j on agent i, `capacity[i]`."""

    name: str
    cost: Matrix
    resource: Matrix
    capacity: tuple[int, ...]

    def __post_init__(self) -> None:
        m, n = len(self.capacity), len(self.cost[0]) if self.cost else 0
        if m == 0 or n == 0:
            raise ValueError(f"{self.name}: needs at least one agent and one job")
        for label, matrix in (("cost", self.cost), ("resource", self.resource)):
            if len(matrix) != m or any(len(row) != n for row in matrix):
                raise ValueError(f"{self.name}: {label} must be {m} rows of {n}")
        if any(a < 0 for row in self.resource for a in row) or any(b < 0 for b in self.capacity):
            raise ValueError(f"{self.name}: resources and capacities must be >= 0")

    @property
    def agents(self) -> int:
        """Number of agents (m)."""
        return len(self.capacity)

    @property
    def jobs(self) -> int:
        """Number of jobs (n)."""
        return len(self.cost[0])

    def fits(self, agent: int, job: int) -> bool:
        """Whether the job alone fits the agent's capacity (else the pair is never used)."""
        return self.resource[agent][job] <= self.capacity[agent]


@dataclass(frozen=True)
class GapResult:
    """An engine's answer: `assignment[j]` is job j's agent (empty without a solution)."""

    objective: int | None
    best_bound: float | None
    seconds: float
    status: Status
    assignment: tuple[int, ...] = ()


def read_gap(path: str | Path) -> GapInstance:
    """Read a single-instance file: `m n`, then cost (m x n), resource (m x n) and capacity (m)."""
    path = Path(path)
    try:
        numbers = [int(tok) for tok in path.read_text().split()]
    except ValueError as exc:
        raise ValueError(f"{path}: expected whitespace-separated integers ({exc})") from None
    if len(numbers) < 2:
        raise ValueError(f"{path}: expected 'agents jobs' first")
    m, n = numbers[0], numbers[1]
    expected = 2 + 2 * m * n + m
    if m <= 0 or n <= 0 or len(numbers) != expected:
        raise ValueError(
            f"{path}: {m} agents and {n} jobs need {expected} integers, found {len(numbers)}"
        )

    def block(start: int) -> Matrix:
        return tuple(tuple(numbers[start + i * n : start + (i + 1) * n]) for i in range(m))

    return GapInstance(
        name=path.name,
        cost=block(2),
        resource=block(2 + m * n),
        capacity=tuple(numbers[2 + 2 * m * n :]),
    )


def check_gap(instance: GapInstance, assignment: Sequence[int]) -> int:
    """The cost of `assignment`, after checking each job has one agent and no capacity is exceeded."""
    if len(assignment) != instance.jobs:
        raise ValueError(
            f"expected an agent for each of {instance.jobs} jobs, got {len(assignment)}"
        )
    used = [0] * instance.agents
    for job, agent in enumerate(assignment):
        if not 0 <= agent < instance.agents:
            raise ValueError(f"job {job}: agent {agent} is not in 0..{instance.agents - 1}")
        used[agent] += instance.resource[agent][job]
    for agent, load in enumerate(used):
        if load > instance.capacity[agent]:
            raise ValueError(f"agent {agent}: uses {load}, capacity {instance.capacity[agent]}")
    return sum(instance.cost[agent][job] for job, agent in enumerate(assignment))


def greedy_gap(instance: GapInstance) -> tuple[int, ...] | None:
    """Martello-Toth regret greedy, then cheaper shifts: a feasible assignment, or None if none found.

    For each of four desirability measures (cost, resource, resource share of capacity, cost times
    resource share), jobs are placed in order of regret (how much worse their second-best agent with
    room is) on their best agent with room; the cheapest complete assignment is then improved by
    moving single jobs to cheaper agents with room.
    """
    cost = np.asarray(instance.cost, dtype=np.float64)
    resource = np.asarray(instance.resource, dtype=np.float64)
    share = resource / np.maximum(1, np.asarray(instance.capacity, dtype=np.float64))[:, None]
    best: tuple[int, ...] | None = None
    for desirability in (cost, resource, share, cost * share):
        found = _regret_greedy(instance, desirability)
        if found is not None and (
            best is None or check_gap(instance, found) < check_gap(instance, best)
        ):
            best = found
    if best is None:
        return None
    choice = list(best)
    free = list(instance.capacity)
    for j, i in enumerate(choice):
        free[i] -= instance.resource[i][j]
    improved = True
    while improved:
        improved = False
        for j in range(instance.jobs):
            here = choice[j]
            for i in range(instance.agents):
                cheaper = instance.cost[i][j] < instance.cost[here][j]
                if i != here and cheaper and instance.resource[i][j] <= free[i]:
                    free[here] += instance.resource[here][j]
                    free[i] -= instance.resource[i][j]
                    choice[j], here, improved = i, i, True
    return tuple(choice)


def _regret_greedy(instance: GapInstance, desirability: np.ndarray) -> tuple[int, ...] | None:
    """Place jobs by largest regret on their most desirable (lowest) agent with room."""
    resource = np.asarray(instance.resource, dtype=np.float64)
    free = np.asarray(instance.capacity, dtype=np.float64)
    choice = [-1] * instance.jobs
    unplaced = np.arange(instance.jobs)
    while unplaced.size:
        room = resource[:, unplaced] <= free[:, None]
        score = np.where(room, desirability[:, unplaced], np.inf)
        first = score.min(axis=0)
        if np.isinf(first).any():
            return None
        second = np.partition(score, 1, axis=0)[1] if instance.agents > 1 else first + np.inf
        k = int(np.argmax(second - first))
        job, agent = int(unplaced[k]), int(np.argmin(score[:, k]))
        choice[job] = agent
        free[agent] -= resource[agent, job]
        unplaced = np.delete(unplaced, k)
    return tuple(choice)


def solve_gap_greedy(instance: GapInstance) -> GapResult:
    """The greedy baseline as a result (no bound; status unknown if it finds no assignment)."""
    start = time.perf_counter()
    assignment = greedy_gap(instance)
    seconds = time.perf_counter() - start
    if assignment is None:
        return GapResult(None, None, seconds, Status.UNKNOWN)
    return GapResult(check_gap(instance, assignment), None, seconds, Status.FEASIBLE, assignment)


def build_cpsat_model(
    instance: GapInstance,
) -> tuple[cp_model.CpModel, dict[tuple[int, int], cp_model.IntVar]]:
    """One Boolean per fitting (agent, job): exactly one per job, a linear capacity per agent."""
    model = cp_model.CpModel()
    x = {
        (i, j): model.new_bool_var(f"x_{i}_{j}")
        for i in range(instance.agents)
        for j in range(instance.jobs)
        if instance.fits(i, j)
    }
    for j in range(instance.jobs):
        model.add_exactly_one(x[i, j] for i in range(instance.agents) if (i, j) in x)
    for i in range(instance.agents):
        model.add(
            sum(instance.resource[i][j] * x[i, j] for j in range(instance.jobs) if (i, j) in x)
            <= instance.capacity[i]
        )
    model.minimize(sum(instance.cost[i][j] * var for (i, j), var in x.items()))
    return model, x


def solve_gap_cpsat(
    instance: GapInstance, time_limit: float, workers: int = 2, seed: int = 0
) -> GapResult:
    """Minimise with CP-SAT: the Boolean model, hinted with the greedy assignment, default search.

    Measured on Chu-Beasley C and D instances (2 workers, several seeds): linearisation level 2, LB
    tree search and an integer-agent/element model were no better than the defaults beyond seed noise
    (LB tree search was clearly worse); the hint makes even a short time limit return at least the
    greedy assignment.
    """
    start = time.perf_counter()
    model, x = build_cpsat_model(instance)
    hint = greedy_gap(instance)
    if hint is not None:
        for (i, j), var in x.items():
            model.add_hint(var, hint[j] == i)
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.max_time_in_seconds = max(0.01, time_limit - (time.perf_counter() - start))
    params.num_workers = workers
    params.random_seed = seed
    code = solver.solve(model)
    status = _CPSAT_STATUS.get(code, Status.UNKNOWN)
    if not status.has_solution:
        return GapResult(None, None, time.perf_counter() - start, status)
    assignment = tuple(
        next(i for i in range(instance.agents) if (i, j) in x and solver.boolean_value(x[i, j]))
        for j in range(instance.jobs)
    )
    return GapResult(
        objective=round(solver.objective_value),
        best_bound=solver.best_objective_bound,
        seconds=time.perf_counter() - start,
        status=status,
        assignment=assignment,
    )


_CPSAT_STATUS = {
    cp_model.OPTIMAL: Status.OPTIMAL,
    cp_model.FEASIBLE: Status.FEASIBLE,
    cp_model.INFEASIBLE: Status.INFEASIBLE,
    cp_model.MODEL_INVALID: Status.INVALID,
}


def solve_gap_highs(instance: GapInstance, time_limit: float) -> GapResult:
    """Minimise with HiGHS as a binary MIP (columns x[i][j], agent-major)."""
    start = time.perf_counter()
    m, n = instance.agents, instance.jobs
    cost = np.asarray(instance.cost, dtype=np.float64)
    resource = np.asarray(instance.resource, dtype=np.float64)
    capacity = np.asarray(instance.capacity, dtype=np.float64)
    lp = highspy.HighsLp()
    lp.num_col_ = m * n
    lp.num_row_ = n + m
    lp.col_cost_ = cost.ravel()
    lp.col_lower_ = np.zeros(m * n)
    lp.col_upper_ = (resource <= capacity[:, None]).astype(np.float64).ravel()
    lp.row_lower_ = np.concatenate([np.ones(n), np.full(m, -highspy.kHighsInf)])
    lp.row_upper_ = np.concatenate([np.ones(n), capacity])
    # Column (i, j) has a 1 in job j's row and a[i][j] in agent i's row.
    jobs = np.tile(np.arange(n), m)
    agents = n + np.repeat(np.arange(m), n)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(0, 2 * m * n + 1, 2, dtype=np.int32)
    lp.a_matrix_.index_ = np.column_stack([jobs, agents]).ravel().astype(np.int32)
    lp.a_matrix_.value_ = np.column_stack([np.ones(m * n), resource.ravel()]).ravel()
    lp.integrality_ = [highspy.HighsVarType.kInteger] * (m * n)
    highs = new_highs(time_limit - (time.perf_counter() - start))
    # Integer costs: a gap below 1 proves optimality.
    highs.setOptionValue("mip_abs_gap", 1.0 - 1e-6)
    highs.passModel(lp)
    highs.run()
    status = highs_status(highs)
    if not status.has_solution:
        return GapResult(None, None, time.perf_counter() - start, status)
    values = np.asarray(highs.getSolution().col_value).reshape(m, n)
    assignment = tuple(int(i) for i in values.argmax(axis=0))
    info = highs.getInfo()
    return GapResult(
        objective=round(info.objective_function_value),
        best_bound=float(info.mip_dual_bound),
        seconds=time.perf_counter() - start,
        status=status,
        assignment=assignment,
    )


def solve_gap(
    instance: GapInstance,
    time_limit: float,
    engine: str = "auto",
    *,
    workers: int = 2,
    seed: int = 0,
) -> GapResult:
    """Solve with `engine` (one of ENGINES; `auto` is AUTO_ENGINE); workers and seed are CP-SAT's."""
    chosen = AUTO_ENGINE if engine == "auto" else engine
    if chosen == "highs":
        return solve_gap_highs(instance, time_limit)
    if chosen == "cpsat":
        return solve_gap_cpsat(instance, time_limit, workers=workers, seed=seed)
    if chosen == "greedy":
        return solve_gap_greedy(instance)
    raise ValueError(f"unknown engine {engine!r}: expected one of {', '.join(ENGINES)}")
