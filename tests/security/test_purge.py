"""Retention: a purged case leaves no trace in the database files (not in the audit log, not in
free pages, not in the write-ahead log), and the SQLite files are created owner-only."""

from __future__ import annotations

import io
import os
import sqlite3
import stat
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text
from typer.testing import CliRunner

from allocator.io import write_scenario
from allocator.model import Scenario
from api.admin import Redaction, add_user, forget_deleted
from api.cli import service_app
from api.db.engine import make_engine
from api.db.models import ChangeRow
from api.main import create_app
from api.security import Role
from api.settings import Settings

GONE = "PURGE-ME-7"
"""A case added by a rebalance (so its id sits in the rebalance's audit entry), then purged."""
PLANNED = "T-0001"
"""A case of the tiny county with assignments in the plan, then purged."""
KEPT = "T-0002"
NEW_CASE = {
    "case_id": GONE,
    "school_urn": 100001,
    "need_type": "C&I",
    "sen_stage": "SEN Support",
    "consent": "yes",
    "agreed_on": "2025-10-06",
    "minutes_per_week": 30,
    "weeks": 4,
}


@dataclass
class Running:
    """A service on a SQLite file, with an officer's headers and the tiny county's id."""

    client: TestClient
    database: Path
    headers: dict[str, str]
    scenario_id: int

    def job(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """Start a job on the scenario and wait for it to finish."""
        started = self.client.post(
            f"/api/scenarios/{self.scenario_id}/{path}", json=body, headers=self.headers
        )
        assert started.status_code == 202, started.text
        deadline = time.monotonic() + 120
        while True:
            job: dict[str, Any] = self.client.get(
                f"/api/jobs/{started.json()['id']}", headers=self.headers
            ).json()
            if job["status"] not in ("queued", "running") or time.monotonic() > deadline:
                return job
            time.sleep(0.1)

    def files(self) -> dict[str, bytes]:
        """The raw bytes of the database, its write-ahead log and its shared-memory index."""
        paths = [self.database, *(Path(f"{self.database}{end}") for end in ("-wal", "-shm"))]
        return {p.name: p.read_bytes() for p in paths if p.exists()}


@pytest.fixture(params=["secure_delete as set", "secure_delete off"])
def running(
    request: pytest.FixtureRequest, tmp_path: Path, tiny_scenario: Scenario
) -> Iterator[Running]:
    """The tiny county on a fresh service; also with the service's connections leaving deleted
    bytes in free space, as SQLite builds without SECURE_DELETE do (Debian's has it on)."""
    folder = tmp_path / "tiny"
    write_scenario(tiny_scenario, folder)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"scenario/{path.name}")
    database = tmp_path / "lift.db"
    settings = Settings(
        database_url=f"sqlite:///{database}", solver_workers=2, max_concurrent_jobs=1
    )
    app = create_app(settings)
    if request.param == "secure_delete off":
        event.listen(app.state.engine, "connect", _secure_delete_off)
        app.state.engine.dispose()  # reconnect every pooled connection with it off
    token = add_user(app.state.sessions, Role.COUNTY_OFFICER, None)[1]
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        files = [("files", ("scenario.zip", buffer.getvalue(), "application/zip"))]
        uploaded = client.post("/api/scenarios", files=files, headers=headers)
        assert uploaded.status_code == 201, uploaded.text
        yield Running(client, database, headers, uploaded.json()["id"])


def _secure_delete_off(connection: Any, _record: Any) -> None:
    connection.execute("PRAGMA secure_delete=OFF")


def test_a_purged_case_id_is_in_no_byte_of_the_database_files(running: Running) -> None:
    assert running.job("caseload/plan", {"time_limit": 10})["status"] == "succeeded"
    rebalanced = running.job("caseload/rebalance", {"time_limit": 10, "agreements": [NEW_CASE]})
    assert rebalanced["status"] == "succeeded", rebalanced
    with running.client.app.state.sessions.begin() as session:  # type: ignore[attr-defined]
        # A kept case's broken promise names the purged case that needed its time.
        session.add(
            ChangeRow(
                plan_id=rebalanced["result_id"],
                case_id=KEPT,
                district="Northdown",
                reason=f"the time was needed for {GONE}",
                kind="broken",
                needed_by=f"{GONE};{PLANNED}",
            )
        )
    cases = f"/api/scenarios/{running.scenario_id}/agreements"
    # A measure and the written agreement's text are the case's too.
    measure = {
        "case_id": PLANNED,
        "date": "2025-11-10",
        "kind": "entry",
        "measure": "m",
        "value": 1,
    }
    reviews = f"/api/scenarios/{running.scenario_id}/reviews"
    recorded = running.client.post(reviews, json=measure, headers=running.headers)
    assert recorded.status_code == 201, recorded.text
    details = running.client.put(
        f"{reviews}/details/{PLANNED}", json={"support": "weekly"}, headers=running.headers
    )
    assert details.status_code == 200, details.text
    for case in (PLANNED, GONE):
        closed = running.client.post(
            f"{cases}/{case}/close", json={"closed_on": "2025-12-01"}, headers=running.headers
        )
        assert closed.status_code == 200, closed.text
    before = b"".join(running.files().values())
    assert PLANNED.encode() in before and GONE.encode() in before  # the scan can see them

    url = f"sqlite:///{running.database}"
    done = CliRunner().invoke(
        service_app, ["purge", "--finished-before", "2026-01-01", "--database-url", url]
    )
    assert done.exit_code == 0, done.output
    assert "Deleted 2 case(s)" in done.output and "warning" not in done.output

    for name, content in running.files().items():
        for case in (PLANNED, GONE):
            assert case.encode() not in content, f"{case} is still in {name}"
    assert running.files().get("lift.db-wal", b"") == b""  # emptied into the rebuilt file

    log = running.client.get("/api/audit", params={"limit": 500}, headers=running.headers).json()
    assert not [entry for entry in log if PLANNED in str(entry) or GONE in str(entry)]
    rebalance = next(e for e in log if e["action"] == "caseload.rebalance")
    (label,) = rebalance["detail"]["new_agreements"]
    assert label.startswith("purged-") and label != "purged-"
    created = [e for e in log if e["action"] == "agreement.create"]
    assert [(e["entity_id"], e["detail"]) for e in created] == [(label, {"purged": True})]
    assert running.client.get(f"{cases}/{KEPT}", headers=running.headers).status_code == 200
    caseload = running.client.get(
        f"/api/scenarios/{running.scenario_id}/caseload", headers=running.headers
    )
    assert caseload.status_code == 200 and PLANNED not in caseload.text


def test_redaction_replaces_whole_case_ids_only() -> None:
    redaction = Redaction(["T-1", "A.B"])
    one, dotted = redaction.labels["T-1"], redaction.labels["A.B"]
    assert redaction.text("moved T-1, kept T-10 and XT-1; A.B. then A.BC") == (
        f"moved {one}, kept T-10 and XT-1; {dotted}. then A.BC"
    )
    assert redaction.json({"T-1": ["T-1", 3, None, {"x": "A.B"}]}) == {
        one: [one, 3, None, {"x": dotted}]
    }
    assert one != dotted and Redaction(["T-1"]).labels["T-1"] != one  # random, not derived
    assert Redaction([]).text("T-1") == "T-1"


def test_the_sqlite_files_are_created_owner_only(tmp_path: Path) -> None:
    database = tmp_path / "new.db"
    previous = os.umask(0o022)  # the usual umask, which made the file world-readable
    try:
        engine = make_engine(f"sqlite:///{database}")
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x TEXT)"))
            connection.execute(text("INSERT INTO t VALUES ('a')"))
            modes = {
                path.name: stat.S_IMODE(path.stat().st_mode)
                for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm"))
            }
        engine.dispose()
    finally:
        os.umask(previous)
    assert modes == {"new.db": 0o600, "new.db-wal": 0o600, "new.db-shm": 0o600}


def test_an_existing_world_readable_database_is_made_owner_only(tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    sqlite3.connect(database).close()
    database.chmod(0o644)
    make_engine(f"sqlite:///{database}").dispose()
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


def test_a_busy_database_is_reported_not_claimed_clean(tmp_path: Path) -> None:
    database = tmp_path / "busy.db"
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE t (x TEXT)")
    reader = sqlite3.connect(database, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM t").fetchall()  # holds a snapshot the log cannot drop
    writer.execute("INSERT INTO t VALUES ('secret')")
    engine = create_engine(f"sqlite:///{database}", connect_args={"timeout": 0})
    assert forget_deleted(engine) is False
    reader.execute("COMMIT")
    assert forget_deleted(engine) is True
    assert Path(f"{database}-wal").stat().st_size == 0
    engine.dispose()
    reader.close()
    writer.close()
