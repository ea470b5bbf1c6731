"""The web page in a real browser (Debian's chromium, driven by Playwright): sign in, plan the rota,
the caseload and staffing, accept their proposals, add an agreement and rebalance, review and accept
the rebalance's proposal (on a desktop and a 390 px screen), upload a scenario, download the calendar."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.builders.browser import DESKTOP, JOB_TIMEOUT, PHONE, Live, fits, shoot
from tests.builders.service import NORTH, NORTH_SCHOOL, SOUTH


def _accept_in_page(page: Any, what: str, district: str) -> None:
    """Open the pending proposal of `what` for `district` on the Proposals tab and accept it."""
    from playwright.sync_api import expect

    page.click("[data-tab=proposals]")
    row = page.locator("#proposals-list tr", has_text=what).filter(has_text=district)
    row.locator("button.open-proposal").click()
    expect(page.locator("#proposal-detail h3")).to_contain_text(f"for {district}: pending")
    page.click("#proposal-accept")
    expect(page.locator("#proposal-detail h3")).to_contain_text(f"for {district}: accepted")


def test_a_coordinator_and_an_officer_use_the_page(live: Live, page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import FilePayload, expect

    confirmed = page.confirmed
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
    expect(page.locator("#caseload-job .stage")).to_have_text("succeeded", timeout=JOB_TIMEOUT)
    for district in (NORTH, SOUTH):
        _accept_in_page(page, "Caseload plan", district)
    page.click("[data-tab=caseload]")
    expect(page.locator("#caseload-people")).to_contain_text("Specialist teacher 1")
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
    expect(page.locator("#scenario")).to_have_value("2")
    shoot(page, "walkthrough-officer")
    page.select_option("#scenario", "1")
    page.click("#scenario-live")
    expect(page.locator("#scenario option:checked")).to_contain_text("(live)")

    page.click("#sign-out")
    page.fill("#token", live.coordinator)
    page.click("#sign-in-form button")
    expect(page.locator("#who-text")).to_contain_text(NORTH)
    expect(page.locator("[data-tab=staffing]")).to_be_hidden()
    # The officer's upload (#2) does not move the coordinator: they open on the oldest (#1).
    expect(page.locator("#scenario")).to_have_value("1")
    expect(page.locator("#scenario-live")).to_be_hidden()
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
    # A day outside the scenario's year is refused before anything runs (every new case would wait).
    page.fill("#caseload-today", "03/12/2026")
    page.click("#caseload-rebalance")
    expect(page.locator("#caseload-job")).to_contain_text("outside this scenario's school year")
    page.fill("#caseload-today", "06/10/2025")
    page.click("#caseload-rebalance")
    expect(page.locator("#caseload-job .stage")).to_have_text("succeeded", timeout=JOB_TIMEOUT)
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
    shoot(page, "walkthrough-proposal-desktop")
    page.set_viewport_size(PHONE)
    fits(page, 390)
    shoot(page, "walkthrough-proposal-390")
    page.click("#proposal-accept")
    expect(page.locator("#proposal-detail h3")).to_contain_text("accepted")
    expect(page.locator("#proposal-notes")).to_contain_text("T-0900")
    expect(page.locator("#proposal-notes")).to_contain_text("newly agreed")
    expect(page.locator("#versions-list button.rollback").first).to_be_visible()
    fits(page, 390)
    shoot(page, "walkthrough-accepted-390")
    page.set_viewport_size(DESKTOP)
    shoot(page, "walkthrough-accepted-desktop")
    page.click("[data-tab=caseload]")
    expect(page.locator("#caseload-changes")).to_contain_text("T-0900")
    with page.expect_download() as info:
        page.click("[data-download='caseload/caseload.xlsx']")
    assert info.value.suggested_filename == "caseload.xlsx"
    expect(page.locator("#caseload-people")).to_contain_text("T-0001, T-0900")
    expect(page.locator("#caseload-people")).not_to_contain_text("Specialist teacher 2")
    shoot(page, "walkthrough-coordinator")
    page.click("[data-tab=rota]")
    shoot(page, "walkthrough-coordinator-rota")
