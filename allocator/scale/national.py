"""England at scale: many independent authorities, each job decomposed into tasks run on an executor.

`generate_nation` makes synthetic authorities of varied size (each an independent county from
`generate_county`). `run_nation` cuts every authority into independent tasks and maps them over an
`Executor` (a local process pool by default, or Ray):

- staffing: one task per authority, every formula variant (each apportionment method, with the
  rules of staffing.toml and without floors, caps or change limit);
- rota: one task per component of an authority's LIFT groups (groups sharing a slot, or an
  attendee whose meetings could overlap, are planned together: `allocator.rota.data.components`);
- caseload: one task per authority (the county pools span its districts; the planner splits the
  authority into its independent teams inside the task). Each gets the time limit, or with
  `CaseloadTimes` its share of a budget by size and difficulty (`caseload_seconds`: agreements,
  more for tight teams, within a floor and a cap).

With `baselines`, each task also runs the naive alternatives on the same data in the same worker:
the round-robin rota, first-come-first-served and HiGHS caseloads, and the PyPI `apportionment`
package on the rule-free staffing variants (imported only then: a dev dependency). A task returns
small `AuthorityResult` rows, never plans; an engine that fails gives a row with status "error".
"""

from __future__ import annotations

import math
import os
import random
import resource
import socket
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from typing import Any

from allocator.caseload.engines.greedy import plan_caseload_greedy
from allocator.caseload.engines.highs import plan_caseload_highs
from allocator.caseload.outcome import CaseloadOutcome
from allocator.caseload.plan import plan_caseload
from allocator.model import Scenario, StaffingSettings
from allocator.model.staffing_result import StaffingAllocation
from allocator.rota.baseline import round_robin_rota
from allocator.rota.check import check_rota
from allocator.rota.data import components
from allocator.rota.plan import plan_rota
from allocator.scale.executors import Executor, SerialExecutor
from allocator.solve import SolveParams, relative_gap
from allocator.staffing.apportion import METHODS, apportion
from allocator.staffing.formula import allocate_staffing, formula_quotas
from allocator.synthetic.generate import generate_county

JOBS = ("staffing", "rota", "caseload")
SCHOOLS_PER_DISTRICT = 57
"""Mean schools (with special schools and PRUs) of a district made by `generate_county`."""
MAX_DISTRICTS = 12
"""Districts of the largest authority: Kent-sized."""
SIZE_SPREAD = 0.8
"""Standard deviation of the log of an authority's size before rounding to districts."""
ENGINES = {
    "staffing": ("allocator", "apportionment"),
    "rota": ("allocator", "round-robin"),
    "caseload": ("allocator", "greedy", "highs"),
}
"""Our engine first, then the baselines run beside it."""
PYPI_METHODS = {
    "hamilton": "hamilton",
    "webster": "webster",
    "dhondt": "dhondt",
    "huntington_hill": "huntington",
    "adams": "adams",
}
NO_RULES = "no rules"


# ---------------------------------------------------------------------------------------------
# Authorities
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthoritySpec:
    """What `generate_county` needs to make one authority."""

    name: str
    districts: int
    seed: int

    @property
    def scale(self) -> float:
        """The county scale that gives `districts` districts (scale 1: 12)."""
        return self.districts / MAX_DISTRICTS


def nation_specs(
    authorities: int = 150, seed: int = 0, target_schools: int = 24_000
) -> list[AuthoritySpec]:
    """Authorities of log-normally varied size (1 to 12 districts) adding up to about the target.

    Each gets one district, and the rest of round(target_schools / SCHOOLS_PER_DISTRICT) are shared
    out by largest remainder on the drawn sizes, none beyond 12.
    """
    if authorities < 1:
        raise ValueError(f"authorities is {authorities}: expected 1 or more")
    if target_schools < 1:
        raise ValueError(f"target_schools is {target_schools}: expected 1 or more")
    rng = random.Random(seed)
    width = max(3, len(str(authorities)))
    names = [f"Authority {i + 1:0{width}d}" for i in range(authorities)]
    weights = {name: Fraction(rng.lognormvariate(0.0, SIZE_SPREAD)) for name in names}
    seeds = [rng.randrange(2**31) for _ in names]
    total = round(target_schools / SCHOOLS_PER_DISTRICT)
    extra = min(max(0, total - authorities), authorities * (MAX_DISTRICTS - 1))
    shares: dict[str, int] = {}
    while weights:  # authorities reaching the largest size are held there, the rest share again
        found = apportion(weights, extra, "hamilton")
        full = [name for name, share in found.items() if share >= MAX_DISTRICTS - 1]
        if not full:
            shares |= found
            break
        for name in full:
            shares[name] = MAX_DISTRICTS - 1
            extra -= MAX_DISTRICTS - 1
            del weights[name]
    return [AuthoritySpec(name, 1 + shares[name], s) for name, s in zip(names, seeds, strict=True)]


def generate_authority(spec: AuthoritySpec) -> Scenario:
    """One authority: a synthetic county of `spec.districts` districts."""
    return generate_county(scale=spec.scale, seed=spec.seed, name=spec.name)


def generate_nation(
    authorities: int = 150,
    seed: int = 0,
    target_schools: int = 24_000,
    executor: Executor | None = None,
) -> list[Scenario]:
    """About `target_schools` schools in `authorities` independent counties of varied size,
    deterministic for a seed (generated on `executor` when given)."""
    specs = nation_specs(authorities, seed, target_schools)
    runner = executor or SerialExecutor()
    made: list[Scenario | None] = [None] * len(specs)
    for index, scenario in runner.map_unordered(generate_authority, specs):
        made[index] = scenario
    return [s for s in made if s is not None]


# ---------------------------------------------------------------------------------------------
# Caseload time: by size and difficulty, within a budget
# ---------------------------------------------------------------------------------------------

SCHOOL_WEEKS = 39
"""A team's capacity is its people's weekly casework minutes over this many school weeks."""
TIGHT_FROM = 0.6
"""Demand over capacity beyond which a team is tight: its cases count for more time."""
TIGHT_EXTRA = 3.0
"""Extra weight a case gets per unit of demand over capacity beyond TIGHT_FROM (0.9: 1.9)."""


@dataclass(frozen=True)
class CaseloadTimes:
    """The caseload's seconds shared between authorities by size and difficulty, within a budget."""

    mean: float = 5.0
    """The budget: this many seconds per authority on average."""
    floor: float = 3.0
    """The least an authority gets."""
    cap: float = 30.0
    """The most an authority gets."""

    def __post_init__(self) -> None:
        if not 0 < self.floor <= self.mean <= self.cap:
            raise ValueError(
                f"caseload times floor {self.floor}, mean {self.mean}, cap {self.cap}: "
                "expected 0 < floor <= mean <= cap"
            )


@dataclass(frozen=True)
class TeamLoad:
    """A team's agreements and minutes: agreed (minutes a week times weeks) and available."""

    agreements: int
    demand: int
    capacity: int


def team_loads(scenario: Scenario) -> dict[str, TeamLoad]:
    """Each team's agreements, agreed minutes and casework minutes over SCHOOL_WEEKS weeks."""
    count: dict[str, int] = {}
    demand: dict[str, int] = {}
    capacity: dict[str, int] = {}
    for agreement in scenario.agreements:
        team = scenario.team_of(agreement)
        count[team] = count.get(team, 0) + 1
        demand[team] = demand.get(team, 0) + agreement.minutes_per_week * agreement.weeks
    for person in scenario.people:
        capacity[person.team] = capacity.get(person.team, 0) + person.minutes_per_week
    return {
        team: TeamLoad(count[team], demand[team], SCHOOL_WEEKS * capacity.get(team, 0))
        for team in count
    }


def difficulty(loads: Sequence[TeamLoad]) -> float:
    """How much time a case of these teams needs against a loose team's: 1, more when they are
    tight (agreed minutes over casework minutes beyond TIGHT_FROM), linearly."""
    demand = sum(load.demand for load in loads)
    capacity = sum(load.capacity for load in loads)
    tightness = demand / capacity if capacity else 1.0
    return 1.0 + TIGHT_EXTRA * max(0.0, tightness - TIGHT_FROM)


def caseload_weight(scenario: Scenario) -> float:
    """An authority's claim on the caseload's time: its agreements, each team's weighted by the
    team's difficulty."""
    return sum(load.agreements * difficulty([load]) for load in team_loads(scenario).values())


def share_budget(weights: Sequence[float], budget: float, floor: float, cap: float) -> list[float]:
    """Seconds in proportion to `weights`, each within [floor, cap], adding up to `budget` where
    the floor and cap allow (all at the floor when the budget is below it, all at the cap above it).
    Monotone: a larger weight never gets less."""
    if not weights:
        return []
    if budget <= floor * len(weights):
        return [floor] * len(weights)
    if budget >= cap * len(weights) or max(weights) <= 0:
        return [min(cap, budget / len(weights))] * len(weights)

    def given(rate: float) -> list[float]:
        return [min(cap, max(floor, rate * w)) for w in weights]

    low, high = 0.0, cap / min(w for w in weights if w > 0)
    for _ in range(100):  # the total grows with the rate: bisect for the budget
        rate = (low + high) / 2
        if sum(given(rate)) > budget:
            high = rate
        else:
            low = rate
    return given(low)


def caseload_seconds(scenarios: Sequence[Scenario], times: CaseloadTimes) -> list[float]:
    """Each authority's caseload seconds: `times.mean` each on average, shared by weight."""
    weights = [caseload_weight(s) for s in scenarios]
    return share_budget(weights, times.mean * len(scenarios), times.floor, times.cap)


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthorityResult:
    """One engine's result on one task: what it achieved, how long it took, and where it ran."""

    authority: str
    job: str
    part: str
    """The districts the task covered, joined with " + "."""
    engine: str
    variant: str
    """The formula variant (staffing); empty for the other jobs."""
    districts: int
    schools: int
    items: int
    """What the job decides: districts (staffing), LIFT groups (rota), agreements (caseload)."""
    status: str
    objective: float | None
    """Staffing: sum of |allocated - quota| FTE. Rota: total penalty. Caseload: priority weight of
    cases not started. Lower is better for all three."""
    best_bound: float | None
    gap: float | None
    checked: bool | None
    """Whether the independent checker accepts the result (None where there is no checker)."""
    seconds: float
    worker: str
    """host:pid of the process that ran the task."""
    worker_peak_mib: float
    """Peak resident memory of that process so far."""
    note: str = ""
    time_limit: float | None = None
    """Seconds the task's solves were given (None for staffing, which has no solver)."""
    waiting: float | None = None
    """Caseload: the plan's weighted waiting (the second level); None for the other jobs."""

    def outcome(self) -> tuple[Any, ...]:
        """The fields that do not depend on where or how fast the task ran."""
        return (
            self.authority,
            self.job,
            self.part,
            self.engine,
            self.variant,
            self.districts,
            self.schools,
            self.items,
            self.status,
            self.objective,
            self.best_bound,
            self.checked,
        )


# ---------------------------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NationTask:
    """One independent piece of a job: an authority, or (rota) one component of its LIFT groups."""

    job: str
    scenario: Scenario
    """The authority, cut down to what the task needs."""
    districts: tuple[str, ...]
    groups: tuple[str, ...]
    """The rota component's groups (empty for the other jobs)."""
    params: SolveParams
    baselines: bool

    @property
    def items(self) -> int:
        """The task's size in the job's own unit."""
        if self.job == "rota":
            return len(self.groups)
        if self.job == "caseload":
            return len(self.scenario.agreements)
        return len(self.districts)

    @property
    def part(self) -> str:
        """The districts the task covers (and, for the rota, its first group and how many more)."""
        where = " + ".join(self.districts)
        if not self.groups:
            return where
        more = f" +{len(self.groups) - 1}" if len(self.groups) > 1 else ""
        return f"{where} [{self.groups[0]}{more}]"

    @property
    def label(self) -> str:
        """The task for a progress display."""
        return f"{self.job} {self.scenario.settings.name}: {self.part}"


def _rota_cut(scenario: Scenario, groups: tuple[str, ...]) -> tuple[Scenario, tuple[str, ...]]:
    """The authority with only a component's groups (cut to their district when they share one)."""
    by_name = scenario.group_by_name
    districts = tuple(dict.fromkeys(by_name[g].district for g in groups))
    if len(districts) == 1:
        scenario = scenario.restrict_to(districts[0])
    kept = set(groups)
    fields = {name: getattr(scenario, name) for name in type(scenario).model_fields}
    fields["lift_groups"] = tuple(g for g in scenario.lift_groups if g.group in kept)
    # A component shares no slot and no attendee's time with other groups, so the cut is exact.
    return Scenario.model_construct(**fields), districts


def nation_tasks(
    scenarios: Sequence[Scenario],
    jobs: Sequence[str] = JOBS,
    params: SolveParams | None = None,
    *,
    baselines: bool = True,
    caseload_times: CaseloadTimes | None = None,
) -> list[NationTask]:
    """Every authority's tasks for `jobs`, longest first (so the pool is never left waiting on one).

    Each task's solves get `params.time_limit`, except with `caseload_times` each authority's
    caseload, which gets its share of that budget (`caseload_seconds`)."""
    unknown = [j for j in jobs if j not in JOBS]
    if unknown:
        raise ValueError(f"unknown job {unknown[0]!r}: expected one of {', '.join(JOBS)}")
    params = params or SolveParams(workers=1)
    seconds = [params.time_limit] * len(scenarios)
    if caseload_times is not None and "caseload" in jobs:
        seconds = caseload_seconds(scenarios, caseload_times)
    tasks: list[NationTask] = []
    for scenario, limit in zip(scenarios, seconds, strict=True):
        for job in jobs:
            if job == "caseload":
                timed = params.model_copy(update={"time_limit": limit})
                tasks.append(
                    NationTask(job, scenario, scenario.district_names, (), timed, baselines)
                )
                continue
            if job != "rota":
                tasks.append(
                    NationTask(job, scenario, scenario.district_names, (), params, baselines)
                )
                continue
            for groups in components(scenario):
                cut, districts = _rota_cut(scenario, groups)
                tasks.append(NationTask(job, cut, districts, groups, params, baselines))
    cost = {"caseload": 3.0 if baselines else 1.0, "rota": 1.0, "staffing": 0.0}

    def longest(task: NationTask) -> float:  # a sized caseload scales with its share of the time
        scale = task.params.time_limit / params.time_limit if task.job == "caseload" else 1.0
        return -cost[task.job] * max(1, task.items) * scale

    return sorted(tasks, key=longest)


def _peak_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def _row(task: NationTask, engine: str, seconds: float, **values: Any) -> AuthorityResult:
    scenario = task.scenario
    districts = set(task.districts)
    return AuthorityResult(
        authority=scenario.settings.name,
        job=task.job,
        part=task.part,
        engine=engine,
        variant=values.pop("variant", ""),
        districts=len(task.districts),
        schools=sum(1 for s in scenario.schools if s.district in districts),
        items=task.items,
        seconds=round(seconds, 4),
        worker=f"{socket.gethostname()}:{os.getpid()}",
        worker_peak_mib=round(_peak_mib(), 1),
        time_limit=None if task.job == "staffing" else task.params.time_limit,
        **{
            "status": "error",
            "objective": None,
            "best_bound": None,
            "gap": None,
            "checked": None,
        }
        | values,
    )


def _timed(
    task: NationTask, engine: str, run: Callable[[], dict[str, Any]], variant: str = ""
) -> AuthorityResult:
    """Run one engine; a failure becomes a row with status "error" and the message."""
    start = time.perf_counter()
    try:
        values = run()
    except Exception as error:  # a row per failure keeps the rest of a national run
        values = {"note": f"{type(error).__name__}: {error}"[:300]}
    return _row(task, engine, time.perf_counter() - start, variant=variant, **values)


# Staffing ------------------------------------------------------------------------------------


def _variants(settings: StaffingSettings) -> list[tuple[str, StaffingSettings]]:
    variants = []
    for method in METHODS:
        formula = settings.high_incidence.model_copy(update={"method": method})
        free = formula.model_copy(
            update={"floor_fte": 0.0, "cap_fte": None, "max_change_pct": None}
        )
        variants.append((method, settings.model_copy(update={"high_incidence": formula})))
        variants.append(
            (f"{method}, {NO_RULES}", settings.model_copy(update={"high_incidence": free}))
        )
    return variants


def _pypi_seats(method: str, quotas: dict[str, Fraction], seats: int) -> list[int] | None:
    """The PyPI `apportionment` package's seats for exact quotas (scaled to whole numbers, in exact
    arithmetic); None where it meets a tie."""
    import apportionment.methods as pypi

    scale = math.lcm(*(q.denominator for q in quotas.values()))
    votes = [int(q * scale) for q in quotas.values()]
    try:
        got = pypi.compute(PYPI_METHODS[method], votes, seats, fractions=True, tiesallowed=False)
    except pypi.TiesException:
        return None
    return [int(s) for s in got]


def _allocate(
    scenario: Scenario, settings: StaffingSettings, kept: list[StaffingAllocation]
) -> dict[str, Any]:
    """Our staffing (checked by the independent checker, which raises if it refuses)."""
    allocation = allocate_staffing(scenario, settings)
    kept.append(allocation)
    deviation = sum((abs(d.deviation_fte) for d in allocation.districts), Fraction(0))
    ties = sum(1 for t in allocation.ties if t.share_out == "high-incidence")
    return {
        "status": "exact",
        "objective": float(deviation),
        "checked": True,
        "note": f"{ties} tie(s)" if ties else "",
    }


def _pypi_staffing(scenario: Scenario, allocation: StaffingAllocation) -> dict[str, Any]:
    """The same formula's posts by PyPI `apportionment`; `checked` when they equal ours."""
    formula = allocation.settings.high_incidence
    step = Fraction(repr(formula.granularity))
    quotas = formula_quotas(formula, scenario.indicators)
    ordered = {d.district: quotas[d.district] for d in allocation.districts}
    seats = round(Fraction(repr(formula.total_fte)) / step)
    got = _pypi_seats(formula.method, ordered, seats)
    if got is None:
        return {"status": "tie", "note": "PyPI apportionment meets a tie"}
    deviation = sum(
        (abs(g * step - q) for g, q in zip(got, ordered.values(), strict=True)), Fraction(0)
    )
    same = got == [round(d.allocated_fte / step) for d in allocation.districts]
    tied = any(t.share_out == "high-incidence" for t in allocation.ties)
    return {
        "status": "exact",
        "objective": float(deviation),
        "checked": True if same else (None if tied else False),
        "note": "same posts" if same else ("different at a tie" if tied else "DIFFERENT posts"),
    }


def _staffing(task: NationTask) -> list[AuthorityResult]:
    scenario = task.scenario
    if scenario.staffing is None:
        return [_row(task, "allocator", 0.0, note="no staffing.toml, so no formula to apply")]
    rows = []
    for variant, settings in _variants(scenario.staffing):
        kept: list[StaffingAllocation] = []
        rows.append(
            _timed(task, "allocator", partial(_allocate, scenario, settings, kept), variant)
        )
        if task.baselines and variant.endswith(NO_RULES) and kept:
            rows.append(
                _timed(task, "apportionment", partial(_pypi_staffing, scenario, kept[0]), variant)
            )
    return rows


# Rota ----------------------------------------------------------------------------------------


def _rota(task: NationTask) -> list[AuthorityResult]:
    scenario = task.scenario

    def ours() -> dict[str, Any]:
        outcome = plan_rota(scenario, task.params)
        check = outcome.check
        checked = None if check is None else check.ok and check.total == outcome.objective
        objective = None if outcome.objective is None else float(outcome.objective)
        return {
            "status": outcome.status.value,
            "objective": objective,
            "best_bound": outcome.best_bound,
            "gap": relative_gap(objective, outcome.best_bound),
            "checked": checked,
            "note": "; ".join(str(r) for r in outcome.reasons)[:300],
        }

    def round_robin() -> dict[str, Any]:
        check = check_rota(scenario, round_robin_rota(scenario))
        breaches = len(check.breaches)
        return {
            "status": "feasible" if check.ok else "breaks hard rules",
            "objective": float(check.total),
            "checked": check.ok,
            "note": f"{breaches} hard-rule breach(es)" if breaches else "",
        }

    rows = [_timed(task, "allocator", ours)]
    if task.baselines:
        rows.append(_timed(task, "round-robin", round_robin))
    return rows


# Caseload ------------------------------------------------------------------------------------


def first_level_bound(outcome: CaseloadOutcome) -> tuple[float, int]:
    """The sum over parts of the best bound on the priority weight not started (`level_bound(0)`),
    a part that proved none taking 0 (a weight is never negative); and how many parts did so."""
    total, unbounded = 0.0, 0
    for part in outcome.parts:
        if not part.results:
            total += part.objectives.levels[0] if part.objectives is not None else 0
            continue
        found = [part.levels[0].best_bound if part.levels else None, part.lp_bound]
        known = [b for b in found if b is not None]
        unbounded += not known
        total += max(known, default=0.0)
    return total, unbounded


def _caseload_values(outcome: Any, bound: bool) -> dict[str, Any]:
    objectives = outcome.objectives
    best, unbounded = first_level_bound(outcome) if bound else (None, 0)
    status = "optimal" if bound and outcome.proven_optimal else "feasible"
    return {
        "status": status,
        "objective": float(objectives.not_started),
        "best_bound": best,
        "gap": relative_gap(float(objectives.not_started), best),
        "checked": outcome.check.ok,
        "waiting": float(objectives.waiting),
        "note": f"waiting {objectives.waiting}, travel {objectives.travel}, "
        f"balance {objectives.balance}"
        + (f"; {unbounded} part(s) proved no bound: 0 taken" if unbounded else ""),
    }


def _caseload(task: NationTask) -> list[AuthorityResult]:
    scenario = task.scenario
    rows = [
        _timed(
            task, "allocator", lambda: _caseload_values(plan_caseload(scenario, task.params), True)
        )
    ]
    if task.baselines:
        rows.append(
            _timed(task, "greedy", lambda: _caseload_values(plan_caseload_greedy(scenario), False))
        )
        rows.append(
            _timed(
                task,
                "highs",
                lambda: _caseload_values(plan_caseload_highs(scenario, task.params), True),
            )
        )
    return rows


_RUNNERS: dict[str, Callable[[NationTask], list[AuthorityResult]]] = {
    "staffing": _staffing,
    "rota": _rota,
    "caseload": _caseload,
}


def run_task(task: NationTask) -> list[AuthorityResult]:
    """Run one task's engines (in a worker) and return their rows."""
    return _RUNNERS[task.job](task)


# ---------------------------------------------------------------------------------------------
# The national run
# ---------------------------------------------------------------------------------------------

NationProgress = Callable[[int, int, NationTask], None]
"""Told tasks done, tasks in all, and the task that just finished."""


def run_nation(
    scenarios: Sequence[Scenario],
    jobs: Sequence[str] = JOBS,
    executor: Executor | None = None,
    params: SolveParams | None = None,
    *,
    baselines: bool = True,
    progress: NationProgress | None = None,
    caseload_times: CaseloadTimes | None = None,
) -> list[AuthorityResult]:
    """Every job on every authority, decomposed into independent tasks run on `executor`
    (default: serially here). `params` holds for each task (default: one CP-SAT worker, since the
    executor runs tasks side by side), but with `caseload_times` each authority's caseload gets
    its share of that budget instead of `params.time_limit`. Rows come back in authority, job,
    part and engine order."""
    tasks = nation_tasks(
        scenarios, jobs, params, baselines=baselines, caseload_times=caseload_times
    )
    runner = executor or SerialExecutor()
    rows: list[AuthorityResult] = []
    for done, (index, found) in enumerate(runner.map_unordered(run_task, tasks), start=1):
        rows += found
        if progress is not None:
            progress(done, len(tasks), tasks[index])
    authority = {s.settings.name: i for i, s in enumerate(scenarios)}
    job = {j: i for i, j in enumerate(JOBS)}
    engine = {e: i for names in ENGINES.values() for i, e in enumerate(names)}
    return sorted(
        rows,
        key=lambda r: (authority[r.authority], job[r.job], r.part, r.variant, engine[r.engine]),
    )
