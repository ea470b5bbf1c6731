"""Scenario schemas: list, detail, validation report, and the parts a page needs."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import Out, UtcTime


class ProblemOut(Out):
    """One thing wrong with an uploaded scenario: file, spreadsheet row, column, value, expected."""

    file: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    expected: str


class DistrictSummaryOut(Out):
    """Counts of one district (or the county pools)."""

    district: str
    schools: int | str
    groups: int | str
    slots: int | str
    people: int | str
    agreements: int | str


class ScenarioSummaryOut(Out):
    """A stored scenario in a list."""

    id: int
    name: str
    academic_year: str
    districts: list[str]
    open_agreements: int
    live: bool = False
    """The county's live scenario (the one users land on until they choose another)."""
    created_at: UtcTime


class ScenarioOut(ScenarioSummaryOut):
    """A stored scenario with its per-district summary and reader's notes."""

    summary: list[DistrictSummaryOut]
    notes: list[str]


class ValidationOut(Out):
    """What a scenario upload would give: valid or every problem, with notes and a summary."""

    valid: bool
    name: str | None = None
    academic_year: str | None = None
    problems: list[ProblemOut] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    summary: list[DistrictSummaryOut] = Field(default_factory=list)


class PersonOut(Out):
    """A member of staff (staff ids and names; never a child's)."""

    person_id: str
    name: str
    role: str
    team: str
    specialisms: list[str]
    minutes_per_week: int


class SchoolOut(Out):
    """A school or setting a case can come from."""

    urn: int
    name: str
    district: str
    phase: str
    lift_group: str | None
