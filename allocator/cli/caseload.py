"""`lift assign` and `lift rebalance`: a thin face over allocator.caseload (parse, call, render).

`run_demo` is the caseload step of `lift demo`: it plans the scenario's caseload and writes its outputs.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from allocator.caseload.data import team_label
from allocator.caseload.outcome import CaseloadOutcome, RebalanceOutcome
from allocator.caseload.plan import ENGINES, plan_caseload
from allocator.caseload.rebalance import rebalance
from allocator.cli.common import ScenarioOpt, TodayOpt, solve_progress, today_for
from allocator.io import read_scenario
from allocator.io.caseload_export import read_new_agreements, read_plan, write_caseload
from allocator.io.cells import csv_value
from allocator.io.notes import school_notes, write_school_notes
from allocator.model import PlanStatus, Scenario, ScenarioError
from allocator.model.caseload_result import CaseloadPlan, WaitStats
from allocator.model.cases import CONSENT_WITHDRAWN
from allocator.paths import KENT
from allocator.pipeline.waits import WAIT_COLUMNS, CaseWait, summaries, whole_waits
from allocator.solve import SolveParams
from allocator.staffing.formula import allocate_staffing, team_capacity_from_staffing

DEMO_SECONDS = 10.0
"""The caseload's share of `lift demo`'s time (all three jobs together aim for under 30 s)."""
SHOWN_WAITING = 8

console = Console()

assign_app = typer.Typer(
    help="Allocate each team's time to the agreed cases; write assignments, waits and load.",
    add_completion=False,
)
rebalance_app = typer.Typer(
    help="Fit new agreements into a current plan, moving as little as possible.",
    add_completion=False,
)

OutOpt = Annotated[Path, typer.Option("--out", help="Folder to write the outputs to.")]
TimeOpt = Annotated[
    float, typer.Option("--time-limit", help="Seconds for the solver, all teams together.", min=0.5)
]
EngineOpt = Annotated[
    str, typer.Option("--engine", help="auto (the measured winner), time-indexed or interval.")
]
WorkersOpt = Annotated[int, typer.Option("--workers", help="Solver threads.", min=1, max=64)]
SeedOpt = Annotated[int, typer.Option("--seed", help="Solver random seed.")]


@contextmanager
def _problems_exit(out: Console) -> Iterator[None]:
    """Scenario and input-file problems: each as a line, then exit 2."""
    try:
        yield
    except ScenarioError as error:
        out.print(f"[bold red]{len(error.problems)} problem(s):[/]")
        for problem in error.problems:
            out.print(f"  - {problem}", markup=False, highlight=False)
        raise typer.Exit(2) from None


def _load(folder: Path, out: Console) -> Scenario:
    with _problems_exit(out):
        return read_scenario(folder)


def _weeks(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _wait_table(title: str, rows: tuple[WaitStats, ...]) -> Table:
    table = Table(title=title)
    for column in ("", "cases", "started", "median wait", "90th pct wait", "mean wait"):
        table.add_column(column, justify="left" if not column else "right")
    for r in rows:
        table.add_row(
            r.group,
            str(r.cases),
            str(r.started),
            _weeks(r.median_wait_weeks),
            _weeks(r.p90_wait_weeks),
            _weeks(r.mean_wait_weeks),
        )
    return table


def print_kpis(outcome: CaseloadOutcome, out: Console) -> None:
    """Cases started, waits by district and need type (school weeks), utilisation by team."""
    k = outcome.kpis
    gap = "-" if outcome.gap is None else f"{outcome.gap:.2%}"
    summary = Table(title="Caseload")
    for column in ("agreements", "started", "waiting", "median wait", "90th pct wait", "mean wait"):
        summary.add_column(column, justify="right")
    summary.add_column("gap to bound", justify="right")
    summary.add_column("time", justify="right")
    summary.add_row(
        str(k.agreements),
        str(k.started),
        str(k.waiting),
        _weeks(k.median_wait_weeks),
        _weeks(k.p90_wait_weeks),
        _weeks(k.mean_wait_weeks),
        gap,
        f"{outcome.wall_time:.1f} s",
    )
    out.print(summary)
    out.print(
        _wait_table("Waits by district (school weeks from agreement to start)", k.by_district)
    )
    out.print(_wait_table("Waits by need type (school weeks)", k.by_need_type))
    teams = Table(title="Utilisation by team (school weeks of the year)")
    for column in ("team", "people", "utilisation", "busiest member"):
        teams.add_column(column, justify="left" if column == "team" else "right")
    for t in k.teams:
        teams.add_row(t.team, str(t.people), f"{t.utilisation:.0%}", f"{t.highest_utilisation:.0%}")
    out.print(teams)
    _print_waiting(outcome, out)
    _print_withdrawn(outcome.plan, out)
    verdict = "[green]no hard rule broken[/]" if outcome.check.ok else "[red]hard rules broken[/]"
    out.print(f"Independent check: {verdict} ({len(outcome.check.breaches)} breach(es)).")
    for breach in outcome.check.breaches[:10]:
        out.print(f"  - {breach}", markup=False, highlight=False)


def _print_waiting(outcome: CaseloadOutcome, out: Console) -> None:
    waiting = outcome.plan.waiting
    if not waiting:
        return
    weight = {c.case_id: c.weight for c in outcome.instance.cases}
    # Cases the plan could start with more time first (they have help), highest priority first.
    shown = sorted(waiting, key=lambda w: (w.help is None, -weight.get(w.case_id, 0), w.case_id))[
        :SHOWN_WAITING
    ]
    table = Table(title=f"Waiting cases ({len(waiting)}), those more time would start first")
    for column in ("case", "why", "what would start it sooner"):
        table.add_column(column)
    pools = outcome.instance.pools
    for w in shown:
        help_ = w.help.sentence(team_label(w.help.team, pools)) if w.help else "-"
        table.add_row(w.case_id, w.reason, help_)
    out.print(table)


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise typer.BadParameter("expected a date as YYYY-MM-DD", param_hint="--today") from None


def _print_withdrawn(plan: CaseloadPlan, out: Console) -> None:
    """Support stopped or dropped because consent was withdrawn (each has the reason in the files)."""
    stopped = [a for a in plan.assignments if a.status == PlanStatus.WITHDRAWN]
    dropped = [w for w in plan.waiting if w.reason.startswith(CONSENT_WITHDRAWN)]
    if not stopped and not dropped:
        return
    out.print(
        f"Consent withdrawn: {len(stopped)} case(s) with support stopped (status 'withdrawn' in "
        f"assignments.csv), {len(dropped)} with planned support dropped (unassigned.csv)."
    )


def _capacity_from_staffing(scenario: Scenario) -> Mapping[str, int]:
    return team_capacity_from_staffing(scenario, allocate_staffing(scenario))


@assign_app.callback(invoke_without_command=True)
def assign(
    scenario_dir: ScenarioOpt = KENT,
    district: Annotated[
        str | None, typer.Option("--district", help="Plan one district (its team and cases).")
    ] = None,
    out: OutOpt = Path("out/caseload"),
    time_limit: TimeOpt = 60.0,
    engine: EngineOpt = "auto",
    capacity_from_staffing: Annotated[
        bool,
        typer.Option(
            "--capacity-from-staffing",
            help="Size each team by the staffing formula's allocation instead of people.csv.",
        ),
    ] = False,
    workers: WorkersOpt = 2,
    seed: SeedOpt = 0,
    today: Annotated[
        str | None,
        typer.Option(
            "--today",
            help="YYYY-MM-DD: support started before it counts as running, nothing new starts "
            "before its week, support of a case without consent stops then (default: the day it "
            "runs, for that alone).",
        ),
    ] = None,
) -> None:
    """Plan the caseload: who supports each agreed case from when, and why any case waits."""
    if engine not in ENGINES:
        raise typer.BadParameter(f"expected one of {', '.join(ENGINES)}", param_hint="--engine")
    day = _day(today)
    scenario = _load(scenario_dir, console)
    params = SolveParams(time_limit=time_limit, workers=workers, seed=seed)
    with _problems_exit(console):
        override = _capacity_from_staffing(scenario) if capacity_from_staffing else None
        with solve_progress(console, "Planning the caseload") as progress:
            outcome = plan_caseload(
                scenario,
                params,
                district=district,
                engine=engine,
                capacity_override=override,
                progress=progress,
                today=day,
            )
    paths = write_caseload(outcome.plan, outcome.load, out)
    print_kpis(outcome, console)
    paths += _whole_wait(
        scenario if district is None else scenario.restrict_to(district), outcome.plan, out, console
    )
    console.print(f"[green]Wrote {len(paths)} files to {out}/[/]")
    if not outcome.check.ok:
        raise typer.Exit(1)


def _whole_wait(scenario: Scenario, plan: CaseloadPlan, out: Path, target: Console) -> list[Path]:
    """With requests in the scenario: the whole wait printed and `waits.csv` written."""
    if not scenario.requests:
        return []
    waits = whole_waits(scenario, plan)
    print_whole_wait(waits, target)
    return [write_waits(waits, out / "waits.csv")]


def write_waits(waits: Sequence[CaseWait], path: Path) -> Path:
    """waits.csv: one row per case with a request (school days; blank where not started)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(WAIT_COLUMNS)
        for w in waits:
            row = w.row()
            writer.writerow([csv_value(row[c]) for c in WAIT_COLUMNS])
    return path


def _days(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def print_whole_wait(waits: Sequence[CaseWait], out: Console) -> None:
    """The whole wait by district: school days from request to meeting, to agreement, to start."""
    table = Table(title="The whole wait by district (school days from request to support)")
    columns = ("", "cases", "started", "to meeting", "to agreement", "to start")
    for column in (*columns, "median whole", "90th pct", "mean whole"):
        table.add_column(column, justify="left" if not column else "right")
    for s in summaries(waits, "district"):
        table.add_row(
            s.group,
            str(s.cases),
            str(s.started),
            _days(s.mean_to_meeting),
            _days(s.mean_to_agreement),
            _days(s.mean_to_start),
            _days(s.median_whole),
            _days(s.p90_whole),
            _days(s.mean_whole),
        )
    out.print(table)
    out.print("Parts are means; the whole wait is over the cases started.", highlight=False)


@rebalance_app.callback(invoke_without_command=True)
def rebalance_command(
    plan: Annotated[
        Path,
        typer.Option(
            "--plan",
            help="The current plan: an assignments.csv, or a current_plan.csv "
            "(case_id, person_id, start, end, status).",
            exists=False,
        ),
    ],
    new: Annotated[
        Path | None,
        typer.Option("--new", help="New agreements, with the agreements.csv columns."),
    ] = None,
    scenario_dir: ScenarioOpt = KENT,
    district: Annotated[
        str | None,
        typer.Option(
            "--district", help="Rebalance one district's team (its pool cases stay with the pools)."
        ),
    ] = None,
    out: OutOpt = Path("out/rebalance"),
    today: TodayOpt = None,
    time_limit: TimeOpt = 10.0,
    prove_for: Annotated[
        float,
        typer.Option(
            "--prove-for",
            min=0.0,
            help="Up to this many more seconds to prove the fewest broken promises (or find fewer) if the "
            "time limit left it unproven.",
        ),
    ] = 0.0,
    engine: EngineOpt = "auto",
    workers: WorkersOpt = 2,
    seed: SeedOpt = 0,
) -> None:
    """Fit new agreements into the current plan, keeping its promises; write the new plan, changes.csv
    with reasons, and a note per school (notes/<urn>.txt and .html)."""
    if engine not in ENGINES:
        raise typer.BadParameter(f"expected one of {', '.join(ENGINES)}", param_hint="--engine")
    scenario = _load(scenario_dir, console)
    day = today_for(scenario, today, console)
    params = SolveParams(time_limit=time_limit, workers=workers, seed=seed)
    with _problems_exit(console):
        current = read_plan(plan, scenario)
        agreements = read_new_agreements(new) if new is not None else []
        with solve_progress(console, "Rebalancing") as progress:
            result = rebalance(
                scenario,
                current,
                agreements,
                params,
                day,
                engine=engine,
                progress=progress,
                proof_seconds=prove_for,
                district=district,
            )
    paths = write_caseload(result.plan, result.outcome.load, out, result.changes)
    known = scenario.model_copy(update={"agreements": (*scenario.agreements, *agreements)})
    paths += write_school_notes(school_notes(result.changes, known), out / "notes")
    print_changes(result, console)
    console.print(f"[green]Wrote {len(paths)} files to {out}/[/]")
    if not result.outcome.check.ok:
        raise typer.Exit(1)


def print_changes(result: RebalanceOutcome, out: Console) -> None:
    """The changes a rebalance makes, the promises it breaks, and whether their number is proven least."""
    proof = (
        "proven least"
        if result.proven_minimal
        else "not proven least in the time; --prove-for S gives it more"
    )
    new = [c for c in result.changes if c.is_new]
    started = sum(c.after_start is not None for c in new)
    out.print(
        f"{result.broken} promise(s) broken ({proof}); {result.earlier} case(s) start earlier; "
        f"{len(new)} new agreement(s), {started} started; {result.outcome.wall_time:.2f} s.",
        highlight=False,
    )
    if result.changes:
        table = Table(title="Changes")
        for column in ("case", "change", "before", "after", "reason"):
            table.add_column(column)
        for c in result.changes:
            before = f"{c.before_person or '-'} {c.before_start or ''}".strip()
            after = f"{c.after_person or '-'} {c.after_start or ''}".strip()
            table.add_row(c.case_id, c.kind, before, after, c.reason)
        out.print(table)


def run_demo(scenario: Scenario, out: Path, console: Console) -> None:
    """The caseload step of `lift demo`: plan the scenario's caseload, print KPIs, write outputs."""
    params = SolveParams(time_limit=DEMO_SECONDS, workers=2, seed=0)
    with solve_progress(console, "Planning the caseload") as progress:
        outcome = plan_caseload(scenario, params, progress=progress)
    paths = write_caseload(outcome.plan, outcome.load, out)
    print_kpis(outcome, console)
    paths += _whole_wait(scenario, outcome.plan, out, console)
    console.print(f"Caseload: wrote {len(paths)} files to {out}/")
