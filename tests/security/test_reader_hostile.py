"""Hostile-input corpus of the scenario reader (issue #11): every class is refused by file, row, column.

The reader must never crash and never silently accept: each input below gives a `ScenarioError` whose
problems name the file (and the row and column where there is one). A hypothesis test then mutates a
valid folder's bytes, cells and headers and checks that nothing else ever comes out.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from typer.testing import CliRunner

from allocator.cli.main import app
from allocator.io import read_scenario, read_scenario_with_notes, write_scenario
from allocator.io.scenario_folder import FILES, INDICATORS_FILE, KNOWN_FILES
from allocator.model import (
    Agreement,
    Closure,
    Person,
    Problem,
    ScenarioError,
    ScenarioSettings,
    School,
    Term,
)
from tests.builders.folders import make_tiny_scenario, problems_of, read_rows, set_cell


def found(problems: list[Problem], file: str, row: int | None, column: str | None) -> Problem:
    """The problem at file, row and column (fails listing every problem if there is none)."""
    for p in problems:
        if p.file == file and p.row == row and p.column == column:
            return p
    raise AssertionError([str(p) for p in problems])


def write_raw(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def raw(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


# ---------------------------------------------------------------------------------------------
# 1. Duplicated columns
# ---------------------------------------------------------------------------------------------


def test_a_second_consent_column_all_yes_is_refused(folder: Path) -> None:
    path = folder / "agreements.csv"
    header, rows = raw(path)
    write_raw(path, [*header, "consent"], [[*r, "yes"] for r in rows])
    problem = found(problems_of(folder), "agreements.csv", 1, "consent")
    assert "each column once" in problem.expected
    assert "column 11 repeats column 6" in problem.expected


OPTIONAL_ABSENT = {
    "current_plan.csv",
    "travel_minutes.csv",
    "requests.csv",
    "agreement_details.csv",
    "reviews.csv",
}  # the tiny county has none
CSV_FILES = sorted({f.name for f in FILES} - OPTIONAL_ABSENT | {INDICATORS_FILE})


@pytest.mark.parametrize("name", CSV_FILES)
def test_any_duplicated_column_of_any_csv_is_refused(folder: Path, name: str) -> None:
    path = folder / name
    header, rows = raw(path)
    write_raw(path, [*header, header[-1]], [[*r, r[-1]] for r in rows])
    assert "each column once" in found(problems_of(folder), name, 1, header[-1]).expected


@pytest.mark.parametrize("twin", [" consent", "Consent", "CONSENT "])
def test_a_column_repeated_in_another_case_or_spacing_is_refused(folder: Path, twin: str) -> None:
    path = folder / "agreements.csv"
    header, rows = raw(path)
    write_raw(path, [*header, twin], [[*r, "yes"] for r in rows])
    assert (
        "each column once" in found(problems_of(folder), "agreements.csv", 1, twin.strip()).expected
    )


def test_unnamed_trailing_columns_are_not_duplicates(folder: Path) -> None:
    """A spreadsheet's trailing empty columns (`a,b,,`) are ignored, as before."""
    path = folder / "schools.csv"
    header, rows = raw(path)
    write_raw(path, [*header, "", ""], [[*r, "", ""] for r in rows])
    read_scenario(folder)


# ---------------------------------------------------------------------------------------------
# 2. Control characters
# ---------------------------------------------------------------------------------------------

UNSAFE = [
    "\x07",
    "\x1b[31m",
    "\r",
    "\n",
    "\t",
    "\x7f",
    "\x85",
    "\u2028",
    "\u202e",
    "\u2066",
    "\ufeff",
]


@pytest.mark.parametrize("char", UNSAFE, ids=[f"U+{ord(c[0]):04X}" for c in UNSAFE])
def test_a_control_character_inside_a_name_is_refused(folder: Path, char: str) -> None:
    set_cell(folder, "people.csv", 3, "name", f"Coordinator{char}1")
    problem = found(problems_of(folder), "people.csv", 3, "name")
    assert f"U+{ord(char[0]):04X}" in problem.expected
    assert problem.value == f"Coordinator<U+{ord(char[0]):04X}>{char[1:]}1"  # shown, not sent


TEXT_CELLS = [
    ("closures.csv", 2, "reason"),
    ("districts.csv", 2, "district"),
    ("special_schools.csv", 3, "note"),
    ("special_schools.csv", 2, "school"),
    ("schools.csv", 2, "name"),
    ("lift_groups.csv", 2, "group"),
    ("lift_groups.csv", 2, "attendees"),
    ("meeting_slots.csv", 2, "venue"),
    ("meeting_slots.csv", 2, "slot"),
    ("people.csv", 2, "team"),
    ("unavailability.csv", 2, "reason"),
    ("agreements.csv", 3, "consent"),
    ("district_indicators.csv", 2, "district"),
]


@pytest.mark.parametrize(("file", "row", "column"), TEXT_CELLS)
def test_control_characters_are_refused_in_every_text_column(
    folder: Path, file: str, row: int, column: str
) -> None:
    value = read_rows(folder, file)[row - 2][column]
    set_cell(folder, file, row, column, value[:2] + "\u202e" + value[2:])
    assert "U+202E" in found(problems_of(folder), file, row, column).expected


def test_a_nul_byte_is_refused_naming_the_file_and_line(folder: Path) -> None:
    path = folder / "people.csv"
    path.write_bytes(path.read_bytes().replace(b"Coordinator 1", b"Coord\x00inator 1"))
    problem = found(problems_of(folder), "people.csv", None, None)
    assert "NUL" in problem.expected and "line 3" in problem.expected


def test_a_control_character_in_a_column_name_is_refused(folder: Path) -> None:
    path = folder / "schools.csv"
    path.write_text(path.read_text().replace("pupils", "pup\x1bils", 1))
    assert "control" in found(problems_of(folder), "schools.csv", 1, "pup<U+001B>ils").expected


@pytest.mark.parametrize(
    "build",
    [
        lambda: Person(
            person_id="p1",
            name="Ann\u202eeB",
            role="specialist_teacher",
            team="Thanet",
            base_lat=51,
            base_lon=1,
        ),
        lambda: Closure(date=date(2025, 9, 1), reason="INSET\x07"),
        lambda: ScenarioSettings(name="Ke\nnt", academic_year="2025-26"),
    ],
)
def test_the_model_refuses_control_characters_too(build: Callable[[], object]) -> None:
    """The API builds entities without the reader: the model's own types refuse them."""
    with pytest.raises(ValidationError, match="control or bidirectional"):
        build()


# ---------------------------------------------------------------------------------------------
# 3. Integers and numbers out of range
# ---------------------------------------------------------------------------------------------

OUT_OF_RANGE = [
    ("schools.csv", 2, "urn", str(2**63 + 1)),
    ("schools.csv", 2, "urn", "1000000"),
    ("schools.csv", 2, "urn", "9" * 5000),
    ("agreements.csv", 2, "school_urn", str(2**64)),
    ("schools.csv", 2, "pupils", "2000000"),
    ("districts.csv", 2, "population", str(2**63)),
    ("meeting_slots.csv", 2, "case_capacity", "100000"),
    ("people.csv", 4, "minutes_per_week", "99999999"),
    ("agreements.csv", 2, "minutes_per_week", "1e3"),
    ("agreements.csv", 2, "weeks", "-1"),
    ("lift_groups.csv", 2, "meetings_per_half_term", "1000"),
    ("district_indicators.csv", 2, "hi_children", "99999999999"),
    ("district_indicators.csv", 2, "pupils", "inf"),
    ("district_indicators.csv", 2, "baseline_fte", "nan"),
    ("district_indicators.csv", 2, "sen_support", "1e300"),
    ("districts.csv", 2, "lat", "nan"),
    ("schools.csv", 2, "lon", "inf"),
]


@pytest.mark.parametrize(("file", "row", "column", "value"), OUT_OF_RANGE)
def test_numbers_out_of_range_are_refused(
    folder: Path, file: str, row: int, column: str, value: str
) -> None:
    set_cell(folder, file, row, column, value)
    problem = found(problems_of(folder), file, row, column)
    assert problem.value is not None and len(problem.value) <= 83  # a giant value is cut short


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("road_factor = 1.3", "road_factor = inf", "caseload.road_factor"),
        ("travel_speed_kmh = 30.0", "travel_speed_kmh = nan", "caseload.travel_speed_kmh"),
        ("minutes_per_fte_week = 1110", "minutes_per_fte_week = 9223372036854775807", None),
        ("spacing = 2", "spacing = 9223372036854775807", "rota.spacing"),
    ],
)
def test_toml_numbers_out_of_range_are_refused(
    folder: Path, old: str, new: str, key: str | None
) -> None:
    path = folder / "scenario.toml"
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))
    found(problems_of(folder), "scenario.toml", None, key or old.split(" ")[0])


def test_urns_are_six_digits_at_most_in_the_model() -> None:
    with pytest.raises(ValidationError, match="less than or equal to 999999"):
        School.model_validate(
            {
                "urn": 2**63 + 1,
                "name": "x",
                "district": "d",
                "phase": "primary",
                "pupils": 1,
                "lat": 51,
                "lon": 1,
            }
        )


# ---------------------------------------------------------------------------------------------
# 4. Dates outside the academic year
# ---------------------------------------------------------------------------------------------

DATES = [
    ("terms.csv", 7, "last_day", "9999-12-31", "2099-12-31"),
    ("terms.csv", 7, "last_day", "2026-09-01", "2025-09-01 to 2026-08-31"),
    ("terms.csv", 2, "first_day", "2025-08-29", "2025-09-01 to 2026-08-31"),
    ("closures.csv", 2, "date", "2031-01-01", "2024-09-01 to 2027-08-31"),
    ("unavailability.csv", 2, "last_day", "2099-12-31", "2024-09-01 to 2027-08-31"),
    ("agreements.csv", 2, "agreed_on", "2001-01-01", "2024-09-01 to 2027-08-31"),
    ("agreements.csv", 2, "agreed_on", "1899-12-31", "2000-01-01 to 2099-12-31"),
]


@pytest.mark.parametrize(("file", "row", "column", "value", "expected"), DATES)
def test_dates_outside_the_year_are_refused_with_the_range(
    folder: Path, file: str, row: int, column: str, value: str, expected: str
) -> None:
    set_cell(folder, file, row, column, value)
    problem = found(problems_of(folder), file, row, column)
    assert expected in problem.expected, str(problem)


def test_plan_dates_outside_the_window_are_refused(folder: Path) -> None:
    (folder / "current_plan.csv").write_text(
        "case_id,person_id,start,end,status\nT-0001,ST1,2025-10-06,2035-12-01,planned\n"
    )
    assert "2027-08-31" in found(problems_of(folder), "current_plan.csv", 2, "end").expected


def test_overlapping_terms_are_refused(folder: Path) -> None:
    set_cell(folder, "terms.csv", 3, "first_day", "2025-10-10")
    found(problems_of(folder), "terms.csv", 3, "first_day")


@pytest.mark.parametrize("year", ["2025-27", "1999-00", "٢٠٢٥-٢٦", "2025-2026"])
def test_an_academic_year_of_the_wrong_form_is_refused(folder: Path, year: str) -> None:
    path = folder / "scenario.toml"
    path.write_text(path.read_text().replace('"2025-26"', f'"{year}"'))
    found(problems_of(folder), "scenario.toml", None, "academic_year")


def test_a_term_model_refuses_the_year_9999() -> None:
    with pytest.raises(ValidationError, match="2000-01-01 to 2099-12-31"):
        Term(term=1, first_day=date(2025, 9, 1), last_day=date(9999, 12, 31))


def test_an_agreement_model_refuses_a_date_from_another_century() -> None:
    with pytest.raises(ValidationError, match="2000-01-01 to 2099-12-31"):
        Agreement.model_validate(
            {
                "case_id": "T-1",
                "school_urn": 100001,
                "need_type": "HI",
                "sen_stage": "EHCP",
                "consent": "yes",
                "agreed_on": "0001-01-01",
                "minutes_per_week": 60,
                "weeks": 6,
            }
        )


# ---------------------------------------------------------------------------------------------
# 5. TOML, encodings, empty and ragged files, giant cells
# ---------------------------------------------------------------------------------------------

TOML_TEXTS: list[tuple[str, str]] = [
    ("a = " + "[" * 5000 + "]" * 5000, "nested at most 8"),
    ('name = "x"\n' + "a = " + "[" * 20 + "]" * 20, "nested at most 8"),
    ("name = [unclosed", "valid TOML"),
    ('name = "Tiny"\nname = "Again"', "valid TOML"),
    ("name = 5\nacademic_year = 2025", "valid string"),
    ('name = "Tiny"\nacademic_year = "2025-26"\ncolour = "red"', "Extra inputs"),
    ('name = "Tiny"\nacademic_year = "2025-26"\n[rota]\nspacing = "lots"', "valid integer"),
]


@pytest.mark.parametrize(("text", "expected"), TOML_TEXTS, ids=range(len(TOML_TEXTS)))
@pytest.mark.parametrize("name", ["scenario.toml", "staffing.toml"])
def test_bad_toml_is_refused_naming_the_file(
    folder: Path, name: str, text: str, expected: str
) -> None:
    (folder / name).write_text(text)
    problems = [p for p in problems_of(folder) if p.file == name]
    assert problems
    if name == "scenario.toml" or "TOML" in expected or "nested" in expected:
        assert any(expected in p.expected for p in problems), [str(p) for p in problems]


def test_a_toml_file_may_start_with_a_byte_order_mark(folder: Path) -> None:
    path = folder / "scenario.toml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    read_scenario(folder)


BYTES: list[tuple[str, Callable[[bytes], bytes], int | None, str]] = [
    ("schools.csv", lambda b: b.replace(b"North Primary", b"North Pr\xe9mary"), None, "0xe9"),
    ("scenario.toml", lambda b: b.replace(b"Tiny", b"T\xffny"), None, "not UTF-8"),
    ("people.csv", lambda b: b.decode().encode("utf-16"), None, "UTF-16"),
    ("agreements.csv", lambda b: b"", 1, "the file is empty"),
    ("agreements.csv", lambda b: b"\n\n  \n", 1, "the file is empty"),
    ("scenario.toml", lambda b: b"", None, "the file is empty"),
    ("staffing.toml", lambda b: b"\xef\xbb\xbf \n", None, "the file is empty"),
    ("terms.csv", lambda b: b.replace(b"1,2025", b"1,2025\x00", 1), None, "NUL"),
]


@pytest.mark.parametrize(("name", "damage", "row", "expected"), BYTES)
def test_bad_bytes_are_refused_naming_the_file(
    folder: Path, name: str, damage: Callable[[bytes], bytes], row: int | None, expected: str
) -> None:
    path = folder / name
    path.write_bytes(damage(path.read_bytes()))
    assert expected in found(problems_of(folder), name, row, None).expected


@pytest.mark.parametrize(
    "name",
    [
        "terms.csv",
        "districts.csv",
        "schools.csv",
        "lift_groups.csv",
        "meeting_slots.csv",
        "people.csv",
    ],
)
def test_a_header_only_file_that_needs_rows_is_refused(folder: Path, name: str) -> None:
    path = folder / name
    path.write_text(path.read_text().splitlines()[0] + "\n")
    assert "at least one row" in found(problems_of(folder), name, 2, None).expected


def test_a_header_only_agreements_file_means_no_cases(folder: Path) -> None:
    path = folder / "agreements.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")
    assert read_scenario(folder).agreements == ()


@pytest.mark.parametrize(("extra", "cells"), [(["Oops"], "9 cells"), ([], "7 cells")])
def test_ragged_rows_are_refused(folder: Path, extra: list[str], cells: str) -> None:
    path = folder / "schools.csv"
    header, rows = raw(path)
    rows[1] = [*rows[1], *extra] if extra else rows[1][:-1]
    write_raw(path, header, rows)
    problem = found(problems_of(folder), "schools.csv", 3, None)
    assert problem.value == cells and "8 cells" in problem.expected


def test_trailing_blank_cells_are_not_ragged(folder: Path) -> None:
    path = folder / "schools.csv"
    header, rows = raw(path)
    write_raw(path, header, [[*r, "", ""] for r in rows])
    read_scenario(folder)


def test_a_cell_too_large_for_the_csv_reader_is_refused(folder: Path) -> None:
    set_cell(folder, "people.csv", 3, "name", "x" * 200_000)
    problem = found(problems_of(folder), "people.csv", 3, None)
    assert "field larger than field limit" in problem.expected


def test_a_long_cell_is_refused_and_quoted_short(folder: Path) -> None:
    set_cell(folder, "people.csv", 3, "name", "x" * 50_000)
    problem = found(problems_of(folder), "people.csv", 3, "name")
    assert "at most 200 characters" in problem.expected and len(str(problem)) < 300


def test_an_unclosed_quote_is_refused(folder: Path) -> None:
    path = folder / "schools.csv"
    path.write_text(path.read_text().replace("North Primary", '"North Primary', 1))
    problems = problems_of(folder)
    assert any(p.file == "schools.csv" and p.row == 2 for p in problems), problems


def test_a_folder_where_a_file_should_be_is_refused(folder: Path) -> None:
    (folder / "people.csv").unlink()
    (folder / "people.csv").mkdir()
    assert "a readable file" in found(problems_of(folder), "people.csv", None, None).expected


def test_every_problem_of_a_hostile_folder_is_reported_together(folder: Path) -> None:
    set_cell(folder, "people.csv", 3, "name", "Bad\x1bName")
    set_cell(folder, "schools.csv", 2, "urn", str(2**63 + 1))
    set_cell(folder, "terms.csv", 7, "last_day", "9999-12-31")
    (folder / "staffing.toml").write_text("a = " + "[" * 5000 + "]" * 5000)
    files = {p.file for p in problems_of(folder)}
    assert {"people.csv", "schools.csv", "terms.csv", "staffing.toml"} <= files


def test_lift_check_reports_hostile_input_without_a_traceback(folder: Path) -> None:
    set_cell(folder, "people.csv", 3, "name", "Bad\u202eName")
    (folder / "scenario.toml").write_text("a = " + "[" * 5000 + "]" * 5000)
    result = CliRunner().invoke(app, ["check", str(folder)])
    assert result.exit_code == 2, result.output
    assert "people.csv, row 3, column 'name'" in result.output
    assert "scenario.toml" in result.output and "Traceback" not in result.output


# ---------------------------------------------------------------------------------------------
# 6. Mutation: whatever is done to a valid folder, the reader succeeds or names a file
# ---------------------------------------------------------------------------------------------

HOSTILE_CELLS = [
    "",
    " ",
    "\x00",
    "\x07",
    "a\nb",
    "\r",
    "\u202e",
    "\ufeff",
    "9" * 30,
    str(2**63 + 1),
    "-1",
    "nan",
    "inf",
    "1e308",
    "9999-12-31",
    "0001-01-01",
    "2025-02-30",
    "25:99",
    "yes",
    "no",
    "exception:",
    '"',
    ",",
    ";;;",
    "x" * 5000,
    "=HYPERLINK(1)",
    "Ashford",
    "100001",
]


def _mutate_csv(text: str, draw: st.DrawFn) -> str:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return text
    header = rows[0]
    op = draw(st.sampled_from(["cell", "dup_header", "rename", "drop", "dup_row", "del_row"]))
    if op == "cell" and len(rows) > 1:
        r = draw(st.integers(1, len(rows) - 1))
        c = draw(st.integers(0, max(0, len(rows[r]) - 1)))
        value = draw(st.sampled_from(HOSTILE_CELLS) | st.text(max_size=20))
        if rows[r]:
            rows[r][c] = value
    elif op == "dup_header" and header:
        c = draw(st.integers(0, len(header) - 1))
        twin = draw(st.sampled_from([header[c], header[c].upper(), f" {header[c]} "]))
        rows = [
            [*row, twin if i == 0 else draw(st.sampled_from(["yes", ""]))]
            for i, row in enumerate(rows)
        ]
    elif op == "rename" and header:
        c = draw(st.integers(0, len(header) - 1))
        header[c] = draw(st.sampled_from([*header, "", "x"]) | st.text(max_size=8))
    elif op == "drop" and header:
        c = draw(st.integers(0, len(header) - 1))
        rows = [row[:c] + row[c + 1 :] for row in rows]
    elif op == "dup_row" and len(rows) > 1:
        r = draw(st.integers(1, len(rows) - 1))
        rows.insert(r, list(rows[r]))
    elif op == "del_row" and len(rows) > 1:
        del rows[draw(st.integers(1, len(rows) - 1))]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def _mutate_bytes(data: bytes, draw: st.DrawFn) -> bytes:
    op = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
    at = draw(st.integers(0, max(0, len(data) - 1)))
    if op == "flip" and data:
        bit = 1 << draw(st.integers(0, 7))
        return data[:at] + bytes([data[at] ^ bit]) + data[at + 1 :]
    if op == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    if op == "delete":
        return data[:at] + data[at + draw(st.integers(1, 16)) :]
    return data[:at]


_BASE: dict[str, Path] = {}


def _base_folder() -> Path:
    """A valid tiny scenario written once per session (hypothesis cannot take function fixtures)."""
    if "path" not in _BASE:
        path = Path(tempfile.mkdtemp(prefix="lift-hostile-")) / "tiny"
        write_scenario(make_tiny_scenario(), path)
        _BASE["path"] = path
    return _BASE["path"]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(data=st.data())
def test_mutated_folders_are_read_or_refused_naming_a_file(data: st.DataObject) -> None:
    base = _base_folder()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "s"
        shutil.copytree(base, folder)
        names = sorted(p.name for p in folder.iterdir())
        steps = data.draw(
            st.lists(
                st.tuples(st.sampled_from(names), st.sampled_from(["csv", "bytes"])),
                min_size=1,
                max_size=3,
            )
        )
        for name, kind in steps:
            path = folder / name
            if kind == "csv" and name.endswith(".csv"):
                path.write_text(
                    _mutate_csv(path.read_text(encoding="utf-8", errors="replace"), data.draw)
                )
            else:
                path.write_bytes(_mutate_bytes(path.read_bytes(), data.draw))
        try:
            read_scenario(folder)
        except ScenarioError as error:
            assert error.problems
            for problem in error.problems:
                assert problem.file in KNOWN_FILES, str(problem)
                assert problem.expected
            assert str(error)


def test_an_ignored_file_with_a_control_character_in_its_name_is_noted_printably(
    folder: Path,
) -> None:
    (folder / "evil\x1b[2J.csv").write_text("a\n1\n")
    _, notes = read_scenario_with_notes(folder)
    assert notes == ["evil<U+001B>[2J.csv is not part of the scenario format and was ignored"]


def test_a_header_too_large_for_the_csv_reader_is_refused_at_row_1(folder: Path) -> None:
    path = folder / "closures.csv"
    path.write_text("date,district," + "r" * 200_000 + "\n2025-09-01,,INSET\n")
    assert "field larger" in found(problems_of(folder), "closures.csv", 1, None).expected
