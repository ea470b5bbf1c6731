"""One pair of tests per registered agenda rule: a case with no penalty, a case with a known penalty.

For a hard rule the "penalty" case is an agenda that breaks it: the model refuses that agenda with the
rule and accepts it without. Soft rules are scored on small hand-worked cases; each known value is
also the independent checker's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ortools.sat.python import cp_model

from allocator.agenda.check import check_agenda
from allocator.agenda.data import build_agenda_data, district_pairs
from allocator.agenda.outcome import make_agenda
from allocator.constraints import constraints_of, levels_of
from allocator.constraints.agenda import AgendaModel
from allocator.model import Request, Scenario
from allocator.model.agenda_result import AgendaScore
from allocator.model.rota_result import Rota
from tests.builders.agenda import SEP_1, agenda_county, agenda_rota, request

HARD = [c.name for c in constraints_of("agenda", "hard")]


def _model(s: Scenario, rota: Rota, all_pairs: bool = False) -> AgendaModel:
    data = build_agenda_data(s, rota)
    inst = data.instance
    pairs = (
        [(r, m) for r in range(len(inst.requests)) for m in range(len(inst.meetings))]
        if all_pairs
        else district_pairs(inst)
    )
    return AgendaModel(inst, pairs)


LEVEL_SCALE = {"unplaced": 10_000}
"""The levels as weights for these small cases: a request placed outweighs any days."""


def solve_with(
    s: Scenario,
    rules: Sequence[str],
    fixed: Mapping[str, tuple[str, str]] | None = None,
    all_pairs: bool = False,
    rota: Rota | None = None,
) -> tuple[str, dict[str, int], AgendaModel, cp_model.CpSolver]:
    """Build the model with only `rules`; fix request -> (group, ISO date) if given (others to no
    meeting); minimise the soft rules, unplaced first. Returns the status name and each soft rule's
    value."""
    rota = rota or agenda_rota(s)
    agenda = _model(s, rota, all_pairs)
    penalties = []
    for info in constraints_of("agenda"):
        if info.name not in rules:
            continue
        if info.kind == "hard":
            info.fn(agenda)
        else:
            penalties += info.fn(agenda)
    if fixed is not None:
        inst = agenda.instance
        for (r, m), var in agenda.x.items():
            meeting = inst.meetings[m]
            wanted = fixed.get(inst.requests[r].request_id)
            agenda.model.add(var == int(wanted == (meeting.group, meeting.date.isoformat())))
    agenda.model.minimize(
        sum((LEVEL_SCALE.get(p.name, 1) * p.weight * p.expr for p in penalties), start=0)
    )
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 1
    solver.parameters.max_time_in_seconds = 10
    status = solver.status_name(solver.solve(agenda.model))
    values = (
        {p.name: int(solver.value(p.expr)) for p in penalties}
        if status in ("OPTIMAL", "FEASIBLE")
        else {}
    )
    return status, values, agenda, solver


def _chosen(agenda: AgendaModel, solver: cp_model.CpSolver) -> dict[str, tuple[str, str]]:
    inst = agenda.instance
    return {
        inst.requests[r].request_id: (inst.meetings[m].group, inst.meetings[m].date.isoformat())
        for (r, m), var in agenda.x.items()
        if solver.boolean_value(var)
    }


def _refused_only_by(
    s: Scenario,
    rule: str,
    fixed: Mapping[str, tuple[str, str]],
    all_pairs: bool = False,
    rota: Rota | None = None,
) -> None:
    others = [name for name in HARD if name != rule]
    assert solve_with(s, others, fixed, all_pairs, rota)[0] == "OPTIMAL"
    assert solve_with(s, HARD, fixed, all_pairs, rota)[0] == "INFEASIBLE"


def _checked(s: Scenario, requests: Sequence[Request] = ()) -> tuple[int, int]:
    """The checker's (unplaced, days) of the optimal agenda with every rule."""
    status, _, agenda, solver = solve_with(s, [c.name for c in constraints_of("agenda")])
    assert status == "OPTIMAL"
    inst = agenda.instance
    chosen = {r: m for (r, m), var in agenda.x.items() if solver.boolean_value(var)}
    rota = agenda_rota(s)
    check = check_agenda(s, rota, make_agenda(build_agenda_data(s, rota), chosen))
    assert check.ok, check.breaches
    assert len(inst.requests) >= len(requests)
    return check.score.unplaced, check.score.days_to_meeting


# ---------------------------------------------------------------------------------------------
# Hard rules
# ---------------------------------------------------------------------------------------------


def test_one_meeting_each_no_penalty() -> None:
    s = agenda_county([request("R1"), request("R2", urgent=True)])
    status, _, agenda, solver = solve_with(s, HARD)
    assert status == "OPTIMAL"
    for choices in agenda.of_request().values():
        assert sum(solver.boolean_value(v) for _, v in choices) <= 1


def test_one_meeting_each_penalty() -> None:
    s = agenda_county([request("R1")])
    # The same request at two of its group's meetings: refused only by the rule.
    others = [name for name in HARD if name != "one_meeting_each"]
    rota = agenda_rota(s)
    for rules, expected in ((others, "OPTIMAL"), (HARD, "INFEASIBLE")):
        agenda = _model(s, rota)
        for info in constraints_of("agenda", "hard"):
            if info.name in rules:
                info.fn(agenda)
        inst = agenda.instance
        g1 = [m for m, meeting in enumerate(inst.meetings) if meeting.group == "G1"][:2]
        for m in g1:
            agenda.model.add(agenda.x[(0, m)] == 1)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 2
        assert solver.status_name(solver.solve(agenda.model)) == expected


def test_meeting_capacity_no_penalty() -> None:
    s = agenda_county([request(f"R{i}") for i in range(4)], capacity=2)
    status, _, agenda, solver = solve_with(s, HARD)
    assert status == "OPTIMAL"
    # Minimising nothing, any agenda within capacity will do: count per sitting.
    per_sitting: dict[tuple[str, object], int] = {}
    for (_, m), var in agenda.x.items():
        if solver.boolean_value(var):
            key = agenda.instance.sitting(m)
            per_sitting[key] = per_sitting.get(key, 0) + 1
    assert all(n <= 2 for n in per_sitting.values())


def test_meeting_capacity_penalty() -> None:
    s = agenda_county([request(f"R{i}") for i in range(3)], capacity=2)
    _refused_only_by(s, "meeting_capacity", {f"R{i}": ("G1", "2025-09-03") for i in range(3)})


def test_own_district_no_penalty() -> None:
    s = agenda_county([request("R1"), request("R5", 5)])
    status, _, agenda, solver = solve_with(
        s, [*HARD, "unplaced", "days_to_meeting"], all_pairs=True
    )
    assert status == "OPTIMAL"
    assert _chosen(agenda, solver) == {"R1": ("G1", "2025-09-03"), "R5": ("D1", "2025-09-04")}


def test_own_district_penalty() -> None:
    s = agenda_county([request("R1")])
    # A rota that holds G1's first meeting in Dover: its group is R1's, its district is not.
    rota = agenda_rota(s)
    moved = [
        m.model_copy(update={"district": "Dover"}) if m.group == "G1" and m.week == 1 else m
        for m in rota.meetings
    ]
    rota = Rota(meetings=tuple(moved))
    _refused_only_by(s, "own_district", {"R1": ("G1", "2025-09-03")}, True, rota)


def test_after_received_no_penalty() -> None:
    s = agenda_county([request("R1", received=SEP_1.replace(day=3))])
    status, _, agenda, solver = solve_with(s, [*HARD, "unplaced", "days_to_meeting"])
    assert status == "OPTIMAL"
    assert _chosen(agenda, solver) == {"R1": ("G1", "2025-10-01")}


def test_after_received_penalty() -> None:
    s = agenda_county([request("R1", received=SEP_1.replace(day=3))])
    _refused_only_by(s, "after_received", {"R1": ("G1", "2025-09-03")})


def test_group_route_no_penalty() -> None:
    s = agenda_county([request("R2", 2), request("R3", 3), request("R4", 4, urgent=True)])
    status, _, agenda, solver = solve_with(s, [*HARD, "unplaced", "days_to_meeting"])
    assert status == "OPTIMAL"
    assert _chosen(agenda, solver) == {
        "R2": ("G2", "2025-09-10"),  # its own group, though G1 meets earlier
        "R3": ("EY", "2025-09-17"),  # an early-years setting at the early-years group
        "R4": ("G1", "2025-09-03"),  # urgent: the earliest of any group, never the Executive's
    }


def test_group_route_penalty() -> None:
    s = agenda_county([request("R2", 2), request("R9", 2, urgent=True)])
    _refused_only_by(s, "group_route", {"R2": ("G1", "2025-09-03")})
    _refused_only_by(s, "group_route", {"R9": ("Exec", "2025-09-29")})


def test_county_route_no_penalty() -> None:
    s = agenda_county([request("R1", need="HI"), request("R2", 2, need="VI")])
    status, _, agenda, solver = solve_with(s, HARD)
    assert status == "OPTIMAL" and _chosen(agenda, solver) == {}
    assert _checked(s) == (0, 0)


def test_county_route_penalty() -> None:
    s = agenda_county([request("R1", need="HI")])
    _refused_only_by(s, "county_route", {"R1": ("G1", "2025-09-03")})


# ---------------------------------------------------------------------------------------------
# Soft rules
# ---------------------------------------------------------------------------------------------


def test_unplaced_no_penalty() -> None:
    s = agenda_county([request("R1"), request("R2", 2)])
    status, values, _, _ = solve_with(s, [*HARD, "unplaced"])
    assert status == "OPTIMAL" and values == {"unplaced": 0}
    assert _checked(s)[0] == 0


def test_unplaced_penalty() -> None:
    # Slot A takes one case a meeting, and G1's last meeting of the year (Wednesday 21 January 2026)
    # is the only one after R1..R3 arrive on Monday 19 January: two of three stay unplaced. The
    # solver places a looked-after one (weight 4), leaving the routine one (1) and the other (4): 5.
    day = SEP_1.replace(year=2026, month=1, day=19)
    s = agenda_county(
        [
            request("R1", received=day),
            request("R2", received=day, lac=True),
            request("R3", received=day, lac=True),
        ],
        capacity=1,
    )
    rota = agenda_rota(s)
    assert [m.date.isoformat() for m in rota.meetings if m.group == "G1"][-1] == "2026-01-21"
    status, values, _, _ = solve_with(s, [*HARD, "unplaced"])
    assert status == "OPTIMAL" and values == {"unplaced": 5}
    assert _checked(s)[0] == 5


def test_days_to_meeting_no_penalty() -> None:
    # Nothing to place at a meeting (county route only): no days.
    s = agenda_county([request("R1", need="VI")])
    status, values, _, _ = solve_with(s, [*HARD, "days_to_meeting"])
    assert status == "OPTIMAL" and values == {"days_to_meeting": 0}


def test_days_to_meeting_penalty() -> None:
    # G1 meets Wednesday 3 September (2 school days after Monday 1 September) with room for one; the
    # urgent request (weight 4) goes there, the routine one (weight 1) to Wednesday 1 October: 17
    # school days (4 more in week 1, 5 + 5 in weeks 2 and 3, the holiday, then 3 to 1 October),
    # so 4·2 + 1·17 = 25.
    s = agenda_county([request("R1"), request("R2", urgent=True)], capacity=1)
    status, values, agenda, solver = solve_with(s, [*HARD, "unplaced", "days_to_meeting"])
    assert status == "OPTIMAL"
    assert _chosen(agenda, solver) == {"R2": ("G1", "2025-09-03"), "R1": ("G1", "2025-10-01")}
    assert values == {"unplaced": 0, "days_to_meeting": 25}
    assert _checked(s) == (0, 25)


def test_every_registered_agenda_rule_has_its_pair_of_tests() -> None:
    names = set(globals())
    rules = [c.name for c in constraints_of("agenda")]
    assert {"meeting_capacity", "group_route", "unplaced", "days_to_meeting"} <= set(rules)
    missing = [
        f"test_{rule}_{case}"
        for rule in rules
        for case in ("no_penalty", "penalty")
        if f"test_{rule}_{case}" not in names
    ]
    assert not missing, f"agenda rules without their test: {missing}"


def test_each_agenda_objective_has_one_name_from_rule_to_score() -> None:
    levels = levels_of("agenda")
    assert [name for name, _ in levels] == ["unplaced", "days_to_meeting"]
    assert all([info.name for info in infos] == [name] for name, infos in levels)
    assert list(AgendaScore.model_fields) == [name for name, _ in levels]
