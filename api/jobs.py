"""Solve jobs: queued in the service, each solved in a fresh child process (`python -m api.worker`)
that a cancel ends at once.

The job row is the single source of truth. A job's result is written in one transaction together with
the job's change to `succeeded`, and only while the row still says `running`; a cancel flips the row
to `cancelled` first, so a cancelled, failed or interrupted job never leaves a partial result.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from api.db.models import JobRow, utcnow
from api.errors import raised_at
from api.worker import Progress

log = logging.getLogger("lift.jobs")

ACTIVE = ("queued", "running")
PROGRESS_EVERY = 0.25
"""Seconds between progress writes."""


class JobStatus(StrEnum):
    """Where a job stands."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class JobHandler(Protocol):
    """What the manager needs of each kind of job."""

    def prepare(self, session: Session, job: JobRow) -> Any:
        """The task (picklable) the child process solves, read from the live data."""

    def persist(self, session: Session, job: JobRow, output: Any) -> tuple[int, str]:
        """Write the task's output in `session` (not committed); return the result's id and a
        one-line summary for the job's owner."""


class JobFailed(Exception):
    """A job that cannot run, with a message for its owner."""


@dataclass
class _Running:
    cancel: threading.Event
    process: subprocess.Popen[bytes] | None = None


@dataclass(frozen=True)
class JobLimits:
    """What a job's child process may use: wall-clock time beyond its own limit, and memory."""

    grace_seconds: float = 30.0
    grace_fraction: float = 0.5
    """The child is ended at its time limit plus the larger of these (seconds, share of the limit)."""
    memory_bytes: int = 4 * 1024**3
    """Its data segment (RLIMIT_DATA: heap and private mappings); 0 for no limit."""

    def deadline(self, time_limit: float) -> float:
        """Seconds after which a job with `time_limit` is ended."""
        return time_limit + max(self.grace_seconds, self.grace_fraction * time_limit)


class JobManager:
    """Runs solve jobs, at most `workers` at once, each in a fresh child process within `limits`."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        handlers: Mapping[str, JobHandler],
        workers: int = 1,
        limits: JobLimits | None = None,
    ) -> None:
        self._sessions = sessions
        self._handlers = dict(handlers)
        self._limits = limits or JobLimits()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lift-job")
        self._running: dict[str, _Running] = {}
        self._lock = threading.Lock()
        self._closed = False

    @property
    def kinds(self) -> tuple[str, ...]:
        """Job kinds this manager runs."""
        return tuple(self._handlers)

    def recover(self) -> int:
        """Mark jobs left queued or running by a stopped service as failed; returns how many."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(JobRow)
                .where(JobRow.status.in_(ACTIVE))
                .values(
                    status=JobStatus.FAILED.value,
                    message="interrupted: the service stopped before the job finished; nothing was saved",
                    finished_at=utcnow(),
                )
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def new_job(
        self,
        session: Session,
        kind: str,
        scenario_id: int,
        user_id: int | None,
        district: str | None,
        params: dict[str, Any],
    ) -> JobRow:
        """Add a queued job to `session` (the caller commits, then calls `start`)."""
        if kind not in self._handlers:
            raise ValueError(f"unknown job kind {kind!r}")
        job = JobRow(
            id=uuid.uuid4().hex,
            kind=kind,
            scenario_id=scenario_id,
            user_id=user_id,
            district=district,
            status=JobStatus.QUEUED.value,
            params=params,
        )
        session.add(job)
        session.flush()
        return job

    def submit(
        self,
        session: Session,
        kind: str,
        scenario_id: int,
        user_id: int | None,
        district: str | None,
        params: dict[str, Any],
    ) -> JobRow:
        """Add a job, commit it (with whatever else `session` holds) and queue it."""
        job = self.new_job(session, kind, scenario_id, user_id, district, params)
        session.commit()
        self.start(job.id)
        return job

    def start(self, job_id: str) -> None:
        """Queue a committed job for running."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the job manager is shut down")
            self._running[job_id] = _Running(cancel=threading.Event())
        self._pool.submit(self._run, job_id)

    def cancel(self, job_id: str) -> bool:
        """Cancel a queued or running job; False if it had already finished."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status.in_(ACTIVE))
                .values(
                    status=JobStatus.CANCELLED.value,
                    message="cancelled; nothing was saved",
                    finished_at=utcnow(),
                )
            )
            changed = bool(result.rowcount)  # type: ignore[attr-defined]
        if changed:
            self._signal(job_id)
        return changed

    def _signal(self, job_id: str) -> None:
        with self._lock:
            running = self._running.get(job_id)
        if running is not None:
            running.cancel.set()
            process = running.process
            if process is not None and process.poll() is None:
                process.terminate()

    def shutdown(self) -> None:
        """Stop taking jobs, end running ones (marked failed: nothing saved) and wait for the threads."""
        with self._lock:
            self._closed = True
            ids = list(self._running)
        for job_id in ids:
            with self._sessions.begin() as session:
                session.execute(
                    update(JobRow)
                    .where(JobRow.id == job_id, JobRow.status.in_(ACTIVE))
                    .values(
                        status=JobStatus.FAILED.value,
                        message="stopped with the service; nothing was saved",
                        finished_at=utcnow(),
                    )
                )
            self._signal(job_id)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def wait(self, job_id: str, timeout: float = 60.0) -> str:
        """Block until a job has finished (for tests and the CLI); returns its status."""
        deadline = time.monotonic() + timeout
        while True:
            with self._sessions() as session:
                job = session.get(JobRow, job_id)
                status = job.status if job is not None else JobStatus.FAILED.value
            if status not in ACTIVE or time.monotonic() > deadline:
                return status
            time.sleep(0.05)

    # The runner thread -------------------------------------------------------------------------

    def _run(self, job_id: str) -> None:
        try:
            self._run_job(job_id)
        except Exception as error:  # a bug must not kill the worker thread silently
            # No traceback or message: either may quote uploaded values.
            log.error("job %s failed unexpectedly (%s)", job_id, raised_at(error))
            self._finish(job_id, JobStatus.FAILED, "failed unexpectedly; nothing was saved")
        finally:
            with self._lock:
                self._running.pop(job_id, None)

    def _run_job(self, job_id: str) -> None:
        with self._lock:
            running = self._running.get(job_id)
        if running is None or running.cancel.is_set():
            return
        with self._sessions.begin() as session:
            job = session.get(JobRow, job_id)
            if job is None or job.status != JobStatus.QUEUED.value:
                return
            handler = self._handlers[job.kind]
            try:
                task = handler.prepare(session, job)
            except JobFailed as error:
                job.status = JobStatus.FAILED.value
                job.message = str(error)
                job.finished_at = utcnow()
                return
            job.status = JobStatus.RUNNING.value
            job.started_at = utcnow()
            time_limit = float(job.params.get("time_limit", 10.0))
        log.info("job %s (%s) started", job_id, job.kind)
        outcome, payload = self._solve(job_id, running, task, time_limit)
        if outcome == "result":
            self._save(job_id, handler, payload)
        elif outcome == "error":
            self._finish(job_id, JobStatus.FAILED, f"failed: {payload}; nothing was saved")
        elif outcome == "memory":
            self._finish(job_id, JobStatus.FAILED, f"{self._memory_message()}; nothing was saved")
        elif outcome == "timeout":
            grace = self._limits.deadline(time_limit) - time_limit
            self._finish(
                job_id,
                JobStatus.FAILED,
                f"stopped: it ran past its time limit of {time_limit:g} s and {grace:g} s of grace "
                "for building and checking the plan; nothing was saved",
            )
        elif outcome == "died":
            memory = (
                f" (perhaps out of memory: {self._memory_message()})"
                if self._limits.memory_bytes
                else ""
            )
            self._finish(
                job_id,
                JobStatus.FAILED,
                f"the solver stopped unexpectedly{memory}; nothing was saved",
            )

    def _memory_message(self) -> str:
        size = self._limits.memory_bytes / 1024**3
        return f"it needed more memory than a job may use ({size:.3g} GiB)"

    def _solve(
        self, job_id: str, running: _Running, task: Any, time_limit: float
    ) -> tuple[str, Any]:
        with tempfile.TemporaryDirectory(prefix="lift-job-") as folder:
            given = Path(folder) / "task.pickle"
            given.write_bytes(pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL))
            read_fd, write_fd = os.pipe()
            try:
                process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "api.worker",
                        str(given),
                        str(write_fd),
                        str(self._limits.memory_bytes),
                    ],
                    pass_fds=(write_fd,),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            finally:
                os.close(write_fd)
            pipe = Connection(read_fd, writable=False)
            with self._lock:
                running.process = process
            try:
                return self._follow(job_id, running, process, pipe, time_limit)
            finally:
                pipe.close()
                if process.poll() is None:
                    process.kill()
                process.wait()

    def _follow(
        self,
        job_id: str,
        running: _Running,
        process: subprocess.Popen[bytes],
        pipe: Connection,
        time_limit: float,
    ) -> tuple[str, Any]:
        """Relay the child's progress until it sends its output, dies, is cancelled or overruns."""
        started = time.monotonic()
        deadline = started + self._limits.deadline(time_limit)
        last_write = 0.0
        while True:
            if running.cancel.is_set():
                process.terminate()
                return "cancelled", None
            if time.monotonic() > deadline:
                process.kill()
                log.info("job %s passed its time limit and grace; its worker was ended", job_id)
                return "timeout", None
            if pipe.poll(0.05):
                try:
                    kind, payload = pipe.recv()
                except (EOFError, OSError):
                    return ("cancelled", None) if running.cancel.is_set() else ("died", None)
                if kind != "progress":
                    return kind, payload
                now = time.monotonic()
                if now - last_write >= PROGRESS_EVERY:
                    last_write = now
                    done = payload.fraction
                    used = (now - started) / time_limit
                    self._progress(job_id, payload, used if done is None else done)
            elif process.poll() is not None and not pipe.poll(0):
                return ("cancelled", None) if running.cancel.is_set() else ("died", None)

    def _progress(self, job_id: str, event: Progress, fraction: float) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status == JobStatus.RUNNING.value)
                .values(
                    progress=max(0.0, min(0.99, fraction)),
                    stage=event.stage[:200],
                    objective=event.objective,
                    best_bound=event.best_bound,
                )
            )

    def _save(self, job_id: str, handler: JobHandler, output: Any) -> None:
        with self._sessions() as session:
            job = session.get(JobRow, job_id)
            if job is None or job.status != JobStatus.RUNNING.value:
                return  # cancelled meanwhile: nothing is written
            try:
                result_id, summary = handler.persist(session, job, output)
            except JobFailed as error:
                session.rollback()
                self._finish(job_id, JobStatus.FAILED, f"{error}; nothing was saved")
                return
            changed = session.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status == JobStatus.RUNNING.value)
                .values(
                    status=JobStatus.SUCCEEDED.value,
                    progress=1.0,
                    result_id=result_id,
                    message=summary[:2000],
                    finished_at=utcnow(),
                )
            )
            if not changed.rowcount:  # type: ignore[attr-defined]
                session.rollback()  # cancelled while the result was being written
                return
            session.commit()
        log.info("job %s succeeded", job_id)

    def _finish(self, job_id: str, status: JobStatus, message: str) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status.in_(ACTIVE))
                .values(status=status.value, message=message[:2000], finished_at=utcnow())
            )
        log.info("job %s %s", job_id, status.value)
