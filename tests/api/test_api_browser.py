"""The web page in a real browser (Debian's chromium, driven by Playwright): sign in, plan the rota,
the caseload and staffing, accept their proposals, add an agreement and rebalance, review and accept
the rebalance's proposal (on a desktop and a 390 px screen), upload a scenario, download the calendar."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from api.admin import add_user
from api.main import create_app
from api.security import Role
from tests.builders.service import NORTH, NORTH_SCHOOL, SOUTH, settings_for

CHROMIUM = Path("/usr/bin/chromium")
JOB_TIMEOUT = 180_000
"""Milliseconds a job may take on a busy machine (they take seconds)."""
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not CHROMIUM.exists() and os.environ.get("CI") == "true":
    pytest.fail(
        "CI needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)", pytrace=False
    )

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Live:
    """The service on a loopback port, with an officer and a coordinator."""

    def __init__(self, folder: Path, tiny_zip: bytes) -> None:
        self.app = create_app(settings_for(folder))
        self.officer = add_user(self.app.state.sessions, Role.COUNTY_OFFICER, None)[1]
        self.coordinator = add_user(self.app.state.sessions, Role.DISTRICT_COORDINATOR, NORTH)[1]
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tiny_zip = tiny_zip
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Live:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)


@pytest.fixture
def live(tmp_path: Path, tiny_zip: bytes) -> Iterator[Live]:
    with Live(tmp_path, tiny_zip) as server:
        client = TestClient(server.app)
        files = [("files", ("tiny.zip", tiny_zip, "application/zip"))]
        stored = client.post(
            "/api/scenarios", files=files, headers={"Authorization": f"Bearer {server.officer}"}
        )
        assert stored.status_code == 201
        yield server


def _accept_in_page(page: Any, what: str, district: str) -> None:
    """Open the pending proposal of `what` for `district` on the Proposals tab and accept it."""
    from playwright.sync_api import expect

    page.click("[data-tab=proposals]")
    row = page.locator("#proposals-list tr", has_text=what).filter(has_text=district)
    row.locator("button.open-proposal").click()
    expect(page.locator("#proposal-detail h3")).to_contain_text(f"for {district}: pending")
    page.click("#proposal-accept")
    expect(page.locator("#proposal-detail h3")).to_contain_text(f"for {district}: accepted")


def _fits(page: Any, width: int) -> None:
    """The page is no wider than the screen (wide tables scroll in their own box)."""
    wide = page.evaluate(
        """(width) => [...document.querySelectorAll("body *")]
            .filter((e) => e.getBoundingClientRect().right > width && !e.closest(".scroll"))
            .map((e) => `${e.tagName}#${e.id}.${e.className}`)""",
        width,
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width, wide


def test_a_coordinator_and_an_officer_use_the_page(live: Live, tmp_path: Path) -> None:
    from playwright.sync_api import FilePayload, expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(accept_downloads=True)
            page.set_default_timeout(60_000)
            confirmed: list[str] = []

            def confirm(dialog: Any) -> None:
                confirmed.append(dialog.message)
                dialog.accept()

            page.on("dialog", confirm)
            page.goto(live.url + "/")

            page.fill("#token", "lift_wrong")
            page.click("#sign-in-form button")
            expect(page.locator("#sign-in-error")).to_contain_text("not valid")

            page.fill("#token", live.officer)
            page.click("#sign-in-form button")
            expect(page.locator("#who-text")).to_contain_text("county officer")
            expect(page.locator("#scenario")).to_contain_text("Tiny 2025-26")

            page.click("#rota-run")
            expect(page.locator("#rota-job .stage")).to_have_text("succeeded", timeout=JOB_TIMEOUT)
            expect(page.locator("#rota-job")).to_contain_text("18 meetings, proven optimal")
            expect(page.locator("#rota-calendar")).to_contain_text("No rota has been planned yet")
            for district in (NORTH, SOUTH):
                _accept_in_page(page, "Rota", district)
            expect(page.locator("#proposal-differences")).to_contain_text("new")
            assert any("replace what is in use" in m for m in confirmed)
            page.click("[data-tab=rota]")
            expect(page.locator("#rota-calendar .meeting")).to_have_count(18)
            expect(page.locator("#rota-calendar th").first).to_have_text("Week of")
            expect(page.locator("#rota-analysis")).to_contain_text("proven optimal")

            page.select_option("#district", NORTH)
            expect(page.locator("#rota-calendar .meeting")).to_have_count(12)
            with page.expect_download() as info:
                page.click("#ics-download")
            download = info.value
            assert download.suggested_filename == "rota-northdown.ics"
            saved = tmp_path / download.suggested_filename
            download.save_as(saved)
            assert saved.read_text().startswith("BEGIN:VCALENDAR")

            page.select_option("#district", "")
            page.click("[data-tab=caseload]")
            page.click("#caseload-plan")
            expect(page.locator("#caseload-job .stage")).to_have_text(
                "succeeded", timeout=JOB_TIMEOUT
            )
            for district in (NORTH, SOUTH):
                _accept_in_page(page, "Caseload plan", district)
            page.click("[data-tab=caseload]")
            expect(page.locator("#caseload-people")).to_contain_text("ST1")
            expect(page.locator("#caseload-without-consent")).to_contain_text("T-0003")
            expect(page.locator("#caseload-without-consent")).to_contain_text("consent")
            expect(page.locator("#caseload-waiting")).not_to_contain_text("T-0003")

            page.click("[data-tab=staffing]")
            page.click("#staffing-run")
            expect(page.locator("#staffing-table")).to_contain_text("Northdown")
            expect(page.locator("#staffing-chart")).to_be_visible()
            page.fill("#staffing-total", "5")
            page.click("#staffing-compare")
            expect(page.locator("#staffing-comparison")).to_contain_text("adjusted")

            upload: FilePayload = {
                "name": "tiny.zip",
                "mimeType": "application/zip",
                "buffer": live.tiny_zip,
            }
            page.set_input_files("#upload-files", files=[upload])
            page.click("#upload-form button")
            expect(page.locator("#upload-result")).to_contain_text("as scenario #2")
            page.screenshot(path=str(tmp_path / "officer.png"), full_page=True)

            page.click("#sign-out")
            page.fill("#token", live.coordinator)
            page.click("#sign-in-form button")
            expect(page.locator("#who-text")).to_contain_text(NORTH)
            expect(page.locator("[data-tab=staffing]")).to_be_hidden()
            page.select_option("#scenario", "1")
            page.click("[data-tab=agreements]")
            form = page.locator("#agreement-form")
            form.locator("[name=case_id]").fill("T-0900")
            form.locator("[name=school_urn]").select_option(str(NORTH_SCHOOL))
            form.locator("[name=agreed_on]").fill("2025-10-06")
            form.locator("[name=priority]").select_option("1")
            form.locator("[name=consent]").fill("maybe")
            form.locator("button").click()
            expect(page.locator("#agreement-error")).to_contain_text("consent")
            form.locator("[name=consent]").fill("exception: parent unreachable")
            form.locator("button").click()
            expect(page.locator("#agreement-list")).to_contain_text("T-0900")

            page.click("[data-tab=caseload]")
            expect(page.locator("#caseload-today")).to_have_value(re.compile(r"^\d\d/\d\d/\d{4}$"))
            page.fill("#caseload-today", "06/10/2025")
            page.click("#caseload-rebalance")
            expect(page.locator("#caseload-job .stage")).to_have_text(
                "succeeded", timeout=JOB_TIMEOUT
            )
            expect(page.locator("#caseload-changes")).not_to_contain_text("T-0900")
            page.click("[data-tab=proposals]")
            row = page.locator("#proposals-list tr", has_text="Caseload plan")
            expect(row).to_have_count(1)
            expect(row).to_contain_text("rebalance")
            row.locator("button.open-proposal").click()
            differences = page.locator("#proposal-differences")
            expect(differences).to_contain_text("T-0900")
            expect(differences.locator("tr", has_text="T-0900")).to_contain_text("new")
            expect(page.locator("#proposal-detail")).to_contain_text("started")
            page.screenshot(path=str(tmp_path / "proposal-desktop.png"), full_page=True)
            page.set_viewport_size({"width": 390, "height": 844})
            _fits(page, 390)
            page.screenshot(path=str(tmp_path / "proposal-390.png"), full_page=True)
            page.click("#proposal-accept")
            expect(page.locator("#proposal-detail h3")).to_contain_text("accepted")
            expect(page.locator("#proposal-notes")).to_contain_text("T-0900")
            expect(page.locator("#proposal-notes")).to_contain_text("newly agreed")
            expect(page.locator("#versions-list button.rollback").first).to_be_visible()
            _fits(page, 390)
            page.screenshot(path=str(tmp_path / "accepted-390.png"), full_page=True)
            page.set_viewport_size({"width": 1280, "height": 900})
            page.screenshot(path=str(tmp_path / "accepted-desktop.png"), full_page=True)
            page.click("[data-tab=caseload]")
            expect(page.locator("#caseload-changes")).to_contain_text("T-0900")
            with page.expect_download() as info:
                page.click("[data-download='caseload/caseload.xlsx']")
            assert info.value.suggested_filename == "caseload.xlsx"
            expect(page.locator("#caseload-people")).to_contain_text("T-0001, T-0900")
            expect(page.locator("#caseload-people")).not_to_contain_text("ST2")
            page.screenshot(path=str(tmp_path / "coordinator.png"), full_page=True)
            page.click("[data-tab=rota]")
            page.screenshot(path=str(tmp_path / "coordinator-rota.png"), full_page=True)
        finally:
            browser.close()
