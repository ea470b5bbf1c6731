"""The meeting rota: solve (a job), the rota in use, its score, urgent-case openings, downloads."""

from __future__ import annotations

import io
import tempfile
import zipfile
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from sqlalchemy import select

from allocator.io.rota_export import slug, write_rota_csv, write_rota_ics, write_rota_xlsx
from allocator.model import Scenario, School
from allocator.model.rota_result import Meeting, OpenMeeting, Rota, RuleScore
from allocator.rota.plan import next_meetings
from api import audit
from api.db.models import RotaRow
from api.deps import (
    CacheDep,
    CurrentUser,
    JobsDep,
    Planner,
    ScenarioDep,
    ScopeDep,
    SessionDep,
    SettingsDep,
)
from api.errors import responses
from api.routes.proposals import add_proposal_routes
from api.schemas.jobs import JobOut
from api.schemas.rota import (
    MeetingOut,
    OpenMeetingOut,
    RotaAnalysisOut,
    RotaOut,
    RotaSolveIn,
    RotaSourceOut,
    UrgentOpeningsOut,
)
from api.services.errors import field_error
from api.services.rota import (
    current_meetings,
    current_rota,
    rule_descriptions,
    rule_explanations,
    urgent_openings,
    year_of,
)
from api.store import today, today_params
from api.views import meeting_out, rota_analysis_out

router = APIRouter(
    prefix="/api/scenarios/{scenario_id}/rota",
    tags=["rota"],
    responses=responses(401, 404, 422),
)

DistrictQuery = Annotated[str | None, Query(max_length=200)]


@router.post("/solve", response_model=JobOut, status_code=202, responses=responses(400, 403, 413))
def solve_rota(
    body: RotaSolveIn,
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    jobs: JobsDep,
    settings: SettingsDep,
    scope: ScopeDep,
    user: Planner,
) -> JobOut:
    """Start planning the year's rota (a coordinator's own district; with any district it shares
    attendees with, since one model binds them). This year's rota in use is kept: meetings before
    `today` never move, later ones only when freed or no longer possible, each with its reason. The
    result is a proposal until accepted (`/proposals`). Poll the job for progress."""
    district = scope.planning_district(body.district)
    if body.time_limit > settings.max_time_limit:
        raise field_error(
            ["body", "time_limit"], f"at most {settings.max_time_limit:g} s", body.time_limit
        )
    params = {
        "time_limit": body.time_limit,
        "keep_close_to_current": body.keep_close_to_current,
        **today_params(cache.base(scenario), body.today),
        "free_from": body.free_from.isoformat() if body.free_from else None,
        "free_groups": list(body.free_groups),
    }
    audit.record(
        session, user, "rota.solve", "scenario", scenario.id, scenario.id, {"district": district}
    )
    job = jobs.submit(session, "rota", scenario.id, user.id, district, params)
    return JobOut.model_validate(job)


@router.get("", response_model=RotaOut)
def get_rota(
    scenario: ScenarioDep,
    session: SessionDep,
    scope: ScopeDep,
    user: CurrentUser,
    district: DistrictQuery = None,
) -> RotaOut:
    """The rota in use: for each district you see, the meetings of its newest accepted rota."""
    sources, meetings = current_meetings(session, scenario.id, scope.pick(district))
    created = {
        r.id: r.created_at
        for r in session.scalars(select(RotaRow).where(RotaRow.id.in_(list(sources.values()))))
    }
    return RotaOut(
        scenario_id=scenario.id,
        sources=[
            RotaSourceOut(district=d, rota_id=i, created_at=created[i]) for d, i in sources.items()
        ],
        meetings=[meeting_out(m) for m in meetings],
    )


@router.get("/analysis", response_model=list[RotaAnalysisOut])
def rota_analysis(
    scenario: ScenarioDep,
    session: SessionDep,
    scope: ScopeDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> list[RotaAnalysisOut]:
    """The newest solved rotas touching your districts: each soft rule's penalty, why anything failed."""
    described = rule_descriptions()
    plain = rule_explanations()
    rows = session.scalars(
        select(RotaRow).where(RotaRow.scenario_id == scenario.id).order_by(RotaRow.id.desc())
    )
    found: list[RotaAnalysisOut] = []
    for row in rows:
        if any(d in scope.districts for d in row.districts):
            out = rota_analysis_out(session, row, scope, described)
            found.append(out.model_copy(update={"explanations": plain}))
        if len(found) >= limit:
            break
    return found


def _school_and_rota(
    session: SessionDep, base: Scenario, scope: ScopeDep, scenario_id: int, school_urn: int
) -> tuple[School, Rota]:
    school = base.school_by_urn.get(school_urn)
    if school is None or school.district not in scope.districts:
        raise HTTPException(404, f"school {school_urn} not found")
    rota = current_rota(session, scenario_id, (school.district,))
    if rota is None:
        raise HTTPException(404, f"no rota has been planned for {school.district} yet")
    return school, rota


def _open_out(o: OpenMeeting) -> OpenMeetingOut:
    return OpenMeetingOut(
        meeting=MeetingOut(
            **o.meeting.model_dump(mode="json", exclude={"attendees"}),
            attendees=list(o.meeting.attendees),
        ),
        expected_cases=o.expected_cases,
        spare_cases=o.spare_cases,
    )


SchoolUrn = Annotated[int, Query(gt=0, le=2_000_000_000)]
OpeningsLimit = Annotated[int, Query(ge=1, le=20)]
OnQuery = Annotated[
    date | None,
    Query(description="From this day on (default: today; moved into the scenario's year)"),
]


@router.get("/next-meeting", response_model=list[OpenMeetingOut])
def next_meeting(
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    scope: ScopeDep,
    user: CurrentUser,
    school_urn: SchoolUrn,
    after: date | None = None,
    on: OnQuery = None,
    limit: OpeningsLimit = 3,
) -> list[OpenMeetingOut]:
    """The next meetings of a school's district with room for an urgent case: after `after`, or
    from `on` (moved into the scenario's year; `/openings` also says why nothing has room)."""
    base = cache.base(scenario)
    school, rota = _school_and_rota(session, base, scope, scenario.id, school_urn)
    if after is not None and on is None:
        found = next_meetings(base, rota, school_urn, after, limit)
    else:
        found = urgent_openings(base, rota, school, on or today(), limit)[3]
    return [_open_out(o) for o in found]


@router.get("/openings", response_model=UrgentOpeningsOut)
def openings(
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    scope: ScopeDep,
    user: CurrentUser,
    school_urn: SchoolUrn,
    on: OnQuery = None,
    limit: OpeningsLimit = 3,
) -> UrgentOpeningsOut:
    """Where an urgent case from a school could go: the coming meetings of its district with room,
    from `on` (default today). A day outside the scenario's year is moved into it, with a note; when
    nothing has room, `reason` says why (no meeting left in the year, or all full)."""
    base = cache.base(scenario)
    school, rota = _school_and_rota(session, base, scope, scenario.id, school_urn)
    first, last = year_of(base)
    day, note, reason, found = urgent_openings(base, rota, school, on or today(), limit)
    return UrgentOpeningsOut(
        school_urn=school.urn,
        school=school.name,
        district=school.district,
        on=day,
        year_first=first,
        year_last=last,
        note=note,
        reason=reason,
        meetings=[_open_out(o) for o in found],
    )


def _rota_in_use(session: SessionDep, scenario_id: int, districts: tuple[str, ...]) -> Rota:
    rota = current_rota(session, scenario_id, districts)
    if rota is None:
        raise HTTPException(404, "no rota has been planned for these districts yet")
    return rota


def _scores(session: SessionDep, scenario_id: int, districts: tuple[str, ...]) -> list[RuleScore]:
    """The newest rota's rule scores, when one rota holds every district asked for and no other
    (its scores are totals over every district it covers)."""
    sources, _ = current_meetings(session, scenario_id, districts)
    if len(set(sources.values())) != 1:
        return []
    row = session.get(RotaRow, next(iter(sources.values())))
    if row is None or not set(row.districts) <= set(districts):
        return []
    return [RuleScore.model_validate(b) for b in row.summary.get("breakdown", [])]


def _cancelled(session: SessionDep, scenario_id: int, districts: tuple[str, ...]) -> list[Meeting]:
    """The published meetings the rotas in use cancelled, in their districts (for calendars)."""
    sources, _ = current_meetings(session, scenario_id, districts)
    found: list[Meeting] = []
    for name, rota_id in sources.items():
        row = session.get(RotaRow, rota_id)
        for raw in row.summary.get("cancelled", []) if row is not None else []:
            meeting = Meeting.model_validate(raw)
            if meeting.district == name:
                found.append(meeting)
    return found


def _file(data: bytes, media_type: str, name: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/rota.csv",
    response_class=Response,
    responses={200: {"content": {CSV: {}}, "description": "rota.csv"}},
)
def rota_csv(
    scenario: ScenarioDep,
    session: SessionDep,
    scope: ScopeDep,
    user: CurrentUser,
    district: DistrictQuery = None,
) -> Response:
    """The rota in use as rota.csv (the output contract's columns)."""
    rota = _rota_in_use(session, scenario.id, scope.pick(district))
    with tempfile.TemporaryDirectory(prefix="lift-export-") as folder:
        data = write_rota_csv(rota, Path(folder) / "rota.csv").read_bytes()
    return _file(data, CSV, "rota.csv")


@router.get(
    "/rota.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "rota.xlsx"}},
)
def rota_xlsx(
    scenario: ScenarioDep,
    session: SessionDep,
    scope: ScopeDep,
    user: CurrentUser,
    district: DistrictQuery = None,
) -> Response:
    """The rota in use as a workbook (meetings, and the rule scores when one rota holds them all)."""
    districts = scope.pick(district)
    rota = _rota_in_use(session, scenario.id, districts)
    scores = _scores(session, scenario.id, districts)
    with tempfile.TemporaryDirectory(prefix="lift-export-") as folder:
        data = write_rota_xlsx(rota, Path(folder) / "rota.xlsx", scores).read_bytes()
    return _file(data, XLSX, "rota.xlsx")


@router.get(
    "/calendar.ics",
    response_class=Response,
    responses={
        200: {
            "content": {"text/calendar": {}, "application/zip": {}},
            "description": "One district's calendar, or a zip of one calendar per district",
        }
    },
)
def rota_calendar(
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    scope: ScopeDep,
    user: CurrentUser,
    district: DistrictQuery = None,
) -> Response:
    """The rota in use as an .ics calendar (with several districts, a zip of one per district)."""
    districts = scope.pick(district)
    rota = _rota_in_use(session, scenario.id, districts)
    cancelled = _cancelled(session, scenario.id, districts)
    with tempfile.TemporaryDirectory(prefix="lift-export-") as folder:
        paths = write_rota_ics(rota, Path(folder), cache.base(scenario), cancelled=cancelled)
        if len(paths) == 1:
            return _file(paths[0].read_bytes(), "text/calendar", paths[0].name)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in paths:
                archive.write(path, path.name)
    name = f"rota-{slug(scenario.name)}-calendars.zip"
    return _file(buffer.getvalue(), "application/zip", name)


add_proposal_routes(router, "rota")
