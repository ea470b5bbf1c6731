"""The requests of a synthetic county: a year of access forms, every agreement linked to one, the
others ending in advice, school-to-school support, training or a referral on.

Drawn after everything else from the builder's one generator, so adding requests changes no other
part of a county (and the agreements only by their `request_id`).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import date, timedelta

from allocator.model import (
    COUNTY_ROUTE_NEEDS,
    AgendaSettings,
    Agreement,
    MeetingSlot,
    Phase,
    Request,
    RequestOutcome,
    meeting_days,
)
from allocator.synthetic.constants import (
    _REFERRING,
    CONSENT,
    CONSENT_EXCEPTIONS,
    EARLY_YEARS_SHARE,
    EARLY_YEARS_STAGES,
    NEED_MIX,
    REFERRALS_PER_PUPIL,
    SCHOOL_STAGES,
)
from allocator.synthetic.draws import _pick
from allocator.synthetic.state import _CountyState

SPECIALIST_SHARE = 0.5
"""Share of requests that become specialist agreements (the rest end in other outcomes)."""
OTHER_OUTCOMES = {
    RequestOutcome.ADVICE: 0.40,
    RequestOutcome.SCHOOL_TO_SCHOOL: 0.20,
    RequestOutcome.TRAINING: 0.16,
    RequestOutcome.REFERRAL_EP: 0.16,
    RequestOutcome.REFERRAL_EARLY_SUPPORT: 0.08,
}
"""The outcomes of requests that do not become agreements."""
EARLY_YEARS_OUTCOMES = OTHER_OUTCOMES | {
    RequestOutcome.REFERRAL_EP: 0.10,
    RequestOutcome.REFERRAL_EARLY_SUPPORT: 0.14,
}
"""Early-years settings refer on to early support more often."""
OTHER_URGENT = 0.08
"""Urgent share of requests not linked to an agreement (linked ones: urgent when priority 1)."""
LEAD_DAYS = (3, 30, 10)
"""School days from receipt to the decision: (low, high, mode) of a triangular draw."""
DECIDED_EARLIER = 0.3
"""Share of agreements written up after the meeting that decided them: decided a week or more before
agreed_on, at the previous meeting of the same weekday."""
SUMMER_BREAK = timedelta(weeks=6)
"""Before term 1, weekdays up to this long before it count as the previous summer term's days."""


class _RequestsPart(_CountyState):
    """Requests of a year, linked to the agreements."""

    _days_of: dict[str, list[date]]
    """School days of each district (set by `_requests`)."""

    def _requests(
        self, agreements: Sequence[Agreement], slots: Sequence[MeetingSlot]
    ) -> tuple[list[Request], list[Agreement]]:
        """One request per agreement (outcome specialist) and as many others again, numbered
        <prefix>R-000001... (Kent: KR-000001) in order of receipt; the agreements with their
        `request_id`."""
        weekday = {s.slot: s.weekday_index for s in slots}
        county_days = AgendaSettings().county_route_days
        self._days_of = {
            p.district: meeting_days(self.terms, self.closures, p.district) for p in self.places
        }
        district_of = {s.urn: s.district for s in self.schools}
        drafts: list[tuple[date, int, dict[str, object], int | None]] = []
        linked: dict[str, int] = {}
        for k, agreement in enumerate(agreements):
            district = district_of[agreement.school_urn]
            received, draft = self._linked(agreement, district, county_days)
            drafts.append((received, len(drafts), draft, k))
            linked[district] = linked.get(district, 0) + 1
        for place in self.places:
            d = place.district
            count = round(linked.get(d, 0) * (1 / SPECIALIST_SHARE - 1))
            for _ in range(count):
                received, draft = self._other(d, weekday, county_days)
                drafts.append((received, len(drafts), draft, None))
        drafts.sort(key=lambda draft: (draft[0], draft[1]))
        requests: list[Request] = []
        ids: dict[int, str] = {}
        for n, (_, _, fields, linked_to) in enumerate(drafts, start=1):
            request_id = f"{self.case_prefix}R-{n:06d}"
            requests.append(Request.model_validate({"request_id": request_id, **fields}))
            if linked_to is not None:
                ids[linked_to] = request_id
        updated = [
            Agreement.model_validate(a.model_dump() | {"request_id": ids[k]})
            for k, a in enumerate(agreements)
        ]
        return requests, updated

    def _school_days(self, district: str) -> list[date]:
        return self._days_of[district]

    def _days_before(self, district: str, day: date, n: int) -> date:
        """The school day `n` school days before `day` (before term 1: weekdays of the previous
        summer term, taken to end `SUMMER_BREAK` before it)."""
        days = self._school_days(district)
        i = bisect.bisect_left(days, day) - n
        if i >= 0:
            return days[i]
        back, cursor = -i, days[0] - SUMMER_BREAK
        while True:
            if cursor.weekday() < 5:
                back -= 1
                if back == 0:
                    return cursor
            cursor -= timedelta(days=1)

    def _days_after(self, district: str, day: date, n: int) -> date | None:
        """The school day `n` school days after `day` (None: past the year's end)."""
        days = self._school_days(district)
        i = bisect.bisect_right(days, day) + n - 1
        return days[i] if i < len(days) else None

    def _lead(self) -> int:
        return round(self.rng.triangular(*LEAD_DAYS))

    def _linked(
        self, agreement: Agreement, district: str, county_days: int
    ) -> tuple[date, dict[str, object]]:
        """The request an agreement came from: the same child, school and need, decided at the
        agreement's meeting or (now and then) the one before it of the same weekday."""
        decided = agreement.agreed_on
        if self.rng.random() < DECIDED_EARLIER:
            same = [
                d
                for d in self._school_days(district)
                if d.weekday() == decided.weekday() and d < decided
            ]
            decided = same[-1] if same else decided
        lead = county_days if agreement.need_type in COUNTY_ROUTE_NEEDS else self._lead()
        consent = agreement.consent.kind
        received = self._days_before(district, decided, lead)
        return received, {
            "school_urn": agreement.school_urn,
            "received_on": received,
            "need_type": agreement.need_type,
            "sen_stage": agreement.sen_stage,
            "lac": agreement.lac,
            "urgent": agreement.priority == 1,
            # Consent withdrawn after the meeting: the request itself had it.
            "consent": "yes" if consent == "no" else str(agreement.consent),
            "outcome": RequestOutcome.SPECIALIST,
            "decided_on": decided,
        }

    def _other(
        self, district: str, weekday: dict[str, int], county_days: int
    ) -> tuple[date, dict[str, object]]:
        """A request that ends in advice, training, school-to-school support or a referral on (or,
        without consent or late in the year, in no outcome yet)."""
        rng = self.rng
        if rng.random() < EARLY_YEARS_SHARE:
            choices = [
                s for s in self.schools if s.district == district and s.phase == Phase.EARLY_YEARS
            ]
            school = rng.choice(choices)
        else:
            referrers = [
                s for s in self.schools if s.district == district and s.phase in _REFERRING
            ]
            weights = [s.pupils * REFERRALS_PER_PUPIL[s.phase] for s in referrers]
            school = rng.choices(referrers, weights)[0]
        early_years = school.phase == Phase.EARLY_YEARS
        need = _pick(rng, NEED_MIX[school.phase])
        stage = _pick(rng, EARLY_YEARS_STAGES if early_years else SCHOOL_STAGES)
        lac = rng.random() < (0.02 if early_years else 0.05)
        urgent = rng.random() < OTHER_URGENT
        consent = _pick(rng, CONSENT)
        if consent == "exception":
            consent = f"exception: {rng.choice(CONSENT_EXCEPTIONS)}"
        received = rng.choice(self._school_days(district))
        outcome = _pick(rng, EARLY_YEARS_OUTCOMES if early_years else OTHER_OUTCOMES)
        if need in COUNTY_ROUTE_NEEDS:
            decided = self._days_after(district, received, county_days)
        else:
            on = weekday[f"{district}-B" if early_years else f"{district}-A"]
            earliest = self._days_after(district, received, self._lead())
            later = [
                d
                for d in self._school_days(district)
                if earliest is not None and d >= earliest and d.weekday() == on
            ]
            decided = later[0] if later else None
        known = decided is not None and consent != "no"
        return received, {
            "school_urn": school.urn,
            "received_on": received,
            "need_type": need,
            "sen_stage": stage,
            "lac": lac,
            "urgent": urgent,
            "consent": consent,
            "outcome": outcome if known else None,
            "decided_on": decided if known else None,
        }
