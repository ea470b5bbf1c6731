"""Requests: the inbox, each district's agenda (and one meeting's printable agenda), the meeting's
outcome, and the whole wait (a coordinator only in their own district; a viewer reads only)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from allocator.io.agenda_export import meeting_agenda_html
from api.deps import CacheDep, CurrentUser, Planner, ScenarioDep, ScopeDep, SessionDep, SettingsDep
from api.errors import responses
from api.schemas.requests import AgendaOut, OutcomeIn, OutcomeOut, RequestOut, WaitsOut
from api.scope import Scope
from api.services.errors import field_error
from api.services.requests import (
    agenda_out,
    inbox,
    meeting_on_agenda,
    outcome_out,
    record_outcome,
    waits,
)

router = APIRouter(
    prefix="/api/scenarios/{scenario_id}/requests", tags=["requests"], responses=responses(401, 404)
)

DistrictQuery = Annotated[str | None, Query(max_length=200)]
RequestIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
GroupPath = Annotated[str, Path(min_length=1, max_length=200)]
PRINTABLE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'none'"
)
"""The printable agenda's own policy: its one inline style sheet, nothing else."""


def _one_district(scope: Scope, district: str | None) -> str:
    """The district asked for (a coordinator's own when not given); officers must choose one."""
    chosen = scope.planning_district(district)
    if chosen is None:
        raise field_error(
            ["query", "district"], "a district: agendas are planned one district at a time"
        )
    return chosen


@router.get("", response_model=list[RequestOut], responses=responses(422))
def list_requests(
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
    scope: ScopeDep,
    user: CurrentUser,
    district: DistrictQuery = None,
    status: Literal["all", "waiting", "agenda", "decided", "agreed"] = "all",
) -> list[RequestOut]:
    """The requests of the districts you see (or the one chosen), in order of receipt, each with
    where it stands: waiting for a meeting, on an agenda (the year's, on the rota in use),
    decided (the outcome recorded here, else the file's), or agreed (the agreement naming it)."""
    found = inbox(session, cache, scenario, scope.pick(district), settings.solver_workers)
    return found if status == "all" else [r for r in found if r.status == status]


@router.get("/agenda", response_model=AgendaOut, responses=responses(409, 422))
def district_agenda(
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
    scope: ScopeDep,
    user: CurrentUser,
    district: DistrictQuery = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    until: date | None = None,
) -> AgendaOut:
    """One district's agenda on its rota in use for the requests received in [from, until]:
    each meeting with the requests placed there (within its capacity), the hearing and vision
    requests on the county route, the unplaced with reasons, and the figures beside first come,
    first served. Planned in a few seconds; 409 when no rota is accepted for the district."""
    chosen = _one_district(scope, district)
    if start is not None and until is not None and until < start:
        raise field_error(["query", "until"], "a day on or after from", until.isoformat())
    return agenda_out(session, cache, scenario, chosen, start, until, settings.solver_workers)


@router.get(
    "/agenda/{meeting_date}/{group}.html",
    response_class=Response,
    responses={
        200: {"content": {"text/html": {}}, "description": "The meeting's printable agenda"},
        **responses(409, 422),
    },
)
def printable_agenda(
    meeting_date: date,
    group: GroupPath,
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
    scope: ScopeDep,
    user: CurrentUser,
    district: DistrictQuery = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    until: date | None = None,
) -> HTMLResponse:
    """One meeting's printable agenda (case references only), from the district's agenda of the
    requests received in [from, until] (either end may be left open), as the agenda route gives it."""
    chosen = _one_district(scope, district)
    meeting, agenda = meeting_on_agenda(
        session, cache, scenario, chosen, meeting_date, group, settings.solver_workers, start, until
    )
    return HTMLResponse(
        meeting_agenda_html(meeting, agenda.at(meeting)),
        headers={"Content-Security-Policy": PRINTABLE_POLICY},
    )


@router.get("/waits", response_model=WaitsOut)
def request_waits(
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    scope: ScopeDep,
    user: CurrentUser,
    district: DistrictQuery = None,
) -> WaitsOut:
    """For each open case with a request: school days to the meeting (the outcome's day, else the
    agreement's), to the agreement, to the start in the plan in use, and the whole wait; summaries
    by district, need type and urgency (median, 90th percentile, mean)."""
    return waits(session, cache, scenario, scope.pick(district))


@router.post(
    "/{request_id}/outcome",
    response_model=OutcomeOut,
    responses=responses(400, 403, 409, 413, 422),
)
def set_outcome(
    request_id: RequestIdPath,
    body: OutcomeIn,
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    scope: ScopeDep,
    user: Planner,
) -> OutcomeOut:
    """Record what the meeting decided for a request, and when (replacing an outcome recorded
    before). 409 when the request already became an agreement and the outcome is not specialist."""
    row = record_outcome(session, cache.base(scenario), scenario.id, scope, user, request_id, body)
    session.commit()
    return outcome_out(row)
