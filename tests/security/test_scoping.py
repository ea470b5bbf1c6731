"""Role scoping (#11): a user of one district never learns another district's cases, counts or totals.

Each test plants figures in the tiny county (Northdown and Southfield), reads them back as Northdown's
coordinator and viewer, and checks that what they get is Northdown's alone: an existing case id of
Southfield is "not found", the scenario list, the analyses and job messages count Northdown's cases
only and leave out the county totals, and staffing shows a district viewer their district's rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from itertools import count
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

import pytest
from openpyxl import load_workbook

from allocator.io import write_scenario
from api.db.models import AssignmentRow, ChangeRow, PlanRow, WaitingRow
from api.deps import Scope
from api.services.caseload import analysis_out
from api.services.rota import summary_line
from api.views import scoped_rota_breaches
from tests.api.accept import accept
from tests.builders.folders import make_tiny_scenario
from tests.builders.service import (
    NORTH,
    NORTH_SCHOOL,
    SOUTH,
    SOUTH_SCHOOL,
    Service,
    make_service,
    zip_folder,
)

if TYPE_CHECKING:
    from allocator.rota.outcome import RotaOutcome

_ids = count(1)


def case(urn: int, prefix: str = "SC") -> dict[str, Any]:
    """A new valid agreement at school `urn`."""
    return {
        "case_id": f"{prefix}-{next(_ids):04d}",
        "school_urn": urn,
        "need_type": "C&I",
        "sen_stage": "SEN Support",
        "consent": "yes",
        "agreed_on": "2025-10-01",
        "minutes_per_week": 30,
        "weeks": 6,
        "priority": 2,
    }


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The tiny county with a county rota, a county caseload plan and a staffing result."""
    folder = tmp_path_factory.mktemp("scoping")
    write_scenario(make_tiny_scenario(), folder / "tiny")
    for service in make_service(folder, zip_folder(folder / "tiny")):
        for path in ("rota/solve", "caseload/plan"):
            accept(service, service.run(path, {"time_limit": 5}))
        made = service.call("officer", "POST", _at(service, "staffing"), json={})
        assert made.status_code == 201, made.text
        yield service


def _at(svc: Service, rest: str) -> str:
    """The path of `rest` under the tiny county's scenario."""
    return f"/api/scenarios/{svc.scenario_id}/{rest}"


def _get(svc: Service, role: str, rest: str, **kwargs: Any) -> Any:
    response = svc.call(role, "GET", _at(svc, rest), **kwargs)
    assert response.status_code == 200, response.text
    return response


# (a) another district's case id -------------------------------------------------------------------


def test_another_districts_case_id_is_not_found_as_when_read(svc: Service) -> None:
    south = case(SOUTH_SCHOOL)
    made = svc.call("officer", "POST", _at(svc, "agreements"), json=south)
    assert made.status_code == 201, made.text
    again = {**case(NORTH_SCHOOL), "case_id": south["case_id"]}
    created = svc.call("coordinator", "POST", _at(svc, "agreements"), json=again)
    read = svc.call("coordinator", "GET", _at(svc, f"agreements/{south['case_id']}"))
    assert created.status_code == read.status_code == 404
    assert created.json() == read.json()
    # Within what you see, a taken id is still a clash.
    for role, urn in (("officer", NORTH_SCHOOL), ("south_coordinator", SOUTH_SCHOOL)):
        clash = {**case(urn), "case_id": south["case_id"]}
        response = svc.call(role, "POST", _at(svc, "agreements"), json=clash)
        assert response.status_code == 409, (role, response.text)


def test_a_rebalance_carrying_another_districts_case_id_is_not_found(svc: Service) -> None:
    south = case(SOUTH_SCHOOL)
    assert svc.call("officer", "POST", _at(svc, "agreements"), json=south).status_code == 201
    body = {"time_limit": 2, "agreements": [{**case(NORTH_SCHOOL), "case_id": south["case_id"]}]}
    response = svc.call("coordinator", "POST", _at(svc, "caseload/rebalance"), json=body)
    assert response.status_code == 404, response.text


def test_another_districts_school_answers_as_an_unknown_one(svc: Service) -> None:
    answers = []
    for urn in (SOUTH_SCHOOL, 1_999_999_999):
        response = svc.call("coordinator", "POST", _at(svc, "agreements"), json=case(urn))
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        answers.append([(e["loc"], e["msg"]) for e in detail])
    assert answers[0] == answers[1]


# (b) counts, totals and analyses --------------------------------------------------------------


def test_the_scenario_list_counts_your_districts_cases_only(svc: Service) -> None:
    def listed(role: str) -> int:
        rows = svc.call(role, "GET", "/api/scenarios").json()
        return next(r["open_agreements"] for r in rows if r["id"] == svc.scenario_id)

    def own(role: str) -> int:
        return len(_get(svc, role, "agreements").json())

    county = listed("officer")
    assert county == own("officer") == listed("viewer")
    for role in ("coordinator", "north_viewer", "south_coordinator"):
        assert listed(role) == own(role) < county, role


def test_rota_analysis_leaves_county_figures_out_for_a_district(svc: Service) -> None:
    county = _get(svc, "officer", "rota/analysis").json()
    whole = next(r for r in county if set(r["districts"]) == {NORTH, SOUTH})
    assert not whole["scoped"] and whole["constraints"] and whole["objective"] is not None
    for role in ("coordinator", "north_viewer"):
        seen = next(
            r for r in _get(svc, role, "rota/analysis").json() if r["rota_id"] == whole["rota_id"]
        )
        assert seen["scoped"], role
        assert seen["objective"] is None and seen["best_bound"] is None
        assert seen["constraints"] == []
        assert all(r["district"] == NORTH for r in seen["reasons"])
        meetings = _get(svc, role, "rota").json()["meetings"]
        assert seen["meetings"] == len(meetings) < whole["meetings"]


def test_caseload_analysis_counts_only_your_districts_cases(svc: Service) -> None:
    county = _get(svc, "officer", "caseload/analysis").json()
    whole = next(p for p in county if set(p["districts"]) == {NORTH, SOUTH})
    assert not whole["scoped"] and whole["constraints"] and whole["checker"]
    seen = next(
        p
        for p in _get(svc, "coordinator", "caseload/analysis").json()
        if p["plan_id"] == whole["plan_id"]
    )
    rows = _get(svc, "coordinator", "caseload").json()
    assert [s["plan_id"] for s in rows["sources"]] == [whole["plan_id"]]
    assert seen["scoped"] and seen["constraints"] == [] and seen["checker"] == {}
    assert seen["mean_wait_weeks"] is None
    assert seen["started"] == len(rows["assignments"]) > 0
    assert seen["waiting"] == len(rows["waiting"]) + len(rows["without_consent"])
    assert seen["agreements"] == seen["started"] + seen["waiting"] < whole["agreements"]


def test_scoped_caseload_breaches_keep_only_your_cases() -> None:
    plan = PlanRow(
        id=7,
        kind="plan",
        created_at=datetime(2025, 10, 1, tzinfo=UTC),
        districts=[NORTH, SOUTH],
        summary={
            "breaches": [
                "N-1: started without consent",
                "S-1: started without consent",
                "P-9: week of 2025-10-06 uses 500 of 400 minutes",
            ],
            "checker": {"started": 2},
            "kpis": {"agreements": 3, "started": 2, "waiting": 1, "mean_wait_weeks": 2.0},
            "moved": 2,
        },
    )
    plan.assignments = [_assignment("N-1", NORTH), _assignment("S-1", SOUTH)]
    plan.waiting = [WaitingRow(case_id="S-2", district=SOUTH, reason="no capacity")]
    plan.changes = [
        ChangeRow(
            case_id="N-1", district=NORTH, before_person="A", after_person="B", reason="moved"
        ),
        ChangeRow(
            case_id="S-1", district=SOUTH, before_person="A", after_person="B", reason="moved"
        ),
    ]
    north = analysis_out(plan, {}, Scope(districts=(NORTH,), county=False))
    assert north.scoped and north.breaches == ["N-1: started without consent"]
    assert (north.agreements, north.started, north.waiting, north.moved) == (1, 1, 0, 1)
    assert north.checker == {} and north.mean_wait_weeks is None
    county = analysis_out(plan, {}, Scope(districts=(NORTH, SOUTH), county=True))
    assert not county.scoped and len(county.breaches) == 3 and county.agreements == 3


def _assignment(case_id: str, district: str) -> AssignmentRow:
    return AssignmentRow(
        case_id=case_id,
        district=district,
        person_id="P-9",
        team=district,
        start=date(2025, 10, 6),
        end=date(2025, 11, 14),
        minutes_per_week=30,
        travel_minutes=0,
        status="planned",
    )


def test_scoped_rota_breaches_name_only_your_groups() -> None:
    breaches = [
        "meets_every_half_term: N1 meets 0 time(s) in term 1, not 1",
        "meets_every_half_term: S1 meets 0 time(s) in term 1, not 1",
        "no_double_booking: EP1 is due at N1 and S1 at once on 2025-10-06",
        "slot_capacity: 3 meetings in SLOT-1 on 2025-10-06, room for 2",
        "meets_every_half_term: N10 meets 0 time(s) in term 1, not 1",
    ]
    kept = scoped_rota_breaches(breaches, mine={"N1"}, others={"S1", "N10"})
    assert kept == [breaches[0]]


def test_a_districts_rebalance_job_tells_its_district_only(svc: Service) -> None:
    svc.call("officer", "POST", _at(svc, "agreements"), json=case(SOUTH_SCHOOL))
    svc.call("officer", "POST", _at(svc, "agreements"), json=case(NORTH_SCHOOL))
    done = svc.run("caseload/rebalance", {"time_limit": 5}, role="coordinator")
    assert done["status"] == "succeeded", done
    assert done["message"].startswith(f"{NORTH}: "), done["message"]
    assert done["objective"] is None and done["best_bound"] is None
    listed = next(
        j for j in svc.call("coordinator", "GET", "/api/jobs").json() if j["id"] == done["id"]
    )
    assert listed["objective"] is None and listed["best_bound"] is None
    result = svc.call("coordinator", "GET", f"/api/jobs/{done['id']}/result").json()
    rows = result["caseload"]
    assert result["job"]["objective"] is None
    started, waits = len(rows["assignments"]), len(rows["waiting"])
    assert done["message"].startswith(f"{NORTH}: {started} of {started + waits} cases started, ")
    assert result["caseload"]["analysis"]["scoped"]
    county = svc.call("officer", "GET", f"/api/jobs/{done['id']}/result").json()
    assert not county["caseload"]["analysis"]["scoped"]
    assert county["caseload"]["analysis"]["agreements"] > started + waits


def test_a_districts_own_rota_job_keeps_its_figures(svc: Service) -> None:
    done = svc.run("rota/solve", {"time_limit": 5}, role="coordinator")
    assert done["status"] == "succeeded", done
    result = svc.call("coordinator", "GET", f"/api/jobs/{done['id']}/result").json()
    assert result["rota"]["districts"] == [NORTH], "the tiny county's Northdown plans alone"
    assert "penalty" in done["message"] and result["job"]["objective"] is not None
    assert not result["rota"]["scoped"] and result["rota"]["constraints"]


def test_a_rota_job_binding_other_districts_tells_its_district_only() -> None:
    meetings = [SimpleNamespace(district=d) for d in (NORTH, NORTH, SOUTH)]
    reasons = [
        SimpleNamespace(district=SOUTH, message="S1 cannot meet", fix="add a slot"),
        SimpleNamespace(district=NORTH, message="N1 cannot meet", fix="add a day"),
    ]
    solved = SimpleNamespace(
        districts=(NORTH, SOUTH),
        rota=SimpleNamespace(meetings=meetings),
        reasons=(),
        status=SimpleNamespace(value="optimal"),
        proven_optimal=True,
        objective=42,
        wall_time=1.0,
    )
    line = summary_line(cast("RotaOutcome", solved), NORTH)
    assert line == f"2 meetings in {NORTH}, proven optimal, 1.0 s"
    assert "penalty 42" in summary_line(cast("RotaOutcome", solved), None)
    failed = SimpleNamespace(**{**vars(solved), "rota": None, "reasons": tuple(reasons)})
    line = summary_line(cast("RotaOutcome", failed), NORTH)
    assert "N1 cannot meet" in line and "S1" not in line


def test_a_districts_rota_workbook_has_no_county_scores(svc: Service) -> None:
    svc.run("rota/solve", {"time_limit": 5})  # the county's rota is the one in use again
    county = load_workbook(io.BytesIO(_get(svc, "officer", "rota/rota.xlsx").content))
    assert "Score" in county.sheetnames
    for role in ("coordinator", "north_viewer"):
        book = load_workbook(io.BytesIO(_get(svc, role, "rota/rota.xlsx").content))
        assert "Score" not in book.sheetnames, role
    one = _get(svc, "officer", "rota/rota.xlsx", params={"district": NORTH}).content
    assert "Score" not in load_workbook(io.BytesIO(one)).sheetnames


# (c) staffing -------------------------------------------------------------------------------


def test_a_district_viewer_reads_their_districts_staffing_only(svc: Service) -> None:
    county = _get(svc, "viewer", "staffing").json()
    assert {d["district"] for d in county["districts"]} == {NORTH, SOUTH}
    assert _get(svc, "officer", "staffing").json() == county
    north = _get(svc, "north_viewer", "staffing").json()
    assert [d["district"] for d in north["districts"]] == [NORTH]
    assert {p["district"] for p in north["pools"]} <= {NORTH}
    assert north["total_fte"] == north["districts"][0]["allocated_fte"] < county["total_fte"]
    assert all(NORTH in t for t in north["ties"])
    rows = list(
        csv.DictReader(io.StringIO(_get(svc, "north_viewer", "staffing/staffing.csv").text))
    )
    assert [r["district"] for r in rows] == [NORTH]
    whole = list(csv.DictReader(io.StringIO(_get(svc, "viewer", "staffing/staffing.csv").text)))
    assert {r["district"] for r in whole} == {NORTH, SOUTH}
    chart = _get(svc, "north_viewer", "staffing/chart.png")
    assert (
        chart.content.startswith(b"\x89PNG")
        and chart.content != _get(svc, "viewer", "staffing/chart.png").content
    )
    assert svc.call("coordinator", "GET", _at(svc, "staffing")).status_code == 403
