"""The app factory: settings in, a ready FastAPI app out. Nothing is built at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api import errors
from api.db.engine import make_engine, make_sessionmaker
from api.db.migrate import upgrade
from api.db.models import ScenarioRow
from api.jobs import JobManager
from api.routes import (
    agreements,
    audit,
    caseload,
    jobs,
    pages,
    rota,
    scenarios,
    staffing,
    system,
    users,
)
from api.services.caseload import CaseloadJobs
from api.services.rota import RotaJobs
from api.settings import Settings
from api.store import ScenarioCache

log = logging.getLogger("lift.api")
HERE = Path(__file__).resolve().parent

ROUTERS = (
    system.router,
    users.router,
    scenarios.router,
    agreements.router,
    rota.router,
    caseload.router,
    staffing.router,
    jobs.router,
    audit.router,
    pages.router,
)


def load_kent_if_empty(sessions: sessionmaker[Session]) -> int | None:
    """Store the embedded Kent scenario when the database has none; returns its id if loaded."""
    from allocator.io import read_scenario_with_notes
    from allocator.paths import KENT
    from api.store import save_scenario

    with sessions() as session:
        if session.scalars(select(ScenarioRow.id).limit(1)).first() is not None:
            return None
        scenario, notes = read_scenario_with_notes(KENT)
        row = save_scenario(session, scenario, notes, None)
        session.commit()
        log.info("loaded the embedded Kent scenario as scenario %s", row.id)
        return row.id


def create_app(settings: Settings | None = None) -> FastAPI:
    """A LIFT service over the database of `settings` (migrated to the newest schema on start)."""
    settings = settings or Settings()
    engine = make_engine(settings.resolved_database_url())
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    cache = ScenarioCache()
    manager = JobManager(
        sessions,
        {
            "rota": RotaJobs(cache, settings.solver_workers),
            "caseload_plan": CaseloadJobs(cache, settings.solver_workers, rebalance=False),
            "caseload_rebalance": CaseloadJobs(cache, settings.solver_workers, rebalance=True),
        },
        workers=settings.max_concurrent_jobs,
    )
    interrupted = manager.recover()
    if interrupted:
        log.info("%s job(s) interrupted by the last stop were marked failed", interrupted)
    if settings.load_kent:
        load_kent_if_empty(sessions)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        manager.shutdown()
        engine.dispose()

    app = FastAPI(
        title="LIFT allocator",
        version="0.1.0",
        summary="Meeting rota, specialist caseload and staffing for Kent's Local Inclusion Forum Teams.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.cache = cache
    app.state.jobs = manager
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    errors.install(app)
    app.add_middleware(errors.BodyLimit, limit=settings.max_upload_bytes)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    return app
