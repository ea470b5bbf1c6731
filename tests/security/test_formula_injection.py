"""Spreadsheet formula injection (#11): every CSV and XLSX the project writes, from the CLI and the API,
shows hostile names as text, never as a formula, and keeps numbers and dates typed.

A small county whose districts, groups, venues, slots, schools, people and cases are named like
formulas is planned through the `lift` commands and through the API downloads; every file written is
read back (CSV with the csv module, XLSX with openpyxl and as raw sheet XML) and checked cell by cell.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from pydantic import BaseModel, ValidationError
from typer.testing import CliRunner

from allocator.cli.main import app
from allocator.io import write_scenario
from allocator.io.caseload_export import (
    read_assignments,
    write_assignments,
    write_changes,
    write_unassigned,
    write_xlsx,
)
from allocator.io.cells import (
    DANGEROUS,
    UK_DATE,
    append_row,
    csv_value,
    needs_quote,
    safe_text,
    unsafe_text,
    xlsx_value,
)
from allocator.io.rota_export import read_rota_csv, write_rota_csv, write_rota_xlsx
from allocator.model import PlanStatus, Scenario
from allocator.model.caseload_result import Assignment, CaseloadPlan, Change, Help, Waiting
from allocator.model.rota_result import Meeting, Rota
from tests.api.accept import accept
from tests.builders.folders import make_tiny_scenario
from tests.builders.service import Service, bearer, settings_for, zip_folder

M = TypeVar("M", bound=BaseModel)
runner = CliRunner()

HYPERLINK = '=HYPERLINK("http://x","y")'
RENAME = {
    "Northdown": HYPERLINK,
    "Southfield": "+cmd|' /C calc'!A0",
    "N1": "@SUM(1)",
    "N2": "-2+3",
    "S1": "=1+1",
    "Oak": '=HYPERLINK("http://evil","Oak")',
    "North Primary": "=cmd|' /C calc'!A0",
    "N-A": "@slot",
    "S-A": "-slot",
    # ids may only hold letters, digits, `_`, `.` and `-`: the worst they can do is start with `-`
    "EP1": "-EP1",
    "CO1": "-1.5",
    "ST1": "-ST1",
    "ST2": "-2",
    "T-0001": "-0001",
    "T-0002": "-0002",
    "T-0003": "-0003",
}
"""Every name of the tiny county that reaches an output, renamed to a formula."""
HOSTILE = frozenset(RENAME.values())
NUMBER = re.compile(r"-?\d+(\.\d+)?")
DATE_COLUMNS = {
    "Rota": {"date"},
    "Weeks": {"week of"},
    "assignments": {"start", "end"},
    "unassigned": {"earliest_possible_start", "help_start"},
    "changes": {"before_start", "after_start"},
}
"""The columns of each workbook sheet that hold dates."""
INT_COLUMNS = {
    "half_term",
    "week",
    "minutes_per_week",
    "travel_minutes",
    "help_extra_minutes_per_week",
    "help_weeks",
    "capacity_minutes",
    "load_minutes",
    "children",
}
ID_COLUMNS = {"case_id", "person_id", "before_person", "after_person", "help_person_id"}
"""Text columns whose ids may look like numbers (`-2`): they must be quoted all the same."""


def _rename(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _rename(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rename(v) for v in value]
    if isinstance(value, str):
        return ";".join(RENAME.get(part, part) for part in value.split(";"))
    return value


def hostile_scenario() -> Scenario:
    """The tiny county with every name that reaches an output renamed to a formula."""
    return Scenario.model_validate(_rename(make_tiny_scenario().model_dump()))


# ---------------------------------------------------------------------------------------------
# What a safe file looks like
# ---------------------------------------------------------------------------------------------


def assert_safe_text(text: str, where: str) -> None:
    """A text cell is safe when a spreadsheet cannot read it as a formula: it does not start with a
    dangerous character, or it starts with the apostrophe."""
    assert not needs_quote(text) or text.startswith("'"), f"{where}: {text!r} would be a formula"
    assert text not in HOSTILE, f"{where}: {text!r} written verbatim"


def csv_cells(path: Path | bytes) -> list[list[str]]:
    """Every row of a CSV, read back with the csv module."""
    raw = path if isinstance(path, bytes) else path.read_bytes()
    text = raw.decode("utf-8")  # not read_text: that would turn a CR inside a cell into LF
    return list(csv.reader(io.StringIO(text, newline="")))


def assert_safe_csv(path: Path | bytes, name: str) -> list[dict[str, str]]:
    """No cell of the CSV can run as a formula; only real numbers start with `-`. Returns its rows."""
    header, *rows = csv_cells(path)
    for number, row in enumerate([header, *rows], start=1):
        for column, cell in zip(header, row, strict=True):
            if number > 1 and column not in ID_COLUMNS and NUMBER.fullmatch(cell):
                continue  # a number, which a spreadsheet reads as a number (no formula)
            assert_safe_text(cell, f"{name}, row {number}, column {column!r}")
    return [dict(zip(header, row, strict=True)) for row in rows]


def assert_safe_xlsx(data: Path | bytes, name: str) -> None:
    """No cell of the workbook is a formula or a text a spreadsheet would run; numbers and dates are
    typed; every sheet has a frozen, filtered header."""
    raw = data if isinstance(data, bytes) else data.read_bytes()
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        for member in archive.namelist():
            if member.startswith("xl/worksheets/"):
                xml = archive.read(member)
                assert b"<f>" not in xml and b"<f " not in xml, f"{name}/{member}: a formula"
    book = load_workbook(io.BytesIO(raw))
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", f"{name}/{sheet.title}: header not frozen"
        assert sheet.auto_filter.ref == sheet.dimensions, f"{name}/{sheet.title}: no filter"
        header = [c.value for c in sheet[1]]
        dates = DATE_COLUMNS.get(sheet.title, set())
        for row in sheet.iter_rows():
            for cell, column in zip(row, header, strict=True):
                where = f"{name}/{sheet.title}!{cell.coordinate}"
                assert cell.data_type != "f", f"{where} is a formula"
                if isinstance(cell.value, str):
                    assert_safe_text(cell.value, where)
                if cell.row == 1 or cell.value is None:
                    continue
                if column in dates:
                    assert isinstance(cell.value, datetime), f"{where}: {cell.value!r} not a date"
                    assert cell.number_format == UK_DATE, where
                if column in INT_COLUMNS:
                    assert type(cell.value) is int, f"{where}: {cell.value!r} not a number"


# ---------------------------------------------------------------------------------------------
# The rule itself
# ---------------------------------------------------------------------------------------------

ATTACKS = [
    HYPERLINK,
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
    "\tname",
    "\rname",
    " =1+1",
    "＝1+1",
    "'=1+1",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_each_attack_is_quoted_and_comes_back(attack: str) -> None:
    quoted = safe_text(attack)
    assert quoted == "'" + attack
    assert csv_value(attack) == quoted and xlsx_value(attack) == quoted
    assert unsafe_text(quoted) == attack


@pytest.mark.parametrize("text", ["Oak", "North Primary", "09:30", "C&I;B&L", "", "'quoted", "a=b"])
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert safe_text(text) == text and unsafe_text(text) == text


def test_numbers_and_dates_are_not_text() -> None:
    assert [csv_value(v) for v in (-2, -0.5, Decimal("-0.50"), 0, None, True)] == [
        "-2",
        "-0.5",
        "-0.50",
        "0",
        "",
        "yes",
    ]
    assert csv_value(date(2025, 9, 1)) == "2025-09-01"
    assert xlsx_value(-2) == -2 and xlsx_value(Decimal("-0.5")) == Decimal("-0.5")
    assert xlsx_value(date(2025, 9, 1)) == date(2025, 9, 1)
    assert xlsx_value(time(9, 30)) == time(9, 30)


def test_a_negative_number_stays_a_number_in_a_workbook(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    append_row(sheet, ["name", "change", "when"])
    append_row(sheet, ["-2", -2, date(2026, 1, 5)])
    append_row(sheet, ["=1+1", -0.75, datetime(2026, 1, 5, 9, 30)])
    book.save(tmp_path / "t.xlsx")
    back = load_workbook(tmp_path / "t.xlsx").active
    assert back is not None
    assert [(c.value, c.data_type) for c in back[2]][:2] == [("'-2", "s"), (-2, "n")]
    assert [(c.value, c.data_type) for c in back[3]][:2] == [("'=1+1", "s"), (-0.75, "n")]
    assert back["C2"].value == datetime(2026, 1, 5) and back["C2"].number_format == UK_DATE


ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
NAMES = st.one_of(
    st.sampled_from(ATTACKS),
    st.builds(
        lambda head, tail: head + tail,
        st.sampled_from([*DANGEROUS, "'", "''", " ", "' ="]),
        ANY_TEXT,
    ),
    ANY_TEXT,
)


@settings(max_examples=300, deadline=None)
@given(NAMES)
def test_the_rule_is_safe_and_reversible(text: str) -> None:
    quoted = safe_text(text)
    assert not needs_quote(quoted) or quoted.startswith("'")
    assert unsafe_text(quoted) == text
    assert quoted in (text, "'" + text)
    if quoted == text:
        assert unsafe_text(text) == text


# ---------------------------------------------------------------------------------------------
# The writers, with any hostile name (no solver)
# ---------------------------------------------------------------------------------------------

XLSX_SAFE = st.characters(exclude_categories=("Cs", "Cc")) | st.sampled_from("\t\r\n")
"""XML cannot hold other control characters (the scenario reader refuses them)."""
CORE = st.text(XLSX_SAFE, min_size=1, max_size=10).map(str.strip).filter(bool)
HOSTILE_NAMES = st.builds(
    lambda head, core: head + core, st.sampled_from([*DANGEROUS, "'", "'=", " ="]), CORE
)
IDS = st.from_regex(r"-[A-Za-z0-9_.\-]{1,8}", fullmatch=True)


def _validated(model: M) -> M | None:
    """The model with its values validated, or None where they fail (tab and CR are refused in names
    since #11)."""
    try:
        return type(model).model_validate(model.model_dump())
    except ValidationError:
        return None


def _rota(names: list[str], person: str) -> Rota:
    """A one-meeting rota named `names` (built without validation: the writer is the last defence)."""
    district, group, venue, slot = names
    meeting = Meeting.model_construct(
        district=district,
        group=group,
        half_term=1,
        date=date(2025, 9, 10),
        weekday="Wednesday",
        start=time(9, 30),
        end=time(12, 0),
        venue=venue,
        slot=slot,
        week=2,
        attendees=(person, "EP1"),
    )
    return Rota.model_construct(meetings=(meeting,))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(HOSTILE_NAMES, min_size=4, max_size=4), IDS)
def test_rota_files_with_any_hostile_name(tmp_path: Path, names: list[str], person: str) -> None:
    rota = _rota(names, person)
    csv_path = write_rota_csv(rota, tmp_path / "rota.csv")
    rows = assert_safe_csv(csv_path, "rota.csv")
    assert rows[0]["venue"] == safe_text(names[2]) and rows[0]["half_term"] == "1"
    valid = _validated(rota)
    if valid is not None:
        assert read_rota_csv(csv_path) == valid  # the reader takes the apostrophe off again
    assert_safe_xlsx(write_rota_xlsx(rota, tmp_path / "rota.xlsx"), "rota.xlsx")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(HOSTILE_NAMES, HOSTILE_NAMES, IDS, IDS)
def test_caseload_files_with_any_hostile_name(
    tmp_path: Path, team: str, reason: str, case: str, person: str
) -> None:
    start = date(2025, 9, 22)
    assignment = Assignment.model_construct(
        case_id=case,
        person_id=person,
        team=team,
        start=start,
        end=date(2025, 12, 12),
        minutes_per_week=60,
        travel_minutes=20,
        status=PlanStatus.PLANNED,
    )
    help_ = Help.model_construct(
        team=team, extra_minutes_per_week=30, start=start, person_id=person, weeks=0
    )
    waiting = Waiting.model_construct(
        case_id=case + "w", reason=reason, earliest_possible_start=start, help=help_
    )
    plan = CaseloadPlan.model_construct(assignments=(assignment,), waiting=(waiting,))
    changes = [
        Change.model_construct(
            case_id=case,
            before_person=person,
            after_person=person,
            before_start=start,
            after_start=None,
            reason=reason,
        )
    ]
    written = [
        write_assignments(plan, tmp_path / "assignments.csv"),
        write_unassigned(plan, tmp_path / "unassigned.csv"),
        write_changes(changes, tmp_path / "changes.csv"),
    ]
    for path in written:
        assert_safe_csv(path, path.name)
    valid = _validated(assignment)
    if valid is not None:
        assert read_assignments(written[0]).assignments == (valid,)
    assert_safe_xlsx(write_xlsx(plan, tmp_path / "caseload.xlsx", changes), "caseload.xlsx")


# ---------------------------------------------------------------------------------------------
# The `lift` commands on a hostile county
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile") / "scenario"
    write_scenario(hostile_scenario(), folder)
    return folder


def _lift(*args: str) -> None:
    result = runner.invoke(app, [*args])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def cli_outputs(hostile_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every output of `lift rota`, `assign`, `rebalance`, `staffing` and `staffing compare`."""
    out = tmp_path_factory.mktemp("outputs")
    s = str(hostile_folder)
    _lift("rota", "-s", s, "--out", str(out / "rota"), "--time-limit", "10", "--workers", "2")
    solve = ["--time-limit", "5", "--workers", "2"]
    _lift("assign", "-s", s, "--out", str(out / "assign"), *solve)
    new = out / "new.csv"
    new.write_text(
        "case_id,school_urn,need_type,sen_stage,lac,consent,agreed_on,minutes_per_week,weeks,"
        "priority\n-0300,100002,C&I,SEN Support,no,yes,2025-10-06,60,6,2\n",
        encoding="utf-8",
    )
    plan = str(out / "assign" / "assignments.csv")
    _lift("rebalance", "--plan", plan, "--new", str(new), "-s", s, "--out", str(out / "re"), *solve)
    _lift("staffing", "-s", s, "--out", str(out / "staffing"))
    formula = tomllib.loads((hostile_folder / "staffing.toml").read_text(encoding="utf-8"))
    (out / "a.toml").write_text(tomli_w.dumps(formula), encoding="utf-8")
    formula["high_incidence"]["total_fte"] = 2.0
    (out / "b.toml").write_text(tomli_w.dumps(formula), encoding="utf-8")
    compare = ["staffing", "compare", str(out / "a.toml"), str(out / "b.toml")]
    _lift(*compare, "-s", s, "--out", str(out / "compare"))
    return out


def test_every_cli_csv_and_xlsx_is_safe(cli_outputs: Path) -> None:
    written = sorted(p for p in cli_outputs.rglob("*") if p.suffix in {".csv", ".xlsx"})
    names = {p.relative_to(cli_outputs).as_posix() for p in written}
    assert {
        "rota/rota.csv",
        "rota/rota.xlsx",
        "assign/assignments.csv",
        "assign/unassigned.csv",
        "assign/load.csv",
        "assign/caseload.xlsx",
        "re/changes.csv",
        "re/caseload.xlsx",
        "staffing/staffing.csv",
        "staffing/pools.csv",
        "staffing/sensitivity.csv",
        "compare/compare.csv",
    } <= names
    cells: set[str] = set()
    for path in written:
        if path.name == "new.csv":
            continue
        if path.suffix == ".csv":
            assert_safe_csv(path, path.name)
            cells.update(cell for row in csv_cells(path) for cell in row)
        else:
            assert_safe_xlsx(path, path.name)
    for name in (HYPERLINK, "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "=1+1", "@slot", "-0001"):
        assert "'" + name in cells, f"{name!r} is not in the outputs: the test proves nothing"


def test_negative_staffing_changes_stay_numbers(cli_outputs: Path) -> None:
    compare = assert_safe_csv(cli_outputs / "compare" / "compare.csv", "compare.csv")
    changes = [r["change_fte"] for r in compare]
    assert any(c.startswith("-") for c in changes), changes
    assert all(NUMBER.fullmatch(c) for c in changes), changes
    staffing = assert_safe_csv(cli_outputs / "staffing" / "staffing.csv", "staffing.csv")
    assert all(NUMBER.fullmatch(r["change_fte"]) for r in staffing)


def test_the_caseload_workbook_is_typed_frozen_and_filtered(cli_outputs: Path) -> None:
    book = load_workbook(cli_outputs / "re" / "caseload.xlsx")
    assert book.sheetnames == ["assignments", "unassigned", "changes"]
    sheet = book["assignments"]
    header = [c.value for c in sheet[1]]
    first = {h: c.value for h, c in zip(header, sheet[2], strict=True)}
    assert isinstance(first["start"], datetime) and isinstance(first["minutes_per_week"], int)
    assert first["person_id"].startswith("'-") and first["status"] in {"planned", "running"}
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == sheet.dimensions
    assert sheet["A1"].font.bold and (sheet.column_dimensions["A"].width or 0) >= 8


def test_rota_previous_reads_back_the_quoted_names(cli_outputs: Path, hostile_folder: Path) -> None:
    rota = read_rota_csv(cli_outputs / "rota" / "rota.csv", hostile_scenario())
    assert {m.group for m in rota.meetings} == {"@SUM(1)", "-2+3", "=1+1"}
    assert {m.venue for m in rota.meetings} == {RENAME["Oak"]}


# ---------------------------------------------------------------------------------------------
# The API downloads on a hostile county
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_service(
    hostile_folder: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    from fastapi.testclient import TestClient

    from api.admin import add_user
    from api.main import create_app
    from api.security import Role

    app_ = create_app(settings_for(tmp_path_factory.mktemp("api")))
    token = add_user(app_.state.sessions, Role.COUNTY_OFFICER, None)[1]
    with TestClient(app_) as client:
        service = Service(client=client, tokens={"officer": token})
        uploaded = service.upload(zip_folder(hostile_folder))
        assert uploaded.status_code == 201, uploaded.text
        service.scenario_id = uploaded.json()["id"]
        accept(service, service.run("rota/solve", {"time_limit": 10}))
        accept(service, service.run("caseload/plan", {"time_limit": 10}))
        staffing = client.post(
            f"/api/scenarios/{service.scenario_id}/staffing", json={}, headers=bearer(token)
        )
        assert staffing.status_code == 201, staffing.text
        yield service


@pytest.mark.parametrize(
    "download",
    [
        "rota/rota.csv",
        "rota/rota.xlsx",
        "caseload/assignments.csv",
        "caseload/unassigned.csv",
        "caseload/changes.csv",
        "caseload/caseload.xlsx",
        "staffing/staffing.csv",
    ],
)
def test_every_api_download_is_safe(hostile_service: Service, download: str) -> None:
    response = hostile_service.call(
        "officer", "GET", f"/api/scenarios/{hostile_service.scenario_id}/{download}"
    )
    assert response.status_code == 200, response.text
    if download.endswith(".xlsx"):
        assert_safe_xlsx(response.content, download)
    else:
        rows = assert_safe_csv(response.content, download)
        if download != "caseload/changes.csv":
            assert rows, download
