"""A case's dates stay within a year of the scenario's academic year, as the scenario's own rule has
it: one far-off date, once stored, would make the whole county's scenario unreadable."""

from __future__ import annotations

import pytest

from tests.builders.service import NORTH_SCHOOL, Service

pytestmark = pytest.mark.both_backends

NEW = {
    "case_id": "T-0777",
    "school_urn": NORTH_SCHOOL,
    "need_type": "C&I",
    "sen_stage": "SEN Support",
    "consent": "yes",
    "agreed_on": "2031-01-01",
    "minutes_per_week": 30,
    "weeks": 4,
}


def _words(response: object) -> str:
    return str(response.json())  # type: ignore[attr-defined]


def test_a_far_off_agreed_date_is_refused_everywhere(service: Service) -> None:
    cases = f"/api/scenarios/{service.scenario_id}/agreements"
    added = service.call("coordinator", "POST", cases, json=NEW)
    assert added.status_code == 422 and "within a year of the academic year" in _words(added)
    changed = service.call(
        "coordinator", "PATCH", f"{cases}/T-0001", json={"agreed_on": "2031-01-01"}
    )
    assert changed.status_code == 422 and "01/09/2024 to 31/08/2027" in _words(changed)
    closed = service.call(
        "coordinator", "POST", f"{cases}/T-0001/close", json={"closed_on": "2030-01-01"}
    )
    assert closed.status_code == 422 and "closed_on" in _words(closed)
    header = "case_id,school_urn,need_type,sen_stage,consent,agreed_on,minutes_per_week,weeks\n"
    data = (header + f"T-0778,{NORTH_SCHOOL},C&I,EHCP,yes,01/01/2031,30,6\n").encode()
    files = {"file": ("new.csv", data, "text/csv")}
    preview = service.call("coordinator", "POST", f"{cases}/preview", files=files)
    assert preview.status_code == 200, preview.text
    (row,) = preview.json()["rows"]
    assert [p["column"] for p in row["problems"]] == ["agreed_on"]
    imported = service.call("coordinator", "POST", f"{cases}/import", files=files)
    assert imported.status_code == 422
    rebalance = service.call(
        "coordinator",
        "POST",
        f"/api/scenarios/{service.scenario_id}/caseload/rebalance",
        json={"agreements": [NEW], "time_limit": 5},
    )
    assert rebalance.status_code == 422
    # Nothing was stored: the county is still readable everywhere.
    for path in ("caseload", "requests", "reviews/due", "agreements"):
        answer = service.call("officer", "GET", f"/api/scenarios/{service.scenario_id}/{path}")
        assert answer.status_code == 200, (path, answer.text)


def test_stored_cases_that_do_not_fit_are_named_not_a_500(service: Service) -> None:
    """Should a stored case break the scenario's rules anyway (changed outside the service), the
    routes that rebuild the county say which case, with a 409, and never answer 500."""
    from datetime import date

    from sqlalchemy import update

    from api.db.models import AgreementRow

    with service.client.app.state.sessions.begin() as session:  # type: ignore[attr-defined]
        session.execute(
            update(AgreementRow)
            .where(AgreementRow.case_id == "T-0001")
            .values(agreed_on=date(2031, 1, 1))
        )
    for path in ("requests/waits", "reviews/due"):
        answer = service.call("officer", "GET", f"/api/scenarios/{service.scenario_id}/{path}")
        assert answer.status_code == 409, (path, answer.text)
        assert (
            "agreed_on" in answer.json()["detail"]
            and "Correct that case" in answer.json()["detail"]
        )
