"""The Simulation tab in a real browser, as a county officer uses it: a saved staffing variant picked,
the year simulated with progress, the waits side by side per district with a sentence per changed
district, the run reopened from the list; at desktop and 390 px. A coordinator has no such tab."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.builders.browser import DESKTOP, JOB_TIMEOUT, Live, shoot, sign_in
from tests.builders.service import NORTH, SOUTH, bearer
from tests.builders.simulation import tiny_with_requests_zip

MORE_STAFF = {
    "label": "more-staff",
    "formula": {
        "settings": {
            "total_fte": 6.0,
            "method": "webster",
            "weights": {"pupils": 0.5, "sen_support": 0.5},
            "pools": {"HI": 1.0},
        }
    },
}


def _scenario_with_requests(live: Live, folder: Any) -> int:
    """The tiny county with a term of requests stored, with a saved variant of more staff."""
    client = TestClient(live.app)
    files = [("files", ("tiny.zip", tiny_with_requests_zip(folder), "application/zip"))]
    stored = client.post("/api/scenarios", files=files, headers=bearer(live.officer))
    assert stored.status_code == 201, stored.text
    sid = int(stored.json()["id"])
    saved = client.post(
        f"/api/scenarios/{sid}/staffing", json=MORE_STAFF, headers=bearer(live.officer)
    )
    assert saved.status_code == 201, saved.text
    return sid


def test_an_officer_simulates_a_variant_and_reads_the_waits(
    live: Live, page: Any, tmp_path: Any
) -> None:
    from playwright.sync_api import expect

    sid = _scenario_with_requests(live, tmp_path)
    sign_in(page, live.url, live.officer)
    page.select_option("#scenario", str(sid))
    page.click("[data-tab=simulation]")
    tab = page.locator("#tab-simulation")
    expect(page.locator("#simulation-list")).to_contain_text("No simulation has been run")
    variant = tab.get_by_label("more-staff", exact=False)
    expect(variant).not_to_be_checked()
    expect(tab.get_by_label("Planned", exact=False)).to_be_checked()
    expect(tab.get_by_label("By hand", exact=False)).to_be_checked()
    expect(tab.get_by_label("The limit", exact=False)).not_to_be_checked()
    shoot(page, "simulation-form")

    # Nothing to compare the ways of working with: refused in words, nothing run.
    tab.get_by_label("Planned", exact=False).uncheck()
    tab.get_by_label("By hand", exact=False).uncheck()
    page.click("#simulation-run")
    expect(page.locator("#simulation-error")).to_have_text("Choose at least one way of working.")
    tab.get_by_label("Planned", exact=False).check()
    tab.get_by_label("By hand", exact=False).check()

    variant.check()
    page.click("#simulation-run")
    expect(page.locator("#simulation-error")).to_have_text("")
    result = page.locator("#simulation-result")
    expect(result.locator("table").first).to_be_visible(timeout=JOB_TIMEOUT)
    expect(page.locator("#simulation-job")).to_contain_text("succeeded")
    expect(page.locator("#simulation-job")).to_contain_text("county median whole wait")
    expect(result).to_contain_text("The scenario's staffing, 'more-staff'")
    sentences = result.locator(".simulation-sentences li")
    expect(sentences).to_have_count(2)
    expect(sentences.first).to_contain_text(f"{NORTH}: median whole wait")
    expect(sentences.first).to_contain_text("under 'more-staff' against")
    expect(sentences.first).to_contain_text("under the scenario's staffing")
    tables = result.locator("table")
    expect(tables).to_have_count(2)
    planned = tables.nth(0)
    expect(planned.locator("caption")).to_have_text("Planned by this tool")
    expect(tables.nth(1).locator("caption")).to_have_text("By hand (first come, first served)")
    expect(planned.locator("tbody tr").first.locator("th")).to_have_text("County")
    expect(planned.locator("tbody tr").nth(1).locator("th")).to_have_text(NORTH)
    expect(planned.locator("tbody tr").nth(2).locator("th")).to_have_text(SOUTH)
    expect(planned.locator("thead")).to_contain_text("90th percentile")
    expect(planned.locator("thead")).to_contain_text("Over 20 school days")
    expect(planned.locator("thead")).to_contain_text("FTE")
    expect(planned.locator("thead")).to_contain_text("'more-staff'")
    expect(tables.first).not_to_contain_text("optimised")
    expect(result.locator(".simulation-sentences")).not_to_contain_text("optimised")
    shoot(page, "simulation-result")
    shoot(page, "simulation-result-390", 390)
    page.set_viewport_size(DESKTOP)

    # Earlier runs: listed, and reopened.
    listed = page.locator("#simulation-list")
    expect(listed).to_contain_text("The scenario's staffing, 'more-staff'")
    expect(listed).to_contain_text("Planned by this tool, By hand (first come, first served)")
    page.evaluate("document.querySelector('#simulation-result').replaceChildren()")
    listed.get_by_role("button", name="Open the simulation").first.click()
    expect(result.locator("table")).to_have_count(2)
    expect(sentences).to_have_count(2)
    with page.expect_download() as download:
        result.get_by_role("button", name="summary.csv").click()
    assert download.value.suggested_filename.endswith(".csv")
    shoot(page, "simulation-list-390", 390)
    page.set_viewport_size(DESKTOP)


def test_a_coordinator_has_no_simulation_tab(live: Live, page: Any) -> None:
    from playwright.sync_api import expect

    sign_in(page, live.url, live.coordinator)
    expect(page.locator("[data-tab=rota]")).to_be_visible()
    expect(page.locator("[data-tab=simulation]")).to_be_hidden()
