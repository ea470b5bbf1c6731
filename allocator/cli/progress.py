"""A rich progress display for long solves, fed by `allocator.solve`'s progress events."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from allocator.solve import ProgressEvent, ProgressFn


@contextmanager
def solve_progress(console: Console, title: str) -> Iterator[ProgressFn]:
    """Show a bar against the time limit with the current objective and bound; yields the callback."""
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    task = progress.add_task(title, total=1.0, status="starting")

    def update(event: ProgressEvent) -> None:
        objective = "-" if event.objective is None else f"{event.objective:g}"
        bound = "-" if event.best_bound is None else f"{event.best_bound:g}"
        stage = f"{event.level} ({event.level_index + 1}/{event.levels})"
        progress.update(
            task,
            completed=min(1.0, event.elapsed / event.time_limit),
            status=f"{stage}: objective {objective}, bound {bound}",
        )

    with progress:
        yield update
