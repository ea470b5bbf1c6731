"""The rota planner: components, proven optima the checker agrees with, reasons when no rota exists,
urgent meetings, the naive baseline, the Kent scenario, random counties and the command line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from typer.testing import CliRunner

from allocator.cli.rota import rota_app
from allocator.io import write_scenario
from allocator.io.rota_export import read_rota_csv
from allocator.model import Closure, RotaSettings, Scenario, Unavailability
from allocator.model.rota_result import Rota, TermWeeks
from allocator.paths import KENT
from allocator.rota.baseline import round_robin_rota
from allocator.rota.check import check_rota
from allocator.rota.data import components
from allocator.rota.explain import explain_rota, precheck
from allocator.rota.plan import next_meetings, plan_rota
from allocator.solve import SolveParams, Status
from tests.builders.rota import (
    FAST,
    QUIET,
    at_weeks,
    group,
    kent_terms,
    random_counties,
    regression_counties,
    scenario,
    school,
    slot,
    small_county,
)


def _agrees(s: Scenario, outcome_rota: Rota | None, objective: int | None) -> None:
    assert outcome_rota is not None
    check = check_rota(s, outcome_rota)
    assert check.ok, check.breaches
    assert objective == check.total


# ---------------------------------------------------------------------------------------------
# Components
# ---------------------------------------------------------------------------------------------


def test_groups_split_where_no_slot_or_clashing_attendee_is_shared() -> None:
    apart = small_county(groups_per_district=2)  # Thanet on Wednesdays, Dover on Thursdays
    assert components(apart) == [("Thanet 1", "Thanet 2"), ("Dover 1", "Dover 2")]
    assert components(apart, "Dover") == [("Dover 1", "Dover 2")]
    clash = scenario(
        [
            group("T1", "Thanet", ("ep",)),
            group("T2", "Thanet", ("om",)),
            group("D1", "Dover", ("ep",)),
        ],
        [slot("A", "Thanet"), slot("D", "Dover", start="10:00", end="12:00")],
    )
    assert components(clash) == [("T1", "T2", "D1")]
    later = clash.model_copy(
        update={
            "meeting_slots": (
                clash.meeting_slots[0],
                slot("D", "Dover", start="13:00", end="15:00"),
            )
        }
    )
    assert components(later) == [("T1", "T2"), ("D1",)]


def test_an_unknown_district_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="Nowhere"):
        components(small_county(), "Nowhere")


# ---------------------------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------------------------


def test_a_small_county_is_planned_to_a_proven_optimum_the_checker_agrees_with() -> None:
    s = small_county(groups_per_district=4, term_weeks=None)
    outcome = plan_rota(s, FAST)
    assert outcome.status == Status.OPTIMAL and outcome.proven_optimal
    assert outcome.check is not None and outcome.check.ok
    _agrees(s, outcome.rota, outcome.objective)
    assert outcome.rota is not None and len(outcome.rota.meetings) == 8 * 6
    assert [c.label for c in outcome.components] == ["Thanet (4 groups)", "Dover (4 groups)"]
    assert "proven optimal" in outcome.summary() and "checker agrees" in outcome.summary()


def test_a_district_is_planned_with_the_groups_that_share_its_attendees() -> None:
    s = scenario(
        [group("T1", "Thanet", ("ep",)), group("D1", "Dover", ("ep",)), group("C1", "Canterbury")],
        [slot("A", "Thanet"), slot("D", "Dover"), slot("C", "Canterbury")],
    )
    outcome = plan_rota(s, FAST, district="Thanet")
    assert outcome.districts == ("Thanet", "Dover")
    assert outcome.rota is not None and {m.group for m in outcome.rota.meetings} == {"T1", "D1"}
    days = [m.date for m in outcome.rota.meetings]
    assert len(days) == len(set(days))  # the EP is never at both on the same morning


def test_a_previous_rota_is_kept_where_the_rules_allow() -> None:
    s = small_county(groups_per_district=3, rota=RotaSettings(stability=50))
    first = plan_rota(s, FAST)
    assert first.rota is not None
    shifted = Rota(
        meetings=tuple(
            at_weeks(s, "Thanet 1", [4] * 6, "Thanet-main")
            + at_weeks(s, "Thanet 2", [2] * 6, "Thanet-main")
            + at_weeks(s, "Thanet 3", [3] * 6, "Thanet-main")
        )
    )
    again = plan_rota(s, FAST, previous=shifted)
    assert again.rota is not None and again.check is not None and again.check.ok
    assert again.check.score("stability").violation == 0
    assert {m.week for m in again.rota.meetings if m.group == "Thanet 1"} == {4}
    assert again.objective == again.check.total


# ---------------------------------------------------------------------------------------------
# When no rota exists
# ---------------------------------------------------------------------------------------------


def test_too_many_groups_for_a_slot_are_named_with_the_fix() -> None:
    terms = kent_terms()
    closed = Closure(date=date(2026, 4, 29), district="Thanet", reason="INSET")  # a Wednesday
    s = scenario(
        [group(f"Thanet {k}", attendees=(f"p{k}",)) for k in range(1, 8)],
        [slot("A")],
        terms=terms,
        closures=[closed],
    )
    outcome = plan_rota(s, FAST)
    assert outcome.rota is None and outcome.status == Status.INFEASIBLE
    texts = [str(r) for r in outcome.reasons]
    assert (
        "Thanet has 7 groups but term 5 has only 4 Wednesdays after closures: "
        "add a second weekly slot or merge two groups"
    ) in texts
    assert all(r.rule == "slot_capacity" for r in outcome.reasons)


def test_a_bank_holiday_is_named_when_it_takes_a_slots_day() -> None:
    monday = scenario(
        [group(f"G{k}", attendees=(f"p{k}",)) for k in range(5)],
        [slot("A", weekday="Monday")],
        terms=kent_terms(),
    )
    reasons = precheck(monday, [g.group for g in monday.lift_groups])
    assert [str(r) for r in reasons] == [
        "Thanet has 5 groups but term 5 has only 4 Mondays after bank holidays: "
        "add a second weekly slot or merge two groups"
    ]


def test_a_group_without_a_meeting_day_is_named() -> None:
    days = [date(2025, 9, 3), date(2025, 9, 10), date(2025, 9, 17)]
    s = scenario(
        [group("G", attendees=("ep",))],
        [slot("A")],
        closures=[Closure(date=d, district="Thanet") for d in days],
    )
    [reason] = plan_rota(s, FAST).reasons
    assert reason.rule == "meeting_days_only" and reason.groups == ("G",)
    assert str(reason).startswith(
        "G (Thanet) must meet once in term 1, but its slot (Wednesday 09:30) has only 0 meeting days "
        "in term 1 after closures"
    )


def test_leave_that_leaves_no_day_is_named_with_the_person() -> None:
    away = Unavailability(
        person_id="ep", first_day=date(2025, 9, 1), last_day=date(2025, 9, 19), reason="course"
    )
    s = scenario([group("G", attendees=("ep",))], [slot("A")], unavailability=[away])
    [reason] = plan_rota(s, FAST).reasons
    assert reason.rule == "attendees_available" and reason.people == ("ep",)
    assert "Ep (educational psychologist) is away 2025-09-01 to 2025-09-19 (course)" in str(reason)


def test_an_attendee_with_too_many_meetings_is_named() -> None:
    s = scenario(
        [group(f"{d} {k}", d, ("ep",)) for d in ("Thanet", "Dover") for k in (1, 2)],
        [slot("A", "Thanet"), slot("D", "Dover", start="10:00")],
    )
    reasons = plan_rota(s, FAST).reasons
    assert len(reasons) == 6 and {r.rule for r in reasons} == {"no_double_booking"}
    assert str(reasons[0]) == (
        "Ep (educational psychologist) must attend 4 meetings in term 1 (4 groups in Thanet and "
        "Dover) but only 3 can be held without a clash: give some of these groups another "
        "attendee, or move a slot to another day or time"
    )


def test_a_conflict_no_count_finds_is_explained_from_an_assumption_core() -> None:
    # P and Q are away in weeks 1-2 of term 1, so G2 and G3 both need week 3 of the one slot.
    leave = [
        Unavailability(person_id=p, first_day=date(2025, 9, 1), last_day=date(2025, 9, 12))
        for p in ("p", "q")
    ]
    s = scenario(
        [
            group("G1", attendees=("ep",)),
            group("G2", attendees=("p",)),
            group("G3", attendees=("q",)),
        ],
        [slot("A")],
        unavailability=leave,
        rota=QUIET,
    )
    assert precheck(s, ["G1", "G2", "G3"]) == []
    outcome = plan_rota(s, FAST)
    assert outcome.rota is None and outcome.status == Status.INFEASIBLE
    [reason] = outcome.reasons
    assert reason.half_term == 1
    assert set(reason.groups) == {"G2", "G3"} and set(reason.people) == {"p", "q"}
    assert "holds 1 meeting a week" in reason.message
    assert "arrange cover for P" in reason.fix
    assert explain_rota(s, ["G1", "G2", "G3"], FAST) == [reason]


# ---------------------------------------------------------------------------------------------
# Urgent cases and the baseline
# ---------------------------------------------------------------------------------------------


def test_next_meetings_with_room_for_an_urgent_case() -> None:
    s = scenario(
        [group("G1", attendees=("ep",)), group("G2", attendees=("ep",))],
        [slot("A", capacity=6)],
        schools=[school(11, "G1", pupils=500), school(12, "G2", pupils=2000)],  # 2 and 8 cases
        rota=RotaSettings(referrals_per_1000_pupils=4.0),
    )
    rota = Rota(meetings=tuple(at_weeks(s, "G1", [1] * 6) + at_weeks(s, "G2", [2] * 6)))
    found = next_meetings(s, rota, 12, after=date(2025, 9, 1), limit=3)
    assert [(f.meeting.group, f.meeting.date, f.spare_cases) for f in found] == [
        ("G1", date(2025, 9, 3), 4),
        ("G1", date(2025, 10, 1), 4),
        ("G1", date(2025, 10, 29), 4),
    ]
    assert next_meetings(s, rota, 11, after=date(2026, 1, 1))[0].meeting.date > date(2026, 1, 1)
    with pytest.raises(ValueError, match="--school"):
        next_meetings(s, rota, 99, after=date(2025, 9, 1))


def test_the_round_robin_rota_is_what_a_coordinator_would_write() -> None:
    s = small_county(groups_per_district=3)
    naive = round_robin_rota(s)
    assert [m.week for m in naive.meetings_of("Thanet 2")] == [2] * 6
    check = check_rota(s, naive)
    assert check.count("no_double_booking") == 0  # Thanet and Dover meet on different days
    assert check.score("edge_weeks").violation == 2 * 6  # group 1 always meets in week 1


# ---------------------------------------------------------------------------------------------
# Kent, and random counties
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_kent_rota_is_proven_optimal_and_the_checker_agrees_from_the_csv(tmp_path: Path) -> None:
    from allocator.io import read_scenario
    from allocator.io.rota_export import write_rota_csv

    kent = read_scenario(KENT)
    outcome = plan_rota(kent, SolveParams(time_limit=60, workers=2, seed=0))
    assert outcome.proven_optimal, outcome.summary()
    assert outcome.rota is not None and outcome.check is not None and outcome.check.ok
    weeks = TermWeeks.of(kent.terms)
    for g in kent.lift_groups:  # every group, early-years group and Executive: once a half-term
        held = outcome.rota.meetings_of(g.group)
        assert sorted(m.half_term for m in held) == [1, 2, 3, 4, 5, 6], g.group
        for m in held:
            assert m.date in set(kent.meeting_days(g.district))
            assert weeks.locate(m.date) is not None
    assert {g.kind.value for g in kent.lift_groups} == {"schools", "early_years", "executive"}
    write_rota_csv(outcome.rota, tmp_path / "rota.csv")
    again = check_rota(kent, read_rota_csv(tmp_path / "rota.csv", kent))
    assert again.ok and again.total == outcome.objective
    assert again.scores == outcome.check.scores


def with_corpus(test: Callable[[Scenario], None]) -> Callable[[Scenario], None]:
    """The fixed regression corpus as explicit examples, run before the random draws every time."""
    for s in regression_counties():
        test = example(s)(test)
    return test


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(random_counties())
@with_corpus
def test_random_counties_get_a_checked_rota_or_a_reason(s: Scenario) -> None:
    outcome = plan_rota(s, SolveParams(time_limit=10, workers=2, seed=1))
    if outcome.rota is None:
        assert outcome.reasons and all(str(r) for r in outcome.reasons)
        assert outcome.status in (Status.INFEASIBLE, Status.UNKNOWN)
        return
    assert outcome.check is not None and outcome.check.ok, outcome.check.breaches
    if outcome.proven_optimal:
        assert outcome.objective == outcome.check.total


# ---------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------


def test_lift_rota_writes_every_output(tmp_path: Path) -> None:
    folder, out = tmp_path / "county", tmp_path / "out"
    write_scenario(small_county(groups_per_district=3), folder)
    result = CliRunner().invoke(
        rota_app,
        ["--scenario", str(folder), "--out", str(out), "--time-limit", "10", "--workers", "2"],
    )
    assert result.exit_code == 0, result.output
    assert "proven optimal" in result.output and "checker agrees" in result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["rota-dover.ics", "rota-thanet.ics", "rota.csv", "rota.png", "rota.xlsx"]
    again = CliRunner().invoke(
        rota_app,
        [
            "--scenario",
            str(folder),
            "--out",
            str(tmp_path / "again"),
            "--previous",
            str(out / "rota.csv"),
        ],
    )
    assert again.exit_code == 0, again.output
    urgent = CliRunner().invoke(
        rota_app,
        [
            "next",
            "--scenario",
            str(folder),
            "--school",
            "1001",
            "--after",
            "2025-09-01",
            "--rota",
            str(out / "rota.csv"),
        ],
    )
    assert urgent.exit_code == 0, urgent.output
    assert "Next LIFT meetings with room" in urgent.output


def test_lift_rota_explains_an_impossible_year_without_a_traceback(tmp_path: Path) -> None:
    folder = tmp_path / "county"
    crowded = scenario(
        [group(f"Thanet {k}", attendees=(f"p{k}",)) for k in range(1, 5)],
        [slot("A")],
        schools=[school(1, "Thanet 1")],  # a scenario needs a school
    )
    write_scenario(crowded, folder)
    result = CliRunner().invoke(
        rota_app, ["--scenario", str(folder), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 1
    assert "Thanet has 4 groups but term 1 has only 3 Wednesdays" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()
    missing = CliRunner().invoke(rota_app, ["--scenario", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2


def test_run_demo_prints_the_summary_and_writes_the_outputs(tmp_path: Path) -> None:
    from io import StringIO

    from rich.console import Console

    from allocator.cli.rota import run_demo

    screen = StringIO()
    run_demo(small_county(groups_per_district=2), tmp_path, Console(file=screen, width=120))
    assert "proven optimal" in screen.getvalue() and "Soft rules" in screen.getvalue()
    assert (tmp_path / "rota.csv").exists() and (tmp_path / "rota-thanet.ics").exists()
