"""One pair of tests per registered rota rule: a case with no penalty, a case with a known penalty.

For a hard rule the "penalty" case is a rota that breaks it: the model refuses that rota with the rule
and accepts it without. Soft rules are scored on fixed, hand-worked rotas; each known penalty is
also the independent checker's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ortools.sat.python import cp_model

from allocator.constraints import constraints_of
from allocator.constraints.rota import RotaModel
from allocator.model import Closure, RotaSettings, Scenario, Unavailability
from allocator.model.rota_result import Meeting, Rota, RotaPromises
from allocator.rota.check import check_rota
from allocator.rota.promises import changes_between, promises_of
from tests.builders.rota import QUIET, at_weeks, group, scenario, school, slot, terms_of

HARD = [c.name for c in constraints_of("rota") if c.kind == "hard"]


def _rules(names: Sequence[str]) -> list:
    return [c for c in constraints_of("rota") if c.name in names]


def solve_with(
    s: Scenario,
    rules: Sequence[str],
    fixed: Sequence[Meeting] | None = None,
    previous: Rota | None = None,
    promises: RotaPromises | None = None,
) -> tuple[str, dict[str, int], RotaModel, cp_model.CpSolver]:
    """Build the model with only `rules`, fix the meetings if given, minimise the soft rules' sum.

    Returns the status name and each soft rule's violation.
    """
    rota = RotaModel(s, previous=previous.usual_patterns() if previous else None, promises=promises)
    penalties = []
    for info in _rules(rules):
        if info.kind == "hard":
            info.fn(rota)
        else:
            penalties += info.fn(rota)
    if fixed is not None:
        chosen = {(m.group, m.slot, m.date) for m in fixed}
        for c in rota.all_choices():
            wanted = (c.meeting.group, c.option.slot.slot, c.option.date) in chosen
            rota.model.add(c.var == int(wanted))
    rota.model.minimize(sum((p.weight * p.expr for p in penalties), start=0))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 1
    solver.parameters.max_time_in_seconds = 10
    status = solver.status_name(solver.solve(rota.model))
    values = (
        {p.name: int(solver.value(p.expr)) for p in penalties}
        if status in ("OPTIMAL", "FEASIBLE")
        else {}
    )
    return status, values, rota, solver


def one_group(rota: RotaSettings, pupils: int = 0, weeks: Sequence[int] = (3,) * 6) -> Scenario:
    """Thanet with group G on a Wednesday slot A, 3-week terms by default."""
    return scenario(
        [group("G", attendees=("ep",))],
        [slot("A")],
        terms=terms_of(weeks),
        schools=[school(1, "G", pupils=pupils)] if pupils else [],
        rota=rota,
    )


def only(**weights: int) -> RotaSettings:
    return QUIET.model_copy(update=weights)


def _checked(
    s: Scenario,
    meetings: Sequence[Meeting],
    previous: Rota | None = None,
    promises: RotaPromises | None = None,
) -> dict[str, int]:
    rota = Rota(meetings=tuple(meetings))
    published = None if promises is None else _published(promises)
    changes = () if promises is None else changes_between(promises, rota)
    today = None if promises is None else promises.today
    check = check_rota(s, rota, previous, published=published, today=today, changes=changes)
    assert check.ok, check.breaches
    return {score.name: score.violation for score in check.scores}


# ---------------------------------------------------------------------------------------------
# Hard rules
# ---------------------------------------------------------------------------------------------


def _refused_only_by(
    s: Scenario, rule: str, meetings: Sequence[Meeting], promises: RotaPromises | None = None
) -> None:
    others = [name for name in HARD if name != rule]
    assert solve_with(s, others, meetings, promises=promises)[0] == "OPTIMAL"
    assert solve_with(s, HARD, meetings, promises=promises)[0] == "INFEASIBLE"


def _published(promises: RotaPromises) -> Rota:
    entries = (*promises.held, *promises.kept, *promises.free, *promises.cancelled)
    return Rota(meetings=tuple(e.meeting for e in entries))


def test_meets_every_half_term_no_penalty() -> None:
    s = scenario([group("G", attendees=("ep",), meetings=2)], [slot("A")], rota=QUIET)
    status, _, rota, solver = solve_with(s, HARD)
    assert status == "OPTIMAL"
    for keys in rota.meetings_by_group.values():
        weeks = [
            (k.half_term, c.option.week)
            for k in keys
            for c in rota.choices[k]
            if solver.boolean_value(c.var)
        ]
        assert len(weeks) == 12 and len(set(weeks)) == 12


def test_meets_every_half_term_penalty() -> None:
    s = one_group(QUIET)
    meetings = at_weeks(s, "G", [2] * 6)[:5]  # no meeting in term 6
    _refused_only_by(s, "meets_every_half_term", meetings)


def test_meets_every_half_term_keeps_two_meetings_in_different_weeks() -> None:
    # A one-week half-term cannot hold a group's two meetings, even on two days of that week.
    s = scenario(
        [group("G", attendees=("ep",), meetings=2)],
        [slot("A"), slot("B", weekday="Thursday")],
        terms=terms_of((1, 3, 3, 3, 3, 3)),
        rota=QUIET,
    )
    assert solve_with(s, HARD)[0] == "INFEASIBLE"
    roomy = s.model_copy(update={"terms": tuple(terms_of((2, 3, 3, 3, 3, 3)))})
    status, _, rota, solver = solve_with(roomy, HARD)
    assert status == "OPTIMAL"
    first = [
        c.option.week
        for key in rota.meetings_by_group["G"]
        if key.half_term == 1
        for c in rota.choices[key]
        if solver.boolean_value(c.var)
    ]
    assert sorted(first) == [1, 2]


def test_meets_every_half_term_allows_no_extra_meeting() -> None:
    s = one_group(QUIET)
    rota = RotaModel(s)
    for info in _rules(HARD):
        info.fn(rota)
    key = rota.meetings_by_group["G"][0]
    weeks = {c.option.week: c.var for c in rota.choices[key]}
    rota.model.add(weeks[1] + weeks[3] == 2)  # the meeting twice in term 1, in weeks 1 and 3
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    assert solver.status_name(solver.solve(rota.model)) == "INFEASIBLE"


def test_meeting_days_only_no_penalty() -> None:
    closed = [date(2025, 9, 3), date(2025, 9, 10)]  # Wednesdays of weeks 1 and 2 of term 1
    s = scenario(
        [group("G", attendees=("ep",))],
        [slot("A")],
        closures=[Closure(date=d) for d in closed],
        rota=QUIET,
    )
    status, _, rota, solver = solve_with(s, HARD)
    assert status == "OPTIMAL"
    days = {c.option.date for c in rota.all_choices() if solver.boolean_value(c.var)}
    assert date(2025, 9, 17) in days and not days & set(closed)


def test_meeting_days_only_penalty() -> None:
    s = scenario(
        [group("G", attendees=("ep",))],
        [slot("A")],
        closures=[Closure(date=date(2025, 9, 10), district="Thanet")],
        rota=QUIET,
    )
    _refused_only_by(s, "meeting_days_only", at_weeks(s, "G", [2] * 6))


def test_slot_capacity_no_penalty() -> None:
    s = scenario([group(f"G{k}", attendees=(f"p{k}",)) for k in range(3)], [slot("A")], rota=QUIET)
    status, _, rota, solver = solve_with(s, HARD)
    assert status == "OPTIMAL"
    taken = [
        (c.option.half_term, c.option.week)
        for c in rota.all_choices()
        if solver.boolean_value(c.var)
    ]
    assert len(taken) == 18 and len(set(taken)) == 18  # three groups fill the three weeks


def test_slot_capacity_penalty() -> None:
    s = scenario(
        [group("G1", attendees=("p1",)), group("G2", attendees=("p2",))], [slot("A")], rota=QUIET
    )
    meetings = at_weeks(s, "G1", [2] * 6) + at_weeks(s, "G2", [2, 1, 1, 1, 1, 1])
    _refused_only_by(s, "slot_capacity", meetings)
    roomy = scenario(
        [group("G1", attendees=("p1",)), group("G2", attendees=("p2",))],
        [slot("A", per_week=2)],
        rota=QUIET,
    )
    assert solve_with(roomy, HARD, meetings)[0] == "OPTIMAL"


def _shared_ep(second_start: str) -> Scenario:
    return scenario(
        [group("T1", "Thanet", ("ep",)), group("D1", "Dover", ("ep",))],
        [slot("A", "Thanet"), slot("B", "Dover", start=second_start, end="15:00")],
        rota=QUIET,
    )


def test_no_double_booking_no_penalty() -> None:
    s = _shared_ep("10:00")
    status, _, rota, solver = solve_with(s, HARD)
    assert status == "OPTIMAL"
    days = [c.option.date for c in rota.all_choices() if solver.boolean_value(c.var)]
    assert len(days) == 12 and len(set(days)) == 12
    apart = _shared_ep("13:30")  # the same day, but the meetings do not overlap
    meetings = at_weeks(apart, "T1", [2] * 6) + at_weeks(apart, "D1", [2] * 6, "B")
    assert solve_with(apart, HARD, meetings)[0] == "OPTIMAL"


def test_no_double_booking_penalty() -> None:
    s = _shared_ep("10:00")
    meetings = at_weeks(s, "T1", [2] * 6) + at_weeks(s, "D1", [2] * 6, "B")
    _refused_only_by(s, "no_double_booking", meetings)


def test_attendees_available_no_penalty() -> None:
    away = Unavailability(person_id="ep", first_day=date(2025, 9, 1), last_day=date(2025, 9, 12))
    s = scenario([group("G", attendees=("ep",))], [slot("A")], unavailability=[away], rota=QUIET)
    status, _, rota, solver = solve_with(s, HARD)
    assert status == "OPTIMAL"
    days = {c.option.date for c in rota.all_choices() if solver.boolean_value(c.var)}
    assert date(2025, 9, 17) in days


def test_attendees_available_penalty() -> None:
    away = Unavailability(person_id="ep", first_day=date(2025, 9, 10), last_day=date(2025, 9, 10))
    s = scenario([group("G", attendees=("ep",))], [slot("A")], unavailability=[away], rota=QUIET)
    _refused_only_by(s, "attendees_available", at_weeks(s, "G", [2] * 6))


def test_attendees_available_reads_every_leave_row() -> None:
    rows = [
        Unavailability(person_id="ep", first_day=date(2025, 9, 1), last_day=date(2025, 9, 3)),
        Unavailability(person_id="om", first_day=date(2025, 9, 1), last_day=date(2025, 9, 3)),
        Unavailability(person_id="ep", first_day=date(2025, 12, 3), last_day=date(2025, 12, 3)),
    ]
    s = scenario([group("G", attendees=("om", "ep"))], [slot("A")], unavailability=rows, rota=QUIET)
    _refused_only_by(s, "attendees_available", at_weeks(s, "G", [2] * 6))  # 3 December: row 3


def test_no_double_booking_lets_one_meeting_end_as_the_next_starts() -> None:
    s = _shared_ep("11:30")  # 09:30-11:30 in Thanet, then 11:30-15:00 in Dover, on the same day
    meetings = at_weeks(s, "T1", [2] * 6) + at_weeks(s, "D1", [2] * 6, "B")
    assert solve_with(s, HARD, meetings)[0] == "OPTIMAL"
    assert check_rota(s, Rota(meetings=tuple(meetings))).ok
    _refused_only_by(_shared_ep("11:29"), "no_double_booking", meetings)


# ---------------------------------------------------------------------------------------------
# Soft rules: 3-week terms make 18 term weeks; six meetings a year make the ideal gap 3 weeks
# ---------------------------------------------------------------------------------------------


def _score(
    s: Scenario,
    rule: str,
    meetings: Sequence[Meeting],
    previous: Rota | None = None,
    promises: RotaPromises | None = None,
) -> int:
    status, values, _, _ = solve_with(s, [*HARD, rule], meetings, previous, promises)
    assert status == "OPTIMAL"
    assert values[rule] == _checked(s, meetings, previous, promises)[rule]
    return values[rule]


def _best(
    s: Scenario, rule: str, previous: Rota | None = None, promises: RotaPromises | None = None
) -> int:
    status, values, _, _ = solve_with(s, [*HARD, rule], previous=previous, promises=promises)
    assert status == "OPTIMAL"
    return values[rule]


def test_even_spacing_no_penalty() -> None:
    s = one_group(only(spacing=1))
    assert _score(s, "even_spacing", at_weeks(s, "G", [2] * 6)) == 0
    assert _best(s, "even_spacing") == 0


def test_even_spacing_penalty() -> None:
    s = one_group(only(spacing=1))
    # term weeks 1, 6, 7, 12, 13, 18: gaps 5, 1, 5, 1, 5 are each 2 off the ideal 3
    assert _score(s, "even_spacing", at_weeks(s, "G", [1, 3, 1, 3, 1, 3])) == 10


def test_short_gaps_no_penalty() -> None:
    s = one_group(only(short_gap=1), weeks=(4,) * 6)
    assert _score(s, "short_gaps", at_weeks(s, "G", [2] * 6)) == 0  # gaps of 4 weeks
    assert _best(s, "short_gaps") == 0


def test_short_gaps_penalty() -> None:
    s = one_group(only(short_gap=1))
    # gaps of 3 are each a week under four; 2 is two weeks under
    assert _score(s, "short_gaps", at_weeks(s, "G", [2] * 6)) == 5
    assert _score(s, "short_gaps", at_weeks(s, "G", [3, 2, 2, 2, 2, 2])) == 2 + 4 * 1


def test_same_position_no_penalty() -> None:
    s = one_group(only(same_position=1))
    assert _score(s, "same_position", at_weeks(s, "G", [3] * 6)) == 0
    assert _best(s, "same_position") == 0


def test_same_position_penalty() -> None:
    s = one_group(only(same_position=1))
    assert _score(s, "same_position", at_weeks(s, "G", [1, 1, 1, 2, 2, 2])) == 1
    assert _score(s, "same_position", at_weeks(s, "G", [1, 2, 1, 2, 1, 2])) == 5


def test_edge_weeks_no_penalty() -> None:
    s = one_group(only(edge_week=1))
    assert _score(s, "edge_weeks", at_weeks(s, "G", [2] * 6)) == 0
    assert _best(s, "edge_weeks") == 0


def test_edge_weeks_penalty() -> None:
    s = one_group(only(edge_week=1))
    assert _score(s, "edge_weeks", at_weeks(s, "G", [1, 3, 2, 2, 2, 1])) == 3
    two = scenario(
        [group(f"G{k}", attendees=(f"p{k}",)) for k in range(3)],
        [slot("A")],
        rota=only(edge_week=1),
    )
    assert _best(two, "edge_weeks") == 12  # three groups in three weeks: two take an edge each term


def test_case_balance_no_penalty() -> None:
    s = one_group(only(case_balance=1), pupils=1000)  # 4 cases a meeting, room for 8
    assert _score(s, "case_balance", at_weeks(s, "G", [2] * 6)) == 0


def test_case_balance_penalty() -> None:
    s = one_group(only(case_balance=1), pupils=3000)  # 12 cases a meeting, room for 8
    assert _score(s, "case_balance", at_weeks(s, "G", [2] * 6)) == 6 * 4
    shared = scenario(
        [group("G1", attendees=("p1",)), group("G2", attendees=("p2",))],
        [slot("A", per_week=2)],
        schools=[school(1, "G1", pupils=1250), school(2, "G2", pupils=1250)],  # 5 cases each
        rota=only(case_balance=1),
    )
    together = at_weeks(shared, "G1", [2] * 6) + at_weeks(shared, "G2", [2] * 6)
    apart = at_weeks(shared, "G1", [2] * 6) + at_weeks(shared, "G2", [1] * 6)
    assert _score(shared, "case_balance", together) == 6 * (5 + 5 - 8)
    assert _score(shared, "case_balance", apart) == 0
    assert _best(shared, "case_balance") == 0


def test_stability_no_penalty() -> None:
    s = one_group(only(stability=1))
    before = Rota(meetings=tuple(at_weeks(s, "G", [2, 2, 2, 2, 2, 3])))  # usually week 2
    assert _score(s, "stability", at_weeks(s, "G", [2] * 6), before) == 0
    assert _best(s, "stability", before) == 0


def test_stability_penalty() -> None:
    s = scenario(
        [group("G1", attendees=("p1",)), group("G2", attendees=("p2",))],
        [slot("A"), slot("B", weekday="Tuesday")],
        rota=only(stability=1),
    )
    before = Rota(meetings=tuple(at_weeks(s, "G1", [2] * 6) + at_weeks(s, "G2", [3] * 6)))
    moved_week = at_weeks(s, "G1", [2] * 5 + [1]) + at_weeks(s, "G2", [3] * 6)
    assert _score(s, "stability", moved_week, before) == 1
    moved_day = at_weeks(s, "G1", [2] * 6, "B") + at_weeks(s, "G2", [2] * 6)
    assert _score(s, "stability", moved_day, before) == 2


def _promised(s: Scenario, weeks: Sequence[int], **options: object) -> RotaPromises:
    """Promises of a published rota of group G at `weeks`, today the year's first day."""
    published = Rota(meetings=tuple(at_weeks(s, "G", weeks)))
    return promises_of(s, published, date(2025, 9, 1), **options)  # type: ignore[arg-type]


def test_keeps_promises_no_penalty() -> None:
    s = one_group(QUIET)
    promises = _promised(s, [2, 3, 1, 2, 3, 1])
    status, _, rota, solver = solve_with(s, HARD, promises=promises)
    assert status == "OPTIMAL"
    chosen = {c.option.date for c in rota.all_choices() if solver.boolean_value(c.var)}
    assert chosen == {m.date for m in _published(promises).meetings}


def test_keeps_promises_penalty() -> None:
    s = one_group(QUIET)
    promises = _promised(s, [2] * 6)
    _refused_only_by(s, "keeps_promises", at_weeks(s, "G", [2] * 5 + [3]), promises)


def test_keeps_promises_never_moves_a_meeting_that_happened() -> None:
    s = one_group(QUIET)
    published = Rota(meetings=tuple(at_weeks(s, "G", [2] * 6)))
    promises = promises_of(s, published, date(2025, 12, 1), free_from=date(2025, 9, 1))
    assert len(promises.held) == 3 and len(promises.free) == 3
    _refused_only_by(s, "keeps_promises", at_weeks(s, "G", [3] + [2] * 5), promises)


def test_moved_meetings_no_penalty() -> None:
    s = one_group(only(moved_meeting=1))
    promises = _promised(s, [2] * 6, free_from=date(2025, 9, 1))
    assert len(promises.free) == 6
    assert _score(s, "moved_meetings", at_weeks(s, "G", [2] * 6), promises=promises) == 0
    assert _best(s, "moved_meetings", promises=promises) == 0


def test_moved_meetings_penalty() -> None:
    s = one_group(only(moved_meeting=1))
    promises = _promised(s, [2] * 6, free_from=date(2025, 9, 1))
    moved = at_weeks(s, "G", [1, 2, 2, 3, 2, 2])
    assert _score(s, "moved_meetings", moved, promises=promises) == 2


# ---------------------------------------------------------------------------------------------
# Meta-test
# ---------------------------------------------------------------------------------------------


def test_every_registered_rota_rule_has_its_pair_of_tests() -> None:
    names = set(globals())
    rules = [c.name for c in constraints_of("rota")]
    assert {"meets_every_half_term", "even_spacing"} <= set(rules)
    missing = [
        f"test_{rule}_{case}"
        for rule in rules
        for case in ("no_penalty", "penalty")
        if f"test_{rule}_{case}" not in names
    ]
    assert not missing, f"rota rules without their test: {missing}"
