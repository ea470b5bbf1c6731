"""Every route, tried by every role: county officer, coordinator (own and another district), viewer,
no token and a wrong token."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import pytest

from api.db.models import SimulationRow
from api.main import create_app
from tests.builders.service import NORTH, NORTH_SCHOOL, SOUTH_SCHOOL, Service, settings_for

ROLES = ("officer", "coordinator", "south_coordinator", "viewer", "north_viewer")
_ids = count(1)


def new_case(prefix: str) -> str:
    """A case id not used before in this module."""
    return f"{prefix}-{next(_ids):04d}"


def agreement(case_id: str, urn: int = NORTH_SCHOOL) -> dict[str, Any]:
    """A valid new agreement."""
    return {
        "case_id": case_id,
        "school_urn": urn,
        "need_type": "C&I",
        "sen_stage": "SEN Support",
        "consent": "yes",
        "agreed_on": "2025-10-01",
        "minutes_per_week": 30,
        "weeks": 6,
        "priority": 2,
    }


Prepare = Callable[[Service, str], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    """A route, how to call it as a role, and the status each role gets."""

    method: str
    path: str
    expected: dict[str, int]
    prepare: Prepare = field(default=lambda _s, _r: {})
    """Per role: `path` format values and request keyword arguments (json=..., files=...)."""

    def call(self, svc: Service, role: str) -> Any:
        values = {"sid": svc.scenario_id, **self.prepare(svc, role)}
        kwargs = {k: values.pop(k) for k in ("json", "files", "params") if k in values}
        path = self.path.format(**values)
        return svc.call(role, self.method, path, **kwargs)


def statuses(
    officer: int,
    coordinator: int,
    south_coordinator: int | None = None,
    viewer: int | None = None,
    north_viewer: int | None = None,
) -> dict[str, int]:
    """Expected statuses; omitted roles take the coordinator's (south) or viewer's status."""
    viewer = 403 if viewer is None else viewer
    return {
        "officer": officer,
        "coordinator": coordinator,
        "south_coordinator": coordinator if south_coordinator is None else south_coordinator,
        "viewer": viewer,
        "north_viewer": viewer if north_viewer is None else north_viewer,
    }


def _north_case(svc: Service, _role: str) -> dict[str, Any]:
    """A fresh open case in Northdown, made by the officer."""
    case_id = new_case("R")
    made = svc.call(
        "officer", "POST", f"/api/scenarios/{svc.scenario_id}/agreements", json=agreement(case_id)
    )
    assert made.status_code == 201, made.text
    return {"case": case_id}


def _taken_south_id(svc: Service, role: str) -> dict[str, Any]:
    """A new case at the role's own school whose id a Southfield case already has: a clash for
    those who see Southfield, "not found" (as reading it) for Northdown's coordinator."""
    taken = new_case("S")
    made = svc.call(
        "officer",
        "POST",
        f"/api/scenarios/{svc.scenario_id}/agreements",
        json=agreement(taken, SOUTH_SCHOOL),
    )
    assert made.status_code == 201, made.text
    urn = SOUTH_SCHOOL if role == "south_coordinator" else NORTH_SCHOOL
    return {"json": agreement(taken, urn)}


def _zip(svc: Service, _role: str) -> dict[str, Any]:
    return {"files": [("files", ("tiny.zip", svc.notes["zip"], "application/zip"))]}


def _agreement_file(_svc: Service, role: str) -> dict[str, Any]:
    """A CSV of one new agreement at the role's own school (the upload of new agreements)."""
    urn = SOUTH_SCHOOL if role == "south_coordinator" else NORTH_SCHOOL
    data = (
        "case_id,school_urn,need_type,sen_stage,lac,consent,agreed_on,minutes_per_week,weeks,"
        f"priority\n{new_case('F')},{urn},C&I,EHCP,no,yes,01/10/2025,30,6,2\n"
    ).encode()
    return {"files": [("file", ("new.csv", data, "text/csv"))]}


def _variant(svc: Service, _role: str) -> dict[str, Any]:
    latest = svc.call("officer", "GET", f"/api/scenarios/{svc.scenario_id}/staffing").json()
    return {"params": {"variant": latest["id"]}}


def _two_variants(svc: Service, _role: str) -> dict[str, Any]:
    latest = svc.call("officer", "GET", f"/api/scenarios/{svc.scenario_id}/staffing").json()
    return {"params": {"a": latest["id"], "b": latest["id"]}}


def _own_school(_svc: Service, role: str) -> dict[str, Any]:
    urn = SOUTH_SCHOOL if role == "south_coordinator" else NORTH_SCHOOL
    return {"params": {"school_urn": urn}}


def _job(svc: Service, _role: str) -> dict[str, Any]:
    return {"job": svc.notes["north_job"]}


def _county_job(svc: Service, _role: str) -> dict[str, Any]:
    return {"job": svc.notes["rota_job"]}


def _simulation(svc: Service, _role: str) -> dict[str, Any]:
    """A stored simulation of the tiny county (written directly: the run is tested elsewhere)."""
    if "simulation" not in svc.notes:
        with svc.client.app.state.sessions() as session:  # type: ignore[attr-defined]
            row = SimulationRow(
                scenario_id=svc.scenario_id,
                settings={"variants": ["scenario"], "policies": ["first-come"], "seeds": 1},
                summary=[],
                printed="",
                seconds=1.0,
            )
            session.add(row)
            session.commit()
            svc.notes["simulation"] = row.id
    return {"simulation": svc.notes["simulation"]}


def _result(svc: Service, job: str) -> int:
    found = svc.call("officer", "GET", f"/api/jobs/{svc.notes[job]}").json()["result_id"]
    assert isinstance(found, int)
    return found


def _north_rota(svc: Service, _role: str) -> dict[str, Any]:
    """The county rota, proposed for Northdown (read with `district`)."""
    return {"proposal": _result(svc, "rota_job"), "params": {"district": NORTH}}


def _north_plan(svc: Service, _role: str) -> dict[str, Any]:
    return {"proposal": _result(svc, "plan_job"), "params": {"district": NORTH}}


def _rota_not_in_use(svc: Service, _role: str) -> dict[str, Any]:
    """Whichever of the county's and Northdown's own rota is not in use in Northdown (so that each
    role that may accept one can)."""
    versions = svc.call(
        "officer",
        "GET",
        f"/api/scenarios/{svc.scenario_id}/rota/versions",
        params={"district": NORTH},
    ).json()
    in_use = next(v["source_id"] for v in versions if v["in_use"])
    choices = {_result(svc, "rota_job"), _result(svc, "north_job")} - {in_use}
    return {"proposal": choices.pop(), "json": {"district": NORTH}}


def _older_rota_version(svc: Service, _role: str) -> dict[str, Any]:
    """An accepted rota of Northdown not in use now (one is made when there is none)."""
    path = f"/api/scenarios/{svc.scenario_id}/rota"
    versions = svc.call("officer", "GET", path + "/versions", params={"district": NORTH}).json()
    older = [v for v in versions if not v["in_use"]]
    if not older:
        other = _rota_not_in_use(svc, "officer")
        made = svc.call(
            "officer", "POST", f"{path}/proposals/{other['proposal']}/accept", json=other["json"]
        )
        assert made.status_code == 201, made.text
        return _older_rota_version(svc, _role)
    return {"decision": older[0]["id"]}


QUICK = {"time_limit": 2}
S = "/api/scenarios/{sid}"

ROUTES: list[Route] = [
    Route("GET", "/api/health", {r: 200 for r in ROLES}),
    Route("GET", "/api/me", statuses(200, 200, viewer=200)),
    Route(
        "PUT",
        "/api/me/scenario",
        statuses(200, 200, viewer=200),
        lambda s, _r: {"json": {"scenario_id": s.scenario_id}},
    ),
    Route("POST", S + "/live", statuses(200, 403)),
    Route("GET", "/api/scenarios", statuses(200, 200, viewer=200)),
    Route("POST", "/api/scenarios", statuses(201, 403), _zip),
    Route("POST", "/api/scenarios/validate", statuses(200, 200), _zip),
    Route("GET", S, statuses(200, 200, viewer=200)),
    Route("GET", S + "/people", statuses(200, 200, viewer=200)),
    Route("GET", S + "/schools", statuses(200, 200, viewer=200)),
    Route("GET", S + "/agreements", statuses(200, 200, viewer=200)),
    Route(
        "POST",
        S + "/agreements",
        statuses(201, 201, south_coordinator=422),
        lambda _s, _r: {"json": agreement(new_case("N"))},
    ),
    Route("POST", S + "/agreements", statuses(409, 404, south_coordinator=409), _taken_south_id),
    Route(
        "GET",
        S + "/agreements/{case}",
        statuses(200, 200, south_coordinator=404, viewer=200),
        _north_case,
    ),
    Route(
        "PATCH",
        S + "/agreements/{case}",
        statuses(200, 200, south_coordinator=404),
        lambda s, r: {**_north_case(s, r), "json": {"minutes_per_week": 45}},
    ),
    Route(
        "POST",
        S + "/agreements/{case}/close",
        statuses(200, 200, south_coordinator=404),
        lambda s, r: {**_north_case(s, r), "json": {"closed_on": "2025-12-01"}},
    ),
    Route("POST", S + "/agreements/preview", statuses(200, 200), _agreement_file),
    Route("POST", S + "/agreements/import", statuses(201, 201), _agreement_file),
    Route(
        "GET",
        S + "/agreements/{case}/timeline",
        statuses(200, 200, south_coordinator=404, viewer=200),
        _north_case,
    ),
    Route(
        "GET",
        S + "/agreements/{case}/agreement.html",
        statuses(200, 200, south_coordinator=404, viewer=200),
        _north_case,
    ),
    Route(
        "GET",
        S + "/agreements/{case}/agreement.pdf",
        statuses(200, 200, south_coordinator=404, viewer=200),
        _north_case,
    ),
    Route("GET", S + "/reviews/due", statuses(200, 200, viewer=200)),
    Route("GET", S + "/reviews", statuses(200, 200, viewer=200)),
    Route(
        "POST",
        S + "/reviews",
        statuses(201, 201, south_coordinator=404),
        lambda s, r: {
            "json": {
                "case_id": _north_case(s, r)["case"],
                "date": "2025-10-06",
                "kind": "review",
                "measure": "reading age (months)",
                "value": 80,
            }
        },
    ),
    Route("GET", S + "/reviews/progress", statuses(200, 200, viewer=200)),
    Route(
        "GET",
        S + "/reviews/details/{case}",
        statuses(200, 200, south_coordinator=404, viewer=200),
        _north_case,
    ),
    Route(
        "PUT",
        S + "/reviews/details/{case}",
        statuses(200, 200, south_coordinator=404),
        lambda s, r: {**_north_case(s, r), "json": {"support": "Weekly sessions"}},
    ),
    Route("POST", S + "/rota/solve", statuses(202, 202), lambda _s, _r: {"json": QUICK}),
    Route("GET", S + "/rota", statuses(200, 200, viewer=200)),
    Route("GET", S + "/rota/analysis", statuses(200, 200, viewer=200)),
    Route("GET", S + "/rota/next-meeting", statuses(200, 200, viewer=200), _own_school),
    Route("GET", S + "/rota/openings", statuses(200, 200, viewer=200), _own_school),
    Route("GET", S + "/rota/rota.csv", statuses(200, 200, viewer=200)),
    Route("GET", S + "/rota/rota.xlsx", statuses(200, 200, viewer=200)),
    Route("GET", S + "/rota/calendar.ics", statuses(200, 200, viewer=200)),
    Route("GET", S + "/rota/proposals", statuses(200, 200, viewer=200)),
    Route(
        "GET",
        S + "/rota/proposals/{proposal}",
        statuses(200, 200, south_coordinator=404, viewer=200),
        _north_rota,
    ),
    Route(
        "POST",
        S + "/rota/proposals/{proposal}/accept",
        statuses(201, 201, south_coordinator=404),
        _rota_not_in_use,
    ),
    Route(
        "POST",
        S + "/rota/proposals/{proposal}/reject",
        statuses(201, 201, south_coordinator=404),
        _rota_not_in_use,
    ),
    Route("GET", S + "/rota/versions", statuses(200, 200, viewer=200)),
    Route(
        "POST",
        S + "/rota/versions/{decision}/rollback",
        statuses(201, 201, south_coordinator=404),
        _older_rota_version,
    ),
    Route("POST", S + "/caseload/plan", statuses(202, 202), lambda _s, _r: {"json": QUICK}),
    Route("POST", S + "/caseload/rebalance", statuses(202, 202), lambda _s, _r: {"json": QUICK}),
    Route("GET", S + "/caseload", statuses(200, 200, viewer=200)),
    Route("GET", S + "/caseload/analysis", statuses(200, 200, viewer=200)),
    Route("GET", S + "/caseload/assignments.csv", statuses(200, 200, viewer=200)),
    Route("GET", S + "/caseload/unassigned.csv", statuses(200, 200, viewer=200)),
    Route("GET", S + "/caseload/changes.csv", statuses(200, 200, viewer=200)),
    Route("GET", S + "/caseload/caseload.xlsx", statuses(200, 200, viewer=200)),
    Route("GET", S + "/caseload/proposals", statuses(200, 200, viewer=200)),
    Route(
        "GET",
        S + "/caseload/proposals/{proposal}",
        statuses(200, 200, south_coordinator=404, viewer=200),
        _north_plan,
    ),
    Route(
        "GET",
        S + "/caseload/proposals/{proposal}/notes",
        statuses(200, 200, south_coordinator=404, viewer=200),
        _north_plan,
    ),
    Route(
        "GET",
        S + "/caseload/proposals/{proposal}/notes.html",
        statuses(200, 200, south_coordinator=404, viewer=200),
        _north_plan,
    ),
    Route(
        "POST",
        S + "/caseload/proposals/{proposal}/accept",
        statuses(409, 409, south_coordinator=404),
        lambda s, _r: {**_north_plan(s, _r), "params": {}, "json": {"district": NORTH}},
    ),
    Route(
        "POST",
        S + "/caseload/proposals/{proposal}/reject",
        statuses(409, 409, south_coordinator=404),
        lambda s, _r: {**_north_plan(s, _r), "params": {}, "json": {"district": NORTH}},
    ),
    Route("GET", S + "/caseload/versions", statuses(200, 200, viewer=200)),
    Route(
        "POST",
        S + "/caseload/versions/{decision}/rollback",
        statuses(409, 409, south_coordinator=404),
        lambda s, _r: {"decision": _caseload_version_in_use(s)},
    ),
    Route("GET", S + "/staffing/formula", statuses(200, 403, viewer=200)),
    Route("GET", S + "/staffing/variants", statuses(200, 403, viewer=200)),
    Route("GET", S + "/staffing/variants/compare", statuses(200, 403, viewer=200), _two_variants),
    Route(
        "GET", S + "/staffing/variants/compare.png", statuses(200, 403, viewer=200), _two_variants
    ),
    Route("GET", S + "/staffing/variants/sensitivity", statuses(200, 403, viewer=200), _variant),
    Route("POST", S + "/staffing", statuses(201, 403), lambda _s, _r: {"json": {}}),
    Route("GET", S + "/staffing", statuses(200, 403, viewer=200)),
    Route(
        "POST",
        S + "/staffing/compare",
        statuses(200, 403),
        lambda _s, _r: {"json": {"b": {"method": "hamilton"}}},
    ),
    Route("GET", S + "/staffing/staffing.csv", statuses(200, 403, viewer=200)),
    Route("GET", S + "/staffing/chart.png", statuses(200, 403, viewer=200)),
    Route(
        "POST",
        S + "/simulations",
        statuses(202, 403),
        lambda _s, _r: {"json": {"policies": ["first-come"], "rebalance_seconds": 1}},
    ),
    Route("GET", S + "/simulations", statuses(200, 403)),
    Route("GET", S + "/simulations/{simulation}", statuses(200, 403), _simulation),
    Route("GET", S + "/simulations/{simulation}/summary.csv", statuses(200, 403), _simulation),
    Route("GET", S + "/requests", statuses(200, 200, viewer=200)),
    Route(
        "GET",
        S + "/requests/agenda",
        statuses(200, 200, south_coordinator=404, viewer=200),
        lambda _s, _r: {"params": {"district": NORTH}},
    ),
    Route(
        "GET",
        S + "/requests/agenda/{meeting_date}/{group}.html",
        statuses(404, 404, viewer=404),
        lambda _s, _r: {
            "meeting_date": "2025-09-10",
            "group": "N1",
            "params": {"district": NORTH},
        },
    ),
    Route("GET", S + "/requests/waits", statuses(200, 200, viewer=200)),
    Route(
        "POST",
        S + "/requests/{request_id}/outcome",
        statuses(404, 404),
        lambda _s, _r: {
            "request_id": "R-0001",
            "json": {"outcome": "advice", "decided_on": "2025-09-24"},
        },
    ),
    Route(
        "GET",
        S + "/reports/executive.pdf",
        statuses(200, 200, south_coordinator=404, viewer=200),
        lambda _s, _r: {"params": {"district": NORTH}},
    ),
    Route(
        "GET",
        S + "/reports/executive.html",
        statuses(200, 200, south_coordinator=404, viewer=200),
        lambda _s, _r: {"params": {"district": NORTH}},
    ),
    Route("GET", "/api/jobs", statuses(200, 200, viewer=200)),
    Route("GET", "/api/jobs/{job}", statuses(200, 200, south_coordinator=404, viewer=200), _job),
    Route(
        "GET",
        "/api/jobs/{job}/result",
        statuses(200, 200, south_coordinator=404, viewer=200),
        _job,
    ),
    Route(
        "POST",
        "/api/jobs/{job}/cancel",
        statuses(409, 404, viewer=403),
        _county_job,
    ),
    Route("GET", "/api/audit", statuses(200, 403)),
]


@pytest.fixture(scope="module")
def svc(planned: Service, tiny_zip: bytes) -> Service:
    """The planned service, with a finished job of Northdown's coordinator."""
    planned.notes["zip"] = tiny_zip
    done = planned.run("rota/solve", QUICK, role="coordinator")
    assert done["status"] == "succeeded", done
    planned.notes["north_job"] = done["id"]
    return planned


def _caseload_version_in_use(svc: Service) -> int:
    versions = svc.call(
        "officer",
        "GET",
        f"/api/scenarios/{svc.scenario_id}/caseload/versions",
        params={"district": NORTH},
    ).json()
    return int(next(v["id"] for v in versions if v["in_use"]))


def _key(route: Route) -> str:
    return f"{route.method} {route.path.replace('{sid}', '{scenario_id}')}"


@pytest.mark.both_backends
@pytest.mark.parametrize("route", ROUTES, ids=_key)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_its_status(svc: Service, route: Route, role: str) -> None:
    response = route.call(svc, role)
    assert response.status_code == route.expected[role], (role, response.text)


@pytest.mark.parametrize("route", [r for r in ROUTES if r.path != "/api/health"], ids=_key)
@pytest.mark.parametrize("who", ["anonymous", "wrong"])
def test_no_or_wrong_token_is_401(svc: Service, route: Route, who: str) -> None:
    response = route.call(svc, who) if route.prepare is _zip else _bare(svc, route, who)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"


def _bare(svc: Service, route: Route, who: str) -> Any:
    path = route.path.format(
        sid=svc.scenario_id,
        case="T-0001",
        job=svc.notes["north_job"],
        proposal=1,
        decision=1,
        meeting_date="2025-09-10",
        group="N1",
        request_id="R-0001",
        simulation=1,
    )
    return svc.call(who, route.method, path, json={})


def test_every_api_route_is_in_the_role_table(tmp_path: Any) -> None:
    app = create_app(settings_for(tmp_path))
    routes = {
        f"{method.upper()} {path}"
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    table = {
        _key(r)
        .replace("{case}", "{case_id}")
        .replace("{job}", "{job_id}")
        .replace("{proposal}", "{proposal_id}")
        .replace("{decision}", "{decision_id}")
        .replace("{simulation}", "{simulation_id}")
        for r in ROUTES
    }
    assert routes == table


def test_a_coordinator_sees_only_their_district(svc: Service) -> None:
    sid = svc.scenario_id
    cases = svc.call("coordinator", "GET", f"/api/scenarios/{sid}/agreements").json()
    assert cases and {c["district"] for c in cases} == {NORTH}
    meetings = svc.call("coordinator", "GET", f"/api/scenarios/{sid}/rota").json()["meetings"]
    assert meetings and {m["district"] for m in meetings} == {NORTH}
    schools = svc.call("coordinator", "GET", f"/api/scenarios/{sid}/schools").json()
    assert {s["district"] for s in schools} == {NORTH}
    other = svc.call(
        "coordinator", "GET", f"/api/scenarios/{sid}/rota", params={"district": "Southfield"}
    )
    assert other.status_code == 404
    plan = svc.call("coordinator", "GET", f"/api/scenarios/{sid}/caseload").json()
    assert {a["district"] for a in plan["assignments"]} <= {NORTH}
    county = svc.call("officer", "GET", f"/api/scenarios/{sid}/agreements").json()
    assert len(county) > len(cases)


def test_a_coordinators_job_covers_only_their_district(svc: Service) -> None:
    response = svc.call(
        "coordinator",
        "POST",
        f"/api/scenarios/{svc.scenario_id}/rota/solve",
        json={**QUICK, "district": "Southfield"},
    )
    assert response.status_code == 404
    job = svc.call("coordinator", "GET", f"/api/jobs/{svc.notes['north_job']}").json()
    assert job["district"] == NORTH
