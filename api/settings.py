"""The service's settings, read from `LIFT_*` environment variables (or given to `create_app`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_FILE = "lift.db"


class Settings(BaseSettings):
    """Where the data lives and how hard the service may work."""

    model_config = SettingsConfigDict(env_prefix="LIFT_", extra="ignore", frozen=True)

    database_url: str = ""
    """Any SQLAlchemy URL; blank means SQLite in `lift.db` of the working directory."""
    max_upload_bytes: Annotated[int, Field(gt=0)] = 20 * 1024 * 1024
    """Largest request body accepted (uploads included); larger is refused with 413."""
    max_unzipped_bytes: Annotated[int, Field(gt=0)] = 200 * 1024 * 1024
    """Largest total size of the files inside an uploaded zip."""
    max_concurrent_jobs: Annotated[int, Field(ge=1, le=16)] = 1
    """Solve jobs run at once; the others queue."""
    solver_workers: Annotated[int, Field(ge=1, le=64)] = 2
    default_time_limit: Annotated[float, Field(gt=0)] = 10.0
    max_time_limit: Annotated[float, Field(gt=0)] = 600.0
    load_kent: bool = False
    """Load the embedded Kent scenario when the database has no scenario yet."""

    def resolved_database_url(self) -> str:
        """The database URL, with the default SQLite file made absolute."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path.cwd() / DEFAULT_DATABASE_FILE}"
