"""The schools and settings of a synthetic county, their LIFT groups, and its staffing formula with
each district's indicators and baseline."""

from __future__ import annotations

from allocator.model import (
    DistrictIndicators,
    GroupKind,
    HighIncidenceFormula,
    Phase,
    School,
    StaffingSettings,
)
from allocator.synthetic.constants import (
    _REFERRING,
    FORMULA_WEIGHTS,
    HIGH_INCIDENCE_FTE,
    POOL_FTE,
    PUPILS,
    SCHOOL_SPREAD_KM,
    SETTINGS_PER_KENT,
)
from allocator.synthetic.draws import _apportion
from allocator.synthetic.places import _groups_by_bearing, _near, _Place
from allocator.synthetic.state import _CountyState


class _SchoolsPart(_CountyState):
    """Schools, LIFT groups of schools, and staffing."""

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
