"""The agenda planner on small hand-made counties: each route, capacity, early years, urgent against
routine, the window; the solver's value is the checker's; never worse than first come first served."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocator.agenda.check import check_agenda
from allocator.agenda.plan import plan_agenda
from allocator.model import AgendaSettings, Request, Scenario
from allocator.model.agenda_result import Agenda, AgendaItem
from allocator.solve import SolveParams
from tests.builders.agenda import SEP_1, agenda_county, agenda_rota, request

FAST = SolveParams(time_limit=5.0, workers=2, seed=1)


def _plan(s: Scenario, **window: date):
    return plan_agenda(s, agenda_rota(s), params=FAST, **window)


def _where(agenda: Agenda) -> dict[str, tuple[str | None, str | None]]:
    return {
        i.request_id: (i.group, i.meeting_date.isoformat() if i.meeting_date else None)
        for i in agenda.items
    }


def _item(agenda: Agenda, request_id: str) -> AgendaItem:
    return next(i for i in agenda.items if i.request_id == request_id)


def test_routine_request_goes_to_its_own_groups_next_meeting() -> None:
    outcome = _plan(agenda_county([request("R1"), request("R2", 2)]))
    assert _where(outcome.agenda) == {"R1": ("G1", "2025-09-03"), "R2": ("G2", "2025-09-10")}
    assert _item(outcome.agenda, "R1").school_days_to_meeting == 2
    assert _item(outcome.agenda, "R2").school_days_to_meeting == 7
    assert outcome.check.ok and outcome.proven_optimal


def test_urgent_request_goes_to_the_districts_earliest_meeting_never_the_executive() -> None:
    # Received on Friday 26 September: the Executive meets Monday 29 September, G1 on 1 October.
    day = date(2025, 9, 26)
    outcome = _plan(agenda_county([request("U1", 2, day, urgent=True), request("R1", 2, day)]))
    assert _where(outcome.agenda) == {"U1": ("G1", "2025-10-01"), "R1": ("G2", "2025-10-08")}
    assert _item(outcome.agenda, "U1").weight == 4


def test_early_years_setting_goes_to_the_early_years_group() -> None:
    outcome = _plan(agenda_county([request("E1", 3)]))
    assert _where(outcome.agenda) == {"E1": ("EY", "2025-09-17")}


def test_hearing_and_vision_go_to_the_county_route() -> None:
    days = AgendaSettings(county_route_days=7)
    s = agenda_county([request("H1", need="HI"), request("V1", 5, need="VI")], settings=days)
    outcome = _plan(s)
    for request_id in ("H1", "V1"):
        item = _item(outcome.agenda, request_id)
        assert item.route == "county" and item.meeting_date is None and item.group is None
        assert item.school_days_to_meeting == 7
    assert outcome.agenda.meetings == () and outcome.check.ok


def test_capacity_puts_the_heavier_request_first() -> None:
    # One case a meeting: first come first served gives G1's 3 September to R1 (received first);
    # the planner gives it to the looked-after L1 (weight 4) and R1 waits to 1 October.
    s = agenda_county(
        [request("R1", received=SEP_1), request("L1", received=date(2025, 9, 2), lac=True)],
        capacity=1,
    )
    outcome = _plan(s)
    assert _where(outcome.agenda) == {"L1": ("G1", "2025-09-03"), "R1": ("G1", "2025-10-01")}
    assert _where(outcome.baseline) == {"R1": ("G1", "2025-09-03"), "L1": ("G1", "2025-10-01")}
    assert outcome.score.days_to_meeting < outcome.baseline_check.score.days_to_meeting
    per_meeting = [len(outcome.agenda.at(m)) for m in outcome.agenda.meetings]
    assert per_meeting == [1, 1]


def test_a_full_year_leaves_requests_unplaced_with_a_reason() -> None:
    day = date(2026, 1, 19)  # only G1's meeting of 21 January is left
    s = agenda_county([request(f"R{i}", received=day) for i in range(3)], capacity=2)
    outcome = _plan(s)
    assert len(outcome.agenda.at_meetings()) == 2
    (left,) = outcome.agenda.unplaced
    assert left.kind == "full" and "case capacity" in left.reason
    assert outcome.score.unplaced == 1 == outcome.check.score.unplaced


def test_requests_without_a_meeting_or_consent_are_unplaced_with_reasons() -> None:
    s = agenda_county(
        [
            request("R4", 4),  # a school in no group, routine
            request("U4", 4, urgent=True),  # urgent: any group's meeting will do
            request("N1", consent="no"),
            request("X1", received=date(2026, 2, 6)),  # after G1's last meeting
        ]
    )
    outcome = _plan(s)
    reasons = {u.request_id: (u.kind, u.reason) for u in outcome.agenda.unplaced}
    assert reasons["R4"][0] == "no_meeting" and "no LIFT group" in reasons["R4"][1]
    assert reasons["N1"][0] == "no_consent"
    assert reasons["X1"][0] == "no_meeting" and "after it was received" in reasons["X1"][1]
    assert _where(outcome.agenda) == {"U4": ("G1", "2025-09-03")}
    # Consent not given is not counted: R4 and X1 weigh 1 each.
    assert outcome.score.unplaced == 2 == outcome.check.score.unplaced


def test_the_window_keeps_other_requests_out() -> None:
    s = agenda_county(
        [
            request("A", received=SEP_1),
            request("B", received=date(2025, 10, 6)),
            request("C", received=date(2025, 11, 3)),
        ]
    )
    outcome = _plan(s, start=date(2025, 10, 1), end=date(2025, 10, 31))
    assert set(_where(outcome.agenda)) == {"B"} and outcome.agenda.unplaced == ()
    assert outcome.check.ok
    # The checker notices a request of the window left out.
    whole = plan_agenda(s, agenda_rota(s), params=FAST)
    assert not check_agenda(
        s, agenda_rota(s), outcome.agenda.model_copy(update={"start": None, "end": None})
    ).ok
    assert whole.check.ok and len(whole.agenda.items) == 3


def test_the_checker_finds_broken_rules() -> None:
    s = agenda_county([request("R1"), request("R2", 2), request("H1", need="HI")], capacity=1)
    rota = agenda_rota(s)
    good = plan_agenda(s, rota, params=FAST).agenda
    r1 = _item(good, "R1")
    bad_items = [
        r1.model_copy(update={"group": "G2"}),  # not a meeting of the rota on that day
        _item(good, "R2").model_copy(update={"meeting_date": date(2025, 9, 3), "group": "G1"}),
        _item(good, "H1"),
    ]
    bad = good.model_copy(update={"items": tuple(bad_items)})
    check = check_agenda(s, rota, bad)
    assert not check.ok
    text = "\n".join(check.breaches)
    assert "R1" in text and "R2" in text  # R1: no such meeting; R2: not its group


def test_solver_value_is_the_checkers_on_a_busier_county() -> None:
    requests = [
        request(
            f"R{k}",
            urn=1 + k % 5,
            received=SEP_1 + timedelta(days=3 * k),
            urgent=k % 4 == 0,
            lac=k % 7 == 0,
        )
        for k in range(30)
    ]
    outcome = _plan(agenda_county(requests, capacity=2))
    assert outcome.check.ok and outcome.baseline_check.ok
    assert outcome.score == outcome.check.score
    assert outcome.agenda.score == outcome.check.score
    assert outcome.check.score.unplaced <= outcome.baseline_check.score.unplaced


@st.composite
def request_sets(draw: st.DrawFn) -> list[Request]:
    count = draw(st.integers(1, 12))
    return [
        request(
            f"Q{k}",
            urn=draw(st.sampled_from([1, 1, 2, 3, 4, 5])),
            received=SEP_1 + timedelta(days=draw(st.integers(0, 150))),
            need=draw(st.sampled_from(["C&I", "C&I", "B&L", "HI"])),
            urgent=draw(st.booleans()),
            lac=draw(st.booleans()),
        )
        for k in range(count)
    ]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request_sets(), st.integers(1, 3))
def test_never_worse_than_first_come_first_served(requests: list[Request], capacity: int) -> None:
    s = agenda_county(requests, capacity=capacity)
    outcome = _plan(s)
    assert outcome.check.ok and outcome.baseline_check.ok
    assert outcome.score == outcome.check.score
    ours, theirs = outcome.check.score, outcome.baseline_check.score
    assert ours.unplaced <= theirs.unplaced
    placed = {i.request_id for i in outcome.agenda.at_meetings()}
    first = {i.request_id for i in outcome.baseline.at_meetings()}
    if placed == first and outcome.proven_optimal:
        assert ours.days_to_meeting <= theirs.days_to_meeting
