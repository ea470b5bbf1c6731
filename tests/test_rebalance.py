"""Rebalancing: running support never moves, changes are fewest, and no new agreement changes nothing."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

import pytest
from caseload_fixtures import (
    FAST,
    SOUTH_PRIMARY,
    case,
    county,
    friday,
    monday,
    plan_row,
    small_counties,
    teacher,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from allocator.caseload import plan_caseload, plan_rows, rebalance
from allocator.caseload_data import Placement, build_instance, evaluate, placement_errors
from allocator.cli_caseload import rebalance_app
from allocator.io import write_scenario
from allocator.io.caseload_export import read_assignments, write_caseload
from allocator.model import PlanStatus, Scenario, ScenarioError
from allocator.model.caseload_result import CaseloadPlan


def planned_county() -> tuple[Scenario, CaseloadPlan]:
    """Two C&I teachers with room for one case each at a time, four cases planned."""
    people = [teacher("a", minutes=100), teacher("b", minutes=100), teacher("s", "Southfield")]
    agreements = [case(f"C{i}", weeks=3, agreed=monday(2 * i)) for i in range(4)]
    s = county(people, agreements)
    return s, plan_caseload(s, FAST).plan


def test_no_new_agreements_change_nothing() -> None:
    s, plan = planned_county()
    result = rebalance(s, plan, [], FAST)
    assert result.changes == () and result.moved == 0
    assert result.plan.assignments == plan.assignments
    assert result.resolved_teams == ()


def test_assign_then_rebalance_through_the_files_is_a_no_op(tmp_path: Path) -> None:
    s, _ = planned_county()
    outcome = plan_caseload(s, FAST)
    write_caseload(outcome, tmp_path)
    current = read_assignments(tmp_path / "assignments.csv")
    result = rebalance(s, current, [], FAST)
    assert result.changes == ()
    assert sorted(result.plan.assignments, key=lambda a: a.case_id) == sorted(
        outcome.plan.assignments, key=lambda a: a.case_id
    )
    assert sorted(w.case_id for w in result.plan.waiting) == sorted(
        w.case_id for w in outcome.plan.waiting
    )


def test_a_new_agreement_in_one_team_leaves_the_others_alone() -> None:
    s, plan = planned_county()
    result = rebalance(s, plan, [case("N1", urn=SOUTH_PRIMARY, weeks=2)], FAST)
    assert result.resolved_teams == ("Southfield",)
    assert result.opened_people == ("s",)
    assert result.moved == 0
    (change,) = result.changes
    assert (
        change.is_new and change.after_person == "s" and "new agreement: starts on" in change.reason
    )


def test_an_urgent_case_moves_the_fewest_planned_cases_with_a_reason() -> None:
    s, plan = planned_county()
    urgent = case("N1", weeks=3, agreed=monday(2), lac=True, priority=1)
    result = rebalance(s, plan, [urgent], FAST)
    assert result.outcome.check.ok, result.outcome.check.breaches
    assert result.proven_minimal
    assert result.outcome.check.changes == result.moved
    started = result.plan.assignment_of("N1")
    assert started is not None and started.start == monday(2)
    for change in result.changes:
        assert change.reason


def test_the_change_count_is_the_least_a_brute_force_finds() -> None:
    # One teacher with room for one case at a time, two cases planned back to back, and an urgent
    # LAC case agreed now: every plan best on the four levels moves at least what the rebalance moves.
    s = county([teacher("a", minutes=100)], [case("C0"), case("C1", agreed=monday(1))])
    plan = plan_caseload(s, FAST).plan
    urgent = case("N1", weeks=2, lac=True, priority=1)
    result = rebalance(s, plan, [urgent], FAST)
    assert result.proven_minimal and result.moved >= 1
    assert result.moved == least_changes(s, plan, urgent)
    # A proof budget (used only where the time limit left the count unproven) changes nothing here.
    budget = rebalance(s, plan, [urgent], FAST, proof_seconds=5.0)
    assert budget.proven_minimal and budget.moved == result.moved


def least_changes(s: Scenario, plan: CaseloadPlan, new: object) -> int:
    """Brute force: among placements best on the four levels, the fewest planned cases moved."""
    full = s.model_copy(update={"agreements": (*s.agreements, new)})
    inst = build_instance(full, current_plan=plan_rows(plan))
    (northdown,) = [p for p in inst.components() if "Northdown" in p.teams]
    choices = []
    for c, data in enumerate(northdown.cases):
        options = [None] + [Placement(o.person, st) for o in data.options for st in o.starts]
        choices.append([(c, p) for p in options])
    scored = []
    for combo in itertools.product(*choices):
        placements = {c: p for c, p in combo if p is not None}
        if placement_errors(northdown, placements):
            continue
        changed = sum(
            1
            for c, data in enumerate(northdown.cases)
            if data.planned is not None and placements.get(c) != data.planned
        )
        scored.append((evaluate(northdown, placements).levels, changed))
    best = min(levels for levels, _ in scored)
    return min(changed for levels, changed in scored if levels == best)


def test_running_support_stays_put_even_when_moving_it_would_help() -> None:
    # C0 runs with `a`; an urgent case for `a` must wait for it rather than move it.
    rows = [plan_row("C0", "a", monday(0), friday(5))]
    s = county([teacher("a", minutes=100)], [case("C0", weeks=6)], current_plan=rows)
    current = plan_caseload(s, FAST).plan
    result = rebalance(s, current, [case("N1", weeks=2, lac=True, priority=1)], FAST)
    kept = result.plan.assignment_of("C0")
    assert kept is not None and kept.status == PlanStatus.RUNNING and kept.start == monday(0)
    started = result.plan.assignment_of("N1")
    assert started is not None and started.start == monday(6)


def test_today_makes_started_planned_support_running() -> None:
    s, plan = planned_county()
    first = min(plan.assignments, key=lambda a: a.start)
    today = first.start + timedelta(days=1)
    result = rebalance(s, plan, [case("N1", weeks=3, lac=True, priority=1)], FAST, today=today)
    kept = result.plan.assignment_of(first.case_id)
    assert kept is not None and (kept.person_id, kept.start) == (first.person_id, first.start)
    new = result.plan.assignment_of("N1")
    assert new is None or new.start >= today
    assert result.outcome.check.ok, result.outcome.check.breaches


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_counties(), st.data())
def test_adding_one_agreement_never_moves_running_support(s: Scenario, data: st.DataObject) -> None:
    plan = plan_caseload(s, FAST).plan
    running = (
        data.draw(st.sets(st.sampled_from([a.case_id for a in plan.assignments])))
        if plan.assignments
        else set()
    )
    current = plan.model_copy(
        update={
            "assignments": tuple(
                a.model_copy(update={"status": PlanStatus.RUNNING}) if a.case_id in running else a
                for a in plan.assignments
            )
        }
    )
    new = case(
        "NEW-1",
        urn=data.draw(st.sampled_from([x.urn for x in s.schools])),
        need=data.draw(st.sampled_from(["C&I", "B&L", "HI"])),
        weeks=data.draw(st.integers(1, 5)),
        lac=data.draw(st.booleans()),
        priority=data.draw(st.integers(1, 3)),
    )
    result = rebalance(s, current, [new], FAST)
    for a in current.assignments:
        if a.case_id in running:
            assert result.plan.assignment_of(a.case_id) == a
    assert result.outcome.check.ok, result.outcome.check.breaches
    assert result.outcome.check.changes == result.moved


def test_a_new_agreement_must_be_new_and_at_a_known_school() -> None:
    s, plan = planned_county()
    with pytest.raises(ScenarioError):
        rebalance(s, plan, [case("C1")], FAST)
    with pytest.raises(ScenarioError):
        rebalance(s, plan, [case("N1", urn=999999)], FAST)


def test_lift_rebalance_writes_changes(tmp_path: Path) -> None:
    s, _ = planned_county()
    folder = tmp_path / "county"
    write_scenario(s, folder)
    outcome = plan_caseload(s, FAST)
    write_caseload(outcome, tmp_path / "plan")
    new = tmp_path / "new.csv"
    new.write_text(
        "case_id,school_urn,need_type,sen_stage,lac,consent,agreed_on,minutes_per_week,weeks,priority\n"
        f"N1,{SOUTH_PRIMARY},C&I,EHCP,yes,yes,{monday(1).isoformat()},60,2,1\n"
    )
    out = tmp_path / "out"
    args = ["--scenario", str(folder), "--plan", str(tmp_path / "plan" / "assignments.csv")]
    result = CliRunner().invoke(rebalance_app, [*args, "--new", str(new), "--out", str(out)])
    assert result.exit_code == 0, result.output
    changes = (out / "changes.csv").read_text().splitlines()
    assert changes[0] == "case_id,before_person,after_person,before_start,after_start,reason"
    assert changes[1].startswith("N1,,s,")
    same = CliRunner().invoke(
        rebalance_app, [*args, "--out", str(tmp_path / "same"), "--prove-for", "2"]
    )
    assert same.exit_code == 0, same.output
    assert (tmp_path / "same" / "changes.csv").read_text().splitlines()[1:] == []


def test_the_time_limit_covers_the_whole_rebalance() -> None:
    """The solver gets what is left after building (and what decoding needs): even a limit shorter
    than the solver's minimum still gives a checked plan with the new case in it."""
    from allocator.solve import SolveParams

    s, plan = planned_county()
    tight = SolveParams(time_limit=0.05, workers=2, seed=1)
    result = rebalance(s, plan, [case("N1", weeks=2, lac=True, priority=1)], tight)
    assert result.outcome.check.ok, result.outcome.check.breaches
    assert result.plan.assignment_of("N1") is not None or result.plan.waiting_of("N1") is not None
    assert all(c.after_person is None or c.after_start is not None for c in result.changes)
