"""Requests on the service: the inbox, a district's agenda on the rota in use (checked by the
agenda's own checker), one meeting's printable agenda, the meeting's outcome, the whole wait; scope,
roles and hostile input (a plain 4xx, never a 500)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from allocator.agenda.check import check_agenda
from allocator.io import write_scenario
from allocator.model import Request, Scenario
from allocator.model.agenda_result import Agenda, AgendaItem
from allocator.model.rota_result import Rota
from tests.api.accept import accept
from tests.builders.service import NORTH, SOUTH, Database, Service, make_service, zip_folder

NORTH_REQUESTS = ("R-N1", "R-N2", "R-N3", "R-N4", "R-N5")
SOUTH_REQUESTS = ("R-S1", "R-S2", "R-S3")


def _request(request_id: str, urn: int, received: date, need: str = "C&I", **more: Any) -> Request:
    return Request.model_validate(
        {
            "request_id": request_id,
            "school_urn": urn,
            "received_on": received,
            "need_type": need,
            "sen_stage": "SEN Support",
            "consent": "yes",
            **more,
        }
    )


def requests_scenario(tiny: Scenario) -> Scenario:
    """The tiny county with requests in both districts: routine, urgent, hearing (county route), no
    consent, an early-years setting with no group; T-0001 and T-0002 came from R-N3 and R-S3."""
    requests = (
        _request("R-N1", 100001, date(2025, 9, 8)),
        _request("R-N2", 100002, date(2025, 9, 10), "B&L", urgent=True, lac=True),
        _request(
            "R-N3",
            100001,
            date(2025, 9, 3),
            outcome="specialist",
            decided_on=date(2025, 9, 10),
        ),
        _request("R-N4", 100001, date(2025, 9, 11), "HI"),
        _request("R-N5", 100002, date(2025, 9, 12), consent="no"),
        _request("R-S1", 100003, date(2025, 9, 15)),
        _request("R-S2", 100004, date(2025, 9, 16), "PSCN", sen_stage="EYA/SA"),
        _request(
            "R-S3",
            100003,
            date(2025, 9, 2),
            "HI",
            outcome="specialist",
            decided_on=date(2025, 9, 12),
        ),
    )
    links = {"T-0001": "R-N3", "T-0002": "R-S3"}
    agreements = tuple(
        a.model_copy(update={"request_id": links[a.case_id]}) if a.case_id in links else a
        for a in tiny.agreements
    )
    data = tiny.model_dump(mode="json")
    data["requests"] = [r.model_dump(mode="json") for r in requests]
    data["agreements"] = [a.model_dump(mode="json") for a in agreements]
    return Scenario.model_validate(data)


def requests_zip(tiny: Scenario, folder: Path) -> bytes:
    """The tiny county with requests, as an uploadable zip."""
    write_scenario(requests_scenario(tiny), folder / "requests-county")
    return zip_folder(folder / "requests-county")


@pytest.fixture
def fresh(tmp_path: Path, tiny_scenario: Scenario, database: Database) -> Iterator[Service]:
    """A service with the county of requests and no rota."""
    yield from make_service(tmp_path, requests_zip(tiny_scenario, tmp_path), database)


@pytest.fixture(scope="module")
def ready(
    tmp_path_factory: pytest.TempPathFactory, tiny_scenario: Scenario, database: Database
) -> Iterator[Service]:
    """The county of requests with a rota accepted in both districts."""
    folder = tmp_path_factory.mktemp("requests")
    for svc in make_service(folder, requests_zip(tiny_scenario, folder), database):
        accept(svc, svc.run("rota/solve", {"time_limit": 10}))
        yield svc


def url(svc: Service, rest: str = "") -> str:
    return f"/api/scenarios/{svc.scenario_id}/requests{rest}"


def inbox(svc: Service, role: str = "officer", query: str = "") -> dict[str, dict[str, Any]]:
    response = svc.call(role, "GET", url(svc, query))
    assert response.status_code == 200, response.text
    return {r["request_id"]: r for r in response.json()}


def plain(response: Any) -> str:
    """A 4xx's words: every field's plain message, or the sentence."""
    detail = response.json()["detail"]
    return detail if isinstance(detail, str) else " ".join(e["message"] for e in detail)


# The inbox ----------------------------------------------------------------------------------------


def test_the_inbox_shows_each_request_and_where_it_stands(ready: Service) -> None:
    found = inbox(ready)
    assert set(found) == {*NORTH_REQUESTS, *SOUTH_REQUESTS}
    assert list(found) == sorted(found, key=lambda r: (found[r]["received_on"], r))
    assert found["R-N3"]["status"] == "agreed" and found["R-N3"]["case_id"] == "T-0001"
    assert found["R-N1"]["status"] == "agenda" and found["R-N1"]["group"] == "N1"
    assert found["R-N1"]["school_name"] == "North Primary"
    assert date.fromisoformat(found["R-N1"]["meeting_date"]) > date(2025, 9, 8)
    assert found["R-N2"]["urgent"] and found["R-N2"]["lac"]
    assert found["R-N4"]["county_route"] and found["R-N4"]["status"] == "waiting"
    assert "county coordinators" in found["R-N4"]["status_text"]
    assert found["R-N5"]["status"] == "waiting" and "consent" in found["R-N5"]["reason"]
    assert found["R-S2"]["status"] == "waiting" and found["R-S2"]["reason"]
    assert "/" in found["R-N1"]["status_text"]  # the meeting's date as dd/mm/yyyy


def test_the_inbox_filters_by_status_and_district(ready: Service) -> None:
    agreed = inbox(ready, query="?status=agreed")
    assert set(agreed) == {"R-N3", "R-S3"}
    assert set(inbox(ready, query=f"?district={SOUTH}")) == set(SOUTH_REQUESTS)
    assert set(inbox(ready, "coordinator")) == set(NORTH_REQUESTS)
    assert set(inbox(ready, "north_viewer")) == set(NORTH_REQUESTS)
    other = ready.call("coordinator", "GET", url(ready, f"?district={SOUTH}"))
    assert other.status_code == 404
    bad = ready.call("officer", "GET", url(ready, "?status=lost"))
    assert bad.status_code == 422 and "Status" in plain(bad)


def test_without_a_rota_requests_wait_and_the_agenda_says_why(fresh: Service) -> None:
    found = inbox(fresh)
    assert found["R-N1"]["status"] == "waiting"
    assert "no rota" in found["R-N1"]["status_text"]
    response = fresh.call("officer", "GET", url(fresh, f"/agenda?district={NORTH}"))
    assert response.status_code == 409 and "no rota is accepted" in plain(response)


# Agendas ------------------------------------------------------------------------------------------


def _agenda(svc: Service, district: str, role: str = "officer", query: str = "") -> dict[str, Any]:
    response = svc.call(role, "GET", url(svc, f"/agenda?district={district}{query}"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _rota(svc: Service) -> Rota:
    response = svc.call("officer", "GET", f"/api/scenarios/{svc.scenario_id}/rota")
    assert response.status_code == 200, response.text
    from allocator.model.rota_result import Meeting

    keys = set(Meeting.model_fields)
    meetings = [
        Meeting.model_validate({k: v for k, v in m.items() if k in keys})
        for m in response.json()["meetings"]
    ]
    return Rota(meetings=tuple(meetings))


def test_an_agenda_stays_within_each_meetings_capacity(
    ready: Service, tiny_scenario: Scenario
) -> None:
    scenario = requests_scenario(tiny_scenario)
    for district, ids in ((NORTH, NORTH_REQUESTS), (SOUTH, SOUTH_REQUESTS)):
        body = _agenda(ready, district)
        assert body["checked"] and body["breaches"] == []
        placed = [r for m in body["meetings"] for r in m["request_ids"]]
        load = Counter((m["date"], m["slot"]) for m in body["meetings"] for _ in m["request_ids"])
        for m in body["meetings"]:
            assert m["district"] == district and m["capacity"] == 8
            assert load[(m["date"], m["slot"])] <= m["capacity"]
        county = [c["request_id"] for c in body["county"]]
        unplaced = [u["request_id"] for u in body["unplaced"]]
        assert sorted(placed + county + unplaced) == sorted(ids)
        assert body["ours"]["weighted_days"] <= body["first_come"]["weighted_days"]
        assert body["ours"]["placed"] == len(placed)
        # The agenda's own checker, on the agenda as the API gives it.
        part = scenario.model_copy(
            update={
                "requests": tuple(r for r in scenario.requests if r.request_id in ids),
            }
        )
        items = [
            AgendaItem(
                request_id=r,
                school_urn=part.request_by_id[r].school_urn,
                district=district,
                route="meeting",
                meeting_date=m["date"],
                group=m["group"],
                slot=m["slot"],
                urgent=r in m["urgent_ids"],
                received_on=part.request_by_id[r].received_on,
                school_days_to_meeting=0,
            )
            for m in body["meetings"]
            for r in m["request_ids"]
        ]
        check = check_agenda(part, _rota(ready), Agenda(items=tuple(items)))
        capacity = [b for b in check.breaches if "capacity" in b or "rota meeting" in b]
        assert capacity == []


def test_the_agenda_window_and_a_coordinators_own_district(ready: Service) -> None:
    body = _agenda(ready, NORTH, query="&from=2025-09-09&until=2025-09-30")
    placed = {r for m in body["meetings"] for r in m["request_ids"]}
    assert "R-N1" not in placed and "R-N2" in placed
    own = ready.call("coordinator", "GET", url(ready, "/agenda"))
    assert own.status_code == 200 and own.json()["district"] == NORTH
    other = ready.call("coordinator", "GET", url(ready, f"/agenda?district={SOUTH}"))
    assert other.status_code == 404
    county = ready.call("officer", "GET", url(ready, "/agenda"))
    assert county.status_code == 422 and "one district at a time" in plain(county)
    for query in ("&from=31/02/2025", "&until=soon", "&from=2025-10-01&until=2025-09-01"):
        bad = ready.call("officer", "GET", url(ready, f"/agenda?district={NORTH}{query}"))
        assert bad.status_code == 422, (query, bad.text)
        assert "dd/mm/yyyy" in plain(bad) or "on or after" in plain(bad)


def test_a_meetings_printable_agenda_lists_case_references(ready: Service) -> None:
    body = _agenda(ready, NORTH)
    meeting = next(m for m in body["meetings"] if "R-N1" in m["request_ids"])
    page = f"/agenda/{meeting['date']}/{meeting['group']}.html?district={NORTH}"
    response = ready.call("coordinator", "GET", url(ready, page))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "R-N1" in response.text and "North Primary" not in response.text
    day = date.fromisoformat(meeting["date"]).strftime("%d/%m/%Y")
    assert day in response.text
    assert "unsafe-inline" in response.headers["content-security-policy"]
    missing = ready.call(
        "officer", "GET", url(ready, f"/agenda/2025-08-01/N1.html?district={NORTH}")
    )
    assert missing.status_code == 404 and "01/08/2025" in plain(missing)
    south = ready.call(
        "coordinator", "GET", url(ready, f"/agenda/2025-09-24/S1.html?district={SOUTH}")
    )
    assert south.status_code == 404
    bad = ready.call("officer", "GET", url(ready, f"/agenda/someday/N1.html?district={NORTH}"))
    assert bad.status_code == 422


# Outcomes -----------------------------------------------------------------------------------------


@pytest.mark.both_backends
def test_an_outcome_recorded_shows_in_the_inbox(fresh: Service) -> None:
    body = {"outcome": "training", "decided_on": "2025-09-24", "note": "whole-class strategies"}
    response = fresh.call("coordinator", "POST", url(fresh, "/R-N1/outcome"), json=body)
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "training"
    shown = inbox(fresh, "coordinator")["R-N1"]
    assert shown["status"] == "decided" and shown["outcome"] == "training"
    assert shown["decided_on"] == "2025-09-24" and "24/09/2025" in shown["status_text"]
    assert "training" in shown["status_text"]
    again = {"outcome": "specialist", "decided_on": "2025-09-25"}
    assert fresh.call("officer", "POST", url(fresh, "/R-N1/outcome"), json=again).status_code == 200
    assert inbox(fresh)["R-N1"]["outcome"] == "specialist"
    log = fresh.call("officer", "GET", "/api/audit?entity=request").json()
    entries = log["items"] if isinstance(log, dict) else log
    assert any(e["action"] == "request.outcome" for e in entries)


def test_an_outcome_is_refused_when_it_cannot_hold(fresh: Service) -> None:
    early = {"outcome": "advice", "decided_on": "2025-09-01"}
    response = fresh.call("officer", "POST", url(fresh, "/R-N1/outcome"), json=early)
    assert response.status_code == 422 and "08/09/2025" in plain(response)
    agreed = {"outcome": "advice", "decided_on": "2025-09-20"}
    response = fresh.call("officer", "POST", url(fresh, "/R-N3/outcome"), json=agreed)
    assert response.status_code == 409 and "T-0001" in plain(response)
    specialist = {"outcome": "specialist", "decided_on": "2025-09-20"}
    response = fresh.call("officer", "POST", url(fresh, "/R-N3/outcome"), json=specialist)
    assert response.status_code == 200 and response.json()["case_id"] == "T-0001"


def test_outcomes_are_scoped_and_viewers_read_only(fresh: Service) -> None:
    body = {"outcome": "advice", "decided_on": "2025-09-24"}
    south = fresh.call("coordinator", "POST", url(fresh, "/R-S1/outcome"), json=body)
    assert south.status_code == 404
    assert fresh.call("viewer", "POST", url(fresh, "/R-N1/outcome"), json=body).status_code == 403
    unknown = fresh.call("officer", "POST", url(fresh, "/R-X9/outcome"), json=body)
    assert unknown.status_code == 404
    assert (
        fresh.call("anonymous", "POST", url(fresh, "/R-N1/outcome"), json=body).status_code == 401
    )
    assert inbox(fresh)["R-S1"]["status"] == "waiting"


@pytest.mark.parametrize(
    "body",
    [
        {"outcome": "cured", "decided_on": "2025-09-24"},
        {"outcome": "advice", "decided_on": "24/13/2025"},
        {"outcome": "advice"},
        {"outcome": "advice", "decided_on": "2025-09-24", "note": "x" * 2001},
        {"outcome": "advice", "decided_on": "2025-09-24", "child": "a name"},
        {"outcome": ["advice"], "decided_on": 20250924},
        [],
    ],
)
def test_hostile_outcomes_get_plain_words(fresh: Service, body: Any) -> None:
    response = fresh.call("officer", "POST", url(fresh, "/R-N1/outcome"), json=body)
    assert response.status_code == 422, response.text
    assert plain(response)


def test_hostile_paths_and_bodies_are_refused_plainly(fresh: Service) -> None:
    body = {"outcome": "advice", "decided_on": "2025-09-24"}
    for request_id in ("R N1", "R-N1;drop", "x" * 65):
        response = fresh.call("officer", "POST", url(fresh, f"/{request_id}/outcome"), json=body)
        assert response.status_code in (404, 422), (request_id, response.text)
    broken = fresh.client.post(
        url(fresh, "/R-N1/outcome"),
        content=b"{not json",
        headers={**fresh.headers("officer"), "Content-Type": "application/json"},
    )
    assert broken.status_code == 400


# The whole wait -----------------------------------------------------------------------------------


def test_the_whole_wait_is_the_sum_of_its_parts(ready: Service) -> None:
    accept(ready, ready.run("caseload/plan", {"time_limit": 10}))
    response = ready.call("officer", "GET", url(ready, "/waits"))
    assert response.status_code == 200, response.text
    body = response.json()
    cases = {c["case_id"]: c for c in body["cases"]}
    assert set(cases) == {"T-0001", "T-0002"}
    north = cases["T-0001"]
    assert north["request_id"] == "R-N3" and north["meeting_from"] == "decided_on"
    assert north["meeting_date"] == "2025-09-10"
    for case in body["cases"]:
        if case["whole_wait"] is not None:
            parts = case["days_to_meeting"] + case["days_to_agreement"] + case["days_to_start"]
            assert case["whole_wait"] == parts
    assert [s["group"] for s in body["by_district"]] == [NORTH, SOUTH, "all"]
    assert [s["group"] for s in body["by_urgency"]][-1] == "all"
    assert body["by_need_type"][-1]["cases"] == 2
    mine = ready.call("coordinator", "GET", url(ready, "/waits")).json()
    assert [c["case_id"] for c in mine["cases"]] == ["T-0001"]
    assert [s["group"] for s in mine["by_district"]] == [NORTH, "all"]
    other = ready.call("coordinator", "GET", url(ready, f"/waits?district={SOUTH}"))
    assert other.status_code == 404


def test_an_outcome_recorded_moves_the_meeting_of_the_wait(fresh: Service) -> None:
    body = {"outcome": "specialist", "decided_on": "2025-09-15"}
    assert fresh.call("officer", "POST", url(fresh, "/R-N3/outcome"), json=body).status_code == 200
    cases = {
        c["case_id"]: c for c in fresh.call("officer", "GET", url(fresh, "/waits")).json()["cases"]
    }
    assert cases["T-0001"]["meeting_date"] == "2025-09-15"


@pytest.mark.both_backends
def test_an_agreement_names_its_request(fresh: Service) -> None:
    body = {
        "case_id": "T-0400",
        "school_urn": 100001,
        "need_type": "C&I",
        "sen_stage": "SEN Support",
        "consent": "yes",
        "agreed_on": "2025-09-24",
        "minutes_per_week": 60,
        "weeks": 8,
        "request_id": "R-N1",
    }
    agreements = f"/api/scenarios/{fresh.scenario_id}/agreements"
    bad = fresh.call("coordinator", "POST", agreements, json={**body, "request_id": "R N1"})
    assert bad.status_code == 422 and "Request id" in plain(bad)
    made = fresh.call("coordinator", "POST", agreements, json=body)
    assert made.status_code == 201, made.text
    assert made.json()["request_id"] == "R-N1"
    shown = inbox(fresh, "coordinator")["R-N1"]
    assert shown["status"] == "agreed" and shown["case_id"] == "T-0400"
    advice = {"outcome": "advice", "decided_on": "2025-09-24"}
    refused = fresh.call("coordinator", "POST", url(fresh, "/R-N1/outcome"), json=advice)
    assert refused.status_code == 409 and "T-0400" in plain(refused)


def test_an_agreement_naming_an_unknown_or_later_request_is_refused(fresh: Service) -> None:
    """Stored, such a link would make the scenario unreadable: it is refused at once, in words."""
    body = {
        "case_id": "T-0401",
        "school_urn": 100001,
        "need_type": "C&I",
        "sen_stage": "SEN Support",
        "consent": "yes",
        "agreed_on": "2025-09-24",
        "minutes_per_week": 60,
        "weeks": 8,
    }
    agreements = f"/api/scenarios/{fresh.scenario_id}/agreements"
    unknown = fresh.call("coordinator", "POST", agreements, json={**body, "request_id": "R-NONE"})
    assert unknown.status_code == 422, unknown.text
    early = {**body, "request_id": "R-N1", "agreed_on": "2025-09-01"}
    too_early = fresh.call("coordinator", "POST", agreements, json=early)
    assert too_early.status_code == 422, too_early.text
    listed = fresh.call("officer", "GET", agreements).json()
    assert "T-0401" not in {a["case_id"] for a in listed}
    assert fresh.call("officer", "GET", f"/api/scenarios/{fresh.scenario_id}").status_code == 200
