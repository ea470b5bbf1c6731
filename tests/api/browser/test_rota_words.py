"""The Rota tab in plain words, in a real browser at desktop and 390 px: the urgent finder from a date
(clipped to the scenario's year, saying why nothing has room), each rule in a sentence (formula only in
a tooltip), progress as cases placed while a caseload plan runs, plain validation messages, no 404."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from api.db.models import JobRow, utcnow
from tests.builders.browser import DESKTOP, JOB_TIMEOUT, PHONE, Live, shoot, sign_in
from tests.builders.service import NORTH

WATCH_STAGES = """(box) => {
  window.liftStages = [];
  const target = document.querySelector(box);
  new MutationObserver(() => {
    const stage = target.querySelector(".stage");
    if (stage) window.liftStages.push(stage.textContent);
  }).observe(target, { subtree: true, childList: true, characterData: true });
}"""


def _find(page: Any, on: str) -> None:
    page.fill("#urgent-on", on)
    page.click("#urgent-run")


def test_the_urgent_finder_and_the_rules_in_plain_words(planned_live: Live, page: Any) -> None:
    from playwright.sync_api import expect

    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    sign_in(page, planned_live.url, planned_live.coordinator)
    expect(page.locator("#rota-calendar .meeting")).to_have_count(12)
    assert page.locator("#urgent-on").input_value() != ""
    expect(page.locator("#urgent-school")).to_contain_text("North Primary")

    _find(page, "01/12/2025")
    expect(page.locator("#urgent-note")).to_have_text(
        f"Meetings for North Primary ({NORTH}) from 01/12/2025."
    )
    expect(page.locator("#urgent-result li").first).to_contain_text("room for")
    expect(page.locator("#urgent-result li").first).to_have_text(
        re.compile(r"^\w+day \d\d/\d\d/20\d\d at \d\d:\d\d: N\d at \w+, room for \d+ more cases?$")
    )

    _find(page, "2026-09-21")
    expect(page.locator("#urgent-note")).to_contain_text(
        "the scenario's year ends 21/07/2026: showing meetings from 21/07/2026"
    )
    expect(page.locator("#urgent-result")).to_contain_text(
        f"No {NORTH} meeting is planned from 21/07/2026 to the end of the scenario's year"
    )
    assert "No coming meeting has room" not in page.locator("#urgent-result").inner_text()

    shoot(page, "rota-words-desktop")
    shoot(page, "rota-words-390", PHONE["width"])
    calendar = page.locator("#rota-calendar .scroll")
    assert calendar.evaluate("(box) => box.scrollWidth > box.clientWidth")
    page.set_viewport_size(DESKTOP)

    _find(page, "31/02/2026")
    expect(page.locator("#urgent-result .error")).to_have_text(
        "From: a date written dd/mm/yyyy, e.g. 21/11/2025."
    )
    page.fill("#rota-time", "9999")
    page.click("#rota-run")
    expect(page.locator("#rota-job .error")).to_contain_text("Time limit (seconds): at most")
    assert "body" not in page.locator("#rota-job .error").inner_text()
    shoot(page, "rota-words-invalid-desktop")
    shoot(page, "rota-words-invalid-390", PHONE["width"])
    page.set_viewport_size(DESKTOP)
    assert not missing, missing


def test_rules_in_sentences_and_a_caseload_plan_shows_cases_placed(
    planned_live: Live, page: Any
) -> None:
    from playwright.sync_api import expect

    sign_in(page, planned_live.url, planned_live.officer)
    analysis = page.locator("#rota-analysis")
    expect(analysis).to_contain_text("Each group's meetings are spread evenly through the year.")
    expect(analysis).to_contain_text("proven optimal")
    assert "Σ" not in page.locator("#tab-rota").inner_text()
    assert "Σ" in analysis.locator(".rule-words").first.get_attribute("title")
    analysis.scroll_into_view_if_needed()
    shoot(page, "rota-rules-desktop")
    shoot(page, "rota-rules-390", PHONE["width"])
    page.set_viewport_size(DESKTOP)

    page.click("[data-tab=caseload]")
    page.evaluate(WATCH_STAGES, "#caseload-job")
    page.click("#caseload-plan")
    expect(page.locator("#caseload-job .stage")).to_have_text("succeeded", timeout=JOB_TIMEOUT)
    stages: list[str] = page.evaluate("window.liftStages")
    assert not any("objective" in s for s in stages), stages
    # The tiny county plans in a moment, too fast to catch between polls: show a job as running
    # with what the worker reports (tests/api/test_api_plain_words.py checks the worker's words).
    sessions = planned_live.app.state.sessions
    with sessions.begin() as session:
        job = session.scalars(select(JobRow).where(JobRow.kind == "caseload_plan")).first()
        job.status, job.progress = "running", 0.4
        job.started_at = utcnow() - timedelta(seconds=8)
        job.stage = "placed 1 of 2 cases; shortening waits (step 2 of 4) for Northdown"
    page.click("[data-tab=jobs]")
    expect(page.locator("#jobs-list")).to_contain_text("Caseload plan")
    expect(page.locator("#jobs-list")).to_contain_text(
        re.compile(
            r"running, 40%: placed 1 of 2 cases; shortening waits \(step 2 of 4\) for "
            r"Northdown, about 1\d s left"
        )
    )
    shoot(page, "jobs-words-desktop")
    shoot(page, "jobs-words-390", PHONE["width"])
    page.set_viewport_size(DESKTOP)
