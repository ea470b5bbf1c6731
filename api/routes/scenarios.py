"""Scenarios: upload (a zip or the CSV/TOML files), list, validate, and the parts a page needs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Query, UploadFile
from sqlalchemy import func, select

from allocator.model import Scenario, ScenarioError
from allocator.model.summary import district_summary
from api import audit
from api.db.models import AgreementRow, ScenarioRow
from api.deps import (
    CacheDep,
    CurrentUser,
    Officer,
    Planner,
    ScenarioDep,
    ScopeDep,
    SessionDep,
    SettingsDep,
)
from api.errors import problems_as_errors, responses
from api.schemas.scenarios import (
    DistrictSummaryOut,
    PersonOut,
    ProblemOut,
    ScenarioOut,
    ScenarioSummaryOut,
    SchoolOut,
    ValidationOut,
)
from api.services.errors import Invalid
from api.services.landing import make_live, visible
from api.settings import Settings
from api.store import OPEN, save_scenario
from api.uploads import BadUpload, Limits, Upload, read_upload

router = APIRouter(prefix="/api/scenarios", tags=["scenarios"], responses=responses(401))

Files = Annotated[
    list[UploadFile],
    File(description="The scenario folder as one .zip, or its .csv and .toml files"),
]


def _read(files: list[UploadFile], settings: Settings) -> tuple[Scenario, list[str]]:
    """The uploaded scenario, read in the calling thread (routes using it are plain `def`, so
    unzipping and parsing run in the thread pool, never on the event loop)."""
    uploads = [Upload(name=f.filename or "", data=f.file.read()) for f in files]
    limits = Limits(
        total_bytes=settings.max_unzipped_bytes,
        file_bytes=settings.max_file_bytes,
        zip_members=settings.max_zip_entries,
    )
    try:
        return read_upload(uploads, limits)
    except BadUpload as error:
        raise HTTPException(error.status, str(error)) from None


def _summary_out(row: ScenarioRow, open_agreements: int) -> ScenarioSummaryOut:
    return ScenarioSummaryOut(
        id=row.id,
        name=row.name,
        academic_year=row.academic_year,
        districts=list(row.districts),
        open_agreements=open_agreements,
        live=row.live,
        created_at=row.created_at,
    )


@router.get("", response_model=list[ScenarioSummaryOut])
def list_scenarios(session: SessionDep, user: CurrentUser) -> list[ScenarioSummaryOut]:
    """Every stored scenario you see (a district user: those holding their district), newest first,
    with its open cases in the districts you see (a user of one district never gets a county total)."""
    query = select(AgreementRow.scenario_id, func.count()).where(AgreementRow.status == OPEN)
    if user.district is not None:
        query = query.where(AgreementRow.district == user.district)
    counts = dict(session.execute(query.group_by(AgreementRow.scenario_id)).all())
    return [_summary_out(row, counts.get(row.id, 0)) for row in visible(session, user)]


@router.post(
    "/{scenario_id}/live", response_model=ScenarioSummaryOut, responses=responses(403, 404)
)
def make_scenario_live(
    scenario: ScenarioDep, session: SessionDep, user: Officer
) -> ScenarioSummaryOut:
    """Make this the county's live scenario: users who have not chosen one land on it."""
    make_live(session, scenario)
    audit.record(session, user, "scenario.live", "scenario", scenario.id, scenario.id, {})
    session.commit()
    query = select(func.count()).where(
        AgreementRow.scenario_id == scenario.id, AgreementRow.status == OPEN
    )
    return _summary_out(scenario, session.scalar(query) or 0)


@router.post(
    "",
    response_model=ScenarioOut,
    status_code=201,
    responses=responses(400, 403, 413, 422),
)
def upload_scenario(
    files: Files, session: SessionDep, settings: SettingsDep, cache: CacheDep, user: Officer
) -> ScenarioOut:
    """Store a scenario folder; every problem is a 422 entry at ["body", "files", file, row, column].

    An unusable upload (not a zip, unsafe or damaged entries) is a 400 naming the file, one that
    unzips too large a 413."""
    try:
        scenario, notes = _read(files, settings)
    except ScenarioError as error:
        raise Invalid(problems_as_errors(error.problems)) from None
    row = save_scenario(session, scenario, notes, user)
    audit.record(
        session,
        user,
        "scenario.upload",
        "scenario",
        row.id,
        row.id,
        {"agreements": len(scenario.agreements), "districts": len(scenario.districts)},
    )
    session.commit()
    return _detail(
        row, scenario_summary=district_summary(scenario), opened=len(scenario.agreements)
    )


@router.post("/validate", response_model=ValidationOut, responses=responses(400, 403, 413, 422))
def validate_scenario(files: Files, settings: SettingsDep, user: Planner) -> ValidationOut:
    """Check a scenario folder without storing it: valid, or every problem by file, row and column
    (an unusable upload is a 400 and one that unzips too large a 413, as for an upload)."""
    try:
        scenario, notes = _read(files, settings)
    except ScenarioError as error:
        return ValidationOut(
            valid=False,
            problems=[ProblemOut.model_validate(p.model_dump()) for p in error.problems],
        )
    return ValidationOut(
        valid=True,
        name=scenario.settings.name,
        academic_year=scenario.settings.academic_year,
        notes=notes,
        summary=[DistrictSummaryOut.model_validate(r) for r in district_summary(scenario)],
    )


def _detail(
    row: ScenarioRow, scenario_summary: list[dict[str, str | int]], opened: int
) -> ScenarioOut:
    return ScenarioOut(
        **_summary_out(row, opened).model_dump(),
        summary=[DistrictSummaryOut.model_validate(r) for r in scenario_summary],
        notes=list(row.notes),
    )


@router.get("/{scenario_id}", response_model=ScenarioOut, responses=responses(404, 422))
def get_scenario(
    scenario: ScenarioDep, session: SessionDep, cache: CacheDep, scope: ScopeDep
) -> ScenarioOut:
    """A scenario with counts per district you see (and the county pools)."""
    base = cache.base(scenario)
    pools = [p.value for p in base.pools]
    counts: dict[str, int] = {}
    pooled = 0
    for district, need, n in session.execute(
        select(AgreementRow.district, AgreementRow.need_type, func.count())
        .where(AgreementRow.scenario_id == scenario.id, AgreementRow.status == OPEN)
        .group_by(AgreementRow.district, AgreementRow.need_type)
    ):
        if district in scope.districts:
            counts[district] = counts.get(district, 0) + n
            pooled += n if need in pools else 0
    rows = []
    for row in cache.summary(scenario):
        name = str(row["district"])
        if name in scope.districts:
            rows.append({**row, "agreements": counts.get(name, 0)})
        elif name.startswith("county pools"):
            rows.append({**row, "agreements": f"({pooled} pooled)"})
    return _detail(scenario, rows, sum(counts.values()))


@router.get("/{scenario_id}/people", response_model=list[PersonOut], responses=responses(404, 422))
def list_people(
    scenario: ScenarioDep,
    cache: CacheDep,
    scope: ScopeDep,
    team: Annotated[str | None, Query(max_length=200)] = None,
) -> list[PersonOut]:
    """Staff who serve the districts you see (district teams, county pools, meeting attendees)."""
    base = cache.base(scenario)
    people = list(base.people)
    if not scope.county:
        allowed: set[str] = set()
        for district in scope.districts:
            allowed |= {p.person_id for p in base.restrict_to(district).people}
        people = [p for p in people if p.person_id in allowed]
    if team is not None:
        people = [p for p in people if p.team == team]
    return [
        PersonOut(
            person_id=p.person_id,
            name=p.name,
            role=p.role.value,
            team=p.team,
            specialisms=[s.value for s in p.specialisms],
            minutes_per_week=p.minutes_per_week,
        )
        for p in people
    ]


@router.get("/{scenario_id}/schools", response_model=list[SchoolOut], responses=responses(404, 422))
def list_schools(scenario: ScenarioDep, cache: CacheDep, scope: ScopeDep) -> list[SchoolOut]:
    """Schools and settings of the districts you see."""
    base = cache.base(scenario)
    return [
        SchoolOut(
            urn=s.urn,
            name=s.name,
            district=s.district,
            phase=s.phase.value,
            lift_group=s.lift_group,
        )
        for s in base.schools
        if s.district in scope.districts
    ]
