"""Small helpers to damage a scenario folder the way a spreadsheet export might."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from allocator.io import read_scenario
from allocator.model import Problem, ScenarioError


def _load(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _save(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def set_cell(folder: Path, file: str, row: int, column: str, value: str) -> None:
    """Set a cell; `row` is the spreadsheet row (2 = first record)."""
    header, rows = _load(folder / file)
    if column not in header:
        header.append(column)
    rows[row - 2][column] = value
    _save(folder / file, header, rows)


def drop_column(folder: Path, file: str, column: str) -> None:
    """Remove a column from a CSV file."""
    header, rows = _load(folder / file)
    header.remove(column)
    for row in rows:
        row.pop(column)
    _save(folder / file, header, rows)


def append_row(folder: Path, file: str, values: dict[str, str]) -> int:
    """Append a record; returns its spreadsheet row."""
    header, rows = _load(folder / file)
    rows.append({c: values.get(c, "") for c in header})
    _save(folder / file, header, rows)
    return len(rows) + 1


def read_rows(folder: Path, file: str) -> list[dict[str, str]]:
    """The records of a CSV file."""
    return _load(folder / file)[1]


def problems_of(folder: Path) -> list[Problem]:
    """Every problem the reader reports for `folder` (fails if it reads without one)."""
    with pytest.raises(ScenarioError) as caught:
        read_scenario(folder)
    return caught.value.problems
