"""Seeded synthetic counties, and the embedded Kent scenario.

`kent_scenario()` joins the real facts of `allocator.synthetic.kent_facts` (districts, Census 2021
populations, main towns, Appendix 1's special schools, the 2025-26 terms and INSET days) to
synthetic schools, LIFT groups, meeting slots, people, leave, agreements and staffing indicators.
`generate_county()` makes the districts and special schools synthetic too and runs the same
machinery, so scale 1 is Kent-sized.
Both are deterministic for a seed (one `random.Random(seed)`, never the global generator) and check
that every meeting slot has enough meeting days in every half-term for the groups that use it.

    python -m allocator.synthetic.generate kent [OUT]                       # rewrite scenarios/kent/
    python -m allocator.synthetic.generate county --scale N --seed S OUT
"""

from __future__ import annotations

import argparse
import math
import random
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path
from typing import TypeVar

from allocator.model import (
    WEEKDAYS,
    Agreement,
    Closure,
    District,
    DistrictIndicators,
    GroupKind,
    HighIncidenceFormula,
    LiftGroup,
    MeetingSlot,
    NeedType,
    Person,
    Phase,
    Role,
    Scenario,
    ScenarioSettings,
    School,
    SenStage,
    SpecialRole,
    SpecialSchool,
    StaffingSettings,
    Term,
    Unavailability,
    meeting_days,
)
from allocator.model.calendar import half_term_of
from allocator.synthetic.kent_facts import (
    KENT_ACADEMIC_YEAR,
    KENT_DISTRICTS,
    KENT_INSET_2025_26,
    KENT_SPECIAL_SCHOOLS,
    KENT_TERMS_2025_26,
    SPECIAL_SCHOOL_HOME,
)

KENT_POPULATION = sum(d.population for d in KENT_DISTRICTS)
MINUTES_PER_FTE_WEEK = 1110

# Counts of settings per resident, calibrated on Kent (1,576,100 residents): about 460 primary and
# 100 secondary schools, a few pupil referral units and some early-years settings.
SETTINGS_PER_KENT = {Phase.PRIMARY: 460, Phase.SECONDARY: 100, Phase.PRU: 6, Phase.EARLY_YEARS: 60}
# Pupils on roll by phase: (low, high, mode) of a triangular draw.
PUPILS = {
    Phase.PRIMARY: (60, 630, 120),
    Phase.SECONDARY: (450, 1900, 1000),
    Phase.SPECIAL: (60, 320, 150),
    Phase.PRU: (20, 110, 45),
    Phase.EARLY_YEARS: (16, 70, 30),
}
SCHOOL_SPREAD_KM = 5.0
"""Standard deviation of a school's distance from its district's main town, each way."""

# The staffing formula of DESIGN.md's staffing.toml; pools and the total scale with population.
HIGH_INCIDENCE_FTE = 46.2
POOL_FTE = {NeedType.HI: 5.9, NeedType.VI: 4.1, NeedType.PI: 4.5}
FORMULA_WEIGHTS = {"pupils": 0.4, "sen_support": 0.4, "fsm_share": 0.2}
HIGH_INCIDENCE = (NeedType.CI, NeedType.BL, NeedType.BESD, NeedType.PSCN, NeedType.PD)

CASES_PER_SEN_SUPPORT_PUPIL = 0.049
"""Agreements a year per SEN-support pupil: about 1,500 for Kent."""

# Need type of an agreement by phase of the referring setting (about 10% HI/VI/PI overall).
NEED_MIX: dict[Phase, dict[NeedType, float]] = {
    Phase.PRIMARY: {
        NeedType.CI: 0.30, NeedType.BL: 0.20, NeedType.BESD: 0.14, NeedType.PSCN: 0.18,
        NeedType.PD: 0.085, NeedType.HI: 0.04, NeedType.VI: 0.025, NeedType.PI: 0.03,
    },
    Phase.SECONDARY: {
        NeedType.CI: 0.25, NeedType.BL: 0.22, NeedType.BESD: 0.25, NeedType.PSCN: 0.10,
        NeedType.PD: 0.085, NeedType.HI: 0.04, NeedType.VI: 0.025, NeedType.PI: 0.03,
    },
    Phase.PRU: {NeedType.BL: 0.40, NeedType.BESD: 0.45, NeedType.CI: 0.10, NeedType.PD: 0.05},
    Phase.EARLY_YEARS: {
        NeedType.CI: 0.35, NeedType.PSCN: 0.26, NeedType.PD: 0.17, NeedType.BL: 0.05,
        NeedType.HI: 0.07, NeedType.VI: 0.05, NeedType.PI: 0.05,
    },
}  # fmt: skip
REFERRALS_PER_PUPIL = {Phase.PRIMARY: 1.0, Phase.SECONDARY: 0.8, Phase.PRU: 4.0}
EARLY_YEARS_SHARE = 0.06
SCHOOL_STAGES = {
    SenStage.SEN_SUPPORT: 0.40, SenStage.EYA_PLUS_SA_PLUS: 0.20, SenStage.EYA_SA: 0.12,
    SenStage.EHCP: 0.20, SenStage.SSEN: 0.08,
}  # fmt: skip
EARLY_YEARS_STAGES = {
    SenStage.EYA_SA: 0.30, SenStage.EYA_PLUS_SA_PLUS: 0.35, SenStage.SEN_SUPPORT: 0.20,
    SenStage.EHCP: 0.15,
}  # fmt: skip
# Weekly minutes (multiples of 15) and their weights; sensory support runs a little longer.
MINUTES = (30, 45, 60, 75, 90, 105, 120, 150, 180)
MINUTE_WEIGHTS = (10, 16, 20, 12, 16, 6, 10, 5, 5)
POOL_MINUTE_WEIGHTS = (0, 4, 14, 12, 18, 8, 14, 6, 4)
PRIORITIES = {1: 0.12, 2: 0.40, 3: 0.48}
CONSENT = {"yes": 0.94, "no": 0.02, "exception": 0.04}
CONSENT_EXCEPTIONS = (
    "parent could not be reached before the meeting; consent to follow",
    "urgent concern raised by the school; parent informed",
)
EARLY_YEARS_EXCEPTION = "very young child at diagnosis; views to be recorded by the key worker"
LOOKED_AFTER_EXCEPTION = "child looked after; social worker consulted"

_STEMS_FIRST = (
    "Oak", "Ash", "Beech", "Elm", "Holly", "Hazel", "Willow", "Birch", "Brook", "Hill", "Mill",
    "Chalk", "Down", "Marsh", "Fern", "Heath", "Thorn", "Bramble", "Lark", "Wren", "Kings",
    "Church", "Priory", "Abbey", "Castle", "Bridge", "Well", "Stone", "Green", "Cherry", "Apple",
)  # fmt: skip
_STEMS_LAST = (
    "field", "wood", "lands", "croft", "hurst", "den", "mead", "gate", "side", "ford", "bury",
    "stead", "dale", "combe", "hill", "brook",
)  # fmt: skip
_SAINTS = (
    "Mary", "Peter", "Paul", "John", "Michael", "Andrew", "George", "Margaret", "Nicholas",
    "Stephen", "James", "Mark", "Luke", "Augustine", "Edmund", "Thomas", "Katharine", "Anne",
)  # fmt: skip
_COMPASS = (
    "North", "North East", "East", "South East", "South", "South West", "West", "North West",
)  # fmt: skip


@dataclass(frozen=True)
class _Place:
    """A district to build: name, population and main-town coordinates."""

    district: str
    population: int
    lat: float
    lon: float


@dataclass(frozen=True)
class _Special:
    """A lead or link special school row, and the district the school itself stands in."""

    school: str
    district: str
    role: SpecialRole
    need_types: tuple[NeedType, ...]
    note: str
    home: str


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
    return _CountyBuilder(random.Random(seed), "Kent", "K", places, specials).build()


def generate_county(scale: float = 1.0, seed: int = 0, *, name: str | None = None) -> Scenario:
    """A plausible synthetic county of max(1, round(12 * scale)) districts (scale 1: Kent-sized)."""
    if not (scale > 0 and math.isfinite(scale)):
        raise ValueError(f"scale must be a positive number, got {scale}")
    rng = random.Random(seed)
    places = _synthetic_places(rng, max(1, round(12 * scale)))
    namer = _Namer(rng)
    specials = _synthetic_specials(rng, namer, places)
    title = name or f"Synthetic county (scale {scale:g}, seed {seed})"
    return _CountyBuilder(rng, title, "C", places, specials, namer).build()


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


# ---------------------------------------------------------------------------------------------
# Synthetic districts and special schools (generate_county only)
# ---------------------------------------------------------------------------------------------


def _synthetic_places(rng: random.Random, count: int) -> list[_Place]:
    """Districts "District 01", ... on a sunflower spiral about 20 km apart around mid-Kent."""
    width = max(2, len(str(count)))
    golden = math.pi * (3 - math.sqrt(5))
    centre_lat, centre_lon = 51.25, 0.75
    places = []
    for i in range(count):
        radius_km = 11.3 * math.sqrt(i + 0.5) * rng.uniform(0.9, 1.1)
        angle = i * golden + rng.uniform(-0.2, 0.2)
        lat = centre_lat + radius_km * math.sin(angle) / 111.0
        lon = centre_lon + radius_km * math.cos(angle) / (111.0 * math.cos(math.radians(lat)))
        population = rng.randint(950, 1800) * 100
        name = f"District {i + 1:0{width}d}"
        places.append(_Place(name, population, round(lat, 4), round(lon, 4)))
    return places


def _synthetic_specials(
    rng: random.Random, namer: _Namer, places: Sequence[_Place]
) -> list[_Special]:
    """A lead special school in each district and 0-2 link schools (about two in all each)."""
    needs = {
        NeedType.PSCN: 0.4,
        NeedType.BL: 0.15,
        NeedType.CI: 0.15,
        NeedType.BESD: 0.15,
        NeedType.PD: 0.15,
    }
    specials = []
    for place in places:
        for k in range(1 + rng.choice((0, 1, 1, 2))):
            role = SpecialRole.LEAD if k == 0 else SpecialRole.LINK
            school = namer.unique(lambda: f"{namer.stem()} School", place.district)
            need = _pick(rng, needs)
            specials.append(_Special(school, place.district, role, (need,), "", place.district))
    return specials


# ---------------------------------------------------------------------------------------------
# The shared machinery
# ---------------------------------------------------------------------------------------------

T = TypeVar("T")


def _pick(rng: random.Random, weights: Mapping[T, float]) -> T:
    """One key of `weights`, drawn with those weights."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """`total` split in proportion to `weights` by largest remainder."""
    quotas = [total * w / sum(weights) for w in weights]
    counts = [math.floor(q) for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - quotas[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _near(rng: random.Random, lat: float, lon: float, spread_km: float) -> tuple[float, float]:
    """A point scattered around (lat, lon) with `spread_km` standard deviation each way."""
    dlat = rng.gauss(0, spread_km) / 111.0
    dlon = rng.gauss(0, spread_km) / (111.0 * math.cos(math.radians(lat)))
    return round(lat + dlat, 5), round(lon + dlon, 5)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _split_tenths(rng: random.Random, tenths: int, fewest: int = 1, most: int = 99) -> list[int]:
    """FTE in tenths shared over `fewest` to `most` posts of 0.5 to 1.0 FTE (5 to 10 tenths),
    about 0.8 FTE each; a pool smaller than half a post is one post."""
    if tenths < 5:
        return [tenths]
    size = min(max(round(tenths / 8), -(-tenths // 10), fewest), tenths // 5, most)
    if not 5 * size <= tenths <= 10 * size:
        raise ValueError(f"{tenths / 10} FTE does not make {fewest} to {most} posts")
    posts = [5] * size
    left = tenths - 5 * size
    while left:
        i = rng.choice([i for i, p in enumerate(posts) if p < 10])
        step = min(left, 10 - posts[i], rng.randint(1, 3))
        posts[i] += step
        left -= step
    return posts


class _Namer:
    """Plausible school and setting names, unique within the county."""

    LITTLE = ("Acorns", "Owls", "Stars", "Explorers", "Footprints", "Sunflowers", "Rainbows",
              "Ladybirds", "Robins", "Pebbles", "Seedlings", "Busy Bees")  # fmt: skip

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = {s.school for s in KENT_SPECIAL_SCHOOLS}

    def stem(self) -> str:
        """A place-like stem such as Oakfield or Brookhurst."""
        while True:
            first, last = self.rng.choice(_STEMS_FIRST), self.rng.choice(_STEMS_LAST)
            if last not in first.lower():
                return first + last

    def saint(self) -> str:
        """St Mary's, St Peter's, ..."""
        return f"St {self.rng.choice(_SAINTS)}'s"

    def unique(self, make: Callable[[], str], qualifier: str) -> str:
        """A fresh name from `make`, or one qualified by district (and number) after many tries."""
        for _ in range(25):
            name = make()
            if name not in self.used:
                break
        else:
            name = f"{name}, {qualifier}"
            base, k = name, 2
            while name in self.used:
                name, k = f"{base} {k}", k + 1
        self.used.add(name)
        return name

    def school(self, phase: Phase, qualifier: str) -> str:
        """A name for a school or setting of `phase`."""
        makers: dict[Phase, dict[Callable[[], str], float]] = {
            Phase.PRIMARY: {
                lambda: f"{self.stem()} Primary School": 0.45,
                lambda: f"{self.stem()} Primary Academy": 0.12,
                lambda: f"{self.stem()} Infant School": 0.08,
                lambda: f"{self.stem()} Junior School": 0.07,
                lambda: f"{self.stem()} CE Primary School": 0.08,
                lambda: f"{self.saint()} CE Primary School": 0.12,
                lambda: f"{self.saint()} Catholic Primary School": 0.08,
            },
            Phase.SECONDARY: {
                lambda: f"{self.stem()} School": 0.2,
                lambda: f"{self.stem()} Academy": 0.3,
                lambda: f"{self.stem()} Grammar School": 0.2,
                lambda: f"{self.stem()} High School": 0.2,
                lambda: f"{self.saint()} Catholic School": 0.05,
                lambda: f"{self.saint()} CE Academy": 0.05,
            },
            Phase.PRU: {
                lambda: f"{self.stem()} Education Centre": 0.5,
                lambda: f"{self.stem()} Short Stay School": 0.5,
            },
            Phase.EARLY_YEARS: {
                lambda: f"{self.stem()} Pre-school": 0.35,
                lambda: f"{self.stem()} Day Nursery": 0.35,
                lambda: f"Little {self.rng.choice(self.LITTLE)} Nursery": 0.15,
                lambda: f"{self.stem()} Playgroup": 0.15,
            },
        }
        options = makers[phase]
        return self.unique(lambda: _pick(self.rng, options)(), qualifier)


@dataclass
class _Team:
    """The people of one district, by the part they play."""

    coordinator: str = ""
    outreach: str = ""
    eps: list[str] = field(default_factory=list)
    """EPs attending the district's school groups (home EPs first, then one shared in)."""
    home_eps: list[str] = field(default_factory=list)
    teachers: list[str] = field(default_factory=list)
    heads: list[str] = field(default_factory=list)
    early_years_managers: list[str] = field(default_factory=list)


class _CountyBuilder:
    """Builds a county from its places and special schools with one random generator."""

    def __init__(
        self,
        rng: random.Random,
        name: str,
        case_prefix: str,
        places: Sequence[_Place],
        specials: Sequence[_Special],
        namer: _Namer | None = None,
    ) -> None:
        self.rng = rng
        self.name = name
        self.case_prefix = case_prefix
        self.places = list(places)
        self.specials = list(specials)
        self.namer = namer or _Namer(rng)
        self.share = sum(p.population for p in places) / KENT_POPULATION
        self.terms = tuple(Term(term=t, first_day=a, last_day=b) for t, a, b in KENT_TERMS_2025_26)
        self.closures = tuple(Closure(date=d, reason="INSET day") for d in KENT_INSET_2025_26)
        self.schools: list[School] = []
        self.special_rows: dict[str, School] = {}
        self.group_plan: list[tuple[str, str, GroupKind, str]] = []
        self.indicators: list[DistrictIndicators] = []
        self.staffing: StaffingSettings | None = None
        self.people: list[Person] = []
        self.teams: dict[str, _Team] = {}
        self.lead_heads: dict[str, str] = {}
        self._receiving: set[str] = set()

    def build(self) -> Scenario:
        """Every part in a fixed order (so a seed always gives the same county), then the checks."""
        self._schools()
        self._group_schools()
        self._staffing()
        self._people()
        groups = self._lift_groups()
        slots = self._meeting_slots(groups)
        unavailability = self._unavailability(slots)
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
            agreements=tuple(self._agreements(slots)),
            staffing=self.staffing,
            indicators=tuple(self.indicators),
        )
        problems = check_meeting_days(scenario)
        if problems:
            raise ValueError("the generated rota cannot be met: " + "; ".join(problems))
        return scenario

    # -- schools --------------------------------------------------------------------------------

    def _schools(self) -> None:
        """Special schools first, then each district's primary, secondary, PRU and early-years."""
        populations = [p.population for p in self.places]
        minimum = {Phase.PRIMARY: 8, Phase.SECONDARY: 2, Phase.PRU: 0, Phase.EARLY_YEARS: 2}
        counts = {
            phase: [
                max(minimum[phase], n)
                for n in _apportion(round(per_kent * self.share), populations)
            ]
            for phase, per_kent in SETTINGS_PER_KENT.items()
        }
        homes = {s.school: s.home for s in self.specials}
        total = len(homes) + sum(sum(c) for c in counts.values())
        if total > 100_000:
            raise ValueError(f"{total} schools do not fit the synthetic URN range 900000-999999")
        urns = iter(self.rng.sample(range(900_000, 1_000_000), total))
        place_of = {p.district: p for p in self.places}
        for school, home in homes.items():
            row = self._school(next(urns), school, place_of[home], Phase.SPECIAL, spread_km=3.0)
            self.special_rows[school] = row
        for i, place in enumerate(self.places):
            for phase, per_district in counts.items():
                for _ in range(per_district[i]):
                    name = self.namer.school(phase, place.district)
                    self._school(next(urns), name, place, phase, SCHOOL_SPREAD_KM)

    def _school(self, urn: int, name: str, place: _Place, phase: Phase, spread_km: float) -> School:
        low, high, mode = PUPILS[phase]
        lat, lon = _near(self.rng, place.lat, place.lon, spread_km)
        school = School(
            urn=urn,
            name=name,
            district=place.district,
            phase=phase,
            pupils=round(self.rng.triangular(low, high, mode)),
            lat=lat,
            lon=lon,
        )
        self.schools.append(school)
        return school

    def _group_schools(self) -> None:
        """4 or 5 school groups per district by bearing from the main town, then the early-years
        group and the LIFT Executive; schools and settings join their group."""
        group_of: dict[int, str] = {}
        for place in self.places:
            d = place.district
            members = [s for s in self.schools if s.district == d and s.phase in _REFERRING]
            count = min(5, max(4, round(len(members) / 10)))
            for name, chunk in _groups_by_bearing(d, members, place, count):
                self.group_plan.append((name, d, GroupKind.SCHOOLS, f"{d}-A"))
                group_of.update((s.urn, name) for s in chunk)
            early_years = f"{d} Early Years"
            self.group_plan.append((early_years, d, GroupKind.EARLY_YEARS, f"{d}-B"))
            self.group_plan.append((f"{d} LIFT Executive", d, GroupKind.EXECUTIVE, f"{d}-B"))
            for s in self.schools:
                if s.district == d and s.phase == Phase.EARLY_YEARS:
                    group_of[s.urn] = early_years
        self.schools = [
            s.model_copy(update={"lift_group": group_of.get(s.urn)}) for s in self.schools
        ]

    # -- staffing ---------------------------------------------------------------------------------

    def _staffing(self) -> None:
        """The formula settings, indicators per district and a baseline near each formula share."""
        formula = HighIncidenceFormula(
            total_fte=round(HIGH_INCIDENCE_FTE * self.share, 1),
            method="webster",
            granularity=0.1,
            floor_fte=1.9,
            cap_fte=7.2,
            max_change_pct=15.0,
            weights=dict(FORMULA_WEIGHTS),
        )
        pools = {n.value: max(0.5, round(fte * self.share, 1)) for n, fte in POOL_FTE.items()}
        self.staffing = StaffingSettings(high_incidence=formula, pools=pools)
        rows = []
        for place in self.places:
            pupils = sum(
                s.pupils
                for s in self.schools
                if s.district == place.district and s.phase != Phase.EARLY_YEARS
            )
            rows.append(
                {
                    "pupils": float(pupils),
                    "sen_support": float(round(pupils * self.rng.uniform(0.11, 0.15))),
                    "fsm_share": round(self.rng.uniform(0.12, 0.35), 3),
                }
            )
        totals = {k: sum(r[k] for r in rows) for k in FORMULA_WEIGHTS}
        quotas = [
            formula.total_fte * sum(w * r[k] / totals[k] for k, w in FORMULA_WEIGHTS.items())
            for r in rows
        ]
        baselines = self._baselines(quotas, formula)
        for place, row, baseline in zip(self.places, rows, baselines, strict=True):
            on_roll = row["pupils"]
            self.indicators.append(
                DistrictIndicators(
                    district=place.district,
                    indicators=row,
                    baseline_fte=baseline / 10,
                    hi_children=round(on_roll * 1.2e-3 * self.rng.uniform(0.8, 1.2)),
                    vi_children=round(on_roll * 0.6e-3 * self.rng.uniform(0.8, 1.2)),
                    pi_children=round(on_roll * 1.0e-3 * self.rng.uniform(0.8, 1.2)),
                )
            )

    def _baselines(self, quotas: list[float], formula: HighIncidenceFormula) -> list[int]:
        """Last year's FTE in tenths: each quota within about +-7%, summing to the total, within the
        floor and cap and within what a team of 4 to 7 half- to full-time posts can hold."""
        cap = formula.cap_fte if formula.cap_fte is not None else 7.0
        low, high = round(max(formula.floor_fte, 2.0) * 10), round(min(cap, 7.0) * 10)
        tenths = [min(high, max(low, round(q * 10 * self.rng.uniform(0.93, 1.07)))) for q in quotas]
        target = round(formula.total_fte * 10)
        while sum(tenths) != target:
            up = sum(tenths) < target
            movable = [i for i, t in enumerate(tenths) if (t < high if up else t > low)]
            if not movable:
                raise ValueError(f"no baseline fits a total of {formula.total_fte} FTE")
            gap = {i: quotas[i] * 10 - tenths[i] for i in movable}
            i = max(movable, key=lambda j: gap[j] if up else -gap[j])
            tenths[i] += 1 if up else -1
        return tenths

    # -- people -----------------------------------------------------------------------------------

    def _people(self) -> None:
        """Coordinators, outreach managers, EPs (some serving two districts), specialist teachers,
        executive members, and the county pools with their coordinators."""
        shared_into = self._shared_eps()
        baseline = {i.district: round(i.baseline_fte * 10) for i in self.indicators}
        for place in self.places:
            self.teams[place.district] = self._district_people(place, baseline[place.district])
        for receiving, home in shared_into.items():
            self.teams[receiving].eps.append(self.teams[home].home_eps[-1])
        self._lead_heads()
        self._pools()

    def _shared_eps(self) -> dict[str, str]:
        """Neighbouring districts paired off; in most pairs one district's EP serves both."""
        pairs = []
        free = {p.district for p in self.places}
        distances = sorted(
            (_km(a.lat, a.lon, b.lat, b.lon), a.district, b.district)
            for i, a in enumerate(self.places)
            for b in self.places[i + 1 :]
        )
        for _, a, b in distances:
            if a in free and b in free:
                pairs.append((a, b))
                free -= {a, b}
        shared_into = {}
        for a, b in pairs:
            if self.rng.random() < 0.8:
                home, receiving = (a, b) if self.rng.random() < 0.5 else (b, a)
                shared_into[receiving] = home
        self._receiving = set(shared_into)
        return shared_into

    def _person(
        self,
        person_id: str,
        name: str,
        role: Role,
        team: str,
        at: School | _Place,
        specialisms: tuple[NeedType, ...] = (),
        minutes: int = 0,
    ) -> str:
        lat, lon = (at.lat, at.lon)
        self.people.append(
            Person(
                person_id=person_id,
                name=name,
                role=role,
                team=team,
                specialisms=specialisms,
                minutes_per_week=minutes,
                base_lat=lat,
                base_lon=lon,
            )
        )
        return person_id

    def _district_people(self, place: _Place, baseline_tenths: int) -> _Team:
        d, slug, rng = place.district, _slug(place.district), self.rng
        lead = self._lead_school(d)
        bases = [lead] + [
            self.special_rows[s.school]
            for s in self.specials
            if s.district == d and s.role == SpecialRole.LINK
        ]
        team = _Team()
        team.coordinator = self._person(
            f"{slug}-coordinator", f"District coordinator, {d}", Role.DISTRICT_COORDINATOR, d, lead
        )
        team.outreach = self._person(
            f"{slug}-outreach",
            f"Outreach manager, {lead.name} ({d})",
            Role.OUTREACH_MANAGER,
            d,
            lead,
        )
        count = 2 if d not in self._receiving and rng.random() < 0.5 else 1
        for k in range(1, count + 1):
            ep = self._person(
                f"{slug}-ep{k}",
                f"Educational psychologist {k}, {d}",
                Role.EDUCATIONAL_PSYCHOLOGIST,
                d,
                place,
            )
            team.home_eps.append(ep)
        team.eps = list(team.home_eps)
        posts = _split_tenths(rng, baseline_tenths, fewest=4, most=7)
        for k, (tenths, needs) in enumerate(zip(posts, _specialisms(rng, posts), strict=True)):
            team.teachers.append(
                self._person(
                    f"{slug}-st{k + 1}",
                    f"Specialist teacher {k + 1}, {d}",
                    Role.SPECIALIST_TEACHER,
                    d,
                    bases[k % len(bases)],
                    needs,
                    round(tenths * MINUTES_PER_FTE_WEEK / 10),
                )
            )
        mainstream = [s for s in self.schools if s.district == d and s.phase in _REFERRING]
        secondary = [s for s in mainstream if s.phase == Phase.SECONDARY][:1]
        others = [s for s in mainstream if s not in secondary]
        heads = secondary + rng.sample(others, rng.choice((4, 5)) - len(secondary))
        for k, school in enumerate(heads, start=1):
            team.heads.append(
                self._person(
                    f"{slug}-head{k}", f"Headteacher, {school.name}", Role.HEADTEACHER, d, school
                )
            )
        settings = [s for s in self.schools if s.district == d and s.phase == Phase.EARLY_YEARS]
        for k, setting in enumerate(rng.sample(settings, 2), start=1):
            team.early_years_managers.append(
                self._person(
                    f"{slug}-eym{k}",
                    f"Early years manager, {setting.name}",
                    Role.EARLY_YEARS_MANAGER,
                    d,
                    setting,
                )
            )
        return team

    def _lead_school(self, district: str) -> School:
        lead = next(
            s for s in self.specials if s.district == district and s.role == SpecialRole.LEAD
        )
        return self.special_rows[lead.school]

    def _lead_heads(self) -> None:
        """One headteacher per lead special school, on the Executive of every district it leads."""
        for place in self.places:
            school = self._lead_school(place.district)
            if school.name not in self.lead_heads:
                self.lead_heads[school.name] = self._person(
                    f"{_slug(school.name)}-head",
                    f"Headteacher, {school.name}",
                    Role.HEADTEACHER,
                    place.district,
                    school,
                )

    def _pools(self) -> None:
        """HI, VI and PI pools: a county coordinator each and teachers based across the county."""
        assert self.staffing is not None
        west_to_east = sorted(self.places, key=lambda p: p.lon)
        for need in POOL_FTE:
            slug = need.value.lower()
            centre = west_to_east[len(west_to_east) // 2]
            self._person(
                f"{slug}-coordinator",
                f"County coordinator, {need.value}",
                Role.COUNTY_COORDINATOR,
                need.value,
                self._lead_school(centre.district),
                (need,),
            )
            posts = _split_tenths(self.rng, round(self.staffing.pools[need.value] * 10))
            for k, tenths in enumerate(posts):
                place = west_to_east[(2 * k + 1) * len(west_to_east) // (2 * len(posts))]
                self._person(
                    f"{slug}-{k + 1}",
                    f"{need.value} specialist teacher {k + 1}",
                    Role.SPECIALIST_TEACHER,
                    need.value,
                    self._lead_school(place.district),
                    (need,),
                    round(tenths * MINUTES_PER_FTE_WEEK / 10),
                )

    # -- groups and slots -------------------------------------------------------------------------

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

    # -- agreements -------------------------------------------------------------------------------

    def _agreements(self, slots: Sequence[MeetingSlot]) -> list[Agreement]:
        """About 0.049 agreements a year per SEN-support pupil, agreed on the district's meeting
        weekdays (slot A for schools, slot B for early years), numbered in date order."""
        weekday = {s.slot: s.weekday_index for s in slots}
        sen_support = {i.district: i.indicators["sen_support"] for i in self.indicators}
        drafts: list[tuple[date, int, dict[str, object]]] = []
        for place in self.places:
            d, rng = place.district, self.rng
            days = meeting_days(self.terms, self.closures, d)
            school_days = [x for x in days if x.weekday() == weekday[f"{d}-A"]]
            setting_days = [x for x in days if x.weekday() == weekday[f"{d}-B"]]
            referrers = [s for s in self.schools if s.district == d and s.phase in _REFERRING]
            weights = [s.pupils * REFERRALS_PER_PUPIL[s.phase] for s in referrers]
            settings = [s for s in self.schools if s.district == d and s.phase == Phase.EARLY_YEARS]
            count = round(CASES_PER_SEN_SUPPORT_PUPIL * sen_support[d] * rng.uniform(0.9, 1.1))
            for _ in range(count):
                if rng.random() < EARLY_YEARS_SHARE:
                    school, day = rng.choice(settings), rng.choice(setting_days)
                else:
                    school, day = rng.choices(referrers, weights)[0], rng.choice(school_days)
                drafts.append((day, len(drafts), self._case(school)))
        drafts.sort(key=lambda draft: (draft[0], draft[1]))
        return [
            Agreement.model_validate(
                {"case_id": f"{self.case_prefix}-{k:06d}", "agreed_on": day, **fields}
            )
            for k, (day, _, fields) in enumerate(drafts, start=1)
        ]

    def _case(self, school: School) -> dict[str, object]:
        """The access form's facts for one case referred by `school` (pseudonymous: no child)."""
        rng = self.rng
        early_years = school.phase == Phase.EARLY_YEARS
        need = _pick(rng, NEED_MIX[school.phase])
        stage = _pick(rng, EARLY_YEARS_STAGES if early_years else SCHOOL_STAGES)
        lac = rng.random() < (0.02 if early_years else 0.05)
        consent = _pick(rng, CONSENT)
        if consent == "exception":
            reasons = list(CONSENT_EXCEPTIONS)
            reasons += [EARLY_YEARS_EXCEPTION] if early_years else []
            reasons += [LOOKED_AFTER_EXCEPTION] if lac else []
            consent = f"exception: {rng.choice(reasons)}"
        pooled = need in POOL_FTE
        minutes = rng.choices(MINUTES, POOL_MINUTE_WEIGHTS if pooled else MINUTE_WEIGHTS)[0]
        priority = _pick(rng, PRIORITIES)
        if lac or stage.statutory:
            priority = min(priority, 2)
        return {
            "school_urn": school.urn,
            "need_type": need,
            "sen_stage": stage,
            "lac": lac,
            "consent": consent,
            "minutes_per_week": minutes,
            "weeks": round(rng.triangular(6, 20, 10)),
            "priority": priority,
        }


_REFERRING = (Phase.PRIMARY, Phase.SECONDARY, Phase.ALL_THROUGH, Phase.PRU)
"""Phases whose schools form the school LIFT groups and refer cases (special schools do neither)."""


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Straight-line distance in km (equirectangular; fine within a county)."""
    x = (lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2)) * 111.0
    y = (lat2 - lat1) * 111.0
    return math.hypot(x, y)


def _groups_by_bearing(
    district: str, schools: Sequence[School], centre: _Place, count: int
) -> list[tuple[str, list[School]]]:
    """Schools cut into `count` near-equal groups by bearing from the main town, named by it."""

    def bearing(s: School) -> float:
        return math.atan2(s.lat - centre.lat, (s.lon - centre.lon) * 0.63) % (2 * math.pi)

    ordered = sorted(schools, key=lambda s: (bearing(s), s.urn))
    sizes = _apportion(len(ordered), [1.0] * count)
    groups, used, at = [], Counter[str](), 0
    for size in sizes:
        chunk = ordered[at : at + size]
        at += size
        x = sum(math.cos(bearing(s)) for s in chunk)
        y = sum(math.sin(bearing(s)) for s in chunk)
        # Bearing 0 is east, counter-clockwise; compass points run clockwise from north.
        compass = _COMPASS[round((90 - math.degrees(math.atan2(y, x))) / 45) % 8]
        used[compass] += 1
        name = f"{district} {compass}" + (f" {used[compass]}" if used[compass] > 1 else "")
        groups.append((name, chunk))
    return groups


def _specialisms(rng: random.Random, posts: Sequence[int]) -> list[tuple[NeedType, ...]]:
    """Two related high-incidence specialisms for each post (now and then a third): first so that
    every need is covered, then so each need's share of the team's time follows its share of
    cases."""
    pairs = (
        (NeedType.CI, NeedType.BL), (NeedType.BL, NeedType.BESD), (NeedType.PSCN, NeedType.PD),
        (NeedType.CI, NeedType.PSCN), (NeedType.CI, NeedType.BESD),
    )  # fmt: skip
    demand = {NeedType.CI: 0.30, NeedType.BL: 0.22, NeedType.BESD: 0.21, NeedType.PSCN: 0.17,
              NeedType.PD: 0.10}  # fmt: skip
    covered = dict.fromkeys(HIGH_INCIDENCE, 0.0)
    chosen: dict[int, set[NeedType]] = {}
    for i in sorted(range(len(posts)), key=lambda i: (-posts[i], i)):
        total = sum(covered.values()) + posts[i]

        def shortfall(pair: tuple[NeedType, NeedType], total: float = total) -> tuple[int, float]:
            uncovered = sum(covered[n] == 0 for n in pair)
            return uncovered, sum(demand[n] * total - covered[n] for n in pair) + rng.random()

        pair = max(pairs, key=shortfall)
        for need in pair:
            covered[need] += posts[i] / 2
        chosen[i] = set(pair)
        if rng.random() < 0.2:
            chosen[i].add(rng.choice(HIGH_INCIDENCE))
    return [tuple(n for n in HIGH_INCIDENCE if n in chosen[i]) for i in range(len(posts))]


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


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """`kent [OUT]` writes the Kent scenario (default scenarios/kent); `county --scale N --seed S
    OUT` writes a synthetic county."""
    from allocator.io import write_scenario
    from allocator.paths import KENT

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
    args = parser.parse_args(argv)
    if args.command == "kent":
        scenario = kent_scenario(args.seed)
    else:
        scenario = generate_county(args.scale, args.seed, name=args.name)
    write_scenario(scenario, args.out)
    print(
        f"Wrote {scenario.settings.name} to {args.out}: {len(scenario.districts)} districts, "
        f"{len(scenario.schools)} schools and settings, {len(scenario.lift_groups)} LIFT groups, "
        f"{len(scenario.people)} people, {len(scenario.agreements)} agreements"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
