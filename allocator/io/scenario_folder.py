"""Read and write the scenario folder (the input contract of DESIGN.md).

Every problem of a folder is collected, not just the first: a missing file or column, a value of the
wrong form, or a reference to something that does not exist, each named by file, row and column.
Rows are spreadsheet rows: the header is row 1.
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ValidationError

from allocator.model import (
    Agreement,
    Closure,
    District,
    DistrictIndicators,
    LiftGroup,
    MeetingSlot,
    Person,
    PlannedSupport,
    Problem,
    Scenario,
    ScenarioError,
    ScenarioSettings,
    School,
    SpecialSchool,
    StaffingSettings,
    Term,
    TravelTime,
    Unavailability,
    find_problems,
)

SCENARIO_TOML = "scenario.toml"
STAFFING_TOML = "staffing.toml"
INDICATOR_EXTRAS = ("baseline_fte", "hi_children", "vi_children", "pi_children")


@dataclass(frozen=True)
class CsvFile:
    """One CSV file of the contract: its entity, columns and the `Scenario` field it fills."""

    name: str
    field: str
    entity: type[BaseModel]
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    required_file: bool = True

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column this file may have, required first."""
        return self.required + self.optional


FILES: tuple[CsvFile, ...] = (
    CsvFile("terms.csv", "terms", Term, ("term", "first_day", "last_day")),
    CsvFile(
        "closures.csv", "closures", Closure, ("date", "district", "reason"), required_file=False
    ),
    CsvFile("districts.csv", "districts", District, ("district", "population", "lat", "lon")),
    CsvFile(
        "special_schools.csv",
        "special_schools",
        SpecialSchool,
        ("school", "district", "role", "need_types"),
        ("note",),
        required_file=False,
    ),
    CsvFile(
        "schools.csv",
        "schools",
        School,
        ("urn", "name", "district", "phase", "pupils", "lat", "lon", "lift_group"),
    ),
    CsvFile(
        "lift_groups.csv",
        "lift_groups",
        LiftGroup,
        ("group", "district", "kind", "meetings_per_half_term", "attendees"),
        ("slots",),
    ),
    CsvFile(
        "meeting_slots.csv",
        "meeting_slots",
        MeetingSlot,
        ("district", "weekday", "start", "end", "venue", "case_capacity"),
        ("slot", "meetings_per_week"),
    ),
    CsvFile(
        "people.csv",
        "people",
        Person,
        (
            "person_id",
            "name",
            "role",
            "team",
            "specialisms",
            "minutes_per_week",
            "base_lat",
            "base_lon",
        ),
    ),
    CsvFile(
        "unavailability.csv",
        "unavailability",
        Unavailability,
        ("person_id", "first_day", "last_day", "reason"),
        required_file=False,
    ),
    CsvFile(
        "agreements.csv",
        "agreements",
        Agreement,
        (
            "case_id",
            "school_urn",
            "need_type",
            "sen_stage",
            "lac",
            "consent",
            "agreed_on",
            "minutes_per_week",
            "weeks",
            "priority",
        ),
    ),
    CsvFile(
        "current_plan.csv",
        "current_plan",
        PlannedSupport,
        ("case_id", "person_id", "start", "end", "status"),
        required_file=False,
    ),
    CsvFile(
        "travel_minutes.csv",
        "travel",
        TravelTime,
        ("person_id", "school_urn", "minutes"),
        required_file=False,
    ),
)
INDICATORS_FILE = "district_indicators.csv"
AGREEMENT_COLUMNS: tuple[str, ...] = next(f for f in FILES if f.name == "agreements.csv").required
"""The columns of agreements.csv (also of new-agreement files and the service's agreement rows)."""
KNOWN_FILES = {f.name for f in FILES} | {SCENARIO_TOML, STAFFING_TOML, INDICATORS_FILE}


@dataclass
class _Reading:
    """What a read collects: records per field, their rows, problems and notes."""

    fields: dict[str, Any] = field(default_factory=dict)
    rows: dict[str, list[int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _error_problems(
    file: str,
    row: int | None,
    error: ValidationError,
    raw: Mapping[str, Any],
) -> list[Problem]:
    problems = []
    for err in error.errors():
        loc = [str(part) for part in err["loc"]]
        # A CSV column is the field name, or for free-form indicator columns the dict key.
        column = (loc[1] if loc[0] == "indicators" and len(loc) > 1 else loc[0]) if loc else None
        value = raw.get(column) if column is not None else None
        message = err["msg"].removeprefix("Value error, ")
        problems.append(
            Problem(
                file=file,
                row=row,
                column=column,
                value=None if value is None else str(value),
                expected=message,
            )
        )
    return problems


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in (reader.fieldnames or [])]
        rows = [
            {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
            for row in reader
        ]
    return header, rows


def _read_entities(folder: Path, spec: CsvFile, out: _Reading) -> None:
    path = folder / spec.name
    out.fields[spec.field] = ()
    if not path.exists():
        if spec.required_file:
            out.problems.append(
                Problem(
                    file=spec.name,
                    expected="this file; it is required (see docs/scenario-format.md)",
                )
            )
        return
    header, rows = _read_csv(path)
    missing = [c for c in spec.required if c not in header]
    for column in missing:
        out.problems.append(
            Problem(
                file=spec.name,
                row=1,
                column=column,
                expected=f"a column named '{column}' (required)",
            )
        )
    if missing:
        return
    records, kept = [], []
    for number, raw in enumerate(rows, start=2):
        data = _row_data(spec, raw)
        try:
            records.append(spec.entity.model_validate(data))
            kept.append(number)
        except ValidationError as error:
            out.problems.extend(_error_problems(spec.name, number, error, raw))
    out.fields[spec.field] = tuple(records)
    out.rows[spec.name] = kept


def _row_data(spec: CsvFile, raw: Mapping[str, str]) -> dict[str, Any]:
    """Contract columns of one row; blank optional values fall back to the model's defaults."""
    data: dict[str, Any] = {}
    for column in spec.columns:
        value = raw.get(column, "")
        blank_means_default = column not in spec.required or column in _BLANK_ALLOWED.get(
            spec.name, ()
        )
        if value != "" or not blank_means_default:
            data[column] = value
    if spec.name == "meeting_slots.csv" and "slot" not in data:
        data["slot"] = f"{raw.get('district', '')} {raw.get('weekday', '')} {raw.get('start', '')}"
    return data


_BLANK_ALLOWED: dict[str, tuple[str, ...]] = {
    "closures.csv": ("district", "reason"),
    "schools.csv": ("lift_group",),
    "lift_groups.csv": ("kind", "meetings_per_half_term", "attendees"),
    "people.csv": ("specialisms",),
    "unavailability.csv": ("reason",),
    "agreements.csv": ("lac", "priority"),
    "current_plan.csv": ("status",),
    "meeting_slots.csv": ("case_capacity",),
}


def _read_indicators(folder: Path, out: _Reading) -> None:
    path = folder / INDICATORS_FILE
    out.fields["indicators"] = ()
    if not path.exists():
        return
    header, rows = _read_csv(path)
    if "district" not in header:
        out.problems.append(
            Problem(
                file=INDICATORS_FILE,
                row=1,
                column="district",
                expected="a column named 'district' (required)",
            )
        )
        return
    records, kept = [], []
    for number, raw in enumerate(rows, start=2):
        data: dict[str, Any] = {"district": raw.get("district", "")}
        data.update({k: raw[k] for k in INDICATOR_EXTRAS if raw.get(k, "") != ""})
        data["indicators"] = {
            k: v for k, v in raw.items() if k and k != "district" and k not in INDICATOR_EXTRAS
        }
        try:
            records.append(DistrictIndicators.model_validate(data))
            kept.append(number)
        except ValidationError as error:
            out.problems.extend(_error_problems(INDICATORS_FILE, number, error, raw))
    out.fields["indicators"] = tuple(records)
    out.rows[INDICATORS_FILE] = kept


def _read_toml(folder: Path, name: str, model: type[BaseModel], out: _Reading) -> BaseModel | None:
    path = folder / name
    if not path.exists():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        out.problems.append(Problem(file=name, expected=f"valid TOML ({error})"))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        flat = _flatten(data)
        for err in error.errors():
            column = ".".join(str(p) for p in err["loc"])
            value = flat.get(column)
            out.problems.append(
                Problem(
                    file=name,
                    column=column,
                    value=None if value is None else str(value),
                    expected=err["msg"].removeprefix("Value error, "),
                )
            )
        return None


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def read_scenario_with_notes(folder: Path) -> tuple[Scenario, list[str]]:
    """Read a scenario folder; return it with notes (e.g. files the contract does not name).

    Raises `ScenarioError` listing every problem found.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ScenarioError(
            [Problem(file=str(folder), expected="a scenario folder (it does not exist)")]
        )
    out = _Reading()
    settings = _read_toml(folder, SCENARIO_TOML, ScenarioSettings, out)
    if settings is None and not (folder / SCENARIO_TOML).exists():
        out.problems.append(Problem(file=SCENARIO_TOML, expected="this file; it is required"))
    staffing = _read_toml(folder, STAFFING_TOML, StaffingSettings, out)
    for spec in FILES:
        _read_entities(folder, spec, out)
    _read_indicators(folder, out)
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name not in KNOWN_FILES and path.suffix in {".csv", ".toml"}:
            out.notes.append(f"{path.name} is not part of the scenario format and was ignored")
    fields = dict(out.fields, settings=settings, staffing=staffing)
    if settings is not None:
        partial = Scenario.model_construct(**fields)
        out.problems.extend(find_problems(partial, out.rows))
    if out.problems:
        raise ScenarioError(out.problems)
    return Scenario.model_validate(fields), out.notes


def read_scenario(folder: Path) -> Scenario:
    """Read and validate a scenario folder; raises `ScenarioError` listing every problem."""
    return read_scenario_with_notes(folder)[0]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _write_csv(path: Path, columns: Iterable[str], rows: Iterable[Mapping[str, Any]]) -> None:
    columns = list(columns)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: _cell(row.get(c)) for c in columns})


def write_scenario(scenario: Scenario, folder: Path) -> None:
    """Write `scenario` as a scenario folder that `read_scenario` reads back equal."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SCENARIO_TOML).write_text(
        tomli_w.dumps(scenario.settings.model_dump(mode="json", exclude_none=True)),
        encoding="utf-8",
    )
    for spec in FILES:
        records = getattr(scenario, spec.field)
        path = folder / spec.name
        if not records and not spec.required_file:
            path.unlink(missing_ok=True)
            continue
        _write_csv(path, spec.columns, (r.model_dump(mode="json") for r in records))
    if scenario.staffing is not None:
        (folder / STAFFING_TOML).write_text(
            tomli_w.dumps(scenario.staffing.model_dump(mode="json", exclude_none=True)),
            encoding="utf-8",
        )
    if scenario.indicators:
        names = list(dict.fromkeys(k for i in scenario.indicators for k in i.indicators))
        _write_csv(
            folder / INDICATORS_FILE,
            ["district", *names, *INDICATOR_EXTRAS],
            (
                {
                    "district": i.district,
                    **i.indicators,
                    **i.model_dump(include=set(INDICATOR_EXTRAS)),
                }
                for i in scenario.indicators
            ),
        )
