"""agenda.csv, unplaced.csv and the printable agendas: columns, blanks, safe cells, escaped HTML."""

from __future__ import annotations

import csv
from pathlib import Path

from allocator.agenda.plan import plan_agenda
from allocator.io.agenda_export import AGENDA_COLUMNS, write_agenda_outputs
from allocator.model import Scenario
from allocator.model.agenda_result import Agenda
from allocator.solve import SolveParams
from tests.builders.agenda import agenda_county, agenda_rota, request

FAST = SolveParams(time_limit=5.0, workers=2, seed=1)


def _agenda(s: Scenario) -> Agenda:
    return plan_agenda(s, agenda_rota(s), params=FAST).agenda


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_agenda_csv_has_the_contract_columns_and_county_rows_blank(tmp_path: Path) -> None:
    s = agenda_county(
        [request("R1"), request("U2", 2, urgent=True), request("H1", need="HI"), request("N1", 4)]
    )
    paths = write_agenda_outputs(_agenda(s), tmp_path)
    names = sorted(p.name for p in paths)
    assert names == ["agenda-2025-09-03-g1.html", "agenda.csv", "unplaced.csv"]
    with (tmp_path / "agenda.csv").open(encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == list(AGENDA_COLUMNS)
    rows = {r["request_id"]: r for r in _rows(tmp_path / "agenda.csv")}
    assert rows["R1"] == {
        "request_id": "R1",
        "school_urn": "1",
        "district": "Thanet",
        "route": "meeting",
        "meeting_date": "2025-09-03",
        "group": "G1",
        "slot": "A",
        "urgent": "no",
        "received_on": "2025-09-01",
        "school_days_to_meeting": "2",
    }
    assert rows["U2"]["urgent"] == "yes"
    county = rows["H1"]
    assert county["route"] == "county" and county["school_days_to_meeting"] == "10"
    assert county["meeting_date"] == county["group"] == county["slot"] == ""
    assert _rows(tmp_path / "unplaced.csv") == [
        {
            "request_id": "N1",
            "reason": "its school is in no LIFT group (only an urgent request may go to any group's meeting)",
        }
    ]


def test_printable_agenda_lists_references_in_order_and_marks_urgent(tmp_path: Path) -> None:
    s = agenda_county([request("R1"), request("U2", 2, urgent=True)])
    write_agenda_outputs(_agenda(s), tmp_path)
    page = (tmp_path / "agenda-2025-09-03-g1.html").read_text(encoding="utf-8")
    assert "03/09/2025" in page and "09:30 to 11:30" in page and "Thanet LIFT room" in page
    assert page.index("R1") < page.index("U2")
    assert '<tr class="urgent"><td>2</td><td>U2</td><td>urgent</td>' in page
    assert "<script" not in page and "School 1" not in page  # case references only


def test_hostile_names_are_escaped_and_cells_made_safe(tmp_path: Path) -> None:
    s = agenda_county([request("-R1")])
    agenda = _agenda(s)
    meeting = agenda.meetings[0].model_copy(
        update={
            "venue": "<script>alert(1)</script>",
            "group": '=HYPERLINK("x")"><img src=x onerror=alert(1)>',
        }
    )
    items = tuple(
        i.model_copy(update={"group": meeting.group}) if i.route == "meeting" else i
        for i in agenda.items
    )
    hostile = agenda.model_copy(update={"meetings": (meeting,), "items": items})
    paths = write_agenda_outputs(hostile, tmp_path)
    page = next(p for p in paths if p.suffix == ".html")
    text = page.read_text(encoding="utf-8")
    assert "<script>" not in text and "<img" not in text
    assert "&lt;script&gt;" in text
    assert page.parent == tmp_path and page.name.startswith("agenda-2025-09-03-")
    rows = _rows(tmp_path / "agenda.csv")
    assert rows[0]["request_id"] == "'-R1"
    assert rows[0]["group"].startswith("'=HYPERLINK")
