"""`lift staffing compare A B --out DIR` writes the comparison CSV and the chart its help promises."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from allocator.cli.main import app
from allocator.io import write_scenario
from allocator.model import Scenario

runner = CliRunner()

FORMULA = """
[high_incidence]
total_fte = {total}
method = "{method}"
weights = {{ pupils = 0.5, sen_support = 0.5 }}

[pools]
HI = 1.0
"""


def test_compare_out_writes_the_chart_and_the_csv(tmp_path: Path, tiny_scenario: Scenario) -> None:
    write_scenario(tiny_scenario, tmp_path / "tiny")
    (tmp_path / "a.toml").write_text(FORMULA.format(total=4.0, method="webster"))
    (tmp_path / "b.toml").write_text(FORMULA.format(total=5.0, method="hamilton"))
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "staffing",
            "compare",
            str(tmp_path / "a.toml"),
            str(tmp_path / "b.toml"),
            "--scenario",
            str(tmp_path / "tiny"),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "compare.csv").exists()
    chart = out / "compare.png"
    assert chart.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert f"wrote {chart}" in result.output.replace("\n", "")
    with Image.open(chart) as image:
        image.load()
        assert image.format == "PNG"
        assert image.width > 600 and image.height > 300
    csv_text = (out / "compare.csv").read_text()
    assert "Northdown" in csv_text and "Southfield" in csv_text


def test_compare_without_out_writes_nothing(tmp_path: Path, tiny_scenario: Scenario) -> None:
    write_scenario(tiny_scenario, tmp_path / "tiny")
    (tmp_path / "a.toml").write_text(FORMULA.format(total=4.0, method="webster"))
    result = runner.invoke(
        app,
        [
            "staffing",
            "compare",
            str(tmp_path / "a.toml"),
            str(tmp_path / "a.toml"),
            "--scenario",
            str(tmp_path / "tiny"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert not list(tmp_path.glob("**/*.png"))
