"""The service's settings, read from `LIFT_*` environment variables (or given to `create_app`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.db.engine import sqlite_path

DEFAULT_DATABASE_FILE = "lift.db"
DEFAULT_TOKEN_FILE = "lift-officer-token.txt"
DEFAULT_TOKEN_DAYS = 90
"""A school term and a half: long enough not to nag, short enough that a forgotten token dies."""
MAX_TOKEN_DAYS = 3650


class Settings(BaseSettings):
    """Where the data lives and how hard the service may work."""

    model_config = SettingsConfigDict(env_prefix="LIFT_", extra="ignore", frozen=True)

    database_url: str = ""
    """Any SQLAlchemy URL; blank means SQLite in `lift.db` of the working directory."""
    max_upload_bytes: Annotated[int, Field(gt=0)] = 20 * 1024 * 1024
    """Largest request body accepted (uploads included); larger is refused with 413."""
    max_unzipped_bytes: Annotated[int, Field(gt=0)] = 100 * 1024 * 1024
    """Largest total size of an upload's files unzipped (counted as they inflate, never from headers)."""
    max_file_bytes: Annotated[int, Field(gt=0)] = 50 * 1024 * 1024
    """Largest size of one uploaded file unzipped."""
    max_zip_entries: Annotated[int, Field(ge=1, le=100_000)] = 256
    """Most entries (files and folders) an uploaded zip may hold."""
    max_concurrent_jobs: Annotated[int, Field(ge=1, le=16)] = 1
    """Solve jobs run at once; the others queue."""
    solver_workers: Annotated[int, Field(ge=1, le=64)] = 2
    default_time_limit: Annotated[float, Field(gt=0)] = 10.0
    max_time_limit: Annotated[float, Field(gt=0)] = 600.0
    job_grace_seconds: Annotated[float, Field(ge=0)] = 30.0
    """A job's worker is ended when it passes its time limit plus the larger of this and
    `job_grace_fraction` of the limit (building and checking a plan take time beyond the solve)."""
    job_grace_fraction: Annotated[float, Field(ge=0)] = 0.5
    job_memory_bytes: Annotated[int, Field(ge=0)] = 4 * 1024**3
    """Address space a job's worker may use (RLIMIT_AS); 0 leaves it unlimited."""
    load_kent: bool = False
    """Load the embedded Kent scenario when the database has no scenario yet."""
    token_days: Annotated[int, Field(ge=1, le=MAX_TOKEN_DAYS)] = DEFAULT_TOKEN_DAYS
    """How long a new token signs in before it answers 401 (days)."""
    token_file: str = ""
    """Where the first county officer's token is written (owner-only); blank: beside the SQLite
    database, or in the working directory for other databases."""

    def resolved_database_url(self) -> str:
        """The database URL, with the default SQLite file made absolute."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path.cwd() / DEFAULT_DATABASE_FILE}"

    def resolved_token_file(self) -> Path:
        """Where the first officer's token goes: `token_file`, else beside a SQLite file, else here."""
        if self.token_file:
            return Path(self.token_file).expanduser().absolute()
        database = sqlite_path(self.resolved_database_url())
        return (database.parent if database else Path.cwd()) / DEFAULT_TOKEN_FILE
