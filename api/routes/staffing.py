"""Staffing: county officers compute a formula, compare two, and read and download the result;
viewers read it (a viewer given a district: that district's rows only)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response
from sqlalchemy import select

from allocator.io.staffing_export import write_staffing_chart, write_staffing_csv
from allocator.model.staffing_result import StaffingAllocation
from api import audit
from api.db.models import StaffingRow
from api.deps import CacheDep, Officer, ScenarioDep, ScopeDep, SessionDep, StaffingReader
from api.errors import responses
from api.schemas.staffing import CompareIn, ComparisonOut, StaffingIn, StaffingOut
from api.scope import Scope
from api.services import staffing as service

router = APIRouter(
    prefix="/api/scenarios/{scenario_id}/staffing",
    tags=["staffing"],
    responses=responses(401, 403, 404, 422),
)


def _allocation(row: StaffingRow, scope: Scope | None) -> StaffingAllocation:
    """The stored result; for a user of one district, only that district's rows, its pool shares
    and the ties it was in (so `total_fte` is that district's)."""
    allocation = StaffingAllocation.model_validate(row.result)
    if scope is None or scope.county:
        return allocation
    seen = set(scope.districts)
    return allocation.model_copy(
        update={
            "districts": tuple(d for d in allocation.districts if d.district in seen),
            "pools": tuple(p for p in allocation.pools if p.district in seen),
            "ties": tuple(t for t in allocation.ties if seen & set(t.candidates)),
        }
    )


def _out(row: StaffingRow, scope: Scope | None = None) -> StaffingOut:
    allocation = _allocation(row, scope)
    return StaffingOut(
        id=row.id,
        scenario_id=row.scenario_id,
        label=row.label,
        method=allocation.method,
        total_fte=service.fte(allocation.allocated_fte),
        created_at=row.created_at,
        districts=service.district_rows(allocation),
        pools=service.pool_rows(allocation),
        ties=[str(t) for t in allocation.ties],
        notes=list(row.settings.get("notes", [])),
    )


@router.post("", response_model=StaffingOut, status_code=201, responses=responses(400, 413))
def compute_staffing(
    body: StaffingIn, scenario: ScenarioDep, session: SessionDep, cache: CacheDep, user: Officer
) -> StaffingOut:
    """Each district's high-incidence FTE and each pool's shares under the (adjusted) formula."""
    base = cache.base(scenario)
    settings, notes = service.formula(base, body.formula, "formula")
    allocation = service.allocate(base, settings, "formula")
    row = StaffingRow(
        scenario_id=scenario.id,
        label=body.label,
        settings={"formula": settings.model_dump(mode="json"), "notes": notes},
        result=allocation.model_dump(mode="json"),
        created_by=user.id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        user,
        "staffing.compute",
        "staffing",
        row.id,
        scenario.id,
        {"label": body.label, "formula": body.formula.model_dump(mode="json", exclude_none=True)},
    )
    session.commit()
    return _out(row)


def _latest(session: SessionDep, scenario_id: int) -> StaffingRow:
    row = session.scalars(
        select(StaffingRow)
        .where(StaffingRow.scenario_id == scenario_id)
        .order_by(StaffingRow.id.desc())
    ).first()
    if row is None:
        raise HTTPException(404, "no staffing has been computed for this scenario yet")
    return row


@router.get("", response_model=StaffingOut)
def latest_staffing(
    scenario: ScenarioDep, session: SessionDep, scope: ScopeDep, user: StaffingReader
) -> StaffingOut:
    """The newest staffing result (a viewer of one district: that district's rows only)."""
    return _out(_latest(session, scenario.id), scope)


@router.post("/compare", response_model=ComparisonOut, responses=responses(400, 413))
def compare_formulas(
    body: CompareIn, scenario: ScenarioDep, cache: CacheDep, user: Officer
) -> ComparisonOut:
    """Two formulas side by side: each district's quota and allocation under each."""
    base = cache.base(scenario)
    a, notes_a = service.formula(base, body.a, "a")
    b, notes_b = service.formula(base, body.b, "b")
    comparison = service.compare(base, a, b, body.label_a, body.label_b)
    notes = [f"{body.label_a}: {n}" for n in notes_a] + [f"{body.label_b}: {n}" for n in notes_b]
    return service.comparison_out(comparison, notes)


def _export(row: StaffingRow, name: str, scope: Scope) -> bytes:
    allocation = _allocation(row, scope)
    with tempfile.TemporaryDirectory(prefix="lift-export-") as folder:
        path = Path(folder) / name
        if name.endswith(".png"):
            write_staffing_chart(allocation, path)
        else:
            write_staffing_csv(allocation, path)
        return path.read_bytes()


@router.get(
    "/staffing.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "staffing.csv"}},
)
def staffing_csv(
    scenario: ScenarioDep, session: SessionDep, scope: ScopeDep, user: StaffingReader
) -> Response:
    """The newest result as staffing.csv (a viewer of one district: that district's row)."""
    data = _export(_latest(session, scenario.id), "staffing.csv", scope)
    return Response(
        data,
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="staffing.csv"'},
    )


@router.get(
    "/chart.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "The staffing chart"}},
)
def staffing_chart(
    scenario: ScenarioDep, session: SessionDep, scope: ScopeDep, user: StaffingReader
) -> Response:
    """The newest result's chart: quota, allocation and baseline per district (yours, if you have
    one)."""
    data = _export(_latest(session, scenario.id), "chart.png", scope)
    return Response(data, media_type="image/png")
