"""The people of a synthetic county: district teams, lead special school heads and the county
pools, with the specialisms of the specialist teachers."""

from __future__ import annotations

import random
from collections.abc import Sequence

from allocator.model import NeedType, Person, Phase, Role, School, SpecialRole
from allocator.synthetic.constants import (
    _REFERRING,
    HIGH_INCIDENCE,
    MINUTES_PER_FTE_WEEK,
    POOL_FTE,
)
from allocator.synthetic.draws import _split_tenths
from allocator.synthetic.places import _km, _Place, _slug
from allocator.synthetic.state import _CountyState, _Team


class _PeoplePart(_CountyState):
    """Everyone who attends, leads or teaches."""

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
