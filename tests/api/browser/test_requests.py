"""The Requests tab in chromium: the whole wait, the inbox (search and filter), each meeting's agenda
and its printable page, recording an outcome, and a specialist outcome becoming a prefilled agreement;
as a Northdown coordinator and as an officer choosing a district, at desktop and at 390 px."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from allocator.model import Scenario
from tests.api.test_api_requests import requests_zip
from tests.builders.browser import (
    DESKTOP,
    Live,
    copy_database,
    make_planned,
    screenshot_folder,
    shoot,
    sign_in,
)
from tests.builders.service import SOUTH


@pytest.fixture(scope="module")
def requests_made(
    tmp_path_factory: pytest.TempPathFactory, tiny_scenario: Scenario
) -> tuple[Path, bytes, tuple[str, str]]:
    """A stopped service's folder with the tiny county of requests as scenario #1, its rota and
    caseload plan accepted in both districts (made once); the county zipped; the tokens."""
    folder = tmp_path_factory.mktemp("requests-live")
    data = requests_zip(tiny_scenario, tmp_path_factory.mktemp("requests-zip"))
    return folder, data, make_planned(folder, data, "requests.zip")


@pytest.fixture
def requests_live(
    tmp_path: Path, requests_made: tuple[Path, bytes, tuple[str, str]]
) -> Iterator[Live]:
    """The service with the tiny county of requests as scenario #1, its rota and caseload plan
    accepted in both districts (each test on its own copy of `requests_made`)."""
    made, data, tokens = requests_made
    copy_database(made, tmp_path)
    with Live(tmp_path, data, tokens) as server:
        yield server


def both(page: Any, name: str) -> None:
    """Screenshots at desktop and at 390 px (back to desktop afterwards)."""
    shoot(page, name)
    shoot(page, f"{name}-390", 390)
    page.set_viewport_size(DESKTOP)


def test_a_coordinators_requests_agendas_and_outcomes(requests_live: Live, page: Any) -> None:
    live = requests_live
    sign_in(page, live.url, live.coordinator)
    page.click("[data-tab=requests]")
    listing = page.locator("#request-list")
    expect(listing.locator("tr", has_text="R-N1")).to_contain_text("North Primary")
    expect(listing.locator("tr", has_text="R-N1")).to_contain_text("08/09/2025")
    expect(listing.locator("tr", has_text="R-N2")).to_contain_text("urgent")
    expect(listing.locator("tr", has_text="R-N2")).to_contain_text("looked after")
    expect(listing.locator("tr", has_text="R-N4")).to_contain_text("county route")
    expect(listing.locator("tr", has_text="R-N3")).to_contain_text("agreed: case T-0001")
    expect(listing).not_to_contain_text("R-S1")
    expect(listing).not_to_contain_text("2025-09")
    expect(page.locator("#waits-headline")).to_contain_text("From concern to support: median")
    expect(page.locator("#waits-table")).to_contain_text("Northdown")
    agenda = page.locator("#agenda-result")
    expect(agenda).to_contain_text("Every meeting is within its capacity")
    expect(agenda).to_contain_text("First come, first served")
    both(page, "requests-inbox")

    # Filter and search.
    page.select_option("#request-status", "agreed")
    expect(listing.locator("tbody tr")).to_have_count(1)
    expect(listing).to_contain_text("R-N3")
    page.select_option("#request-status", "all")
    page.fill("#request-search", "north academy")
    expect(listing.locator("tbody tr")).to_have_count(2)
    expect(page.locator("#request-count")).to_contain_text("2 requests shown of 5")
    both(page, "requests-filtered")
    page.fill("#request-search", "")

    # A meeting's agenda, expanded, and its printable page.
    meeting = agenda.locator(".agenda-meetings > li", has_text="N1").first
    meeting.locator("summary").click()
    expect(meeting.locator(".agenda-cases")).to_contain_text("R-N1")
    both(page, "requests-agenda")
    with page.expect_popup() as opened:
        meeting.get_by_role("button", name="Print the agenda").click()
    printable = opened.value
    expect(printable.locator("h1")).to_contain_text("LIFT meeting")
    expect(printable.locator("table")).to_contain_text("R-N1")
    expect(printable.locator("body")).not_to_contain_text("North Primary")
    assert "printable-agenda" in (printable.locator("body").get_attribute("class") or "")
    printable.screenshot(path=str(screenshot_folder() / "requests-print.png"))
    printable.close()

    # Record an outcome: a date that is no date is refused in words; then specialist.
    page.get_by_role("button", name="Record the outcome of R-N1").click()
    form = page.locator("#outcome-form")
    expect(form).to_be_visible()
    expect(page.locator("#outcome-title")).to_have_text("Outcome of R-N1")
    form.locator("[name=outcome]").select_option("specialist")
    form.locator("[name=decided_on]").fill("31/02/2025")
    form.get_by_role("button", name="Save the outcome").click()
    expect(page.locator("#outcome-error")).to_contain_text("dd/mm/yyyy")
    form.locator("[name=decided_on]").fill("01/09/2025")
    form.get_by_role("button", name="Save the outcome").click()
    expect(page.locator("#outcome-error")).to_contain_text("08/09/2025")
    form.locator("[name=decided_on]").fill("2025-09-24")
    form.get_by_role("button", name="Save the outcome").click()
    expect(page.locator("#outcome-done")).to_contain_text("Saved: R-N1")
    row = listing.locator("tr", has_text="R-N1")
    expect(row).to_contain_text("decided on 24/09/2025")
    expect(page.locator("#outcome-agreement")).to_be_visible()
    both(page, "requests-outcome")

    # Specialist: the agreement form, prefilled from the request.
    page.locator("#outcome-agreement").click()
    expect(page.locator("#tab-agreements")).to_be_visible()
    add = page.locator("#agreement-form")
    expect(add.locator("[name=request_id]")).to_have_value("R-N1")
    expect(add.locator("[name=school_urn]")).to_have_value("100001")
    expect(add.locator("[name=need_type]")).to_have_value("C&I")
    expect(add.locator("[name=agreed_on]")).to_have_value("24/09/2025")
    expect(add.locator("[name=case_id]")).to_be_focused()
    both(page, "requests-agreement-prefilled")
    add.locator("[name=case_id]").fill("T-0500")
    add.get_by_role("button", name="Add agreement").click()
    expect(page.locator("#agreement-done")).to_contain_text("Added T-0500")
    page.click("[data-tab=requests]")
    expect(listing.locator("tr", has_text="R-N1")).to_contain_text("agreed: case T-0500")


def test_an_officer_chooses_a_district_for_its_agendas(requests_live: Live, page: Any) -> None:
    live = requests_live
    sign_in(page, live.url, live.officer)
    page.click("[data-tab=requests]")
    listing = page.locator("#request-list")
    expect(listing).to_contain_text("R-S1")
    expect(listing).to_contain_text("R-N1")
    expect(page.locator("#agenda-result")).to_contain_text("Choose a district")
    both(page, "requests-officer-county")
    page.select_option("#district", SOUTH)
    expect(listing).not_to_contain_text("R-N1")
    agenda = page.locator("#agenda-result")
    expect(agenda).to_contain_text("Southfield:")
    expect(agenda).to_contain_text("County route")
    expect(agenda).to_contain_text("No meeting")
    page.fill("#agenda-from", "16/09/2025")
    page.get_by_role("button", name="Plan the agendas").click()
    expect(agenda).to_contain_text("0 requests on the agendas of 0 meetings")
    expect(listing.locator("tr", has_text="R-S1")).to_contain_text("on the agenda of S1")
    both(page, "requests-officer-south")
