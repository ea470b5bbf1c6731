"""A published rota is a promise: which of its meetings a re-plan keeps, which may move and why.

`promises_of` sorts this year's published rota meeting by meeting: before `today` a meeting is held (it
happened); from `today` on it is kept where it was, unless the user frees it (`free_from`,
`free_groups`), or it is no longer possible there (its slot changed, the day is closed, an attendee is
away, it clashes with another kept meeting), or its group no longer meets that often (cancelled).
`changes_between` lists what a re-plan changed, each with its reason, and `with_sequences` raises the
calendar SEQUENCE of every meeting that changed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import date

from allocator.model import Scenario, week_start
from allocator.model.rota_result import (
    Meeting,
    MeetingChange,
    MeetingId,
    PromisedMeeting,
    Rota,
    RotaPromises,
    TermWeeks,
)


def is_this_years(scenario: Scenario, rota: Rota) -> bool:
    """Whether `rota` is a rota of the scenario's own year (so its meetings are published promises),
    rather than last year's (whose weekdays and weeks the `stability` rule keeps)."""
    first = min(t.first_day for t in scenario.terms)
    last = max(t.last_day for t in scenario.terms)
    return any(first <= m.date <= last for m in rota.meetings)


def promises_of(
    scenario: Scenario,
    published: Rota,
    today: date,
    *,
    free_from: date | None = None,
    free_groups: Collection[str] = (),
    groups: Collection[str] | None = None,
) -> RotaPromises:
    """What a re-plan of `groups` (default: all) owes the published rota, meeting by meeting."""
    held: list[PromisedMeeting] = []
    kept: list[PromisedMeeting] = []
    free: list[PromisedMeeting] = []
    cancelled: list[PromisedMeeting] = []
    weeks = TermWeeks.of(scenario.terms)
    for (group, _, index), meeting in sorted(published.numbered().items(), key=_by_date):
        if groups is not None and group not in groups:
            continue
        if meeting.date < today:
            held.append(PromisedMeeting(meeting=meeting, index=index, reason="held"))
            continue
        gone = _cancelled(scenario, group, index)
        if gone is not None:
            cancelled.append(PromisedMeeting(meeting=meeting, index=index, reason=gone))
            continue
        why = _impossible(scenario, meeting, weeks) or _freed(meeting, free_from, free_groups)
        entry = PromisedMeeting(meeting=meeting, index=index, reason=why or "kept")
        (free if why else kept).append(entry)
    clashes = _clashes(scenario, [*held, *kept])
    free += [e.model_copy(update={"reason": clashes[id(e)]}) for e in kept if id(e) in clashes]
    kept = [e for e in kept if id(e) not in clashes]
    return RotaPromises(
        today=today,
        held=tuple(held),
        kept=tuple(kept),
        free=tuple(sorted(free, key=lambda e: e.meeting.date)),
        cancelled=tuple(cancelled),
    )


def release_kept(promises: RotaPromises, groups: Collection[str]) -> RotaPromises:
    """The promises with the kept meetings of `groups` freed, for when they cannot all stay."""
    release = [e for e in promises.kept if e.meeting.group in groups]
    why = "the rules could not all hold with every published meeting kept"
    return promises.model_copy(
        update={
            "kept": tuple(e for e in promises.kept if e.meeting.group not in groups),
            "free": (*promises.free, *(e.model_copy(update={"reason": why}) for e in release)),
        }
    )


def _by_date(item: tuple[MeetingId, Meeting]) -> tuple[date, str]:
    return (item[1].date, item[1].group)


def _cancelled(scenario: Scenario, group: str, index: int) -> str | None:
    lift_group = scenario.group_by_name.get(group)
    if lift_group is None:
        return f"{group} is no longer a LIFT group of the scenario"
    if index > lift_group.meetings_per_half_term:
        times = lift_group.meetings_per_half_term
        return f"{group} now meets {times} time{'s' if times != 1 else ''} a half-term"
    return None


def _impossible(scenario: Scenario, meeting: Meeting, weeks: TermWeeks) -> str | None:
    """Why a published meeting can no longer take place where it is, in a coordinator's words."""
    group = scenario.group_by_name[meeting.group]
    slot = scenario.slot_by_id.get(meeting.slot)
    day = meeting.date.isoformat()
    if slot is None or slot not in scenario.slots_for(group):
        return f"slot {meeting.slot} is no longer one of {group.group}'s slots"
    if slot.weekday_index != meeting.date.weekday():
        return f"slot {slot.slot} now meets on {slot.weekday}s"
    place = weeks.locate(meeting.date)
    if place is None or place[0] != meeting.half_term:
        return f"{day} is no longer in half-term {meeting.half_term}"
    if meeting.date not in set(scenario.meeting_days(group.district)):
        closure = next(
            (
                c
                for c in scenario.closures
                if c.date == meeting.date and c.applies_to(group.district)
            ),
            None,
        )
        if closure is not None:
            return f"{group.district} is closed on {day} ({closure.reason})"
        return f"{day} is a bank holiday"
    for person_id in group.attendees:
        for away in scenario.unavailability:
            if away.person_id == person_id and away.first_day <= meeting.date <= away.last_day:
                person = scenario.person_by_id.get(person_id)
                name = person.name if person is not None else person_id
                return f"{name} is away on {day} ({away.reason})"
    return None


def _freed(meeting: Meeting, free_from: date | None, free_groups: Collection[str]) -> str | None:
    if meeting.group in free_groups:
        return f"{meeting.group}'s meetings were freed to move"
    if free_from is not None and meeting.date >= free_from:
        return f"meetings from {free_from.isoformat()} on were freed to move"
    return None


def _clashes(scenario: Scenario, entries: Iterable[PromisedMeeting]) -> dict[int, str]:
    """Kept meetings that can no longer all stay: over a slot's meetings a week, or an attendee in two
    meetings at once. The later of two clashing meetings (by date, then group) is freed."""
    out: dict[int, str] = {}
    in_week: dict[tuple[str, date], list[PromisedMeeting]] = defaultdict(list)
    by_day: dict[date, list[PromisedMeeting]] = defaultdict(list)
    for e in sorted(entries, key=lambda e: (e.meeting.date, e.meeting.group)):
        m = e.meeting
        slot = scenario.slot_by_id.get(m.slot)
        week = week_start(m.date)
        full = slot is not None and len(in_week[(m.slot, week)]) >= slot.meetings_per_week
        if full and slot is not None and e.reason != "held":
            out[id(e)] = f"slot {m.slot} now holds {slot.meetings_per_week} meeting(s) a week"
            continue
        group = scenario.group_by_name.get(m.group)
        attendees = set(group.attendees) if group is not None else set(m.attendees)
        other = next(
            (
                o
                for o in by_day[m.date]
                if o.meeting.start < m.end
                and m.start < o.meeting.end
                and attendees & set(_attendees(scenario, o.meeting))
            ),
            None,
        )
        if other is not None and e.reason != "held":
            out[id(e)] = (
                f"it would clash with {other.meeting.group}'s meeting on {m.date.isoformat()}"
            )
            continue
        in_week[(m.slot, week)].append(e)
        by_day[m.date].append(e)
    return out


def _attendees(scenario: Scenario, meeting: Meeting) -> tuple[str, ...]:
    group = scenario.group_by_name.get(meeting.group)
    return group.attendees if group is not None else meeting.attendees


def changes_between(promises: RotaPromises, rota: Rota) -> list[MeetingChange]:
    """Every published meeting from today on that `rota` moves or drops, with the reason it could."""
    now = rota.numbered()
    out: list[MeetingChange] = []
    for entry in (*promises.kept, *promises.free, *promises.cancelled):
        before = entry.meeting
        key = (before.group, before.half_term, entry.index)
        after = now.get(key)
        if after is not None and (after.date, after.slot) == (before.date, before.slot):
            continue
        reason = entry.reason
        if after is None and entry in promises.free:
            reason = f"{reason}; no other day was possible"
        out.append(
            MeetingChange(
                group=before.group,
                district=before.district,
                half_term=before.half_term,
                index=entry.index,
                before=before.date,
                before_slot=before.slot,
                after=None if after is None else after.date,
                after_slot=None if after is None else after.slot,
                reason=reason,
            )
        )
    return sorted(out, key=lambda c: (c.before, c.group))


def with_sequences(rota: Rota, published: Rota) -> Rota:
    """`rota` with each meeting's calendar SEQUENCE: the published one's, raised by one if the meeting
    changed (day, slot, times, venue or attendees); new meetings start at 0."""
    before = published.numbered()
    key_of = {id(m): key for key, m in rota.numbered().items()}
    meetings = []
    for meeting in rota.meetings:
        old = before.get(key_of[id(meeting)])
        if old is not None:
            changed = _what_users_see(old) != _what_users_see(meeting)
            meeting = meeting.model_copy(update={"sequence": old.sequence + changed})
        meetings.append(meeting)
    return Rota(meetings=tuple(meetings))


def cancelled_meetings(changes: Iterable[MeetingChange], published: Rota) -> list[Meeting]:
    """The published meetings a re-plan cancels, each with its SEQUENCE raised (for the calendars)."""
    before = published.numbered()
    return [
        before[c.meeting_id].model_copy(update={"sequence": before[c.meeting_id].sequence + 1})
        for c in changes
        if c.after is None and c.meeting_id in before
    ]


def _what_users_see(m: Meeting) -> tuple[object, ...]:
    return (m.date, m.slot, m.start, m.end, m.venue, tuple(sorted(m.attendees)))
