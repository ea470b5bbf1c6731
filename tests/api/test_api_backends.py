"""Both storage backends: the migrations on SQLite and PostgreSQL, and the test fixture that picks them."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Integer,
    String,
    Text,
    column,
    func,
    insert,
    inspect,
    select,
    table,
    text,
)

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

pytestmark = pytest.mark.both_backends


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


def test_a_database_made_at_0003_keeps_what_it_uses(database: Database, tmp_path: Path) -> None:
    """0004 accepts the newest plan and rota of each district, so what is in use stays in use."""
    url = database.url(tmp_path)
    command.upgrade(alembic_config(url), "0003")
    engine = make_engine(url)
    now = datetime(2025, 11, 1, 9, 0)
    scenarios = table(
        "scenarios",
        column("id", Integer),
        column("name", String),
        column("academic_year", String),
        column("districts", JSON),
        column("content", JSON),
        column("notes", JSON),
        column("created_at", DateTime),
    )
    plans = table(
        "plans",
        column("id", Integer),
        column("scenario_id", Integer),
        column("kind", String),
        column("districts", JSON),
        column("summary", JSON),
        column("created_at", DateTime),
    )
    changes = table(
        "changes",
        column("id", Integer),
        column("plan_id", Integer),
        column("case_id", String),
        column("district", String),
        column("before_person", String),
        column("after_person", String),
        column("before_start", Date),
        column("after_start", Date),
        column("reason", Text),
    )
    rotas = table(
        "rotas",
        column("id", Integer),
        column("scenario_id", Integer),
        column("districts", JSON),
        column("summary", JSON),
        column("created_at", DateTime),
    )
    meetings = table(
        "meetings",
        *(column(c, String) for c in ("district", "group", "weekday", "start", "end", "venue")),
        *(column(c, String) for c in ("slot", "attendees")),
        column("id", Integer),
        column("rota_id", Integer),
        column("half_term", Integer),
        column("date", Date),
        column("week", Integer),
    )
    with engine.begin() as connection:
        connection.execute(
            insert(scenarios),
            [
                {
                    "id": 1,
                    "name": "Old",
                    "academic_year": "2025-26",
                    "districts": ["North", "South"],
                    "content": {},
                    "notes": [],
                    "created_at": now,
                }
            ],
        )
        connection.execute(
            insert(plans),
            [
                {
                    "id": i,
                    "scenario_id": 1,
                    "kind": kind,
                    "districts": covered,
                    "summary": {},
                    "created_at": now,
                }
                for i, kind, covered in ((1, "import", ["North", "South"]), (2, "plan", ["North"]))
            ],
        )
        early, late = date(2025, 11, 10), date(2025, 11, 3)
        connection.execute(
            insert(changes),
            [
                {
                    "id": 1,
                    "plan_id": 2,
                    "case_id": "C-1",
                    "district": "North",
                    "before_person": None,
                    "after_person": "P1",
                    "before_start": None,
                    "after_start": early,
                    "reason": "new agreement",
                },
                {
                    "id": 2,
                    "plan_id": 2,
                    "case_id": "C-2",
                    "district": "North",
                    "before_person": "P1",
                    "after_person": "P1",
                    "before_start": early,
                    "after_start": late,
                    "reason": "sooner",
                },
            ],
        )
        connection.execute(
            insert(rotas),
            [
                {"id": r, "scenario_id": 1, "districts": ["North", "South"], "summary": {}}
                | {"created_at": now}
                for r in (1, 2)
            ],
        )
        connection.execute(
            insert(meetings),
            [
                {
                    "id": i,
                    "rota_id": rota,
                    "district": district,
                    "group": "G",
                    "weekday": "Monday",
                    "start": "09:30",
                    "end": "11:00",
                    "venue": "V",
                    "slot": "S",
                    "attendees": "",
                    "half_term": 1,
                    "date": date(2025, 9, 8),
                    "week": 2,
                }
                for i, (rota, district) in enumerate(((1, "North"), (1, "South"), (2, "North")), 1)
            ],
        )
    upgrade(engine)
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT job, district, source_id, action FROM decisions ORDER BY job, district")
        ).all()
        kinds = connection.execute(text("SELECT kind FROM changes ORDER BY id")).scalars().all()
        sequences = connection.execute(text("SELECT sequence FROM meetings")).scalars().all()
    engine.dispose()
    assert [tuple(r) for r in found] == [
        ("caseload", "North", 2, "accept"),
        ("caseload", "South", 1, "accept"),
        ("rota", "North", 2, "accept"),
        ("rota", "South", 1, "accept"),
    ]
    assert kinds == ["new", "earlier"] and set(sequences) == {0}
    assert _differences(url) == []
