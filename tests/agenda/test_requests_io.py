"""requests.csv and agreements.csv's request_id: read, written back, and refused when hostile, every
problem named by file, row and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from allocator.io import read_scenario, write_scenario
from allocator.model import Problem, Scenario
from tests.builders.folders import problems_of, set_cell

HEADER = "request_id,school_urn,received_on,need_type,sen_stage,lac,urgent,consent\n"
GOOD = (
    "Q-0001,100001,2025-09-10,C&I,SEN Support,no,no,yes\n"
    "Q-0002,100003,2025-09-11,HI,EHCP,yes,,exception: parent unreachable\n"
    "Q-0003,100004,2025-09-12,PSCN,EYA+/SA+,,yes,no\n"
)


def _has(problems: list[Problem], file: str, row: int | None, column: str | None) -> bool:
    return any(p.file == file and p.row == row and p.column == column for p in problems)


@pytest.fixture
def with_requests(folder: Path) -> Path:
    (folder / "requests.csv").write_text(HEADER + GOOD, encoding="utf-8")
    return folder


def test_requests_are_read_and_written_back(with_requests: Path, tmp_path: Path) -> None:
    set_cell(with_requests, "agreements.csv", 2, "request_id", "Q-0001")
    scenario = read_scenario(with_requests)
    assert [r.request_id for r in scenario.requests] == ["Q-0001", "Q-0002", "Q-0003"]
    q2, q3 = scenario.requests[1], scenario.requests[2]
    assert q2.lac and not q2.urgent and q2.county_route and q2.consent.kind == "exception"
    assert q3.urgent and not q3.lac and not q3.consent.plannable
    assert scenario.agreements[0].request_id == "Q-0001"
    assert scenario.agreements[1].request_id is None
    write_scenario(scenario, tmp_path / "again")
    assert read_scenario(tmp_path / "again") == scenario


def test_without_requests_nothing_changes(
    folder: Path, tiny_scenario: Scenario, tmp_path: Path
) -> None:
    scenario = read_scenario(folder)
    assert scenario.requests == () and scenario == tiny_scenario
    write_scenario(scenario, tmp_path / "again")
    assert not (tmp_path / "again" / "requests.csv").exists()
    header = (tmp_path / "again" / "agreements.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "request_id" not in header
    assert "request_id" not in scenario.agreements[0].model_dump(mode="json")


@pytest.mark.parametrize(
    ("row", "column", "value"),
    [
        (2, "received_on", "2025-13-45"),
        (2, "received_on", "31/02/2025"),
        (3, "received_on", "2020-01-01"),  # outside the year and a year either side
        (2, "school_urn", "999999"),  # no such school
        (2, "school_urn", "abc"),
        (3, "request_id", "Jane Smith"),  # a name cannot fit a pseudonymous id
        (3, "request_id", "Q-0001"),  # the id of row 2
        (2, "need_type", "ADHD"),
        (2, "sen_stage", "statement"),
        (2, "lac", "perhaps"),
        (2, "urgent", "very"),
        (2, "consent", "maybe"),
        (2, "consent", "exception:"),
    ],
)
def test_hostile_requests_are_refused_with_file_row_and_column(
    with_requests: Path, row: int, column: str, value: str
) -> None:
    set_cell(with_requests, "requests.csv", row, column, value)
    problems = problems_of(with_requests)
    assert _has(problems, "requests.csv", row, column), [str(p) for p in problems]


def test_an_unknown_request_id_in_agreements_is_refused(with_requests: Path) -> None:
    set_cell(with_requests, "agreements.csv", 3, "request_id", "Q-9999")
    problems = problems_of(with_requests)
    assert _has(problems, "agreements.csv", 3, "request_id")
    assert "a request_id of requests.csv" in str(problems[0])


def test_an_agreement_before_its_request_is_refused(with_requests: Path) -> None:
    set_cell(with_requests, "agreements.csv", 2, "request_id", "Q-0001")
    set_cell(with_requests, "agreements.csv", 2, "agreed_on", "2025-09-09")
    assert _has(problems_of(with_requests), "agreements.csv", 2, "agreed_on")


def test_a_request_id_in_agreements_needs_requests_csv(folder: Path) -> None:
    set_cell(folder, "agreements.csv", 2, "request_id", "Q-0001")
    assert _has(problems_of(folder), "agreements.csv", 2, "request_id")


@pytest.mark.parametrize(
    "content",
    [
        b"",  # empty
        b"\xff\xfe" + HEADER.encode("utf-16-le"),  # UTF-16
        HEADER.encode()
        + b"Q-1,100001,2025-09-10,C&I,SEN Support,no,no,yes,extra\n",  # a cell too many
        HEADER.encode() + b"Q-1,100001,2025-09-10\n",  # too few
        HEADER.encode() + b"Q-1,100001,2025-09-10,C&I,SEN Support,no,no,ye\x00s\n",  # NUL
        HEADER.encode() + b'Q-1,100001,2025-09-10,C&I,SEN Support,no,no,"yes\n',  # open quote
        b"request_id,request_id\nQ-1,Q-2\n",  # a repeated column, the others missing
        HEADER.encode() + "Q-1,100001,2025-09-10,C&I,SEN Support,no,no,ye\u202es\n".encode(),
        b"\xc3\x28" + HEADER.encode(),  # not UTF-8
    ],
)
def test_a_damaged_requests_file_never_crashes(folder: Path, content: bytes) -> None:
    (folder / "requests.csv").write_bytes(content)
    problems = problems_of(folder)
    assert problems and all(p.file == "requests.csv" for p in problems), [str(p) for p in problems]
