"""`lift demo` carries a concern through to support: with requests in the scenario it also plans the
agendas on the demo's rota, prints and writes the whole wait, and writes the county's Executive's
report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from allocator.cli.main import app
from allocator.io import write_scenario
from allocator.model import Request, Scenario
from tests.builders.folders import make_tiny_scenario


def _with_requests() -> Scenario:
    tiny = make_tiny_scenario()
    requests = tuple(
        Request.model_validate(
            {
                "request_id": request_id,
                "school_urn": urn,
                "received_on": received,
                "need_type": need,
                "sen_stage": "SEN Support",
                "consent": "yes",
            }
        )
        for request_id, urn, received, need in (
            ("R1", 100001, date(2025, 9, 3), "C&I"),
            ("R2", 100003, date(2025, 9, 2), "HI"),
            ("R3", 100002, date(2025, 11, 5), "B&L"),
        )
    )
    links = {"T-0001": "R1", "T-0002": "R2"}
    agreements = tuple(
        a.model_copy(update={"request_id": links.get(a.case_id)}) for a in tiny.agreements
    )
    return Scenario.model_validate(
        tiny.model_dump() | {"requests": requests, "agreements": agreements}
    )


def test_demo_runs_the_concern_to_support_steps(tmp_path: Path) -> None:
    folder = tmp_path / "scenario"
    write_scenario(_with_requests(), folder)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["demo", "--scenario", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "agenda" / "agenda.csv").exists()
    assert "R1" in (out / "agenda" / "agenda.csv").read_text()
    waits = (out / "caseload" / "waits.csv").read_text().splitlines()
    assert waits[0].startswith("request_id,case_id") and len(waits) == 3  # T-0001 and T-0002
    pdfs = sorted(p.name for p in (out / "report").glob("*.pdf"))
    assert pdfs and pdfs[0].startswith("executive-") and "county" in pdfs[0]
    assert "The LIFT Executive's report" in result.output and "whole wait" in result.output.lower()
