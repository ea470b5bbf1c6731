"""The Staffing tab in a real browser, as a county officer uses it: the whole formula filled in from the
scenario, impossible values refused next to their field, two variants saved and compared with totals,
what changed and a chart, and how each district responds to the weights; at desktop and 390 px."""

from __future__ import annotations

from typing import Any

from tests.builders.browser import DESKTOP, Live, shoot, sign_in
from tests.builders.service import NORTH, SOUTH


def _loaded(page: Any, selector: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator(selector)).to_be_visible(timeout=60_000)
    page.wait_for_function(
        "(s) => { const i = document.querySelector(s); return i.complete && i.naturalWidth > 0; }",
        arg=selector,
        timeout=60_000,
    )


def test_an_officer_edits_saves_compares_and_reads_the_sensitivity(live: Live, page: Any) -> None:
    from playwright.sync_api import expect

    sign_in(page, live.url, live.officer)
    page.click("[data-tab=staffing]")
    tab = page.locator("#tab-staffing")
    total = page.locator("#staffing-total")
    expect(total).to_have_value("4")
    expect(page.locator("#staffing-method")).to_have_value("webster")
    expect(page.locator("#staffing-granularity")).to_have_value("0.1")
    expect(page.locator("#staffing-floor")).to_have_value("0")
    expect(page.locator("#staffing-cap")).to_have_value("")
    expect(tab.get_by_label("pupils", exact=True)).to_have_value("50")
    expect(tab.get_by_label("sen support", exact=True)).to_have_value("50")
    expect(tab.get_by_label("HI pool", exact=True)).to_have_value("1")
    expect(page.locator("#staffing-table")).to_contain_text("No staffing computed yet")
    expect(page.locator("#tab-staffing")).not_to_contain_text("quota")
    shoot(page, "staffing-editor")

    # Impossible values: each refused next to its field, nothing computed.
    total.fill("-5")
    page.click("#staffing-run")
    expect(page.locator("#staffing-total-error")).to_have_text(
        "The total FTE must be more than 0 (you gave -5)."
    )
    expect(total).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#staffing-table")).to_contain_text("No staffing computed yet")
    total.fill("four")
    page.click("#staffing-run")
    expect(page.locator("#staffing-total-error")).to_contain_text("as a number")
    total.fill("4")
    page.fill("#staffing-floor", "2")
    page.fill("#staffing-cap", "1")
    tab.get_by_label("pupils", exact=True).fill("50")
    tab.get_by_label("sen support", exact=True).fill("40")
    page.click("#staffing-run")
    expect(page.locator("#staffing-cap-error")).to_contain_text(
        "The cap (1 FTE) is below the floor (2 FTE)"
    )
    expect(page.locator("#staffing-weights-error")).to_contain_text(
        "add up to 90 %; they must add up to 100 %"
    )
    expect(page.locator("#staffing-total-error")).to_have_text("")
    shoot(page, "staffing-refused-390", 390)
    page.set_viewport_size(DESKTOP)

    # Two variants saved under their names.
    page.click("#staffing-reset")
    expect(page.locator("#staffing-cap-error")).to_have_text("")
    expect(page.locator("#staffing-floor")).to_have_value("0")
    page.fill("#staffing-label", "Today's formula")
    page.click("#staffing-run")
    expect(page.locator("#staffing-table")).to_contain_text("Today's formula: 4 FTE")
    expect(page.locator("#staffing-table")).to_contain_text(NORTH)
    _loaded(page, "#staffing-chart")
    page.fill("#staffing-label", "More staff")
    total.fill("20")
    page.select_option("#staffing-method", "hamilton")
    page.fill("#staffing-floor", "1.5")
    page.click("#staffing-run")
    expect(page.locator("#staffing-table")).to_contain_text("More staff: 20 FTE")
    variants = page.locator("#staffing-variants")
    expect(variants).to_contain_text("Today's formula")
    expect(variants).to_contain_text("More staff")

    # Compared side by side: what changed, the totals, each district, the chart.
    expect(page.locator("#staffing-variant-a option:checked")).to_contain_text("Today's formula")
    expect(page.locator("#staffing-variant-b option:checked")).to_contain_text("More staff")
    page.click("#staffing-variants-compare")
    comparison = page.locator("#staffing-variant-comparison")
    expect(comparison).to_contain_text("Today's formula against More staff")
    expect(comparison).to_contain_text("total: 4 FTE → 20 FTE")
    expect(comparison).to_contain_text("method: webster → hamilton")
    expect(comparison).to_contain_text("floor: 0 FTE → 1.5 FTE")
    expect(comparison).not_to_contain_text("weight of")
    expect(comparison).to_contain_text("District teams")
    expect(comparison).to_contain_text(SOUTH)
    _loaded(page, "#staffing-variant-chart")
    shoot(page, "staffing-compare")

    # Sensitivity as plain sentences and a table.
    expect(page.locator("#staffing-sensitivity-variant option:checked")).to_contain_text(
        "More staff"
    )
    page.click("#staffing-sensitivity-run")
    sensitivity = page.locator("#staffing-sensitivity")
    expect(sensitivity).to_contain_text(
        "If the weight of pupils rises by 10 % of itself (from 50 % to 52.38 % once the weights "
        "are scaled back to 100 %), Northdown gains 0.1 FTE."
    )
    expect(sensitivity).to_contain_text("Southfield loses 0.1 FTE")
    expect(sensitivity).to_contain_text(
        "the weight of pupils falls by 10 % of itself (50 % → 47.37 % once all add up to 100 %)"
    )
    shoot(page, "staffing-sensitivity")
    page.fill("#staffing-step", "100")
    page.click("#staffing-sensitivity-run")
    expect(page.locator("#staffing-step-error")).to_contain_text("less than 100")
    page.select_option("#staffing-sensitivity-variant", index=1)
    page.fill("#staffing-step", "40")
    page.click("#staffing-sensitivity-run")
    expect(page.locator("#staffing-step-error")).to_have_text("")
    expect(sensitivity).to_contain_text(
        "Today's formula: no weight changed by 40 % moves any district's staff."
    )
    shoot(page, "staffing-compare-390", 390)
    page.set_viewport_size(DESKTOP)


def test_the_scenario_against_adjusted_values_and_by_keyboard(live: Live, page: Any) -> None:
    from playwright.sync_api import expect

    sign_in(page, live.url, live.officer)
    page.click("[data-tab=staffing]")
    expect(page.locator("#staffing-total")).to_have_value("4")
    page.fill("#staffing-total", "5")
    page.click("#staffing-compare")
    comparison = page.locator("#staffing-comparison")
    expect(comparison).to_contain_text("adjusted")
    expect(comparison).to_contain_text("+0.8")
    expect(page.locator("#staffing-variants")).to_contain_text("No variant saved yet")
    # By keyboard: Enter in a field computes and saves.
    page.fill("#staffing-label", "Typed")
    page.focus("#staffing-label")
    page.keyboard.press("Enter")
    expect(page.locator("#staffing-variants")).to_contain_text("Typed")
    expect(page.locator("#staffing-label")).to_have_value("Variant 2")
    shoot(page, "staffing-adjusted-390", 390)
    page.set_viewport_size(DESKTOP)


def test_a_coordinator_has_no_staffing_tab(live: Live, page: Any) -> None:
    from playwright.sync_api import expect

    sign_in(page, live.url, live.coordinator)
    expect(page.locator("[data-tab=staffing]")).to_be_hidden()
    expect(page.locator("#staffing-form")).to_be_hidden()
