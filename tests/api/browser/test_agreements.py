"""The Agreements tab in chromium, as a Northdown coordinator: open a case's record, change it and see
the change in its timeline, close it, open a case from another tab, add one with a dd/mm/yyyy date,
and add many from a file after its preview; at desktop and at 390 px."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
from playwright.sync_api import expect

from tests.builders.browser import DESKTOP, Live, shoot, sign_in
from tests.builders.service import NORTH_SCHOOL, SOUTH_SCHOOL

HEADER = [
    "case_id",
    "school_urn",
    "need_type",
    "sen_stage",
    "lac",
    "consent",
    "agreed_on",
    "minutes_per_week",
    "weeks",
    "priority",
]


def csv_file(name: str, *rows: str) -> dict[str, Any]:
    data = ("\n".join([",".join(HEADER), *rows]) + "\n").encode()
    return {"name": name, "mimeType": "text/csv", "buffer": data}


def xlsx_file(name: str, rows: list[list[Any]]) -> dict[str, Any]:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [HEADER, *rows]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return {"name": name, "mimeType": mime, "buffer": out.getvalue()}


def both(page: Any, name: str) -> None:
    """Screenshots at desktop and at 390 px (back to desktop afterwards)."""
    shoot(page, name)
    shoot(page, f"{name}-390", 390)
    page.set_viewport_size(DESKTOP)


def test_a_case_record_edit_close_and_bulk_upload(planned_live: Live, page: Any) -> None:
    live = planned_live
    sign_in(page, live.url, live.coordinator)
    page.click("[data-tab=agreements]")
    listing = page.locator("#agreement-list")
    row = listing.locator("tr", has_text="T-0001")
    expect(row).to_contain_text("North Primary")
    expect(row).to_contain_text("17/09/2025")
    expect(listing).not_to_contain_text("T-0002")
    both(page, "agreements-list")

    row.get_by_role("button", name="Open case T-0001").click()
    record = page.locator("#agreement-record")
    expect(record).to_be_visible()
    expect(page.locator("#record-title")).to_have_text("Case T-0001")
    expect(page.locator("#record-title")).to_be_focused()
    timeline = page.locator("#record-timeline")
    expect(timeline).to_contain_text("Agreed at a LIFT meeting")
    expect(timeline).to_contain_text("Planned (the plan in use)")
    expect(page.locator("#record-state")).to_contain_text("Supported by")
    expect(page.locator("#record-reviews")).to_contain_text("No reviews recorded")
    expect(record).not_to_contain_text("2025-09-17")
    both(page, "agreements-record")

    edit = page.locator("#record-edit-form")
    expect(edit.locator("[name=agreed_on]")).to_have_value("17/09/2025")
    edit.locator("[name=agreed_on]").fill("31/02/2025")
    edit.locator("button").click()
    expect(page.locator("#record-edit-error")).to_contain_text("dd/mm/yyyy")
    edit.locator("[name=agreed_on]").fill("18/09/2025")
    edit.locator("[name=weeks]").fill("14")
    edit.locator("[name=consent]").fill("maybe")
    edit.locator("button").click()
    expect(page.locator("#record-edit-error")).to_contain_text("Check the consent")
    edit.locator("[name=consent]").fill("exception: parent in hospital")
    edit.locator("button").click()
    expect(page.locator("#record-done")).to_contain_text("Saved")
    change = timeline.locator("li.changed")
    expect(change).to_contain_text("Weeks: 10 → 14")
    expect(change).to_contain_text("Agreed on: 17/09/2025 → 18/09/2025")
    expect(change).to_contain_text("coordinator")
    expect(page.locator("#record-fields")).to_contain_text("exception: parent in hospital")
    both(page, "agreements-record-changed")

    close = page.locator("#record-close-form")
    close.locator("[name=closed_on]").fill("01/01/2020")
    close.locator("button").click()
    expect(page.locator("#record-close-error")).to_contain_text("date closed")
    close.locator("[name=closed_on]").fill("20/03/2026")
    close.locator("button").click()
    expect(page.locator("#record-state")).to_contain_text("Closed: support finished on 20/03/2026")
    assert any("Close case T-0001" in message for message in page.confirmed)
    expect(timeline).to_contain_text("Finished")
    expect(timeline.locator("li.closed")).to_contain_text("20/03/2026")
    expect(edit).to_be_hidden()
    expect(listing).not_to_contain_text("T-0001")
    page.select_option("#agreement-status", "closed")
    expect(listing).to_contain_text("20/03/2026")
    page.select_option("#agreement-status", "open")
    both(page, "agreements-record-closed")

    # Another tab opens a record with the lift:open-case event.
    page.click("#record-hide")
    expect(record).to_be_hidden()
    page.click("[data-tab=caseload]")
    page.evaluate(
        """document.dispatchEvent(new CustomEvent("lift:open-case",
             { detail: { caseId: "T-0001" } }))"""
    )
    expect(page.locator("#tab-agreements")).to_be_visible()
    expect(page.locator("[data-tab=agreements]")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#record-title")).to_have_text("Case T-0001")
    page.click("#record-hide")

    form = page.locator("#agreement-form")
    form.locator("[name=case_id]").fill("T-0901")
    form.locator("[name=school_urn]").select_option(str(NORTH_SCHOOL))
    form.locator("[name=agreed_on]").fill("21/13/2025")
    form.locator("button").click()
    expect(page.locator("#agreement-error")).to_contain_text("dd/mm/yyyy")
    form.locator("[name=agreed_on]").fill("21/11/2025")
    form.locator("button").click()
    expect(page.locator("#agreement-done")).to_contain_text("Added T-0901")
    expect(listing.locator("tr", has_text="T-0901")).to_contain_text("21/11/2025")

    page.set_input_files(
        "#agreement-file",
        files=[
            csv_file(
                "new.csv",
                f"N-1,{NORTH_SCHOOL},C&I,EHCP,no,maybe,21/11/2025,60,10,1",
                f"N-2,{SOUTH_SCHOOL},C&I,EHCP,no,yes,21/11/2025,60,10,1",
                f"=cmd|' /C calc'!A0,{NORTH_SCHOOL},C&I,EHCP,no,yes,21/11/2025,60,10,1",
            )
        ],
    )
    page.click("#agreement-upload-form button[type=submit]")
    preview = page.locator("#agreement-preview")
    expect(preview).to_contain_text("0 ready to add, 3 with problems")
    expect(preview).to_contain_text("a school of your district")
    expect(preview).to_contain_text("'exception:' followed by the reason")
    expect(preview).to_contain_text("=cmd|' /C calc'!A0")
    expect(page.locator("#agreement-import")).to_be_hidden()
    both(page, "agreements-upload-problems")

    page.set_input_files(
        "#agreement-file",
        files=[
            xlsx_file(
                "new.xlsx",
                [
                    ["N-1", NORTH_SCHOOL, "C&I", "EHCP", "no", "yes", "21/11/2025", 60, 10, 1],
                    [
                        "N-2",
                        NORTH_SCHOOL,
                        "B&L",
                        "SEN Support",
                        None,
                        "yes",
                        "2025-11-24",
                        45,
                        6,
                        None,
                    ],
                ],
            )
        ],
    )
    page.click("#agreement-upload-form button[type=submit]")
    expect(preview).to_contain_text("2 ready to add, 0 with problems")
    expect(preview).to_contain_text("24/11/2025")
    expect(page.locator("#agreement-import")).to_have_text("Add 2 agreements")
    both(page, "agreements-upload-preview")
    page.click("#agreement-import")
    expect(preview).to_contain_text("Added 2 agreements (N-1, N-2)")
    expect(listing).to_contain_text("N-2")
    both(page, "agreements-upload-added")


def test_the_add_form_takes_the_walkthroughs_iso_date_and_says_what_is_wrong(
    live: Live, page: Any
) -> None:
    """The steps test_walkthrough.py takes on this form: an ISO date, a wrong consent named."""
    sign_in(page, live.url, live.coordinator)
    page.click("[data-tab=agreements]")
    form = page.locator("#agreement-form")
    form.locator("[name=case_id]").fill("T-0900")
    form.locator("[name=school_urn]").select_option(str(NORTH_SCHOOL))
    form.locator("[name=agreed_on]").fill("2025-10-06")
    form.locator("[name=priority]").select_option("1")
    form.locator("[name=consent]").fill("maybe")
    form.locator("button").click()
    expect(page.locator("#agreement-error")).to_contain_text("consent")
    expect(page.locator("#agreement-error")).not_to_contain_text("body")
    shoot(page, "agreements-add-error-390", 390)
    page.set_viewport_size(DESKTOP)
    form.locator("[name=consent]").fill("exception: parent unreachable")
    form.locator("button").click()
    expect(page.locator("#agreement-list")).to_contain_text("T-0900")
    expect(page.locator("#agreement-list tr", has_text="T-0900")).to_contain_text("06/10/2025")
