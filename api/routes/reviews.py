"""Reviews: the reviews due and overdue, measures recorded at entry, review and exit, progress from
entry to exit, and the written agreement's text (a coordinator only in their own district)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.db.models import ReviewRow
from api.deps import CacheDep, CurrentUser, Planner, ScenarioDep, ScopeDep, SessionDep
from api.errors import responses
from api.schemas.reviews import (
    DetailsIn,
    DetailsOut,
    ProgressOut,
    ReviewIn,
    ReviewOut,
    ReviewsDueOut,
)
from api.services import reviews as service

router = APIRouter(
    prefix="/api/scenarios/{scenario_id}/reviews",
    tags=["reviews"],
    responses=responses(401, 404, 422),
)

CaseIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
CaseIdQuery = Annotated[
    str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
]
DistrictQuery = Annotated[str | None, Query(max_length=200)]


@router.get("/due", response_model=ReviewsDueOut)
def reviews_due(
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    scope: ScopeDep,
    user: CurrentUser,
    district: DistrictQuery = None,
    on: Annotated[date | None, Query(description="The day (default today)")] = None,
) -> ReviewsDueOut:
    """Reviews due in the week of `on` from that day on, and every earlier one not done (overdue),
    of the open cases you see; `on` defaults to today, moved into the scenario's year."""
    return service.due_out(session, cache, scenario, scope, district, on)


@router.get("", response_model=list[ReviewOut])
def list_reviews(
    scenario: ScenarioDep,
    session: SessionDep,
    scope: ScopeDep,
    user: CurrentUser,
    case_id: CaseIdQuery = None,
    district: DistrictQuery = None,
) -> list[ReviewRow]:
    """The measures recorded for a case (404 when it is not in your district), or for every case
    you see, by date."""
    return service.list_reviews(session, scenario.id, scope, case_id, district)


@router.post("", response_model=ReviewOut, status_code=201, responses=responses(400, 403, 413))
def record_review(
    body: ReviewIn,
    scenario: ScenarioDep,
    session: SessionDep,
    scope: ScopeDep,
    user: Planner,
) -> ReviewRow:
    """Record a measure of a case at entry, a review or exit: dated within a year of the academic
    year and not before the agreement; one entry and one exit per case and measure, the exit not
    before the entry."""
    row = service.record_review(session, scenario, scope, user, body)
    session.commit()
    return row


@router.get("/progress", response_model=ProgressOut)
def progress(
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    scope: ScopeDep,
    user: CurrentUser,
    district: DistrictQuery = None,
) -> ProgressOut:
    """Progress from entry to exit (exit value minus entry value) of the cases you see, open or
    closed: per case and measure, and the means by need type and measure."""
    return service.progress_out(session, cache.base(scenario), scenario.id, scope, district)


@router.get("/details/{case_id}", response_model=DetailsOut)
def get_details(
    case_id: CaseIdPath,
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    scope: ScopeDep,
    user: CurrentUser,
) -> DetailsOut:
    """A case's written agreement: the six items' text (null: not recorded), its review date, and
    the dates of the default review schedule."""
    return service.details_out(session, cache, scenario, scope, case_id)


@router.put(
    "/details/{case_id}", response_model=DetailsOut, responses=responses(400, 403, 409, 413)
)
def put_details(
    case_id: CaseIdPath,
    body: DetailsIn,
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    scope: ScopeDep,
    user: Planner,
) -> DetailsOut:
    """Replace the written agreement's text of an open case (each item up to 2,000 characters; a
    blank item is not recorded) and its review date (within or just after the academic year, not
    before the agreement)."""
    service.save_details(session, scenario, scope, user, case_id, body)
    session.commit()
    return service.details_out(session, cache, scenario, scope, case_id)
