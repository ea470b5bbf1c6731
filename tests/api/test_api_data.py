"""Uploads, agreements and bad input: 400 unparsable, 404 unknown, 409 clash, 413 too big, 422 with the
field path; consent rules; the audit log."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.builders.service import NORTH, NORTH_SCHOOL, Service, make_service

CASE = {
    "case_id": "T-0200",
    "school_urn": NORTH_SCHOOL,
    "need_type": "B&L",
    "sen_stage": "EHCP",
    "lac": True,
    "consent": "yes",
    "agreed_on": "2025-10-06",
    "minutes_per_week": 45,
    "weeks": 8,
    "priority": 1,
}


def agreements_path(svc: Service) -> str:
    return f"/api/scenarios/{svc.scenario_id}/agreements"


def test_loose_csv_files_upload_like_a_zip(service: Service, tiny_folder: Path) -> None:
    files = [("files", (p.name, p.read_bytes(), "text/csv")) for p in sorted(tiny_folder.iterdir())]
    response = service.call("officer", "POST", "/api/scenarios", files=files)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "Tiny" and body["districts"] == [NORTH, "Southfield"]
    listed = service.call("viewer", "GET", "/api/scenarios").json()
    assert [s["id"] for s in listed] == [body["id"], service.scenario_id]


def _zip_with(folder: Path, file: str, replace: tuple[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in folder.iterdir():
            text = path.read_text(encoding="utf-8")
            if path.name == file:
                text = text.replace(*replace)
            archive.writestr(f"county/{path.name}", text)
    return buffer.getvalue()


def test_a_bad_scenario_is_422_naming_file_row_and_column(
    service: Service, tiny_folder: Path
) -> None:
    bad = _zip_with(tiny_folder, "agreements.csv", (",no,2025-10-01", ",maybe,2025-10-01"))
    response = service.upload(bad)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert errors[0]["loc"] == ["body", "files", "agreements.csv", 4, "consent"]
    assert errors[0]["input"] == "maybe"
    assert len(service.call("officer", "GET", "/api/scenarios").json()) == 1
    checked = service.call(
        "coordinator",
        "POST",
        "/api/scenarios/validate",
        files=[("files", ("s.zip", bad, "application/zip"))],
    ).json()
    assert checked["valid"] is False
    first = checked["problems"][0]
    assert (first["file"], first["row"], first["column"]) == ("agreements.csv", 4, "consent")


def test_what_is_not_a_scenario_is_400(service: Service) -> None:
    not_zip = service.upload(b"PK\x03\x04 this is no zip")
    assert not_zip.status_code == 400
    assert "zip" in not_zip.json()["detail"]
    nothing = service.call(
        "officer", "POST", "/api/scenarios", files=[("files", ("notes.txt", b"hi", "text/plain"))]
    )
    assert nothing.status_code == 400


def test_oversized_uploads_are_413(tmp_path: Path, tiny_zip: bytes) -> None:
    limit = len(tiny_zip) + 1024
    for svc in make_service(tmp_path, tiny_zip, max_upload_bytes=limit):
        declared = svc.upload(b"x" * (limit + 1))
        assert declared.status_code == 413

        def chunks() -> Any:
            for _ in range(2 * limit // 1024 + 1):
                yield b"y" * 1024

        streamed = svc.client.post(
            "/api/scenarios/1/agreements",
            content=chunks(),
            headers={**svc.headers("officer"), "Content-Type": "application/json"},
        )
        assert "content-length" not in streamed.request.headers
        assert streamed.status_code == 413


def test_an_unparsable_body_is_400_and_an_invalid_field_422(service: Service) -> None:
    path = agreements_path(service)
    broken = service.client.post(
        path,
        content=b"{not json",
        headers={**service.headers("officer"), "Content-Type": "application/json"},
    )
    assert broken.status_code == 400
    invalid = service.call("officer", "POST", path, json={**CASE, "weeks": 0})
    assert invalid.status_code == 422
    assert invalid.json()["detail"][0]["loc"] == ["body", "weeks"]


def test_consent_is_yes_no_or_an_exception_with_its_reason(service: Service) -> None:
    path = agreements_path(service)
    for n, consent in enumerate(["yes", "no", "Exception: parent in hospital"]):
        made = service.call(
            "officer", "POST", path, json={**CASE, "case_id": f"C-{n}", "consent": consent}
        )
        assert made.status_code == 201, made.text
    assert made.json()["consent"] == "exception: parent in hospital"
    for n, consent in enumerate(["maybe", "exception:", "exception:   ", "y"]):
        refused = service.call(
            "officer", "POST", path, json={**CASE, "case_id": f"X-{n}", "consent": consent}
        )
        assert refused.status_code == 422, consent
        assert refused.json()["detail"][0]["loc"] == ["body", "consent"]


def test_case_ids_are_pseudonymous_references(service: Service) -> None:
    refused = service.call(
        "officer", "POST", agreements_path(service), json={**CASE, "case_id": "Jane Smith"}
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "case_id"]


@pytest.mark.both_backends
def test_unknown_ids_are_404_and_clashes_409(service: Service) -> None:
    assert service.call("officer", "GET", "/api/scenarios/999").status_code == 404
    assert service.call("officer", "GET", agreements_path(service) + "/NOPE-1").status_code == 404
    assert service.call("officer", "GET", "/api/jobs/deadbeef").status_code == 404
    path = agreements_path(service)
    assert service.call("officer", "POST", path, json=CASE).status_code == 201
    assert service.call("officer", "POST", path, json=CASE).status_code == 409
    unknown_school = service.call(
        "officer", "POST", path, json={**CASE, "case_id": "Z-1", "school_urn": 4242}
    )
    assert unknown_school.status_code == 422
    assert unknown_school.json()["detail"][0]["loc"] == ["body", "school_urn"]


@pytest.mark.both_backends
def test_update_and_close_are_audited_with_who_what_and_when(service: Service) -> None:
    path = agreements_path(service)
    service.call("coordinator", "POST", path, json=CASE)
    changed = service.call(
        "coordinator", "PATCH", f"{path}/T-0200", json={"weeks": 12, "consent": "no"}
    )
    assert changed.status_code == 200 and changed.json()["weeks"] == 12
    null = service.call("coordinator", "PATCH", f"{path}/T-0200", json={"weeks": None})
    assert null.status_code == 422
    early = service.call(
        "coordinator", "POST", f"{path}/T-0200/close", json={"closed_on": "2025-01-01"}
    )
    assert early.status_code == 422
    closed = service.call(
        "coordinator", "POST", f"{path}/T-0200/close", json={"closed_on": "2026-03-01"}
    )
    assert closed.json()["status"] == "closed" and closed.json()["closed_on"] == "2026-03-01"
    again = service.call("coordinator", "PATCH", f"{path}/T-0200", json={"weeks": 3})
    assert again.status_code == 409
    assert service.call("officer", "GET", path).json()[-1]["case_id"] != "T-0200"
    log = service.call(
        "officer", "GET", "/api/audit", params={"scenario_id": service.scenario_id}
    ).json()
    actions = [(e["action"], e["entity_id"]) for e in log[:3]]
    assert actions == [
        ("agreement.close", "T-0200"),
        ("agreement.update", "T-0200"),
        ("agreement.create", "T-0200"),
    ]
    me = service.call("coordinator", "GET", "/api/me").json()
    assert log[1]["user_id"] == me["id"]
    assert log[1]["detail"] == {
        "weeks": {"from": 8, "to": 12},
        "consent": {"from": "yes", "to": "no"},
    }
