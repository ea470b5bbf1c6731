"""The Caseload tab in chromium, at desktop and 390 px: headline counts that add up, each person's
diary, the case finder (search, sort, filters, open), and the district filter on every table."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.accept import run_and_accept
from tests.builders.browser import DESKTOP, Live, shoot, sign_in
from tests.builders.service import NORTH, NORTH_SCHOOL, SOUTH, Service

HEADLINE = "3 cases: 0 running, 2 planned to start, 0 waiting, 1 without consent."


def _case_ids(page: Any) -> list[str]:
    return list(page.locator("#caseload-cases tbody tr td:first-child").all_inner_texts())


def _open_caseload(page: Any) -> None:
    from playwright.sync_api import expect

    page.click("[data-tab=caseload]")
    expect(page.locator("#caseload-cases tbody tr").first).to_be_visible()


def test_an_officer_finds_who_supports_a_child_and_from_when(planned_live: Live, page: Any) -> None:
    from playwright.sync_api import expect

    sign_in(page, planned_live.url, planned_live.officer)
    _open_caseload(page)
    expect(page.locator("#caseload-counts")).to_have_text(HEADLINE)

    # The diary: the first person by default, their case as a bar, load and capacity.
    expect(page.locator("#caseload-person")).to_have_value("ST1")
    diary = page.locator("#caseload-diary")
    expect(diary.locator("caption")).to_contain_text("Diary of Specialist teacher 1")
    expect(diary).to_contain_text("1110 minutes a week")
    bar = diary.locator(".bar", has_text="T-0001")
    expect(bar).to_have_text("T-0001 · 60 min")
    expect(bar).to_have_attribute(
        "title", "T-0001 at North Primary: 10/11/2025 to 30/01/2026, 60 minutes a week (planned)"
    )
    expect(diary.locator("tr.diary-load td.away")).to_have_count(1)
    expect(diary).not_to_contain_text("ST1")
    shoot(page, "caseload-diary-desktop")
    shoot(page, "caseload-diary-390", 390)
    page.set_viewport_size(DESKTOP)

    page.select_option("#caseload-person", "*")
    expect(diary.locator("tr.diary-person")).to_have_count(3)
    expect(diary.locator(".bar")).to_have_count(2)
    expect(diary.locator(".bar.urgent")).to_have_text("T-0002 · 90 min")
    expect(diary).to_contain_text("Hearing specialist 1 (HI)")

    # The finder: every case, staff by name, dates dd/mm/yyyy.
    cases = page.locator("#caseload-cases")
    expect(page.locator("#caseload-found")).to_have_text("3 of 3 cases shown.")
    first = cases.locator("tr[data-case='T-0001']")
    expect(first).to_contain_text("North Primary")
    expect(first).to_contain_text("Specialist teacher 1")
    expect(first).to_contain_text("10/11/2025")
    expect(first).to_contain_text("30/01/2026")
    expect(cases.locator("tr[data-case='T-0002']")).to_contain_text("urgent (1)")
    expect(cases.locator("tr[data-case='T-0003']")).to_contain_text("without consent")
    expect(cases).not_to_contain_text("ST1")

    # Search by school, by person; filters by status, need and person.
    page.fill("#caseload-search", "acorns")
    expect(page.locator("#caseload-found")).to_have_text("1 of 3 cases shown.")
    assert _case_ids(page) == ["T-0003"]
    page.fill("#caseload-search", "hearing")
    assert _case_ids(page) == ["T-0002"]
    page.fill("#caseload-search", "")
    page.select_option("#caseload-status", "without_consent")
    expect(cases.locator("tbody tr")).to_have_count(1)
    assert _case_ids(page) == ["T-0003"]
    page.select_option("#caseload-status", "")
    page.select_option("#caseload-need", "HI")
    assert _case_ids(page) == ["T-0002"]
    page.select_option("#caseload-need", "")
    page.select_option("#caseload-who", "ST1")
    assert _case_ids(page) == ["T-0001"]
    page.select_option("#caseload-who", "-")
    assert _case_ids(page) == ["T-0003"]
    page.select_option("#caseload-who", "")
    expect(cases.locator("tbody tr")).to_have_count(3)

    # Sort by clicking the headers (real buttons, aria-sort said), and by keyboard.
    case_header = cases.locator("th", has=page.locator("button[data-sort=case_id]"))
    expect(case_header).to_have_attribute("aria-sort", "ascending")
    assert _case_ids(page) == ["T-0001", "T-0002", "T-0003"]
    cases.locator("button[data-sort=case_id]").click()
    expect(case_header).to_have_attribute("aria-sort", "descending")
    assert _case_ids(page) == ["T-0003", "T-0002", "T-0001"]
    cases.locator("button[data-sort=priority]").focus()
    page.keyboard.press("Enter")
    priority_header = cases.locator("th", has=page.locator("button[data-sort=priority]"))
    expect(priority_header).to_have_attribute("aria-sort", "ascending")
    expect(case_header).to_have_attribute("aria-sort", "none")
    assert _case_ids(page) == ["T-0002", "T-0001", "T-0003"]
    cases.locator("button[data-sort=start]").click()
    assert _case_ids(page)[-1] == "T-0003"  # no start: last either way
    shoot(page, "caseload-finder-desktop")
    shoot(page, "caseload-finder-390", 390)
    page.set_viewport_size(DESKTOP)

    # "Open" tells the rest of the page which case to show, by a DOM event (no globals).
    page.evaluate(
        """() => document.addEventListener("lift:open-case",
            (event) => { document.body.dataset.opened = event.detail.caseId; })"""
    )
    cases.locator("tr[data-case='T-0002'] button.open-case").click()
    expect(page.locator("body")).to_have_attribute("data-opened", "T-0002")
    page.click("[data-tab=caseload]")  # the Agreements tab shows the case record

    # A date typed for a rebalance is read as dd/mm/yyyy or yyyy-mm-dd, and only a real day.
    read = page.evaluate(
        """async () => {
            const { isoOf } = await import("/static/js/core.js");
            return ["6/10/2025", "2025-10-06", " 06/10/2025 ", "31/02/2026", "10/06", "soon"]
                .map(isoOf);
        }"""
    )
    assert read == ["2025-10-06", "2025-10-06", "2025-10-06", None, None, None]

    # The district filter applies to every table of the tab.
    page.select_option("#district", NORTH)
    expect(page.locator("#caseload-counts")).to_have_text(
        "1 case: 0 running, 1 planned to start, 0 waiting, 0 without consent."
    )
    expect(page.locator("#caseload-found")).to_have_text("1 of 1 case shown.")
    people = page.locator("#caseload-people")
    expect(people).to_contain_text("Specialist teacher 1")
    expect(people).not_to_contain_text("Specialist teacher 2")
    expect(people).not_to_contain_text("Hearing specialist 1")
    expect(page.locator("#caseload-without-consent")).to_have_text("Every case has consent.")
    expect(page.locator("#caseload-person option")).to_have_count(2)
    expect(diary.locator("tr.diary-person")).to_have_count(1)
    page.select_option("#caseload-person", "ST1")
    shoot(page, "caseload-northdown-desktop")
    shoot(page, "caseload-northdown-390", 390)
    page.set_viewport_size(DESKTOP)

    page.select_option("#district", SOUTH)
    expect(page.locator("#caseload-counts")).to_have_text(
        "2 cases: 0 running, 1 planned to start, 0 waiting, 1 without consent."
    )
    # The person chosen is not in Southfield: the diary shows Southfield's first.
    expect(page.locator("#caseload-person")).to_have_value("ST2")
    expect(diary.locator("caption")).to_contain_text("Diary of Specialist teacher 2")
    expect(diary).to_contain_text("No case.")
    expect(people).not_to_contain_text("Specialist teacher 1")
    expect(page.locator("#caseload-without-consent")).to_contain_text("T-0003")


def test_a_coordinator_sees_their_district_by_name(planned_live: Live, page: Any) -> None:
    from playwright.sync_api import expect

    sign_in(page, planned_live.url, planned_live.coordinator)
    _open_caseload(page)
    expect(page.locator("#caseload-counts")).to_have_text(
        "1 case: 0 running, 1 planned to start, 0 waiting, 0 without consent."
    )
    expect(page.locator("#caseload-people")).to_contain_text("Specialist teacher 1")
    expect(page.locator("#caseload-people")).to_contain_text("T-0001")
    expect(page.locator("#caseload-people")).not_to_contain_text("Specialist teacher 2")
    expect(page.locator("#caseload-diary .bar")).to_have_text("T-0001 · 60 min")
    shoot(page, "caseload-coordinator-390", 390)
    page.set_viewport_size(DESKTOP)
    shoot(page, "caseload-coordinator-desktop")


def _agreement(case_id: str, **changes: Any) -> dict[str, Any]:
    found = {
        "case_id": case_id,
        "school_urn": NORTH_SCHOOL,
        "need_type": "C&I",
        "sen_stage": "SEN Support",
        "consent": "yes",
        "agreed_on": "2025-10-01",
        "minutes_per_week": 30,
        "weeks": 6,
        "priority": 2,
    }
    found.update(changes)
    return found


def test_waiting_reasons_add_up_to_the_headline(live: Live, page: Any) -> None:
    from playwright.sync_api import expect

    svc = Service(client=TestClient(live.app), tokens={"officer": live.officer}, scenario_id=1)
    for new in (_agreement("T-0401", agreed_on="2026-07-15"), _agreement("T-0402", need_type="PD")):
        added = svc.call("officer", "POST", "/api/scenarios/1/agreements", json=new)
        assert added.status_code == 201, added.text
    run_and_accept(svc, "caseload/plan", {"time_limit": 10})
    added = svc.call("officer", "POST", "/api/scenarios/1/agreements", json=_agreement("T-0403"))
    assert added.status_code == 201, added.text

    sign_in(page, live.url, live.officer)
    _open_caseload(page)
    expect(page.locator("#caseload-counts")).to_have_text(
        "6 cases: 0 running, 2 planned to start, 2 waiting (1 no specialist for the need, "
        "1 agreed too late for the year), 1 without consent, 1 not planned yet."
    )
    waiting = page.locator("#caseload-waiting tbody tr")
    expect(waiting).to_have_count(2)
    expect(page.locator("#caseload-waiting")).to_contain_text("agreed on 15/07/2026")
    expect(page.locator("#caseload-waiting")).not_to_contain_text("2026-07-15")
    page.select_option("#caseload-status", "waiting")
    assert _case_ids(page) == ["T-0401", "T-0402"]
    expect(page.locator("#caseload-cases tr[data-case='T-0401']")).to_contain_text(
        "agreed too late for the year"
    )
    page.select_option("#caseload-status", "not_planned")
    assert _case_ids(page) == ["T-0403"]
    shoot(page, "caseload-waiting-desktop")
    shoot(page, "caseload-waiting-390", 390)
