"""The whole wait: by hand on the tiny county, its parts as a property, outcomes' validation, and
`lift assign`'s waits.csv."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from typer.testing import CliRunner

from allocator.cli.main import app
from allocator.io import write_scenario
from allocator.model import PlannedSupport, Request, Scenario, find_problems
from allocator.model.agenda_result import Agenda, AgendaItem
from allocator.pipeline.waits import WAIT_COLUMNS, SchoolDays, summaries, whole_waits

runner = CliRunner()


def _request(request_id: str, urn: int, received: date, **extra: object) -> Request:
    return Request.model_validate(
        {
            "request_id": request_id,
            "school_urn": urn,
            "received_on": received,
            "need_type": "C&I",
            "sen_stage": "SEN Support",
            "consent": "yes",
            **extra,
        }
    )


def _with_requests(tiny: Scenario, *, plan: bool = True) -> Scenario:
    """The tiny county with R1 (decided 10 Sep, agreement T-0001) and R2 (no outcome, T-0002)."""
    requests = (
        _request(
            "R1", 100001, date(2025, 9, 3), outcome="specialist", decided_on=date(2025, 9, 10)
        ),
        _request("R2", 100003, date(2025, 9, 2), need_type="HI", urgent="yes"),
    )
    links = {"T-0001": "R1", "T-0002": "R2"}
    agreements = tuple(
        a.model_copy(update={"request_id": links.get(a.case_id)}) for a in tiny.agreements
    )
    current = (
        PlannedSupport(
            case_id="T-0001", person_id="ST1", start=date(2025, 9, 22), end=date(2025, 12, 5)
        ),
        PlannedSupport(
            case_id="T-0002", person_id="HI1", start=date(2025, 9, 29), end=date(2025, 12, 19)
        ),
    )
    return Scenario.model_validate(
        tiny.model_dump()
        | {
            "requests": requests,
            "agreements": agreements,
            "current_plan": current if plan else (),
        }
    )


def test_waits_by_hand_on_the_tiny_county(tiny_scenario: Scenario) -> None:
    waits = {w.case_id: w for w in whole_waits(_with_requests(tiny_scenario))}
    assert set(waits) == {"T-0001", "T-0002"}  # T-0003 has no request
    one = waits["T-0001"]
    # Northdown, 1 Sep an INSET day: Thu 4 .. Wed 10 (5), Thu 11 .. Wed 17 (5), Thu 18, Fri 19, Mon 22.
    assert (one.meeting_date, one.meeting_from) == (date(2025, 9, 10), "decided_on")
    assert (one.days_to_meeting, one.days_to_agreement, one.days_to_start) == (5, 5, 3)
    assert one.whole_wait == 13
    assert (one.calendar_to_meeting, one.calendar_to_agreement, one.calendar_to_start) == (7, 7, 5)
    assert one.calendar_whole_wait == 19
    two = waits["T-0002"]
    # No decision recorded: the meeting is the agreement's day (17 Sep): 3 Sep .. 17 Sep is 11 days.
    assert (two.meeting_date, two.meeting_from) == (date(2025, 9, 17), "agreed_on")
    assert (two.days_to_meeting, two.days_to_agreement, two.days_to_start) == (11, 0, 8)
    assert two.whole_wait == 19 and two.urgent and two.district == "Southfield"


def test_an_agenda_meeting_counts_and_a_late_one_is_clamped(tiny_scenario: Scenario) -> None:
    s = _with_requests(tiny_scenario)
    item = AgendaItem(
        request_id="R1",
        school_urn=100001,
        district="Northdown",
        route="meeting",
        meeting_date=date(2025, 9, 24),
        group="N1",
        slot="N-A",
        received_on=date(2025, 9, 3),
        school_days_to_meeting=15,
    )
    county = AgendaItem(
        request_id="R2",
        school_urn=100003,
        district="Southfield",
        route="county",
        received_on=date(2025, 9, 2),
        school_days_to_meeting=10,
    )
    waits = {w.case_id: w for w in whole_waits(s, agenda=Agenda(items=(item, county)))}
    one = waits["T-0001"]
    # The agenda's meeting (24 Sep) is after the agreement (17 Sep) and the start (22 Sep).
    assert (one.meeting_date, one.meeting_from) == (date(2025, 9, 24), "agenda")
    assert (one.days_to_meeting, one.days_to_agreement, one.days_to_start) == (15, 0, 0)
    assert one.whole_wait == 15
    two = waits["T-0002"]
    # County route: ten school days after 2 Sep is 16 Sep.
    assert (two.meeting_date, two.meeting_from) == (date(2025, 9, 16), "county")
    assert (two.days_to_meeting, two.days_to_agreement, two.days_to_start) == (10, 1, 8)


def test_not_started_leaves_the_start_blank(tiny_scenario: Scenario) -> None:
    waits = whole_waits(_with_requests(tiny_scenario, plan=False))
    assert all(w.start is None and w.whole_wait is None and w.days_to_start is None for w in waits)
    table = summaries(waits, "district")
    assert [s.group for s in table] == ["Northdown", "Southfield", "all"]
    assert table[-1].cases == 2 and table[-1].started == 0 and table[-1].median_whole is None


def test_summaries_by_district_need_and_urgency(tiny_scenario: Scenario) -> None:
    waits = whole_waits(_with_requests(tiny_scenario))
    urgency = {s.group: s for s in summaries(waits, "urgency")}
    assert urgency["urgent"].median_whole == 19 and urgency["routine"].median_whole == 13
    total = urgency["all"]
    assert total.mean_whole == 16 and total.p90_whole == pytest.approx(18.4)
    assert [s.group for s in summaries(waits, "need type")] == ["C&I", "HI", "all"]


@settings(max_examples=200, deadline=None)
@given(
    received=st.integers(0, 300),
    meeting=st.integers(-20, 120),
    agreed=st.integers(-20, 120),
    start=st.none() | st.integers(-20, 200),
)
def test_whole_wait_is_the_sum_of_non_negative_parts(
    tiny_scenario: Scenario, received: int, meeting: int, agreed: int, start: int | None
) -> None:
    first = date(2025, 8, 1) + timedelta(days=received)
    agreed_on = first + timedelta(days=max(agreed, 0))
    request = _request(
        "R1",
        100001,
        first,
        outcome="specialist",
        decided_on=first + timedelta(days=max(meeting, 0)),
    )
    if request.decided_on is not None and request.decided_on > agreed_on:
        agreed_on = request.decided_on
    agreement = tiny_scenario.agreements[0].model_copy(
        update={"request_id": "R1", "agreed_on": agreed_on}
    )
    plan = ()
    if start is not None:
        day = agreed_on + timedelta(days=start)
        plan = (PlannedSupport(case_id="T-0001", person_id="ST1", start=day, end=day),)
    s = Scenario.model_construct(
        **(
            {n: getattr(tiny_scenario, n) for n in Scenario.model_fields}
            | {"requests": (request,), "agreements": (agreement,), "current_plan": plan}
        )
    )
    (wait,) = whole_waits(s)
    parts = (wait.days_to_meeting, wait.days_to_agreement, wait.days_to_start)
    assert all(p is None or p >= 0 for p in parts)
    assert wait.calendar_to_meeting >= 0 and wait.calendar_to_agreement >= 0
    if wait.start is None:
        assert wait.whole_wait is None
        return
    assert wait.whole_wait == sum(p for p in parts if p is not None)
    end = max(wait.start, wait.agreed_on, wait.meeting_date)
    assert wait.whole_wait == SchoolDays(s).between("Northdown", first, end)
    assert wait.calendar_whole_wait == (end - first).days


# Meeting outcomes: the request's own rules, and the cross-check with agreements.


@pytest.mark.parametrize(
    "outcome",
    [
        "advice",
        "school_to_school",
        "training",
        "specialist",
        "referral_ep",
        "referral_early_support",
    ],
)
def test_every_outcome_is_accepted(outcome: str) -> None:
    r = _request("R1", 1, date(2025, 9, 3), outcome=outcome, decided_on=date(2025, 9, 3))
    assert r.outcome == outcome and r.decided_on == date(2025, 9, 3)


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"outcome": "meeting"}, "outcome"),
        ({"outcome": "advice", "decided_on": date(2025, 9, 2)}, "on or after received_on"),
        ({"decided_on": date(2025, 9, 10)}, "needs its outcome"),
    ],
)
def test_a_wrong_outcome_or_decision_date_is_refused(extra: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        _request("R1", 1, date(2025, 9, 3), **extra)


def test_an_outcome_without_a_date_is_accepted() -> None:
    assert _request("R1", 1, date(2025, 9, 3), outcome="training").decided_on is None


def _linked(tiny: Scenario, **extra: object) -> Scenario:
    """The tiny county, T-0001 naming request R1 (not validated: the rules run on it)."""
    request = _request("R1", 100001, date(2025, 9, 3), **extra)
    agreements = tuple(
        a.model_copy(update={"request_id": "R1"}) if a.case_id == "T-0001" else a
        for a in tiny.agreements
    )
    fields = {n: getattr(tiny, n) for n in Scenario.model_fields}
    return Scenario.model_construct(**(fields | {"requests": (request,), "agreements": agreements}))


def test_an_agreement_names_a_specialist_request_decided_by_then(tiny_scenario: Scenario) -> None:
    ok = _linked(tiny_scenario, outcome="specialist", decided_on=date(2025, 9, 17))
    assert find_problems(ok) == []
    assert find_problems(_linked(tiny_scenario)) == []  # no outcome recorded yet


@pytest.mark.parametrize(
    ("extra", "column", "words"),
    [
        ({"outcome": "advice"}, "request_id", "outcome is specialist"),
        ({"outcome": "specialist", "decided_on": date(2025, 9, 18)}, "agreed_on", "was decided"),
    ],
)
def test_an_agreement_refuses_a_request_otherwise_decided(
    tiny_scenario: Scenario, extra: dict[str, object], column: str, words: str
) -> None:
    (problem,) = find_problems(_linked(tiny_scenario, **extra))
    assert (problem.file, problem.row, problem.column) == ("agreements.csv", 2, column)
    assert words in problem.expected
    with pytest.raises(ValidationError, match=words):
        Scenario.model_validate(_linked(tiny_scenario, **extra).model_dump())


def test_outcome_columns_round_trip_through_a_folder(
    tmp_path: Path, tiny_scenario: Scenario
) -> None:
    from allocator.io import read_scenario

    s = _with_requests(tiny_scenario)
    write_scenario(s, tmp_path / "s")
    header = (tmp_path / "s" / "requests.csv").read_text().splitlines()[0]
    assert header.endswith("outcome,decided_on")
    assert read_scenario(tmp_path / "s").requests == s.requests


def test_lift_assign_writes_waits_csv(tmp_path: Path, tiny_scenario: Scenario) -> None:
    folder = tmp_path / "s"
    write_scenario(_with_requests(tiny_scenario, plan=False), folder)
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["assign", "-s", str(folder), "--out", str(out), "--time-limit", "5", "--workers", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "The whole wait by district" in result.output
    with (out / "waits.csv").open(newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == WAIT_COLUMNS
        rows = {r["case_id"]: r for r in reader}
    assert set(rows) == {"T-0001", "T-0002"}
    one = rows["T-0001"]
    assert (one["request_id"], one["meeting_date"], one["days_to_meeting"]) == (
        "R1",
        "2025-09-10",
        "5",
    )
    with (out / "assignments.csv").open(newline="") as handle:
        starts = {r["case_id"]: r["start"] for r in csv.DictReader(handle)}
    for case_id, row in rows.items():
        assert row["start"] == starts.get(case_id, "")
        if row["start"]:
            parts = [int(row[c]) for c in ("days_to_meeting", "days_to_agreement", "days_to_start")]
            assert int(row["whole_wait"]) == sum(parts)


def test_lift_assign_without_requests_writes_no_waits(tmp_path: Path, folder: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["assign", "-s", str(folder), "--out", str(out), "--time-limit", "5", "--workers", "2"]
    )
    assert result.exit_code == 0, result.output
    assert not (out / "waits.csv").exists()
    assert "whole wait" not in result.output
