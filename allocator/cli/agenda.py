"""`lift agenda`: place each request on a LIFT meeting's agenda (hearing and vision on the county route).

A thin face over `allocator.agenda.plan`: parse, call, render. Without `--rota` the year's rota is
planned first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from allocator.agenda.outcome import AgendaOutcome
from allocator.agenda.plan import plan_agenda
from allocator.cli.common import (
    ScenarioOpt,
    load_or_exit,
    parse_day,
    print_problems,
    solve_bars,
)
from allocator.cli.rota import plan_with_progress, print_outcome
from allocator.io.agenda_export import write_agenda_outputs
from allocator.io.rota_export import read_rota_csv
from allocator.model import Scenario, ScenarioError
from allocator.model.rota_result import Rota
from allocator.paths import KENT
from allocator.solve import SolveParams, default_workers

agenda_app = typer.Typer(
    help="Meeting agendas: place each request on a LIFT meeting of its district.",
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)


def _rota(scenario: Scenario, path: Path | None, params: SolveParams) -> Rota:
    """The rota read from `path`, or planned now (exit 1 when there is none)."""
    if path is not None:
        try:
            return read_rota_csv(path, scenario)
        except ScenarioError as error:
            print_problems(str(path), error, err_console)
            raise typer.Exit(2) from None
    outcome = plan_with_progress(scenario, params, err_console)
    if outcome.rota is None:
        print_outcome(outcome, console)
        raise typer.Exit(1)
    err_console.print(f"Rota: {outcome.summary()}", markup=False, highlight=False, soft_wrap=True)
    return outcome.rota


def _days(mean: float | None, worst: int | None) -> tuple[str, str]:
    return ("-" if mean is None else f"{mean:.1f}", "-" if worst is None else str(worst))


def print_agenda(outcome: AgendaOutcome, target: Console) -> None:
    """Per district: requests placed, county route and unplaced; mean and worst school days to
    meeting beside first come first served's; then the checker's verdict."""
    table = Table(title="Meeting agendas (school days to meeting)")
    columns = (
        "district",
        "placed",
        "county",
        "unplaced",
        "mean",
        "worst",
        "first-come placed",
        "first-come mean",
        "first-come worst",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "district" else "right")
    for row in outcome.comparison():
        ours, theirs = row.ours, row.first_come
        table.add_row(
            ours.district,
            str(ours.placed),
            str(ours.county),
            str(ours.unplaced),
            *_days(ours.mean_days, ours.worst_days),
            str(theirs.placed),
            *_days(theirs.mean_days, theirs.worst_days),
        )
    target.print(table)
    target.print(outcome.summary(), markup=False, highlight=False, soft_wrap=True)
    for breach in outcome.check.breaches:
        target.print(f"  checker: {breach}", markup=False, highlight=False, soft_wrap=True)


@agenda_app.callback(invoke_without_command=True)
def agenda(
    out: Annotated[
        Path, typer.Option(help="Folder for agenda.csv, unplaced.csv and the HTML agendas.")
    ],
    scenario_dir: ScenarioOpt = KENT,
    rota_csv: Annotated[
        Path | None,
        typer.Option("--rota", help="The year's rota.csv (default: plan the rota first)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--from", help="Only requests received from this date (YYYY-MM-DD or DD/MM/YYYY)."
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until", help="Only requests received up to this date (YYYY-MM-DD or DD/MM/YYYY)."
        ),
    ] = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Seconds for each solve (rota, agenda).", min=0.1)
    ] = 30.0,
    workers: Annotated[int | None, typer.Option(help="Solver threads (default: cores).")] = None,
    seed: Annotated[int, typer.Option(help="Solver random seed.")] = 0,
) -> None:
    """Place each request received in the window on a LIFT meeting and write the agendas to --out."""
    start = parse_day(since, "--from") if since else None
    end = parse_day(until, "--until") if until else None
    if start is not None and end is not None and end < start:
        raise typer.BadParameter(
            f"got {end}; expected a date on or after --from", param_hint="--until"
        )
    scenario = load_or_exit(scenario_dir, err_console)
    if not scenario.requests:
        console.print(
            f"{scenario_dir} has no requests.csv (or it is empty): there is nothing to put on an "
            "agenda. See docs/scenario-format.md for its columns."
        )
        raise typer.Exit(0)
    params = SolveParams(time_limit=time_limit, workers=workers or default_workers(), seed=seed)
    rota = _rota(scenario, rota_csv, params)
    with solve_bars(err_console) as progress:
        outcome = plan_agenda(
            scenario, rota, start=start, end=end, params=params, progress=progress
        )
    print_agenda(outcome, console)
    paths = write_agenda_outputs(outcome.agenda, out)
    console.print(f"[green]Wrote {len(paths)} files to {out}/[/]")
    if not outcome.check.ok:
        raise typer.Exit(1)


def run_demo(scenario: Scenario, rota_csv: Path, out: Path, target: Console) -> None:
    """`lift demo`'s agenda step: the year's requests on the demo's rota (planned again when the rota
    step wrote none), printed beside first come, first served, with the agendas written."""
    if not scenario.requests:
        target.print("No requests.csv: no agendas to plan.")
        return
    params = SolveParams(time_limit=10.0, workers=default_workers(), seed=0)
    rota = _rota(scenario, rota_csv if rota_csv.exists() else None, params)
    with solve_bars(err_console) as progress:
        outcome = plan_agenda(scenario, rota, params=params, progress=progress)
    print_agenda(outcome, target)
    paths = write_agenda_outputs(outcome.agenda, out)
    target.print(f"Agendas: wrote {len(paths)} files to {out}/")
