"""Agenda files: agenda.csv, unplaced.csv, and one printable agenda per meeting (HTML).

agenda.csv is the output contract's `request_id, school_urn, district, route, meeting_date, group,
slot, urgent, received_on, school_days_to_meeting`: a county-route row leaves the meeting columns blank
and gives the school days allowed for the decision. unplaced.csv gives `request_id, reason`. Each
meeting's page (`agenda-<date>-<group>.html`) lists case references only, every value escaped; CSV text
goes through the one safe-cell rule (`allocator.io.cells`).
"""

from __future__ import annotations

import csv
from html import escape
from pathlib import Path

from allocator.io.cells import csv_row
from allocator.io.rota_export import slug
from allocator.model.agenda_result import Agenda, AgendaItem
from allocator.model.rota_result import Meeting

AGENDA_COLUMNS = (
    "request_id",
    "school_urn",
    "district",
    "route",
    "meeting_date",
    "group",
    "slot",
    "urgent",
    "received_on",
    "school_days_to_meeting",
)
UNPLACED_COLUMNS = ("request_id", "reason")


def write_agenda_csv(agenda: Agenda, path: Path) -> Path:
    """agenda.csv: placed requests by meeting date, then county-route requests, each in order of receipt."""
    path.parent.mkdir(parents=True, exist_ok=True)
    placed = sorted(
        agenda.at_meetings(),
        key=lambda i: (i.meeting_date, i.district, i.group, i.received_on, i.request_id),
    )
    county = sorted(
        (i for i in agenda.items if i.route == "county"),
        key=lambda i: (i.received_on, i.request_id),
    )
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(AGENDA_COLUMNS)
        for item in [*placed, *county]:
            writer.writerow(csv_row(_item_row(item)))
    return path


def _item_row(item: AgendaItem) -> tuple[object, ...]:
    return (
        item.request_id,
        item.school_urn,
        item.district,
        item.route,
        item.meeting_date,
        item.group,
        item.slot,
        item.urgent,
        item.received_on,
        item.school_days_to_meeting,
    )


def write_unplaced_csv(agenda: Agenda, path: Path) -> Path:
    """unplaced.csv: each request no meeting takes, and why."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(UNPLACED_COLUMNS)
        for left in agenda.unplaced:
            writer.writerow(csv_row((left.request_id, left.reason)))
    return path


_STYLE = (
    "body{font-family:sans-serif;margin:2em;max-width:40em}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{border:1px solid #444;padding:.3em .6em;text-align:left}"
    ".urgent{font-weight:bold}"
    "@media print{body{margin:0}}"
)


def meeting_agenda_html(meeting: Meeting, items: list[AgendaItem]) -> str:
    """One meeting's printable agenda: date, time, venue, group, and the case references in order of
    receipt, urgent ones marked. Every value is escaped."""
    day = meeting.date.strftime("%d/%m/%Y")
    title = escape(f"LIFT meeting {day}: {meeting.group}")
    rows = "\n".join(_row(n, item) for n, item in enumerate(items, start=1))
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{title}</h1>
<dl>
<dt>Date</dt><dd>{escape(meeting.weekday)} {day}</dd>
<dt>Time</dt><dd>{meeting.start:%H:%M} to {meeting.end:%H:%M}</dd>
<dt>Venue</dt><dd>{escape(meeting.venue)}</dd>
<dt>Group</dt><dd>{escape(meeting.group)} ({escape(meeting.district)})</dd>
</dl>
<table>
<caption>Requests to discuss ({len(items)}), by case reference</caption>
<thead><tr><th scope="col">#</th><th scope="col">Case reference</th><th scope="col">Urgent</th><th scope="col">Received</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</body>
</html>
"""


def _row(n: int, item: AgendaItem) -> str:
    mark = ' class="urgent"' if item.urgent else ""
    urgent = "urgent" if item.urgent else ""
    received = item.received_on.strftime("%d/%m/%Y")
    return (
        f"<tr{mark}><td>{n}</td><td>{escape(item.request_id)}</td>"
        f"<td>{urgent}</td><td>{received}</td></tr>"
    )


def write_meeting_agendas(agenda: Agenda, folder: Path) -> list[Path]:
    """One `agenda-<date>-<group>.html` per meeting with requests (the slot added if a group meets
    twice on a day)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    taken: set[str] = set()
    for meeting in agenda.meetings:
        name = f"agenda-{meeting.date.isoformat()}-{slug(meeting.group)}"
        if name in taken:
            name += f"-{slug(meeting.slot)}"
        base, n = name, 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name)
        path = folder / f"{name}.html"
        path.write_text(meeting_agenda_html(meeting, agenda.at(meeting)), encoding="utf-8")
        paths.append(path)
    return paths


def write_agenda_outputs(agenda: Agenda, folder: Path) -> list[Path]:
    """Every agenda output into `folder`: agenda.csv, unplaced.csv and the meetings' HTML agendas."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_agenda_csv(agenda, folder / "agenda.csv"),
        write_unplaced_csv(agenda, folder / "unplaced.csv"),
        *write_meeting_agendas(agenda, folder),
    ]
