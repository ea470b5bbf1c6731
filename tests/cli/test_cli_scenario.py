"""`lift check` and `lift generate` as a user meets them: exit codes, messages, no tracebacks."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from allocator.cli.main import app
from allocator.io import write_scenario
from allocator.model import Scenario
from tests.builders.folders import set_cell

runner = CliRunner()


def test_check_valid_scenario_prints_summary(tmp_path: Path, tiny_scenario: Scenario) -> None:
    write_scenario(tiny_scenario, tmp_path / "s")
    result = runner.invoke(app, ["check", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert "Northdown" in result.output and "valid scenario" in result.output


def test_check_damaged_scenario_lists_problems_and_exits_2(
    tmp_path: Path, tiny_scenario: Scenario
) -> None:
    folder = tmp_path / "s"
    write_scenario(tiny_scenario, folder)
    set_cell(folder, "agreements.csv", 2, "consent", "maybe")
    set_cell(folder, "schools.csv", 3, "lift_group", "Nowhere")
    result = runner.invoke(app, ["check", str(folder)])
    assert result.exit_code == 2
    assert "agreements.csv, row 2, column 'consent': got 'maybe'" in result.output
    assert "schools.csv, row 3, column 'lift_group': got 'Nowhere'" in result.output
    assert "Traceback" not in result.output


def test_check_missing_folder_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "does not exist" in result.output
