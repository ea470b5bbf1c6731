"""`lift agreement CASE_ID`: the written agreement as HTML and PDF; `lift reviews`: reviews due and
overdue, and progress from entry to exit by need type.

Both are commands of `lift` itself (`allocator.cli.main`). A thin face over `allocator.pipeline.reviews` and `allocator.io.agreement_doc`: parse, call, render.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from allocator.cli.common import (
    ScenarioOpt,
    TodayOpt,
    load_or_exit,
    plan_rows_or_exit,
    print_problems,
    today_for,
)
from allocator.io.agreement_doc import write_agreement, write_progress, write_reviews_due
from allocator.model import ScenarioError, week_start
from allocator.paths import KENT
from allocator.pipeline.reviews import (
    UnknownCase,
    agreement_document,
    case_progress,
    progress_by_need,
    review_schedules,
    reviews_due,
)

console = Console()
err_console = Console(stderr=True)

PlanOpt = Annotated[
    Path | None,
    typer.Option(
        "--plan",
        help="The plan: an assignments.csv (lift assign) or a file with the current_plan.csv "
        "columns (default: the scenario's current_plan.csv).",
    ),
]


def agreement(
    case_id: Annotated[str, typer.Argument(help="The case reference (case_id of agreements.csv).")],
    out: Annotated[Path, typer.Option(help="Folder for agreement-<case>.html and .pdf.")],
    scenario_dir: ScenarioOpt = KENT,
    plan: PlanOpt = None,
) -> None:
    """Write the written agreement of CASE_ID: the prospectus's six items, the start date and the
    specialist's role ("not recorded" where a detail is missing)."""
    scenario = load_or_exit(scenario_dir, err_console)
    try:
        doc = agreement_document(scenario, case_id, plan_rows_or_exit(scenario, plan, err_console))
    except UnknownCase as error:
        err_console.print(f"[bold red]{error}[/]", highlight=False)
        raise typer.Exit(2) from None
    paths = write_agreement(doc, out)
    console.print(f"[green]Wrote {', '.join(p.name for p in paths)} to {out}/[/]", highlight=False)


def reviews(
    out: Annotated[Path, typer.Option(help="Folder for reviews_due.csv and progress.csv.")],
    scenario_dir: ScenarioOpt = KENT,
    today: TodayOpt = None,
    district: Annotated[
        str | None, typer.Option(help="Only the cases of this district's schools.")
    ] = None,
    plan: PlanOpt = None,
) -> None:
    """Write reviews_due.csv (this week's reviews due and every overdue one) and progress.csv, and
    print this week's counts per district."""
    scenario = load_or_exit(scenario_dir, err_console)
    rows = plan_rows_or_exit(scenario, plan, err_console)
    if district is not None:
        try:
            scenario = scenario.restrict_to(district)
        except ScenarioError as error:
            print_problems("--district", error, err_console)
            raise typer.Exit(2) from None
        if rows is not None:
            cases = {a.case_id for a in scenario.agreements}
            rows = tuple(r for r in rows if r.case_id in cases)
    day = today_for(scenario, today, err_console)
    schedules = review_schedules(scenario, rows)
    due = reviews_due(scenario, schedules, day)
    progress = progress_by_need(case_progress(scenario))
    paths = [
        write_reviews_due(due, out / "reviews_due.csv"),
        write_progress(progress, out / "progress.csv"),
    ]
    table = Table(title=f"Reviews in the week of {week_start(day):%d/%m/%Y} (today {day:%d/%m/%Y})")
    for column in ("district", "scheduled", "due", "overdue"):
        table.add_column(column, justify="left" if column == "district" else "right")
    for name in scenario.district_names:
        mine = [r for r in due if r.district == name]
        table.add_row(
            name,
            str(sum(s.district == name for s in schedules)),
            str(sum(r.status == "due" for r in mine)),
            str(sum(r.status == "overdue" for r in mine)),
        )
    console.print(table)
    n_due = sum(r.status == "due" for r in due)
    estimated = sum(r.basis == "estimated" for r in due)
    console.print(
        f"This week: {n_due} review(s) due, {len(due) - n_due} overdue ({estimated} of them for "
        "cases not planned yet, dated from the earliest start); "
        f"{sum(p.cases for p in progress)} measure(s) with entry and exit.",
        highlight=False,
    )
    console.print(f"[green]Wrote {', '.join(p.name for p in paths)} to {out}/[/]", highlight=False)
