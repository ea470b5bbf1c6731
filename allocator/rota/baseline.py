"""The naive baseline the planner is measured against: the rota a person would draw by hand."""

from __future__ import annotations

from allocator.model import Scenario
from allocator.model.rota_result import Meeting, Rota, TermWeeks
from allocator.rota.data import meeting_order, slot_days


def round_robin_rota(scenario: Scenario) -> Rota:
    """The rota by hand: the k-th group of a slot meets in week k of every half-term (wrapping round),
    on the slot's day, whatever the calendar or the attendees."""
    weeks = TermWeeks.of(scenario.terms)
    meetings = []
    for slot in scenario.meeting_slots:
        users = [
            g
            for g in scenario.lift_groups
            if g.district == slot.district and scenario.slots_for(g)[0] == slot
        ]
        for k, group in enumerate(users):
            for part in weeks.half_terms:
                days = slot_days(slot, weeks, part.half_term)
                for ordinal in range(group.meetings_per_half_term):
                    day = days[(k * group.meetings_per_half_term + ordinal) % len(days)]
                    place = weeks.locate(day)
                    meetings.append(
                        Meeting(
                            district=group.district,
                            group=group.group,
                            half_term=part.half_term,
                            date=day,
                            weekday=slot.weekday,
                            start=slot.start,
                            end=slot.end,
                            venue=slot.venue,
                            slot=slot.slot,
                            week=place[1] if place else 1,
                            attendees=group.attendees,
                        )
                    )
    return Rota(meetings=tuple(sorted(meetings, key=meeting_order)))
