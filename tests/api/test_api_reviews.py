"""Written agreements and reviews through the service: stored at upload and put back on reload,
reviews due and overdue, measures recorded and read back, progress, the agreement's text and its
document (HTML escaped, PDF read back), and who may do what."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from allocator.io import write_scenario
from allocator.model import AgreementDetails, Review, Scenario
from api.db.models import AgreementRow, ReviewRow, ScenarioRow
from tests.builders.service import NORTH, SOUTH, Service, zip_folder

CASE = "T-0001"
"""The tiny county's Northdown case (C&I, agreed 17/09/2025, consent yes)."""
HOSTILE = "<script>alert(1)</script> & </para>"


def reviews(svc: Service, rest: str = "") -> str:
    return f"/api/scenarios/{svc.scenario_id}/reviews{rest}"


def measure(**given: Any) -> dict[str, Any]:
    """A valid measure of the Northdown case."""
    return {
        "case_id": CASE,
        "date": "2025-10-06",
        "kind": "entry",
        "measure": "reading age (months)",
        "value": 80,
        **given,
    }


@pytest.fixture
def with_files(tiny_scenario: Scenario, tmp_path: Path) -> bytes:
    """The tiny county with agreement_details.csv and reviews.csv, zipped."""
    scenario = tiny_scenario.model_copy(
        update={
            "details": (
                AgreementDetails(
                    case_id=CASE,
                    support="Weekly sessions " + HOSTILE,
                    criteria="Two terms at SEN Support",
                    review_date=date(2025, 11, 20),
                ),
            ),
            "reviews": (
                Review(
                    case_id=CASE, date=date(2025, 10, 6), kind="entry", measure="words", value=40
                ),
                Review(
                    case_id=CASE, date=date(2025, 12, 15), kind="exit", measure="words", value=52
                ),
                Review(
                    case_id=CASE,
                    date=date(2025, 11, 3),
                    kind="review",
                    measure="words",
                    value=45,
                    note="on track",
                ),
            ),
        }
    )
    folder = tmp_path / "with-files"
    write_scenario(scenario, folder)
    assert (folder / "agreement_details.csv").exists() and (folder / "reviews.csv").exists()
    return zip_folder(folder)


@pytest.mark.both_backends
def test_details_and_reviews_are_stored_apart_and_put_back(
    service: Service, with_files: bytes
) -> None:
    stored = service.upload(with_files)
    assert stored.status_code == 201, stored.text
    sid = stored.json()["id"]
    app: Any = service.client.app
    with app.state.sessions() as session:
        row = session.get(ScenarioRow, sid)
        assert not row.content.get("details") and not row.content.get("reviews")
        case = session.scalars(
            select(AgreementRow).where(
                AgreementRow.scenario_id == sid, AgreementRow.case_id == CASE
            )
        ).one()
        assert case.details["review_date"] == "2025-11-20"
        assert "case_id" not in case.details
        kept = session.scalars(select(ReviewRow).where(ReviewRow.scenario_id == sid)).all()
        assert sorted(r.kind for r in kept) == ["entry", "exit", "review"]
        assert {r.district for r in kept} == {NORTH}
    app.state.cache.forget(sid)  # as after a restart: the county is validated again from its row
    base = f"/api/scenarios/{sid}"
    details = service.call("coordinator", "GET", f"{base}/reviews/details/{CASE}")
    assert details.status_code == 200, details.text
    assert details.json()["support"] == "Weekly sessions " + HOSTILE
    assert details.json()["review_date"] == "2025-11-20"
    read = service.call("coordinator", "GET", f"{base}/reviews", params={"case_id": CASE})
    assert [r["kind"] for r in read.json()] == ["entry", "review", "exit"]
    progress = service.call("officer", "GET", f"{base}/reviews/progress").json()
    assert progress["by_need"] == [
        {
            "need_type": "C&I",
            "measure": "words",
            "cases": 1,
            "mean_entry": 40.0,
            "mean_exit": 52.0,
            "mean_change": 12.0,
        }
    ]
    started = service.call("officer", "POST", f"{base}/caseload/plan", json={"time_limit": 5})
    assert started.status_code == 202, started.text
    job = service.wait(started.json()["id"])
    assert job["status"] == "succeeded", job
    rota = service.call("officer", "POST", f"{base}/rota/solve", json={"time_limit": 5})
    assert service.wait(rota.json()["id"])["status"] == "succeeded"


def test_kents_details_and_reviews_are_stored_apart_and_put_back(tmp_path: Path) -> None:
    """The embedded Kent scenario's written agreements and measures go to their rows at upload, and
    the scenario the planners see is rebuilt from them without a problem."""
    from allocator.io import read_scenario
    from allocator.paths import KENT
    from api.db.engine import make_engine, make_sessionmaker
    from api.db.migrate import upgrade
    from api.store import ScenarioCache, live_scenario, save_scenario

    kent = read_scenario(KENT)
    engine = make_engine(f"sqlite:///{tmp_path / 'lift.db'}")
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        row = save_scenario(session, kent, [], None)
        session.commit()
        stored = session.scalars(select(AgreementRow).where(AgreementRow.scenario_id == row.id))
        assert sum(1 for a in stored if a.details) == len(kent.details) > 0
        measures = session.scalars(select(ReviewRow).where(ReviewRow.scenario_id == row.id))
        assert len(list(measures)) == len(kent.reviews) > 0
        live = live_scenario(session, ScenarioCache(), row)
    engine.dispose()
    assert {d.case_id for d in live.details} == {d.case_id for d in kent.details}
    assert len(live.reviews) == len(kent.reviews)


@pytest.mark.both_backends
def test_a_measure_is_recorded_read_back_and_on_the_timeline(service: Service) -> None:
    made = service.call("coordinator", "POST", reviews(service), json=measure(note="baseline"))
    assert made.status_code == 201, made.text
    assert made.json()["district"] == NORTH and made.json()["note"] == "baseline"
    done = service.call(
        "coordinator",
        "POST",
        reviews(service),
        json=measure(kind="exit", date="2025-12-12", value=92),
    )
    assert done.status_code == 201, done.text
    read = service.call("north_viewer", "GET", reviews(service), params={"case_id": CASE})
    assert [(r["kind"], r["value"]) for r in read.json()] == [("entry", 80.0), ("exit", 92.0)]
    every = service.call("officer", "GET", reviews(service), params={"district": NORTH})
    assert len(every.json()) == 2
    progress = service.call("coordinator", "GET", reviews(service, "/progress")).json()
    assert progress["cases"] == [
        {
            "case_id": CASE,
            "district": NORTH,
            "need_type": "C&I",
            "measure": "reading age (months)",
            "entry": 80.0,
            "exit": 92.0,
            "change": 12.0,
        }
    ]
    assert service.call("south_coordinator", "GET", reviews(service, "/progress")).json() == {
        "by_need": [],
        "cases": [],
    }
    record = service.call(
        "coordinator", "GET", f"/api/scenarios/{service.scenario_id}/agreements/{CASE}/timeline"
    ).json()
    shown = [
        (e["kind"], e["title"], e["detail"]) for e in record["events"] if e["kind"] == "review"
    ]
    assert shown == [
        ("review", "Entry measure", "reading age (months): 80 (baseline)"),
        ("review", "Exit measure", "reading age (months): 92"),
    ]
    assert record["reviews"] == "2 recorded: 1 entry measure, 1 exit measure."
    audit = service.call("officer", "GET", "/api/audit").json()
    assert any(a["action"] == "review.record" for a in audit)


def test_reviews_due_and_overdue(planned: Service) -> None:
    due = planned.call("coordinator", "GET", reviews(planned, "/due"), params={"on": "2026-07-20"})
    assert due.status_code == 200, due.text
    body = due.json()
    assert body["on"] == "2026-07-20" and body["note"] is None
    assert body["week_start"] == "2026-07-20"
    rows = body["due"] + body["overdue"]
    assert rows, body
    assert {r["district"] for r in rows} == {NORTH}
    assert all(r["school_name"] == "North Primary" for r in rows)
    assert all(r["due_on"] < "2026-07-20" for r in body["overdue"])
    assert all("2026-07-20" <= r["due_on"] <= "2026-07-26" for r in body["due"])
    planned_rows = [r for r in rows if r["basis"] == "plan"]
    assert all(r["person_name"] for r in planned_rows)
    # Today (03/12/2026 or later) is after the tiny county's year: moved to its last day, said so.
    moved = planned.call("coordinator", "GET", reviews(planned, "/due")).json()
    if moved["note"]:
        assert moved["on"] == "2026-07-21"
    south = planned.call(
        "south_coordinator", "GET", reviews(planned, "/due"), params={"on": "2026-07-20"}
    )
    assert {r["district"] for r in south.json()["due"] + south.json()["overdue"]} <= {SOUTH}
    # Early in the year, nothing is overdue yet.
    early = planned.call("officer", "GET", reviews(planned, "/due"), params={"on": "2025-09-01"})
    assert early.json()["overdue"] == []


def test_a_measure_on_or_after_an_overdue_date_clears_it(service: Service) -> None:
    path = reviews(service, "/due")
    before = service.call("coordinator", "GET", path, params={"on": "2026-07-20"}).json()
    assert before["overdue"], before
    last = max(r["due_on"] for r in before["overdue"])
    made = service.call(
        "coordinator", "POST", reviews(service), json=measure(kind="review", date=last, value=85)
    )
    assert made.status_code == 201, made.text
    after = service.call("coordinator", "GET", path, params={"on": "2026-07-20"}).json()
    assert after["overdue"] == []


@pytest.mark.both_backends
def test_written_agreement_text_and_document(service: Service) -> None:
    text = {
        "support": HOSTILE,
        "criteria": "Two terms at SEN Support without progress",
        "entry_strategy": "",
        "exit_strategy": "Handover to the class teacher",
        "expected_outcomes": "Reads at age level",
        "progress_measures": "Reading age",
        "evidence": "Termly assessment",
        "review_date": "2025-11-20",
    }
    path = reviews(service, f"/details/{CASE}")
    put = service.call("coordinator", "PUT", path, json=text)
    assert put.status_code == 200, put.text
    got = service.call("north_viewer", "GET", path).json()
    assert got["support"] == HOSTILE and got["entry_strategy"] is None
    assert got["review_date"] == "2025-11-20" and got["school_name"] == "North Primary"
    assert got["review_dates"] == ["2025-11-20"] and got["weeks"] == 10
    assert got["start"] is None and got["specialist_role"] is None, "no plan in use yet"
    doc = f"/api/scenarios/{service.scenario_id}/agreements/{CASE}/agreement"
    page = service.call("coordinator", "GET", doc + ".html")
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-disposition"] == 'attachment; filename="agreement-T-0001.html"'
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text
    assert "20/11/2025" in page.text and "not recorded" in page.text
    pdf = service.call("coordinator", "GET", doc + ".pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    words = " ".join(p.extract_text() for p in reader.pages)
    assert len(reader.pages) >= 1
    for expected in ("T-0001", "North Primary", "1. The support", "<script>", "not recorded"):
        assert expected in words, expected
    assert "6. Quality-assurance review date" in words and "20/11/2025" in words
    cleared = service.call("coordinator", "PUT", path, json={})
    assert cleared.status_code == 200 and cleared.json()["support"] is None
    assert cleared.json()["review_dates"], "the default schedule is shown when none is agreed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"support": "x" * 2001}, "support"),
        ({"evidence": "bad \u202e text"}, "evidence"),
        ({"review_date": "2024-01-01"}, "review_date"),
        ({"review_date": "2025-09-01"}, "review_date"),
        ({"review_date": "20/11/2025"}, "review_date"),
        ({"review_date": "2027-01-01"}, "review_date"),
        ({"name": "Jo"}, "name"),
        ({"support": 5}, "support"),
    ],
)
def test_hostile_written_agreement_is_422_in_plain_words(
    service: Service, body: dict[str, Any], field: str
) -> None:
    response = service.call("coordinator", "PUT", reviews(service, f"/details/{CASE}"), json=body)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail[0]["loc"][-1] == field
    assert detail[0]["message"]


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"value": "nan"}, "value"),
        ({"value": 1e9}, "value"),
        ({"kind": "start"}, "kind"),
        ({"measure": ""}, "measure"),
        ({"measure": "m" * 101}, "measure"),
        ({"measure": "bad\u0000"}, "measure"),
        ({"note": "n" * 1001}, "note"),
        ({"date": "2030-01-01"}, "date"),
        ({"date": "2025-09-01"}, "date"),
        ({"date": "31/02/2026"}, "date"),
        ({"case_id": "../etc"}, "case_id"),
        ({"child": "Jo Bloggs"}, "child"),
    ],
)
def test_hostile_measure_is_422_in_plain_words(
    service: Service, given: dict[str, Any], field: str
) -> None:
    response = service.call("coordinator", "POST", reviews(service), json=measure(**given))
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail[0]["loc"][-1] == field, detail
    assert detail[0]["message"]


def test_a_second_entry_or_an_exit_before_the_entry_is_refused(service: Service) -> None:
    first = service.call("coordinator", "POST", reviews(service), json=measure(date="2025-10-20"))
    assert first.status_code == 201, first.text
    again = service.call("coordinator", "POST", reviews(service), json=measure())
    assert again.status_code == 422
    assert "one entry of 'reading age (months)' per case" in again.json()["detail"][0]["message"]
    early = service.call(
        "coordinator", "POST", reviews(service), json=measure(kind="exit", date="2025-10-06")
    )
    assert early.status_code == 422
    assert "on or before its exit" in early.json()["detail"][0]["message"]
    reviewed = service.call(
        "coordinator", "POST", reviews(service), json=measure(kind="review", date="2025-10-06")
    )
    assert reviewed.status_code == 201, "reviews may be any number, on any day after agreement"


def test_scope_and_roles(service: Service) -> None:
    details = reviews(service, f"/details/{CASE}")
    assert (
        service.call("south_coordinator", "POST", reviews(service), json=measure()).status_code
        == 404
    )
    assert service.call("south_coordinator", "PUT", details, json={}).status_code == 404
    assert service.call("south_coordinator", "GET", details).status_code == 404
    listed = service.call("south_coordinator", "GET", reviews(service), params={"case_id": CASE})
    assert listed.status_code == 404
    other = service.call(
        "south_coordinator", "GET", reviews(service, "/due"), params={"district": NORTH}
    )
    assert other.status_code == 404
    doc = f"/api/scenarios/{service.scenario_id}/agreements/{CASE}/agreement"
    assert service.call("south_coordinator", "GET", doc + ".html").status_code == 404
    assert service.call("south_coordinator", "GET", doc + ".pdf").status_code == 404
    for viewer in ("viewer", "north_viewer"):
        assert service.call(viewer, "POST", reviews(service), json=measure()).status_code == 403
        assert service.call(viewer, "PUT", details, json={}).status_code == 403
        assert service.call(viewer, "GET", doc + ".pdf").status_code == 200
    unknown = service.call("officer", "POST", reviews(service), json=measure(case_id="NOPE-1"))
    assert unknown.status_code == 404
    assert service.call("officer", "GET", reviews(service, "/details/NOPE-1")).status_code == 404
    assert service.call("anonymous", "GET", reviews(service, "/due")).status_code == 401


@pytest.mark.both_backends
def test_closed_case_keeps_its_document_but_not_new_text(service: Service) -> None:
    base = f"/api/scenarios/{service.scenario_id}/agreements/{CASE}"
    closed = service.call("coordinator", "POST", base + "/close", json={"closed_on": "2025-12-19"})
    assert closed.status_code == 200, closed.text
    put = service.call("coordinator", "PUT", reviews(service, f"/details/{CASE}"), json={})
    assert put.status_code == 409
    assert service.call("coordinator", "GET", base + "/agreement.pdf").status_code == 200
    exit_ = service.call(
        "coordinator", "POST", reviews(service), json=measure(kind="exit", date="2025-12-19")
    )
    assert exit_.status_code == 201, "an exit measure may follow the close"
