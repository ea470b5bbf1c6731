"""agreement_details.csv and reviews.csv: the model's field rules (pairs), the cross-reference rules,
the round trip through the scenario folder, and hostile input (refused by file, row and column)."""

from __future__ import annotations

import csv
import shutil
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from allocator.io import read_scenario, write_scenario
from allocator.io.scenario_folder import KNOWN_FILES
from allocator.model import (
    AgreementDetails,
    Problem,
    Review,
    ReviewSettings,
    ScenarioError,
    ScenarioSettings,
)
from tests.builders.folders import append_row, problems_of, set_cell
from tests.pipeline.cases import DETAILS, REVIEWS, tiny_with_reviews


def found(problems: list[Problem], file: str, row: int | None, column: str | None) -> Problem:
    for p in problems:
        if p.file == file and p.row == row and p.column == column:
            return p
    raise AssertionError([str(p) for p in problems])


@pytest.fixture
def rich_folder(tmp_path: Path) -> Path:
    """The tiny county with details, a plan and reviews, written as a folder."""
    path = tmp_path / "tiny"
    write_scenario(tiny_with_reviews(), path)
    return path


# ---------------------------------------------------------------------------------------------
# Model: each field rule as a pair (accepted, refused)
# ---------------------------------------------------------------------------------------------

REVIEW = {
    "case_id": "T-1",
    "date": "2025-10-01",
    "kind": "entry",
    "measure": "Boxall",
    "value": "4",
}


@pytest.mark.parametrize(
    ("good", "bad", "message"),
    [
        ({"support": "x" * 2000}, {"support": "x" * 2001}, "at most 2000 characters"),
        ({"criteria": "ok"}, {"criteria": "o\u202ek"}, "control or bidirectional"),
        ({"evidence": "  "}, {"evidence": "a\nb"}, "control or bidirectional"),
        ({"review_date": "2026-01-05"}, {"review_date": "2026-02-30"}, "date"),
        ({"review_date": ""}, {"review_date": "9999-12-31"}, "2099-12-31"),
        ({"case_id": "K-1.2_a"}, {"case_id": "Jane Smith"}, "pattern"),
    ],
)
def test_details_field_rules(good: dict[str, str], bad: dict[str, str], message: str) -> None:
    base = {"case_id": "T-1"}
    AgreementDetails.model_validate(base | good)
    with pytest.raises(ValidationError, match=message):
        AgreementDetails.model_validate(base | bad)


def test_blank_details_are_not_recorded() -> None:
    details = AgreementDetails.model_validate({"case_id": "T-1", "support": " ", "review_date": ""})
    assert details.support is None and details.review_date is None


@pytest.mark.parametrize(
    ("good", "bad", "message"),
    [
        ({"kind": "exit"}, {"kind": "maybe"}, "entry"),
        ({"value": "-3.5"}, {"value": "nan"}, "finite"),
        ({"value": "1000000"}, {"value": "1e300"}, "less than or equal"),
        ({"value": "0"}, {"value": "lots"}, "valid number"),
        ({"measure": "Boxall profile"}, {"measure": ""}, "at least 1 character"),
        ({"note": "x" * 1000}, {"note": "x" * 1001}, "at most 1000 characters"),
        ({"date": "2025-10-01"}, {"date": "0001-01-01"}, "2000-01-01"),
    ],
)
def test_review_field_rules(good: dict[str, str], bad: dict[str, str], message: str) -> None:
    Review.model_validate(REVIEW | good)
    with pytest.raises(ValidationError, match=message):
        Review.model_validate(REVIEW | bad)


def test_every_weeks_setting_pair() -> None:
    assert ScenarioSettings(name="x", academic_year="2025-26").reviews.every_weeks == 6
    assert ReviewSettings(every_weeks=60).every_weeks == 60
    with pytest.raises(ValidationError):
        ReviewSettings(every_weeks=0)


# ---------------------------------------------------------------------------------------------
# Cross-reference rules, each as a pair: the rich folder reads; one damage is refused where it is
# ---------------------------------------------------------------------------------------------


def test_the_rich_folder_reads(rich_folder: Path) -> None:
    scenario = read_scenario(rich_folder)
    assert scenario.details == (DETAILS,) and scenario.reviews == REVIEWS


DAMAGES: list[tuple[str, int, str, str, str]] = [
    ("agreement_details.csv", 2, "case_id", "T-9999", "a case_id of agreements.csv"),
    ("agreement_details.csv", 2, "review_date", "2027-01-01", "2025-09-01 to 2026-12-31"),
    ("agreement_details.csv", 2, "review_date", "2025-09-10", "on or after agreed_on"),
    ("reviews.csv", 3, "case_id", "T-9999", "a case_id of agreements.csv"),
    ("reviews.csv", 3, "date", "2025-09-01", "on or after agreed_on"),
    ("reviews.csv", 3, "date", "2031-01-01", "2024-09-01 to 2027-08-31"),
    ("reviews.csv", 4, "date", "2025-09-30", "on or before its exit"),
    ("reviews.csv", 3, "kind", "entry", "one entry of 'Language link' per case"),
]


@pytest.mark.parametrize(("file", "row", "column", "value", "expected"), DAMAGES)
def test_cross_references_are_checked(
    rich_folder: Path, file: str, row: int, column: str, value: str, expected: str
) -> None:
    set_cell(rich_folder, file, row, column, value)
    assert expected in found(problems_of(rich_folder), file, row, column).expected


def test_a_case_has_one_details_row(rich_folder: Path) -> None:
    row = append_row(rich_folder, "agreement_details.csv", {"case_id": "T-0001"})
    assert (
        "one row per case"
        in found(problems_of(rich_folder), "agreement_details.csv", row, "case_id").expected
    )


def test_an_exit_without_entry_and_reviews_of_other_measures_are_fine(rich_folder: Path) -> None:
    append_row(
        rich_folder,
        "reviews.csv",
        {
            "case_id": "T-0002",
            "date": "2025-12-01",
            "kind": "exit",
            "measure": "Other",
            "value": "2",
        },
    )
    assert len(read_scenario(rich_folder).reviews) == len(REVIEWS) + 1


def test_the_model_refuses_what_the_reader_refuses() -> None:
    """The API builds scenarios without the reader: the rules run on construction too."""
    bad = Review(case_id="T-0001", date=date(2025, 9, 2), kind="review", measure="m", value=1)
    with pytest.raises(ValidationError, match=r"reviews\.csv, row 2, column 'date'"):
        tiny_with_reviews(reviews=(bad,))


def test_restricting_to_a_district_keeps_its_cases_details_and_reviews() -> None:
    north = tiny_with_reviews().restrict_to("Northdown")
    assert {d.case_id for d in north.details} == {"T-0001"}
    assert {r.case_id for r in north.reviews} == {"T-0001"}
    assert tiny_with_reviews().restrict_to("Southfield").details == ()


# ---------------------------------------------------------------------------------------------
# Round trip
# ---------------------------------------------------------------------------------------------


def test_write_then_read_keeps_the_files(tmp_path: Path) -> None:
    scenario = tiny_with_reviews()
    write_scenario(scenario, tmp_path / "a")
    back = read_scenario(tmp_path / "a")
    assert back == scenario
    write_scenario(back, tmp_path / "b")
    for name in ("agreement_details.csv", "reviews.csv"):
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text()


def test_files_without_records_are_not_written(tmp_path: Path) -> None:
    write_scenario(tiny_with_reviews(details=(), reviews=()), tmp_path)
    assert not (tmp_path / "agreement_details.csv").exists()
    assert not (tmp_path / "reviews.csv").exists()


def test_a_details_file_with_only_some_columns_reads(rich_folder: Path) -> None:
    (rich_folder / "agreement_details.csv").write_text("case_id,support\nT-0002,Visits\n")
    details = read_scenario(rich_folder).details
    assert details == (AgreementDetails(case_id="T-0002", support="Visits"),)


# ---------------------------------------------------------------------------------------------
# Hostile input: refused by file, row and column, never a traceback
# ---------------------------------------------------------------------------------------------


def _rewrite(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.mark.parametrize("name", ["agreement_details.csv", "reviews.csv"])
def test_a_duplicated_column_is_refused(rich_folder: Path, name: str) -> None:
    path = rich_folder / name
    header, *rows = list(csv.reader(path.open(newline="", encoding="utf-8")))
    _rewrite(path, [*header, header[0].upper()], [[*r, "x"] for r in rows])
    assert (
        "each column once" in found(problems_of(rich_folder), name, 1, header[0].upper()).expected
    )


HOSTILE: list[tuple[str, int, str, str, str]] = [
    ("agreement_details.csv", 2, "support", "Weekly \u202esessions", "U+202E"),
    ("agreement_details.csv", 2, "criteria", "a\x1b[31m", "U+001B"),
    ("agreement_details.csv", 2, "evidence", "x" * 5000, "at most 2000 characters"),
    ("agreement_details.csv", 2, "review_date", "9999-12-31", "2099-12-31"),
    ("agreement_details.csv", 2, "review_date", "tomorrow", "date"),
    ("reviews.csv", 2, "value", "inf", "finite"),
    ("reviews.csv", 2, "value", str(2**70), "less than or equal"),
    ("reviews.csv", 2, "kind", "=HYPERLINK(1)", "entry"),
    ("reviews.csv", 2, "measure", "m\u2028", "U+2028"),
    ("reviews.csv", 2, "date", "2025-02-30", "date"),
]


@pytest.mark.parametrize(("file", "row", "column", "value", "expected"), HOSTILE)
def test_hostile_cells_are_refused(
    rich_folder: Path, file: str, row: int, column: str, value: str, expected: str
) -> None:
    set_cell(rich_folder, file, row, column, value)
    problem = found(problems_of(rich_folder), file, row, column)
    assert expected in problem.expected
    assert problem.value is None or len(problem.value) <= 83


@pytest.mark.parametrize(
    ("data", "row", "expected"),
    [
        (b"", 1, "the file is empty"),
        (b"case_id,support\nT-0001,caf\xe9\n", None, "not UTF-8"),
        (b"case_id,support\nT-0001,a\x00b\n", None, "NUL"),
        ("case_id,support\n".encode("utf-16"), None, "UTF-16"),
    ],
)
def test_bad_bytes_are_refused_naming_the_file(
    rich_folder: Path, data: bytes, row: int | None, expected: str
) -> None:
    (rich_folder / "agreement_details.csv").write_bytes(data)
    assert expected in found(problems_of(rich_folder), "agreement_details.csv", row, None).expected


def test_a_ragged_row_and_a_giant_cell_are_refused(rich_folder: Path) -> None:
    (rich_folder / "reviews.csv").write_text(
        "case_id,date,kind,measure,value\nT-0001,2025-10-01,entry,m\n"
    )
    (rich_folder / "agreement_details.csv").write_text("case_id,support\nT-0001," + "x" * 200_000)
    problems = problems_of(rich_folder)
    assert "5 cells" in found(problems, "reviews.csv", 2, None).expected
    assert "field larger" in found(problems, "agreement_details.csv", 2, None).expected


def test_a_missing_required_column_is_refused(rich_folder: Path) -> None:
    (rich_folder / "reviews.csv").write_text(
        "case_id,date,kind,measure\nT-0001,2025-10-01,entry,m\n"
    )
    assert "required" in found(problems_of(rich_folder), "reviews.csv", 1, "value").expected


CELLS = ["", " ", "\x00", "\x07", "a\nb", "\u202e", "nan", "inf", "1e308", "9999-12-31", "entry",
         "exit", "review", "T-0001", "T-0002", "x" * 3000, '"', "=1+1", "2025-10-01", "-1"]  # fmt: skip

_BASE: dict[str, Path] = {}


def _base() -> Path:
    if "path" not in _BASE:
        path = Path(tempfile.mkdtemp(prefix="lift-details-")) / "tiny"
        write_scenario(tiny_with_reviews(), path)
        _BASE["path"] = path
    return _BASE["path"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(data=st.data())
def test_mutated_files_are_read_or_refused_naming_a_file(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "s"
        shutil.copytree(_base(), folder)
        name = data.draw(st.sampled_from(["agreement_details.csv", "reviews.csv"]))
        path = folder / name
        header, *rows = list(csv.reader(path.open(newline="", encoding="utf-8")))
        r = data.draw(st.integers(0, len(rows) - 1))
        c = data.draw(st.integers(0, len(header) - 1))
        rows[r][c] = data.draw(st.sampled_from(CELLS) | st.text(max_size=30))
        if data.draw(st.booleans()):
            header[data.draw(st.integers(0, len(header) - 1))] = data.draw(
                st.sampled_from([*header, "", "X"])
            )
        _rewrite(path, header, rows)
        try:
            read_scenario(folder)
        except ScenarioError as error:
            assert error.problems and str(error)
            for problem in error.problems:
                assert problem.file in KNOWN_FILES, str(problem)
