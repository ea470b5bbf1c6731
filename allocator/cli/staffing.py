"""`lift staffing` and `lift staffing compare`: a thin face over allocator.staffing (parse, call, render)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from allocator.cli.common import ScenarioOpt
from allocator.io import read_scenario
from allocator.io.staffing_export import (
    read_staffing_settings,
    write_comparison_chart,
    write_comparison_csv,
    write_staffing,
)
from allocator.model.scenario import Scenario, ScenarioError
from allocator.model.staffing import StaffingSettings
from allocator.model.staffing_result import (
    StaffingAllocation,
    StaffingComparison,
    StaffingError,
    StaffingSensitivity,
    format_fte,
)
from allocator.paths import KENT
from allocator.staffing.apportion import METHODS
from allocator.staffing.formula import allocate_staffing
from allocator.staffing.whatif import adjust_formula, compare_staffing, staffing_sensitivity

staffing_app = typer.Typer(
    help="Staffing formula: each district's high-incidence FTE and the sensory pools' shares.",
    add_completion=False,
)

OutOpt = Annotated[
    Path | None, typer.Option("--out", help="Folder to write the CSV files and chart to.")
]


@contextmanager
def _errors_for_people(console: Console) -> Iterator[None]:
    """Scenario problems (exit 2) and formulas that cannot be applied (exit 1) as plain lines."""
    try:
        yield
    except ScenarioError as error:
        console.print(f"[bold red]{len(error.problems)} problem(s):[/]")
        for problem in error.problems:
            console.print(f"  - {problem}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    except StaffingError as error:
        console.print("[bold red]The staffing formula cannot be applied:[/]")
        for reason in error.reasons:
            console.print(f"  - {reason}", markup=False, highlight=False)
        raise typer.Exit(1) from None


def _changes(assignments: list[str]) -> dict[str, str]:
    changes: dict[str, str] = {}
    for text in assignments:
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise StaffingError(f"--set {text}: expected NAME=VALUE, e.g. weights.pupils=0.5")
        changes[name.strip()] = value.strip()
    return changes


def staffing_table(
    allocation: StaffingAllocation, sensitivity: StaffingSensitivity | None = None
) -> Table:
    """Per district: quota, allocation, baseline, change, the rule holding it, and the weights' range."""
    hi = allocation.settings.high_incidence
    table = Table(
        title=f"High-incidence staffing: {format_fte(allocation.allocated_fte)} FTE by {hi.method}",
        caption=(
            f"largest deviation from quota {float(allocation.max_relative_deviation):.1%}, "
            f"total {format_fte(allocation.total_deviation_fte)} FTE"
        ),
    )
    for column in ("district", "quota", "allocated", "baseline", "change", "held by"):
        table.add_column(column, justify="left" if column in ("district", "held by") else "right")
    ranges = {r.district: r for r in sensitivity.rows} if sensitivity else {}
    if sensitivity:
        table.add_column(f"weights ±{format_fte(sensitivity.step_pct)}%", justify="right")
    places = allocation.post_decimals
    for d in allocation.districts:
        cells = [
            d.district,
            format_fte(d.quota_fte, 2, trim=False),
            format_fte(d.allocated_fte, places, trim=False),
            format_fte(d.baseline_fte, places, trim=False),
            _signed(d.change_fte, places),
            d.held_by_text,
        ]
        if sensitivity:
            r = ranges[d.district]
            low, high = (format_fte(x, places, trim=False) for x in (r.low_fte, r.high_fte))
            cells.append(low if low == high else f"{low} to {high}")
        table.add_row(*cells)
    return table


def _signed(change: Fraction, places: int) -> str:
    return ("+" if change > 0 else "") + format_fte(change, places, trim=False)


def pools_table(allocation: StaffingAllocation) -> Table:
    """Per district: its share of each county pool."""
    pools = list(allocation.pool_fte)
    places = allocation.post_decimals
    table = Table(title="County pools (FTE by district, in proportion to children)")
    table.add_column("district")
    for pool in pools:
        table.add_column(f"{pool} ({format_fte(allocation.pool_fte[pool])})", justify="right")
    shares = {(r.pool, r.district): r for r in allocation.pools}
    for d in allocation.districts:
        table.add_row(
            d.district,
            *(format_fte(shares[p, d.district].allocated_fte, places, trim=False) for p in pools),
        )
    return table


def show_staffing(
    scenario: Scenario,
    out: Path | None = None,
    settings: StaffingSettings | None = None,
    console: Console | None = None,
) -> StaffingAllocation:
    """Allocate the scenario's staffing, print the tables (and any ties), write the files to `out`."""
    console = console or Console()
    allocation = allocate_staffing(scenario, settings)
    sensitivity = staffing_sensitivity(scenario, settings)
    console.print(staffing_table(allocation, sensitivity))
    if allocation.pools:
        console.print(pools_table(allocation))
    for tie in allocation.ties:
        console.print(f"tie: {tie}", markup=False, highlight=False)
    if out is not None:
        for path in write_staffing(allocation, out, sensitivity):
            console.print(f"wrote {path}", markup=False, highlight=False)
    return allocation


def comparison_table(comparison: StaffingComparison) -> Table:
    """Each district under A and B, and the change."""
    table = Table(title=f"Staffing: {comparison.label_a} against {comparison.label_b}")
    for column in ("district", "pool", "A", "B", "change"):
        table.add_column(column, justify="left" if column in ("district", "pool") else "right")
    for r in comparison.rows:
        change = ("+" if r.change_fte > 0 else "") + format_fte(r.change_fte)
        table.add_row(
            r.district, r.pool, format_fte(r.allocated_a), format_fte(r.allocated_b), change
        )
    return table


@staffing_app.callback(invoke_without_command=True)
def staffing(
    ctx: typer.Context,
    scenario: ScenarioOpt = KENT,
    total_fte: Annotated[
        float | None, typer.Option("--total-fte", help="High-incidence FTE to share out.")
    ] = None,
    method: Annotated[str | None, typer.Option("--method", help=" | ".join(METHODS))] = None,
    assignments: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="NAME=VALUE, repeatable: weights.NAME, pools.NAME, floor_fte, cap_fte, max_change_pct, "
            "granularity. Weights not set are rescaled so that the weights sum to 1.",
        ),
    ] = None,
    out: OutOpt = None,
) -> None:
    """Each district's high-incidence FTE under the formula, and the county pools' shares."""
    if ctx.invoked_subcommand is not None:
        return
    console = Console()
    with _errors_for_people(console):
        data = read_scenario(scenario)
        if data.staffing is None:
            raise StaffingError(f"{scenario} has no staffing.toml, so there is no formula to apply")
        settings, notes = adjust_formula(
            data.staffing, total_fte=total_fte, method=method, changes=_changes(assignments or [])
        )
        for note in notes:
            console.print(f"note: {note}", markup=False, highlight=False)
        show_staffing(data, out, settings, console)


@staffing_app.command("compare")
def compare(
    a: Annotated[Path, typer.Argument(help="Formula A: a staffing.toml-format file.")],
    b: Annotated[Path, typer.Argument(help="Formula B: a staffing.toml-format file.")],
    scenario: ScenarioOpt = KENT,
    out: OutOpt = None,
) -> None:
    """Two formulas side by side on one scenario's indicators: each district's FTE and the change."""
    console = Console()
    with _errors_for_people(console):
        data = read_scenario(scenario)
        comparison = compare_staffing(
            data,
            read_staffing_settings(a),
            read_staffing_settings(b),
            label_a=a.name,
            label_b=b.name,
        )
        console.print(comparison_table(comparison))
        if out is not None:
            for path in (
                write_comparison_csv(comparison, out / "compare.csv"),
                write_comparison_chart(comparison, out / "compare.png"),
            ):
                console.print(f"wrote {path}", markup=False, highlight=False)
