"""`lift rota`: plan the year's LIFT meeting rota, and `lift rota next`: a meeting for an urgent case.

A thin face over `allocator.rota.plan`: parse, call, render. `run_demo` is the step `lift demo` runs.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from allocator.cli.common import (
    ScenarioOpt,
    TodayOpt,
    load_or_exit,
    parse_day,
    print_problems,
    solve_bars,
    today_for,
)
from allocator.io.rota_export import read_rota_csv, write_rota_outputs
from allocator.model import Scenario, ScenarioError
from allocator.model.rota_result import Rota
from allocator.paths import KENT
from allocator.rota.outcome import RotaOutcome
from allocator.rota.plan import next_meetings, plan_rota
from allocator.rota.promises import is_this_years
from allocator.solve import SolveParams, default_workers

rota_app = typer.Typer(
    help="The LIFT meeting rota: plan the year's meetings, or find a meeting for an urgent case.",
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)

TimeLimitOpt = Annotated[
    float, typer.Option("--time-limit", help="Seconds for the whole solve.", min=0.1)
]


def _load_rota(path: Path, scenario: Scenario, previous: bool = False) -> Rota:
    """Read a rota.csv (a previous one may name groups since gone) or print every problem and exit 2."""
    try:
        return read_rota_csv(path, scenario, skip_unknown_groups=previous)
    except ScenarioError as error:
        print_problems(str(path), error, err_console)
        raise typer.Exit(2) from None


def plan_with_progress(
    scenario: Scenario,
    params: SolveParams,
    target: Console,
    previous: Rota | None = None,
    district: str | None = None,
    **promises: Any,
) -> RotaOutcome:
    """Plan the rota while showing its progress on `target` (`promises`: `plan_rota`'s published
    rota, today and what is freed)."""
    with solve_bars(target) as progress:
        return plan_rota(scenario, params, previous, district, progress, **promises)


def _load_previous(path: Path, scenario: Scenario) -> Rota:
    """A previous rota.csv as written (so meetings of groups since gone can be cancelled), or, if it
    lacks columns only the scenario can fill, read with the scenario."""
    try:
        return read_rota_csv(path)
    except ScenarioError:
        return _load_rota(path, scenario, previous=True)


def print_outcome(outcome: RotaOutcome, target: Console) -> None:
    """The rota per district, the score of each soft rule, and the verdict (or the reasons)."""
    if outcome.rota is None:
        target.print(f"[bold red]No rota: the rules cannot all hold ({outcome.status.value}).[/]")
        for reason in outcome.reasons:
            target.print(f"  - {reason}", markup=False, highlight=False, soft_wrap=True)
        return
    districts = Table(title="Meeting rota")
    for column in ("district", "groups", "meetings", "first", "last", "weekdays"):
        districts.add_column(
            column, justify="left" if column in ("district", "weekdays") else "right"
        )
    for name in outcome.districts:
        held = outcome.rota.in_district(name)
        if not held:
            continue
        districts.add_row(
            name,
            str(len({m.group for m in held})),
            str(len(held)),
            held[0].date.isoformat(),
            held[-1].date.isoformat(),
            ", ".join(dict.fromkeys(m.weekday for m in held)),
        )
    target.print(districts)
    scores = Table(title="Soft rules")
    for column in ("rule", "weight", "violation", "penalty"):
        scores.add_column(column, justify="left" if column == "rule" else "right")
    for s in outcome.breakdown:
        scores.add_row(s.name, str(s.weight), str(s.violation), str(s.penalty))
    scores.add_row("total", "", "", str(outcome.objective))
    target.print(scores)
    if outcome.changes:
        changes = Table(title="Published meetings that change")
        for column in ("group", "was", "now", "why"):
            changes.add_column(column)
        for c in outcome.changes:
            now = f"{c.after.isoformat()} ({c.after_slot})" if c.after else "cancelled"
            changes.add_row(c.group, f"{c.before.isoformat()} ({c.before_slot})", now, c.reason)
        target.print(changes)
    target.print(outcome.summary(), markup=False, highlight=False, soft_wrap=True)
    if (line := outcome.promises_line()) is not None:
        target.print(line, markup=False, highlight=False, soft_wrap=True)
    if outcome.check is not None and not outcome.check.ok:
        for breach in outcome.check.breaches:
            target.print(f"  [red]checker:[/] {breach}", highlight=False, soft_wrap=True)


@rota_app.callback(invoke_without_command=True)
def rota(
    ctx: typer.Context,
    scenario_dir: ScenarioOpt = KENT,
    district: Annotated[
        str | None,
        typer.Option(help="Plan only this district (with any district sharing its attendees)."),
    ] = None,
    out: Annotated[
        Path, typer.Option(help="Folder for rota.csv, rota.xlsx, .ics and .png.")
    ] = Path("out"),
    time_limit: TimeLimitOpt = 30.0,
    previous: Annotated[
        Path | None,
        typer.Option(
            help="A rota.csv. This year's (the published rota): its meetings from --today on stay "
            "where they are unless freed or no longer possible, and earlier ones never move. Last "
            "year's: its weekdays and weeks are kept where they cost little."
        ),
    ] = None,
    today: TodayOpt = None,
    free_from: Annotated[
        str | None,
        typer.Option(help="With this year's rota: meetings from this date on may move."),
    ] = None,
    free: Annotated[
        list[str] | None,
        typer.Option(
            "--free", help="With this year's rota: this group's meetings may move (repeat)."
        ),
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Solver threads (default: cores).")] = None,
    seed: Annotated[int, typer.Option(help="Solver random seed.")] = 0,
) -> None:
    """Plan the year's LIFT meeting rota and write it to --out."""
    if ctx.invoked_subcommand is not None:
        return
    scenario = load_or_exit(scenario_dir, err_console)
    before = _load_previous(previous, scenario) if previous is not None else None
    published = before if before is not None and is_this_years(scenario, before) else None
    unknown = sorted(set(free or ()) - set(scenario.group_by_name))
    if unknown:
        raise typer.BadParameter(
            f"got {', '.join(unknown)}; expected groups of lift_groups.csv", param_hint="--free"
        )
    promises: dict[str, Any] = {}
    if published is not None:
        promises = {
            "published": published,
            "today": today_for(scenario, today, err_console),
            "free_from": parse_day(free_from, "--free-from") if free_from else None,
            "free_groups": tuple(free or ()),
        }
    elif free or free_from:
        raise typer.BadParameter(
            "--free and --free-from need this year's rota as --previous", param_hint="--free"
        )
    params = SolveParams(time_limit=time_limit, workers=workers or default_workers(), seed=seed)
    last_year = before if published is None else None
    try:
        outcome = plan_with_progress(scenario, params, err_console, last_year, district, **promises)
    except ScenarioError as error:
        print_problems("--district", error, err_console)
        raise typer.Exit(2) from None
    print_outcome(outcome, console)
    if outcome.rota is None:
        raise typer.Exit(1)
    paths = write_rota_outputs(
        outcome.rota,
        out,
        scenario,
        outcome.breakdown,
        changes=outcome.changes if published is not None else None,
        cancelled=outcome.cancelled,
    )
    console.print(f"[green]Wrote {len(paths)} files to {out}/[/]")


@rota_app.command("next")
def next_meeting(
    school: Annotated[int, typer.Option("--school", help="The school's URN.")],
    after: Annotated[
        str | None, typer.Option(help="Only meetings after this date, YYYY-MM-DD (default: today).")
    ] = None,
    scenario_dir: ScenarioOpt = KENT,
    rota_csv: Annotated[
        Path | None,
        typer.Option("--rota", help="A rota.csv to search (default: plan the district's rota)."),
    ] = None,
    count: Annotated[int, typer.Option("--count", help="How many meetings to list.", min=1)] = 5,
    time_limit: TimeLimitOpt = 30.0,
) -> None:
    """List the next meetings of a school's district that still have room for an urgent case."""
    scenario = load_or_exit(scenario_dir, err_console)
    try:
        since = date.fromisoformat(after) if after else date.today()
    except ValueError:
        err_console.print(f"--after: got {after!r}; expected a date as YYYY-MM-DD")
        raise typer.Exit(2) from None
    home = scenario.school_by_urn.get(school)
    if home is None:
        err_console.print(f"--school: got {school}; expected a urn of schools.csv")
        raise typer.Exit(2)
    if rota_csv is not None:
        rota_found: Rota | None = _load_rota(rota_csv, scenario)
    else:
        params = SolveParams(time_limit=time_limit, workers=default_workers())
        outcome = plan_with_progress(scenario, params, err_console, district=home.district)
        if outcome.rota is None:
            print_outcome(outcome, console)
            raise typer.Exit(1)
        rota_found = outcome.rota
    assert rota_found is not None
    found = next_meetings(scenario, rota_found, school, since, count)
    if not found:
        console.print(f"No meeting in {home.district} after {since} has room for another case.")
        return
    table = Table(title=f"Next LIFT meetings with room for {home.name} ({home.district})")
    for column in ("date", "day", "time", "venue", "group", "expected cases", "room for"):
        table.add_column(
            column, justify="right" if column in ("expected cases", "room for") else "left"
        )
    for item in found:
        m = item.meeting
        table.add_row(
            m.date.isoformat(),
            m.weekday,
            f"{m.start:%H:%M}-{m.end:%H:%M}",
            m.venue,
            m.group,
            str(item.expected_cases),
            str(item.spare_cases),
        )
    console.print(table)


def run_demo(scenario: Scenario, out: Path, console: Console) -> None:
    """`lift demo`'s rota step: plan the county rota, print its summary and write its outputs."""
    params = SolveParams(time_limit=30.0, workers=default_workers())
    outcome = plan_with_progress(scenario, params, console)
    print_outcome(outcome, console)
    if outcome.rota is not None:
        paths = write_rota_outputs(outcome.rota, out, scenario, outcome.breakdown)
        console.print(f"[green]Rota: wrote {len(paths)} files to {out}/[/]")
