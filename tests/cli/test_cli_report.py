"""`lift report executive` on the tiny county (with a plan, without one, on a rota) and on the
embedded Kent scenario with a plan from a short `lift assign`."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from allocator.cli.main import app
from allocator.io import write_scenario
from allocator.io.executive_report import HEADINGS
from allocator.paths import KENT
from tests.pipeline.test_executive import report_scenario

runner = CliRunner()


def _text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    write_scenario(report_scenario(), folder)
    return folder


def _report(*args: str) -> list[str]:
    return ["report", "executive", "--today", "2025-12-01", *args]


def test_a_district_and_half_term_on_the_tiny_county(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = _report(
        "-s", str(tiny), "--district", "Northdown", "--half-term", "2", "--out", str(out)
    )
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} >= {
        "executive-northdown-ht2.html",
        "executive-northdown-ht2.pdf",
    }
    text = _text(out / "executive-northdown-ht2.pdf")
    assert all(h in text for h in HEADINGS)
    assert "the scenario's current plan (current_plan.csv)" in text
    assert "Northdown" in result.output


def test_the_county_for_the_year_without_a_plan_plans_one(tiny: Path, tmp_path: Path) -> None:
    (tiny / "current_plan.csv").unlink()
    out = tmp_path / "out"
    args = _report("-s", str(tiny), "--county", "--time-limit", "2", "--out", str(out))
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    text = _text(out / "executive-county-year.pdf")
    assert "a caseload planned for this report" in " ".join(text.split())
    assert "Districts at a glance" in text


def test_a_rota_gives_the_agenda_s_meetings(tiny: Path, tmp_path: Path) -> None:
    rota = tmp_path / "rota"
    made = runner.invoke(app, ["rota", "-s", str(tiny), "--time-limit", "3", "--out", str(rota)])
    assert made.exit_code == 0, made.output
    out = tmp_path / "out"
    args = _report("-s", str(tiny), "--district", "Northdown", "--half-term", "1")
    result = runner.invoke(app, [*args, "--rota", str(rota / "rota.csv"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "the agenda planned on the rota" in _text(out / "executive-northdown-ht1.pdf")


@pytest.mark.parametrize(
    "extra",
    [
        ["--district", "Nowhere"],
        ["--district", "Northdown", "--county"],
        [],
        ["--district", "Northdown", "--half-term", "7"],
    ],
)
def test_bad_options_exit_2(tiny: Path, tmp_path: Path, extra: list[str]) -> None:
    result = runner.invoke(app, _report("-s", str(tiny), "--out", str(tmp_path), *extra))
    assert result.exit_code == 2, result.output


def test_kent_with_a_plan_from_lift_assign(tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    assigned = runner.invoke(
        app,
        ["assign", "--district", "Ashford", "--time-limit", "3", "--out", str(plan)],
    )
    assert assigned.exit_code == 0, assigned.output
    out = tmp_path / "out"
    args = _report("-s", str(KENT), "--district", "Ashford", "--half-term", "2")
    result = runner.invoke(app, [*args, "--plan", str(plan / "assignments.csv"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    reader = PdfReader(out / "executive-ashford-ht2.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "LIFT Executive report: Ashford, Kent, half-term 2" in text
    assert "the plan given (assignments.csv)" in text
    assert all(h in text for h in HEADINGS)
    assert len([i for page in reader.pages for i in page.images]) == 3
    assert "KR-" not in text and "K-0" not in text  # no request or case reference
