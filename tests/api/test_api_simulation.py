"""The year simulated through the API: a county officer runs the scenario's staffing beside a saved
variant on the tiny county with a term of requests (one seed, short limits), reads the waits back side by side with a sentence
per changed district and as summary.csv; others are refused; bad input is refused in plain words;
a cancelled run saves nothing."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from api.db.models import SimulationRow
from tests.builders.service import NORTH, SOUTH, Database, Service, make_service
from tests.builders.simulation import tiny_with_requests_zip

QUICK: dict[str, Any] = {"seeds": 1, "rebalance_seconds": 1, "clairvoyant_seconds": 2}
MORE_STAFF = {
    "label": "north-plus-2",
    "formula": {
        "settings": {
            "total_fte": 6.0,
            "method": "webster",
            "weights": {"pupils": 0.5, "sen_support": 0.5},
            "pools": {"HI": 1.0},
        }
    },
}


def path(svc: Service, rest: str = "") -> str:
    return f"/api/scenarios/{svc.scenario_id}/simulations{rest}"


@pytest.fixture(scope="module")
def simulated(
    tmp_path_factory: pytest.TempPathFactory, tiny_zip: bytes, database: Database
) -> Iterator[Service]:
    """A service with one simulation run on the tiny county with requests (its scenario): the
    scenario's staffing and a saved variant with more FTE, planned and by hand, one seed."""
    folder = tmp_path_factory.mktemp("simulated")
    for svc in make_service(folder, tiny_zip, database):
        stored = svc.upload(tiny_with_requests_zip(folder))
        assert stored.status_code == 201, stored.text
        svc.notes["tiny"], svc.scenario_id = svc.scenario_id, stored.json()["id"]
        saved = svc.call(
            "officer", "POST", f"/api/scenarios/{svc.scenario_id}/staffing", json=MORE_STAFF
        )
        assert saved.status_code == 201, saved.text
        body = {**QUICK, "variants": [saved.json()["id"]]}
        started = svc.call("officer", "POST", path(svc), json=body)
        assert started.status_code == 202, started.text
        assert started.json()["kind"] == "simulation" and started.json()["district"] is None
        job = svc.wait(started.json()["id"])
        assert job["status"] == "succeeded", job
        svc.notes.update(job=job, variant=saved.json()["id"])
        yield svc


def test_an_officer_runs_a_simulation_and_reads_it_back(simulated: Service) -> None:
    job = simulated.notes["job"]
    assert job["progress"] == 1.0 and "county median whole wait" in job["message"]
    assert "planned by this tool" in job["message"] and "by hand" in job["message"]
    listed = simulated.call("officer", "GET", path(simulated)).json()
    assert [s["id"] for s in listed] == [job["result_id"]]
    assert listed[0]["variants"] == ["scenario", "north-plus-2"]
    assert listed[0]["policies"] == ["optimised", "first-come"] and listed[0]["seeds"] == 1
    assert listed[0]["arrivals"] == "requests"

    out = simulated.call("officer", "GET", path(simulated, f"/{job['result_id']}"))
    assert out.status_code == 200, out.text
    result = out.json()
    rows = result["rows"]
    assert {(r["policy"], r["variant"]) for r in rows} == {
        (p, v) for p in ("optimised", "first-come") for v in ("scenario", "north-plus-2")
    }
    assert {r["district"] for r in rows} == {"county", NORTH, SOUTH}
    assert rows[0]["district"] == "county"
    assert all(r["started"] <= r["agreements"] <= r["requests"] for r in rows)
    county = [r for r in rows if r["district"] == "county"]
    assert all(r["fte"] is None for r in county)
    assert all(r["fte"] is not None for r in rows if r["district"] != "county")
    changed = {
        r["district"]
        for r in rows
        if r["policy"] == "optimised"
        and r["variant"] == "north-plus-2"
        and r["fte"]
        != next(
            b["fte"]
            for b in rows
            if (b["policy"], b["variant"], b["district"])
            == ("optimised", "scenario", r["district"])
        )
    }
    assert changed and len(result["sentences"]) == len(changed)
    for sentence in result["sentences"]:
        assert sentence.split(":")[0] in changed
        assert "median whole wait" in sentence and "under 'north-plus-2' against" in sentence
        assert sentence.endswith("under the scenario's staffing")
    assert result["printed"]

    found = simulated.call("officer", "GET", f"/api/jobs/{job['id']}/result").json()
    assert found["simulation"]["id"] == job["result_id"]
    assert simulated.call("viewer", "GET", f"/api/jobs/{job['id']}/result").status_code == 403


def test_summary_csv(simulated: Service) -> None:
    sim = simulated.notes["job"]["result_id"]
    response = simulated.call("officer", "GET", path(simulated, f"/{sim}/summary.csv"))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == [
        "policy",
        "variant",
        "district",
        "requests",
        "agreements",
        "started",
        "median_days",
        "p90_days",
        "over_20",
        "fte",
    ]
    assert len(rows) == 2 * 2 * 3
    assert {r["district"] for r in rows} == {"county", NORTH, SOUTH}


@pytest.mark.parametrize("role", ["coordinator", "south_coordinator", "viewer", "north_viewer"])
def test_only_a_county_officer_simulates(simulated: Service, role: str) -> None:
    sim = simulated.notes["job"]["result_id"]
    assert simulated.call(role, "POST", path(simulated), json=QUICK).status_code == 403
    assert simulated.call(role, "GET", path(simulated)).status_code == 403
    assert simulated.call(role, "GET", path(simulated, f"/{sim}")).status_code == 403
    assert simulated.call(role, "GET", path(simulated, f"/{sim}/summary.csv")).status_code == 403


def test_a_simulation_of_another_scenario_or_none_is_not_found(simulated: Service) -> None:
    assert simulated.call("officer", "GET", path(simulated, "/999")).status_code == 404
    other = simulated.call("officer", "GET", "/api/scenarios/999/simulations")
    assert other.status_code == 404


def _refused(svc: Service, body: dict[str, Any]) -> list[str]:
    response = svc.call("officer", "POST", path(svc), json=body)
    assert response.status_code == 422, response.text
    return [e["message"] for e in response.json()["detail"]]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"seeds": 0}, "Seeds: 1 or more"),
        ({"seeds": 6}, "Seeds: at most 5"),
        ({"policies": []}, "Policies: at least 1 item"),
        ({"policies": ["fastest"]}, "Policies: one of optimised, first-come or clairvoyant"),
        ({"variants": [1, 2, 3, 4, 5]}, "Variants: at most 4 items"),
        ({"variants": [999]}, "a saved staffing variant of this scenario"),
        ({"rebalance_seconds": 0}, "more than 0"),
        ({"clairvoyant_seconds": 100}, "Clairvoyant seconds: at most 60 s"),
        ({"colour": "blue"}, "Colour: not something this form takes"),
    ],
)
def test_bad_input_is_refused_in_plain_words(
    simulated: Service, body: dict[str, Any], words: str
) -> None:
    messages = _refused(simulated, body)
    assert any(words in m for m in messages), messages


def test_requests_are_refused_without_requests_csv(simulated: Service) -> None:
    response = simulated.call(
        "officer",
        "POST",
        f"/api/scenarios/{simulated.notes['tiny']}/simulations",
        json={"arrivals": "requests"},
    )
    assert response.status_code == 422, response.text
    assert "this scenario has no requests.csv" in response.json()["detail"][0]["message"]


def test_a_variant_chosen_twice_is_refused(simulated: Service) -> None:
    variant = simulated.notes["variant"]
    messages = _refused(simulated, {"variants": [variant, variant]})
    assert any("each variant once ('north-plus-2' is twice)" in m for m in messages), messages


def _saved(svc: Service) -> int:
    with svc.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).select_from(SimulationRow)) or 0)


def test_a_cancelled_simulation_saves_nothing(simulated: Service) -> None:
    before = _saved(simulated)
    body = {"seeds": 5, "policies": ["optimised", "first-come", "clairvoyant"]}
    started = simulated.call("officer", "POST", path(simulated), json=body)
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]
    deadline = time.monotonic() + 60
    while (
        "0 of 15 runs of the year done"
        not in (job := simulated.call("officer", "GET", f"/api/jobs/{job_id}").json())["stage"]
    ):
        assert time.monotonic() < deadline, f"the simulation never reported progress: {job}"
        assert job["status"] in ("queued", "running"), job
        time.sleep(0.05)
    assert job["status"] == "running" and job["progress"] == 0.0
    cancelled = simulated.call("officer", "POST", f"/api/jobs/{job_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    time.sleep(0.5)
    assert simulated.call("officer", "GET", f"/api/jobs/{job_id}").json()["status"] == "cancelled"
    assert _saved(simulated) == before
