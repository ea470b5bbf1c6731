"""A case's record (its timeline: agreed, changed, planned, rebalanced, started, closed) and new
agreements from a CSV or XLSX file: previewed without storing, then added all or none; hostile files
are refused with a plain message, never a 500."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from typing import Any

import openpyxl
import pytest

from tests.api.accept import accept
from tests.builders.service import NORTH, NORTH_SCHOOL, SOUTH, SOUTH_SCHOOL, Service

HEADER = (
    "case_id,school_urn,need_type,sen_stage,lac,consent,agreed_on,minutes_per_week,weeks,priority"
)
NEW_CASE = {
    "case_id": "T-0300",
    "school_urn": NORTH_SCHOOL,
    "need_type": "C&I",
    "sen_stage": "EHCP",
    "consent": "yes",
    "agreed_on": "2025-10-06",
    "minutes_per_week": 60,
    "weeks": 8,
    "priority": 1,
}


def path(svc: Service, rest: str = "") -> str:
    return f"/api/scenarios/{svc.scenario_id}/agreements{rest}"


def send(svc: Service, role: str, what: str, name: str, data: bytes) -> Any:
    files = {"file": (name, data, "application/octet-stream")}
    return svc.call(role, "POST", path(svc, f"/{what}"), files=files)


def csv_of(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def xlsx_of(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def kinds(record: dict[str, Any]) -> list[str]:
    return [e["kind"] for e in record["events"]]


@pytest.mark.both_backends
def test_the_timeline_follows_a_rebalance_an_update_and_a_close(service: Service) -> None:
    accept(service, service.run("caseload/plan", {"time_limit": 10}))
    job = service.run(
        "caseload/rebalance",
        {"time_limit": 10, "agreements": [NEW_CASE], "today": "2025-10-06"},
        role="coordinator",
    )
    accept(service, job, role="coordinator")
    record = service.call("coordinator", "GET", path(service, "/T-0300/timeline"))
    assert record.status_code == 200, record.text
    body = record.json()
    assert body["agreement"]["case_id"] == "T-0300" and body["school_name"] == "North Primary"
    assert body["reviews"].startswith("No reviews recorded")
    support = body["support"]
    assert support["person_name"] and support["person_id"] in {"ST1", "EP1", "CO1"}
    assert kinds(body)[0] == "agreed"
    assert {"recorded", "rebalanced", "planned", "started"} <= set(kinds(body))
    rebalanced = next(e for e in body["events"] if e["kind"] == "rebalanced")
    assert rebalanced["title"] == "Planned by a rebalance" and rebalanced["detail"]
    planned = next(e for e in body["events"] if e["kind"] == "planned")
    assert support["person_name"] in planned["detail"]
    assert "/" in planned["detail"] and support["person_id"] not in planned["detail"]

    changed = service.call(
        "coordinator", "PATCH", path(service, "/T-0300"), json={"weeks": 12, "lac": True}
    )
    assert changed.status_code == 200
    closed = service.call(
        "coordinator", "POST", path(service, "/T-0300/close"), json={"closed_on": "2026-03-02"}
    )
    assert closed.status_code == 200
    body = service.call("officer", "GET", path(service, "/T-0300/timeline")).json()
    change = next(e for e in body["events"] if e["kind"] == "changed")
    assert {(c["label"], c["before"], c["after"]) for c in change["changes"]} == {
        ("Weeks", "8", "12"),
        ("Looked after", "no", "yes"),
    }
    assert "coordinator" in change["by"]
    assert "60 minutes a week for 8 weeks" in body["events"][0]["detail"], "as agreed"
    close = next(e for e in body["events"] if e["kind"] == "closed")
    assert "02/03/2026" in close["detail"] and close["by"]
    finished = [(e["on"], e["title"]) for e in body["events"] if e["kind"] == "finished"]
    assert finished[-1] == ("2026-03-02", "Finished")
    assert finished[0][1] == "Support ended", "the support ended before the case was closed"
    days = [e["on"] for e in body["events"]]
    assert days == sorted(days)


def test_a_timeline_is_scoped_to_the_district_and_readable_by_viewers(service: Service) -> None:
    own = service.call("coordinator", "GET", path(service, "/T-0001/timeline"))
    assert own.status_code == 200
    assert kinds(own.json()) == ["agreed"] and own.json()["support"] is None
    for role, case in [("south_coordinator", "T-0001"), ("coordinator", "T-0002")]:
        refused = service.call(role, "GET", path(service, f"/{case}/timeline"))
        assert refused.status_code == 404, (role, case)
    assert service.call("north_viewer", "GET", path(service, "/T-0001/timeline")).status_code == 200
    assert service.call("north_viewer", "GET", path(service, "/T-0002/timeline")).status_code == 404
    assert service.call("viewer", "GET", path(service, "/T-0002/timeline")).status_code == 200
    assert service.call("anonymous", "GET", path(service, "/T-0001/timeline")).status_code == 401
    bad = service.call("officer", "GET", path(service, "/%3Cscript%3E/timeline"))
    assert bad.status_code == 422
    assert service.call("officer", "GET", path(service, "/T-9999/timeline")).status_code == 404


@pytest.mark.both_backends
def test_a_file_is_previewed_then_added(service: Service) -> None:
    data = csv_of(
        f"N-1,{NORTH_SCHOOL},C&I,EHCP,yes,yes,21/11/2025,60,10,1",
        f"N-2,{NORTH_SCHOOL},B&L,SEN Support,,exception: parent unreachable,2025-11-22,45,6,",
    )
    preview = send(service, "coordinator", "preview", "new.csv", data)
    assert preview.status_code == 200, preview.text
    out = preview.json()
    assert (out["ok"], out["with_problems"], out["problems"]) == (2, 0, [])
    first, second = out["rows"]
    assert first["row"] == 2 and first["agreed_on"] == "2025-11-21"
    assert first["school_name"] == "North Primary" and first["district"] == NORTH
    assert second["lac"] == "no" and second["priority"] == "3"
    listed = service.call("coordinator", "GET", path(service)).json()
    assert "N-1" not in {a["case_id"] for a in listed}, "a preview stores nothing"

    added = send(service, "coordinator", "import", "new.csv", data)
    assert added.status_code == 201, added.text
    assert added.json() == {"added": 2, "case_ids": ["N-1", "N-2"]}
    stored = {a["case_id"]: a for a in service.call("coordinator", "GET", path(service)).json()}
    assert stored["N-1"]["agreed_on"] == "2025-11-21" and stored["N-1"]["lac"] is True
    assert stored["N-2"]["priority"] == 3 and stored["N-2"]["consent"].startswith("exception")
    record = service.call("coordinator", "GET", path(service, "/N-1/timeline")).json()
    assert kinds(record) == ["agreed", "recorded"]
    again = send(service, "coordinator", "import", "new.csv", data)
    assert again.status_code == 422
    assert again.json()["detail"][0]["loc"] == ["body", "file", 2, "case_id"]


@pytest.mark.both_backends
def test_problems_are_plain_and_nothing_is_added(service: Service) -> None:
    data = csv_of(
        f"P-1,{NORTH_SCHOOL},C&I,EHCP,no,maybe,2025-10-06,60,10,1",
        f"P-2,{NORTH_SCHOOL},C&I,EHCP,no,yes,31/02/2025,0,70,9",
        f"P-3,{SOUTH_SCHOOL},C&I,EHCP,no,yes,2025-10-06,60,10,1",
        f"T-0001,{NORTH_SCHOOL},C&I,EHCP,no,yes,2025-10-06,60,10,1",
        f"P-5,{NORTH_SCHOOL},C&I,EHCP,no,yes,2025-10-06,60,10,1",
        f"P-5,{NORTH_SCHOOL},C&I,EHCP,no,yes,2025-10-06,60,10,1",
        f"Jane Smith,{NORTH_SCHOOL},XX,EHCP,perhaps,yes,2025-10-06,60,10,1",
    )
    out = send(service, "coordinator", "preview", "new.csv", data).json()
    assert (out["ok"], out["with_problems"]) == (1, 6)
    found = {(p["row"], p["column"]): p for r in out["rows"] for p in r["problems"]}
    assert found[(2, "consent")]["expected"] == "yes, no, or 'exception:' followed by the reason"
    assert found[(2, "consent")]["value"] == "maybe"
    assert out["rows"][0]["school_name"] == "North Primary"
    assert out["rows"][2]["school_name"] is None, "another district's school is not named"
    assert "dd/mm/yyyy" in found[(3, "agreed_on")]["expected"]
    assert {(3, "minutes_per_week"), (3, "weeks"), (3, "priority")} <= set(found)
    assert found[(4, "school_urn")]["expected"] == "the URN (a number) of a school of your district"
    assert found[(5, "case_id")]["expected"] == "a case id not already in use"
    assert found[(7, "case_id")]["expected"] == "each case id once in the file"
    assert {(8, "case_id"), (8, "need_type"), (8, "lac")} <= set(found)
    for problem in found.values():
        assert (
            "Input should" not in problem["expected"] and "Value error" not in problem["expected"]
        )
    refused = send(service, "coordinator", "import", "new.csv", data)
    assert refused.status_code == 422
    listed = {a["case_id"] for a in service.call("officer", "GET", path(service)).json()}
    assert not listed & {"P-1", "P-5"}, "all or nothing"
    # The county officer may add cases of any district's school.
    south = csv_of(f"S-1,{SOUTH_SCHOOL},C&I,EHCP,no,yes,2025-10-06,60,10,1")
    assert send(service, "south_coordinator", "import", "s.csv", south).status_code == 201
    assert send(service, "coordinator", "preview", "s.csv", south).json()["with_problems"] == 1


def test_missing_columns_and_empty_files_are_plain_problems(service: Service) -> None:
    out = send(service, "officer", "preview", "a.csv", b"case_id,school_urn\nX,1\n").json()
    missing = {p["column"] for p in out["problems"]}
    assert missing == {
        "need_type",
        "sen_stage",
        "consent",
        "agreed_on",
        "minutes_per_week",
        "weeks",
    }
    assert out["rows"] == []
    refused = send(service, "officer", "import", "a.csv", b"case_id,school_urn\nX,1\n")
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][:3] == [
        "body",
        "file",
        1,
    ]
    header_only = send(service, "officer", "preview", "h.csv", csv_of()).json()
    assert header_only["problems"][0]["expected"] == "at least one agreement below the header row"
    empty = send(service, "officer", "preview", "e.csv", b"")
    assert empty.status_code == 400 and "empty" in empty.json()["detail"]


def test_viewers_may_not_preview_or_add(service: Service) -> None:
    data = csv_of(f"V-1,{NORTH_SCHOOL},C&I,EHCP,no,yes,2025-10-06,60,10,1")
    for role in ("viewer", "north_viewer"):
        assert send(service, role, "preview", "v.csv", data).status_code == 403
        assert send(service, role, "import", "v.csv", data).status_code == 403
    assert send(service, "anonymous", "import", "v.csv", data).status_code == 401
    none = service.call("officer", "POST", path(service, "/import"))
    assert none.status_code == 422


def test_an_xlsx_is_read_with_formulas_as_text(service: Service) -> None:
    header = HEADER.split(",")
    data = xlsx_of(
        [
            header,
            ["X-1", NORTH_SCHOOL, "C&I", "EHCP", False, "yes", datetime(2025, 11, 21), 60, 10, 1],
            ["X-2", float(NORTH_SCHOOL), "PD", "EHCP", None, "yes", "22/11/2025", 45.0, 6, None],
            [
                '=HYPERLINK("http://x","y")',
                NORTH_SCHOOL,
                "C&I",
                "EHCP",
                "no",
                "yes",
                date(2025, 11, 21),
                "=30*2",
                10,
                1,
            ],
            [
                "X-4",
                NORTH_SCHOOL,
                "C&I",
                "EHCP",
                "no",
                "=cmd|' /C calc'!A0",
                "2025-11-21",
                60,
                10,
                1,
            ],
        ]
    )
    out = send(service, "coordinator", "preview", "new.xlsx", data).json()
    assert (out["ok"], out["with_problems"]) == (2, 2)
    rows = {r["row"]: r for r in out["rows"]}
    assert rows[2]["agreed_on"] == "2025-11-21" and rows[3]["agreed_on"] == "2025-11-22"
    formula = {p["column"]: p["value"] for p in rows[4]["problems"]}
    assert formula["case_id"].startswith("=HYPERLINK") and formula["minutes_per_week"] == "=30*2"
    assert rows[5]["problems"][0]["column"] == "consent"
    assert rows[5]["problems"][0]["value"] == "=cmd|' /C calc'!A0"
    assert send(service, "coordinator", "import", "new.xlsx", data).status_code == 422
    good = xlsx_of(
        [header, ["X-9", NORTH_SCHOOL, "C&I", "EHCP", "no", "yes", "2025-11-21", 60, 10, 2]]
    )
    assert send(service, "coordinator", "import", "good.xlsx", good).json()["added"] == 1


def test_injection_like_csv_cells_are_text_and_refused(service: Service) -> None:
    data = csv_of(
        f"=cmd|' /C calc'!A0,{NORTH_SCHOOL},C&I,EHCP,no,yes,2025-10-06,60,10,1",
        "I-2,@SUM(1+1),C&I,EHCP,no,+1+1,2025-10-06,-1,10,1",
    )
    out = send(service, "officer", "preview", "inject.csv", data).json()
    assert out["ok"] == 0 and out["with_problems"] == 2
    values = {p["value"] for r in out["rows"] for p in r["problems"]}
    assert {"=cmd|' /C calc'!A0", "@SUM(1+1)", "+1+1", "-1"} <= values


def test_hostile_files_are_refused_plainly(service: Service) -> None:
    garbage = bytes(range(256)) * 40
    for name in ("junk.csv", "junk.xlsx", "junk"):
        refused = send(service, "officer", "preview", name, garbage)
        assert refused.status_code == 400, refused.text
        assert "CSV" in refused.json()["detail"]
    damaged = send(service, "officer", "preview", "d.xlsx", b"PK\x03\x04" + b"\x00" * 200)
    assert damaged.status_code == 400 and "XLSX" in damaged.json()["detail"]
    not_a_book = io.BytesIO()
    with zipfile.ZipFile(not_a_book, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    plain_zip = send(service, "officer", "preview", "z.xlsx", not_a_book.getvalue())
    assert plain_zip.status_code == 400
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (51 * 1024 * 1024))
    blown = send(service, "officer", "preview", "bomb.xlsx", bomb.getvalue())
    assert blown.status_code == 413, blown.text
    old = send(service, "officer", "preview", "old.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    assert old.status_code == 400 and ".xls" in old.json()["detail"]
    utf16 = send(service, "officer", "preview", "u.csv", csv_of("x").decode().encode("utf-16"))
    assert utf16.status_code == 400 and "UTF-16" in utf16.json()["detail"]
    broken = send(service, "officer", "preview", "b.csv", b'case_id\n"unclosed\x00')
    assert broken.status_code == 400
    control = csv_of(f"C-1,{NORTH_SCHOOL},C&I,EHCP,no,yes\x1b[31m,2025-10-06,60,10,1")
    found = send(service, "officer", "preview", "c.csv", control).json()
    assert "control characters" in found["rows"][0]["problems"][0]["expected"]


def test_a_huge_row_count_is_413(service: Service) -> None:
    rows = [f"H-{n},{NORTH_SCHOOL},C&I,EHCP,no,yes,2025-10-06,60,10,1" for n in range(2001)]
    refused = send(service, "officer", "preview", "huge.csv", csv_of(*rows))
    assert refused.status_code == 413 and "2,000" in refused.json()["detail"]
    sheet = xlsx_of([HEADER.split(","), *[[f"H-{n}", NORTH_SCHOOL] for n in range(2001)]])
    assert send(service, "officer", "import", "huge.xlsx", sheet).status_code == 413
    blank = csv_of(*([",,,,,,,,,"] * 100_001))
    assert send(service, "officer", "preview", "blank.csv", blank).status_code == 413
    listed = service.call("officer", "GET", path(service)).json()
    assert not [a for a in listed if a["case_id"].startswith("H-")]
    assert SOUTH in {a["district"] for a in listed}
