"""The page by keyboard alone: sign in, move between tabs with the arrow keys, and the scenario a
coordinator lands on (never an upload of someone else's)."""

from __future__ import annotations

from typing import Any

from tests.builders.browser import PHONE, Live, shoot


def test_a_coordinator_signs_in_and_moves_between_tabs_by_keyboard(live: Live, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(live.url + "/")
    page.keyboard.press("Tab")
    expect(page.locator("#token")).to_be_focused()
    page.keyboard.type(live.coordinator)
    page.keyboard.press("Enter")
    expect(page.locator("#who-text")).to_contain_text("Northdown")
    expect(page.locator("#scenario")).to_have_value("1")

    rota = page.locator("#tab-button-rota")
    rota.focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#tab-button-requests")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#tab-button-caseload")).to_be_focused()
    expect(page.locator("#tab-button-caseload")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#tab-caseload")).to_be_visible()
    expect(page.locator("#tab-rota")).to_be_hidden()
    page.keyboard.press("End")
    expect(page.locator("#tab-button-jobs")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#tab-button-rota")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    # The coordinator has no Staffing tab: the arrows skip it.
    expect(page.locator("#tab-button-jobs")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#tab-button-reviews")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#tab-button-agreements")).to_be_focused()
    expect(page.locator("#tab-agreements")).to_have_attribute("role", "tabpanel")
    shoot(page, "keyboard-agreements")
    page.set_viewport_size(PHONE)
    shoot(page, "keyboard-agreements-390", PHONE["width"])
