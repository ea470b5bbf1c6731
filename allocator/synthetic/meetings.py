"""The LIFT groups, meeting slots and leave of a synthetic county."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, time, timedelta

from allocator.model import (
    WEEKDAYS,
    GroupKind,
    LiftGroup,
    MeetingSlot,
    Unavailability,
    meeting_days,
)
from allocator.model.calendar import half_term_of
from allocator.synthetic.constants import POOL_FTE
from allocator.synthetic.state import _CountyState


class _MeetingsPart(_CountyState):
    """Groups with their attendees, slots on clash-free weekdays, and leave."""

    def _lift_groups(self) -> list[LiftGroup]:
        groups = []
        for name, d, kind, slot in self.group_plan:
            team = self.teams[d]
            if kind == GroupKind.SCHOOLS:
                attendees = [*team.eps, team.outreach, team.coordinator]
            elif kind == GroupKind.EARLY_YEARS:
                attendees = [team.home_eps[0], team.coordinator, team.early_years_managers[0]]
            else:
                lead_head = self.lead_heads[self._lead_school(d).name]
                attendees = [*team.heads, lead_head, *team.early_years_managers, team.coordinator]
            groups.append(
                LiftGroup(
                    group=name, district=d, kind=kind, attendees=tuple(attendees), slots=(slot,)
                )
            )
        return groups

    def _meeting_slots(self, groups: Sequence[LiftGroup]) -> list[MeetingSlot]:
        """Slot A (the school groups, mornings) and slot B (early years and the Executive,
        afternoons) per district, on weekdays with enough meeting days and no attendee clash."""
        demand = Counter(g.slots[0] for g in groups)
        people_slots: dict[str, set[str]] = defaultdict(set)
        for g in groups:
            for person in g.attendees:
                people_slots[person].add(g.slots[0])
        clashes: dict[str, set[str]] = defaultdict(set)
        for slot_ids in people_slots.values():
            for s in slot_ids:
                clashes[s] |= slot_ids - {s}
        fewest = {p.district: self._fewest_days(p.district) for p in self.places}
        domains = {
            slot: [w for w in range(5) if fewest[slot[:-2]][w] >= count]
            for slot, count in demand.items()
        }
        weekdays = _colour(self.rng, domains, clashes)
        slots = []
        for place in self.places:
            venue = self._lead_school(place.district).name
            morning = self.rng.choice(((time(9, 30), time(12, 0)), (time(9, 0), time(11, 30))))
            for suffix, (start, end) in (("A", morning), ("B", (time(13, 30), time(15, 30)))):
                slot = f"{place.district}-{suffix}"
                slots.append(
                    MeetingSlot(
                        slot=slot,
                        district=place.district,
                        weekday=WEEKDAYS[weekdays[slot]],
                        start=start,
                        end=end,
                        venue=venue,
                        case_capacity=self.rng.randint(6, 10),
                    )
                )
        return slots

    def _fewest_days(self, district: str) -> list[int]:
        """For each weekday, the fewest meeting days it has in any half-term."""
        per = Counter(
            (half_term_of(self.terms, d), d.weekday())
            for d in meeting_days(self.terms, self.closures, district)
        )
        return [min(per[(t.term, w)] for t in self.terms) for w in range(5)]

    # -- leave ------------------------------------------------------------------------------------

    def _unavailability(self, slots: Sequence[MeetingSlot]) -> list[Unavailability]:
        """A week's leave or a day or two of training for about half the district teams, a week's
        leave in a pool, and a training day for two EPs on a meeting weekday of term 2 (8 weeks)."""
        rng, rows = self.rng, []
        for place in self.places:
            if rng.random() < 0.5:
                person = rng.choice(self.teams[place.district].teachers)
                days = meeting_days(self.terms, self.closures, place.district)
                rows.append(_leave(rng, person, rng.choice(days)))
        pool = [p.person_id for p in self.people if p.team in POOL_FTE and p.minutes_per_week]
        days = meeting_days(self.terms, [c for c in self.closures if c.district is None], "")
        rows.append(_leave(rng, rng.choice(pool), rng.choice(days), week=True))
        weekday = {s.slot: s.weekday_index for s in slots}
        eps = sorted({ep for team in self.teams.values() for ep in team.home_eps})
        term2 = next(t for t in self.terms if t.term == 2)
        for ep in rng.sample(eps, min(2, len(eps))):
            district = next(d for d, t in self.teams.items() if ep in t.home_eps)
            on = weekday[f"{district}-A"]
            day = rng.choice([d for d in term2.weekdays() if d.weekday() == on])
            rows.append(
                Unavailability(person_id=ep, first_day=day, last_day=day, reason="training")
            )
        return rows


def _colour(
    rng: random.Random, domains: dict[str, list[int]], clashes: dict[str, set[str]]
) -> dict[str, int]:
    """A weekday for every slot from its domain, no two clashing slots alike (backtracking per
    connected group of clashing slots, which stays small: districts share people in pairs)."""
    chosen: dict[str, int] = {}

    def place(order: list[str], at: int) -> bool:
        if at == len(order):
            return True
        slot = order[at]
        options = list(domains[slot])
        rng.shuffle(options)
        for weekday in options:
            if all(chosen.get(other) != weekday for other in clashes[slot]):
                chosen[slot] = weekday
                if place(order, at + 1):
                    return True
                del chosen[slot]
        return False

    seen: set[str] = set()
    for start in sorted(domains):
        if start in seen:
            continue
        component, stack = [], [start]
        seen.add(start)
        while stack:
            slot = stack.pop()
            component.append(slot)
            for other in sorted(clashes[slot] - seen):
                seen.add(other)
                stack.append(other)
        component.sort(key=lambda s: (len(domains[s]), s))
        if not place(component, 0):
            raise ValueError(f"no weekdays fit meeting slots {', '.join(sorted(component))}")
    return chosen


def _leave(rng: random.Random, person: str, day: date, week: bool = False) -> Unavailability:
    """A week's leave from the Monday of `day`, or a day or two of training from `day`."""
    if week or rng.random() < 0.6:
        monday = day - timedelta(days=day.weekday())
        return Unavailability(
            person_id=person, first_day=monday, last_day=monday + timedelta(days=4), reason="leave"
        )
    last = day + timedelta(days=1) if day.weekday() < 4 and rng.random() < 0.5 else day
    return Unavailability(person_id=person, first_day=day, last_day=last, reason="training")
