"""A note per school after a rebalance: what changed for its pupils and why, in plain words.

Case references only (no names of children), dates as dd/mm/yyyy, staff by name. A school's note never
names another school's cases: a broken promise says the time was needed for an urgent case or for newly
agreed support, not whose. Written as text and as HTML (every value escaped).
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

from allocator.model import Scenario
from allocator.model.base import Frozen
from allocator.model.caseload_result import Change


class SchoolNote(Frozen):
    """What changed for one school's cases."""

    urn: int
    school: str
    district: str
    lines: tuple[str, ...]

    def text(self) -> str:
        """The note as plain text."""
        head = f"{self.school} (URN {self.urn}): changes to specialist teaching support"
        return "\n".join([head, "", *(f"- {line}" for line in self.lines), ""])

    def html(self) -> str:
        """The note as a small HTML page (every value escaped)."""
        items = "".join(f"<li>{html.escape(line)}</li>" for line in self.lines)
        title = html.escape(f"{self.school} (URN {self.urn})")
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{title}: support changes</title></head><body>"
            f"<h1>{title}</h1><p>Changes to specialist teaching support.</p>"
            f"<ul>{items}</ul></body></html>\n"
        )


def _day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value is not None else "-"


def _line(change: Change, names: Mapping[str, str], urgent: set[str]) -> str:
    who = names.get(change.after_person or "", change.after_person or "")
    was = names.get(change.before_person or "", change.before_person or "")
    case = f"Case {change.case_id}"
    if change.kind == "new":
        if change.after_start is None:
            return f"{case}: newly agreed; support cannot start yet, the team will say when it can."
        return f"{case}: newly agreed; support starts on {_day(change.after_start)} with {who}."
    if change.kind == "earlier":
        return (
            f"{case}: good news, support now starts sooner, on {_day(change.after_start)} "
            f"(was {_day(change.before_start)}), with {who}."
        )
    if change.kind == "withdrawn":
        return f"{case}: support {'stops' if change.after_start else 'will not start'}: consent was withdrawn."
    takers = [c for c in change.needed_by.split(";") if c]
    why = (
        "the time was needed for an urgent case"
        if any(c in urgent for c in takers)
        else "the team's time was rearranged for newly agreed support"
    )
    if change.after_start is None:
        return f"{case}: support planned from {_day(change.before_start)} cannot start now: {why}."
    person = f"with {who}" + (
        f" (was {was})" if change.after_person != change.before_person else ""
    )
    return (
        f"{case}: support now starts on {_day(change.after_start)} {person}, "
        f"instead of {_day(change.before_start)}: {why}. We are sorry for the change."
    )


def school_notes(changes: Iterable[Change], scenario: Scenario) -> list[SchoolNote]:
    """One note per school with a changed or new case, in school order."""
    urn_of = {a.case_id: a.school_urn for a in scenario.agreements}
    urgent = {a.case_id for a in scenario.agreements if a.priority == 1}
    names = {p.person_id: p.name for p in scenario.people}
    lines: dict[int, list[str]] = defaultdict(list)
    for change in changes:
        urn = urn_of.get(change.case_id)
        if urn is not None:
            lines[urn].append(_line(change, names, urgent))
    notes = []
    for urn in sorted(lines):
        school = scenario.school_by_urn.get(urn)
        notes.append(
            SchoolNote(
                urn=urn,
                school=school.name if school is not None else f"School {urn}",
                district=school.district if school is not None else "",
                lines=tuple(lines[urn]),
            )
        )
    return notes


def write_school_notes(notes: Iterable[SchoolNote], folder: Path) -> list[Path]:
    """notes/<urn>.txt and notes/<urn>.html for each school."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for note in notes:
        for suffix, body in (("txt", note.text()), ("html", note.html())):
            path = folder / f"{note.urn}.{suffix}"
            path.write_text(body, encoding="utf-8")
            paths.append(path)
    return paths
