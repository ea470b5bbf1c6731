"""A note per school after a rebalance: plain words, its own cases only, escaped HTML."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from allocator.io.notes import school_notes, write_school_notes
from allocator.model.caseload_result import Change
from tests.builders.caseload import NORTH_PRIMARY, SOUTH_PRIMARY, case, county, teacher


def _scenario():  # type: ignore[no-untyped-def]
    agreements = [
        case("K-1"),
        case("K-2"),
        case("U-9", urn=SOUTH_PRIMARY, priority=1),
        case("N-3", urn=SOUTH_PRIMARY),
    ]
    return county([teacher("a"), teacher("s", "Southfield")], agreements)


CHANGES = [
    Change(
        case_id="K-1",
        before_person="a",
        after_person="a",
        before_start=date(2026, 1, 12),
        after_start=date(2026, 3, 2),
        kind="broken",
        needed_by="U-9",
        reason="a's time was needed by U-9 (urgent); the start moves later",
    ),
    Change(
        case_id="K-2",
        before_person="a",
        after_person="a",
        before_start=date(2026, 2, 2),
        after_start=date(2026, 1, 5),
        kind="earlier",
        reason="good news",
    ),
    Change(
        case_id="N-3",
        after_person="s",
        after_start=date(2026, 1, 19),
        kind="new",
        reason="new agreement",
    ),
]


def test_each_school_hears_about_its_own_cases_in_plain_words() -> None:
    notes = {n.urn: n for n in school_notes(CHANGES, _scenario())}
    assert set(notes) == {NORTH_PRIMARY, SOUTH_PRIMARY}
    north = notes[NORTH_PRIMARY].text()
    assert "Case K-1: support now starts on 02/03/2026" in north
    assert "instead of 12/01/2026: the time was needed for an urgent case" in north
    assert "Case K-2: good news, support now starts sooner, on 05/01/2026 (was 02/02/2026)" in north
    assert "U-9" not in north  # another school's case is never named
    assert "Case N-3: newly agreed; support starts on 19/01/2026" in notes[SOUTH_PRIMARY].text()


def test_the_html_note_escapes_every_value(tmp_path: Path) -> None:
    s = _scenario()
    hostile = s.schools[0].model_copy(update={"name": "<script>alert(1)</script> & Co"})
    s = s.model_copy(update={"schools": (hostile, *s.schools[1:])})
    paths = write_school_notes(school_notes(CHANGES, s), tmp_path)
    page = (tmp_path / f"{hostile.urn}.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page
    assert sorted(p.name for p in paths) == sorted(
        f"{urn}.{suffix}" for urn in (NORTH_PRIMARY, SOUTH_PRIMARY) for suffix in ("txt", "html")
    )
