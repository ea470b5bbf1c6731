"""The CP-SAT driver: lexicographic levels, tolerance, breakdown, progress and explanations."""

from __future__ import annotations

import time

import pytest
from ortools.sat.python import cp_model

from allocator.solve import (
    Level,
    Penalty,
    ProgressEvent,
    SolveParams,
    Status,
    TimeShares,
    descend,
    explain_infeasible,
    solve,
)

FAST = SolveParams(time_limit=5, workers=2, seed=1)


def two_levels() -> tuple[cp_model.CpModel, cp_model.IntVar, cp_model.IntVar]:
    model = cp_model.CpModel()
    x = model.new_int_var(0, 10, "x")
    y = model.new_int_var(0, 10, "y")
    model.add(x + y >= 7)
    return model, x, y


def test_levels_are_strictly_ordered() -> None:
    """A huge weight on y in level 2 cannot buy anything from level 1."""
    model, x, y = two_levels()
    result, solution = solve(
        model,
        [Level("first", [Penalty("x", x, 1)]), Level("second", [Penalty("y", y, 1000)])],
        FAST,
    )
    assert result.status == Status.OPTIMAL and result.proven_optimal
    assert (solution.value(x), solution.value(y)) == (0, 7)
    assert [lv.objective for lv in result.levels] == [0, 7000]


def test_tolerance_lets_later_levels_gain() -> None:
    model = cp_model.CpModel()
    x = model.new_int_var(0, 100, "x")
    y = model.new_int_var(0, 100, "y")
    model.add(x + y >= 100)
    first = Level("first", [Penalty("x", x + 50, 1)], tolerance=0.1)  # 50 -> up to 55 allowed
    result, solution = solve(model, [first, Level("second", [Penalty("y", y, 1)])], FAST)
    assert solution.value(x) == 5 and solution.value(y) == 95
    assert result.levels[0].objective == 50


def test_breakdown_names_each_penalty_with_weight_and_violation() -> None:
    model, x, y = two_levels()
    model.add(x >= 3)
    result, _ = solve(model, [Level("only", [Penalty("x", x, 2), Penalty("y", y, 5)])], FAST)
    scores = {s.name: (s.weight, s.violation, s.penalty) for s in result.breakdown}
    assert scores == {"x": (2, 7, 14), "y": (5, 0, 0)}
    assert result.objective == sum(s.penalty for s in result.breakdown)


def test_zero_weight_terms_stay_out_of_the_objective() -> None:
    model, x, y = two_levels()
    result, solution = solve(model, [Level("only", [Penalty("x", x, 0), Penalty("y", y, 1)])], FAST)
    assert result.objective == 0 and solution.value(x) == 7


def test_infeasible_model_has_no_solution() -> None:
    model, x, y = two_levels()
    model.add(x + y <= 3)
    result, solution = solve(model, [Level("only", [Penalty("x", x)])], FAST)
    assert result.status == Status.INFEASIBLE
    assert not solution and result.breakdown == ()


def test_feasibility_only_without_levels() -> None:
    model, x, y = two_levels()
    result, solution = solve(model, [], FAST)
    assert result.status == Status.OPTIMAL and solution.value(x) + solution.value(y) >= 7


def test_progress_reports_each_level() -> None:
    model, x, y = two_levels()
    events: list[ProgressEvent] = []
    solve(
        model, [Level("a", [Penalty("x", x)]), Level("b", [Penalty("y", y)])], FAST, events.append
    )
    finished = [e.level for e in events if e.done]
    assert finished == ["a", "b"]
    assert all(0 <= e.elapsed <= FAST.time_limit + 1 for e in events)


def test_explain_infeasible_names_a_sufficient_core() -> None:
    model = cp_model.CpModel()
    x = model.new_int_var(0, 10, "x")
    names = {n: model.new_bool_var(n) for n in ("at least 8", "at most 3", "harmless")}
    model.add(x >= 8).only_enforce_if(names["at least 8"])
    model.add(x <= 3).only_enforce_if(names["at most 3"])
    model.add(x >= 0).only_enforce_if(names["harmless"])
    assert sorted(explain_infeasible(model, names, FAST)) == ["at least 8", "at most 3"]


def test_explain_feasible_model_is_empty() -> None:
    model = cp_model.CpModel()
    x = model.new_int_var(0, 10, "x")
    lit = model.new_bool_var("fine")
    model.add(x >= 2).only_enforce_if(lit)
    assert explain_infeasible(model, {"fine": lit}, FAST) == []


def test_summary_line() -> None:
    model, x, _ = two_levels()
    result, _ = solve(model, [Level("a", [Penalty("x", x)])], FAST)
    assert result.summary().startswith("optimal, objective 0, gap 0.00%")


def test_cp_sat_parameters_reach_the_solver() -> None:
    """Extra CP-SAT parameters are set on every level's solver, enums by their value's name."""
    from allocator.solve import _solver

    params = SolveParams(
        time_limit=3,
        workers=2,
        cp_sat={
            "max_presolve_iterations": 1,
            "cp_model_presolve": False,
            "search_branching": "FIXED_SEARCH",
            "presolve_probing_deterministic_time_limit": 0.5,
        },
    )
    p = _solver(params, 1.5).parameters
    assert p.max_presolve_iterations == 1 and not p.cp_model_presolve
    assert p.search_branching == type(p.search_branching).FIXED_SEARCH
    assert p.presolve_probing_deterministic_time_limit == 0.5
    # The driver's own settings stay in force.
    assert (p.num_workers, p.max_time_in_seconds) == (2, 1.5)
    model, x, y = two_levels()
    result, solution = solve(
        model, [Level("first", [Penalty("x", x, 1)]), Level("second", [Penalty("y", y, 1)])], params
    )
    assert result.proven_optimal and (solution.value(x), solution.value(y)) == (0, 7)


def test_cp_sat_parameters_are_checked() -> None:
    """Unknown names, wrong types, bad enum names, lists and the driver's own settings are refused."""
    import pytest
    from pydantic import ValidationError

    for bad, message in [
        ({"max_presolve_iteratons": 1}, "unknown CP-SAT parameter 'max_presolve_iteratons'"),
        ({"num_workers": 3}, "set SolveParams.workers instead"),
        ({"max_time_in_seconds": 3}, "set SolveParams.time_limit instead"),
        ({"search_branching": "NOPE"}, "'NOPE' is not one of"),
        ({"cp_model_presolve": 1}, "expected true or false"),
        ({"max_presolve_iterations": True}, "expected a number or an enum name"),
        ({"max_presolve_iterations": 1.5}, "is not allowed"),
        ({"restart_algorithms": 1}, "is a list"),
    ]:
        with pytest.raises(ValidationError, match=message):
            SolveParams(cp_sat=bad)


def test_descend_proves_the_least_value_from_a_worse_solution() -> None:
    """From a solution of 4 chosen items (at least 2 needed), the descent reaches 2 and proves it."""
    model = cp_model.CpModel()
    items = [model.new_bool_var(f"x{i}") for i in range(5)]
    model.add(sum(items) >= 2)
    level = Level("chosen", [Penalty("chosen", sum(items), 1)])
    start = model.clone()
    start.add(sum(items) == 4)
    _, four = solve(start, [], FAST)
    assert four.value(level.expr()) == 4
    result, best = descend(model, level, 4, four, FAST)
    assert result.status == Status.OPTIMAL and result.proven_optimal
    assert (result.objective, result.best_bound, best.value(level.expr())) == (2, 2, 2)
    # The model now holds the level at 2.
    probe = model.clone()
    probe.add(sum(items) >= 3)
    assert solve(probe, [], FAST)[0].status == Status.INFEASIBLE


def test_descend_out_of_time_keeps_the_value_unproven() -> None:
    model = cp_model.CpModel()
    items = [model.new_bool_var(f"x{i}") for i in range(3)]
    level = Level("chosen", [Penalty("chosen", sum(items), 1)])
    start = model.clone()
    start.add(sum(items) == 3)
    _, three = solve(start, [], FAST)
    result, best = descend(model, level, 3, three, SolveParams(time_limit=0.01, workers=2))
    assert result.status == Status.FEASIBLE and result.best_bound is None
    assert result.objective == 3 and best.value(level.expr()) == 3


def test_time_is_shared_by_size_and_what_a_part_leaves_passes_on() -> None:
    shares = TimeShares(10.0, total=4, start=time.perf_counter(), least=0.5)
    first = shares.seconds(1)
    assert first == pytest.approx(2.5, abs=0.05)
    assert shares.seconds(3) == pytest.approx(10.0, abs=0.05)  # nothing used yet: all that is left
    assert TimeShares(0.0, total=1, least=0.5).seconds(1) == 0.5
