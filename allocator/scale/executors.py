"""Where independent pieces of work run: in this process, on a local process pool, or on Ray.

An `Executor` maps a picklable module-level function over picklable items and yields
`(index, result)` pairs as the items finish, so a caller can show progress and put results back in
order. `make_executor("local" | "serial" | "ray" | "ray:ADDRESS")` picks one; the default everywhere
is the local process pool. Ray is imported only when asked for (the optional `cluster` extra).
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from types import TracebackType
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")

EXECUTORS = ("local", "serial", "ray", "ray:ADDRESS")


class ExecutorError(RuntimeError):
    """An executor that cannot be made or started, in words."""


class Executor(Protocol):
    """Runs `fn(item)` for each item, somewhere, yielding results as they finish."""

    name: str
    workers: int
    """How many items can run at once."""

    def map_unordered(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Yield `(index, fn(items[index]))` in order of completion; a task's exception is raised."""
        ...

    def start(self) -> None:
        """Start every worker now, so that timings leave start-up out."""
        ...

    def close(self) -> None:
        """Release workers (idempotent)."""
        ...

    def __enter__(self) -> Executor: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None: ...


def worker_pid(_: object) -> int:
    """The process id of the worker that runs it, after a moment (so each worker takes one)."""
    time.sleep(0.05)
    return os.getpid()


def _preload(modules: Sequence[str]) -> None:
    for module in modules:
        importlib.import_module(module)


class _Closing:
    """Start and context-manager plumbing shared by the executors."""

    workers: int

    def map_unordered(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
        raise NotImplementedError

    def start(self) -> None:
        """Run one trivial task per worker, so that workers are up before anything is timed."""
        for _ in self.map_unordered(worker_pid, range(self.workers)):
            pass

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> Any:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


class SerialExecutor(_Closing):
    """Everything in this process, one item after another (the reference for the others)."""

    name = "serial"
    workers = 1

    def map_unordered(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Yield each result in item order."""
        for index, item in enumerate(items):
            yield index, fn(item)


class LocalExecutor(_Closing):
    """A pool of `workers` processes on this machine (default: one per core).

    Workers are spawned, not forked, so each starts clean, as a Ray worker does, and imports the
    `preload` modules as it starts; the pool starts on first use and lives until `close`.
    """

    name = "local"

    def __init__(self, workers: int | None = None, preload: Sequence[str] = ()) -> None:
        if workers is not None and workers < 1:
            raise ExecutorError(f"workers is {workers}: expected 1 or more")
        self.workers = workers or os.cpu_count() or 1
        self.preload = tuple(preload)
        self._pool: ProcessPoolExecutor | None = None

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_preload,
                initargs=(self.preload,),
            )
        return self._pool

    def map_unordered(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Submit every item, then yield results as workers finish them."""
        pool = self._started()
        index: dict[Future[R], int] = {pool.submit(fn, item): i for i, item in enumerate(items)}
        pending = set(index)
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield index[future], future.result()
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        """Shut the pool down (waiting for running items)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class RayExecutor(_Closing):
    """Tasks on a Ray cluster: a local one started here (`address=None`), or an existing one.

    `address` is anything `ray.init` accepts ("auto", "HOST:PORT", "ray://HOST:10001"); `num_cpus`
    sizes a cluster started here. A cluster this executor started is shut down on `close`; one it
    joined is left running. Every node needs this package installed.
    """

    name = "ray"

    def __init__(self, address: str | None = None, num_cpus: int | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise ExecutorError(
                "the Ray executor needs the optional `cluster` extra: "
                "pip install 'lift-allocator[cluster]' (or pip install ray)"
            ) from None
        if address is not None and num_cpus is not None:
            raise ExecutorError("num_cpus sizes a cluster started here: give it without an address")
        self._ray: Any = ray
        self._owned = False
        if not ray.is_initialized():
            try:
                if address is None:
                    ray.init(
                        num_cpus=num_cpus,
                        include_dashboard=False,
                        log_to_driver=False,
                        configure_logging=False,
                    )
                else:
                    ray.init(address=address, log_to_driver=False, configure_logging=False)
            except (ConnectionError, RuntimeError, ValueError) as error:
                where = "a local Ray cluster" if address is None else f"Ray at {address}"
                raise ExecutorError(f"could not start or join {where}: {error}") from error
            self._owned = True
        self.address = address
        self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))

    def map_unordered(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Submit every item as a one-CPU task, then yield results as they finish."""
        ray = self._ray
        remote = ray.remote(num_cpus=1, max_retries=0)(fn)
        refs = [remote.remote(item) for item in items]
        index = {ref: i for i, ref in enumerate(refs)}
        pending = list(refs)
        try:
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                for ref in done:
                    yield index[ref], ray.get(ref)
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)

    def close(self) -> None:
        """Shut down a cluster this executor started."""
        if self._owned and self._ray.is_initialized():
            self._ray.shutdown()
        self._owned = False


def make_executor(
    spec: str = "local", workers: int | None = None, preload: Sequence[str] = ()
) -> Executor:
    """The executor a `--executor` value names: local, serial, ray or ray:ADDRESS.

    `workers` sizes the local pool, or the CPUs of a Ray cluster started here; local workers import
    the `preload` modules as they start.
    """
    kind, _, address = spec.partition(":")
    if kind == "local" and not address:
        return LocalExecutor(workers, preload)
    if kind == "serial" and not address:
        return SerialExecutor()
    if kind == "ray":
        if address:
            return RayExecutor(address=address)
        return RayExecutor(num_cpus=workers)
    raise ExecutorError(f"unknown executor {spec!r}: expected one of {', '.join(EXECUTORS)}")
