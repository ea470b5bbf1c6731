"""`lift agenda`: with a rota.csv or planning the rota first, the window options, bad input."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from allocator.cli.main import app
from allocator.io import write_scenario
from allocator.io.rota_export import write_rota_csv
from tests.builders.agenda import agenda_county, agenda_rota, request

runner = CliRunner()


def _folder(tmp_path: Path) -> tuple[Path, Path]:
    s = agenda_county(
        [
            request("R1"),
            request("R2", 2, urgent=True),
            request("H1", need="HI"),
            request("L1", 1, lac=True),
        ]
    )
    write_scenario(s, tmp_path / "s")
    return tmp_path / "s", write_rota_csv(agenda_rota(s), tmp_path / "rota.csv")


def test_agenda_with_a_rota_writes_every_output(tmp_path: Path) -> None:
    folder, rota = _folder(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "agenda",
            "--scenario",
            str(folder),
            "--rota",
            str(rota),
            "--out",
            str(out),
            "--time-limit",
            "5",
            "--workers",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Thanet" in result.output and "checker agrees" in result.output
    assert (out / "agenda.csv").exists() and (out / "unplaced.csv").exists()
    assert (out / "agenda-2025-09-03-g1.html").exists()


def test_agenda_plans_the_rota_first_and_takes_a_window(tmp_path: Path) -> None:
    folder, _ = _folder(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "agenda",
            "--scenario",
            str(folder),
            "--out",
            str(out),
            "--from",
            "01/09/2025",
            "--until",
            "2025-09-01",
            "--time-limit",
            "5",
            "--workers",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "checker agrees" in result.output
    text = (out / "agenda.csv").read_text(encoding="utf-8")
    assert "R1" in text and "H1" in text


def test_agenda_refuses_a_bad_date_and_a_bad_rota(tmp_path: Path) -> None:
    folder, _ = _folder(tmp_path)
    out = tmp_path / "out"
    bad_date = runner.invoke(
        app, ["agenda", "--scenario", str(folder), "--out", str(out), "--from", "2025-02-30"]
    )
    assert bad_date.exit_code == 2 and "--from" in bad_date.output
    backwards = runner.invoke(
        app,
        [
            "agenda",
            "--scenario",
            str(folder),
            "--out",
            str(out),
            "--from",
            "2025-10-01",
            "--until",
            "2025-09-01",
        ],
    )
    assert backwards.exit_code == 2
    rota = tmp_path / "bad.csv"
    rota.write_text("group,date\nNowhere,2025-09-03\n", encoding="utf-8")
    bad_rota = runner.invoke(
        app, ["agenda", "--scenario", str(folder), "--rota", str(rota), "--out", str(out)]
    )
    assert bad_rota.exit_code == 2
    assert not out.exists()


def test_agenda_without_requests_says_there_is_nothing_to_place(tmp_path: Path) -> None:
    write_scenario(agenda_county([]), tmp_path / "s")
    out = tmp_path / "out"
    result = runner.invoke(app, ["agenda", "--scenario", str(tmp_path / "s"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "nothing to put on an agenda" in " ".join(result.output.split())
    assert not out.exists()
