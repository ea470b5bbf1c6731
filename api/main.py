"""The app factory: settings in, a ready FastAPI app out. Nothing is built at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

from allocator.io import read_scenario_with_notes
from allocator.paths import KENT
from api import errors
from api.db.engine import make_engine, make_sessionmaker
from api.db.migrate import upgrade
from api.db.models import ScenarioRow
from api.headers import DOCS_ASSETS, DOCS_PATH, SecurityHeaders
from api.jobs import JobLimits, JobManager
from api.routes import (
    agreements,
    audit,
    caseload,
    jobs,
    pages,
    reports,
    requests,
    reviews,
    rota,
    scenarios,
    simulation,
    staffing,
    system,
    users,
)
from api.services.caseload import CaseloadJobs
from api.services.rota import RotaJobs
from api.services.simulation import SimulationJobs
from api.settings import Settings
from api.store import ScenarioCache, save_scenario

log = logging.getLogger("lift.api")
HERE = Path(__file__).resolve().parent

ROUTERS = (
    system.router,
    users.router,
    scenarios.router,
    agreements.router,
    requests.router,
    reviews.router,
    reports.router,
    rota.router,
    caseload.router,
    staffing.router,
    simulation.router,
    jobs.router,
    audit.router,
    pages.router,
)


def load_kent_if_empty(sessions: sessionmaker[Session]) -> int | None:
    """Store the embedded Kent scenario when the database has none; returns its id if loaded."""
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
            "simulation": SimulationJobs(cache, settings.solver_workers),
        },
        workers=settings.max_concurrent_jobs,
        limits=JobLimits(
            grace_seconds=settings.job_grace_seconds,
            grace_fraction=settings.job_grace_fraction,
            memory_bytes=settings.job_memory_bytes,
        ),
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
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.cache = cache
    app.state.jobs = manager
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    errors.install(app)
    app.add_middleware(errors.BodyLimit, limit=settings.max_upload_bytes)
    app.add_middleware(SecurityHeaders)
    for router in ROUTERS:
        app.include_router(router)
    add_docs(app)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    return app


def add_docs(app: FastAPI) -> None:
    """/docs (Swagger UI from the installed `swagger-ui-bundle-v2`, no third-party host, started by
    a static script so the CSP needs no inline script) and /favicon.ico. There is no /redoc: no
    package ships ReDoc's files."""
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get(DOCS_PATH, response_class=HTMLResponse, include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        templates: Jinja2Templates = request.app.state.templates
        return templates.TemplateResponse(
            request, "docs.html", {"openapi_url": app.openapi_url, "title": app.title}
        )

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml")
