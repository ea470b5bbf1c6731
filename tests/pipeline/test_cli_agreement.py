"""`lift agreement` and `lift reviews` on the tiny county and on the embedded Kent scenario."""

from __future__ import annotations

import csv
from pathlib import Path

from pypdf import PdfReader
from typer.testing import CliRunner

from allocator.cli.main import app
from allocator.io import write_scenario
from allocator.io.agreement_doc import HEADINGS
from allocator.paths import KENT
from tests.pipeline.cases import tiny_with_reviews

runner = CliRunner()


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _tiny(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    write_scenario(tiny_with_reviews(), folder)
    return folder


def test_agreement_on_the_tiny_county(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["agreement", "T-0001", "-s", str(_tiny(tmp_path)), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "agreement-T-0001.html",
        "agreement-T-0001.pdf",
    ]
    text = " ".join(PdfReader(out / "agreement-T-0001.pdf").pages[0].extract_text().split())
    assert all(h in text for h in HEADINGS)


def test_agreement_with_a_plan_file(tmp_path: Path) -> None:
    folder = _tiny(tmp_path)
    plan = tmp_path / "plan.csv"
    plan.write_text(
        "case_id,person_id,start,end,status\nT-0002,HI1,2025-10-06,2026-01-16,planned\n"
    )
    out = tmp_path / "out"
    args = ["agreement", "T-0002", "-s", str(folder), "--plan", str(plan), "--out", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    page = (out / "agreement-T-0002.html").read_text(encoding="utf-8")
    assert "06/10/2025 (planned)" in page and "Specialist teacher, HI county team" in page


def test_agreement_refuses_an_unknown_case_and_a_bad_plan(tmp_path: Path) -> None:
    folder = _tiny(tmp_path)
    result = runner.invoke(app, ["agreement", "T-9", "-s", str(folder), "--out", str(tmp_path)])
    assert result.exit_code == 2 and "T-9" in result.output
    plan = tmp_path / "plan.csv"
    plan.write_text("case_id,person_id,start,end\nT-0002,NOBODY,2025-10-06,2026-01-16\n")
    args = ["agreement", "T-0002", "-s", str(folder), "--plan", str(plan), "--out", str(tmp_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "person_id" in result.output


def test_reviews_on_the_tiny_county(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["reviews", "-s", str(_tiny(tmp_path)), "--today", "2025-11-19", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "This week: 0 review(s) due, 1 overdue" in result.output
    assert _rows(out / "reviews_due.csv") == [
        {
            "case_id": "T-0002",
            "district": "Southfield",
            "due_on": "2025-11-17",
            "status": "overdue",
            "basis": "estimated",
        }
    ]
    (row,) = _rows(out / "progress.csv")
    assert (row["need_type"], row["cases"], row["mean_change"]) == ("C&I", "1", "15.5")


def test_reviews_of_one_district(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["reviews", "-s", str(_tiny(tmp_path)), "--today", "2025-11-19", "--district"]
    result = runner.invoke(app, [*args, "Northdown", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert _rows(out / "reviews_due.csv") == []
    result = runner.invoke(app, [*args, "Atlantis", "--out", str(out)])
    assert result.exit_code == 2 and "Atlantis" in result.output


def test_kent(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["agreement", "K-000001", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = " ".join(PdfReader(out / "agreement-K-000001.pdf").pages[0].extract_text().split())
    assert all(h in text for h in HEADINGS) and "K-000001" in text
    result = runner.invoke(
        app, ["reviews", "-s", str(KENT), "--today", "2026-03-04", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = _rows(out / "reviews_due.csv")
    assert rows and {r["status"] for r in rows} <= {"due", "overdue"}
    assert all(r["due_on"] < "2026-03-04" for r in rows if r["status"] == "overdue")
