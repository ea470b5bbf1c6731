"""Proposals, then acceptance: a job's plan or rota is in use only once accepted per district; who may
decide; versions and rollback; today always known; the school notes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

import api.store
from api.db.models import AuditRow, JobRow, RotaRow
from tests.api.accept import accept, proposal_path
from tests.builders.service import NORTH, NORTH_SCHOOL, SOUTH, Service

URGENT = {
    "case_id": "T-0500",
    "school_urn": NORTH_SCHOOL,
    "need_type": "C&I",
    "sen_stage": "EHCP",
    "consent": "yes",
    "agreed_on": "2025-10-01",
    "minutes_per_week": 60,
    "weeks": 8,
    "priority": 1,
}


def _at(svc: Service, rest: str) -> str:
    return f"/api/scenarios/{svc.scenario_id}/{rest}"


def _sources(svc: Service, area: str, role: str = "officer") -> dict[str, int]:
    body = svc.call(role, "GET", _at(svc, area)).json()
    key = "rota_id" if area == "rota" else "plan_id"
    return {s["district"]: s[key] for s in body["sources"]}


def _decide(svc: Service, job: dict[str, Any], action: str, role: str, district: str | None) -> Any:
    body = {} if district is None else {"district": district}
    return svc.call(role, "POST", f"{proposal_path(svc, job)}/{action}", json=body)


def _job_params(svc: Service, job_id: str) -> dict[str, Any]:
    with svc.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        job = session.get(JobRow, job_id)
        assert job is not None
        return dict(job.params)


@pytest.mark.both_backends
def test_nothing_is_in_use_until_accepted_and_only_by_those_who_may(service: Service) -> None:
    sid = service.scenario_id
    job = service.run("caseload/plan", {"time_limit": 10})
    plan_id = job["result_id"]
    imported = _sources(service, "caseload")
    assert plan_id not in imported.values(), "a plan is a proposal until accepted"
    pending = service.call("coordinator", "GET", _at(service, "caseload/proposals")).json()
    assert [(p["id"], p["district"]) for p in pending] == [(plan_id, NORTH)]
    assert pending[0]["created_by"] and pending[0]["figures"]["started"] >= 1
    # Viewers never decide; a coordinator decides for their own district only; an officer names one.
    assert _decide(service, job, "accept", "viewer", NORTH).status_code == 403
    assert _decide(service, job, "accept", "north_viewer", NORTH).status_code == 403
    assert _decide(service, job, "accept", "coordinator", SOUTH).status_code == 404
    assert _decide(service, job, "accept", "south_coordinator", NORTH).status_code == 404
    assert _decide(service, job, "accept", "officer", None).status_code == 422
    assert _sources(service, "caseload") == imported
    # Reading the proposal: its differences against the plan in use, and the figures of both.
    detail = service.call(
        "coordinator", "GET", proposal_path(service, job), params={"district": NORTH}
    ).json()
    assert detail["status"] == "pending" and detail["in_use_id"] == imported.get(NORTH)
    assert set(detail["before"]) >= {"started", "waiting", "broken"}
    for case in detail["cases"]:
        assert case["kind"] in {"new", "earlier", "broken", "withdrawn", "waiting"}
        assert case["reason"]
    accepted = _decide(service, job, "accept", "coordinator", NORTH)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["in_use"] and accepted.json()["decided_by"]
    assert _sources(service, "caseload") == {**imported, NORTH: plan_id}
    assert _decide(service, job, "accept", "officer", NORTH).status_code == 409
    assert _decide(service, job, "reject", "officer", NORTH).status_code == 409
    rejected = _decide(service, job, "reject", "south_coordinator", SOUTH)
    assert rejected.status_code == 201 and rejected.json()["action"] == "reject"
    assert _sources(service, "caseload").get(SOUTH) == imported.get(SOUTH)
    assert service.call("officer", "GET", _at(service, "caseload/proposals")).json() == []
    with service.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        actions = list(
            session.scalars(
                select(AuditRow.action).where(
                    AuditRow.scenario_id == sid, AuditRow.action.like("caseload.%")
                )
            )
        )
    assert "caseload.accept" in actions and "caseload.reject" in actions


@pytest.mark.both_backends
def test_an_officers_county_run_never_replaces_a_coordinators_plan_until_accepted(
    service: Service,
) -> None:
    own = accept(service, service.run("caseload/plan", {"time_limit": 10}, role="coordinator"))
    assert _sources(service, "caseload")[NORTH] == own["result_id"]
    county = service.run("caseload/plan", {"time_limit": 10})
    assert _sources(service, "caseload")[NORTH] == own["result_id"]
    pending = service.call("officer", "GET", _at(service, "caseload/proposals")).json()
    assert {(p["id"], p["district"]) for p in pending} == {
        (county["result_id"], NORTH),
        (county["result_id"], SOUTH),
    }
    mine = service.call("coordinator", "GET", _at(service, "caseload/proposals")).json()
    assert [(p["id"], p["district"]) for p in mine] == [(county["result_id"], NORTH)]
    # Accepted for Southfield only: Northdown keeps its coordinator's plan.
    assert _decide(service, county, "accept", "officer", SOUTH).status_code == 201
    sources = _sources(service, "caseload")
    assert sources == {NORTH: own["result_id"], SOUTH: county["result_id"]}
    assert _decide(service, county, "accept", "officer", NORTH).status_code == 201
    assert _sources(service, "caseload")[NORTH] == county["result_id"]
    # Versions, newest first; a rollback puts the coordinator's plan back (a new acceptance).
    versions = service.call(
        "coordinator", "GET", _at(service, "caseload/versions"), params={"district": NORTH}
    ).json()
    assert [v["source_id"] for v in versions][:2] == [county["result_id"], own["result_id"]]
    assert versions[0]["in_use"] and not versions[1]["in_use"]
    older = versions[1]["id"]
    path = _at(service, f"caseload/versions/{older}/rollback")
    assert service.call("viewer", "POST", path).status_code == 403
    assert service.call("south_coordinator", "POST", path).status_code == 404
    back = service.call("coordinator", "POST", path)
    assert back.status_code == 201, back.text
    assert _sources(service, "caseload")[NORTH] == own["result_id"]
    assert service.call("coordinator", "POST", path).status_code == 409
    again = service.call(
        "officer", "GET", _at(service, "caseload/versions"), params={"district": NORTH}
    ).json()
    assert again[0]["source_id"] == own["result_id"] and again[0]["in_use"]


def test_today_defaults_to_the_real_date_clipped_into_the_year(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    accept(service, service.run("caseload/plan", {"time_limit": 10}))
    monkeypatch.setattr(api.store, "today", lambda: date(2026, 12, 3))
    late = service.run("caseload/rebalance", {"time_limit": 5})
    assert late["status"] == "succeeded", late
    assert _job_params(service, late["id"])["today"] == "2026-07-21"
    assert "after the scenario's year" in late["message"]
    rota = service.run("rota/solve", {"time_limit": 5})
    assert rota["status"] == "succeeded", rota
    assert _job_params(service, rota["id"])["today"] == "2026-07-21"
    monkeypatch.setattr(api.store, "today", lambda: date(2025, 11, 24))
    inside = service.run("caseload/rebalance", {"time_limit": 5})
    params = _job_params(service, inside["id"])
    assert (params["time_limit"], params["today"]) == (5, "2025-11-24")
    assert "scenario's year" not in inside["message"]
    given = service.run("caseload/rebalance", {"time_limit": 5, "today": "2025-10-06"})
    assert _job_params(service, given["id"])["today"] == "2025-10-06"


@pytest.mark.both_backends
def test_a_proposal_made_from_a_plan_no_longer_in_use_is_refused(service: Service) -> None:
    accept(service, service.run("caseload/plan", {"time_limit": 5}))
    first = service.run("caseload/rebalance", {"time_limit": 5, "agreements": [URGENT]})
    second = service.run("caseload/rebalance", {"time_limit": 5})
    assert _job_params(service, second["id"])["based_on"] == _sources(service, "caseload")
    accept(service, first, districts=(NORTH,))
    stale = _decide(service, second, "accept", "officer", NORTH)
    assert stale.status_code == 409, stale.text
    assert f"older plan of {NORTH}" in stale.json()["detail"]
    # The other district still has the plan both were made from: accepting there is fine.
    assert _decide(service, second, "accept", "officer", SOUTH).status_code == 201
    assert _decide(service, second, "reject", "officer", NORTH).status_code == 201
    assert _sources(service, "caseload")[NORTH] == first["result_id"]


def test_a_rebalance_never_moves_running_support(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    accept(service, service.run("caseload/plan", {"time_limit": 10}))
    before = service.call("officer", "GET", _at(service, "caseload")).json()["assignments"]
    started = min(date.fromisoformat(a["start"]) for a in before)
    today = started + timedelta(days=7)
    running = {
        a["case_id"]: a
        for a in before
        if date.fromisoformat(a["start"]) < today <= date.fromisoformat(a["end"])
    }
    assert running, "some support has started by then"
    # The page's rebalance sends no date of its own here: the service's date is today.
    monkeypatch.setattr(api.store, "today", lambda: today)
    job = service.run(
        "caseload/rebalance", {"time_limit": 10, "agreements": [URGENT]}, role="coordinator"
    )
    assert job["status"] == "succeeded", job
    assert _job_params(service, job["id"])["today"] == today.isoformat()
    result = service.call("officer", "GET", f"/api/jobs/{job['id']}/result").json()["caseload"]
    after = {a["case_id"]: a for a in result["assignments"]}
    for case_id, was in running.items():
        now = after[case_id]
        assert (now["person_id"], now["start"]) == (was["person_id"], was["start"]), case_id
    detail = service.call(
        "coordinator", "GET", proposal_path(service, job), params={"district": NORTH}
    ).json()
    assert not {c["case_id"] for c in detail["cases"] if c["kind"] == "broken"} & set(running)
    accept(service, job, role="coordinator")
    notes = service.call(
        "coordinator",
        "GET",
        proposal_path(service, job) + "/notes",
        params={"district": NORTH},
    ).json()
    assert notes and {n["district"] for n in notes} == {NORTH}
    assert any("T-0500" in line for n in notes for line in n["lines"])
    assert all(n["text"].startswith(n["school"]) for n in notes)
    page = service.call(
        "north_viewer",
        "GET",
        proposal_path(service, job) + "/notes.html",
        params={"district": NORTH},
    )
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "T-0500" in page.text and "<script" not in page.text
    other = service.call(
        "coordinator",
        "GET",
        proposal_path(service, job) + "/notes",
        params={"district": SOUTH},
    )
    assert other.status_code == 404


@pytest.mark.both_backends
def test_a_rota_is_a_proposal_and_a_replan_keeps_its_published_meetings(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = service.run("rota/solve", {"time_limit": 10, "today": "2025-09-01"})
    assert first["status"] == "succeeded", first
    empty = service.call("officer", "GET", _at(service, "rota"))
    assert empty.json()["meetings"] == []
    detail = service.call(
        "officer", "GET", proposal_path(service, first), params={"district": NORTH}
    ).json()
    assert detail["in_use_id"] is None and detail["after"]["new"] == detail["after"]["meetings"]
    assert {m["kind"] for m in detail["meetings"]} == {"new"}
    accept(service, first)
    meetings = service.call("officer", "GET", _at(service, "rota")).json()["meetings"]
    assert len(meetings) == 18 and {m["sequence"] for m in meetings} == {0}
    # A meeting the rota in use cancelled goes out as a cancelled event in its district's calendar.
    gone = next(m for m in meetings if m["district"] == NORTH)
    with service.client.app.state.sessions.begin() as session:  # type: ignore[attr-defined]
        row = session.get(RotaRow, first["result_id"])
        assert row is not None
        row.summary = {**row.summary, "cancelled": [{**gone, "sequence": 1}]}
    ics = service.call("coordinator", "GET", _at(service, "rota/calendar.ics")).text
    assert ics.count("STATUS:CANCELLED") == 1 and ics.count("BEGIN:VEVENT") == 13
    # Re-planned unchanged from this year's rota in use: every meeting stays where it was.
    again = service.run("rota/solve", {"time_limit": 10, "today": "2025-11-24"})
    assert again["status"] == "succeeded", again
    replan = service.call(
        "coordinator", "GET", proposal_path(service, again), params={"district": NORTH}
    ).json()
    assert replan["status"] == "pending" and replan["meetings"] == [], replan["meetings"]
    assert replan["in_use_id"] == first["result_id"]
    assert _decide(service, again, "reject", "coordinator", NORTH).status_code == 201
    assert _sources(service, "rota")[NORTH] == first["result_id"]
    listed = service.call("coordinator", "GET", _at(service, "rota/proposals")).json()
    assert listed == []


def test_a_proposal_counts_cases_without_consent_apart_from_waiting(service: Service) -> None:
    """T-0003 (consent no, Southfield) is never 'waiting': the figures say 'without consent'."""
    service.run("caseload/plan", {"time_limit": 10})
    south = service.call("south_coordinator", "GET", _at(service, "caseload/proposals")).json()
    assert [p["district"] for p in south] == [SOUTH]
    assert south[0]["figures"]["without_consent"] == 1
    north = service.call("coordinator", "GET", _at(service, "caseload/proposals")).json()
    assert north[0]["figures"]["without_consent"] == 0
