"""Security headers (#11): a CSP without inline script, nosniff, frame and referrer protection on every
response, `no-store` on everything that may hold case data, and API docs served from the package."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from allocator.io import write_scenario
from api.headers import DOCS_POLICY, PAGE_POLICY, cacheable
from tests.api.accept import accept
from tests.builders.folders import make_tiny_scenario
from tests.builders.service import Service, make_service, zip_folder

TEMPLATES = Path(__file__).resolve().parents[2] / "api" / "templates"


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A service on the tiny county with a county rota planned (for a download)."""
    folder = tmp_path_factory.mktemp("headers")
    write_scenario(make_tiny_scenario(), folder / "tiny")
    for service in make_service(folder, zip_folder(folder / "tiny")):
        accept(service, service.run("rota/solve", {"time_limit": 5}))
        yield service


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (p.split() for p in policy.split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


def assert_protected(response: Any, policy: str = PAGE_POLICY, store: bool = True) -> None:
    """Every header the service promises, on one response."""
    h = response.headers
    assert h["content-security-policy"] == policy
    assert h["x-content-type-options"] == "nosniff"
    assert h["x-frame-options"] == "DENY"
    assert h["referrer-policy"] == "no-referrer"
    if store:
        assert h["cache-control"] == "no-store"
    else:
        assert "no-store" not in h.get("cache-control", "")


def test_the_page_policy_allows_no_inline_script_or_style_and_no_framing() -> None:
    found = _directives(PAGE_POLICY)
    assert found["default-src"] == ["'self'"]
    assert found["script-src"] == ["'self'"]
    assert found["style-src"] == ["'self'"]
    assert found["object-src"] == ["'none'"]
    assert found["base-uri"] == ["'none'"]
    assert found["frame-ancestors"] == ["'none'"]
    assert found["form-action"] == ["'self'"]
    docs = _directives(DOCS_POLICY)
    assert docs["script-src"] == ["'self'"], "the docs page runs no inline script either"
    assert not any("unsafe" in v for d, vs in found.items() for v in vs)
    assert not any("http" in v for vs in [*found.values(), *docs.values()] for v in vs)


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("anonymous", "/", 200),
        ("officer", "/api/me", 200),
        ("officer", "/api/scenarios/{sid}/agreements", 200),
        ("officer", "/api/scenarios/{sid}/rota/rota.csv", 200),
        ("officer", "/api/scenarios/{sid}/rota/calendar.ics", 200),
        ("anonymous", "/api/scenarios", 401),
        ("officer", "/api/scenarios/999999", 404),
        ("officer", "/api/scenarios/0", 422),
        ("coordinator", "/api/audit", 403),
        ("anonymous", "/no-such-page", 404),
        ("anonymous", "/openapi.json", 200),
        ("anonymous", "/favicon.ico", 200),
    ],
)
def test_every_response_carries_the_headers(
    svc: Service, role: str, path: str, status: int
) -> None:
    response = svc.call(role, "GET", path.format(sid=svc.scenario_id))
    assert response.status_code == status, response.text
    assert_protected(response)


def test_a_refused_upload_carries_the_headers(svc: Service) -> None:
    too_big = b"x" * (svc.client.app.state.settings.max_upload_bytes + 1)  # type: ignore[attr-defined]
    files = [("files", ("big.zip", too_big, "application/zip"))]
    response = svc.call("officer", "POST", "/api/scenarios", files=files)
    assert response.status_code == 413
    assert_protected(response)


def test_static_files_may_be_cached_but_keep_the_other_headers(svc: Service) -> None:
    for path in ("/static/js/main.js", "/static/css/app.css", "/docs-assets/swagger-ui-bundle.js"):
        response = svc.call("anonymous", "GET", path)
        assert response.status_code == 200, path
        assert_protected(response, store=False)
    assert not cacheable("/static/../api/scenarios")
    assert not cacheable("/api/static/x")


def test_docs_are_served_from_the_package_under_their_own_policy(svc: Service) -> None:
    response = svc.call("anonymous", "GET", "/docs")
    assert response.status_code == 200
    assert_protected(response, policy=DOCS_POLICY)
    page = _Page.read(response.text)
    assert page.inline_scripts == 0, "the docs page starts Swagger UI from a file"
    assert page.urls, "the docs page loads its assets"
    for url in page.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{url} is on another host"
        assert svc.call("anonymous", "GET", url).status_code == 200, url
    init = svc.call("anonymous", "GET", "/static/docs.js").text
    assert "validatorUrl: null" in init, "Swagger UI must not call its online validator"
    assert not re.search(r"https?://", init)
    assert svc.call("anonymous", "GET", "/redoc").status_code == 404, "no packaged ReDoc assets"


def test_the_page_has_no_inline_script_style_or_handler(svc: Service) -> None:
    for name in sorted(p.name for p in TEMPLATES.glob("*.html")):
        page = _Page.read((TEMPLATES / name).read_text())
        assert page.inline_scripts == 0, name
        assert page.style_blocks == 0, name
        assert page.inline_attributes == [], name
    page = _Page.read(svc.call("anonymous", "GET", "/").text)
    assert page.inline_scripts == page.style_blocks == 0
    assert all(not urlsplit(u).netloc or urlsplit(u).netloc == "testserver" for u in page.urls)


class _Page(HTMLParser):
    """What matters to the CSP in an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts = 0
        self.style_blocks = 0
        self.inline_attributes: list[str] = []
        self.urls: list[str] = []

    @classmethod
    def read(cls, html: str) -> _Page:
        page = cls()
        page.feed(html)
        return page

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = dict(attrs)
        if tag == "script" and not given.get("src"):
            self.inline_scripts += 1
        if tag == "style":
            self.style_blocks += 1
        self.inline_attributes += [k for k in given if k.startswith("on") or k == "style"]
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]
