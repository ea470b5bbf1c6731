"""Solve jobs within bounds (#11): a worker that overruns its time limit plus the grace is ended, one
that runs out of its memory is reported plainly, both as failed jobs that saved nothing; and a job's
unexpected failure is logged without its message.

The tasks below run in the real worker process (`python -m api.worker`); it imports them from this
module, so the tests put this module's package root on the child's PYTHONPATH.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from allocator.model import Scenario
from api.admin import add_user
from api.db.engine import make_engine, make_sessionmaker
from api.db.migrate import upgrade
from api.db.models import JobRow
from api.jobs import JobLimits, JobManager
from api.main import create_app
from api.security import Role
from api.settings import Settings
from api.store import save_scenario
from api.worker import Report

MIB = 1024 * 1024
SECRET = "Quillfeather Hall"


@dataclass(frozen=True)
class SleepTask:
    """A solve that never finishes in time."""

    seconds: float

    def run(self, report: Report) -> Any:
        time.sleep(self.seconds)
        return "late"


@dataclass(frozen=True)
class AllocateTask:
    """A solve that keeps taking memory (64 MiB at a time, up to `most`)."""

    most: int

    def run(self, report: Report) -> Any:
        held = [bytearray(64 * MIB) for _ in range(self.most // (64 * MIB))]
        return len(held)


@dataclass(frozen=True)
class QuickTask:
    """A solve that finishes at once."""

    def run(self, report: Report) -> Any:
        return "done"


class Handler:
    """Hands the manager a fixed task; records what was persisted."""

    def __init__(self, task: Any, prepare_error: Exception | None = None) -> None:
        self.task = task
        self.prepare_error = prepare_error
        self.persisted: list[Any] = []

    def prepare(self, session: Session, job: JobRow) -> Any:
        if self.prepare_error is not None:
            raise self.prepare_error
        return self.task

    def persist(self, session: Session, job: JobRow, output: Any) -> tuple[int, str]:
        self.persisted.append(output)
        return 1, f"saved {output}"


@pytest.fixture
def sessions(
    tmp_path: Path, tiny_scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> Iterator[sessionmaker[Session]]:
    """A migrated database holding the tiny county (scenario 1); the worker can import this module."""
    root = Path(__file__).resolve().parents[__name__.count(".")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
    engine = make_engine(f"sqlite:///{tmp_path / 'lift.db'}")
    upgrade(engine)
    made = make_sessionmaker(engine)
    with made() as session:
        save_scenario(session, tiny_scenario, [], None)
        session.commit()
    yield made
    engine.dispose()


def run_one(
    sessions: sessionmaker[Session], handler: Handler, limits: JobLimits, time_limit: float
) -> tuple[JobRow, float]:
    manager = JobManager(sessions, {"test": handler}, limits=limits)
    try:
        began = time.monotonic()
        with sessions() as session:
            job = manager.submit(session, "test", 1, None, None, {"time_limit": time_limit})
            job_id = job.id
        manager.wait(job_id, timeout=60)
        took = time.monotonic() - began
    finally:
        manager.shutdown()
    with sessions() as session:
        row = session.get(JobRow, job_id)
        assert row is not None
        session.expunge(row)
    return row, took


def test_a_worker_past_its_time_limit_and_grace_is_ended_and_the_job_fails(
    sessions: sessionmaker[Session],
) -> None:
    handler = Handler(SleepTask(seconds=120))
    limits = JobLimits(grace_seconds=1.0, grace_fraction=0.5, memory_bytes=0)
    row, took = run_one(sessions, handler, limits, time_limit=0.5)
    assert row.status == "failed"
    assert row.message is not None and "time limit of 0.5 s and 1 s of grace" in row.message
    assert "nothing was saved" in row.message
    assert handler.persisted == [] and row.result_id is None
    assert took < 15, f"the job took {took:.1f} s"


def test_the_grace_is_the_larger_of_its_seconds_and_its_share() -> None:
    limits = JobLimits(grace_seconds=30, grace_fraction=0.5)
    assert limits.deadline(10) == 40
    assert limits.deadline(600) == 900


def test_a_worker_out_of_its_memory_fails_the_job_plainly(sessions: sessionmaker[Session]) -> None:
    handler = Handler(AllocateTask(most=2048 * MIB))
    limits = JobLimits(memory_bytes=512 * MIB)
    row, took = run_one(sessions, handler, limits, time_limit=30)
    assert row.status == "failed"
    assert row.message == (
        "it needed more memory than a job may use (0.5 GiB); nothing was saved"
    ), row.message
    assert handler.persisted == [] and row.result_id is None
    assert took < 30


def test_a_job_within_its_limits_still_succeeds(sessions: sessionmaker[Session]) -> None:
    handler = Handler(QuickTask())
    row, _ = run_one(sessions, handler, JobLimits(memory_bytes=1024 * MIB), 1.0)
    assert row.status == "succeeded", row.message
    assert handler.persisted == ["done"]


def test_an_unexpected_failure_is_logged_without_its_message(
    sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    handler = Handler(QuickTask(), prepare_error=RuntimeError(f"no room at {SECRET}"))
    row, _ = run_one(sessions, handler, JobLimits(), 1.0)
    assert row.status == "failed"
    assert row.message is not None and SECRET not in row.message
    logged = "\n".join(logging.Formatter().format(r) for r in caplog.records)
    assert "RuntimeError" in logged and row.id in logged
    assert SECRET not in logged


def test_the_service_settings_reach_the_worker(
    tmp_path: Path, tiny_scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real rota job under a memory cap too small to load the task fails with the plain reason."""
    app = create_app(
        Settings(database_url=f"sqlite:///{tmp_path / 'lift.db'}", job_memory_bytes=64 * MIB)
    )
    with app.state.sessions() as session:
        scenario_id = save_scenario(session, tiny_scenario, [], None).id
        session.commit()
    token = add_user(app.state.sessions, Role.COUNTY_OFFICER, None)[1]
    with TestClient(app) as client:
        started = client.post(
            f"/api/scenarios/{scenario_id}/rota/solve",
            json={"time_limit": 5},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert started.status_code == 202, started.text
        job_id = started.json()["id"]
        assert app.state.jobs.wait(job_id, timeout=60) == "failed"
        job = client.get(f"/api/jobs/{job_id}", headers={"Authorization": f"Bearer {token}"})
    message = job.json()["message"]
    assert "more memory than a job may use (0.0625 GiB)" in message, message
