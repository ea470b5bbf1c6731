"""Typed dependencies: the session, the signed-in user and their scope, the scenario of a path."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from api.db.models import ScenarioRow, User, utcnow
from api.jobs import JobManager
from api.scope import Scope
from api.security import UNKNOWN_TOKEN, Role, TokenRefused, authenticate, needs_last_used
from api.services.landing import sees
from api.settings import Settings
from api.store import ScenarioCache

log = logging.getLogger("lift.api")
bearer = HTTPBearer(auto_error=False, description="The token `lift user add` printed.")


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """A session for one request; rolled back unless the route commits."""
    with request.app.state.sessions() as session:
        yield session


def get_cache(request: Request) -> ScenarioCache:
    """The validated-scenario cache."""
    cache: ScenarioCache = request.app.state.cache
    return cache


def get_jobs(request: Request) -> JobManager:
    """The solve-job manager."""
    jobs: JobManager = request.app.state.jobs
    return jobs


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
CacheDep = Annotated[ScenarioCache, Depends(get_cache)]
JobsDep = Annotated[JobManager, Depends(get_jobs)]


def current_user(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    """The user of the bearer token; 401 when it is missing, wrong, revoked or expired."""
    now = utcnow()
    try:
        if credentials is None:
            raise TokenRefused(UNKNOWN_TOKEN)
        user = authenticate(session, credentials.credentials, now)
    except TokenRefused as refused:
        raise HTTPException(401, str(refused), headers={"WWW-Authenticate": "Bearer"}) from None
    if needs_last_used(user, now):
        _note_use(request.app.state.sessions, user.id, now)
    return user


def _note_use(sessions: sessionmaker[Session], user_id: int, now: datetime) -> None:
    """Record when a token was last used, in its own short transaction (never failing the request)."""
    try:
        with sessions.begin() as session:
            session.execute(update(User).where(User.id == user_id).values(last_used_at=now))
    except SQLAlchemyError:
        log.warning("could not record when user %s last signed in", user_id)


CurrentUser = Annotated[User, Depends(current_user)]


def require(*roles: Role) -> Callable[[User], User]:
    """A dependency admitting only `roles` (403 for the others)."""
    allowed = {r.value for r in roles}

    def check(user: CurrentUser) -> User:
        if user.role not in allowed:
            raise HTTPException(403, f"needs the role {' or '.join(sorted(allowed))}")
        return user

    return check


Officer = Annotated[User, Depends(require(Role.COUNTY_OFFICER))]
Planner = Annotated[User, Depends(require(Role.COUNTY_OFFICER, Role.DISTRICT_COORDINATOR))]
"""Who may change cases and run the rota and caseload planners."""
StaffingReader = Annotated[User, Depends(require(Role.COUNTY_OFFICER, Role.VIEWER))]


def get_scenario(
    session: SessionDep,
    user: CurrentUser,
    scenario_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
) -> ScenarioRow:
    """The scenario of the path; 404 if there is none, or it does not hold the user's district."""
    row = session.get(ScenarioRow, scenario_id)
    if row is None or not sees(user, row):
        raise HTTPException(404, f"scenario {scenario_id} not found")
    return row


ScenarioDep = Annotated[ScenarioRow, Depends(get_scenario)]


def scope_of(user: User, scenario: ScenarioRow) -> Scope:
    """The districts of `scenario` that `user` sees."""
    names = tuple(scenario.districts)
    if user.district is None:
        return Scope(districts=names, county=True)
    return Scope(districts=tuple(d for d in names if d == user.district), county=False)


def get_scope(user: CurrentUser, scenario: ScenarioDep) -> Scope:
    """The signed-in user's scope in the scenario of the path."""
    return scope_of(user, scenario)


ScopeDep = Annotated[Scope, Depends(get_scope)]
