"""`lift simulate` on the tiny county: the printed summary and the files written, staffing variants
given after one `--staffing`, and clear errors (a bad policy, a staffing file that does not validate,
no requests.csv, an unknown executor) without a traceback."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import tomli_w
from typer.testing import CliRunner

from allocator.cli.main import app
from allocator.io import write_scenario
from allocator.model import Scenario
from tests.simulate.test_loop import sim_county

runner = CliRunner()


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    write_scenario(sim_county(), folder)
    return folder


def _staffing(path: Path, scenario: Scenario, total_fte: float) -> Path:
    assert scenario.staffing is not None
    data = scenario.staffing.model_dump(mode="json", exclude_none=True)
    data["high_incidence"] |= {"total_fte": total_fte, "max_change_pct": 90.0}
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def _simulate(tiny: Path, *args: str) -> list[str]:
    return [
        "simulate",
        "-s",
        str(tiny),
        "--executor",
        "serial",
        "--rebalance-seconds",
        "0.3",
        *args,
    ]


def test_first_come_with_two_staffing_variants(tiny: Path, tmp_path: Path) -> None:
    a = _staffing(tmp_path / "lean.toml", sim_county(), 3.0)
    b = _staffing(tmp_path / "rich.toml", sim_county(), 6.0)
    out = tmp_path / "out"
    args = _simulate(
        tiny, "--policy", "first-come", "--staffing", str(a), str(b), "--out", str(out)
    )
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "first-come" in result.output and "wrote" in result.output
    assert {"waits.csv", "summary.csv", "waits_by_policy.png"} <= {p.name for p in out.iterdir()}
    with (out / "waits.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 * len(sim_county().requests)
    assert {r["variant"] for r in rows} == {"scenario", "lean", "rich"}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--policy", "optimised,fastest"], "expected one or more of"),
        (["--executor", "cloud"], "unknown executor"),
        (["--staffing", "nowhere.toml"], "readable file"),
    ],
)
def test_clear_errors(tiny: Path, tmp_path: Path, args: list[str], words: str) -> None:
    result = runner.invoke(app, [*_simulate(tiny, *args), "--out", str(tmp_path / "out")])
    assert result.exit_code in (1, 2)
    assert words in result.output
    assert "Traceback" not in result.output


def test_a_staffing_file_that_does_not_validate_names_file_and_field(
    tiny: Path, tmp_path: Path
) -> None:
    bad = _staffing(tmp_path / "bad.toml", sim_county(), -2.0)
    result = runner.invoke(
        app, [*_simulate(tiny, "--staffing", str(bad)), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert "bad.toml" in result.output and "high_incidence.total_fte" in result.output


def test_without_requests_it_suggests_the_arrival_model(tmp_path: Path) -> None:
    scenario = sim_county()
    fields = {name: getattr(scenario, name) for name in type(scenario).model_fields}
    folder = tmp_path / "no-requests"
    write_scenario(Scenario.model_validate(fields | {"requests": (), "agreements": ()}), folder)
    result = runner.invoke(app, [*_simulate(folder), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "--arrivals model" in result.output
    assert not (tmp_path / "out").exists()
