"""Both storage backends: the migrations on SQLite and PostgreSQL, and the test fixture that picks them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select

from api.db.engine import make_engine
from api.db.migrate import alembic_config, upgrade
from api.db.models import Base, ScenarioRow
from tests.builders.folders import set_cell
from tests.builders.service import (
    TEST_DATABASE_ENV,
    Database,
    Service,
    make_service,
    postgresql_url,
    zip_folder,
)


def _differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))
    finally:
        engine.dispose()


def test_the_migrations_build_exactly_the_models_and_go_down_and_up_again(
    database: Database, tmp_path: Path
) -> None:
    url = database.url(tmp_path)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    assert _differences(url) == []
    command.downgrade(alembic_config(url), "base")
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    engine.dispose()
    assert _differences(url) == []


def test_the_service_runs_on_the_backend_it_was_given(service: Service, database: Database) -> None:
    engine = service.client.app.state.engine  # type: ignore[attr-defined]
    assert engine.dialect.name == database.backend
    with service.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        assert session.scalar(select(func.count()).select_from(ScenarioRow)) == 1


def test_each_service_starts_on_an_empty_database(
    database: Database, tmp_path: Path, tiny_zip: bytes
) -> None:
    for first in make_service(tmp_path / "a", tiny_zip, database):
        assert first.upload(tiny_zip).status_code == 201
        assert len(first.call("officer", "GET", "/api/scenarios").json()) == 2
    for second in make_service(tmp_path / "b", tiny_zip, database):
        assert len(second.call("officer", "GET", "/api/scenarios").json()) == 1


def test_without_a_test_database_postgresql_skips_but_fails_under_ci() -> None:
    with pytest.raises(pytest.skip.Exception, match=TEST_DATABASE_ENV):
        postgresql_url({})
    with pytest.raises(pytest.fail.Exception, match="CI must test PostgreSQL"):
        postgresql_url({"CI": "true"})
    with pytest.raises(pytest.fail.Exception, match="postgresql"):
        postgresql_url({TEST_DATABASE_ENV: "sqlite:///lift.db"})
    url = "postgresql+psycopg://lift:secret@/lift?host=/tmp/pg"
    assert postgresql_url({TEST_DATABASE_ENV: url, "CI": "true"}) == url


def test_the_longest_values_the_scenario_format_allows_are_stored_on_every_backend(
    database: Database, tmp_path: Path, tiny_folder: Path, tiny_zip: bytes
) -> None:
    folder = tmp_path / "wide"
    shutil.copytree(tiny_folder, folder)
    reason = "r" * 1000
    set_cell(folder, "agreements.csv", 3, "consent", f"exception: {reason}")
    toml = folder / "scenario.toml"
    toml.write_text(toml.read_text().replace('name = "Tiny"', f'name = "{"N" * 200}"'))
    for svc in make_service(tmp_path / "service", tiny_zip, database):
        response = svc.upload(zip_folder(folder))
        assert response.status_code == 201, response.text
        sid = response.json()["id"]
        case = svc.call("officer", "GET", f"/api/scenarios/{sid}/agreements/T-0002").json()
        assert case["consent"] == f"exception: {reason}"
