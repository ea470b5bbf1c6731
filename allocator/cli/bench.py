"""`lift bench ...`: solve standard instance libraries from the command line (thin: parse, call, print)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from allocator.caseload.gap import AUTO_ENGINE, check_gap, read_gap, solve_gap

bench_app = typer.Typer(help="Solve standard benchmark instances.", no_args_is_help=True)


class GapEngine(StrEnum):
    """Engines for the generalised assignment problem (`auto`: the measured winner)."""

    AUTO = "auto"
    CPSAT = "cpsat"
    HIGHS = "highs"
    GREEDY = "greedy"


@bench_app.callback()
def bench() -> None:
    """Solve standard benchmark instances (OR-Library GAP)."""


@bench_app.command("gap")
def gap(
    files: Annotated[
        list[Path],
        typer.Argument(help="GAP instances in single-instance format", exists=True, dir_okay=False),
    ],
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.01, help="seconds each")
    ] = 10.0,
    engine: Annotated[
        GapEngine, typer.Option("--engine", help=f"auto is {AUTO_ENGINE}, the measured winner")
    ] = GapEngine.AUTO,
    workers: Annotated[int, typer.Option("--workers", min=1, help="CP-SAT workers")] = 2,
    seed: Annotated[int, typer.Option("--seed", help="CP-SAT random seed")] = 0,
) -> None:
    """Minimise each GAP instance; print `instance objective best_bound seconds` per line."""
    for path in files:
        try:
            instance = read_gap(path)
        except ValueError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
        result = solve_gap(instance, time_limit, engine.value, workers=workers, seed=seed)
        if result.assignment and check_gap(instance, result.assignment) != result.objective:
            raise RuntimeError(
                f"{instance.name}: the checker disagrees with the {engine} objective"
            )
        objective = "-" if result.objective is None else str(result.objective)
        bound = "-" if result.best_bound is None else f"{result.best_bound:g}"
        typer.echo(f"{instance.name} {objective} {bound} {result.seconds:.3f}")
