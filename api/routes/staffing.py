"""Staffing: county officers compute a formula (each result saved as a labelled variant) and compare
two formulas; officers and viewers read the formula, the results, two saved variants side by side with
a chart, and how each district responds to the weights (a viewer given a district: its rows only)."""

from __future__ import annotations

import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from sqlalchemy import select

from allocator.io.staffing_export import (
    write_comparison_chart,
    write_staffing_chart,
    write_staffing_csv,
)
from allocator.model.staffing_result import StaffingAllocation, StaffingComparison
from allocator.staffing.whatif import compare_allocations
from api import audit
from api.db.models import StaffingRow
from api.deps import CacheDep, Officer, ScenarioDep, ScopeDep, SessionDep, StaffingReader
from api.errors import responses
from api.schemas.staffing import (
    CompareIn,
    ComparisonOut,
    FormulaOut,
    SensitivityOut,
    StaffingIn,
    StaffingOut,
    VariantComparisonOut,
    VariantOut,
)
from api.scope import Scope
from api.services import staffing as service
from api.services.errors import field_error

MAX_VARIANTS = 200
"""The most saved variants listed (newest first)."""

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


@router.get("/formula", response_model=FormulaOut)
def scenario_formula(scenario: ScenarioDep, cache: CacheDep, user: StaffingReader) -> FormulaOut:
    """The scenario's formula (staffing.toml), with the indicators, pools and districts it may name."""
    return service.formula_out(cache.base(scenario))


def _variant(row: StaffingRow, scope: Scope) -> VariantOut:
    allocation = _allocation(row, scope)
    return VariantOut(
        id=row.id,
        label=row.label,
        method=allocation.method,
        total_fte=service.fte(allocation.allocated_fte),
        pools_fte=service.fte(sum(allocation.pool_fte.values(), Fraction(0))),
        created_at=row.created_at,
    )


@router.get("/variants", response_model=list[VariantOut])
def list_variants(
    scenario: ScenarioDep, session: SessionDep, scope: ScopeDep, user: StaffingReader
) -> list[VariantOut]:
    """Every saved staffing result of the scenario, newest first, by label."""
    rows = session.scalars(
        select(StaffingRow)
        .where(StaffingRow.scenario_id == scenario.id)
        .order_by(StaffingRow.id.desc())
        .limit(MAX_VARIANTS)
    )
    return [_variant(row, scope) for row in rows]


VariantId = Annotated[int, Query(ge=1, le=2_147_483_647, description="A saved variant's id")]


def _saved(session: SessionDep, scenario_id: int, variant_id: int) -> StaffingRow:
    row = session.get(StaffingRow, variant_id)
    if row is None or row.scenario_id != scenario_id:
        raise HTTPException(404, f"no saved staffing variant {variant_id} in this scenario")
    return row


def _pair(
    session: SessionDep, scenario_id: int, scope: Scope, a: int, b: int
) -> tuple[StaffingRow, StaffingRow, StaffingComparison]:
    first, second = _saved(session, scenario_id, a), _saved(session, scenario_id, b)
    x, y = _allocation(first, scope), _allocation(second, scope)
    if [d.district for d in x.districts] != [d.district for d in y.districts]:
        raise field_error(["query", "b"], "two variants that share FTE over the same districts")
    return first, second, compare_allocations(x, y, first.label, second.label)


@router.get("/variants/compare", response_model=VariantComparisonOut)
def compare_variants(
    scenario: ScenarioDep,
    session: SessionDep,
    scope: ScopeDep,
    user: StaffingReader,
    a: VariantId,
    b: VariantId,
) -> VariantComparisonOut:
    """Two saved variants side by side: each district's (and pool share's) FTE under each and the
    difference (B minus A), the totals, and what changed in the formula."""
    first, second, _ = _pair(session, scenario.id, scope, a, b)
    x, y = _allocation(first, scope), _allocation(second, scope)
    rows, totals = service.compare_variants(x, y, first.label, second.label)
    return VariantComparisonOut(
        a=_variant(first, scope),
        b=_variant(second, scope),
        rows=rows,
        totals=totals,
        changes=service.setting_changes(x.settings, y.settings),
    )


@router.get(
    "/variants/compare.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "The two variants' chart"}},
)
def compare_variants_chart(
    scenario: ScenarioDep,
    session: SessionDep,
    scope: ScopeDep,
    user: StaffingReader,
    a: VariantId,
    b: VariantId,
) -> Response:
    """Two saved variants' FTE per district (and pool share) as bars, with each difference."""
    comparison = _pair(session, scenario.id, scope, a, b)[2]
    with tempfile.TemporaryDirectory(prefix="lift-export-") as folder:
        data = write_comparison_chart(comparison, Path(folder) / "compare.png").read_bytes()
    return Response(data, media_type="image/png")


@router.get("/variants/sensitivity", response_model=SensitivityOut)
def variant_sensitivity(
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    scope: ScopeDep,
    user: StaffingReader,
    variant: VariantId,
    step_pct: Annotated[
        float, Query(gt=0, lt=100, description="How far each weight moves, in percent of itself")
    ] = 10.0,
) -> SensitivityOut:
    """For a saved variant: if each weight rises (or falls) by `step_pct` percent of itself, the
    others shrinking (or growing) to keep 100 %, what each district gains or loses."""
    row = _saved(session, scenario.id, variant)
    settings = StaffingAllocation.model_validate(row.result).settings
    rows = service.sensitivity_rows(cache.base(scenario), settings, step_pct, scope.districts)
    return SensitivityOut(variant=_variant(row, scope), step_pct=step_pct, rows=rows)
