"""Reports: the LIFT Executive's report of a district or the county, as PDF or HTML.

Built from the stored scenario as the planners see it now (`store.live_scenario`: the county, the open
agreements and the plan in use). A district user (coordinator, district viewer) reads their own
district only; county-wide users (officers, the county viewer) any district, or the county when no
district is asked for. Meeting dates are the requests' decision dates (no agenda is stored here).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from allocator.io.executive_report import executive_html_text, executive_pdf_bytes
from allocator.model import clip_to_year
from allocator.model.executive import ExecutiveReport
from allocator.pipeline.executive import executive_report
from api import store
from api.deps import CacheDep, CurrentUser, ScenarioDep, ScopeDep, SessionDep
from api.errors import responses

router = APIRouter(
    prefix="/api/scenarios/{scenario_id}/reports", tags=["reports"], responses=responses(401, 404)
)

DistrictQuery = Annotated[
    str | None,
    Query(
        max_length=200,
        description="The district (default: yours; the county for county-wide users).",
    ),
]
HalfTermQuery = Annotated[
    int | None, Query(ge=1, le=6, description="Half-term 1-6 (default: the whole year).")
]


def _report(
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    scope: ScopeDep,
    district: str | None,
    half_term: int | None,
) -> ExecutiveReport:
    """The report of the district asked for (a district user's own; None: the county), or 404."""
    chosen = scope.planning_district(district)
    live = store.live_scenario(session, cache, scenario)
    source = (
        "the plan in use"
        if live.current_plan
        else "no plan in use yet (no support counted as started)"
    )
    return executive_report(
        live,
        district=chosen,
        half_term=half_term,
        today=clip_to_year(live.terms, store.today())[0],
        plan_source=source,
    )


REPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
"""The HTML report's own Content-Security-Policy: no script at all, its inline style sheet and its
embedded chart images only (stricter than the page's, which allows no inline style)."""


def _filename(report: ExecutiveReport, extension: str) -> dict[str, str]:
    return {"Content-Disposition": f'inline; filename="{report.stem}.{extension}"'}


@router.get(
    "/executive.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The report (A4 PDF)"}},
)
def executive_pdf(
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    scope: ScopeDep,
    user: CurrentUser,
    district: DistrictQuery = None,
    half_term: HalfTermQuery = None,
) -> Response:
    """The LIFT Executive's report as an A4 PDF with charts: requests, days to meeting, agreements,
    weeks to start, whole waits, cases, reviews and progress (counts only, no case named)."""
    report = _report(scenario, session, cache, scope, district, half_term)
    return Response(
        executive_pdf_bytes(report),
        media_type="application/pdf",
        headers=_filename(report, "pdf"),
    )


@router.get(
    "/executive.html",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}, "description": "The report (printable HTML)"}},
)
def executive_html(
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    scope: ScopeDep,
    user: CurrentUser,
    district: DistrictQuery = None,
    half_term: HalfTermQuery = None,
) -> Response:
    """The same report as one printable HTML page, its charts embedded."""
    report = _report(scenario, session, cache, scope, district, half_term)
    headers = {**_filename(report, "html"), "Content-Security-Policy": REPORT_POLICY}
    return Response(
        executive_html_text(report).encode("utf-8"),
        media_type="text/html; charset=utf-8",
        headers=headers,
    )
