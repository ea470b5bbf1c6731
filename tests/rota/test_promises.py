"""A published rota is a promise: re-plans keep its meetings, say why any moves, and calendars update."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from icalendar import Calendar
from pydantic import ValidationError
from typer.testing import CliRunner

from allocator.cli.rota import rota_app
from allocator.io import write_scenario
from allocator.io.rota_export import read_rota_csv, write_rota_outputs
from allocator.model import Person, Scenario, Unavailability
from allocator.model.rota_result import Rota, meeting_uid
from allocator.rota.check import check_rota
from allocator.rota.outcome import RotaOutcome
from allocator.rota.plan import plan_rota
from allocator.rota.promises import is_this_years, promises_of
from tests.builders.rota import FAST, at_weeks, small_county

TODAY = date(2025, 11, 3)
"""Half-term 3 of the test year starts after this: two half-terms have happened."""


@pytest.fixture(scope="module")
def county() -> Scenario:
    return small_county(groups_per_district=3)


@pytest.fixture(scope="module")
def published(county: Scenario) -> Rota:
    outcome = plan_rota(county, FAST)
    assert outcome.rota is not None
    return outcome.rota


def _replan(s: Scenario, published: Rota, **options: object) -> RotaOutcome:
    outcome = plan_rota(s, FAST, published=published, today=TODAY, **options)  # type: ignore[arg-type]
    assert outcome.rota is not None and outcome.check is not None
    assert outcome.check.ok, outcome.check.breaches
    return outcome


def _away(s: Scenario, person: str, day: date) -> Scenario:
    leave = Unavailability(person_id=person, first_day=day, last_day=day)
    return s.model_copy(update={"unavailability": (*s.unavailability, leave)})


def test_an_unchanged_replan_returns_the_same_rota(county: Scenario, published: Rota) -> None:
    outcome = _replan(county, published)
    assert outcome.rota == published
    assert outcome.changes == () and outcome.cancelled == ()
    assert outcome.check is not None and outcome.check.score("moved_meetings").violation == 0
    promises = outcome.promises
    assert promises is not None and len(promises.held) + promises.published == len(
        published.meetings
    )
    assert "0 moved" in (outcome.promises_line() or "")


def test_a_new_day_of_leave_moves_only_the_meeting_it_makes_impossible(
    county: Scenario, published: Rota
) -> None:
    later = [m for m in published.meetings if m.date >= TODAY]
    hit = later[2]
    outcome = _replan(_away(county, hit.attendees[0], hit.date), published)
    assert outcome.rota is not None
    (change,) = outcome.changes
    assert (change.group, change.before, change.kind != "cancelled") == (hit.group, hit.date, True)
    assert "Ep Shared is away on" in change.reason
    before, after = published.numbered(), outcome.rota.numbered()
    assert set(before) == set(after)  # every meeting keeps its identity (and calendar UID)
    moved = [key for key in before if before[key].date != after[key].date]
    assert moved == [change.meeting_id]
    assert after[change.meeting_id].sequence == 1
    assert all(after[key].sequence == 0 for key in after if key != change.meeting_id)


def test_meetings_before_today_never_move_even_when_freed_or_now_impossible(
    county: Scenario, published: Rota
) -> None:
    past = next(m for m in published.meetings if m.date < TODAY)
    s = _away(county, past.attendees[0], past.date)  # leave recorded after the meeting happened
    outcome = _replan(s, published, free_from=date(2025, 9, 1))
    assert outcome.rota is not None
    held = {(m.group, m.date) for m in outcome.rota.meetings if m.date < TODAY}
    assert held == {(m.group, m.date) for m in published.meetings if m.date < TODAY}


def test_freed_meetings_may_move_but_stay_where_they_cost_nothing(
    county: Scenario, published: Rota
) -> None:
    group = published.meetings[0].group
    outcome = _replan(county, published, free_groups=(group,))
    promises = outcome.promises
    assert promises is not None and {e.meeting.group for e in promises.free} == {group}
    assert outcome.rota == published  # nothing is gained by moving, and moving costs


def test_a_group_that_meets_less_often_has_its_extra_meetings_cancelled() -> None:
    s = small_county(groups_per_district=1, districts=("Thanet",))
    twice = s.model_copy(
        update={"lift_groups": (s.lift_groups[0].model_copy(update={"meetings_per_half_term": 2}),)}
    )
    before = plan_rota(twice, FAST).rota
    assert before is not None
    outcome = _replan(s, before)
    cancelled = [c for c in outcome.changes if c.kind == "cancelled"]
    seconds = [key for key, m in before.numbered().items() if key[2] == 2 and m.date >= TODAY]
    assert len(seconds) == 5  # the second meetings from half-term 2 (it ends in November) on
    assert sorted(c.meeting_id for c in cancelled) == sorted(seconds)
    assert len(outcome.cancelled) == 5
    assert all("now meets 1 time a half-term" in c.reason for c in cancelled)
    assert all(m.sequence == 1 for m in outcome.cancelled)


def test_the_checker_flags_a_promise_broken_without_a_reason(
    county: Scenario, published: Rota
) -> None:
    future = next(m for m in published.meetings if m.date >= TODAY)
    past = next(m for m in published.meetings if m.date < TODAY)
    shifted = [
        m.model_copy(update={"date": date.fromordinal(m.date.toordinal() + 7), "week": m.week + 1})
        if m in (future, past)
        else m
        for m in published.meetings
    ]
    check = check_rota(county, Rota(meetings=tuple(shifted)), published=published, today=TODAY)
    found = [b.message for b in check.breaches if b.rule == "keeps_promises"]
    assert any("moved without a reason" in m for m in found)
    assert any("already happened but was moved" in m for m in found)
    assert check.score("moved_meetings").violation == 1


def _merge(*files: Path) -> dict[str, tuple[int, date]]:
    """What a calendar client keeps after importing each file in turn: per UID, the event with the
    highest SEQUENCE, and no event once it is cancelled."""
    kept: dict[str, tuple[int, date, str]] = {}
    for path in files:
        for event in Calendar.from_ical(path.read_bytes()).walk("VEVENT"):
            uid, sequence = str(event.get("uid")), int(event.get("sequence", 0))
            status = str(event.get("status", "CONFIRMED"))
            if uid not in kept or sequence >= kept[uid][0]:
                kept[uid] = (sequence, event.decoded("dtstart").date(), status)
    return {uid: (seq, day) for uid, (seq, day, status) in kept.items() if status != "CANCELLED"}


def test_a_revised_calendar_updates_each_meeting_instead_of_adding_one(
    tmp_path: Path, county: Scenario, published: Rota
) -> None:
    write_rota_outputs(published, tmp_path / "v1", county)
    hit = [m for m in published.meetings if m.date >= TODAY and m.district == "Thanet"][1]
    outcome = _replan(_away(county, hit.attendees[0], hit.date), published)
    assert outcome.rota is not None
    write_rota_outputs(outcome.rota, tmp_path / "v2", county, changes=outcome.changes)
    merged = _merge(tmp_path / "v1" / "rota-thanet.ics", tmp_path / "v2" / "rota-thanet.ics")
    thanet = {key: m for key, m in outcome.rota.numbered().items() if m.district == "Thanet"}
    assert merged == {meeting_uid(key): (m.sequence, m.date) for key, m in thanet.items()}
    assert (tmp_path / "v2" / "changes.csv").read_text().count("\n") == 2


def test_a_cancelled_meeting_leaves_the_calendar(tmp_path: Path) -> None:
    s = small_county(groups_per_district=1, districts=("Thanet",))
    twice = s.model_copy(
        update={"lift_groups": (s.lift_groups[0].model_copy(update={"meetings_per_half_term": 2}),)}
    )
    before = plan_rota(twice, FAST).rota
    assert before is not None
    write_rota_outputs(before, tmp_path / "v1", twice)
    outcome = _replan(s, before)
    assert outcome.rota is not None
    write_rota_outputs(outcome.rota, tmp_path / "v2", s, outcome.breakdown, (), outcome.cancelled)
    merged = _merge(tmp_path / "v1" / "rota-thanet.ics", tmp_path / "v2" / "rota-thanet.ics")
    assert len(merged) == len(outcome.rota.meetings) == len(before.meetings) - 5


def test_last_years_rota_is_a_pattern_not_a_promise(county: Scenario, published: Rota) -> None:
    assert is_this_years(county, published)
    last_year = Rota(
        meetings=tuple(
            m.model_copy(update={"date": date(m.date.year - 1, m.date.month, m.date.day)})
            for m in published.meetings
            if not (m.date.month == 2 and m.date.day == 29)
        )
    )
    assert not is_this_years(county, last_year)


def test_promises_name_why_each_meeting_may_move(county: Scenario, published: Rota) -> None:
    later = [m for m in published.meetings if m.date >= TODAY]
    s = _away(county, later[0].attendees[1], later[0].date)
    promises = promises_of(s, published, TODAY, free_groups=(later[1].group,))
    reasons = {e.meeting.date: e.reason for e in promises.free}
    assert "is away on" in reasons[later[0].date]
    assert all(e.reason == "held" for e in promises.held)
    assert any("were freed to move" in r for r in reasons.values())


def test_lift_rota_replans_a_published_rota_and_writes_its_changes(
    tmp_path: Path, county: Scenario, published: Rota
) -> None:
    folder = tmp_path / "scenario"
    hit = next(m for m in published.meetings if m.date >= TODAY)
    write_scenario(_away(county, hit.attendees[0], hit.date), folder)
    write_rota_outputs(published, tmp_path / "before", county)
    args = ["--scenario", str(folder), "--previous", str(tmp_path / "before" / "rota.csv")]
    args += ["--today", TODAY.strftime("%d/%m/%Y"), "--time-limit", "10", "--workers", "2"]
    result = CliRunner().invoke(rota_app, [*args, "--out", str(tmp_path / "after")])
    assert result.exit_code == 0, result.output
    assert "Published meetings that change" in result.output
    changes = (tmp_path / "after" / "changes.csv").read_text().splitlines()
    assert changes[0].startswith("district,group,half_term,meeting,before") and len(changes) == 2
    rota = read_rota_csv(tmp_path / "after" / "rota.csv")
    assert sum(m.sequence for m in rota.meetings) == 1
    unknown = CliRunner().invoke(rota_app, [*args, "--free", "Nowhere 9", "--out", str(tmp_path)])
    assert unknown.exit_code == 2


@pytest.mark.parametrize(
    "address", ["ep@example.org\r\nATTENDEE:x", "a@b", "no spaces@example.org", "x;y@example.org"]
)
def test_an_email_address_that_could_break_a_calendar_line_is_refused(address: str) -> None:
    with pytest.raises(ValidationError):
        Person(
            person_id="ep",
            name="Ep",
            role="educational_psychologist",  # type: ignore[arg-type]
            team="Thanet",
            base_lat=51.3,
            base_lon=1.3,
            email=address,
        )


def test_promises_that_cannot_all_stay_are_freed_and_each_move_says_why() -> None:
    # Each half-term's only meeting is in its last week; the group now meets twice a half-term, so
    # the second meeting cannot follow the first unless the first moves.
    s = small_county(groups_per_district=1, districts=("Thanet",))
    published = Rota(meetings=tuple(at_weeks(s, "Thanet 1", [5] * 6, "Thanet-main")))
    twice = s.model_copy(
        update={"lift_groups": (s.lift_groups[0].model_copy(update={"meetings_per_half_term": 2}),)}
    )
    outcome = _replan(twice, published)
    assert outcome.rota is not None and len(outcome.rota.meetings) > len(published.meetings)
    moved = [c for c in outcome.changes if c.kind != "cancelled"]
    assert moved and all("could not all hold" in c.reason for c in moved)
