"""The one safe-cell rule for every CSV and XLSX the project writes (spreadsheet formula injection).

A spreadsheet treats a cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return before
one) as a formula, so a venue named `=HYPERLINK("http://x","y")` would run when the file is opened. Every
text cell goes through `safe_text`: a text that starts with one of `DANGEROUS` (after any leading
spaces or apostrophes) gets one apostrophe in front, the usual defence, and is shown as text. Numbers
and dates are not text: they are written as numbers and dates, so `-2` stays a number.

The rule is reversible: `unsafe_text(safe_text(t)) == t` for every text, and `unsafe_text` leaves every
other text alone, so the readers of our own CSVs (rota.csv as `--previous`, assignments.csv as
`--plan`) read back exactly the names that were written.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""What makes a spreadsheet read a cell as a formula (with the full-width forms some locales accept)."""
QUOTE = "'"
_SKIP = " " + QUOTE
UK_DATE = "dd/mm/yyyy"
UK_DATE_TIME = "dd/mm/yyyy hh:mm"
MIN_WIDTH = 8
MAX_WIDTH = 60


def needs_quote(text: str) -> bool:
    """Whether `text` would be read as a formula (or is already one quoted by `safe_text`)."""
    return text.lstrip(_SKIP).startswith(DANGEROUS)


def safe_text(text: str) -> str:
    """`text` with an apostrophe in front when a spreadsheet would read it as a formula."""
    text = str(text.value) if isinstance(text, Enum) else str(text)
    return QUOTE + text if needs_quote(text) else text


def unsafe_text(text: str) -> str:
    """The text `safe_text` was given: one leading apostrophe off a quoted formula, nothing else."""
    if text.startswith(QUOTE) and needs_quote(text[1:]):
        return text[1:]
    return text


def csv_value(value: object) -> str:
    """One CSV cell: blank for None, yes/no, ISO dates, numbers as numbers, text made safe."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Fraction):
        return str(float(value))
    if isinstance(value, int | float | Decimal):
        return str(value)
    return safe_text(str(value))


def csv_row(values: Iterable[object]) -> list[str]:
    """Every cell of a CSV row through `csv_value`."""
    return [csv_value(v) for v in values]


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    """A CSV of `columns` and `rows`, every cell made safe for spreadsheets (`csv_row`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(csv_row(columns))
        writer.writerows(csv_row(row) for row in rows)
    return path


def xlsx_value(value: object) -> object:
    """One workbook cell's value: numbers, dates and booleans typed as such, text made safe."""
    if value is None or isinstance(value, bool | int | float | Decimal | date | time):
        return value
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, Fraction):
        return float(value)
    return safe_text(str(value))


def append_row(sheet: Worksheet, values: Iterable[object]) -> None:
    """Append a row of typed cells: text is always stored as text (never a formula), dates as dates
    shown dd/mm/yyyy."""
    sheet.append([xlsx_value(v) for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
        elif isinstance(cell.value, datetime):
            cell.number_format = UK_DATE_TIME
        elif isinstance(cell.value, date):
            cell.number_format = UK_DATE
        elif isinstance(cell.value, time):
            cell.number_format = "hh:mm"


def finish_sheet(sheet: Worksheet) -> None:
    """A bold, frozen header row with an auto-filter, and each column as wide as its longest line."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    widths: dict[int, int] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            if isinstance(cell.value, datetime):
                length = 16
            elif isinstance(cell.value, date):
                length = 10
            else:
                length = max(len(line) for line in str(cell.value).split("\n"))
            column = int(cell.column or 1)
            widths[column] = max(widths.get(column, 0), length)
    for column, length in widths.items():
        width = min(max(length + 2, MIN_WIDTH), MAX_WIDTH)
        sheet.column_dimensions[get_column_letter(column)].width = width
