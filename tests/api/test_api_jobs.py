"""Solve jobs: progress, results, cancel, failure and crash (nothing partial is written), restart."""

from __future__ import annotations

import csv
import io
import logging
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from allocator.paths import KENT
from api.db.models import JobRow, PlanRow, RotaRow
from tests.api.accept import accept
from tests.builders.service import NORTH, NORTH_SCHOOL, Database, Service, make_service, zip_folder

NEW_CASE = {
    "case_id": "T-0300",
    "school_urn": NORTH_SCHOOL,
    "need_type": "C&I",
    "sen_stage": "EHCP",
    "consent": "exception: parent unreachable, agreed by the head",
    "agreed_on": "2025-10-06",
    "minutes_per_week": 60,
    "weeks": 8,
    "priority": 1,
}


def count(svc: Service, table: Any) -> int:
    with svc.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


@pytest.fixture(scope="module")
def kent_zip() -> bytes:
    """The embedded Kent scenario, zipped."""
    return zip_folder(KENT, "kent")


@pytest.mark.both_backends
def test_rota_result_analysis_and_urgent_openings(planned: Service) -> None:
    sid = planned.scenario_id
    result = planned.call("officer", "GET", f"/api/jobs/{planned.notes['rota_job']}/result").json()
    rota = result["rota"]
    assert result["job"]["message"].startswith("18 meetings, proven optimal, penalty")
    assert rota["status"] == "optimal" and rota["check_ok"] is True
    assert rota["objective"] == sum(c["penalty"] for c in rota["constraints"])
    assert all(c["description"] for c in rota["constraints"])
    assert len(result["meetings"]) == 3 * 6
    openings = planned.call(
        "coordinator",
        "GET",
        f"/api/scenarios/{sid}/rota/next-meeting",
        params={"school_urn": NORTH_SCHOOL, "after": "2025-12-01"},
    ).json()
    assert openings and all(o["meeting"]["date"] > "2025-12-01" for o in openings)
    assert all(o["meeting"]["district"] == NORTH and o["spare_cases"] > 0 for o in openings)


@pytest.mark.both_backends
def test_the_rota_downloads_as_csv_xlsx_and_calendars(planned: Service) -> None:
    rota = f"/api/scenarios/{planned.scenario_id}/rota"
    ics = planned.call("coordinator", "GET", rota + "/calendar.ics")
    assert ics.headers["content-type"].startswith("text/calendar")
    assert ics.text.startswith("BEGIN:VCALENDAR") and ics.text.count("BEGIN:VEVENT") == 2 * 6
    assert "Southfield" not in ics.text
    county = planned.call("officer", "GET", rota + "/calendar.ics")
    with zipfile.ZipFile(io.BytesIO(county.content)) as archive:
        assert sorted(archive.namelist()) == ["rota-northdown.ics", "rota-southfield.ics"]
    table = planned.call("viewer", "GET", rota + "/rota.csv", params={"district": "Southfield"})
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert len(rows) == 6 and {r["district"] for r in rows} == {"Southfield"}
    book = planned.call("officer", "GET", rota + "/rota.xlsx")
    assert book.status_code == 200 and book.content[:2] == b"PK"


@pytest.mark.both_backends
def test_the_plan_shows_loads_and_the_waiting_list_with_reasons(planned: Service) -> None:
    plan = planned.call("officer", "GET", f"/api/scenarios/{planned.scenario_id}/caseload").json()
    assert {a["case_id"] for a in plan["assignments"]} == {"T-0001", "T-0002"}
    # A case without consent is on record, never in the waiting list (#11).
    assert "T-0003" not in {w["case_id"] for w in plan["waiting"]}
    withheld = {w["case_id"]: w for w in plan["without_consent"]}
    assert "consent" in withheld["T-0003"]["reason"]
    loads = {p["person_id"]: p for p in plan["people"]}
    assert loads["ST1"]["case_ids"] == ["T-0001"] and loads["ST1"]["peak_minutes"] >= 60
    analysis = planned.call(
        "viewer", "GET", f"/api/scenarios/{planned.scenario_id}/caseload/analysis"
    ).json()[0]
    assert analysis["check_ok"] is True and analysis["started"] == 2 and analysis["waiting"] == 1


@pytest.mark.both_backends
def test_a_rebalance_stores_new_agreements_then_commits_plan_and_changes(service: Service) -> None:
    accept(service, service.run("caseload/plan", {"time_limit": 10}))
    job = service.run(
        "caseload/rebalance",
        {"time_limit": 10, "agreements": [NEW_CASE], "today": "2025-10-06"},
        role="coordinator",
    )
    assert job["status"] == "succeeded", job
    caseload = f"/api/scenarios/{service.scenario_id}/caseload"
    before = service.call("coordinator", "GET", caseload).json()
    assert "T-0300" not in {a["case_id"] for a in before["assignments"]}
    accept(service, job, role="coordinator")
    plan = service.call("coordinator", "GET", caseload).json()
    changes = list(
        csv.DictReader(
            io.StringIO(service.call("coordinator", "GET", caseload + "/changes.csv").text)
        )
    )
    assert [c["case_id"] for c in changes] == ["T-0300"]
    rows = list(
        csv.DictReader(
            io.StringIO(service.call("coordinator", "GET", caseload + "/assignments.csv").text)
        )
    )
    assert {r["case_id"] for r in rows} == {"T-0001", "T-0300"}
    book = service.call("coordinator", "GET", caseload + "/caseload.xlsx")
    assert book.status_code == 200 and book.content[:2] == b"PK"
    assert "T-0300" in {a["case_id"] for a in plan["assignments"]}
    assert [c["case_id"] for c in plan["changes"]] == ["T-0300"]
    assert plan["changes"][0]["before_person"] is None and plan["not_in_plan"] == []
    result = service.call("coordinator", "GET", f"/api/jobs/{job['id']}/result").json()
    assert result["caseload"]["analysis"]["moved"] == 0
    clash = service.call(
        "coordinator",
        "POST",
        f"/api/scenarios/{service.scenario_id}/caseload/rebalance",
        json={"agreements": [NEW_CASE]},
    )
    assert clash.status_code == 409


def _running(svc: Service, path: str, body: dict[str, Any], sid: int) -> dict[str, Any]:
    started = svc.call("officer", "POST", f"/api/scenarios/{sid}/{path}", json=body)
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job: dict[str, Any] = svc.call("officer", "GET", f"/api/jobs/{job_id}").json()
        if job["status"] == "running" and job["progress"] > 0:
            return job
        assert job["status"] in ("queued", "running"), job
        time.sleep(0.05)
    raise AssertionError("the job never reported progress")


@pytest.mark.both_backends
def test_cancel_ends_a_running_job_and_saves_nothing(
    tmp_path: Path, tiny_zip: bytes, kent_zip: bytes, database: Database
) -> None:
    for svc in make_service(tmp_path, tiny_zip, database):
        kent = svc.upload(kent_zip).json()["id"]
        job = _running(svc, "rota/solve", {"time_limit": 20}, kent)
        queued = svc.call(
            "officer", "POST", f"/api/scenarios/{kent}/caseload/plan", json={"time_limit": 5}
        )
        assert queued.json()["status"] == "queued"
        assert svc.call("officer", "POST", f"/api/jobs/{queued.json()['id']}/cancel").json()[
            "status"
        ] == ("cancelled")
        cancelled = svc.call("officer", "POST", f"/api/jobs/{job['id']}/cancel")
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        assert svc.call("officer", "POST", f"/api/jobs/{job['id']}/cancel").status_code == 409
        assert svc.call("officer", "GET", f"/api/jobs/{job['id']}/result").status_code == 409
        time.sleep(0.5)
        assert count(svc, PlanRow) == 0 and count(svc, RotaRow) == 0
        assert svc.call("officer", "GET", f"/api/jobs/{job['id']}").json()["status"] == "cancelled"


@pytest.mark.both_backends
def test_a_failed_or_crashed_solve_saves_nothing(
    tmp_path: Path, tiny_zip: bytes, kent_zip: bytes, database: Database
) -> None:
    for svc in make_service(tmp_path, tiny_zip, database):
        kent = svc.upload(kent_zip).json()["id"]
        manager = svc.client.app.state.jobs  # type: ignore[attr-defined]
        with svc.client.app.state.sessions() as session:  # type: ignore[attr-defined]
            gone = manager.submit(session, "rota", kent, None, "Atlantis", {"time_limit": 5})
        failed = svc.wait(gone.id)
        assert failed["status"] == "failed" and "nothing was saved" in failed["message"]
        assert "Atlantis" in failed["message"]
        job = _running(svc, "rota/solve", {"time_limit": 20}, kent)
        manager._running[job["id"]].process.kill()
        crashed = svc.wait(job["id"])
        assert crashed["status"] == "failed" and "stopped unexpectedly" in crashed["message"]
        assert count(svc, PlanRow) == 0 and count(svc, RotaRow) == 0


@pytest.mark.both_backends
def test_restart_keeps_everything_and_fails_interrupted_jobs(
    tmp_path: Path, tiny_zip: bytes, database: Database
) -> None:
    for svc in make_service(tmp_path, tiny_zip, database):
        url = svc.client.app.state.settings.database_url  # type: ignore[attr-defined]
        tokens = svc.tokens
        sid = svc.scenario_id
        assert svc.run("rota/solve", {"time_limit": 10})["status"] == "succeeded"
        assert svc.run("caseload/plan", {"time_limit": 10})["status"] == "succeeded"
        svc.call("officer", "POST", f"/api/scenarios/{sid}/agreements", json=NEW_CASE)
        with svc.client.app.state.sessions() as session:  # type: ignore[attr-defined]
            session.add(
                JobRow(id="f" * 32, kind="rota", scenario_id=sid, status="running", params={})
            )
            session.commit()
        before = {
            path: svc.call("officer", "GET", f"/api/scenarios/{sid}/{path}").json()
            for path in ("rota", "caseload", "agreements")
        }
    for again in make_service(tmp_path / "second", tiny_zip, database_url=url):
        again.tokens = tokens
        for path, body in before.items():
            assert again.call("officer", "GET", f"/api/scenarios/{sid}/{path}").json() == body
        interrupted = again.call("officer", "GET", f"/api/jobs/{'f' * 32}").json()
        assert interrupted["status"] == "failed" and "interrupted" in interrupted["message"]


def test_logs_hold_no_token_no_case_and_no_name(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    service.call(
        "coordinator", "POST", f"/api/scenarios/{service.scenario_id}/agreements", json=NEW_CASE
    )
    assert (
        service.run("caseload/plan", {"time_limit": 10}, role="coordinator")["status"]
        == "succeeded"
    )
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "job" in text
    for secret in [
        *service.tokens.values(),
        "T-0300",
        "T-0001",
        "Specialist teacher",
        "parent unreachable",
    ]:
        assert secret not in text
