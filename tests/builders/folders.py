"""Scenario folders for tests: the tiny hand-made county every rule can be tried against, and small
edits that damage a folder the way a spreadsheet export might."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from allocator.io import read_scenario
from allocator.model import (
    Agreement,
    Closure,
    District,
    DistrictIndicators,
    LiftGroup,
    MeetingSlot,
    Person,
    Problem,
    Scenario,
    ScenarioError,
    ScenarioSettings,
    School,
    SpecialSchool,
    StaffingSettings,
    Term,
    Unavailability,
)

TERMS_2025_26 = (
    (date(2025, 9, 1), date(2025, 10, 17)),
    (date(2025, 10, 27), date(2025, 12, 19)),
    (date(2026, 1, 5), date(2026, 2, 13)),
    (date(2026, 2, 23), date(2026, 4, 2)),
    (date(2026, 4, 20), date(2026, 5, 22)),
    (date(2026, 6, 1), date(2026, 7, 21)),
)


def make_tiny_scenario() -> Scenario:
    """Two districts, three groups, an EP shared by both, a district team and an HI pool."""
    terms = tuple(
        Term(term=i + 1, first_day=a, last_day=b) for i, (a, b) in enumerate(TERMS_2025_26)
    )
    return Scenario(
        settings=ScenarioSettings(name="Tiny", academic_year="2025-26"),
        terms=terms,
        closures=(
            Closure(date=date(2025, 9, 1), reason="INSET"),
            Closure(date=date(2026, 1, 7), district="Northdown", reason="INSET"),
        ),
        districts=(
            District(district="Northdown", population=100_000, lat=51.3, lon=0.5),
            District(district="Southfield", population=80_000, lat=51.1, lon=0.6),
        ),
        special_schools=(
            SpecialSchool(school="Oak", district="Northdown", role="lead", need_types="PSCN"),
            SpecialSchool(
                school="Oak", district="Southfield", role="lead", need_types="PSCN", note="interim"
            ),
            SpecialSchool(school="Elm", district="Northdown", role="link", need_types="B&L"),
        ),
        schools=(
            School(
                urn=100001,
                name="North Primary",
                district="Northdown",
                phase="primary",
                pupils=300,
                lat=51.31,
                lon=0.51,
                lift_group="N1",
            ),
            School(
                urn=100002,
                name="North Academy",
                district="Northdown",
                phase="secondary",
                pupils=900,
                lat=51.29,
                lon=0.49,
                lift_group="N2",
            ),
            School(
                urn=100003,
                name="South Primary",
                district="Southfield",
                phase="primary",
                pupils=250,
                lat=51.1,
                lon=0.61,
                lift_group="S1",
            ),
            School(
                urn=100004,
                name="Little Acorns",
                district="Southfield",
                phase="early_years",
                pupils=40,
                lat=51.11,
                lon=0.6,
            ),
        ),
        lift_groups=(
            LiftGroup(group="N1", district="Northdown", attendees="EP1;CO1"),
            LiftGroup(group="N2", district="Northdown", attendees="EP1;CO1"),
            LiftGroup(group="S1", district="Southfield", attendees="EP1"),
        ),
        meeting_slots=(
            MeetingSlot(
                slot="N-A",
                district="Northdown",
                weekday="Wednesday",
                start="09:30",
                end="12:00",
                venue="Oak",
            ),
            MeetingSlot(
                slot="S-A",
                district="Southfield",
                weekday="Wednesday",
                start="13:30",
                end="15:30",
                venue="Oak",
            ),
        ),
        people=(
            Person(
                person_id="EP1",
                name="Educational psychologist 1",
                role="educational_psychologist",
                team="Northdown",
                base_lat=51.3,
                base_lon=0.5,
            ),
            Person(
                person_id="CO1",
                name="Coordinator 1",
                role="district_coordinator",
                team="Northdown",
                base_lat=51.3,
                base_lon=0.5,
            ),
            Person(
                person_id="ST1",
                name="Specialist teacher 1",
                role="specialist_teacher",
                team="Northdown",
                specialisms="C&I;B&L",
                minutes_per_week=1110,
                base_lat=51.3,
                base_lon=0.5,
            ),
            Person(
                person_id="ST2",
                name="Specialist teacher 2",
                role="specialist_teacher",
                team="Southfield",
                specialisms="C&I;PSCN",
                minutes_per_week=555,
                base_lat=51.1,
                base_lon=0.6,
            ),
            Person(
                person_id="HI1",
                name="Hearing specialist 1",
                role="specialist_teacher",
                team="HI",
                specialisms="HI",
                minutes_per_week=1110,
                base_lat=51.2,
                base_lon=0.55,
            ),
        ),
        unavailability=(
            Unavailability(
                person_id="ST1",
                first_day=date(2025, 11, 3),
                last_day=date(2025, 11, 7),
                reason="training",
            ),
        ),
        agreements=(
            Agreement(
                case_id="T-0001",
                school_urn=100001,
                need_type="C&I",
                sen_stage="SEN Support",
                consent="yes",
                agreed_on=date(2025, 9, 17),
                minutes_per_week=60,
                weeks=10,
                priority=2,
            ),
            Agreement(
                case_id="T-0002",
                school_urn=100003,
                need_type="HI",
                sen_stage="EHCP",
                lac="yes",
                consent="exception: parent unreachable",
                agreed_on=date(2025, 9, 17),
                minutes_per_week=90,
                weeks=12,
                priority=1,
            ),
            Agreement(
                case_id="T-0003",
                school_urn=100004,
                need_type="PSCN",
                sen_stage="EYA+/SA+",
                consent="no",
                agreed_on=date(2025, 10, 1),
                minutes_per_week=45,
                weeks=6,
                priority=3,
            ),
        ),
        staffing=StaffingSettings.model_validate(
            {
                "high_incidence": {
                    "total_fte": 4.0,
                    "weights": {"pupils": 0.5, "sen_support": 0.5},
                },
                "pools": {"HI": 1.0},
            }
        ),
        indicators=(
            DistrictIndicators(
                district="Northdown",
                indicators={"pupils": 1200, "sen_support": 150},
                baseline_fte=2.2,
                hi_children=3,
            ),
            DistrictIndicators(
                district="Southfield",
                indicators={"pupils": 290, "sen_support": 40},
                baseline_fte=1.8,
                hi_children=2,
            ),
        ),
    )


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
