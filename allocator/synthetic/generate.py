"""Seeded synthetic counties, and the embedded Kent scenario.

`kent_scenario()` joins the real facts of `allocator.synthetic.kent_facts` (districts, Census 2021
populations, main towns, Appendix 1's special schools, the 2025-26 terms and INSET days) to
synthetic schools, LIFT groups, meeting slots, people, leave, agreements, requests (every agreement
linked to one; `allocator.synthetic.requests`), written agreements and reviews
(`allocator.synthetic.details`) and staffing indicators.
`generate_county()` makes the districts and special schools synthetic too and runs the same
machinery, so scale 1 is Kent-sized.
Both are deterministic for a seed (one `random.Random(seed)`, never the global generator) and check
that every meeting slot has enough meeting days in every half-term for the groups that use it.

    python -m allocator.synthetic.generate kent [OUT]                       # rewrite scenarios/kent/
    python -m allocator.synthetic.generate county --scale N --seed S [--requests] [--details]
                                                  [--demand X] OUT

The calibration is in `constants`, places and names in `places`, random helpers in `draws`, and the
builder's parts in `schools`, `people`, `meetings` and `cases`, over the shared state in `state`.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from allocator.io import write_scenario
from allocator.model import (
    District,
    LiftGroup,
    Scenario,
    ScenarioSettings,
    SpecialSchool,
)
from allocator.model.calendar import half_term_of
from allocator.paths import KENT
from allocator.synthetic.cases import _AgreementsPart
from allocator.synthetic.details import _DetailsPart
from allocator.synthetic.kent_facts import (
    KENT_ACADEMIC_YEAR,
    KENT_DISTRICTS,
    KENT_SPECIAL_SCHOOLS,
    SPECIAL_SCHOOL_HOME,
)
from allocator.synthetic.meetings import _MeetingsPart
from allocator.synthetic.people import _PeoplePart
from allocator.synthetic.places import (
    _Namer,
    _Place,
    _Special,
    _synthetic_places,
    _synthetic_specials,
)
from allocator.synthetic.requests import _RequestsPart
from allocator.synthetic.schools import _SchoolsPart

DEMAND_RANGE = (0.1, 5.0)
"""The demand a generated county may ask for: agreements' minutes over the teams' minutes."""


def kent_scenario(seed: int = 2025) -> Scenario:
    """The embedded Kent scenario: real districts, towns, special schools and terms, the rest
    synthetic."""
    places = [_Place(d.district, d.population, d.lat, d.lon) for d in KENT_DISTRICTS]
    specials = [
        _Special(
            s.school,
            s.district,
            s.role,
            s.need_types,
            s.note,
            SPECIAL_SCHOOL_HOME.get(s.school, s.district),
        )
        for s in KENT_SPECIAL_SCHOOLS
    ]
    return _CountyBuilder(random.Random(seed), "Kent", "K", places, specials).build(
        requests=True, details=True
    )


def generate_county(
    scale: float = 1.0,
    seed: int = 0,
    *,
    name: str | None = None,
    requests: bool = False,
    details: bool = False,
    demand: float | None = None,
) -> Scenario:
    """A plausible synthetic county of max(1, round(12 * scale)) districts (scale 1: Kent-sized);
    with `requests`, a year of requests too, and with `details` written agreements and reviews (both
    drawn last, so the rest of the county is the same). With `demand` (DEMAND_RANGE), the agreements
    of a year ask for that multiple of the teams' minutes (1.6: a tight county); by default, about
    0.049 a year per SEN-support pupil, as in Kent."""
    if not (scale > 0 and math.isfinite(scale)):
        raise ValueError(f"scale must be a positive number, got {scale}")
    low, high = DEMAND_RANGE
    if demand is not None and not low <= demand <= high:
        raise ValueError(f"demand must be from {low:g} to {high:g}, got {demand}")
    rng = random.Random(seed)
    places = _synthetic_places(rng, max(1, round(12 * scale)))
    namer = _Namer(rng)
    specials = _synthetic_specials(rng, namer, places)
    title = name or f"Synthetic county (scale {scale:g}, seed {seed})"
    return _CountyBuilder(rng, title, "C", places, specials, namer).build(
        requests=requests, details=details, demand=demand
    )


def check_meeting_days(scenario: Scenario) -> list[str]:
    """What would make the rota impossible by counting alone, in words (empty when nothing does).

    A slot needs, in every half-term, room on its weekday (term days that are neither bank holidays,
    closures, nor days an attendee of its groups is away; `meetings_per_week` meetings a day) for
    the meetings of the groups that may use no other slot; and nobody attends groups of two
    different slots on the same weekday.
    """
    problems: list[str] = []
    away = defaultdict(set)
    for row in scenario.unavailability:
        day = row.first_day
        while day <= row.last_day:
            away[row.person_id].add(day)
            day += timedelta(days=1)
    tied: dict[str, list[LiftGroup]] = defaultdict(list)
    for group in scenario.lift_groups:
        slots = scenario.slots_for(group)
        if len(slots) == 1:
            tied[slots[0].slot].append(group)
    for slot in scenario.meeting_slots:
        groups = tied[slot.slot]
        meetings = sum(g.meetings_per_half_term for g in groups)
        if not groups:
            continue
        attendees = sorted({a for g in groups for a in g.attendees})
        days = [
            d
            for d in scenario.meeting_days(slot.district)
            if d.weekday() == slot.weekday_index and not any(d in away[a] for a in attendees)
        ]
        per_term = Counter(half_term_of(scenario.terms, d) for d in days)
        for term in sorted(t.term for t in scenario.terms):
            if per_term[term] * slot.meetings_per_week < meetings:
                problems.append(
                    f"slot {slot.slot} ({slot.weekday}) has {per_term[term]} meeting days in "
                    f"half-term {term} for {meetings} meetings of {len(groups)} groups"
                )
    slots_of: dict[str, set[str]] = defaultdict(set)
    for group in scenario.lift_groups:
        for slot in scenario.slots_for(group):
            for person in group.attendees:
                slots_of[person].add(slot.slot)
    for person, slot_ids in sorted(slots_of.items()):
        weekdays = Counter(scenario.slot_by_id[s].weekday for s in slot_ids)
        for weekday, count in sorted(weekdays.items()):
            if count > 1:
                problems.append(f"{person} attends {count} different slots on {weekday}s")
    return problems


class _CountyBuilder(
    _SchoolsPart, _PeoplePart, _MeetingsPart, _AgreementsPart, _RequestsPart, _DetailsPart
):
    """Builds a county from its places and special schools with one random generator."""

    def build(
        self, *, requests: bool = False, details: bool = False, demand: float | None = None
    ) -> Scenario:
        """Every part in a fixed order (so a seed always gives the same county), requests, then
        written agreements and reviews last, then the checks."""
        self._schools()
        self._group_schools()
        self._staffing()
        self._people()
        groups = self._lift_groups()
        slots = self._meeting_slots(groups)
        unavailability = self._unavailability(slots)
        agreements = self._agreements(slots, demand)
        asked = self._requests(agreements, slots) if requests else ([], agreements)
        year_end = max(t.last_day for t in self.terms)
        written = self._details(asked[1], year_end) if details else ([], [])
        scenario = Scenario(
            settings=ScenarioSettings(name=self.name, academic_year=KENT_ACADEMIC_YEAR),
            terms=self.terms,
            closures=self.closures,
            districts=tuple(
                District(district=p.district, population=p.population, lat=p.lat, lon=p.lon)
                for p in self.places
            ),
            special_schools=tuple(
                SpecialSchool(
                    school=s.school,
                    district=s.district,
                    role=s.role,
                    need_types=s.need_types,
                    note=s.note,
                )
                for s in self.specials
            ),
            schools=tuple(self.schools),
            lift_groups=tuple(groups),
            meeting_slots=tuple(slots),
            people=tuple(self.people),
            unavailability=tuple(unavailability),
            requests=tuple(asked[0]),
            agreements=tuple(asked[1]),
            details=tuple(written[0]),
            reviews=tuple(written[1]),
            staffing=self.staffing,
            indicators=tuple(self.indicators),
        )
        problems = check_meeting_days(scenario)
        if problems:
            raise ValueError("the generated rota cannot be met: " + "; ".join(problems))
        return scenario


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """`kent [OUT]` writes the Kent scenario (default scenarios/kent); `county --scale N --seed S
    OUT` writes a synthetic county."""
    parser = argparse.ArgumentParser(
        prog="python -m allocator.synthetic.generate", description=main.__doc__
    )
    commands = parser.add_subparsers(dest="command", required=True)
    kent = commands.add_parser("kent", help="write the embedded Kent scenario")
    kent.add_argument("out", nargs="?", type=Path, default=KENT)
    kent.add_argument("--seed", type=int, default=2025)
    county = commands.add_parser("county", help="write a synthetic county")
    county.add_argument("out", type=Path)
    county.add_argument("--scale", type=float, default=1.0)
    county.add_argument("--seed", type=int, default=0)
    county.add_argument("--name")
    county.add_argument("--requests", action="store_true", help="a year of requests too")
    county.add_argument("--details", action="store_true", help="written agreements and reviews too")
    county.add_argument(
        "--demand", type=float, help="agreements' minutes a year over the teams' (e.g. 1.6)"
    )
    args = parser.parse_args(argv)
    if args.command == "kent":
        scenario = kent_scenario(args.seed)
    else:
        scenario = generate_county(
            args.scale,
            args.seed,
            name=args.name,
            requests=args.requests,
            details=args.details,
            demand=args.demand,
        )
    write_scenario(scenario, args.out)
    print(
        f"Wrote {scenario.settings.name} to {args.out}: {len(scenario.districts)} districts, "
        f"{len(scenario.schools)} schools and settings, {len(scenario.lift_groups)} LIFT groups, "
        f"{len(scenario.people)} people, {len(scenario.agreements)} agreements, "
        f"{len(scenario.requests)} requests, {len(scenario.details)} written agreements, "
        f"{len(scenario.reviews)} review rows"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
