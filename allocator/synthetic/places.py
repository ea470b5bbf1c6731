"""Places and names for the synthetic counties: districts, special schools, school names, points
near a town, distances and compass-named groups."""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from allocator.model import NeedType, Phase, School, SpecialRole
from allocator.synthetic.draws import _apportion, _pick
from allocator.synthetic.kent_facts import KENT_SPECIAL_SCHOOLS

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


def _near(rng: random.Random, lat: float, lon: float, spread_km: float) -> tuple[float, float]:
    """A point scattered around (lat, lon) with `spread_km` standard deviation each way."""
    dlat = rng.gauss(0, spread_km) / 111.0
    dlon = rng.gauss(0, spread_km) / (111.0 * math.cos(math.radians(lat)))
    return round(lat + dlat, 5), round(lon + dlon, 5)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


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
