"""Fixtures for the service tests (plain helpers live in tests/builders/service.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from allocator.io import write_scenario
from allocator.model import Scenario
from tests.api.accept import accept
from tests.builders.service import (
    BACKENDS,
    Database,
    Service,
    make_service,
    open_backend,
    zip_folder,
)


@pytest.fixture(scope="session")
def tiny_folder(tiny_scenario: Scenario, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny county written as a scenario folder."""
    folder = tmp_path_factory.mktemp("tiny") / "tiny"
    write_scenario(tiny_scenario, folder)
    return folder


@pytest.fixture(scope="session")
def tiny_zip(tiny_folder: Path) -> bytes:
    """The tiny county's folder zipped."""
    return zip_folder(tiny_folder)


@pytest.fixture(scope="module", params=BACKENDS)
def database(request: pytest.FixtureRequest) -> Iterator[Database]:
    """Each backend in turn: every test using `service` or `planned` (or this) runs on SQLite and on
    PostgreSQL (skipped without `LIFT_TEST_DATABASE_URL`, failed without it when `CI=true`)."""
    backend = open_backend(request.param)
    yield backend
    backend.close()


@pytest.fixture
def service(tmp_path: Path, tiny_zip: bytes, database: Database) -> Iterator[Service]:
    """A fresh service, on an empty database of its own, for one test."""
    yield from make_service(tmp_path, tiny_zip, database)


@pytest.fixture(scope="module")
def planned(
    tmp_path_factory: pytest.TempPathFactory, tiny_zip: bytes, database: Database
) -> Iterator[Service]:
    """A service whose tiny county has a rota and a caseload plan (accepted in both districts) and a
    staffing result (one per module and backend)."""
    for svc in make_service(tmp_path_factory.mktemp("planned"), tiny_zip, database):
        rota = accept(svc, svc.run("rota/solve", {"time_limit": 10}))
        plan = accept(svc, svc.run("caseload/plan", {"time_limit": 10}))
        staffing = svc.call(
            "officer", "POST", f"/api/scenarios/{svc.scenario_id}/staffing", json={}
        )
        assert staffing.status_code == 201, staffing.text
        svc.notes.update(rota_job=rota["id"], plan_job=plan["id"])
        yield svc
