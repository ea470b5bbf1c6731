"""caseload.xlsx is written like rota.xlsx: typed cells (dates shown dd/mm/yyyy, numbers as numbers),
a bold frozen header row with a filter, columns as wide as their text; text never a formula."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from allocator.io.caseload_export import (
    ASSIGNMENT_COLUMNS,
    CHANGE_COLUMNS,
    UNASSIGNED_COLUMNS,
    write_xlsx,
)
from allocator.model import PlanStatus
from allocator.model.caseload_result import Assignment, CaseloadPlan, Change, Help, Waiting

PLAN = CaseloadPlan(
    assignments=(
        Assignment(
            case_id="K-000001",
            person_id="north-st1",
            team="Northdown",
            start=date(2025, 11, 3),
            end=date(2026, 1, 23),
            minutes_per_week=60,
            travel_minutes=30,
            status=PlanStatus.RUNNING,
        ),
        Assignment(
            case_id="K-000003",
            person_id="north-st2",
            team="Northdown",
            start=date(2026, 2, 23),
            end=date(2026, 3, 27),
            minutes_per_week=45,
            travel_minutes=0,
        ),
    ),
    waiting=(
        Waiting(
            case_id="K-000002",
            reason="=SUM(A1) no room",
            earliest_possible_start=date(2026, 4, 20),
            help=Help(
                team="Northdown",
                extra_minutes_per_week=90,
                start=date(2026, 1, 5),
                weeks=6,
                person_id="north-st1",
            ),
        ),
    ),
)
CHANGES = (
    Change(
        case_id="K-000001",
        before_person="north-st2",
        after_person="north-st1",
        before_start=date(2025, 11, 10),
        after_start=date(2025, 11, 3),
        kind="earlier",
        reason="an earlier start with the same support",
    ),
)


def test_caseload_xlsx_cells_are_typed_with_uk_dates_frozen_filtered_and_sized(
    tmp_path: Path,
) -> None:
    path = write_xlsx(PLAN, tmp_path / "caseload.xlsx", CHANGES)
    book = load_workbook(path)
    assert book.sheetnames == ["assignments", "unassigned", "changes"]
    for sheet, columns in zip(
        book.worksheets, (ASSIGNMENT_COLUMNS, UNASSIGNED_COLUMNS, CHANGE_COLUMNS), strict=True
    ):
        assert [c.value for c in sheet[1]] == list(columns)
        assert all(c.font.bold for c in sheet[1])
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == sheet.dimensions
        for index, name in enumerate(columns, start=1):
            letter = sheet.cell(1, index).column_letter
            assert sheet.column_dimensions[letter].width >= len(name) + 2
    assignments = book["assignments"]
    start, end = assignments["D2"], assignments["E2"]
    assert start.is_date and start.number_format == "dd/mm/yyyy"
    assert start.value.date() == date(2025, 11, 3) and end.is_date
    assert type(assignments["F2"].value) is int and type(assignments["G2"].value) is int
    assert assignments["H2"].value == "running" and assignments["H2"].data_type == "s"
    waiting = book["unassigned"]
    assert waiting["B2"].value == "'=SUM(A1) no room" and waiting["B2"].data_type == "s"
    assert waiting["C2"].is_date and waiting["C2"].number_format == "dd/mm/yyyy"
    assert type(waiting["E2"].value) is int and waiting["F2"].is_date
    assert type(waiting["G2"].value) is int
    changes = book["changes"]
    assert changes["D2"].is_date and changes["E2"].number_format == "dd/mm/yyyy"
    assert changes["F2"].value == "earlier"


def test_caseload_xlsx_without_changes_has_two_sheets_and_blank_cells_stay_blank(
    tmp_path: Path,
) -> None:
    path = write_xlsx(
        CaseloadPlan(waiting=(Waiting(case_id="K-9", reason="consent no"),)), tmp_path / "c.xlsx"
    )
    book = load_workbook(path)
    assert book.sheetnames == ["assignments", "unassigned"]
    waiting = book["unassigned"]
    assert waiting["A2"].value == "K-9" and waiting["C2"].value is None
    assert book["assignments"].max_row == 1 and book["assignments"].freeze_panes == "A2"
