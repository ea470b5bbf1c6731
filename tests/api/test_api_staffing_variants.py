"""Staffing through the API as the page uses it: the whole formula edited and checked value by value
(each impossible value refused with a plain message), saved variants listed and compared with totals,
what changed and a chart, and how each district responds to the weights; who may do what."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from tests.builders.service import NORTH, SOUTH, Service

WHOLE: dict[str, Any] = {
    "total_fte": 4.0,
    "method": "webster",
    "floor_fte": 0.0,
    "cap_fte": None,
    "max_change_pct": None,
    "weights": {"pupils": 0.5, "sen_support": 0.5},
    "pools": {"HI": 1.0},
}


def path(svc: Service, rest: str = "") -> str:
    return f"/api/scenarios/{svc.scenario_id}/staffing{rest}"


def save(svc: Service, label: str, role: str = "officer", **changes: Any) -> Any:
    """Compute and save a variant under the whole formula with `changes`."""
    body = {"label": label, "formula": {"settings": {**WHOLE, **changes}}}
    return svc.call(role, "POST", path(svc), json=body)


def refusal(response: Any) -> list[tuple[list[Any], str]]:
    assert response.status_code == 422, response.text
    return [(e["loc"], e["msg"]) for e in response.json()["detail"]]


def test_the_formula_for_the_editor(service: Service) -> None:
    out = service.call("officer", "GET", path(service, "/formula"))
    assert out.status_code == 200, out.text
    formula = out.json()
    assert formula["total_fte"] == 4.0 and formula["method"] == "webster"
    assert formula["weights"] == {"pupils": 0.5, "sen_support": 0.5}
    assert formula["indicators"] == ["pupils", "sen_support"]
    assert formula["pools"] == {"HI": 1.0} and "HI" in formula["pool_names"]
    assert formula["districts"] == [NORTH, SOUTH]
    assert formula["cap_fte"] is None and formula["max_change_pct"] is None


@pytest.mark.both_backends
def test_a_whole_formula_is_computed_and_saved_under_its_label(service: Service) -> None:
    made = save(service, "More staff", total_fte=5.0, method="hamilton", floor_fte=1.0)
    assert made.status_code == 201, made.text
    result = made.json()
    assert result["label"] == "More staff" and result["method"] == "hamilton"
    assert result["total_fte"] == 5.0
    assert all(d["allocated_fte"] >= 1.0 for d in result["districts"])


@pytest.mark.parametrize(
    ("changes", "where", "words"),
    [
        ({"total_fte": -5}, "total_fte", "The total FTE must be more than 0 (you gave -5)"),
        ({"total_fte": 0}, "total_fte", "must be more than 0"),
        ({"total_fte": 4.05}, "total_fte", "not a whole number of posts of 0.1 FTE"),
        ({"total_fte": 200_000}, "total_fte", "at most 100,000"),
        ({"floor_fte": -1}, "floor_fte", "The floor cannot be below 0"),
        ({"floor_fte": 3}, "floor_fte", "needs 6 FTE, more than the total of 4 FTE"),
        ({"floor_fte": 2, "cap_fte": 1}, "cap_fte", "The cap (1 FTE) is below the floor (2 FTE)"),
        ({"cap_fte": -1}, "cap_fte", "The cap cannot be below 0"),
        ({"cap_fte": 1e308}, "cap_fte", "The cap can be at most 100,000 FTE"),
        ({"cap_fte": 1}, "cap_fte", "allows only 2 FTE in all, less than the total of 4 FTE"),
        ({"max_change_pct": -10}, "max_change_pct", "The change limit must be from 0"),
        ({"granularity": 0}, "granularity", "The post size must be more than 0"),
        ({"weights": {"pupils": -0.5, "sen_support": 1.5}}, "pupils", "cannot be below 0"),
        ({"weights": {"pupils": 0.5, "sen_support": 0.4}}, "weights", "add up to 90 %"),
        ({"weights": {"pupils": 0, "sen_support": 0}}, "weights", "at least one indicator"),
        ({"weights": {"pupils": 0.5, "nurses": 0.5}}, "nurses", "no indicator called 'nurses'"),
        ({"pools": {"HI": -1}}, "HI", "The HI pool must be from 0"),
        ({"pools": {"XX": 1}}, "XX", "no county pool called 'XX'"),
    ],
)
def test_impossible_values_are_refused_in_words(
    service: Service, changes: dict[str, Any], where: str, words: str
) -> None:
    problems = refusal(save(service, "bad", **changes))
    assert any(loc[-1] == where and words in msg for loc, msg in problems), problems
    assert all(loc[:3] == ["body", "formula", "settings"] for loc, _ in problems), problems
    listed = service.call("officer", "GET", path(service, "/variants")).json()
    assert [v["label"] for v in listed] == []


def test_a_negative_total_is_refused_never_replaced(service: Service) -> None:
    """The old page dropped a total of -5 and computed the scenario's 4 FTE; the API refuses it."""
    response = service.call("officer", "POST", path(service), json={"formula": {"total_fte": -5}})
    ((loc, msg),) = refusal(response)
    assert loc == ["body", "formula", "total_fte"]
    assert msg == "The total FTE must be more than 0 (you gave -5)."


def test_rules_that_cannot_all_hold_are_refused_in_words(service: Service) -> None:
    """A change limit of 0 % keeps each district at its baseline (2.2 and 1.8 FTE): 5 cannot fit."""
    problems = refusal(save(service, "stuck", total_fte=5.0, max_change_pct=0))
    text = " ".join(msg for _, msg in problems)
    assert "the change limit" in text and "max_change_pct" not in text


def test_whole_formula_and_changes_together_are_refused(service: Service) -> None:
    body = {"formula": {"total_fte": 5, "settings": WHOLE}}
    ((_, msg),) = refusal(service.call("officer", "POST", path(service), json=body))
    assert "not both" in msg


def test_weights_typed_as_rounded_percentages_are_accepted(service: Service) -> None:
    third = {"pupils": 0.333333, "sen_support": 0.666667}
    made = save(service, "thirds", weights=third)
    assert made.status_code == 201, made.text


@pytest.mark.both_backends
def test_variants_are_listed_newest_first(service: Service) -> None:
    assert save(service, "Today's formula").status_code == 201
    assert save(service, "Hamilton", method="hamilton").status_code == 201
    listed = service.call("officer", "GET", path(service, "/variants"))
    assert listed.status_code == 200
    assert [v["label"] for v in listed.json()] == ["Hamilton", "Today's formula"]
    assert listed.json()[0]["total_fte"] == 4.0 and listed.json()[0]["pools_fte"] == 1.0


@pytest.mark.both_backends
def test_two_variants_side_by_side(service: Service) -> None:
    a = save(service, "Now").json()["id"]
    b = save(
        service, "More", total_fte=5.0, method="hamilton", floor_fte=1.5, pools={"HI": 2.0}
    ).json()["id"]
    out = service.call(
        "officer", "GET", path(service, "/variants/compare"), params={"a": a, "b": b}
    )
    assert out.status_code == 200, out.text
    body = out.json()
    assert body["a"]["label"] == "Now" and body["b"]["label"] == "More"
    teams = [r for r in body["rows"] if not r["pool"]]
    assert [r["district"] for r in teams] == [NORTH, SOUTH]
    for r in body["rows"]:
        assert r["difference"] == pytest.approx(r["fte_b"] - r["fte_a"])
    south = teams[1]
    assert south["fte_b"] >= 1.5
    totals = {t["what"]: t for t in body["totals"]}
    assert totals["District teams"]["fte_a"] == 4.0 and totals["District teams"]["fte_b"] == 5.0
    assert totals["HI pool"]["difference"] == 1.0
    assert totals["Everything"]["fte_a"] == 5.0 and totals["Everything"]["fte_b"] == 7.0
    assert body["changes"] == [
        "total: 4 FTE -> 5 FTE",
        "method: webster -> hamilton",
        "floor: 0 FTE -> 1.5 FTE",
        "HI pool: 1 FTE -> 2 FTE",
    ]
    chart = service.call(
        "officer", "GET", path(service, "/variants/compare.png"), params={"a": a, "b": b}
    )
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(chart.content)) as image:
        assert image.format == "PNG" and image.width > 600


def test_weight_changes_are_said_in_percent(service: Service) -> None:
    a = save(service, "Even").json()["id"]
    b = save(service, "Pupils", weights={"pupils": 0.7, "sen_support": 0.3}).json()["id"]
    body = service.call(
        "officer", "GET", path(service, "/variants/compare"), params={"a": a, "b": b}
    ).json()
    assert body["changes"] == [
        "weight of pupils: 50 % -> 70 %",
        "weight of sen_support: 50 % -> 30 %",
    ]


def test_sensitivity_says_what_each_district_gains_or_loses(service: Service) -> None:
    made = save(service, "Even").json()["id"]
    out = service.call(
        "officer",
        "GET",
        path(service, "/variants/sensitivity"),
        params={"variant": made, "step_pct": 20},
    )
    assert out.status_code == 200, out.text
    body = out.json()
    assert body["step_pct"] == 20 and body["variant"]["label"] == "Even"
    rows = body["rows"]
    assert {(r["weight"], r["rises"], r["district"]) for r in rows} == {
        (w, up, d)
        for w in ("pupils", "sen_support")
        for up in (True, False)
        for d in (NORTH, SOUTH)
    }
    up = next(r for r in rows if r["weight"] == "pupils" and r["rises"] and r["district"] == NORTH)
    assert up["weight_before_pct"] == 50 and up["weight_after_pct"] == pytest.approx(54.55)
    assert up["sentence"].startswith(
        "If the weight of pupils rises by 20 % of itself (from 50 % to 54.55 % once"
    )
    for r in rows:
        assert r["difference"] == pytest.approx(r["fte_after"] - r["fte_before"])
    # The FTE shared stays the same: what one district gains, the other loses.
    for weight in ("pupils", "sen_support"):
        for rises in (True, False):
            moved = [r for r in rows if r["weight"] == weight and r["rises"] == rises]
            assert sum(r["difference"] for r in moved) == pytest.approx(0)


def test_a_viewer_reads_variants_and_a_district_viewer_only_their_rows(service: Service) -> None:
    a = save(service, "Now").json()["id"]
    b = save(service, "More", total_fte=5.0).json()["id"]
    params = {"a": a, "b": b}
    county = service.call("viewer", "GET", path(service, "/variants/compare"), params=params)
    assert county.status_code == 200
    north = service.call("north_viewer", "GET", path(service, "/variants/compare"), params=params)
    assert north.status_code == 200
    assert {r["district"] for r in north.json()["rows"]} == {NORTH}
    sens = service.call(
        "north_viewer", "GET", path(service, "/variants/sensitivity"), params={"variant": a}
    )
    assert {r["district"] for r in sens.json()["rows"]} == {NORTH}
    listed = service.call("north_viewer", "GET", path(service, "/variants")).json()
    assert listed[0]["total_fte"] < 5.0


@pytest.mark.parametrize("role", ["coordinator", "south_coordinator", "viewer", "north_viewer"])
def test_only_county_officers_compute_staffing(service: Service, role: str) -> None:
    assert save(service, "Mine", role=role).status_code == 403
    assert service.call("officer", "GET", path(service, "/variants")).json() == []


@pytest.mark.parametrize("role", ["coordinator", "south_coordinator"])
def test_coordinators_read_no_staffing(service: Service, role: str) -> None:
    a = save(service, "Now").json()["id"]
    for rest, params in [
        ("/formula", {}),
        ("/variants", {}),
        ("/variants/compare", {"a": a, "b": a}),
        ("/variants/compare.png", {"a": a, "b": a}),
        ("/variants/sensitivity", {"variant": a}),
    ]:
        response = service.call(role, "GET", path(service, rest), params=params)
        assert response.status_code == 403, (rest, response.text)


def test_variants_of_another_scenario_or_none_are_not_found(
    service: Service, tiny_zip: bytes
) -> None:
    a = save(service, "Now").json()["id"]
    other = service.upload(tiny_zip).json()["id"]
    elsewhere = f"/api/scenarios/{other}/staffing/variants/compare"
    response = service.call("officer", "GET", elsewhere, params={"a": a, "b": a})
    assert response.status_code == 404 and "no saved staffing variant" in response.json()["detail"]
    missing = service.call(
        "officer", "GET", path(service, "/variants/compare"), params={"a": a, "b": 999}
    )
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("rest", "params"),
    [
        ("/variants/compare", {"a": "one", "b": 1}),
        ("/variants/compare", {"a": 0, "b": 1}),
        ("/variants/compare", {"a": 1}),
        ("/variants/compare.png", {"a": -1, "b": 1}),
        ("/variants/sensitivity", {"variant": 1, "step_pct": 100}),
        ("/variants/sensitivity", {"variant": 1, "step_pct": "NaN"}),
        ("/variants/sensitivity", {"variant": 2**40}),
    ],
)
def test_hostile_queries_get_422(service: Service, rest: str, params: dict[str, Any]) -> None:
    save(service, "Now")
    response = service.call("officer", "GET", path(service, rest), params=params)
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    "settings",
    [
        {**WHOLE, "total_fte": "NaN"},
        {**WHOLE, "total_fte": 1e308},
        {**WHOLE, "method": "coin_toss"},
        {**WHOLE, "weights": {"x" * 101: 1.0}},
        {**WHOLE, "weights": {f"w{i}": 0.01 for i in range(51)}},
        {**WHOLE, "unknown": 1},
        {**WHOLE, "pools": {"<script>": 1}},
        {**WHOLE, "weights": {"pupils": 1e-300, "sen_support": 1.0}},
        {**WHOLE, "granularity": 1e-9},
        {**WHOLE, "cap_fte": 1e308},
        {**WHOLE, "max_change_pct": 1e308},
        {"total_fte": 4},
    ],
)
def test_hostile_formulas_are_refused_never_a_500(service: Service, settings: Any) -> None:
    response = service.call(
        "officer", "POST", path(service), json={"label": "x", "formula": {"settings": settings}}
    )
    assert response.status_code in (201, 422), response.text
    if response.status_code == 422:
        assert all(e["msg"] for e in response.json()["detail"])


def test_a_non_json_body_is_400(service: Service) -> None:
    response = service.client.post(
        path(service),
        content=b"{not json",
        headers={**service.headers("officer"), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
