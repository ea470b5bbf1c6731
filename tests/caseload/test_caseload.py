"""The caseload planner end to end: plans, reasons, help, KPIs, exports and the command line."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from rich.console import Console
from typer.testing import CliRunner

from allocator.caseload.data import build_instance, evaluate, placement_errors
from allocator.caseload.outcome import CaseloadOutcome
from allocator.caseload.plan import plan_caseload
from allocator.caseload.rebalance import rebalance
from allocator.caseload.search import compact_starts, priority_greedy
from allocator.cli.caseload import assign_app, run_demo
from allocator.io import write_scenario
from allocator.io.caseload_export import (
    read_assignments,
    read_new_agreements,
    write_caseload,
)
from allocator.model import CaseloadSettings, Scenario, ScenarioError
from allocator.solve import SolveParams
from tests.builders.caseload import (
    FAST,
    NORTH_PRIMARY,
    SOUTH_PRIMARY,
    case,
    county,
    monday,
    regression_counties,
    small_counties,
    teacher,
)

QUICK = SolveParams(time_limit=5.0, workers=2, seed=1)


def agrees_with_checker(outcome: CaseloadOutcome, scenario: Scenario) -> None:
    """Every agreement once, no breach, and the solver's objective values equal the checker's."""
    cases = sorted(outcome.plan.case_ids())
    assert cases == sorted(a.case_id for a in scenario.agreements)
    assert outcome.check.ok, outcome.check.breaches
    values = outcome.solver_values()
    check = outcome.check
    assert values["not_started"] == check.not_started
    assert values["waiting"] == check.waiting
    assert values["travel"] == check.travel
    assert values["neighbour"] == check.neighbour
    assert values["balance"] == check.balance
    assert outcome.objectives.levels == (
        check.not_started,
        check.waiting,
        check.travel + check.neighbour,
        check.balance,
    )


def busy_county() -> Scenario:
    people = [
        teacher("a", minutes=300),
        teacher("b", minutes=200, specialisms="C&I;B&L"),
        teacher("s", "Southfield", minutes=200),
        teacher("h", "HI", "HI", minutes=250),
    ]
    agreements = [
        case(
            f"N{i}",
            weeks=2 + i % 4,
            agreed=monday(i % 9),
            need="C&I" if i % 3 else "B&L",
            lac=i % 5 == 0,
        )
        for i in range(12)
    ] + [
        case("S1", urn=SOUTH_PRIMARY, weeks=4),
        case("S2", urn=SOUTH_PRIMARY, need="HI", weeks=3, priority=1),
        case("S3", urn=SOUTH_PRIMARY, need="PSCN"),
        case("S4", urn=SOUTH_PRIMARY, consent="no"),
    ]
    return county(people, agreements)


@pytest.mark.parametrize("engine", ["time-indexed", "interval"])
def test_plans_every_agreement_once_and_the_checker_agrees(engine: str) -> None:
    s = busy_county()
    outcome = plan_caseload(s, FAST, engine=engine)
    agrees_with_checker(outcome, s)
    assert outcome.proven_optimal
    waiting = {w.case_id: w for w in outcome.plan.waiting}
    assert "consent" in waiting["S4"].reason
    assert "no one in the Southfield team has the PSCN specialism" in waiting["S3"].reason


def test_both_formulations_reach_the_same_optimum() -> None:
    s = busy_county()
    one = plan_caseload(s, FAST, engine="time-indexed")
    two = plan_caseload(s, FAST, engine="interval")
    assert one.proven_optimal and two.proven_optimal
    assert one.objectives == two.objectives


def with_corpus(test: Callable[[Scenario], None]) -> Callable[[Scenario], None]:
    """The fixed regression corpus as explicit examples, run before the random draws every time."""
    for s in regression_counties():
        test = example(s)(test)
    return test


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_counties())
@with_corpus
def test_random_counties_plan_to_what_the_checker_accepts(s: Scenario) -> None:
    outcome = plan_caseload(s, QUICK)
    agrees_with_checker(outcome, s)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_counties())
@with_corpus
def test_random_counties_get_the_same_optimum_from_both_formulations(s: Scenario) -> None:
    one = plan_caseload(s, QUICK, engine="time-indexed")
    two = plan_caseload(s, QUICK, engine="interval")
    if one.proven_optimal and two.proven_optimal:
        assert one.objectives.levels == two.objectives.levels


@pytest.mark.parametrize("engine", ["time-indexed", "interval"])
def test_solver_and_checker_agree_at_non_zero_planning_penalties(engine: str) -> None:
    # Three 6-week cases from week 6 of the 11-week year; Northdown's n and its neighbour Southfield's
    # s (at 60 minutes a week of support) each have room for one (80 minutes a week with travel).
    settings = CaseloadSettings(lead_time_weeks=0, neighbour_teams={"Northdown": ["Southfield"]})
    people = [teacher("n", minutes=100), teacher("s", "Southfield", minutes=100)]
    agreements = [
        case("C1", agreed=monday(6), weeks=6),
        case("C2", agreed=monday(6), weeks=6, lac=True),
        case("C3", agreed=monday(6), weeks=6),
    ]
    s = county(people, agreements, caseload=settings)
    outcome = plan_caseload(s, FAST, engine=engine)
    agrees_with_checker(outcome, s)
    assert outcome.proven_optimal
    assert outcome.solver_values() == {
        "not_started": 1,  # C2 (LAC, weight 4) and one of C1 and C3 (weight 1) start
        "waiting": 1 * (11 - 6),  # the other waits from week 6 to the year's end
        "travel": 2 * 20 * 6,
        "neighbour": 60 * 6,  # one case goes to Southfield
        "balance": 2 * -(-1000 * 80 * 5 // (100 * 11)),  # weeks 6-10 of 11, per team
    }


def test_solver_and_checker_agree_at_non_zero_rebalance_penalties() -> None:
    # `a` has room for one case at a time; C1 is planned from week 0 for the whole year (11 weeks). An
    # urgent LAC case (weight 1 + 3 + 3) can start in the year only at C1's expense: C2 takes weeks
    # 0-2 and C1 moves to week 3: one broken promise, one change, a shift of 3 weeks.
    s = county([teacher("a", minutes=100)], [case("C1", weeks=11)])
    before = plan_caseload(s, FAST)
    assert before.solver_values()["waiting"] == 0
    after = rebalance(s, before.plan, [case("C2", weeks=3, lac=True, priority=1)], FAST)
    full = after.outcome
    assert full.check.ok, full.check.breaches
    check = full.check
    checked = {
        "urgent_not_started": check.urgent_not_started,
        "broken_promises": check.broken_promises,
        "not_started": check.not_started,
        "waiting": check.waiting,
        "travel": check.travel,
        "neighbour": check.neighbour,
        "balance": check.balance,
        "changes": check.changes,
        "start_shift": check.start_shift,
    }
    assert full.solver_values() == checked
    assert checked == {
        "urgent_not_started": 0,
        "broken_promises": 1,
        "not_started": 0,
        "waiting": 1 * 3,  # C1 (weight 1) waits 3 weeks, C2 none
        "travel": 20 * (3 + 11),  # 20 minutes a week there and back
        "neighbour": 0,
        "balance": -(-1000 * 80 * 11 // (100 * 11)),  # every week of the year at 80 of 100
        "changes": 1,
        "start_shift": 3,
    }
    assert (after.moved, after.broken, after.proven_minimal) == (1, 1, True)
    (change,) = [c for c in after.changes if c.case_id == "C1"]
    assert change.kind == "broken" and change.needed_by == "C2"
    assert "needed by C2 (urgent)" in change.reason


def test_a_full_team_says_until_when_and_how_many_minutes_would_start_it() -> None:
    # `a` has 100 minutes, room for one case (80 a week with travel) at a time. Each case runs 11
    # weeks, the whole year: only one can start in it, the LAC case, so C2 waits.
    people = [teacher("a", minutes=100)]
    s = county(people, [case("C1", weeks=11, lac=True), case("C2", weeks=11)])
    outcome = plan_caseload(s, FAST)
    waiting = outcome.plan.waiting_of("C2")
    assert waiting is not None
    assert waiting.reason.startswith("capacity is full: no C&I specialist in the Northdown team")
    # C1 ends with the year; the first week after it is next year's first (52 weeks on).
    assert waiting.earliest_possible_start == monday(0) + timedelta(weeks=52)
    assert waiting.help is not None
    assert (waiting.help.team, waiting.help.extra_minutes_per_week) == ("Northdown", 60)
    assert waiting.help.start == monday(0) and waiting.help.weeks == 11
    # Re-solving with that many more minutes starts it on that date; one minute fewer does not.
    enough = plan_caseload(s, FAST, capacity_override={"Northdown": 160})
    assigned = enough.plan.assignment_of("C2")
    assert assigned is not None and assigned.start == monday(0)
    short = plan_caseload(s, FAST, capacity_override={"Northdown": 159})
    assert short.plan.assignment_of("C2") is None


def test_no_specialist_says_so_and_what_would_help() -> None:
    outcome = plan_caseload(county([teacher("a")], [case("C1", need="PD", weeks=3)]), FAST)
    waiting = outcome.plan.waiting[0]
    assert waiting.reason == "no one in the Northdown team has the PD specialism"
    assert waiting.help is not None and waiting.help.extra_minutes_per_week == 60
    assert waiting.earliest_possible_start is None


def test_one_district_plans_its_team_and_cases_only() -> None:
    # S2 is a hearing case: it stays with the county pool's plan, not the district team's.
    outcome = plan_caseload(busy_county(), FAST, district="Southfield")
    assert sorted(outcome.plan.case_ids()) == ["S1", "S3", "S4"]
    assert {a.team for a in outcome.plan.assignments} == {"Southfield"}


def test_more_capacity_starts_more_cases() -> None:
    s = county(
        [teacher("a", minutes=100)], [case(f"C{i}", weeks=6, agreed=monday(5)) for i in range(3)]
    )
    few = plan_caseload(s, FAST)
    many = plan_caseload(s, FAST, capacity_override={"Northdown": 300})
    assert len(few.plan.assignments) == 1 and len(many.plan.assignments) == 3


def test_kpis_count_waits_in_school_weeks() -> None:
    s = county([teacher("a", minutes=100)], [case("C1", weeks=2, lac=True), case("C2", weeks=2)])
    kpis = plan_caseload(s, FAST).kpis
    assert (kpis.started, kpis.waiting) == (2, 0)
    assert (kpis.median_wait_weeks, kpis.mean_wait_weeks) == (1.0, 1.0)  # waits of 0 and 2
    assert kpis.by_district[0].group == "Northdown" and kpis.by_district[
        0
    ].p90_wait_weeks == pytest.approx(1.8)
    team = next(t for t in kpis.teams if t.team == "Northdown")
    assert team.used_minutes == 4 * 80 and team.capacity_minutes == 1100


def test_the_warm_start_keeps_every_rule_and_compaction_only_helps() -> None:
    inst = build_instance(busy_county())
    greedy = priority_greedy(inst)
    better = compact_starts(inst, greedy)
    assert not placement_errors(inst, greedy) and not placement_errors(inst, better)
    assert evaluate(inst, better).levels[:2] <= evaluate(inst, greedy).levels[:2]
    assert all(better[c].start <= p.start for c, p in greedy.items())


def test_a_generated_county_plans_with_no_breach() -> None:
    from allocator.synthetic.generate import generate_county

    s = generate_county(scale=0.08, seed=3)
    outcome = plan_caseload(s, SolveParams(time_limit=8.0, workers=2, seed=1))
    assert sorted(outcome.plan.case_ids()) == sorted(a.case_id for a in s.agreements)
    assert outcome.check.ok, outcome.check.breaches[:5]


# ---------------------------------------------------------------------------------------------
# Files and the command line
# ---------------------------------------------------------------------------------------------


def test_outputs_are_written_and_the_plan_reads_back(tmp_path: Path) -> None:
    outcome = plan_caseload(busy_county(), FAST)
    paths = write_caseload(outcome.plan, outcome.load, tmp_path)
    names = {p.name for p in paths}
    assert {"assignments.csv", "unassigned.csv", "load.csv", "caseload.xlsx"} <= names
    assert {"utilisation-northdown.png", "utilisation-hi.png"} <= names
    assert read_assignments(tmp_path / "assignments.csv").assignments == tuple(
        sorted(outcome.plan.assignments, key=lambda a: (a.start, a.case_id))
    )
    unassigned = (tmp_path / "unassigned.csv").read_text().splitlines()
    assert unassigned[0].startswith("case_id,reason,earliest_possible_start")
    assert len(unassigned) == 1 + len(outcome.plan.waiting)
    load = (tmp_path / "load.csv").read_text().splitlines()
    assert len(load) == 1 + len(outcome.instance.people) * outcome.instance.horizon
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "caseload.xlsx")["assignments"]
    start, minutes = sheet["D2"], sheet["F2"]  # typed cells, not text
    assert start.is_date and start.number_format == "dd/mm/yyyy" and type(minutes.value) is int
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == sheet.dimensions


def test_bad_files_are_refused_with_row_and_column(tmp_path: Path) -> None:
    new = tmp_path / "new.csv"
    new.write_text(
        "case_id,school_urn,need_type,sen_stage,lac,consent,agreed_on,minutes_per_week,weeks,priority\n"
        f"X-1,{NORTH_PRIMARY},C&I,EHCP,,yes,2025-10-01,60,4,\n"
        f"X-2,{NORTH_PRIMARY},C&I,EHCP,no,maybe,2025-10-01,60,4,2\n"
    )
    with pytest.raises(ScenarioError) as error:
        read_new_agreements(new)
    (problem,) = error.value.problems
    assert (problem.row, problem.column, problem.value) == (3, "consent", "maybe")
    plan = tmp_path / "assignments.csv"
    plan.write_text("case_id,person_id\nC1,a\n")
    with pytest.raises(ScenarioError) as error:
        read_assignments(plan)
    assert {p.column for p in error.value.problems} >= {"team", "start", "end"}


def test_lift_assign_writes_outputs_and_prints_kpis(tmp_path: Path) -> None:
    folder = tmp_path / "county"
    write_scenario(busy_county(), folder)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        assign_app, ["--scenario", str(folder), "--out", str(out), "--time-limit", "5"]
    )
    assert result.exit_code == 0, result.output
    assert "Waits by district" in result.output and "no hard rule broken" in result.output
    assert (out / "assignments.csv").exists()


def test_lift_assign_reports_scenario_problems_and_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(assign_app, ["--scenario", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "problem" in result.output


def test_demo_step_plans_and_writes(tmp_path: Path) -> None:
    console = Console(file=io.StringIO(), width=120)
    run_demo(busy_county(), tmp_path, console)
    assert (tmp_path / "assignments.csv").exists()
    assert "Caseload" in console.file.getvalue()  # type: ignore[attr-defined]


def test_capacity_from_staffing_sizes_each_team_by_the_formula(
    tmp_path: Path, tiny_scenario: Scenario
) -> None:
    from allocator.staffing.formula import allocate_staffing, team_capacity_from_staffing

    s = tiny_scenario
    override = team_capacity_from_staffing(s, allocate_staffing(s))
    outcome = plan_caseload(s, FAST, capacity_override=override)
    inst = outcome.instance
    for team in ("Northdown", "Southfield", "HI"):
        given = sum(p.minutes_per_week for p in inst.people if p.team == team)
        assert abs(given - override[team]) <= len(inst.people)  # rounding per person
    assert outcome.check.ok
    folder = tmp_path / "tiny"
    write_scenario(s, folder)
    result = CliRunner().invoke(
        assign_app,
        ["--scenario", str(folder), "--out", str(tmp_path / "out"), "--capacity-from-staffing"],
    )
    assert result.exit_code == 0, result.output


def test_the_lp_bound_never_exceeds_the_first_level() -> None:
    """The time-indexed LP relaxation bounds the first level from below; the gap counts it."""
    from allocator.caseload.timeindexed import first_level_lp_bound

    s = busy_county()
    outcome = plan_caseload(s, FAST)
    assert outcome.proven_optimal
    solved = [part for part in outcome.parts if part.results]
    assert solved and all(part.lp_bound is not None for part in solved)
    for part in solved:
        assert part.lp_bound is not None and part.objectives is not None
        assert part.lp_bound <= part.objectives.not_started
    bound = outcome.level_bound(0)
    assert bound is not None and bound <= outcome.objectives.not_started
    assert outcome.gap is not None and outcome.gap >= 0
    instance = build_instance(s)
    total = sum(first_level_lp_bound(part) or 0 for part in instance.components())
    assert total <= outcome.objectives.not_started


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_counties())
def test_random_counties_lp_bound_is_below_the_optimum(s: Scenario) -> None:
    outcome = plan_caseload(s, QUICK)
    for part in outcome.parts:
        if part.lp_bound is not None and part.objectives is not None:
            assert part.lp_bound <= part.objectives.not_started
            if part.levels and part.levels[0].status.value == "optimal":
                # Proven optimal: the LP bound cannot be above CP-SAT's proof (which CP-SAT reports as
                # a float: 3.999999999999999 for 4, hence the tolerance).
                assert part.lp_bound <= part.levels[0].objective + 1e-6  # type: ignore[operator]
