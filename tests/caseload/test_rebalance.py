"""Rebalancing: running support never moves, changes are fewest, and no new agreement changes nothing."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from allocator.caseload.data import build_instance, placement_errors
from allocator.caseload.plan import plan_caseload
from allocator.caseload.rebalance import plan_rows, rebalance
from allocator.cli.caseload import rebalance_app
from allocator.instances.caseload import Placement
from allocator.io import write_scenario
from allocator.io.caseload_export import read_assignments, read_plan, write_caseload
from allocator.model import PlanStatus, Scenario, ScenarioError
from allocator.model.caseload_result import Assignment, CaseloadPlan
from tests.builders.caseload import (
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
    write_caseload(outcome.plan, outcome.load, tmp_path)
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


def test_an_urgent_case_that_can_still_start_in_the_year_breaks_no_promise() -> None:
    s, plan = planned_county()
    urgent = case("N1", weeks=3, agreed=monday(2), lac=True, priority=1)
    result = rebalance(s, plan, [urgent], FAST)
    assert result.outcome.check.ok, result.outcome.check.breaches
    assert result.proven_minimal
    assert result.broken == result.outcome.check.broken_promises == 0
    assert result.plan.assignment_of("N1") is not None
    assert all(c.kind in ("new", "earlier") and c.reason for c in result.changes)


def test_the_broken_promises_are_the_least_a_brute_force_finds() -> None:
    # One teacher with room for one case at a time and the year filled by two planned cases: an
    # urgent LAC case starts in the year only if a promise breaks. Among placements that start the
    # most priority weight, none breaks fewer promises than the rebalance.
    s = county(
        [teacher("a", minutes=100)],
        [case("C0", weeks=5), case("C1", weeks=6, agreed=monday(1))],
    )
    plan = plan_caseload(s, FAST).plan
    urgent = case("N1", weeks=2, lac=True, priority=1)
    result = rebalance(s, plan, [urgent], FAST)
    assert result.proven_minimal and result.broken >= 1
    assert result.plan.assignment_of("N1") is not None
    assert result.broken == least_broken(s, plan, urgent)
    assert all(c.needed_by == "N1" for c in result.changes if c.kind == "broken")
    # A proof budget (used only where the time limit left the count unproven) changes nothing here.
    budget = rebalance(s, plan, [urgent], FAST, proof_seconds=5.0)
    assert budget.proven_minimal and budget.broken == result.broken


def least_broken(s: Scenario, plan: CaseloadPlan, new: object) -> int:
    """Brute force: among placements that start the most urgent weight, the fewest planned cases
    started later, by someone else, or not at all."""
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
        broken = 0
        for c, data in enumerate(northdown.cases):
            promise, now = data.planned, placements.get(c)
            if promise is None:
                continue
            kept = now is not None and now.person == promise.person and now.start <= promise.start
            broken += not kept
        urgent = sum(
            data.weight
            for c, data in enumerate(northdown.cases)
            if data.urgent and data.counted and c not in placements
        )
        scored.append((urgent, broken))
    best = min(first for first, _ in scored)
    return min(broken for first, broken in scored if first == best)


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
    write_caseload(outcome.plan, outcome.load, tmp_path / "plan")
    new = tmp_path / "new.csv"
    new.write_text(
        "case_id,school_urn,need_type,sen_stage,lac,consent,agreed_on,minutes_per_week,weeks,priority\n"
        f"N1,{SOUTH_PRIMARY},C&I,EHCP,yes,yes,{monday(1).isoformat()},60,2,1\n"
    )
    out = tmp_path / "out"
    args = ["--scenario", str(folder), "--plan", str(tmp_path / "plan" / "assignments.csv")]
    args += ["--today", monday(1).strftime("%d/%m/%Y")]  # either form of date is taken
    result = CliRunner().invoke(rebalance_app, [*args, "--new", str(new), "--out", str(out)])
    assert result.exit_code == 0, result.output
    changes = (out / "changes.csv").read_text().splitlines()
    assert changes[0] == (
        "case_id,before_person,after_person,before_start,after_start,kind,needed_by,reason"
    )
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


# ---------------------------------------------------------------------------------------------
# Consent withdrawn after the plan was made (#11)
# ---------------------------------------------------------------------------------------------


def _withdrawn_county() -> Scenario:
    """C0 runs with `a` (weeks 0-5) and C1 is planned with `b` (weeks 6-7); both families then
    withdrew consent (agreements.csv says 'no'). C2 still has consent."""
    rows = [
        plan_row("C0", "a", monday(0), friday(5)),
        plan_row("C1", "b", monday(6), friday(7), status="planned"),
    ]
    agreements = [
        case("C0", weeks=6, consent="no"),
        case("C1", weeks=2, consent="no"),
        case("C2", weeks=2),
    ]
    return county(
        [teacher("a", minutes=100), teacher("b", minutes=100)], agreements, current_plan=rows
    )


def _assert_withdrawn(plan: CaseloadPlan, today: date) -> None:
    stopped = plan.assignment_of("C0")
    assert stopped is not None and stopped.status == PlanStatus.WITHDRAWN
    assert (stopped.person_id, stopped.start, stopped.end) == ("a", monday(0), today)
    assert plan.assignment_of("C1") is None
    dropped = plan.waiting_of("C1")
    assert dropped is not None and dropped.reason.startswith("consent withdrawn")
    assert dropped.earliest_possible_start is None and dropped.help is None


def test_assign_stops_running_support_and_drops_planned_support_without_consent() -> None:
    s = _withdrawn_county()
    outcome = plan_caseload(s, FAST)
    # Without a day given, support stops on the day the plan is made (here after the year: its end).
    _assert_withdrawn(outcome.plan, min(friday(5), date.today()))
    assert outcome.check.ok, outcome.check.breaches
    assert outcome.plan.assignment_of("C2") is not None


def test_rebalance_withdraws_on_today_with_reasons_and_frees_the_time() -> None:
    s = _withdrawn_county()
    current = CaseloadPlan(
        assignments=tuple(
            Assignment(
                case_id=r.case_id,
                person_id=r.person_id,
                team="Northdown",
                start=r.start,
                end=r.end,
                minutes_per_week=60,
                travel_minutes=20,
                status=r.status,
            )
            for r in s.current_plan
        )
    )
    plain = s.model_copy(update={"current_plan": ()})
    today = monday(2) + timedelta(days=2)
    result = rebalance(plain, current, [case("N1", weeks=3, priority=1)], FAST, today=today)
    _assert_withdrawn(result.plan, today)
    assert result.outcome.check.ok, result.outcome.check.breaches
    reasons = {c.case_id: c.reason for c in result.changes}
    assert reasons["C0"].startswith("consent withdrawn: the support with a stops on")
    assert reasons["C1"] == "consent withdrawn: the support planned with b is dropped"
    # Withdrawals are not moves: the solver's count and the checker's agree without them.
    assert result.moved == result.outcome.check.changes == 0
    # a's time after the stop is free again: the urgent new case can start in the week of today.
    new = result.plan.assignment_of("N1")
    assert new is not None and new.start <= monday(3)


def test_rebalance_reads_the_current_plan_csv_columns(tmp_path: Path) -> None:
    """`--plan` takes the scenario format's current_plan.csv: minutes from the agreement, travel
    from the travel model (travel_minutes.csv here: 10 each way), team from the person."""
    s, _ = planned_county()
    planned = plan_caseload(s, FAST)
    write_caseload(planned.plan, planned.load, tmp_path / "plan")
    full = read_assignments(tmp_path / "plan" / "assignments.csv")
    short = tmp_path / "current_plan.csv"
    short.write_text(
        "case_id,person_id,start,end,status\n"
        + "".join(
            f"{a.case_id},{a.person_id},{a.start},{a.end},{a.status.value}\n"
            for a in full.assignments
        )
    )
    derived = read_plan(short, s)
    assert sorted(derived.assignments, key=lambda a: a.case_id) == sorted(
        full.assignments, key=lambda a: a.case_id
    )
    folder = tmp_path / "county"
    write_scenario(s, folder)
    out = tmp_path / "out"
    args = ["--scenario", str(folder), "--plan", str(short), "--out", str(out)]
    result = CliRunner().invoke(rebalance_app, args)
    assert result.exit_code == 0, result.output
    assert (out / "changes.csv").read_text().splitlines()[1:] == []


def test_rebalance_reads_the_scenario_folders_own_current_plan(tmp_path: Path) -> None:
    s = _withdrawn_county()
    folder = tmp_path / "county"
    write_scenario(s, folder)
    out = tmp_path / "out"
    args = ["--scenario", str(folder), "--plan", str(folder / "current_plan.csv")]
    result = CliRunner().invoke(rebalance_app, [*args, "--out", str(out), "--today", "2025-09-17"])
    assert result.exit_code == 0, result.output
    rows = (out / "assignments.csv").read_text().splitlines()
    assert any(
        r.startswith("C0,a,Northdown,2025-09-01,2025-09-17,") and r.endswith(",withdrawn")
        for r in rows
    )
    assert not any(r.startswith("C1,") for r in rows)
    changes = (out / "changes.csv").read_text()
    assert "consent withdrawn" in changes


def test_a_current_plan_csv_row_naming_an_unknown_case_or_person_is_a_problem(
    tmp_path: Path,
) -> None:
    s, _ = planned_county()
    bad = tmp_path / "current_plan.csv"
    bad.write_text(
        "case_id,person_id,start,end,status\n"
        f"C0,a,{monday(0)},{friday(2)},running\n"
        f"NOPE,a,{monday(0)},{friday(2)},running\n"
        f"C1,zz,{monday(0)},{friday(2)},planned\n"
        f"C2,a,{friday(2)},{monday(0)},planned\n"
    )
    with pytest.raises(ScenarioError) as caught:
        read_plan(bad, s)
    text = str(caught.value)
    assert "current_plan.csv, row 3, column 'case_id'" in text
    assert "current_plan.csv, row 4, column 'person_id'" in text
    assert "current_plan.csv, row 5, column 'end'" in text


def test_lift_assign_stops_support_without_consent_on_today(tmp_path: Path) -> None:
    from allocator.cli.caseload import assign_app

    folder = tmp_path / "county"
    write_scenario(_withdrawn_county(), folder)
    out = tmp_path / "out"
    args = ["--scenario", str(folder), "--out", str(out), "--time-limit", "2"]
    result = CliRunner().invoke(assign_app, [*args, "--today", "2025-09-17"])
    assert result.exit_code == 0, result.output
    assert "Consent withdrawn: 1 case(s) with support stopped" in result.output
    rows = (out / "assignments.csv").read_text().splitlines()
    assert "C0,a,Northdown,2025-09-01,2025-09-17,60,20,withdrawn" in rows
    assert not any(r.startswith("C1,") for r in rows)
    unassigned = (out / "unassigned.csv").read_text()
    assert "C1,consent withdrawn: its planned support with b from" in unassigned
    bad = CliRunner().invoke(assign_app, [*args, "--today", "17/09/2025"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def test_lift_rebalance_takes_today_from_the_clock_moved_into_the_year(tmp_path: Path) -> None:
    s, _ = planned_county()
    folder = tmp_path / "scenario"
    write_scenario(s, folder)
    plan = plan_caseload(s, FAST)
    write_caseload(plan.plan, plan.load, tmp_path / "plan")
    args = ["--scenario", str(folder), "--plan", str(tmp_path / "plan" / "assignments.csv")]
    result = CliRunner().invoke(rebalance_app, [*args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    # The test year is 2025-26: the real date is after it, so the year's last day is taken, said so.
    assert "is after the scenario's year: taking its last day" in result.output
    bad = CliRunner().invoke(rebalance_app, [*args, "--today", "31/02/2026"])
    words = " ".join(bad.output.replace("│", " ").split())
    assert bad.exit_code == 2 and "YYYY-MM-DD or DD/MM/YYYY" in words


def test_a_district_rebalance_plans_and_reports_only_its_own_team() -> None:
    s, plan = planned_county()
    mine = case("N1", urn=SOUTH_PRIMARY, weeks=2)
    result = rebalance(s, plan, [mine], FAST, district="Southfield")
    assert result.outcome.check.ok, result.outcome.check.breaches
    assert set(result.plan.case_ids()) == {"N1"}  # the county's Northdown cases are not listed
    assert {c.case_id for c in result.changes} == {"N1"}
    with pytest.raises(ScenarioError, match="a case of Southfield's team"):
        rebalance(s, plan, [case("N2", weeks=2)], FAST, district="Southfield")


def test_the_baseline_policies_run_on_the_same_inputs() -> None:
    s = county(
        [teacher("a", minutes=100)],
        [case("C0", weeks=5), case("C1", weeks=6, agreed=monday(1))],
    )
    plan = plan_caseload(s, FAST).plan
    urgent = case("N1", weeks=2, lac=True, priority=1)
    inserted = rebalance(s, plan, [urgent], FAST, policy="insert")
    assert inserted.broken == 0 and inserted.plan.assignment_of("N1") is None  # no room left
    again = rebalance(s, plan, [urgent], FAST, policy="reoptimise")
    assert again.outcome.check.ok and again.plan.assignment_of("N1") is not None
    with pytest.raises(ValueError, match="expected one of promises, reoptimise, insert"):
        rebalance(s, plan, [urgent], FAST, policy="fastest")


def test_a_routine_case_that_does_not_fit_waits_rather_than_break_a_promise() -> None:
    # `a` is promised to C1 for the whole year; a routine new case for `a` cannot start without
    # moving C1, so it waits; an urgent one starts and C1's promise is broken, naming it.
    rows = [plan_row("C1", "a", monday(0), friday(10), "planned")]
    s = county([teacher("a", minutes=100)], [case("C1", weeks=11)], current_plan=rows)
    plan = plan_caseload(s, FAST).plan
    routine = rebalance(s, plan, [case("N1", weeks=3)], FAST, today=monday(0))
    assert routine.broken == 0 and routine.plan.assignment_of("N1") is None
    urgent = rebalance(s, plan, [case("N2", weeks=3, priority=1)], FAST, today=monday(0))
    assert urgent.broken == 1 and urgent.plan.assignment_of("N2") is not None
    (broken,) = [c for c in urgent.changes if c.kind == "broken"]
    assert broken.needed_by == "N2"
