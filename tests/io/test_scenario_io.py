"""The scenario folder: round trip, and every validation rule reported by file, row and column."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from allocator.io import read_scenario, read_scenario_with_notes, write_scenario
from allocator.model import RULES, Problem, Scenario, ScenarioError
from tests.builders.folders import append_row, drop_column, problems_of, read_rows, set_cell


def has(problems: list[Problem], file: str, row: int | None, column: str | None) -> bool:
    return any(p.file == file and p.row == row and p.column == column for p in problems)


def test_round_trip_is_equal(folder: Path, tiny_scenario: Scenario) -> None:
    assert read_scenario(folder) == tiny_scenario


def test_round_trip_twice_writes_identical_files(folder: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    write_scenario(read_scenario(folder), again)
    for path in sorted(folder.iterdir()):
        assert (again / path.name).read_text() == path.read_text(), path.name


def test_unknown_files_are_ignored_with_a_note(folder: Path) -> None:
    (folder / "notes.csv").write_text("a,b\n1,2\n")
    _, notes = read_scenario_with_notes(folder)
    assert notes == ["notes.csv is not part of the scenario format and was ignored"]


def test_missing_folder_is_one_problem(tmp_path: Path) -> None:
    problems = problems_of(tmp_path / "nowhere")
    assert len(problems) == 1 and "does not exist" in problems[0].expected


def test_missing_required_file(folder: Path) -> None:
    (folder / "people.csv").unlink()
    problems = problems_of(folder)
    assert any(p.file == "people.csv" and "required" in p.expected for p in problems)


def test_missing_scenario_toml(folder: Path) -> None:
    (folder / "scenario.toml").unlink()
    assert any(p.file == "scenario.toml" for p in problems_of(folder))


def test_bad_toml_value_is_named_by_key(folder: Path) -> None:
    text = (
        (folder / "scenario.toml")
        .read_text()
        .replace('academic_year = "2025-26"', 'academic_year = "next year"')
    )
    (folder / "scenario.toml").write_text(text)
    assert has(problems_of(folder), "scenario.toml", None, "academic_year")


def test_staffing_weights_must_sum_to_one(folder: Path) -> None:
    text = (folder / "staffing.toml").read_text().replace("pupils = 0.5", "pupils = 0.7")
    (folder / "staffing.toml").write_text(text)
    problems = problems_of(folder)
    assert any(p.file == "staffing.toml" and "sum to 1.2" in p.expected for p in problems)


def test_missing_column_is_named(folder: Path) -> None:
    drop_column(folder, "schools.csv", "pupils")
    problems = problems_of(folder)
    assert has(problems, "schools.csv", 1, "pupils")


# Field rules: one damaged cell each -> (file, row, column) reported.
FIELD_CASES: list[tuple[str, int, str, str]] = [
    ("terms.csv", 3, "first_day", "27/10/2025"),
    ("terms.csv", 2, "last_day", "2025-08-01"),
    ("closures.csv", 2, "date", "someday"),
    ("districts.csv", 2, "population", "-5"),
    ("districts.csv", 3, "lat", "north"),
    ("special_schools.csv", 2, "role", "boss"),
    ("special_schools.csv", 2, "need_types", "PSCN;XYZ"),
    ("schools.csv", 2, "urn", "abc"),
    ("schools.csv", 3, "phase", "college"),
    ("lift_groups.csv", 2, "kind", "committee"),
    ("lift_groups.csv", 2, "meetings_per_half_term", "0"),
    ("meeting_slots.csv", 2, "weekday", "Saturday"),
    ("meeting_slots.csv", 2, "start", "9.30"),
    ("meeting_slots.csv", 3, "end", "13:00"),
    ("people.csv", 4, "role", "wizard"),
    ("people.csv", 4, "minutes_per_week", "-60"),
    ("people.csv", 2, "person_id", "Jane Smith"),
    ("unavailability.csv", 2, "last_day", "2025-10-01"),
    ("agreements.csv", 2, "consent", "maybe"),
    ("agreements.csv", 2, "agreed_on", "2025-13-45"),
    ("agreements.csv", 3, "need_type", "ADHD"),
    ("agreements.csv", 3, "sen_stage", "statement"),
    ("agreements.csv", 2, "lac", "perhaps"),
    ("agreements.csv", 2, "priority", "4"),
    ("agreements.csv", 2, "weeks", "0"),
    ("agreements.csv", 2, "case_id", "Jane Smith"),
    ("district_indicators.csv", 2, "pupils", "many"),
]


@pytest.mark.parametrize(("file", "row", "column", "value"), FIELD_CASES)
def test_field_rule(folder: Path, file: str, row: int, column: str, value: str) -> None:
    set_cell(folder, file, row, column, value)
    problems = problems_of(folder)
    assert has(problems, file, row, column), [str(p) for p in problems]
    hit = next(p for p in problems if p.file == file and p.row == row and p.column == column)
    assert hit.value == value or column in {"last_day", "end"}


def test_exception_consent_needs_a_reason(folder: Path) -> None:
    set_cell(folder, "agreements.csv", 2, "consent", "exception:")
    problems = problems_of(folder)
    assert any("reason" in p.expected for p in problems if p.column == "consent")


# Cross-reference rules: each registered rule has at least one damage that it alone reports.
Damage = Callable[[Path], None]
RULE_CASES: dict[str, tuple[Damage, str, int | None, str]] = {
    "details_known": (
        lambda f: (f / "agreement_details.csv").write_text("case_id\nT-9999\n"),
        "agreement_details.csv",
        2,
        "case_id",
    ),
    "reviews_known": (
        lambda f: (f / "reviews.csv").write_text(
            "case_id,date,kind,measure,value\nT-9999,2025-10-01,entry,m,1\n"
        ),
        "reviews.csv",
        2,
        "case_id",
    ),
    "unique_keys": (
        lambda f: set_cell(f, "schools.csv", 3, "urn", "100001"),
        "schools.csv",
        3,
        "urn",
    ),
    "six_terms_in_order": (
        lambda f: set_cell(f, "terms.csv", 3, "first_day", "2025-10-10"),
        "terms.csv",
        3,
        "first_day",
    ),
    "dates_in_academic_year": (
        lambda f: set_cell(f, "terms.csv", 7, "last_day", "2026-09-30"),
        "terms.csv",
        7,
        "last_day",
    ),
    "districts_known": (
        lambda f: set_cell(f, "schools.csv", 2, "district", "Atlantis"),
        "schools.csv",
        2,
        "district",
    ),
    "school_groups_known": (
        lambda f: set_cell(f, "schools.csv", 2, "lift_group", "Nowhere"),
        "schools.csv",
        2,
        "lift_group",
    ),
    "group_attendees_known": (
        lambda f: set_cell(f, "lift_groups.csv", 2, "attendees", "EP1;GHOST"),
        "lift_groups.csv",
        2,
        "attendees",
    ),
    "group_slots_known": (
        lambda f: set_cell(f, "lift_groups.csv", 2, "slots", "S-A"),
        "lift_groups.csv",
        2,
        "slots",
    ),
    "people_teams_known": (
        lambda f: set_cell(f, "people.csv", 4, "team", "Mars"),
        "people.csv",
        4,
        "team",
    ),
    "person_references_known": (
        lambda f: set_cell(f, "unavailability.csv", 2, "person_id", "GHOST"),
        "unavailability.csv",
        2,
        "person_id",
    ),
    "school_references_known": (
        lambda f: set_cell(f, "agreements.csv", 2, "school_urn", "999999"),
        "agreements.csv",
        2,
        "school_urn",
    ),
    "plan_cases_known": (
        lambda f: (f / "current_plan.csv").write_text(
            "case_id,person_id,start,end,status\nT-9999,ST1,2025-10-01,2025-12-01,planned\n"
        ),
        "current_plan.csv",
        2,
        "case_id",
    ),
    "one_lead_school_per_district": (
        lambda f: set_cell(f, "special_schools.csv", 4, "role", "lead"),
        "special_schools.csv",
        4,
        "role",
    ),
    "indicators_complete": (
        lambda f: (f / "staffing.toml").write_text(
            (f / "staffing.toml").read_text().replace("sen_support = 0.5", "fsm = 0.5")
        ),
        "staffing.toml",
        None,
        "high_incidence.weights.fsm",
    ),
}


@pytest.mark.parametrize("name", sorted(RULE_CASES))
def test_cross_reference_rule(folder: Path, name: str) -> None:
    damage, file, row, column = RULE_CASES[name]
    damage(folder)
    problems = problems_of(folder)
    assert has(problems, file, row, column), [str(p) for p in problems]


def test_every_cross_reference_rule_has_a_test() -> None:
    assert set(RULES) == set(RULE_CASES)


def test_pool_member_needs_the_pool_specialism(folder: Path) -> None:
    set_cell(folder, "people.csv", 6, "specialisms", "VI")
    assert has(problems_of(folder), "people.csv", 6, "specialisms")


def test_every_district_needs_indicators(folder: Path) -> None:
    rows = read_rows(folder, "district_indicators.csv")
    path = folder / "district_indicators.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n" + ",".join(rows[0].values()) + "\n")
    problems = problems_of(folder)
    assert any(p.file == "district_indicators.csv" and p.value == "Southfield" for p in problems)


def test_all_problems_are_reported_together(folder: Path) -> None:
    """The issue's damaged copy: missing column, unknown group school, bad date, consent maybe, unknown school."""
    drop_column(folder, "people.csv", "base_lon")
    set_cell(folder, "lift_groups.csv", 2, "attendees", "EP1;NOBODY")
    set_cell(folder, "terms.csv", 2, "first_day", "not a date")
    set_cell(folder, "agreements.csv", 2, "consent", "maybe")
    row = append_row(
        folder,
        "agreements.csv",
        {
            "case_id": "T-0100",
            "school_urn": "123456",
            "need_type": "C&I",
            "sen_stage": "EHCP",
            "lac": "no",
            "consent": "yes",
            "agreed_on": "2025-10-01",
            "minutes_per_week": "60",
            "weeks": "6",
            "priority": "2",
        },
    )
    problems = problems_of(folder)
    assert has(problems, "people.csv", 1, "base_lon")
    assert has(problems, "terms.csv", 2, "first_day")
    assert has(problems, "agreements.csv", 2, "consent")
    assert has(problems, "agreements.csv", row, "school_urn")
    assert len(problems) >= 4


def test_problem_reads_like_a_sentence() -> None:
    problem = Problem(
        file="agreements.csv", row=7, column="consent", value="maybe", expected="expected yes"
    )
    assert str(problem) == "agreements.csv, row 7, column 'consent': got 'maybe'; expected yes"


def test_restrict_to_one_district(tiny_scenario: Scenario) -> None:
    south = tiny_scenario.restrict_to("Southfield")
    assert south.district_names == ("Southfield",)
    assert {s.urn for s in south.schools} == {100003, 100004}
    assert {p.person_id for p in south.people} == {"EP1", "ST2", "HI1"}
    with pytest.raises(ScenarioError):
        tiny_scenario.restrict_to("Atlantis")


def test_copy_of_a_folder_is_still_valid(folder: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    assert read_scenario(copy) == read_scenario(folder)
