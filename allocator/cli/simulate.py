"""`lift simulate`: the year simulated week by week under each policy and staffing variant (thin: parse,
call, print, write)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from allocator.cli.common import ScenarioOpt, load_or_exit, print_problems
from allocator.io.simulation_export import write_simulation
from allocator.model import ScenarioError
from allocator.model.simulation import Arrivals, Policy, SimulationSettings
from allocator.paths import KENT
from allocator.scale.executors import EXECUTORS, ExecutorError, make_executor
from allocator.simulate.run import PRELOAD, SimProgress, simulate, variant_capacities
from allocator.simulate.summary import printed_summary

ALL_POLICIES = ",".join(p.value for p in Policy)


def parse_policies(text: str) -> tuple[Policy, ...]:
    """`optimised,first-come,...` as policies (in the order given, once each), or a usage error."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    known = {p.value: p for p in Policy}
    wrong = [name for name in names if name not in known]
    if wrong or not names:
        raise typer.BadParameter(
            f"got {text!r}; expected one or more of {ALL_POLICIES}, separated by commas",
            param_hint="--policy",
        )
    return tuple(dict.fromkeys(known[name] for name in names))


@contextmanager
def _task_bar(console: Console) -> Iterator[SimProgress]:
    """A bar of tasks done (policy x variant x seed) with the time left; terminals only."""
    bar = Progress(
        TextColumn("[bold]simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("years"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    task = bar.add_task("simulating", total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield update


def simulate_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Folder for waits.csv, summary.csv, charts.")],
    scenario: ScenarioOpt = KENT,
    staffing: Annotated[
        list[Path] | None,
        typer.Option(
            "--staffing",
            help="Staffing variants: staffing.toml-format files (`--staffing A.toml B.toml`); each "
            "sizes the teams by its formula, named by the file's stem. The scenario's own people "
            "are always the variant `scenario`.",
        ),
    ] = None,
    policy: Annotated[
        str, typer.Option("--policy", help=f"Policies, separated by commas: {ALL_POLICIES}.")
    ] = ALL_POLICIES,
    seeds: Annotated[
        int, typer.Option("--seeds", min=1, max=1000, help="Seeds 0 .. N-1 (decisions, arrivals).")
    ] = 1,
    arrivals: Annotated[
        Arrivals,
        typer.Option(
            "--arrivals",
            help="requests: the scenario's requests.csv; model: drawn from a model fitted to it.",
        ),
    ] = Arrivals.REQUESTS,
    specialist_share: Annotated[
        float | None,
        typer.Option(
            "--specialist-share",
            min=0.01,
            max=1.0,
            help="Share of requests a meeting turns into agreements (default: the scenario's mix).",
        ),
    ] = None,
    rebalance_seconds: Annotated[
        float,
        typer.Option(
            "--rebalance-seconds",
            min=0.1,
            max=600,
            help="Time limit of each weekly rebalance and agenda.",
        ),
    ] = 2.0,
    clairvoyant_seconds: Annotated[
        float,
        typer.Option(
            "--clairvoyant-seconds",
            min=1,
            max=3600,
            help="Time limit of the clairvoyant limit's agenda and caseload plans.",
        ),
    ] = 60.0,
    executor: Annotated[
        str,
        typer.Option("--executor", help=f"Where the years run: {', '.join(EXECUTORS)}."),
    ] = "local",
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Local processes (default: one per core)."),
    ] = None,
) -> None:
    """Simulate the year week by week: requests arrive, meetings decide, the caseload is rebalanced;
    the whole wait from request to support under each policy and staffing variant."""
    console = Console()
    err = Console(stderr=True)
    extra = list(ctx.args)
    if extra and not staffing:
        raise typer.BadParameter(f"unexpected argument(s): {' '.join(extra)}")
    files = [*(staffing or []), *(Path(a) for a in extra)]
    policies = parse_policies(policy)
    data = load_or_exit(scenario, err)
    settings = SimulationSettings(
        policies=policies,
        seeds=seeds,
        arrivals=arrivals,
        specialist_share=specialist_share,
        rebalance_seconds=rebalance_seconds,
        clairvoyant_seconds=clairvoyant_seconds,
    )
    try:
        variants = variant_capacities(data, files)
        pool = make_executor(executor, workers, preload=PRELOAD)
    except ScenarioError as error:
        print_problems("--staffing", error, err)
        raise typer.Exit(2) from None
    except ExecutorError as error:
        err.print(f"[bold red]--executor {executor}:[/] {error}", highlight=False)
        raise typer.Exit(1) from None
    try:
        with pool, _task_bar(console) as progress:
            result = simulate(data, variants, settings, executor=pool, progress=progress)
    except ScenarioError as error:
        print_problems(str(scenario), error, err)
        raise typer.Exit(2) from None
    console.print(printed_summary(result), markup=False, highlight=False, soft_wrap=True)
    console.print(
        f"{len(result.waits)} rows from {settings.seeds} seed(s) x {len(variants)} variant(s) x "
        f"{len(policies)} polic{'y' if len(policies) == 1 else 'ies'} in {result.seconds:.1f} s",
        highlight=False,
    )
    for path in write_simulation(result, out):
        console.print(f"wrote {path}", markup=False, highlight=False)
