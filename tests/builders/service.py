"""Helpers for the service tests: an app on a temporary SQLite file or a fresh PostgreSQL schema, users
of every role, the tiny county."""

from __future__ import annotations

import io
import os
import shutil
import time
import uuid
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from api.admin import add_user
from api.main import create_app
from api.security import Role
from api.settings import Settings

NORTH = "Northdown"
SOUTH = "Southfield"
NORTH_SCHOOL = 100001
SOUTH_SCHOOL = 100003


TEST_DATABASE_ENV = "LIFT_TEST_DATABASE_URL"
"""The PostgreSQL database the tests may use (`.ci/run` starts one and sets it); each test service gets
a schema of its own there, dropped afterwards."""
BACKENDS = ("sqlite", "postgresql")


def postgresql_url(environ: Mapping[str, str] = os.environ) -> str:
    """The test PostgreSQL URL; without one the PostgreSQL tests skip, or fail when `CI=true`."""
    url = environ.get(TEST_DATABASE_ENV, "").strip()
    if url:
        parsed = make_url(url)
        if parsed.get_backend_name() != "postgresql":
            shown = parsed.render_as_string(hide_password=True)
            pytest.fail(f"{TEST_DATABASE_ENV} must be a postgresql+psycopg:// URL, not {shown!r}")
        return url
    reason = (
        f"{TEST_DATABASE_ENV} is not set: no PostgreSQL to test against "
        "(`bash .ci/run` starts one; see docs/service.md)"
    )
    if environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI must test PostgreSQL too", pytrace=False)
    pytest.skip(reason)


class Database:
    """Where test services keep their data: a SQLite file in the test's folder, or a fresh schema
    (made on demand, dropped by `close`) in the PostgreSQL database of `LIFT_TEST_DATABASE_URL`."""

    def __init__(self, backend: str, server_url: str | None = None) -> None:
        self.backend = backend
        self.server_url = server_url
        self.schemas: list[str] = []
        self._admin: Engine | None = None

    def url(self, folder: Path) -> str:
        """A database URL for a new service in `folder`: empty, migrated by the service on start."""
        if self.backend == "sqlite":
            folder.mkdir(parents=True, exist_ok=True)
            return f"sqlite:///{folder / 'lift.db'}"
        assert self.server_url is not None
        schema = f"lift_test_{uuid.uuid4().hex[:16]}"
        if self._admin is None:
            self._admin = create_engine(self.server_url, poolclass=NullPool)
        with self._admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        self.schemas.append(schema)
        url = make_url(self.server_url).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    def close(self) -> None:
        """Drop the schemas this made (a service still connected to one makes this wait, then fail)."""
        if self._admin is None:
            return
        # One transaction per schema: dropping many at once can need more locks than the server's
        # lock table holds ("out of shared memory").
        for schema in self.schemas:
            with self._admin.begin() as connection:
                connection.execute(text("SET LOCAL lock_timeout = '20s'"))
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        self.schemas.clear()
        self._admin.dispose()
        self._admin = None


SQLITE = Database("sqlite")


def open_backend(backend: str) -> Database:
    """The `Database` of a backend name; PostgreSQL needs `LIFT_TEST_DATABASE_URL` (else skip or fail)."""
    if backend == "sqlite":
        return Database("sqlite")
    return Database(backend, postgresql_url())


def settings_for(folder: Path, **more: Any) -> Settings:
    """Settings of a test service on a SQLite file in `folder`."""
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{folder / 'lift.db'}",
        "solver_workers": 2,
        "max_concurrent_jobs": 1,
        "max_time_limit": 60.0,
    }
    values.update(more)
    return Settings(**values)


def zip_folder(folder: Path, inside: str = "scenario") -> bytes:
    """A scenario folder as zip bytes (files under one folder, as a person would zip it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"{inside}/{path.name}")
    return buffer.getvalue()


def bearer(token: str) -> dict[str, str]:
    """An Authorization header."""
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Service:
    """A running test service: its client, a token per role, and the tiny county's scenario id."""

    client: TestClient
    tokens: dict[str, str]
    scenario_id: int = 0
    notes: dict[str, Any] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        """Headers of a role ("anonymous" has none; "wrong" a made-up token)."""
        if role == "anonymous":
            return {}
        if role == "wrong":
            return bearer("lift_not-a-real-token")
        return bearer(self.tokens[role])

    def call(self, role: str, method: str, path: str, **kwargs: Any) -> Any:
        """A request as `role`."""
        return self.client.request(method, path, headers=self.headers(role), **kwargs)

    def upload(self, data: bytes, role: str = "officer") -> Any:
        """Upload a zip as `role`."""
        files = [("files", ("scenario.zip", data, "application/zip"))]
        return self.call(role, "POST", "/api/scenarios", files=files)

    def wait(self, job_id: str, role: str = "officer", timeout: float = 180.0) -> dict[str, Any]:
        """Poll a job until it finishes; returns its last state."""
        deadline = time.monotonic() + timeout
        while True:
            job: dict[str, Any] = self.call(role, "GET", f"/api/jobs/{job_id}").json()
            if job["status"] not in ("queued", "running") or time.monotonic() > deadline:
                return job
            time.sleep(0.1)

    def run(self, path: str, body: dict[str, Any], role: str = "officer") -> dict[str, Any]:
        """Start a job on the tiny scenario and wait for it."""
        response = self.call(role, "POST", f"/api/scenarios/{self.scenario_id}/{path}", json=body)
        assert response.status_code == 202, response.text
        return self.wait(response.json()["id"], role)


def copy_service(
    made: Path, folder: Path, tokens: Mapping[str, str], scenario_id: int
) -> Iterator[Service]:
    """A service on a copy, in `folder`, of the SQLite database a stopped `make_service` left in
    `made` (its users' `tokens`, the tiny county as `scenario_id`): the same start, made once."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in made.glob("lift.db*"):
        shutil.copyfile(path, folder / path.name)
    with TestClient(create_app(settings_for(folder))) as client:
        yield Service(client=client, tokens=dict(tokens), scenario_id=scenario_id)


def make_service(
    folder: Path, tiny_zip: bytes, database: Database = SQLITE, **settings: Any
) -> Iterator[Service]:
    """A service with users of every role and the tiny county uploaded, on a fresh database of
    `database` (or on `database_url` when given)."""
    if "database_url" not in settings:
        settings["database_url"] = database.url(folder)
    app = create_app(settings_for(folder, **settings))
    sessions = app.state.sessions
    tokens = {
        "officer": add_user(sessions, Role.COUNTY_OFFICER, None)[1],
        "coordinator": add_user(sessions, Role.DISTRICT_COORDINATOR, NORTH)[1],
        "south_coordinator": add_user(sessions, Role.DISTRICT_COORDINATOR, SOUTH)[1],
        "viewer": add_user(sessions, Role.VIEWER, None)[1],
        "north_viewer": add_user(sessions, Role.VIEWER, NORTH)[1],
    }
    with TestClient(app) as client:
        service = Service(client=client, tokens=tokens)
        response = service.upload(tiny_zip)
        assert response.status_code == 201, response.text
        service.scenario_id = response.json()["id"]
        yield service
