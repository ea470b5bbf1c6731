"""`lift report executive`: the LIFT Executive's report of a district (or the county) for a half-term
(or the year), as HTML and PDF with charts.

A thin face over `allocator.pipeline.executive` and `allocator.io.executive_report`: parse, call,
render. The start dates come from `--plan`, else the scenario's current plan, else a caseload planned
now (`--time-limit` seconds); the meetings from an agenda planned on `--rota`, else the requests'
decision dates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from allocator.agenda.plan import plan_agenda
from allocator.caseload.plan import plan_caseload
from allocator.cli.common import (
    ScenarioOpt,
    TodayOpt,
    load_or_exit,
    plan_rows_or_exit,
    print_problems,
    solve_progress,
    today_for,
)
from allocator.io.executive_report import write_executive
from allocator.io.rota_export import read_rota_csv
from allocator.model import PlannedSupport, Scenario, ScenarioError
from allocator.model.agenda_result import Agenda
from allocator.model.executive import ExecutiveReport
from allocator.paths import KENT
from allocator.pipeline.executive import UnknownDistrict, executive_report
from allocator.solve import SolveParams

console = Console()
err_console = Console(stderr=True)

PlanOpt = Annotated[
    Path | None,
    typer.Option(
        "--plan",
        help="The plan: an assignments.csv (lift assign) or a file with the current_plan.csv "
        "columns (default: the scenario's current_plan.csv; without one, a caseload planned now).",
    ),
]

report_app = typer.Typer(
    help="Reports: the LIFT Executive's report (HTML and PDF with charts).",
    no_args_is_help=True,
)


def _starts(
    scenario: Scenario, path: Path | None, seconds: float
) -> tuple[tuple[PlannedSupport, ...] | None, str]:
    """The plan rows and where they come from: --plan, the current plan, or a plan made now."""
    rows = plan_rows_or_exit(scenario, path, err_console)
    if rows is not None:
        return rows, f"the plan given ({path.name if path else ''})"
    if scenario.current_plan:
        return None, "the scenario's current plan (current_plan.csv)"
    with solve_progress(err_console, "Planning the caseload (no plan given)") as progress:
        outcome = plan_caseload(
            scenario, SolveParams(time_limit=seconds, workers=2, seed=0), progress=progress
        )
    planned = tuple(
        PlannedSupport(
            case_id=a.case_id, person_id=a.person_id, start=a.start, end=a.end, status=a.status
        )
        for a in outcome.plan.assignments
    )
    return planned, f"a caseload planned for this report ({seconds:g} s; no plan given)"


def _agenda(scenario: Scenario, path: Path | None, seconds: float) -> Agenda | None:
    """The agenda planned on the rota of `path` (None: no rota given)."""
    if path is None:
        return None
    try:
        rota = read_rota_csv(path, scenario)
    except ScenarioError as error:
        print_problems(str(path), error, err_console)
        raise typer.Exit(2) from None
    params = SolveParams(time_limit=seconds, workers=2, seed=0)
    return plan_agenda(scenario, rota, params=params).agenda


def _show(report: ExecutiveReport) -> None:
    table = Table(title=f"{report.summary.name}, {report.period.label}")
    columns = ("district", "requests", "days to meeting", "agreements", "whole wait", "overdue")
    for column in columns:
        table.add_column(column, justify="left" if column == "district" else "right")
    for d in (*report.districts, report.summary):

        def median(value: float | None) -> str:
            return "-" if value is None else f"{value:g}"

        table.add_row(
            d.name,
            str(d.requests.received),
            median(d.meetings.days_to_meeting.median),
            str(d.agreements.made),
            median(d.whole_wait.waits.median),
            str(d.reviews.overdue),
        )
    console.print(table)
    console.print("Days to meeting and whole wait: medians in school days.", highlight=False)


@report_app.command("executive")
def executive(
    out: Annotated[Path, typer.Option(help="Folder for executive-<district>-ht<N>.html and .pdf.")],
    scenario_dir: ScenarioOpt = KENT,
    plan: PlanOpt = None,
    rota: Annotated[
        Path | None,
        typer.Option(
            "--rota",
            help="The year's rota.csv: plan the agenda on it for the meeting dates (default: the "
            "requests' decision dates).",
        ),
    ] = None,
    district: Annotated[
        str | None, typer.Option(help="The district (one of --district or --county).")
    ] = None,
    county: Annotated[
        bool, typer.Option("--county", help="The county version: every district and a summary.")
    ] = False,
    half_term: Annotated[
        int | None,
        typer.Option("--half-term", min=1, max=6, help="Half-term 1-6 (default: the whole year)."),
    ] = None,
    today: TodayOpt = None,
    time_limit: Annotated[
        float,
        typer.Option(
            "--time-limit", min=0.5, help="Seconds for a plan or agenda made for the report."
        ),
    ] = 10.0,
) -> None:
    """Write the LIFT Executive's report: requests, days to meeting, agreements, weeks to start,
    whole waits, cases, reviews and progress, as HTML and A4 PDF with charts (counts only)."""
    if (district is None) == (not county):
        raise typer.BadParameter("give exactly one of --district D and --county")
    scenario = load_or_exit(scenario_dir, err_console)
    if district is not None and district not in scenario.district_names:
        error = UnknownDistrict(district, scenario.district_names)
        err_console.print(f"[bold red]--district: {error}[/]", highlight=False)
        raise typer.Exit(2)
    day = today_for(scenario, today, err_console)
    rows, source = _starts(scenario, plan, time_limit)
    report = executive_report(
        scenario,
        district=district,
        half_term=half_term,
        today=day,
        plan=rows,
        agenda=_agenda(scenario, rota, time_limit),
        plan_source=source,
    )
    paths = write_executive(report, out)
    _show(report)
    console.print(f"[green]Wrote {', '.join(p.name for p in paths)} to {out}/[/]", highlight=False)


def run_demo(scenario: Scenario, plan_csv: Path, out: Path, target: Console) -> None:
    """`lift demo`'s report step: the county's Executive's report for the year, on the demo's plan."""
    if not scenario.requests:
        target.print("No requests.csv: the Executive's report needs the requests.")
        return
    rows, source = _starts(scenario, plan_csv if plan_csv.exists() else None, 10.0)
    report = executive_report(
        scenario,
        district=None,
        half_term=None,
        today=today_for(scenario, None, err_console),
        plan=rows,
        agenda=None,
        plan_source=source,
    )
    paths = write_executive(report, out)
    target.print(f"Executive's report: wrote {', '.join(p.name for p in paths)} to {out}/")
