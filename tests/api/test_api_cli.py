"""`lift user add`, `lift purge` and `lift serve`, as a person would run them."""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from typer.testing import CliRunner

from api.admin import open_database
from api.cli import service_app
from api.db.models import Base, ScenarioRow
from api.settings import Settings
from tests.builders.service import NORTH_SCHOOL, Service, bearer

TOKEN = re.compile(r"lift_[A-Za-z0-9_\-]{40,}")


def store_districts(url: str, *districts: str) -> None:
    """A stored scenario with `districts` (all `lift user add` checks a district against)."""
    engine, sessions = open_database(Settings(database_url=url))
    with sessions() as session:
        session.add(
            ScenarioRow(name="t", academic_year="2025-26", districts=list(districts), content={})
        )
        session.commit()
    engine.dispose()


def test_user_add_prints_a_token_once_and_stores_only_its_hash(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store_districts(url, "Swale")
    runner = CliRunner()
    result = runner.invoke(
        service_app,
        [
            "user",
            "add",
            "--role",
            "district_coordinator",
            "--district",
            "Swale",
            "--database-url",
            url,
        ],
    )
    assert result.exit_code == 0, result.output
    token = TOKEN.search(result.output)
    assert token is not None
    assert token.group(0).encode() not in (tmp_path / "cli.db").read_bytes()
    missing = runner.invoke(
        service_app, ["user", "add", "--role", "district_coordinator", "--database-url", url]
    )
    assert missing.exit_code == 2 and "--district" in missing.output
    wrong = runner.invoke(service_app, ["user", "add", "--role", "emperor", "--database-url", url])
    assert wrong.exit_code != 0


@pytest.mark.both_backends
def test_purge_deletes_finished_cases_past_retention(service: Service) -> None:
    sid = service.scenario_id
    path = f"/api/scenarios/{sid}/agreements"
    assert service.run("caseload/plan", {"time_limit": 10})["status"] == "succeeded"
    service.call("officer", "POST", f"{path}/T-0001/close", json={"closed_on": "2025-12-01"})
    late = {
        "case_id": "T-0400",
        "school_urn": NORTH_SCHOOL,
        "need_type": "C&I",
        "sen_stage": "SEN Support",
        "consent": "yes",
        "agreed_on": "2025-10-01",
        "minutes_per_week": 30,
        "weeks": 4,
    }
    service.call("officer", "POST", path, json=late)
    service.call("officer", "POST", f"{path}/T-0400/close", json={"closed_on": "2026-02-01"})
    url = service.client.app.state.settings.database_url  # type: ignore[attr-defined]
    runner = CliRunner()
    dry = runner.invoke(
        service_app,
        ["purge", "--finished-before", "2026-01-01", "--dry-run", "--database-url", url],
    )
    assert dry.exit_code == 0 and "Would delete 1 case(s)" in dry.output
    assert service.call("officer", "GET", f"{path}/T-0001").status_code == 200
    done = runner.invoke(
        service_app, ["purge", "--finished-before", "2026-01-01", "--database-url", url]
    )
    assert done.exit_code == 0, done.output
    assert "Deleted 1 case(s)" in done.output and "1 assignment(s)" in done.output
    assert "T-0001" not in done.output
    assert service.call("officer", "GET", f"{path}/T-0001").status_code == 404
    assert service.call("officer", "GET", f"{path}/T-0400").json()["status"] == "closed"
    log = service.call("officer", "GET", "/api/audit", params={"limit": 500}).json()
    assert not [e for e in log if "T-0001" in str(e)]
    about = [e for e in log if e["entity"] == "agreement" and e["entity_id"].startswith("purged-")]
    assert {e["action"] for e in about} == {"agreement.close"}
    assert all(e["detail"] == {"purged": True} for e in about)
    assert [e["entity_id"] for e in log if e["entity_id"] == "T-0400"]
    assert log[0]["action"] == "purge"


def test_the_migrations_build_exactly_the_models(tmp_path: Path) -> None:
    engine, _ = open_database(Settings(database_url=f"sqlite:///{tmp_path / 'm.db'}"))
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        keys = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
    engine.dispose()
    assert diff == []
    assert (journal, keys) == ("wal", 1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(folder: Path, port: int) -> subprocess.Popen[str]:
    code = "from api.cli import service_app; service_app()"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFT_")}
    return subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _until_up(process: subprocess.Popen[str], port: int) -> str:
    lines: list[str] = []
    deadline = time.monotonic() + 90
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if "Uvicorn running" in line or "Application startup complete" in line:
            return "".join(lines)
        if process.poll() is not None:
            break
    raise AssertionError("lift serve did not start:\n" + "".join(lines))


@pytest.mark.slow
def test_serve_loads_kent_writes_an_officer_token_to_a_private_file_and_keeps_data(
    tmp_path: Path,
) -> None:
    port = _free_port()
    first = _serve(tmp_path, port)
    try:
        output = _until_up(first, port)
        written = tmp_path / "lift-officer-token.txt"
        assert TOKEN.search(output) is None, output
        assert str(written) in output
        assert stat.S_IMODE(written.stat().st_mode) == 0o600
        token = TOKEN.fullmatch(written.read_text().strip())
        assert token is not None
        base = f"http://127.0.0.1:{port}"
        page = httpx.get(base + "/")
        assert page.status_code == 200 and "Sign in" in page.text
        scenarios = httpx.get(base + "/api/scenarios", headers=bearer(token.group(0))).json()
        assert [(s["name"], s["academic_year"]) for s in scenarios] == [("Kent", "2025-26")]
        made = httpx.post(
            f"{base}/api/scenarios/{scenarios[0]['id']}/staffing",
            json={},
            headers=bearer(token.group(0)),
        )
        assert made.status_code == 201
    finally:
        first.terminate()
        first.wait(30)
    assert stat.S_IMODE((tmp_path / "lift.db").stat().st_mode) == 0o600
    written.unlink()
    second = _serve(tmp_path, port)
    try:
        output = _until_up(second, port)
        assert TOKEN.search(output) is None and not written.exists()
        again = httpx.get(
            f"{base}/api/scenarios/{scenarios[0]['id']}/staffing", headers=bearer(token.group(0))
        )
        assert again.status_code == 200 and again.json()["id"] == made.json()["id"]
        assert len(httpx.get(base + "/api/scenarios", headers=bearer(token.group(0))).json()) == 1
    finally:
        second.terminate()
        second.wait(30)
