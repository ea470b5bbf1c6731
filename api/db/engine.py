"""The engine and session factory: SQLite (WAL, foreign keys on) by default, any SQLAlchemy URL by setting."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

POOL_SIZE = 10
MAX_OVERFLOW = 40
"""Enough connections for every worker thread of the server (40) and the job threads."""


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite connections get WAL, foreign keys and a busy timeout."""
    if not url.startswith("sqlite"):
        return create_engine(
            url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW
        )
    database = sqlite_path(url)
    if database is not None:
        make_private(database)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=POOL_SIZE,
        max_overflow=MAX_OVERFLOW,
    )

    @event.listens_for(engine, "connect")
    def _pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA secure_delete=ON")  # deleted rows are zeroed, not left in free pages
        cursor.close()

    return engine


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for other databases, in-memory and `file:` URI ones."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:") or parsed.query.get("uri"):
        return None
    return Path(database).absolute()


PRIVATE = 0o600


def make_private(database: Path) -> None:
    """Create the SQLite file owner-only (0600; SQLite gives its -wal and -shm the same mode), or
    take group and world access away from an existing one and its -wal and -shm."""
    try:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE))
    except FileExistsError:
        pass
    except OSError:
        return  # a missing or read-only folder: SQLite reports it in its own words
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        try:
            if path.stat().st_mode & 0o077:
                path.chmod(PRIVATE)
        except OSError:  # absent, or owned by someone else: SQLite opens it as it is
            continue


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (responses are built after the commit)."""
    return sessionmaker(engine, expire_on_commit=False)
