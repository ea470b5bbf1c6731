"""The Reviews tab in chromium, as a Northdown coordinator: reviews due and overdue as of a date,
recording entry and exit measures and seeing them as progress, editing a case's written agreement,
downloading its PDF and opening its HTML; at desktop and at 390 px."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.builders.browser import DESKTOP, Live, shoot, sign_in


def both(page: Any, name: str) -> None:
    """Screenshots at desktop and at 390 px (back to desktop afterwards)."""
    shoot(page, name)
    shoot(page, f"{name}-390", 390)
    page.set_viewport_size(DESKTOP)


def record(page: Any, date: str, kind: str, value: str) -> None:
    form = page.locator("#review-form")
    form.locator("#review-case").select_option("T-0001")
    form.locator("#review-date").fill(date)
    form.locator("#review-kind").select_option(kind)
    form.locator("#review-measure").fill("reading age (months)")
    form.locator("#review-value").fill(value)
    form.get_by_role("button", name="Record the measure").click()


def test_reviews_due_measures_progress_and_written_agreement(
    planned_live: Live, page: Any, tmp_path: Path
) -> None:
    live = planned_live
    sign_in(page, live.url, live.coordinator)
    page.click("[data-tab=reviews]")
    note = page.locator("#reviews-note")
    expect(note).to_contain_text("overdue")
    # The tiny county's year ends on 21/07/2026: a later today is moved there, and said so.
    page.locator("#reviews-on").fill("2026-07-20")
    page.locator("#reviews-when").get_by_role("button", name="Show").click()
    expect(page.locator("#reviews-on")).to_have_value("20/07/2026")
    expect(note).to_contain_text("As of 20/07/2026")
    overdue = page.locator("#reviews-overdue")
    expect(overdue).to_contain_text("T-0001")
    expect(overdue).to_contain_text("North Primary")
    expect(overdue).not_to_contain_text("T-0002")
    expect(overdue).not_to_contain_text("2025-")
    both(page, "reviews-due")

    record(page, "31/02/2026", "entry", "80")
    # Not a real day: the field says so (dd/mm/yyyy) and the form is not sent.
    expect(page.locator("#review-date")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#review-done")).to_be_empty()
    record(page, "06/10/2025", "entry", "80")
    expect(page.locator("#review-done")).to_contain_text("Recorded: case T-0001, entry")
    record(page, "2026-07-20", "exit", "92")
    expect(page.locator("#review-done")).to_contain_text(
        "exit reading age (months) 92 on 20/07/2026"
    )
    record(page, "07/10/2025", "entry", "81")
    expect(page.locator("#review-error")).to_contain_text("one entry of 'reading age (months)'")
    progress = page.locator("#reviews-progress")
    expect(progress).to_contain_text("C&I")
    expect(progress).to_contain_text("+12")
    expect(overdue).to_contain_text("No review is overdue.")
    page.locator(".reviews-cases summary").click()
    expect(page.locator("#reviews-progress-cases")).to_contain_text("T-0001")
    both(page, "reviews-progress")

    page.locator("#written-case").select_option("T-0001")
    page.get_by_role("button", name="Open the written agreement").click()
    form = page.locator("#written-form")
    expect(form).to_be_visible()
    expect(page.locator("#written-title")).to_have_text("Written agreement: case T-0001")
    expect(page.locator("#written-facts")).to_contain_text("17/09/2025")
    expect(page.locator("#written-duration")).to_contain_text("in the plan in use")
    expect(page.locator("#written-duration")).to_contain_text("Specialist: ")
    expect(page.locator("#written-schedule")).to_contain_text("by the default schedule")
    page.get_by_label("The support").fill("Weekly sessions <b>in class</b>")
    page.get_by_label("Exit strategy").fill("Handover to the class teacher")
    page.get_by_label("Review date agreed").fill("2025-11-20")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("#written-done")).to_contain_text(
        "Saved the written agreement of case T-0001"
    )
    expect(page.get_by_label("Review date agreed")).to_have_value("20/11/2025")
    expect(page.locator("#written-schedule")).to_have_text("The review is on the date agreed.")
    expect(page.get_by_label("The support")).to_have_value("Weekly sessions <b>in class</b>")
    page.get_by_label("Review date agreed").fill("01/01/2024")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("#written-error")).to_contain_text("within or just after the academic year")
    page.get_by_label("Review date agreed").fill("20/11/2025")
    both(page, "reviews-written")

    with page.expect_download() as info:
        page.get_by_role("button", name="Download PDF").click()
    download = info.value
    assert download.suggested_filename == "agreement-T-0001.pdf"
    saved = tmp_path / "agreement.pdf"
    download.save_as(saved)
    words = " ".join(p.extract_text() for p in PdfReader(saved).pages)
    for expected in ("T-0001", "North Primary", "Weekly sessions <b>in class</b>", "20/11/2025"):
        assert expected in words, expected

    with page.expect_popup() as popup_info:
        page.get_by_role("button", name="Open HTML").click()
    popup = popup_info.value
    expect(popup.locator("h1")).to_contain_text("LIFT written agreement: case T-0001")
    expect(popup.locator("body")).to_contain_text("Weekly sessions <b>in class</b>")
    popup.close()
