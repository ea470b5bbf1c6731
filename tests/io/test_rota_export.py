"""Rota files: rota.csv round trip and hand-made rotas, rota.xlsx, the .ics calendars, the chart."""

from __future__ import annotations

import re
import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from icalendar import Calendar
from openpyxl import load_workbook

from allocator.io.rota_export import (
    LONDON,
    read_rota_csv,
    slug,
    write_rota_csv,
    write_rota_outputs,
)
from allocator.model import Scenario, ScenarioError
from allocator.model.rota_result import Rota
from allocator.rota.plan import plan_rota
from allocator.solve import SolveParams
from tests.builders.rota import FAST, group, random_counties, scenario, slot, small_county


@pytest.fixture(scope="module")
def planned() -> tuple[Scenario, Rota]:
    s = small_county(groups_per_district=3)
    outcome = plan_rota(s, FAST)
    assert outcome.rota is not None
    return s, outcome.rota


def test_rota_csv_reads_back_to_the_same_rota(
    tmp_path: Path, planned: tuple[Scenario, Rota]
) -> None:
    s, rota = planned
    path = write_rota_csv(rota, tmp_path / "rota.csv")
    header = path.read_text().splitlines()[0]
    assert header == (
        "district,group,half_term,date,weekday,start,end,venue,attendees,slot,week,sequence"
    )
    assert read_rota_csv(path) == rota
    assert read_rota_csv(path, s) == rota


def test_a_hand_made_rota_needs_only_group_and_date(tmp_path: Path) -> None:
    s = scenario([group("G", attendees=("ep",))], [slot("A")])
    path = tmp_path / "previous.csv"
    path.write_text("group,date\nG,2025-09-10\nG,2025-10-15\n")
    rota = read_rota_csv(path, s)
    first, second = rota.meetings
    assert (first.half_term, first.week, first.slot, first.weekday) == (1, 2, "A", "Wednesday")
    assert (second.half_term, second.week, f"{second.start:%H:%M}") == (2, 3, "09:30")
    assert first.attendees == ("ep",)


def test_last_years_rota_counts_weeks_from_its_own_dates(tmp_path: Path) -> None:
    s = scenario([group("G")], [slot("A")])
    path = tmp_path / "last-year.csv"
    path.write_text("group,half_term,date\nG,1,2024-09-11\nG,1,2024-09-25\nG,2,2024-11-06\n")
    weeks = [m.week for m in read_rota_csv(path, s).meetings]
    assert weeks == [1, 3, 1]


def test_a_bad_rota_csv_names_file_row_and_column(tmp_path: Path) -> None:
    s = scenario([group("G")], [slot("A")])
    path = tmp_path / "rota.csv"
    path.write_text("group,date\nG,2025-09-10\nNowhere,2025-09-10\nG,10/09/2025\n")
    with pytest.raises(ScenarioError) as error:
        read_rota_csv(path, s)
    where = [(p.file, p.row, p.column) for p in error.value.problems]
    assert where == [("rota.csv", 3, "group"), ("rota.csv", 4, "date")]
    with pytest.raises(ScenarioError, match="venue"):
        read_rota_csv(_bare(tmp_path))
    path.write_text("group,date\nG,2025-09-10\nMerged,2025-09-17\n")
    assert [m.group for m in read_rota_csv(path, s, skip_unknown_groups=True).meetings] == ["G"]


def _bare(tmp_path: Path) -> Path:
    path = tmp_path / "bare.csv"
    path.write_text("group,date,district,half_term\nG,2025-09-10,Thanet,1\n")
    return path


def test_rota_xlsx_has_the_meetings_the_week_grid_and_the_score(
    tmp_path: Path, planned: tuple[Scenario, Rota]
) -> None:
    s, rota = planned
    outcome = plan_rota(s, FAST)
    write_rota_outputs(rota, tmp_path, s, outcome.breakdown)
    book = load_workbook(tmp_path / "rota.xlsx")
    assert book.sheetnames == ["Rota", "Weeks", "Score"]
    assert book["Rota"].max_row == len(rota.meetings) + 1
    assert book["Weeks"]["D1"].value == "Thanet"
    day, term = book["Rota"]["D2"], book["Rota"]["C2"]
    assert day.is_date and day.number_format == "dd/mm/yyyy" and type(term.value) is int
    assert all(ws.freeze_panes == "A2" and ws.auto_filter.ref for ws in book.worksheets)
    assert book["Score"].cell(book["Score"].max_row, 4).value == outcome.objective
    assert (tmp_path / "rota.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _events(path: Path) -> set[tuple[object, ...]]:
    calendar = Calendar.from_ical(path.read_bytes())
    found = set()
    for event in calendar.walk("VEVENT"):
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        attendees = event.get("attendee", [])
        attendees = attendees if isinstance(attendees, list) else [attendees]
        found.add(
            (
                start.astimezone(LONDON).replace(tzinfo=None),
                end.astimezone(LONDON).replace(tzinfo=None),
                str(event.get("location")),
                str(event.get("summary")).removeprefix("LIFT meeting: "),
                frozenset(str(a) for a in attendees),
            )
        )
    return found


def _rows(rota: Rota, district: str, s: Scenario) -> set[tuple[object, ...]]:
    emails = {p.person_id: p.email for p in s.people if p.email}
    return {
        (
            datetime.combine(m.date, m.start),
            datetime.combine(m.date, m.end),
            m.venue,
            m.group,
            frozenset(f"mailto:{emails[p]}" for p in m.attendees if p in emails),
        )
        for m in rota.in_district(district)
    }


def _with_emails(s: Scenario, **emails: str) -> Scenario:
    people = tuple(p.model_copy(update={"email": emails.get(p.person_id)}) for p in s.people)
    return s.model_copy(update={"people": people})


def test_ics_events_carry_venue_attendees_and_schools(
    tmp_path: Path, planned: tuple[Scenario, Rota]
) -> None:
    s, rota = planned
    attending = rota.in_district("Thanet")[0].attendees
    s = _with_emails(s, **{attending[0]: "ep.shared@example.org"})
    write_rota_outputs(rota, tmp_path, s)
    calendar = Calendar.from_ical((tmp_path / "rota-thanet.ics").read_bytes())
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 3 * 6
    first = events[0]
    assert re.search(r"\nSchools: School 100[123]\n", str(first.get("description")))
    assert "Attendees: Ep Shared; Om Thanet" in str(first.get("description"))
    # Only a person with an e-mail address is invited; nobody gets a made-up address.
    (invited,) = [first.get("attendee")]
    assert (str(invited), str(invited.params["CN"])) == (
        "mailto:ep.shared@example.org",
        "Ep Shared",
    )
    assert calendar.walk("VTIMEZONE"), "the calendar carries its time zone"
    assert _events(tmp_path / "rota-thanet.ics") == _rows(rota, "Thanet", s)


@settings(
    max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(random_counties())
def test_ics_calendars_parse_back_and_match_rota_csv(s: Scenario) -> None:
    outcome = plan_rota(s, SolveParams(time_limit=10, workers=2, seed=1))
    if outcome.rota is None:
        return
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        write_rota_outputs(outcome.rota, out, s)
        from_csv = read_rota_csv(out / "rota.csv", s)
        assert from_csv == outcome.rota
        for district in from_csv.districts:
            assert _events(out / f"rota-{slug(district)}.ics") == _rows(from_csv, district, s)
        assert sorted(p.name for p in out.glob("*.ics")) == sorted(
            f"rota-{slug(d)}.ics" for d in from_csv.districts
        )


def test_slug_makes_file_names_of_district_names() -> None:
    assert slug("Folkestone and Hythe") == "folkestone-and-hythe"
    assert slug("Tonbridge & Malling") == "tonbridge-malling"
