"""The agreements of a synthetic county: the access form's facts for each case."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from allocator.model import Agreement, MeetingSlot, Phase, Role, School, meeting_days
from allocator.model.calendar import term_days, week_start
from allocator.synthetic.constants import (
    _REFERRING,
    CASES_PER_SEN_SUPPORT_PUPIL,
    CONSENT,
    CONSENT_EXCEPTIONS,
    EARLY_YEARS_EXCEPTION,
    EARLY_YEARS_SHARE,
    EARLY_YEARS_STAGES,
    LOOKED_AFTER_EXCEPTION,
    MINUTE_WEIGHTS,
    MINUTES,
    NEED_MIX,
    POOL_FTE,
    POOL_MINUTE_WEIGHTS,
    PRIORITIES,
    REFERRALS_PER_PUPIL,
    SCHOOL_STAGES,
)
from allocator.synthetic.draws import _pick
from allocator.synthetic.state import _CountyState

POOLED_SHARE = 0.1
"""Share of agreements that need a county pool (HI, VI, PI; `NEED_MIX`)."""
TRAVEL_SHARE = 0.45
"""A case's weekly travel (to the nearest eligible teacher) over its weekly minutes, as measured on
generated counties (0.42 to 0.47 at scales 0.25 to 1)."""
CASE_MINUTES = (
    (1 + TRAVEL_SHARE)
    * (
        (1 - POOLED_SHARE)
        * sum(m * w for m, w in zip(MINUTES, MINUTE_WEIGHTS, strict=True))
        / sum(MINUTE_WEIGHTS)
        + POOLED_SHARE
        * sum(m * w for m, w in zip(MINUTES, POOL_MINUTE_WEIGHTS, strict=True))
        / sum(POOL_MINUTE_WEIGHTS)
    )
    * 12
)
"""A case's expected minutes with travel: expected weekly minutes and travel times its expected 12
weeks (6 to 20, mode 10)."""


class _AgreementsPart(_CountyState):
    """Agreements on the districts' meeting weekdays."""

    def _agreements(
        self, slots: Sequence[MeetingSlot], demand: float | None = None
    ) -> list[Agreement]:
        """About 0.049 agreements a year per SEN-support pupil (with `demand`, as many as ask for
        `demand` times the teams' minutes, `_demand_counts`), agreed on the district's meeting
        weekdays (slot A for schools, slot B for early years), numbered in date order."""
        weekday = {s.slot: s.weekday_index for s in slots}
        sen_support = {i.district: i.indicators["sen_support"] for i in self.indicators}
        wanted = None if demand is None else self._demand_counts(demand, sen_support)
        drafts: list[tuple[date, int, dict[str, object]]] = []
        for place in self.places:
            d, rng = place.district, self.rng
            days = meeting_days(self.terms, self.closures, d)
            school_days = [x for x in days if x.weekday() == weekday[f"{d}-A"]]
            setting_days = [x for x in days if x.weekday() == weekday[f"{d}-B"]]
            referrers = [s for s in self.schools if s.district == d and s.phase in _REFERRING]
            weights = [s.pupils * REFERRALS_PER_PUPIL[s.phase] for s in referrers]
            settings = [s for s in self.schools if s.district == d and s.phase == Phase.EARLY_YEARS]
            spread = rng.uniform(0.9, 1.1)
            per_year = CASES_PER_SEN_SUPPORT_PUPIL * sen_support[d] if wanted is None else wanted[d]
            count = round(per_year * spread)
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

    def _demand_counts(self, demand: float, sen_support: dict[str, float]) -> dict[str, float]:
        """Agreements a year per district asking for `demand` times the teams' minutes in the school
        year (weekly minutes times weeks, before leave): the district team's specialist teachers and
        the county pools' share by SEN-support pupils, over a case's expected minutes with travel."""
        weeks = len({week_start(day) for day in term_days(self.terms)})
        minutes = {p.person_id: p.minutes_per_week for p in self.people}
        pools = sum(
            p.minutes_per_week
            for p in self.people
            if p.role == Role.SPECIALIST_TEACHER and p.team in {n.value for n in POOL_FTE}
        )
        pupils = sum(sen_support.values())
        return {
            place.district: demand
            * weeks
            * (
                sum(minutes[t] for t in self.teams[place.district].teachers)
                + pools * sen_support[place.district] / pupils
            )
            / CASE_MINUTES
            for place in self.places
        }

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
