"""What a synthetic county builder holds while it builds, shared by its parts (schools, people,
meetings, agreements)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from allocator.model import (
    Closure,
    DistrictIndicators,
    GroupKind,
    Person,
    School,
    SpecialRole,
    StaffingSettings,
    Term,
)
from allocator.synthetic.constants import KENT_POPULATION
from allocator.synthetic.kent_facts import KENT_INSET_2025_26, KENT_TERMS_2025_26
from allocator.synthetic.places import _Namer, _Place, _Special


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


class _CountyState:
    """The inputs, the one random generator and the parts built so far."""

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

    def _lead_school(self, district: str) -> School:
        lead = next(
            s for s in self.specials if s.district == district and s.role == SpecialRole.LEAD
        )
        return self.special_rows[lead.school]
