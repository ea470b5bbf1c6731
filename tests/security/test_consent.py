"""Consent that cannot be overridden (#11): withdrawing it takes effect at once, everywhere.

`PATCH .../agreements/{case}` with consent `no` changes the plan in use in the same transaction:
support not yet begun is dropped, support that has begun stops on the day, both with the reason
"consent withdrawn". Every surface is read back: GET caseload (assignments, each person's load, the
waiting list, the change log), the CSV and XLSX downloads, the analysis figures, the audit log, and a
rebalance planned afterwards. A `current_plan.csv` uploaded with a row for a case without consent is
shown withdrawn, not refused.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

import api.store
from allocator.io import write_scenario
from tests.api.accept import accept
from tests.builders.folders import make_tiny_scenario
from tests.builders.service import Service, make_service, zip_folder

WITHDRAWN_ON = date(2025, 11, 3)
"""The day the tests withdraw consent on (the service's date is set to it)."""
PLAN = (
    "case_id,person_id,start,end,status\n"
    "T-0001,ST1,2025-09-22,2025-12-05,running\n"
    "T-0002,HI1,2026-01-12,2026-04-17,planned\n"
)
"""T-0001 (Northdown, C&I) runs with ST1; T-0002 (Southfield, HI) is planned with HI1."""


@pytest.fixture(autouse=True)
def service_date(monkeypatch: pytest.MonkeyPatch) -> None:
    """The service's date during these tests."""
    monkeypatch.setattr(api.store, "today", lambda: WITHDRAWN_ON)


def _zip(tmp_path: Path, plan: str) -> bytes:
    folder = tmp_path / "tiny"
    if folder.exists():
        shutil.rmtree(folder)
    write_scenario(make_tiny_scenario(), folder)
    (folder / "current_plan.csv").write_text(plan, encoding="utf-8")
    return zip_folder(folder)


@pytest.fixture
def imported(tmp_path: Path) -> Iterator[Service]:
    """The tiny county uploaded with a current plan: T-0001 running, T-0002 planned."""
    yield from make_service(tmp_path, _zip(tmp_path, PLAN))


def _url(svc: Service, tail: str = "") -> str:
    return f"/api/scenarios/{svc.scenario_id}{tail}"


def _caseload(svc: Service) -> dict[str, Any]:
    response = svc.call("officer", "GET", _url(svc, "/caseload"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _withdraw(svc: Service, case_id: str, role: str = "officer") -> None:
    response = svc.call(role, "PATCH", _url(svc, f"/agreements/{case_id}"), json={"consent": "no"})
    assert response.status_code == 200, response.text
    assert response.json()["consent"] == "no"


def _csv(svc: Service, name: str) -> list[dict[str, str]]:
    response = svc.call("officer", "GET", _url(svc, f"/caseload/{name}"))
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def _sheet(svc: Service, title: str) -> list[dict[str, Any]]:
    response = svc.call("officer", "GET", _url(svc, "/caseload/caseload.xlsx"))
    assert response.status_code == 200, response.text
    rows = list(load_workbook(io.BytesIO(response.content))[title].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _person(body: dict[str, Any], person_id: str) -> dict[str, Any]:
    return next(p for p in body["people"] if p["person_id"] == person_id)


def _listed(rows: list[dict[str, Any]]) -> set[str]:
    return {str(r["case_id"]) for r in rows}


def test_running_support_stops_on_the_day_everywhere(imported: Service) -> None:
    before = _caseload(imported)
    assert "T-0001" in _person(before, "ST1")["case_ids"]
    _withdraw(imported, "T-0001", role="coordinator")
    body = _caseload(imported)
    stopped = next(a for a in body["assignments"] if a["case_id"] == "T-0001")
    assert (stopped["status"], stopped["end"]) == ("withdrawn", WITHDRAWN_ON.isoformat())
    assert "T-0001" not in _person(body, "ST1")["case_ids"]
    assert _person(body, "ST1")["cases"] == 0
    assert "T-0001" not in _listed(body["waiting"])
    change = next(c for c in body["changes"] if c["case_id"] == "T-0001")
    assert change["reason"].startswith(f"consent withdrawn on {WITHDRAWN_ON.isoformat()}")
    row = next(r for r in _csv(imported, "assignments.csv") if r["case_id"] == "T-0001")
    assert (row["status"], row["end"]) == ("withdrawn", WITHDRAWN_ON.isoformat())
    sheet = next(r for r in _sheet(imported, "assignments") if r["case_id"] == "T-0001")
    assert sheet["status"] == "withdrawn"
    assert "T-0001" in _listed(_csv(imported, "changes.csv"))


def test_planned_support_is_dropped_everywhere(imported: Service) -> None:
    assert "T-0002" in _listed(_csv(imported, "assignments.csv"))
    _withdraw(imported, "T-0002")
    body = _caseload(imported)
    assert "T-0002" not in _listed(body["assignments"])
    assert "T-0002" not in _person(body, "HI1")["case_ids"]
    assert "T-0002" not in _listed(body["waiting"])
    kept = next(w for w in body["without_consent"] if w["case_id"] == "T-0002")
    assert kept["reason"].startswith("consent withdrawn")
    assert kept["earliest_possible_start"] is None and kept["help"] is None
    assert "T-0002" not in _listed(_csv(imported, "assignments.csv"))
    assert "T-0002" not in _listed(_sheet(imported, "assignments"))
    unassigned = next(r for r in _csv(imported, "unassigned.csv") if r["case_id"] == "T-0002")
    assert unassigned["reason"].startswith("consent withdrawn")
    assert "T-0002" in _listed(_csv(imported, "changes.csv"))


def test_the_withdrawal_is_audited(imported: Service) -> None:
    _withdraw(imported, "T-0002")
    entries = imported.call("officer", "GET", "/api/audit").json()
    found = [e for e in entries if e["action"] == "caseload.consent_withdrawn"]
    assert len(found) == 1, entries
    assert found[0]["entity_id"] == "T-0002"
    assert found[0]["detail"]["action"] == "dropped"


def test_consent_given_again_is_not_a_withdrawal(imported: Service) -> None:
    response = imported.call(
        "officer", "PATCH", _url(imported, "/agreements/T-0001"), json={"consent": "yes"}
    )
    assert response.status_code == 200, response.text
    body = _caseload(imported)
    kept = next(a for a in body["assignments"] if a["case_id"] == "T-0001")
    assert (kept["status"], kept["end"]) == ("running", "2025-12-05")


def test_an_uploaded_row_without_consent_is_shown_withdrawn(tmp_path: Path) -> None:
    """T-0003 has consent 'no': a running row stops on the upload day, a planned row is dropped."""
    running = PLAN + "T-0003,ST2,2025-10-06,2025-11-21,running\n"
    for svc in make_service(tmp_path, _zip(tmp_path, running)):
        body = _caseload(svc)
        stopped = next(a for a in body["assignments"] if a["case_id"] == "T-0003")
        assert (stopped["status"], stopped["end"]) == ("withdrawn", WITHDRAWN_ON.isoformat())
    planned = PLAN + "T-0003,ST2,2026-01-12,2026-02-20,planned\n"
    (tmp_path / "planned").mkdir()
    for svc in make_service(tmp_path / "planned", _zip(tmp_path, planned)):
        body = _caseload(svc)
        assert "T-0003" not in _listed(body["assignments"])
        assert "T-0003" not in _listed(body["waiting"])
        kept = next(w for w in body["without_consent"] if w["case_id"] == "T-0003")
        assert kept["reason"].startswith("consent withdrawn")


@pytest.fixture
def planned(tmp_path: Path) -> Iterator[Service]:
    """The tiny county, uploaded without a plan and then planned by the solver."""
    for svc in make_service(tmp_path, _zip(tmp_path, "case_id,person_id,start,end,status\n")):
        accept(svc, svc.run("caseload/plan", {"time_limit": 5}))
        yield svc


def test_analysis_figures_and_the_next_rebalance_follow(planned: Service) -> None:
    analysis = planned.call("officer", "GET", _url(planned, "/caseload/analysis")).json()[0]
    started, waiting = analysis["started"], analysis["waiting"]
    first = _caseload(planned)
    target = next(a for a in first["assignments"] if a["status"] == "planned")
    assert date.fromisoformat(target["start"]) > WITHDRAWN_ON  # not begun: it is dropped
    _withdraw(planned, target["case_id"])
    analysis = planned.call("officer", "GET", _url(planned, "/caseload/analysis")).json()[0]
    assert (analysis["started"], analysis["waiting"]) == (started - 1, waiting + 1)
    body = _caseload(planned)
    assert target["case_id"] not in _listed(body["assignments"])
    assert target["case_id"] not in _listed(body["waiting"])
    assert target["case_id"] in _listed(body["without_consent"])
    # A rebalance afterwards never plans it again, and its checker agrees.
    job = accept(planned, planned.run("caseload/rebalance", {"time_limit": 5}))
    result = planned.call("officer", "GET", f"/api/jobs/{job['id']}/result").json()["caseload"]
    assert result["analysis"]["check_ok"], result["analysis"]["breaches"]
    assert target["case_id"] not in _listed(result["assignments"])
    assert target["case_id"] not in _listed(_caseload(planned)["assignments"])
    # A waiting case whose consent is withdrawn stops waiting (T-0003: consent given, then withdrawn).
    for consent in ("yes", "no"):
        response = planned.call(
            "officer", "PATCH", _url(planned, "/agreements/T-0003"), json={"consent": consent}
        )
        assert response.status_code == 200, response.text
        listed = _caseload(planned)
        assert ("T-0003" in _listed(listed["waiting"])) == (consent == "yes")
    kept = next(w for w in listed["without_consent"] if w["case_id"] == "T-0003")
    assert (
        kept["reason"]
        == f"consent withdrawn on {WITHDRAWN_ON.isoformat()}: the case is not planned"
    )
    assert kept["earliest_possible_start"] is None and kept["help"] is None


def test_a_plan_computed_before_the_withdrawal_cannot_bring_the_support_back(
    imported: Service,
) -> None:
    """A job that read the plan before the PATCH and writes after it: the withdrawal still holds."""
    from allocator.model.caseload_result import (
        Assignment,
        CaseloadCheck,
        CaseloadKpis,
        CaseloadPlan,
    )
    from api.db.models import JobRow
    from api.services.caseload import CaseloadJobs
    from api.worker import CaseloadOutput

    _withdraw(imported, "T-0002")
    stale = Assignment(
        case_id="T-0002",
        person_id="HI1",
        team="HI",
        start=date(2026, 1, 12),
        end=date(2026, 4, 17),
        minutes_per_week=90,
        travel_minutes=0,
    )
    output = CaseloadOutput(
        plan=CaseloadPlan(assignments=(stale,)),
        kpis=CaseloadKpis(
            agreements=1,
            started=1,
            started_in_plan=1,
            waiting=0,
            mean_wait_weeks=None,
            median_wait_weeks=None,
            p90_wait_weeks=None,
        ),
        check=CaseloadCheck(),
        engine="test",
        wall_time=0.0,
        proven_optimal=True,
        gap=None,
        breakdown=(),
    )
    app: Any = imported.client.app
    with app.state.sessions() as session:
        job = JobRow(id="stale-plan-job", kind="caseload_plan", scenario_id=imported.scenario_id)
        session.add(job)
        session.flush()
        CaseloadJobs(app.state.cache, 1, rebalance=False).persist(session, job, output)
        session.commit()
    body = _caseload(imported)
    assert "T-0002" not in _listed(body["assignments"])
    assert "T-0002" in _listed(body["without_consent"])
