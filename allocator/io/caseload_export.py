"""Caseload files: assignments.csv, unassigned.csv, load.csv, changes.csv, caseload.xlsx and a PNG
utilisation heatmap per team; and the readers a rebalance needs (the plan back from assignments.csv,
new agreements in the agreements.csv columns).

Heatmaps are drawn with matplotlib's Agg canvas, so no display is needed. Nothing here names a child:
rows carry case ids only.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from allocator.io.cells import append_row, csv_value, finish_sheet, unsafe_text
from allocator.io.scenario_folder import AGREEMENT_COLUMNS
from allocator.model import Agreement, PlannedSupport, PlanStatus, Scenario
from allocator.model.caseload_result import (
    Assignment,
    CaseloadPlan,
    Change,
    Waiting,
    WeeklyLoads,
)
from allocator.model.scenario import Problem, ScenarioError
from allocator.model.travel import travel_table, weekly_travel_minutes

ASSIGNMENT_COLUMNS = (
    "case_id",
    "person_id",
    "team",
    "start",
    "end",
    "minutes_per_week",
    "travel_minutes",
    "status",
)
"""The contract's columns, then `status` (planned/running/finished) so a rebalance reads it back."""
REQUIRED_ASSIGNMENT_COLUMNS = ASSIGNMENT_COLUMNS[:7]
CURRENT_PLAN_COLUMNS = ("case_id", "person_id", "start", "end")
"""The columns of the scenario format's current_plan.csv (`status` optional, default planned)."""
UNASSIGNED_COLUMNS = (
    "case_id",
    "reason",
    "earliest_possible_start",
    "help_team",
    "help_extra_minutes_per_week",
    "help_start",
    "help_weeks",
    "help_person_id",
)
LOAD_COLUMNS = ("person_id", "team", "week", "capacity_minutes", "load_minutes")
CHANGE_COLUMNS = (
    "case_id",
    "before_person",
    "after_person",
    "before_start",
    "after_start",
    "kind",
    "needed_by",
    "reason",
)
_BLANK_MEANS_DEFAULT = {"lac", "priority"}


def _write(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        for row in rows:
            writer.writerow({c: csv_value(row.get(c)) for c in columns})
    return path


def _read(path: Path, required: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows with their spreadsheet row numbers; every missing file or column is a problem."""
    name = path.name
    if not path.is_file():
        raise ScenarioError([Problem(file=str(path), expected="a CSV file (it does not exist)")])
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in required if c not in header]
        if missing:
            raise ScenarioError(
                [
                    Problem(file=name, row=1, column=c, expected=f"a column named '{c}'")
                    for c in missing
                ]
            )
        return [
            (
                number,
                {(k or "").strip(): unsafe_text((v or "").strip()) for k, v in row.items() if k},
            )
            for number, row in enumerate(reader, start=2)
        ]


def _problems(file: str, row: int, error: ValidationError, raw: Mapping[str, str]) -> list[Problem]:
    problems = []
    for err in error.errors():
        column = str(err["loc"][0]) if err["loc"] else None
        value = raw.get(column) if column else None
        problems.append(
            Problem(
                file=file,
                row=row,
                column=column,
                value=value,
                expected=err["msg"].removeprefix("Value error, "),
            )
        )
    return problems


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------


def write_assignments(plan: CaseloadPlan, path: Path) -> Path:
    """assignments.csv: one row per case with support, by start then case id."""
    rows = sorted(plan.assignments, key=lambda a: (a.start, a.case_id))
    return _write(path, ASSIGNMENT_COLUMNS, (a.model_dump() for a in rows))


def _waiting_row(w: Waiting) -> dict[str, Any]:
    row: dict[str, Any] = {
        "case_id": w.case_id,
        "reason": w.reason,
        "earliest_possible_start": w.earliest_possible_start,
    }
    if w.help is not None:
        row.update(
            help_team=w.help.team,
            help_extra_minutes_per_week=w.help.extra_minutes_per_week,
            help_start=w.help.start,
            help_weeks=w.help.weeks,
            help_person_id=w.help.person_id,
        )
    return row


def write_unassigned(plan: CaseloadPlan, path: Path) -> Path:
    """unassigned.csv: each waiting case, why, its earliest start as things stand, and what would help."""
    return _write(path, UNASSIGNED_COLUMNS, (_waiting_row(w) for w in plan.waiting))


def write_load(load: WeeklyLoads, path: Path) -> Path:
    """load.csv: minutes used and available per person per school week of the year."""
    rows = (
        {
            "person_id": person.person_id,
            "team": person.team,
            "week": week,
            "capacity_minutes": capacity,
            "load_minutes": used,
        }
        for person in load.people
        for week, capacity, used in zip(
            load.weeks, person.capacity_minutes, person.load_minutes, strict=True
        )
    )
    return _write(path, LOAD_COLUMNS, rows)


def write_changes(changes: Sequence[Change], path: Path) -> Path:
    """changes.csv: each planned case moved (and each new agreement), with its reason."""
    return _write(path, CHANGE_COLUMNS, (c.model_dump() for c in changes))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "team"


def write_heatmaps(load: WeeklyLoads, folder: Path) -> list[Path]:
    """One PNG per team: each member's weekly utilisation (load / capacity) across the year."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    weeks = len(load.weeks)
    folder.mkdir(parents=True, exist_ok=True)
    step = max(1, weeks // 12)
    ticks = list(range(0, weeks, step))
    labels = [load.weeks[w].strftime("%d %b") for w in ticks]
    paths = []
    for team in load.teams:
        members = [person for person in load.people if person.team == team]
        grid = np.full((len(members), weeks), np.nan)
        for row, person in enumerate(members):
            for w in range(weeks):
                capacity = person.capacity_minutes[w]
                if capacity > 0:
                    grid[row, w] = person.load_minutes[w] / capacity
        height = 1.6 + 0.3 * len(members)
        fig = Figure(figsize=(max(6.0, weeks * 0.22), height), dpi=80)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.16, 1.0 / height, 0.72, 1 - 1.5 / height))
        image = ax.imshow(grid, aspect="auto", cmap="viridis", vmin=0.0, vmax=1.0)
        ax.set_yticks(range(len(members)), [person.person_id for person in members])
        ax.set_xticks(ticks, labels, rotation=45, fontsize=8)
        ax.set_title(f"{team}: share of each person's minutes used, by school week", fontsize=10)
        fig.colorbar(image, cax=fig.add_axes((0.9, 1.0 / height, 0.02, 1 - 1.5 / height)))
        path = folder / f"utilisation-{_slug(team)}.png"
        fig.savefig(path)
        paths.append(path)
    return paths


def write_xlsx(plan: CaseloadPlan, path: Path, changes: Sequence[Change] = ()) -> Path:
    """caseload.xlsx: the assignments, waiting cases (and changes) as sheets, for coordinators.

    The columns of the CSVs; cells typed (numbers as numbers, dates shown dd/mm/yyyy), text never a
    formula (see `allocator.io.cells`), and a frozen, filtered header row on each sheet.
    """
    from openpyxl import Workbook

    book = Workbook()
    sheets: list[tuple[str, Sequence[str], list[dict[str, Any]]]] = [
        ("assignments", ASSIGNMENT_COLUMNS, [a.model_dump() for a in plan.assignments]),
        ("unassigned", UNASSIGNED_COLUMNS, [_waiting_row(w) for w in plan.waiting]),
    ]
    if changes:
        sheets.append(("changes", CHANGE_COLUMNS, [c.model_dump() for c in changes]))
    first = True
    for title, columns, rows in sheets:
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        first = False
        sheet.title = title
        append_row(sheet, columns)
        for row in rows:
            append_row(sheet, [row.get(c) for c in columns])
        finish_sheet(sheet)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def write_caseload(
    plan: CaseloadPlan,
    load: WeeklyLoads,
    folder: Path,
    changes: Sequence[Change] | None = None,
) -> list[Path]:
    """Every caseload output of a plan and its weekly loads into `folder`; changes.csv too after a
    rebalance."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [
        write_assignments(plan, folder / "assignments.csv"),
        write_unassigned(plan, folder / "unassigned.csv"),
        write_load(load, folder / "load.csv"),
    ]
    if changes is not None:
        paths.append(write_changes(changes, folder / "changes.csv"))
    paths.append(write_xlsx(plan, folder / "caseload.xlsx", changes or ()))
    paths.extend(write_heatmaps(load, folder))
    return paths


# ---------------------------------------------------------------------------------------------
# Readers
# ---------------------------------------------------------------------------------------------


def read_assignments(path: Path) -> CaseloadPlan:
    """A plan back from assignments.csv (`status` blank or absent: planned). Waiting cases are not in
    the file: a rebalance works them out again from the scenario."""
    problems: list[Problem] = []
    assignments: list[Assignment] = []
    for number, raw in _read(path, REQUIRED_ASSIGNMENT_COLUMNS):
        data: dict[str, Any] = {c: raw.get(c, "") for c in REQUIRED_ASSIGNMENT_COLUMNS}
        data["status"] = raw.get("status") or PlanStatus.PLANNED.value
        try:
            assignments.append(Assignment.model_validate(data))
        except ValidationError as error:
            problems.extend(_problems(path.name, number, error, raw))
    seen: set[str] = set()
    for a in assignments:
        if a.case_id in seen:
            problems.append(
                Problem(
                    file=path.name, column="case_id", value=a.case_id, expected="one row per case"
                )
            )
        seen.add(a.case_id)
    if problems:
        raise ScenarioError(problems)
    return CaseloadPlan(assignments=tuple(assignments))


def read_plan(path: Path, scenario: Scenario) -> CaseloadPlan:
    """A current plan from an assignments.csv, or from a file with the current_plan.csv columns
    (`case_id, person_id, start, end, status`): then each row's team is its person's, its minutes
    a week the agreement's, and its travel what the planner counts (travel_minutes.csv, else the
    estimate), there and back. Unknown cases and people are problems by row and column."""
    header = _header(path)
    if all(c in header for c in REQUIRED_ASSIGNMENT_COLUMNS):
        return read_assignments(path)
    problems: list[Problem] = []
    agreements = {a.case_id: a for a in scenario.agreements}
    people = scenario.person_by_id
    table = travel_table(scenario)
    assignments: list[Assignment] = []
    seen: set[str] = set()
    for number, raw in _read(path, CURRENT_PLAN_COLUMNS):
        data: dict[str, Any] = {c: raw.get(c, "") for c in CURRENT_PLAN_COLUMNS}
        data["status"] = raw.get("status") or PlanStatus.PLANNED.value
        try:
            row = PlannedSupport.model_validate(data)
        except ValidationError as error:
            problems.extend(_problems(path.name, number, error, raw))
            continue
        agreement, person = agreements.get(row.case_id), people.get(row.person_id)
        wrong = [
            (column, value, expected)
            for column, value, expected, bad in (
                ("case_id", row.case_id, "a case_id of agreements.csv", agreement is None),
                ("case_id", row.case_id, "one row per case", agreement and row.case_id in seen),
                ("person_id", row.person_id, "a person_id of people.csv", person is None),
            )
            if bad
        ]
        problems.extend(
            Problem(file=path.name, row=number, column=column, value=value, expected=expected)
            for column, value, expected in wrong
        )
        seen.add(row.case_id)
        if agreement is None or person is None:
            continue
        school = scenario.school_by_urn[agreement.school_urn]
        assignments.append(
            Assignment(
                case_id=row.case_id,
                person_id=row.person_id,
                team=person.team,
                start=row.start,
                end=row.end,
                minutes_per_week=agreement.minutes_per_week,
                travel_minutes=weekly_travel_minutes(scenario, person, school, table),
                status=row.status,
            )
        )
    if problems:
        raise ScenarioError(problems)
    return CaseloadPlan(assignments=tuple(assignments))


def _header(path: Path) -> list[str]:
    """The column names of a CSV file (a missing file is a problem naming it)."""
    if not path.is_file():
        raise ScenarioError([Problem(file=str(path), expected="a CSV file (it does not exist)")])
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return [h.strip() for h in next(csv.reader(handle), [])]
    except (UnicodeDecodeError, csv.Error):
        raise ScenarioError(
            [Problem(file=path.name, row=1, expected="a UTF-8 CSV file with a header row")]
        ) from None


def read_new_agreements(path: Path) -> list[Agreement]:
    """New agreements from a CSV with the agreements.csv columns (blank lac: no; blank priority: 3)."""
    problems: list[Problem] = []
    agreements: list[Agreement] = []
    for number, raw in _read(path, AGREEMENT_COLUMNS):
        data = {
            c: raw[c]
            for c in AGREEMENT_COLUMNS
            if raw.get(c, "") != "" or c not in _BLANK_MEANS_DEFAULT
        }
        try:
            agreements.append(Agreement.model_validate(data))
        except ValidationError as error:
            problems.extend(_problems(path.name, number, error, raw))
    if problems:
        raise ScenarioError(problems)
    return agreements
