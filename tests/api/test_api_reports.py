"""The Executive's report over HTTP: PDF and HTML, a district user's own district only, county-wide
users any district or the county; built from the stored scenario and the plan in use."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from api.routes.reports import REPORT_POLICY
from tests.builders.service import NORTH, SOUTH, Service


def _get(svc: Service, role: str, kind: str = "pdf", **params: object) -> Any:
    """GET the report as `role`; `params` are the query (district, half_term)."""
    path = f"/api/scenarios/{svc.scenario_id}/reports/executive.{kind}"
    return svc.call(role, "GET", path, params=params)


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.parametrize(
    ("role", "params", "title"),
    [
        ("officer", {}, "Tiny county, the whole year"),
        ("officer", {"district": SOUTH, "half_term": 2}, f"{SOUTH}, Tiny, half-term 2"),
        ("coordinator", {}, f"{NORTH}, Tiny, the whole year"),
        ("coordinator", {"district": NORTH, "half_term": 1}, f"{NORTH}, Tiny, half-term 1"),
        ("viewer", {}, "Tiny county, the whole year"),
        ("north_viewer", {"half_term": 3}, f"{NORTH}, Tiny, half-term 3"),
    ],
)
def test_each_role_reads_its_scope(
    planned: Service, role: str, params: dict[str, object], title: str
) -> None:
    response = _get(planned, role, "pdf", **params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    text = _pdf_text(response.content)
    assert f"LIFT Executive report: {title}" in text
    assert "the plan in use" in text and "Requests received" in text


@pytest.mark.parametrize(
    ("role", "params"),
    [
        ("coordinator", {"district": SOUTH}),
        ("south_coordinator", {"district": NORTH}),
        ("north_viewer", {"district": SOUTH}),
        ("officer", {"district": "Nowhere"}),
    ],
)
def test_another_district_is_not_found(
    planned: Service, role: str, params: dict[str, object]
) -> None:
    for kind in ("pdf", "html"):
        response = _get(planned, role, kind, **params)
        assert response.status_code == 404, response.text


def test_the_html_has_its_own_policy_and_embedded_charts(planned: Service) -> None:
    response = _get(planned, "coordinator", "html", half_term=2)
    assert response.status_code == 200
    headers = response.headers
    assert headers["content-type"].startswith("text/html")
    assert headers["content-security-policy"] == REPORT_POLICY
    assert headers["cache-control"] == "no-store"
    assert 'filename="executive-northdown-ht2.html"' in headers["content-disposition"]
    page = response.text
    assert page.count('src="data:image/png;base64,') == 3 and "<script" not in page


@pytest.mark.parametrize("half_term", [0, 7, "x"])
def test_a_bad_half_term_is_422(planned: Service, half_term: object) -> None:
    assert _get(planned, "officer", half_term=half_term).status_code == 422


def test_no_token_is_401(planned: Service) -> None:
    assert _get(planned, "anonymous").status_code == 401
