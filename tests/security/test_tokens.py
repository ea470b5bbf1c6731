"""Tokens: they expire, can be revoked at once, are listed without secrets, are given only for
districts that exist, and the first officer's token goes to an owner-only file, never to a log."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from api.admin import add_user, first_officer, open_database
from api.cli import service_app
from api.db.engine import make_engine
from api.db.migrate import alembic_config
from api.db.models import ScenarioRow, User, utcnow
from api.main import create_app
from api.security import Role, TokenRefused, authenticate, hash_token
from api.settings import DEFAULT_TOKEN_DAYS, Settings

TOKEN = re.compile(r"lift_[A-Za-z0-9_\-]{40,}")
DISTRICTS = ("Northdown", "Southfield")


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A migrated SQLite database holding one scenario with two districts."""
    database = f"sqlite:///{tmp_path / 'tokens.db'}"
    engine, sessions = open_database(Settings(database_url=database))
    with sessions() as session:
        session.add(
            ScenarioRow(name="t", academic_year="2025-26", districts=list(DISTRICTS), content={})
        )
        session.commit()
    engine.dispose()
    return database


@pytest.fixture
def client(url: str) -> Iterator[TestClient]:
    """The service over that database."""
    with TestClient(create_app(Settings(database_url=url))) as test_client:
        yield test_client


def lift(url: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run `lift ARGS` on the database at `url`; its exit code and output."""
    result = CliRunner().invoke(service_app, [*args, "--database-url", url], env=env)
    return result.exit_code, result.output


def me(client: TestClient, token: str) -> tuple[int, str]:
    """GET /api/me with `token`: status and the error detail (or the role)."""
    response = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    body = response.json()
    return response.status_code, str(body.get("detail", body.get("role")))


def users(url: str) -> list[User]:
    """Every stored user."""
    engine, sessions = open_database(Settings(database_url=url))
    with sessions() as session:
        found = list(session.scalars(select(User).order_by(User.id)))
    engine.dispose()
    return found


def added(url: str, *args: str) -> str:
    """The token `lift user add ARGS` printed."""
    code, output = lift(url, "user", "add", *args)
    assert code == 0, output
    token = TOKEN.search(output)
    assert token is not None, output
    return token.group(0)


def test_a_revoked_token_answers_401_at_once_by_id_or_by_name(url: str, client: TestClient) -> None:
    first = added(url, "--role", "district_coordinator", "--district", "Northdown")
    second = added(url, "--role", "viewer", "--name", "finance")
    assert me(client, first) == (200, "district_coordinator")
    assert me(client, second) == (200, "viewer")
    code, output = lift(url, "user", "revoke", "1")
    assert code == 0 and "Revoked user 1" in output, output
    status, detail = me(client, first)
    assert status == 401 and "revoked" in detail
    code, output = lift(url, "user", "revoke", "finance")
    assert code == 0 and "Revoked user 2" in output, output
    assert me(client, second)[0] == 401
    again = lift(url, "user", "revoke", "1")
    assert again[0] == 0 and "already revoked" in again[1]
    assert [u.revoked_at is not None and not u.active for u in users(url)] == [True, True]


def test_revoke_names_no_user_or_several_plainly(url: str) -> None:
    added(url, "--role", "viewer", "--name", "twin")
    added(url, "--role", "viewer", "--name", "twin")
    code, output = lift(url, "user", "revoke", "twin")
    assert code == 2 and "ids 1, 2" in output and "give the id" in output
    code, output = lift(url, "user", "revoke", "99")
    assert code == 2 and "no user has the id '99'" in output
    assert code == 2 and "Traceback" not in output
    assert all(u.active for u in users(url))


def test_an_expired_token_answers_401_with_a_plain_message(url: str, client: TestClient) -> None:
    engine, sessions = open_database(Settings(database_url=url))
    user, token = add_user(sessions, Role.COUNTY_OFFICER, None, days=1)
    assert me(client, token)[0] == 200
    with sessions() as session:
        row = session.get(User, user.id)
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.commit()
        expires = row.expires_at
        assert authenticate(session, token, expires - timedelta(seconds=1)).id == user.id
        with pytest.raises(TokenRefused, match="expired"):
            authenticate(session, token, expires)
    engine.dispose()
    status, detail = me(client, token)
    assert status == 401
    assert detail.startswith(f"this token expired on {expires:%Y-%m-%d}") and "new one" in detail
    assert me(client, "lift_not-a-real-token") == (401, "a valid bearer token is required")


def test_token_lifetime_comes_from_days_then_the_setting_then_90_days(url: str) -> None:
    added(url, "--role", "county_officer", "--days", "7")
    added(url, "--role", "county_officer")
    code, output = lift(url, "user", "add", "--role", "viewer", env={"LIFT_TOKEN_DAYS": "3"})
    assert code == 0, output
    lifetimes = [u.expires_at - u.created_at for u in users(url)]
    assert lifetimes == [timedelta(days=7), timedelta(days=DEFAULT_TOKEN_DAYS), timedelta(days=3)]
    assert DEFAULT_TOKEN_DAYS == 90
    code, output = lift(url, "user", "add", "--role", "viewer", "--days", "0")
    assert code == 2 and len(users(url)) == 3


def test_user_list_shows_each_state_and_never_a_token_or_its_hash(
    url: str, client: TestClient
) -> None:
    used = added(url, "--role", "district_coordinator", "--district", "Southfield")
    gone = added(url, "--role", "viewer", "--name", "leaver")
    old = added(url, "--role", "county_officer", "--days", "1")
    assert me(client, used)[0] == 200
    lift(url, "user", "revoke", "leaver")
    engine, sessions = open_database(Settings(database_url=url))
    with sessions() as session:
        session.execute(
            text("UPDATE users SET expires_at = '2020-01-01 00:00:00', name = :name WHERE id = 3"),
            {"name": "old\x1b[2J"},  # a control sequence stored before names were checked
        )
        session.commit()
    engine.dispose()
    code, output = lift(url, "user", "list")
    assert code == 0, output
    lines = output.strip().splitlines()
    assert lines[0].split()[:5] == ["id", "role", "district", "name", "state"]
    assert "last used" in lines[0]
    coordinator, viewer, officer = lines[1:]
    assert coordinator.split()[:3] == ["1", "district_coordinator", "Southfield"]
    assert "active" in coordinator and coordinator.count("UTC") == 3  # created, expires, used
    assert "revoked" in viewer and "leaver" in viewer and viewer.count("UTC") == 3
    assert "expired" in officer and "2020-01-01 00:00 UTC" in officer
    assert "old?[2J" in officer and "\x1b" not in output
    for token in (used, gone, old):
        assert token not in output and hash_token(token) not in output
    assert TOKEN.search(output) is None and not re.search(r"[0-9a-f]{64}", output)


def test_last_use_is_written_at_most_once_an_hour(url: str, client: TestClient) -> None:
    token = added(url, "--role", "county_officer")
    assert users(url)[0].last_used_at is None
    me(client, token)
    first = users(url)[0].last_used_at
    assert first is not None
    me(client, token)
    assert users(url)[0].last_used_at == first


@pytest.mark.parametrize("role", ["district_coordinator", "viewer"])
def test_user_add_refuses_a_district_no_scenario_has_and_lists_them(url: str, role: str) -> None:
    code, output = lift(url, "user", "add", "--role", role, "--district", "Swale")
    assert code == 2
    assert "'Swale'" in output and "Northdown, Southfield" in output
    assert "Traceback" not in output and users(url) == []


def test_user_add_refuses_a_coordinator_without_a_district_and_an_officer_with_one(
    url: str,
) -> None:
    code, output = lift(url, "user", "add", "--role", "district_coordinator")
    assert code == 2 and "needs --district" in output
    code, output = lift(url, "user", "add", "--role", "county_officer", "--district", "Northdown")
    assert code == 2 and "give no --district" in output
    code, output = lift(url, "user", "add", "--role", "viewer", "--name", "a\x1b[2Jb")
    assert code == 2 and "control characters" in output
    assert users(url) == []


def test_user_add_before_any_scenario_says_why_a_district_cannot_be_checked(
    tmp_path: Path,
) -> None:
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    code, output = lift(empty, "user", "add", "--role", "viewer", "--district", "Northdown")
    assert code == 2 and "no scenario is stored yet" in output
    assert lift(empty, "user", "add", "--role", "county_officer")[0] == 0


def test_user_add_token_file_is_owner_only_and_never_overwritten(
    url: str, tmp_path: Path, client: TestClient
) -> None:
    target = tmp_path / "coordinator.token"
    previous = os.umask(0)  # the mode must not depend on a careless umask
    try:
        code, output = lift(url, "user", "add", "--role", "viewer", "--token-file", str(target))
    finally:
        os.umask(previous)
    assert code == 0 and str(target) in output, output
    assert TOKEN.search(output) is None
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    token = target.read_text().strip()
    assert me(client, token) == (200, "viewer")
    code, output = lift(url, "user", "add", "--role", "viewer", "--token-file", str(target))
    assert code == 2 and "already exists" in output
    link = tmp_path / "link.token"
    link.symlink_to(tmp_path / "elsewhere")
    code, output = lift(url, "user", "add", "--role", "viewer", "--token-file", str(link))
    assert code == 2 and not (tmp_path / "elsewhere").exists()
    assert target.read_text().strip() == token and len(users(url)) == 1


def test_the_first_officer_token_goes_to_an_owner_only_file_once(
    url: str, tmp_path: Path, client: TestClient
) -> None:
    engine, sessions = open_database(Settings(database_url=url))
    blocked = tmp_path / "taken.txt"
    blocked.write_text("someone else's")
    with pytest.raises(ValueError, match="already exists"):
        first_officer(sessions, blocked)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0  # retried next start
    target = tmp_path / "officer.txt"
    previous = os.umask(0)
    try:
        assert first_officer(sessions, target) == target
    finally:
        os.umask(previous)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert me(client, target.read_text().strip()) == (200, "county_officer")
    target.unlink()
    assert first_officer(sessions, target) is None and not target.exists()
    engine.dispose()


def test_the_token_file_is_beside_the_sqlite_database_unless_set(tmp_path: Path) -> None:
    beside = Settings(database_url=f"sqlite:///{tmp_path / 'x' / 'lift.db'}")
    assert beside.resolved_token_file() == tmp_path / "x" / "lift-officer-token.txt"
    chosen = Settings(database_url="sqlite://", token_file=str(tmp_path / "t"))
    assert chosen.resolved_token_file() == tmp_path / "t"
    remote = Settings(database_url="postgresql+psycopg://lift@db/lift")
    assert remote.resolved_token_file() == Path.cwd() / "lift-officer-token.txt"


def test_tokens_made_before_expiry_existed_get_one_from_the_upgrade(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(database)
    config = alembic_config(database)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        for name, active in (("kept", True), ("stopped", False)):
            connection.execute(
                text(
                    "INSERT INTO users (name, role, token_hash, active, created_at) "
                    "VALUES (:name, 'viewer', :hash, :active, '2025-01-01 00:00:00')"
                ),
                {"name": name, "hash": hash_token(f"lift_{name}"), "active": active},
            )
    engine.dispose()
    before = utcnow()
    engine, sessions = open_database(Settings(database_url=database))
    with sessions() as session:
        kept = authenticate(session, "lift_kept")
        assert kept.expires_at - before >= timedelta(days=DEFAULT_TOKEN_DAYS)
        assert kept.expires_at - before < timedelta(days=DEFAULT_TOKEN_DAYS, minutes=5)
        with pytest.raises(TokenRefused, match="revoked"):
            authenticate(session, "lift_stopped")
    engine.dispose()
