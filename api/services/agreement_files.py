"""New agreements from a CSV or XLSX file: read safely, every row checked in plain words (row,
column, what is expected), previewed, then added all or none."""

from __future__ import annotations

import csv
import io
import logging
import re
from datetime import date, datetime
from typing import Any

import openpyxl
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from allocator.io.cells import unsafe_text
from allocator.model import Agreement, Scenario
from allocator.model.base import unsafe_character
from api import audit
from api.db.models import (
    AgreementRow,
    User,
)
from api.errors import raised_at
from api.schemas.agreements import (
    AgreementIn,
    ImportOut,
    PreviewOut,
    PreviewRowOut,
    RowProblemOut,
)
from api.scope import Scope
from api.services.agreements import add_agreement, window_words, year_window
from api.services.errors import FieldError, Invalid
from api.store import AGREEMENT_FIELDS
from api.uploads import BadUpload, Limits, TooLarge, check_zip, shown

MAX_ROWS = 2000
"""Agreements one file may hold."""
MAX_LINES = 100_000
"""Rows (blank ones included) read from one file before it is refused."""
MAX_COLUMNS = 64
"""Columns read from a sheet (the format has 11)."""
MAX_CELL = 500
"""Longest cell (the longest field, consent with its reason, has 500 characters)."""
OPTIONAL_COLUMNS = ("lac", "priority")
"""Columns a file may leave out (blank means no, and 3)."""
EXPECTED = {
    "case_id": "a pseudonymous case id: letters, digits, _ . and - only, at most 64 characters",
    "school_urn": "the URN (a number) of a school of your district",
    "need_type": "one of C&I, B&L, BESD, PSCN, PD, HI, VI, PI",
    "sen_stage": "one of SEN Support, EHCP, EYA/SA, EYA+/SA+, SSEN",
    "lac": "yes or no (blank means no)",
    "consent": "yes, no, or 'exception:' followed by the reason",
    "agreed_on": "a date as dd/mm/yyyy or yyyy-mm-dd (years 2000 to 2099)",
    "minutes_per_week": "a whole number of minutes a week from 1 to 1200",
    "weeks": "a whole number of school weeks from 1 to 60",
    "priority": "1 (urgent), 2 or 3 (routine); blank means 3",
}
"""What each column must hold, in plain words."""
_UK_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_OLD_EXCEL = b"\xd0\xcf\x11\xe0"
_ZIP = b"PK\x03\x04"
log = logging.getLogger("lift.agreements")


def iso_day(text: str) -> str:
    """`dd/mm/yyyy` as `yyyy-mm-dd`; any other text as it is (left to the date check)."""
    found = _UK_DAY.match(text.strip())
    if found is None:
        return text
    day, month, year = found.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as text: a formula is its text (never evaluated), a date its ISO day."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _csv_lines(name: str, data: bytes) -> list[list[str]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BadUpload(f"{shown(name)} is UTF-16 text: save it as CSV UTF-8, or as XLSX")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadUpload(
            f"{shown(name)} is neither a CSV file (UTF-8 text) nor an XLSX workbook: "
            "save it as CSV UTF-8 or as XLSX"
        ) from None
    if "\x00" in text:
        raise BadUpload(f"{shown(name)} is not a text file (it holds a NUL byte)")
    lines: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            lines.append(cells)
            if len(lines) > MAX_LINES:
                raise TooLarge(f"{shown(name)} has more than {MAX_LINES:,} rows")
    except csv.Error as error:
        raise BadUpload(
            f"{shown(name)}: row {reader.line_num} is not well-formed CSV ({error})"
        ) from None
    return lines


def _xlsx_lines(name: str, data: bytes, limits: Limits) -> list[list[str]]:
    check_zip(name, data, limits, "XLSX workbook")
    lines: list[list[str]] = []
    try:
        book = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=False, keep_links=False
        )
        try:
            sheet = book.worksheets[0]
            for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
                lines.append([_cell_text(v) for v in values])
                if len(lines) > MAX_LINES:
                    raise TooLarge(f"{shown(name)} has more than {MAX_LINES:,} rows")
        finally:
            book.close()
    except BadUpload:
        raise
    except Exception as error:  # openpyxl raises many kinds on a damaged or hostile workbook
        log.warning("an agreements workbook could not be read: %s", raised_at(error))
        raise BadUpload(
            f"{shown(name)} is not a readable XLSX workbook: save it again from the "
            "spreadsheet program, or as CSV UTF-8"
        ) from None
    return lines


def read_lines(name: str, data: bytes, limits: Limits) -> list[list[str]]:
    """The rows of an uploaded CSV or XLSX (first sheet) as text cells; BadUpload (400) when it is
    neither, TooLarge (413) when it is too large."""
    if len(data) > limits.file_bytes:
        raise TooLarge(f"{shown(name)} is larger than the {limits.file_bytes // 2**20} MiB allowed")
    if not data.strip():
        raise BadUpload(f"{shown(name)} is empty: it needs a header row and one row per agreement")
    if data.startswith(_ZIP):
        return _xlsx_lines(name, data, limits)
    if data.startswith(_OLD_EXCEL):
        raise BadUpload(f"{shown(name)} is an old Excel (.xls) workbook: save it as XLSX or CSV")
    return _csv_lines(name, data)


def _column_of(header: str) -> str:
    return header.strip().casefold().replace(" ", "_")


def _problem(row: int, column: str | None, value: Any, expected: str) -> RowProblemOut:
    text = None if value is None else str(value)
    if text is not None and len(text) > 80:
        text = text[:79] + "…"
    return RowProblemOut(row=row, column=column, value=text, expected=expected)


def _table(
    lines: list[list[str]], name: str
) -> tuple[list[RowProblemOut], list[tuple[int, dict[str, str]]]]:
    """The file's problems (columns) and its records with their spreadsheet row numbers."""
    header = [_column_of(h) for h in lines[0]] if lines else []
    problems: list[RowProblemOut] = []
    where: dict[str, int] = {}
    for index, column in enumerate(header):
        if column in AGREEMENT_FIELDS:
            if column in where:
                problems.append(
                    _problem(1, column, None, f"the column '{column}' once (it is there twice)")
                )
            where.setdefault(column, index)
    for column in AGREEMENT_FIELDS:
        if column not in where and column not in OPTIONAL_COLUMNS:
            problems.append(
                _problem(1, column, None, f"a column named '{column}' in the header row")
            )
    if problems:
        return problems, []
    records: list[tuple[int, dict[str, str]]] = []
    for number, cells in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(records) >= MAX_ROWS:
            raise TooLarge(
                f"{shown(name)} holds more than {MAX_ROWS:,} agreements: "
                f"send at most {MAX_ROWS:,} at a time"
            )
        records.append(
            (
                number,
                {
                    c: unsafe_text(cells[i].strip()) if i < len(cells) else ""
                    for c, i in where.items()
                },
            )
        )
    return problems, records


def _check(
    number: int,
    raw: dict[str, str],
    base: Scenario,
    scope: Scope,
    taken: set[str],
    seen: set[str],
) -> tuple[PreviewRowOut, AgreementIn | None]:
    """One record: what it would add, or its problems in plain words."""
    problems: list[RowProblemOut] = []
    for column, value in raw.items():
        bad = unsafe_character(value)
        if bad is not None:
            problems.append(
                _problem(number, column, value, f"text without control characters (found {bad})")
            )
        elif len(value) > MAX_CELL:
            problems.append(_problem(number, column, value, f"at most {MAX_CELL} characters"))
    body: AgreementIn | None = None
    if not problems:
        data: dict[str, Any] = {
            c: iso_day(v) if c == "agreed_on" else v
            for c, v in raw.items()
            if v != "" or c not in OPTIONAL_COLUMNS
        }
        try:
            body = AgreementIn.model_validate(data)
            Agreement.model_validate(body.model_dump())
        except ValidationError as error:
            body = None
            columns = sorted({str(e["loc"][0]) for e in error.errors() if e["loc"]})
            problems += [_problem(number, c, raw.get(c, ""), EXPECTED.get(c, c)) for c in columns]
    urn = raw.get("school_urn", "")
    school = base.school_by_urn.get(int(urn)) if urn.isascii() and urn.isdigit() else None
    if school is not None and school.district not in scope.districts:
        school = None
    if body is not None:
        if school is None:
            expected = EXPECTED["school_urn"]
            if scope.county:
                expected = "the URN (a number) of one of the scenario's schools"
            problems.append(_problem(number, "school_urn", raw.get("school_urn"), expected))
        low, high = year_window(base)
        if not low <= body.agreed_on <= high:
            problems.append(_problem(number, "agreed_on", raw.get("agreed_on"), window_words(base)))
        if body.case_id in taken:
            problems.append(
                _problem(number, "case_id", body.case_id, "a case id not already in use")
            )
        elif body.case_id in seen:
            problems.append(
                _problem(number, "case_id", body.case_id, "each case id once in the file")
            )
        seen.add(body.case_id)
    ok = not problems and body is not None
    return (
        PreviewRowOut(
            row=number,
            case_id=raw.get("case_id", ""),
            district=school.district if school is not None else None,
            school_urn=raw.get("school_urn", ""),
            school_name=school.name if school is not None else None,
            need_type=raw.get("need_type", ""),
            sen_stage=raw.get("sen_stage", ""),
            lac=raw.get("lac", "") or "no",
            consent=raw.get("consent", ""),
            agreed_on=body.agreed_on if body is not None else None,
            agreed_on_text=raw.get("agreed_on", ""),
            minutes_per_week=raw.get("minutes_per_week", ""),
            weeks=raw.get("weeks", ""),
            priority=raw.get("priority", "") or "3",
            problems=problems,
        ),
        body if ok else None,
    )


def preview_file(
    session: Session,
    base: Scenario,
    scenario_id: int,
    scope: Scope,
    name: str,
    data: bytes,
    limits: Limits,
) -> tuple[PreviewOut, list[tuple[int, AgreementIn]]]:
    """What a file of new agreements holds, row by row, and the agreements its good rows make;
    nothing is stored. BadUpload (400) or TooLarge (413) when the file cannot be read."""
    problems, records = _table(read_lines(name, data, limits), name)
    if not problems and not records:
        problems.append(_problem(2, None, None, "at least one agreement below the header row"))
    taken = set(
        session.scalars(select(AgreementRow.case_id).where(AgreementRow.scenario_id == scenario_id))
    )
    seen: set[str] = set()
    rows: list[PreviewRowOut] = []
    good: list[tuple[int, AgreementIn]] = []
    for number, raw in records:
        row, body = _check(number, raw, base, scope, taken, seen)
        rows.append(row)
        if body is not None:
            good.append((number, body))
    out = PreviewOut(
        file=name[:200],
        rows=rows,
        ok=len(good),
        with_problems=len(rows) - len(good),
        problems=problems,
    )
    return out, good


def import_file(
    session: Session,
    base: Scenario,
    scenario_id: int,
    scope: Scope,
    user: User,
    name: str,
    data: bytes,
    limits: Limits,
) -> ImportOut:
    """Add every agreement of a file, or none: any problem refuses the whole file (422, each problem
    at ["body", "file", row, column]). The caller commits."""
    preview, good = preview_file(session, base, scenario_id, scope, name, data, limits)
    found = preview.problems + [p for r in preview.rows for p in r.problems]
    if found:
        raise Invalid(
            [
                FieldError(
                    loc=["body", "file", p.row, *([p.column] if p.column else [])],
                    msg=p.expected,
                    type="file_problem",
                    input=p.value,
                )
                for p in found
            ]
        )
    for number, body in good:
        add_agreement(session, base, scenario_id, body, scope, user, ("body", "file", number))
    audit.record(
        session,
        user,
        "agreement.import",
        "scenario",
        scenario_id,
        scenario_id,
        {"added": len(good)},
    )
    return ImportOut(added=len(good), case_ids=[b.case_id for _, b in good])
