"""Plain words on the page's API: the urgent finder from a date (clipped to the scenario's year, saying
why nothing has room), each rule in a sentence, progress in counts, validation messages in English."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from allocator.constraints import REGISTRY
from allocator.constraints.plain import PLAIN, explanation
from allocator.rota.plan import plan_rota
from allocator.solve import SolveParams
from api.db.models import JobRow, utcnow
from api.services.rota import urgent_openings
from api.worker import CaseloadTask, Progress, RotaTask
from tests.builders.folders import make_tiny_scenario
from tests.builders.service import NORTH, NORTH_SCHOOL, SOUTH_SCHOOL, Service

FORMULA = re.compile(r"[Σ⌊⌋≤≥·−]|x\[|\w+\[\w")
"""What a formula looks like (sums, floors, inequalities, indexed variables)."""


def openings(svc: Service, role: str = "coordinator", **params: Any) -> Any:
    path = f"/api/scenarios/{svc.scenario_id}/rota/openings"
    return svc.call(role, "GET", path, params={"school_urn": NORTH_SCHOOL, **params})


def test_openings_from_a_day_in_the_year_list_meetings_with_room(planned: Service) -> None:
    answer = openings(planned, on="2025-12-01")
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["school"] == "North Primary" and found["district"] == NORTH
    assert found["on"] == "2025-12-01" and found["note"] is None and found["reason"] is None
    assert found["meetings"] and all(
        o["meeting"]["date"] >= "2025-12-01" for o in found["meetings"]
    )
    assert all(o["spare_cases"] > 0 for o in found["meetings"])
    assert (found["year_first"], found["year_last"]) == ("2025-09-01", "2026-07-21")
    listed = planned.call(
        "coordinator",
        "GET",
        f"/api/scenarios/{planned.scenario_id}/rota/next-meeting",
        params={"school_urn": NORTH_SCHOOL, "on": "2025-12-01"},
    ).json()
    assert [o["meeting"] for o in listed] == [o["meeting"] for o in found["meetings"]]


def test_a_day_after_the_year_is_clipped_with_a_note_and_a_reason(planned: Service) -> None:
    found = openings(planned, on="2026-09-01").json()
    assert found["on"] == "2026-07-21"
    assert found["note"] == (
        "the scenario's year ends 21/07/2026: showing meetings from 21/07/2026"
    )
    assert found["meetings"] == []
    assert found["reason"] == (
        "No Northdown meeting is planned from 21/07/2026 to the end of the scenario's year "
        "(21/07/2026)."
    )
    before = openings(planned, on="2024-01-15").json()
    assert before["on"] == "2025-09-01" and before["meetings"]
    assert before["note"] == (
        "the scenario's year starts 01/09/2025: showing meetings from 01/09/2025"
    )


def test_without_a_day_the_finder_starts_today_in_the_scenarios_year(planned: Service) -> None:
    found = openings(planned, role="viewer").json()
    today = date.today()
    first, last = date(2025, 9, 1), date(2026, 7, 21)
    assert found["on"] == min(max(today, first), last).isoformat()
    assert (found["note"] is None) == (first <= today <= last)


def test_openings_are_refused_to_other_districts_and_bad_input_in_plain_words(
    planned: Service,
) -> None:
    assert openings(planned, role="south_coordinator").status_code == 404
    path = f"/api/scenarios/{planned.scenario_id}/rota/openings"
    assert (
        planned.call("south_coordinator", "GET", path, params={"school_urn": SOUTH_SCHOOL})
    ).status_code == 200
    bad = openings(planned, on="21/11/2025")
    assert bad.status_code == 422
    (error,) = bad.json()["detail"]
    assert error["loc"] == ["query", "on"] and error["type"].startswith("date")
    assert error["message"] == "Date: a date written dd/mm/yyyy"
    nowhere = planned.call("coordinator", "GET", path, params={"school_urn": -3})
    assert nowhere.status_code == 422
    assert (
        nowhere.json()["detail"][0]["message"] == "School: more than 0 (a school of the scenario)"
    )
    assert planned.call("coordinator", "GET", path, params={"school_urn": 999}).status_code == 404


def test_when_every_meeting_is_full_the_reason_says_so() -> None:
    tiny = make_tiny_scenario()
    rota = plan_rota(tiny, SolveParams(time_limit=5.0, workers=2)).rota
    assert rota is not None
    data = tiny.model_dump()
    data["meeting_slots"] = [{**s, "case_capacity": 0} for s in data["meeting_slots"]]
    full = type(tiny).model_validate(data)
    school = full.school_by_urn[NORTH_SCHOOL]
    on, note, reason, found = urgent_openings(full, rota, school, date(2025, 12, 1), 3)
    assert (on, note, found) == (date(2025, 12, 1), None, [])
    kind = tiny.group_by_name["N1"].kind
    coming = [
        m
        for m in rota.in_district(NORTH)
        if m.date >= on and tiny.group_by_name[m.group].kind == kind
    ]
    assert reason is not None and reason.startswith(f"All {len(coming)} Northdown meetings")
    assert "are full" in reason
    assert urgent_openings(tiny, rota, school, date(2025, 12, 1), 3)[2] is None


def test_every_rule_has_a_plain_sentence_without_a_formula() -> None:
    for problem, rules in REGISTRY.items():
        assert set(PLAIN[problem]) == set(rules), problem
        for name in rules:
            sentence = explanation(problem, name)
            assert sentence.endswith(".") and not FORMULA.search(sentence), (name, sentence)
            assert "_" not in sentence, (name, sentence)


def test_the_rota_score_explains_each_rule_in_a_sentence(planned: Service) -> None:
    path = f"/api/scenarios/{planned.scenario_id}/rota/analysis"
    (analysis,) = planned.call("officer", "GET", path, params={"limit": 1}).json()
    assert analysis["constraints"]
    for rule in analysis["constraints"]:
        sentence = analysis["explanations"][rule["name"]]
        assert sentence and not FORMULA.search(sentence)
    assert any("Σ" in rule["description"] for rule in analysis["constraints"])
    result = planned.call("officer", "GET", f"/api/jobs/{planned.notes['rota_job']}/result").json()
    assert result["rota"]["explanations"] == analysis["explanations"]


def test_validation_messages_name_the_field_and_the_expected_form(service: Service) -> None:
    path = f"/api/scenarios/{service.scenario_id}/agreements"
    case = {
        "case_id": "T-0300",
        "school_urn": NORTH_SCHOOL,
        "need_type": "B&L",
        "sen_stage": "EHCP",
        "consent": "maybe",
        "agreed_on": "21/11/2025",
        "minutes_per_week": 0,
        "weeks": 8,
        "colour": "red",
    }
    answer = service.call("officer", "POST", path, json=case)
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert all({"loc", "msg", "type", "message"} <= set(e) for e in detail)
    messages = {tuple(e["loc"]): e["message"] for e in detail}
    assert messages[("body", "consent")] == ("Consent: write yes, no, or exception: and the reason")
    assert messages[("body", "agreed_on")] == "Agreed on: a date written dd/mm/yyyy"
    assert messages[("body", "minutes_per_week")] == "Minutes a week: more than 0"
    assert messages[("body", "colour")] == "Colour: not something this form takes (leave it out)"
    missing = service.call("officer", "POST", path, json={"case_id": "T-1"}).json()["detail"]
    assert {"Consent is needed: write yes, no, or exception: and the reason"} <= {
        e["message"] for e in missing
    }
    assert not any("Value error" in e["message"] or "body" in e["message"] for e in missing)


def test_service_field_errors_get_a_plain_message_too(service: Service) -> None:
    path = f"/api/scenarios/{service.scenario_id}/rota/solve"
    answer = service.call("officer", "POST", path, json={"time_limit": 600})
    if answer.status_code == 202:
        pytest.skip("this service allows 600 s")
    (error,) = answer.json()["detail"]
    assert error["message"].startswith("Time limit (seconds): at most")


def test_progress_counts_cases_and_meetings_placed() -> None:
    tiny = make_tiny_scenario()
    seen: list[Progress] = []
    CaseloadTask(tiny, SolveParams(time_limit=3.0, workers=2)).run(seen.append)
    assert seen and all(p.to_place == 2 and p.placed is not None for p in seen)
    assert re.fullmatch(
        r"placed \d of 2 cases; starting as many cases as possible \(step 1 of 4\) for \w+",
        seen[0].stage,
    )
    assert seen[-1].stage.startswith("placed 2 of 2 cases; ")
    assert not any("objective" in p.stage or "_" in p.stage for p in seen)
    seen.clear()
    RotaTask(tiny, SolveParams(time_limit=3.0, workers=2)).run(seen.append)
    assert all(p.to_place == 18 for p in seen)
    assert seen[-1].stage == "18 of 18 meetings placed; Southfield (1 group) planned, part 2 of 2"
    assert any(p.stage.startswith("12 of 18 meetings placed; ") for p in seen)


def test_a_running_job_says_about_how_long_is_left(planned: Service) -> None:
    job_id = planned.notes["plan_job"]
    sessions = planned.client.app.state.sessions  # type: ignore[attr-defined]
    with sessions.begin() as session:
        job = session.get(JobRow, job_id)
        saved = (job.status, job.progress, job.started_at, job.stage)
        job.status, job.progress = "running", 0.25
        job.started_at = utcnow() - timedelta(seconds=10)
        job.stage = "placed 1 of 2 cases; shortening waits (step 2 of 4) for Northdown"
    try:
        shown = planned.call("officer", "GET", f"/api/jobs/{job_id}").json()
        assert 25 <= shown["seconds_left"] <= 35
        assert shown["stage"].startswith("placed 1 of 2 cases")
    finally:
        with sessions.begin() as session:
            job = session.get(JobRow, job_id)
            job.status, job.progress, job.started_at, job.stage = saved
    assert planned.call("officer", "GET", f"/api/jobs/{job_id}").json()["seconds_left"] is None
