"""What every job's commands share: the `--scenario` option and the solve progress display."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from allocator.io import read_scenario
from allocator.io.caseload_export import read_plan
from allocator.model import PlannedSupport, Scenario, ScenarioError, clip_to_year
from allocator.solve import ProgressEvent, ProgressFn


def print_problems(where: str, error: ScenarioError, console: Console) -> None:
    """Every problem of a file or option, one a line."""
    console.print(f"[bold red]{where}: {len(error.problems)} problem(s)[/]")
    for problem in error.problems:
        console.print(f"  - {problem}", markup=False, highlight=False, soft_wrap=True)


def load_or_exit(path: Path, console: Console) -> Scenario:
    """Read a scenario folder, or print every problem and exit with status 2."""
    try:
        return read_scenario(path)
    except ScenarioError as error:
        print_problems(str(path), error, console)
        raise typer.Exit(2) from None


def plan_rows_or_exit(
    scenario: Scenario, path: Path | None, console: Console
) -> tuple[PlannedSupport, ...] | None:
    """The rows of a `--plan` assignments.csv (None when not given); exit 2 on a bad file."""
    if path is None:
        return None
    try:
        plan = read_plan(path, scenario)
    except ScenarioError as error:
        print_problems(str(path), error, console)
        raise typer.Exit(2) from None
    return tuple(
        PlannedSupport(
            case_id=a.case_id, person_id=a.person_id, start=a.start, end=a.end, status=a.status
        )
        for a in plan.assignments
    )


ScenarioOpt = Annotated[
    Path, typer.Option("--scenario", "-s", help="Scenario folder (default: the embedded Kent one).")
]
"""The scenario folder option of every command that reads one."""

TodayOpt = Annotated[
    str | None,
    typer.Option(
        "--today",
        help="The day the plan is made, YYYY-MM-DD or DD/MM/YYYY: what is before it has happened "
        "and never moves (default: the real date, moved into the scenario's year).",
    ),
]
"""The --today option of every command that re-plans."""


def parse_day(text: str, option: str) -> date:
    """A date typed as YYYY-MM-DD or DD/MM/YYYY, or a usage error naming `option`."""
    for form in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), form).date()
        except ValueError:
            continue
    raise typer.BadParameter(
        f"got {text!r}; expected a date as YYYY-MM-DD or DD/MM/YYYY", param_hint=option
    )


def today_for(scenario: Scenario, text: str | None, console: Console) -> date:
    """--today, or the real date; moved into the scenario's year with a note on `console`."""
    day = parse_day(text, "--today") if text else date.today()
    clipped, note = clip_to_year(scenario.terms, day)
    if note is not None:
        console.print(f"[yellow]Today: {note}.[/]", highlight=False)
    return clipped


LabelledProgress = Callable[[str, ProgressEvent], None]


@contextmanager
def solve_bars(console: Console, *labels: str) -> Iterator[LabelledProgress]:
    """One bar per label (a solve, or a part of one) against its time limit, with the current stage,
    objective and bound; yields the callback `(label, event)`. Bars for `labels` show from the start,
    the others from their first event. Shown on terminals only, then cleared."""
    bars = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    tasks: dict[str, TaskID] = {
        label: bars.add_task(label, total=1.0, status="starting") for label in labels
    }

    def update(label: str, event: ProgressEvent) -> None:
        if label not in tasks:
            tasks[label] = bars.add_task(label, total=1.0, status="starting")
        objective = "-" if event.objective is None else f"{event.objective:g}"
        bound = "-" if event.best_bound is None else f"{event.best_bound:g}"
        stage = f"{event.level} ({event.level_index + 1}/{event.levels})"
        bars.update(
            tasks[label],
            completed=1.0 if event.done else min(1.0, event.elapsed / event.time_limit),
            status=f"{stage}: objective {objective}, bound {bound}",
        )

    with bars:
        yield update


@contextmanager
def solve_progress(console: Console, title: str) -> Iterator[ProgressFn]:
    """`solve_bars` for one solve: a single bar named `title`; yields the callback `(event)`."""
    with solve_bars(console, title) as update:
        yield lambda event: update(title, event)
