"""The caseload as the page shows it: every case with where it stands, counts that add up with the
waiting reasons split, each person's week-by-week load, and the district filter on every list."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.accept import accept
from tests.builders.service import NORTH, NORTH_SCHOOL, SOUTH, Service

STATUSES = {
    "planned",
    "running",
    "finished",
    "stopped",
    "waiting",
    "without_consent",
    "not_planned",
}


def caseload(svc: Service, role: str = "officer", query: str = "") -> Any:
    return svc.call(role, "GET", f"/api/scenarios/{svc.scenario_id}/caseload{query}")


def adds_up(body: dict[str, Any]) -> dict[str, Any]:
    """The counts add up to the total, match the cases and the waiting and without-consent lists."""
    counts, cases = body["counts"], body["cases"]
    parts = ("running", "planned", "finished", "stopped", "waiting", "without_consent")
    assert sum(counts[k] for k in parts) + counts["not_planned"] == counts["total"] == len(cases)
    assert sum(counts["waiting_reasons"].values()) == counts["waiting"]
    assert {c["status"] for c in cases} <= STATUSES
    for status in STATUSES:
        assert counts[status] == sum(1 for c in cases if c["status"] == status)
    assert counts["waiting"] == len(body["waiting"])
    assert counts["without_consent"] == len(body["without_consent"])
    assert counts["not_planned"] == len(body["not_in_plan"])
    return counts


def agreement(case_id: str, **changes: Any) -> dict[str, Any]:
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


@pytest.mark.both_backends
def test_every_case_counted_once_with_names_and_dates(planned: Service) -> None:
    response = caseload(planned)
    assert response.status_code == 200, response.text
    body = response.json()
    counts = adds_up(body)
    assert counts["total"] == 3 and counts["without_consent"] == 1
    cases = {c["case_id"]: c for c in body["cases"]}
    assert cases["T-0003"]["status"] == "without_consent" and cases["T-0003"]["person"] is None
    started = cases["T-0001"]
    assert started["school"] == "North Primary" and started["person"] == "Specialist teacher 1"
    assert started["start"] <= started["end"] and started["status"] in {"planned", "running"}
    assert cases["T-0002"]["urgent"] is True and cases["T-0002"]["priority"] == 1
    assert body["names"]["ST1"] == "Specialist teacher 1"
    weeks = body["weeks"]
    assert len(weeks) == 40 and weeks[0] == "2025-09-01" and weeks == sorted(weeks)
    for person in body["people"]:
        assert len(person["load"]) == len(person["away"]) == len(weeks)
    st1 = next(p for p in body["people"] if p["person_id"] == "ST1")
    # ST1 is away on training in the week of 3 November; T-0001's minutes and travel are in the load.
    assert st1["away"][weeks.index("2025-11-03")]
    during = weeks.index(started["start"][:10]) if started["start"] in weeks else None
    assert during is None or st1["load"][during] >= started["minutes_per_week"]
    assert max(st1["load"]) == st1["peak_minutes"]


@pytest.mark.both_backends
def test_the_district_filter_applies_to_every_list(planned: Service) -> None:
    whole = caseload(planned).json()
    assert {p["team"] for p in whole["people"]} == {NORTH, SOUTH, "HI"}
    north = caseload(planned, query=f"?district={NORTH}").json()
    adds_up(north)
    assert {p["team"] for p in north["people"]} == {NORTH}
    for part in ("cases", "assignments", "waiting", "without_consent", "changes"):
        assert all(row["district"] == NORTH for row in north[part]), part
    assert north["counts"]["total"] == sum(1 for c in whole["cases"] if c["district"] == NORTH)
    south = caseload(planned, query=f"?district={SOUTH}").json()
    adds_up(south)
    # A pool's specialist is listed where they hold a case, not in every district.
    assert {p["person_id"] for p in south["people"]} == {"ST2", "HI1"}
    assert [w["case_id"] for w in south["without_consent"]] == ["T-0003"]
    assert "ST1" not in south["names"]


def test_a_coordinator_and_viewers_see_their_districts_only(planned: Service) -> None:
    mine = caseload(planned, "coordinator").json()
    assert {c["district"] for c in mine["cases"]} == {NORTH}
    assert {p["team"] for p in mine["people"]} == {NORTH}
    assert "ST2" not in mine["names"] and "HI1" not in mine["names"]
    adds_up(mine)
    assert caseload(planned, "coordinator", f"?district={SOUTH}").status_code == 404
    assert caseload(planned, "south_coordinator", f"?district={NORTH}").status_code == 404
    theirs = caseload(planned, "south_coordinator").json()
    assert {c["case_id"] for c in theirs["cases"]} == {"T-0002", "T-0003"}
    assert caseload(planned, "north_viewer").json()["counts"] == mine["counts"]
    assert caseload(planned, "viewer").json()["counts"]["total"] == 3
    refused = planned.call(
        "viewer", "POST", f"/api/scenarios/{planned.scenario_id}/caseload/plan", json={}
    )
    assert refused.status_code == 403


@pytest.mark.both_backends
@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("?district=Atlantis", 404),
        ("?district=", 404),
        ("?district=%3Cscript%3Ealert(1)%3C%2Fscript%3E", 404),
        ("?district=" + "x" * 201, 422),
        ("?district=North%00down", 404),
        ("?district=Northdown&district=Southfield", 200),
    ],
)
def test_hostile_filters_get_a_plain_answer(planned: Service, query: str, status: int) -> None:
    response = caseload(planned, "officer", query)
    assert response.status_code == status, response.text
    if status != 200:
        detail = response.json()["detail"]
        assert detail and "Traceback" not in str(detail)


def test_anonymous_and_other_scenarios_are_refused(planned: Service) -> None:
    assert caseload(planned, "anonymous").status_code == 401
    assert caseload(planned, "wrong").status_code == 401
    missing = planned.call("officer", "GET", "/api/scenarios/999/caseload")
    assert missing.status_code == 404


def test_waiting_reasons_are_split_in_the_counts_and_the_job_message(service: Service) -> None:
    path = f"/api/scenarios/{service.scenario_id}/agreements"
    late = agreement("T-0401", agreed_on="2026-07-15")
    nobody = agreement("T-0402", need_type="PD")
    for new in (late, nobody):
        response = service.call("officer", "POST", path, json=new)
        assert response.status_code == 201, response.text
    job = service.run("caseload/plan", {"time_limit": 10})
    accept(service, job)
    message = job["message"]
    assert "agreed too late for the year" in message, message
    assert "no specialist for the need" in message and "1 without consent" in message, message
    counts = adds_up(caseload(service).json())
    assert counts["waiting_reasons"] == {"no_specialist": 1, "too_late": 1}
    assert counts["waiting"] == 2 and counts["without_consent"] == 1
    after = service.call("officer", "POST", path, json=agreement("T-0403"))
    assert after.status_code == 201, after.text
    body = caseload(service, query=f"?district={NORTH}").json()
    counts = adds_up(body)
    assert counts["not_planned"] == 1
    assert next(c for c in body["cases"] if c["case_id"] == "T-0403")["status"] == "not_planned"
    waits = {c["case_id"]: c["wait_kind"] for c in body["cases"] if c["status"] == "waiting"}
    assert waits == {"T-0401": "too_late", "T-0402": "no_specialist"}


def test_a_district_job_message_splits_its_reasons(service: Service) -> None:
    # Southfield's own cases (its HI case is the county pool's): T-0003 has no consent.
    job = service.run("caseload/plan", {"time_limit": 10, "district": SOUTH})
    message = job["message"]
    assert message.startswith("0 of 1 cases started, 0 waiting, 1 without consent, "), message
