"""Fixtures for the service tests (plain helpers live in tests/builders/service.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from allocator.io import write_scenario
from allocator.model import Scenario
from tests.api.accept import accept
from tests.builders.service import (
    BACKENDS,
    Database,
    Service,
    copy_service,
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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests on `service`, `planned` or `database` run on SQLite; those marked `both_backends` (where
    the database matters: storage, transactions, migrations) on PostgreSQL too."""
    if "database" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("both_backends") is not None
        backends = BACKENDS if both else BACKENDS[:1]
        metafunc.parametrize("database", backends, indirect=True, scope="module")


@pytest.fixture(scope="module")
def database(request: pytest.FixtureRequest) -> Iterator[Database]:
    """The backend of this test: SQLite, or PostgreSQL for tests marked `both_backends` (skipped
    without `LIFT_TEST_DATABASE_URL`, failed without it when `CI=true`)."""
    backend = open_backend(request.param)
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def service_made(
    tmp_path_factory: pytest.TempPathFactory, tiny_zip: bytes
) -> tuple[Path, dict[str, str], int]:
    """A stopped SQLite service's folder (migrated, users of every role, the tiny county uploaded),
    its tokens and scenario id: made once, copied for each SQLite `service`."""
    folder = tmp_path_factory.mktemp("service")
    for made in make_service(folder, tiny_zip):
        tokens, scenario_id = dict(made.tokens), made.scenario_id
    return folder, tokens, scenario_id


@pytest.fixture
def service(
    tmp_path: Path,
    tiny_zip: bytes,
    database: Database,
    service_made: tuple[Path, dict[str, str], int],
) -> Iterator[Service]:
    """A fresh service, on a database of its own, for one test: on SQLite a copy of `service_made`,
    on PostgreSQL an empty schema migrated, given users and the tiny county uploaded."""
    if database.backend == "sqlite":
        made, tokens, scenario_id = service_made
        yield from copy_service(made, tmp_path, tokens, scenario_id)
    else:
        yield from make_service(tmp_path, tiny_zip, database)


def _plan(svc: Service) -> None:
    """Give `svc`'s tiny county a rota and a caseload plan accepted in both districts and a staffing
    result; their job ids go in `svc.notes`."""
    rota = accept(svc, svc.run("rota/solve", {"time_limit": 10}))
    plan = accept(svc, svc.run("caseload/plan", {"time_limit": 10}))
    staffing = svc.call("officer", "POST", f"/api/scenarios/{svc.scenario_id}/staffing", json={})
    assert staffing.status_code == 201, staffing.text
    svc.notes.update(rota_job=rota["id"], plan_job=plan["id"])


@pytest.fixture(scope="session")
def planned_made(
    tmp_path_factory: pytest.TempPathFactory, tiny_zip: bytes
) -> tuple[Path, dict[str, str], int, dict[str, Any]]:
    """`service_made` planned (see `planned`) and stopped: its folder, tokens, scenario id and notes."""
    folder = tmp_path_factory.mktemp("planned")
    for made in make_service(folder, tiny_zip):
        _plan(made)
        tokens, scenario_id, notes = dict(made.tokens), made.scenario_id, dict(made.notes)
    return folder, tokens, scenario_id, notes


@pytest.fixture(scope="module")
def planned(
    tmp_path_factory: pytest.TempPathFactory,
    tiny_zip: bytes,
    database: Database,
    planned_made: tuple[Path, dict[str, str], int, dict[str, Any]],
) -> Iterator[Service]:
    """A service whose tiny county has a rota and a caseload plan (accepted in both districts) and a
    staffing result (one per module and backend; on SQLite a copy of `planned_made`)."""
    folder = tmp_path_factory.mktemp("planned")
    if database.backend == "sqlite":
        made, tokens, scenario_id, notes = planned_made
        for svc in copy_service(made, folder, tokens, scenario_id):
            svc.notes.update(notes)
            yield svc
        return
    for svc in make_service(folder, tiny_zip, database):
        _plan(svc)
        yield svc
