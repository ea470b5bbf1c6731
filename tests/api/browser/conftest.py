"""Fixtures for the browser tests: the live service with the tiny county stored, and a chromium page.

Skipped without Debian's chromium at /usr/bin/chromium, failed without it when `CI=true`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders.browser import ARGS, CHROMIUM, DESKTOP, Live, copy_database, make_planned

if not CHROMIUM.exists() and os.environ.get("CI") == "true":
    pytest.fail(
        "CI needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)", pytrace=False
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason="needs Debian's chromium at /usr/bin/chromium")
    for item in items:
        if "tests/api/browser" in str(item.path):
            item.add_marker(skip)


@pytest.fixture
def live(tmp_path: Path, tiny_zip: bytes) -> Iterator[Live]:
    """The service on a loopback port with the tiny county stored as scenario #1."""
    with Live(tmp_path, tiny_zip) as server:
        client = TestClient(server.app)
        files = [("files", ("tiny.zip", tiny_zip, "application/zip"))]
        stored = client.post(
            "/api/scenarios", files=files, headers={"Authorization": f"Bearer {server.officer}"}
        )
        assert stored.status_code == 201
        yield server


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    """One chromium for the browser tests; each test's page has a fresh context of its own (no
    cookies, storage or cache carried over)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A desktop-sized chromium page that accepts every confirm() (messages in `page.confirmed`); the
    test fails if the page's script threw or a view reported a failure."""
    context = chromium.new_context(accept_downloads=True, viewport=DESKTOP)
    try:
        tab = context.new_page()
        tab.set_default_timeout(60_000)
        confirmed: list[str] = []
        errors: list[str] = []

        def confirm(dialog: Any) -> None:
            confirmed.append(dialog.message)
            dialog.accept()

        tab.on("dialog", confirm)
        tab.on("pageerror", lambda error: errors.append(str(error)))
        tab.on(
            "console",
            lambda message: (
                errors.append(message.text) if message.text.startswith("LIFT:") else None
            ),
        )
        tab.confirmed = confirmed
        yield tab
        assert not errors, f"the page's script failed: {errors}"
    finally:
        context.close()


@pytest.fixture(scope="session")
def planned_made(
    tmp_path_factory: pytest.TempPathFactory, tiny_zip: bytes
) -> tuple[Path, tuple[str, str]]:
    """The folder of a stopped service holding the tiny county with a rota and a caseload plan
    accepted in both districts (made once per run), and its officer's and coordinator's tokens."""
    folder = tmp_path_factory.mktemp("planned-live")
    return folder, make_planned(folder, tiny_zip, "tiny.zip")


@pytest.fixture
def planned_live(
    tmp_path: Path, tiny_zip: bytes, planned_made: tuple[Path, tuple[str, str]]
) -> Iterator[Live]:
    """`live` with a rota and a caseload plan made and accepted in both districts of the tiny county
    (on a copy of `planned_made`'s database: each test starts from the same state)."""
    made, tokens = planned_made
    copy_database(made, tmp_path)
    with Live(tmp_path, tiny_zip, tokens) as server:
        yield server
