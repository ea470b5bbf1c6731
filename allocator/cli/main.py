"""The `lift` command line: a thin face over the planners (parse, call, render).

Each job's commands live beside its own face code (`allocator.cli.rota`, `caseload`, `staffing`,
`bench`); faces outside `allocator` (the web service's `lift serve`, `lift user`, `lift purge`) are
found through the `lift.commands` entry point group, so that `allocator` never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from allocator.cli import agenda, agreement, caseload, report, rota, simulate, staffing
from allocator.cli.bench import bench_app
from allocator.cli.common import ScenarioOpt
from allocator.io import read_scenario_with_notes, write_scenario
from allocator.model import Scenario, ScenarioError
from allocator.model.summary import district_summary
from allocator.paths import KENT
from allocator.synthetic.generate import generate_county

DemoStep = Callable[[Scenario, Path, Console], None]

app = typer.Typer(
    help="LIFT allocator: meeting rota, specialist caseload and staffing for Kent's LIFTs.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)

COMMAND_PLUGINS = "lift.commands"
"""Entry point group of Typer apps whose commands `lift` adds at its top level."""


def load_scenario(path: Path) -> Scenario:
    """Read a scenario or print every problem and exit with status 2."""
    try:
        scenario, notes = read_scenario_with_notes(path)
    except ScenarioError as error:
        err_console.print(f"[bold red]{path}: {len(error.problems)} problem(s)[/]")
        for problem in error.problems:
            err_console.print(f"  - {problem}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    for note in notes:
        err_console.print(f"note: {note}", markup=False, soft_wrap=True)
    return scenario


def print_summary(scenario: Scenario) -> None:
    """Per district: schools, groups, people, agreements."""
    table = Table(title=f"{scenario.settings.name} {scenario.settings.academic_year}")
    for column in ("district", "schools", "groups", "slots", "people", "agreements"):
        table.add_column(column, justify="left" if column == "district" else "right")
    rows = district_summary(scenario)
    for row in rows:
        table.add_row(
            *(
                str(row[c])
                for c in ("district", "schools", "groups", "slots", "people", "agreements")
            )
        )
    console.print(table)


@app.command()
def check(
    folder: Annotated[Path, typer.Argument(help="Scenario folder to check.")] = KENT,
) -> None:
    """Check a scenario folder: list every problem (exit 2) or print its summary (exit 0)."""
    scenario = load_scenario(folder)
    print_summary(scenario)
    console.print(f"[green]{folder} is a valid scenario.[/]", soft_wrap=True)


@app.command()
def generate(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the scenario to.")],
    scale: Annotated[
        float, typer.Option(help="Size against Kent (1 = Kent-sized).", min=0.01, max=50)
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    requests: Annotated[
        bool, typer.Option("--requests", help="A year of requests too (requests.csv).")
    ] = False,
    demand: Annotated[
        float | None,
        typer.Option(
            help="Agreements a year as a multiple of the teams' capacity (minutes asked, with "
            "travel, over the specialist teachers' minutes, before leave; 1.6 is a tight county). "
            "Default: about 0.049 a year per SEN-support pupil as in Kent (about 0.7).",
            min=0.1,
            max=5.0,
        ),
    ] = None,
) -> None:
    """Generate a synthetic county scenario of a given scale."""
    scenario = generate_county(scale=scale, seed=seed, requests=requests, demand=demand)
    write_scenario(scenario, out_dir)
    print_summary(scenario)
    console.print(f"[green]Wrote {out_dir}[/]")


@app.command()
def demo(
    scenario_dir: ScenarioOpt = KENT,
    out: Annotated[Path, typer.Option(help="Folder for every output.")] = Path("out"),
) -> None:
    """Run every job on a scenario (the embedded Kent one by default) and write the outputs."""
    scenario = load_scenario(scenario_dir)
    print_summary(scenario)
    out.mkdir(parents=True, exist_ok=True)
    for step in _demo_steps():
        step(scenario, out, console)
    console.print(f"[green]Outputs written to {out}/[/]")


def _agenda_demo(scenario: Scenario, out: Path, console: Console) -> None:
    console.rule("LIFT meeting agendas")
    agenda.run_demo(scenario, out / "rota" / "rota.csv", out / "agenda", console)


def _report_demo(scenario: Scenario, out: Path, console: Console) -> None:
    console.rule("The LIFT Executive's report")
    report.run_demo(scenario, out / "caseload" / "assignments.csv", out / "report", console)


def _staffing_demo(scenario: Scenario, out: Path, console: Console) -> None:
    console.rule("Staffing formula")
    staffing.show_staffing(scenario, out / "staffing", console=console)


def _rota_demo(scenario: Scenario, out: Path, console: Console) -> None:
    console.rule("Meeting rota")
    rota.run_demo(scenario, out / "rota", console)


def _caseload_demo(scenario: Scenario, out: Path, console: Console) -> None:
    console.rule("Caseload")
    caseload.run_demo(scenario, out / "caseload", console)


def _demo_steps() -> list[DemoStep]:
    """The jobs `lift demo` runs, in order."""
    return [_rota_demo, _agenda_demo, _caseload_demo, _report_demo, _staffing_demo]


def _mount() -> None:
    """Attach each job's commands, then those of the installed faces (`lift.commands` entry points)."""
    app.add_typer(rota.rota_app, name="rota")
    app.add_typer(caseload.assign_app, name="assign")
    app.add_typer(caseload.rebalance_app, name="rebalance")
    app.add_typer(staffing.staffing_app, name="staffing")
    app.add_typer(agenda.agenda_app, name="agenda")
    app.command("agreement")(agreement.agreement)
    app.command("reviews")(agreement.reviews)
    app.add_typer(report.report_app, name="report")
    app.command("simulate", context_settings={"allow_extra_args": True})(simulate.simulate_command)
    app.add_typer(bench_app, name="bench")
    for plugin in sorted(entry_points(group=COMMAND_PLUGINS), key=lambda e: e.name):
        app.add_typer(plugin.load())


_mount()
