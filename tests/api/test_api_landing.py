"""Which scenario each user's page opens on: the one they chose last, else the live one, else the
oldest they see; never a scenario someone else uploaded since."""

from __future__ import annotations

import pytest

from api.db.models import ScenarioRow, User
from api.services.landing import sees
from tests.builders.service import NORTH, SOUTH, Service


def _landing(svc: Service, role: str) -> int | None:
    response = svc.call(role, "GET", "/api/me")
    assert response.status_code == 200, response.text
    found = response.json()["scenario_id"]
    assert found is None or isinstance(found, int)
    return found


def test_an_upload_by_someone_else_does_not_move_anyone(service: Service, tiny_zip: bytes) -> None:
    first = service.scenario_id
    second = service.upload(tiny_zip).json()["id"]
    assert second > first
    for role in ("officer", "coordinator", "viewer"):
        assert _landing(service, role) == first


@pytest.mark.both_backends
def test_a_user_lands_where_they_chose_last(service: Service, tiny_zip: bytes) -> None:
    second = service.upload(tiny_zip).json()["id"]
    chosen = service.call("coordinator", "PUT", "/api/me/scenario", json={"scenario_id": second})
    assert chosen.status_code == 200 and chosen.json()["scenario_id"] == second
    assert _landing(service, "coordinator") == second
    assert _landing(service, "south_coordinator") == service.scenario_id


@pytest.mark.both_backends
def test_the_live_scenario_is_where_users_land_until_they_choose(
    service: Service, tiny_zip: bytes
) -> None:
    first = service.scenario_id
    second = service.upload(tiny_zip).json()["id"]
    assert service.call("coordinator", "PUT", "/api/me/scenario", json={"scenario_id": first})
    made = service.call("officer", "POST", f"/api/scenarios/{second}/live")
    assert made.status_code == 200 and made.json()["live"] is True
    assert _landing(service, "south_coordinator") == second
    assert _landing(service, "coordinator") == first
    listed = {s["id"]: s["live"] for s in service.call("viewer", "GET", "/api/scenarios").json()}
    assert listed == {first: False, second: True}
    again = service.call("officer", "POST", f"/api/scenarios/{first}/live")
    assert again.json()["live"] is True
    listed = {s["id"]: s["live"] for s in service.call("viewer", "GET", "/api/scenarios").json()}
    assert listed == {first: True, second: False}


def test_only_an_officer_makes_a_scenario_live(service: Service) -> None:
    for role in ("coordinator", "viewer"):
        refused = service.call(role, "POST", f"/api/scenarios/{service.scenario_id}/live")
        assert refused.status_code == 403


def test_choosing_a_missing_or_hostile_scenario_is_refused(service: Service) -> None:
    missing = service.call("coordinator", "PUT", "/api/me/scenario", json={"scenario_id": 999})
    assert missing.status_code == 404
    for body in ({"scenario_id": "1; DROP TABLE users"}, {"scenario_id": -1}, {}, {"x": 1}):
        refused = service.call("coordinator", "PUT", "/api/me/scenario", json=body)
        assert refused.status_code == 422, body
    assert _landing(service, "coordinator") == service.scenario_id


def test_a_district_user_sees_only_scenarios_holding_their_district() -> None:
    row = ScenarioRow(name="Other", academic_year="2025-26", districts=[SOUTH])
    assert sees(User(name="o", role="county_officer", district=None), row)
    assert sees(User(name="s", role="district_coordinator", district=SOUTH), row)
    assert not sees(User(name="n", role="district_coordinator", district=NORTH), row)
