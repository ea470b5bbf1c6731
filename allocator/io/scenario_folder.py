"""Read and write the scenario folder (the input contract of DESIGN.md).

Every problem of a folder is collected, not just the first: a missing file or column, a value of the
wrong form, or a reference to something that does not exist, each named by file, row and column.
Rows are spreadsheet rows: the header is row 1.

Hostile input is refused the same way, never with a traceback: bytes that are not UTF-8, NUL bytes, an
empty file, a duplicated column, a row with more or fewer cells than the header, a cell too large for
the CSV reader, control characters in a cell, and TOML that does not parse or nests too deeply.
"""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ValidationError

from allocator.model import (
    Agreement,
    AgreementDetails,
    Closure,
    District,
    DistrictIndicators,
    LiftGroup,
    MeetingSlot,
    Person,
    PlannedSupport,
    Problem,
    Request,
    Review,
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
from allocator.model.base import printable, unsafe_character
from allocator.model.details import DETAIL_COLUMNS

SCENARIO_TOML = "scenario.toml"
STAFFING_TOML = "staffing.toml"
INDICATOR_EXTRAS = ("baseline_fte", "hi_children", "vi_children", "pi_children")
TOML_MAX_DEPTH = 8
"""Tables and arrays nest at most this deep in a TOML file (the format needs three)."""
SHOWN_CHARS = 80
"""A value quoted in a problem is cut to this many characters."""


@dataclass(frozen=True)
class CsvFile:
    """One CSV file of the contract: its entity, columns and the `Scenario` field it fills."""

    name: str
    field: str
    entity: type[BaseModel]
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    required_file: bool = True
    needs_rows: bool = False
    """Whether the file must hold at least one record below its header."""

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column this file may have, required first."""
        return self.required + self.optional


FILES: tuple[CsvFile, ...] = (
    CsvFile("terms.csv", "terms", Term, ("term", "first_day", "last_day"), needs_rows=True),
    CsvFile(
        "closures.csv", "closures", Closure, ("date", "district", "reason"), required_file=False
    ),
    CsvFile(
        "districts.csv",
        "districts",
        District,
        ("district", "population", "lat", "lon"),
        needs_rows=True,
    ),
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
        needs_rows=True,
    ),
    CsvFile(
        "lift_groups.csv",
        "lift_groups",
        LiftGroup,
        ("group", "district", "kind", "meetings_per_half_term", "attendees"),
        ("slots",),
        needs_rows=True,
    ),
    CsvFile(
        "meeting_slots.csv",
        "meeting_slots",
        MeetingSlot,
        ("district", "weekday", "start", "end", "venue", "case_capacity"),
        ("slot", "meetings_per_week"),
        needs_rows=True,
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
        ("email",),
        needs_rows=True,
    ),
    CsvFile(
        "unavailability.csv",
        "unavailability",
        Unavailability,
        ("person_id", "first_day", "last_day", "reason"),
        required_file=False,
    ),
    CsvFile(
        "requests.csv",
        "requests",
        Request,
        (
            "request_id",
            "school_urn",
            "received_on",
            "need_type",
            "sen_stage",
            "lac",
            "urgent",
            "consent",
        ),
        ("outcome", "decided_on"),
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
        ("request_id",),
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
    CsvFile(
        "agreement_details.csv",
        "details",
        AgreementDetails,
        ("case_id",),
        DETAIL_COLUMNS[1:],
        required_file=False,
    ),
    CsvFile(
        "reviews.csv",
        "reviews",
        Review,
        ("case_id", "date", "kind", "measure", "value"),
        ("note",),
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


def _shown(value: Any) -> str | None:
    """A value as quoted in a problem: printable text, cut to `SHOWN_CHARS` characters."""
    if value is None:
        return None
    text = str(value)
    return printable(text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "...")


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
                value=_shown(value),
                expected=message,
            )
        )
    return problems


def _read_text(path: Path, name: str, out: _Reading, *, table: bool = True) -> str | None:
    """The file as text, or None with a problem: unreadable, not UTF-8, NUL bytes, or empty."""
    try:
        data = path.read_bytes()
    except OSError as error:
        out.problems.append(Problem(file=name, expected=f"a readable file ({error.strerror})"))
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        out.problems.append(
            Problem(file=name, expected="UTF-8 text (this file is UTF-16; save it as CSV UTF-8)")
        )
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        byte = data[error.start : error.start + 1].hex()
        out.problems.append(
            Problem(
                file=name,
                expected=f"UTF-8 text (byte 0x{byte} on line {line} is not UTF-8; "
                "save the file as CSV UTF-8)",
            )
        )
        return None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        out.problems.append(
            Problem(file=name, expected=f"a text file (line {line} holds a NUL byte)")
        )
        return None
    if not text.strip():
        if table:
            expected, row = "a header row naming the columns (the file is empty)", 1
        else:
            expected, row = "TOML settings (the file is empty)", None
        out.problems.append(Problem(file=name, row=row, expected=expected))
        return None
    return text


def _read_csv(
    path: Path, name: str, out: _Reading
) -> tuple[list[str], list[tuple[int, dict[str, str]]]] | None:
    """The header and the (spreadsheet row, cells) of each record, or None if the file is refused.

    Refuses, with a problem each: a duplicated or unsafe column name, a row with more or fewer cells
    than the header, a control character in a cell, and anything the CSV reader cannot parse. A row
    with a bad cell is left out of the records (its other cells are not checked further).
    """
    text = _read_text(path, name, out)
    if text is None:
        return None
    before = len(out.problems)
    number = 0  # the last row read; a CSV error is in the row after it
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [h.strip() for h in next(reader, [])]
        number = 1
        _check_header(name, header, out)
        if len(out.problems) > before:
            return None
        rows: list[tuple[int, dict[str, str]]] = []
        for number, cells in enumerate(reader, start=2):
            if not cells:
                continue  # a blank line
            if _check_row(name, number, header, cells, out):
                rows.append(
                    (number, {h: c.strip() for h, c in zip(header, cells, strict=False) if h})
                )
    except csv.Error as error:
        out.problems.append(
            Problem(file=name, row=number + 1, expected=f"a well-formed CSV row ({error})")
        )
        return None
    return header, rows


def _check_header(name: str, header: list[str], out: _Reading) -> None:
    seen: dict[str, int] = {}
    for index, column in enumerate(header, start=1):
        found = unsafe_character(column)
        if found is not None:
            out.problems.append(
                Problem(
                    file=name,
                    row=1,
                    column=_shown(column),
                    expected=f"a column name without control characters (found {found})",
                )
            )
            continue
        key = column.casefold()
        if not key:
            continue  # an unnamed column (e.g. a trailing comma) is ignored
        if key in seen:
            out.problems.append(
                Problem(
                    file=name,
                    row=1,
                    column=_shown(column),
                    expected=f"each column once (column {index} repeats column {seen[key]}); "
                    "remove or rename one of them",
                )
            )
        else:
            seen[key] = index


def _check_row(name: str, number: int, header: list[str], cells: list[str], out: _Reading) -> bool:
    """Whether a record's cells are usable: as many as the header, none with a control character."""
    ok = True
    extra = cells[len(header) :]
    if len(cells) < len(header) or any(c.strip() for c in extra):
        out.problems.append(
            Problem(
                file=name,
                row=number,
                value=f"{len(cells)} cells",
                expected=f"{len(header)} cells, one for each column of the header",
            )
        )
        ok = False
    for column, cell in zip(header, cells, strict=False):
        found = unsafe_character(cell)
        if found is not None:
            out.problems.append(
                Problem(
                    file=name,
                    row=number,
                    column=_shown(column) or None,
                    value=_shown(cell),
                    expected=f"text without control or bidirectional characters (found {found})",
                )
            )
            ok = False
    return ok


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
    read = _read_csv(path, spec.name, out)
    if read is None:
        return
    header, rows = read
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
    if spec.needs_rows and not rows:
        out.problems.append(
            Problem(file=spec.name, row=2, expected="at least one row below the header")
        )
    records, kept = [], []
    for number, raw in rows:
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
    "requests.csv": ("lac", "urgent"),
    "agreements.csv": ("lac", "priority"),
    "current_plan.csv": ("status",),
    "meeting_slots.csv": ("case_capacity",),
}


def _read_indicators(folder: Path, out: _Reading) -> None:
    path = folder / INDICATORS_FILE
    out.fields["indicators"] = ()
    if not path.exists():
        return
    read = _read_csv(path, INDICATORS_FILE, out)
    if read is None:
        return
    header, rows = read
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
    for number, raw in rows:
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
    text = _read_text(path, name, out, table=False)
    if text is None:
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        out.problems.append(Problem(file=name, expected=f"valid TOML ({error})"))
        return None
    except RecursionError:
        out.problems.append(
            Problem(file=name, expected=f"TOML nested at most {TOML_MAX_DEPTH} levels deep")
        )
        return None
    if _depth(data) > TOML_MAX_DEPTH:
        out.problems.append(
            Problem(file=name, expected=f"TOML nested at most {TOML_MAX_DEPTH} levels deep")
        )
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
                    column=_shown(column),
                    value=_shown(value),
                    expected=err["msg"].removeprefix("Value error, "),
                )
            )
        return None


def _depth(data: Any) -> int:
    """How deep tables and arrays nest in parsed TOML (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, Mapping):
            children: Iterable[Any] = value.values()
        elif isinstance(value, list):
            children = value
        else:
            deepest = max(deepest, depth)
            continue
        deepest = max(deepest, depth + 1)
        if deepest > TOML_MAX_DEPTH:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


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
            name = _shown(path.name)
            out.notes.append(f"{name} is not part of the scenario format and was ignored")
    fields = dict(out.fields, settings=settings, staffing=staffing)
    if settings is not None:
        partial = Scenario.model_construct(**fields)
        out.problems.extend(find_problems(partial, out.rows))
    if out.problems:
        raise ScenarioError(out.problems)
    try:
        return Scenario.model_validate(fields), out.notes
    except ValidationError as error:  # every rule ran above; this is a safety net
        raise ScenarioError(_error_problems(str(folder.name), None, error, {})) from None


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
        rows = [r.model_dump(mode="json") for r in records]
        # An optional column no record fills is left out, so older files stay as they were.
        columns = [
            c for c in spec.columns if c in spec.required or any(r.get(c) is not None for r in rows)
        ]
        _write_csv(path, columns, rows)
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
