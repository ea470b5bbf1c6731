"""The LIFT Executive's report from the page: a coordinator downloads their district's PDF for a
half-term from the Reviews tab; an officer with all districts chosen gets the county's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.builders.browser import PHONE, Live, shoot, sign_in


def test_the_executives_report_downloads_from_the_reviews_tab(
    planned_live: Live, page: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    sign_in(page, planned_live.url, planned_live.coordinator)
    page.click("[data-tab=reviews]")
    page.select_option("#executive-half", "2")
    with page.expect_download() as info:
        page.click("#executive-pdf")
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.suffix == ".pdf" and saved.read_bytes().startswith(b"%PDF")
    expect(page.locator("#executive-error")).to_have_text("")
    shoot(page, "report-reviews-tab")
    page.set_viewport_size(PHONE)
    shoot(page, "report-reviews-tab-390", PHONE["width"])

    page.click("#sign-out")
    sign_in(page, planned_live.url, planned_live.officer)
    page.click("[data-tab=reviews]")
    with page.expect_download() as county:
        page.click("#executive-pdf")
    assert "county" in county.value.suggested_filename.lower()
