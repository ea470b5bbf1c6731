"""Rota files: rota.csv (written and read back), rota.xlsx, one .ics calendar per district, a PNG chart.

rota.csv is the output contract's `district, group, half_term, date, weekday, start, end, venue,
attendees` plus `slot` and `week` (the week of the half-term). Reading accepts a rota made by hand
with only `group` and `date`: the rest comes from the scenario, so last year's rota can be --previous.
The chart is drawn with matplotlib's Agg canvas, so no display is needed.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from allocator.io.cells import append_row, csv_row, finish_sheet, unsafe_text
from allocator.model import WEEKDAYS, Problem, Scenario, ScenarioError, week_start
from allocator.model.rota_result import (
    Meeting,
    MeetingChange,
    Rota,
    RuleScore,
    TermWeeks,
    meeting_uid,
)

ROTA_COLUMNS = (
    "district",
    "group",
    "half_term",
    "date",
    "weekday",
    "start",
    "end",
    "venue",
    "attendees",
    "slot",
    "week",
    "sequence",
)
CHANGE_COLUMNS = (
    "district",
    "group",
    "half_term",
    "meeting",
    "before",
    "before_slot",
    "after",
    "after_slot",
    "change",
    "reason",
)
LONDON = ZoneInfo("Europe/London")
PRODID = "-//LIFT allocator//meeting rota//EN"


def slug(text: str) -> str:
    """A file-name friendly form of a name: 'Folkestone and Hythe' -> 'folkestone-and-hythe'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "district"


# ---------------------------------------------------------------------------------------------
# rota.csv
# ---------------------------------------------------------------------------------------------


def write_rota_csv(rota: Rota, path: Path) -> Path:
    """rota.csv: one row per meeting, in date order; attendees `;`-separated."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ROTA_COLUMNS)
        for m in rota.meetings:
            writer.writerow(csv_row(_meeting_row(m)))
    return path


def _meeting_row(m: Meeting) -> tuple[object, ...]:
    """A meeting's cells in `ROTA_COLUMNS` order (typed: the writers make text safe)."""
    return (
        m.district,
        m.group,
        m.half_term,
        m.date,
        m.weekday,
        f"{m.start:%H:%M}",
        f"{m.end:%H:%M}",
        m.venue,
        ";".join(m.attendees),
        m.slot,
        m.week,
        m.sequence,
    )


def write_rota_changes(changes: Sequence[MeetingChange], path: Path) -> Path:
    """changes.csv of a re-plan: each published meeting moved or cancelled, and why."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CHANGE_COLUMNS)
        for c in changes:
            row = (
                c.district,
                c.group,
                c.half_term,
                c.index,
                c.before,
                c.before_slot,
                c.after or "",
                c.after_slot or "",
                c.kind,
                c.reason,
            )
            writer.writerow(csv_row(row))
    return path


def read_rota_csv(
    path: Path, scenario: Scenario | None = None, skip_unknown_groups: bool = False
) -> Rota:
    """A rota from rota.csv; with a scenario, only `group` and `date` are required.

    With `skip_unknown_groups`, rows of groups the scenario no longer has are left out (last year's
    rota may name a group since merged). Raises `ScenarioError` naming the file, row and column of
    every problem.
    """
    name = path.name
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise ScenarioError(
            [Problem(file=str(path), expected=f"a readable file ({error})")]
        ) from None
    problems: list[Problem] = []
    drafts: list[tuple[int, dict[str, Any]]] = []
    for index, raw in enumerate(rows, start=2):
        values = {k.strip(): unsafe_text((v or "").strip()) for k, v in raw.items() if k}
        known = scenario is None or values.get("group", "") in scenario.group_by_name
        if skip_unknown_groups and not known:
            continue
        draft, found = _draft(name, index, values, scenario)
        problems += found
        if draft is not None:
            drafts.append((index, draft))
    _fill_weeks(drafts, scenario)
    meetings: list[Meeting] = []
    for index, draft in drafts:
        try:
            meetings.append(Meeting.model_validate(draft))
        except ValidationError as error:
            for e in error.errors():
                column = str(e["loc"][0]) if e["loc"] else None
                problems.append(
                    Problem(
                        file=name,
                        row=index,
                        column=column,
                        value=str(draft.get(column or "", "")),
                        expected=e["msg"],
                    )
                )
    if problems:
        raise ScenarioError(problems)
    return Rota(meetings=tuple(sorted(meetings, key=lambda m: (m.date, m.start, m.group))))


def _draft(
    file: str, row: int, values: dict[str, str], scenario: Scenario | None
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """One row's fields, the missing ones taken from the scenario where it can tell them."""
    problems: list[Problem] = []

    def problem(column: str, expected: str) -> None:
        problems.append(
            Problem(file=file, row=row, column=column, value=values.get(column), expected=expected)
        )

    group_name = values.get("group", "")
    if not group_name:
        problem("group", "a LIFT group")
        return None, problems
    try:
        day = date.fromisoformat(values.get("date", ""))
    except ValueError:
        problem("date", "a date as YYYY-MM-DD")
        return None, problems
    draft: dict[str, Any] = {k: v for k, v in values.items() if k in ROTA_COLUMNS and v != ""}
    draft["date"] = day
    draft.setdefault("weekday", WEEKDAYS[day.weekday()] if day.weekday() < 5 else "")
    group = scenario.group_by_name.get(group_name) if scenario is not None else None
    if scenario is not None and group is None:
        problem("group", "a group of lift_groups.csv")
        return None, problems
    if group is not None and scenario is not None:
        draft.setdefault("district", group.district)
        draft.setdefault("attendees", ";".join(group.attendees))
        slots = [
            s
            for s in scenario.slots_for(group)
            if s.weekday == draft["weekday"]
            and ("start" not in draft or f"{s.start:%H:%M}" == draft["start"])
        ]
        if "slot" not in draft and slots:
            draft["slot"] = slots[0].slot
        slot = scenario.slot_by_id.get(draft.get("slot", ""))
        if slot is not None:
            draft.setdefault("start", f"{slot.start:%H:%M}")
            draft.setdefault("end", f"{slot.end:%H:%M}")
            draft.setdefault("venue", slot.venue)
        place = TermWeeks.of(scenario.terms).locate(day)
        if place is not None:
            draft.setdefault("half_term", place[0])
            draft.setdefault("week", place[1])
    for column in ("district", "half_term", "start", "end", "venue", "slot"):
        if column not in draft:
            problem(column, "a value (or a scenario that can tell it)")
    return (None if problems else draft), problems


def _fill_weeks(drafts: list[tuple[int, dict[str, Any]]], scenario: Scenario | None) -> None:
    """Rows without a `week`: count it from the earliest week of the same half-term in the file."""
    first: dict[str, date] = {}
    for _, d in drafts:
        key = str(d["half_term"])
        first[key] = min(first.get(key, d["date"]), d["date"])
    for _, d in drafts:
        if "week" not in d:
            start = week_start(first[str(d["half_term"])])
            d["week"] = (week_start(d["date"]) - start).days // 7 + 1


# ---------------------------------------------------------------------------------------------
# rota.xlsx
# ---------------------------------------------------------------------------------------------


def write_rota_xlsx(rota: Rota, path: Path, scores: Sequence[RuleScore] = ()) -> Path:
    """rota.xlsx: the meetings; a week-by-district grid of which groups meet; the score per rule.

    Cells are typed (dates shown dd/mm/yyyy), text is never a formula (see `allocator.io.cells`), and
    each sheet has a frozen, filtered header row.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Rota"
    append_row(sheet, ROTA_COLUMNS)
    for m in rota.meetings:
        append_row(sheet, _meeting_row(m))
    grid = book.create_sheet("Weeks")
    districts = rota.districts
    append_row(grid, ["half_term", "week", "week of", *districts])
    by_week: dict[tuple[int, int, date], dict[str, list[str]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for m in rota.meetings:
        by_week[(m.half_term, m.week, week_start(m.date))][m.district].append(
            f"{m.group} ({m.weekday[:3]})"
        )
    for (h, w, monday), cells in sorted(by_week.items()):
        append_row(grid, [h, w, monday, *("\n".join(cells.get(d, [])) for d in districts)])
    for row in grid.iter_rows(min_row=2):
        for cell in row[3:]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    if scores:
        score = book.create_sheet("Score")
        append_row(score, ["rule", "weight", "violation", "penalty"])
        for s in scores:
            append_row(score, [s.name, s.weight, s.violation, s.penalty])
        append_row(score, ["total", None, None, sum(s.penalty for s in scores)])
    for ws in book.worksheets:
        finish_sheet(ws)
    book.save(path)
    return path


# ---------------------------------------------------------------------------------------------
# .ics calendars
# ---------------------------------------------------------------------------------------------


def write_rota_ics(
    rota: Rota, folder: Path, scenario: Scenario, cancelled: Sequence[Meeting] = ()
) -> list[Path]:
    """One calendar per district, `rota-<district>.ics`: an event per meeting with its venue, its
    attendees and, in the description, the group's schools.

    Each meeting keeps one UID for the year (group, half-term and its number there), and its SEQUENCE
    rises each time it changes, so a calendar that imports a revised file moves the event instead of
    adding a second one; `cancelled` meetings are sent as cancelled events. Attendees are listed with
    their e-mail address where people.csv has one, and left out of the attendee list otherwise.
    """
    from icalendar import Calendar, Event, vCalAddress

    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).replace(microsecond=0)
    numbered = {id(m): key for key, m in rota.numbered().items()}
    gone = Rota(meetings=tuple(cancelled))
    gone_ids = {id(m): key for key, m in gone.numbered().items()}
    paths = []
    for district in dict.fromkeys([*rota.districts, *gone.districts]):
        calendar = Calendar()
        calendar.add("prodid", PRODID)
        calendar.add("version", "2.0")
        calendar.add("x-wr-calname", f"LIFT meetings, {district} {scenario.settings.academic_year}")
        events = [(m, numbered[id(m)], False) for m in rota.in_district(district)]
        events += [(m, gone_ids[id(m)], True) for m in gone.in_district(district)]
        for m, key, is_cancelled in events:
            event = Event()
            event.add("uid", meeting_uid(key))
            event.add("sequence", m.sequence)
            event.add("dtstamp", stamp)
            event.add("dtstart", datetime.combine(m.date, m.start, tzinfo=LONDON))
            event.add("dtend", datetime.combine(m.date, m.end, tzinfo=LONDON))
            event.add("summary", f"LIFT meeting: {m.group}")
            event.add("location", m.venue)
            if is_cancelled:
                event.add("status", "CANCELLED")
            schools = [s.name for s in scenario.schools_in_group(m.group)]
            people = [scenario.person_by_id.get(p) for p in m.attendees]
            event.add(
                "description",
                "\n".join(
                    [
                        f"{m.group} ({m.district}), term {m.half_term}, week {m.week}",
                        "Schools: " + ("; ".join(schools) or "none listed"),
                        "Attendees: " + "; ".join(p.name for p in people if p is not None),
                    ]
                ),
            )
            for person in people:
                if person is None or person.email is None:
                    continue
                address = vCalAddress(f"mailto:{person.email}")
                address.params["cn"] = person.name
                address.params["role"] = "REQ-PARTICIPANT"
                event.add("attendee", address, encode=False)
            calendar.add_component(event)
        calendar.add_missing_timezones()
        path = folder / f"rota-{slug(district)}.ics"
        path.write_bytes(calendar.to_ical())
        paths.append(path)
    return paths


# ---------------------------------------------------------------------------------------------
# The chart
# ---------------------------------------------------------------------------------------------


def write_rota_png(rota: Rota, path: Path, scenario: Scenario) -> Path:
    """A chart of the year: term weeks across, districts down, one mark per meeting (by weekday),
    half-terms shaded alternately."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    weeks = TermWeeks.of(scenario.terms)
    districts = [d for d in scenario.district_names if d in set(rota.districts)]
    fig, ax = plt.subplots(figsize=(14, 0.45 * len(districts) + 1.8), dpi=110)
    for part in weeks.half_terms:
        if part.half_term % 2 == 0:
            ax.axvspan(
                part.first_term_week - 0.5,
                part.first_term_week + part.weeks - 0.5,
                color="0.93",
            )
        ax.text(
            part.first_term_week + part.weeks / 2 - 0.5,
            -0.75,
            f"term {part.half_term}",
            ha="center",
            fontsize=8,
        )
    colours = {day: plt.get_cmap("tab10")(i) for i, day in enumerate(WEEKDAYS)}
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for m in rota.meetings:
        place = weeks.locate(m.date)
        if place is None:
            continue
        y = districts.index(m.district)
        offset = 0.18 * counts[(y, place[2])]
        counts[(y, place[2])] += 1
        ax.scatter(place[2], y - 0.2 + offset, s=22, color=colours[m.weekday], zorder=3)
    ax.set_yticks(range(len(districts)), districts, fontsize=8)
    ax.set_ylim(len(districts) - 0.4, -1.0)
    ax.set_xlim(0.5, weeks.total + 0.5)
    ax.set_xlabel("term week of the year (holidays left out)")
    ax.set_title(f"LIFT meetings, {scenario.settings.name} {scenario.settings.academic_year}")
    handles = [
        plt.Line2D([], [], marker="o", linestyle="", color=colours[d], label=d)
        for d in WEEKDAYS
        if any(m.weekday == d for m in rota.meetings)
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=5, fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def write_rota_outputs(
    rota: Rota,
    folder: Path,
    scenario: Scenario,
    scores: Sequence[RuleScore] = (),
    changes: Sequence[MeetingChange] | None = None,
    cancelled: Sequence[Meeting] = (),
) -> list[Path]:
    """Every rota output into `folder`: rota.csv, rota.xlsx, rota-<district>.ics, rota.png, and for a
    re-plan of a published rota (`changes` given) changes.csv."""
    paths = [
        write_rota_csv(rota, folder / "rota.csv"),
        write_rota_xlsx(rota, folder / "rota.xlsx", scores),
        *write_rota_ics(rota, folder, scenario, cancelled),
        write_rota_png(rota, folder / "rota.png", scenario),
    ]
    if changes is not None:
        paths.append(write_rota_changes(changes, folder / "changes.csv"))
    return paths
