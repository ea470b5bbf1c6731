"""The year's requests as received: the scenario's own (requests.csv), or drawn, seeded, from an arrival
model fitted to the scenario.

The model: each school sends requests at a yearly rate proportional to its pupils, at its phase's
rate per pupil (fitted from requests.csv; without it, from agreements.csv, each agreement standing for
1 / DEFAULT_SPECIALIST_SHARE requests). Receipts fall on the district's school days only, each term's
days as busy as the scenario's receipts in that term were (receipts before the year count in term 1,
in a holiday in the next term). Urgency, need type, SEN stage, LAC and consent follow the phase's mix.
Drawn requests are numbered `S{seed}-000001`... in order of receipt: never real data.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import numpy as np

from allocator.model import (
    NeedType,
    Phase,
    Problem,
    Request,
    Scenario,
    ScenarioError,
    SenStage,
    Term,
    term_days,
)
from allocator.model.simulation import Arrivals
from allocator.simulate.decisions import DEFAULT_SPECIALIST_SHARE

K = TypeVar("K")
Mix = tuple[tuple[K, float], ...]
"""Values and their shares (summing to 1), in a fixed order."""

EXCEPTION_REASON = "recorded on the access form"
"""The reason of a drawn consent exception (the scenario's own reasons are never copied)."""
_STREAM = 0x41525249
"""Keeps the arrival draws apart from any other stream seeded with the same seed."""


def year_requests(scenario: Scenario, arrivals: Arrivals, seed: int) -> list[Request]:
    """The year's requests as received (outcome and decision cleared), by (received_on, request_id).

    `Arrivals.REQUESTS`: the scenario's requests.csv, the same for every seed; `Arrivals.MODEL`: drawn
    with `seed` from `ArrivalModel.fit(scenario)`."""
    if arrivals == Arrivals.MODEL:
        return ArrivalModel.fit(scenario).draw(scenario, seed)
    if not scenario.requests:
        raise ScenarioError(
            [
                Problem(
                    file="requests.csv",
                    expected="the year's requests to simulate (the scenario has none): add "
                    "requests.csv, or draw them from a fitted model with --arrivals model",
                )
            ]
        )
    cleared = (
        r.model_copy(update={"outcome": None, "decided_on": None}) for r in scenario.requests
    )
    return sorted(cleared, key=lambda r: (r.received_on, r.request_id))


@dataclass(frozen=True)
class ArrivalModel:
    """Requests a year per school, the term pattern of receipts and each phase's mix of requests."""

    rates: Mapping[int, float]
    """Expected requests a year per school (by URN; schools that send none are left out)."""
    term_weights: Mapping[int, float]
    """Receipts per school day in each term (by term number; only the ratios matter)."""
    urgent: Mapping[Phase, float]
    lac: Mapping[Phase, float]
    needs: Mapping[Phase, Mix[NeedType]]
    stages: Mapping[Phase, Mix[SenStage]]
    consent: Mapping[Phase, Mix[str]]
    """Consent kinds: `yes`, `no`, `exception`."""
    fitted_from: str
    """`requests.csv`, or `agreements.csv` when the scenario has no requests."""

    @classmethod
    def fit(cls, scenario: Scenario) -> ArrivalModel:
        """The model of `scenario`'s requests (else its agreements); a ScenarioError when it has
        neither."""
        phase_of = {s.urn: s.phase for s in scenario.schools}
        if scenario.requests:
            records = [
                _Record(
                    urn=r.school_urn,
                    day=r.received_on,
                    urgent=r.urgent,
                    lac=r.lac,
                    need=r.need_type,
                    stage=r.sen_stage,
                    consent=r.consent.kind,
                )
                for r in scenario.requests
            ]
            per_record, source = 1.0, "requests.csv"
        elif scenario.agreements:
            records = [
                _Record(
                    urn=a.school_urn,
                    day=a.agreed_on,
                    urgent=a.priority == 1,
                    lac=a.lac,
                    need=a.need_type,
                    stage=a.sen_stage,
                    consent=a.consent.kind,
                )
                for a in scenario.agreements
            ]
            per_record, source = 1 / DEFAULT_SPECIALIST_SHARE, "agreements.csv"
        else:
            raise ScenarioError(
                [
                    Problem(
                        file="requests.csv",
                        expected="requests (or agreements.csv) to fit the arrival model to",
                    )
                ]
            )
        by_phase: dict[Phase, list[_Record]] = {}
        for record in records:
            by_phase.setdefault(phase_of[record.urn], []).append(record)
        return cls(
            rates=_rates(scenario, {p: len(rs) * per_record for p, rs in by_phase.items()}),
            term_weights=_term_weights(scenario.terms, [r.day for r in records]),
            urgent={p: _share(r.urgent for r in rs) for p, rs in by_phase.items()},
            lac={p: _share(r.lac for r in rs) for p, rs in by_phase.items()},
            needs={p: _mix(r.need for r in rs) for p, rs in by_phase.items()},
            stages={p: _mix(r.stage for r in rs) for p, rs in by_phase.items()},
            consent={p: _mix(r.consent for r in rs) for p, rs in by_phase.items()},
            fitted_from=source,
        )

    def expected_requests(self) -> float:
        """Requests expected in a year, all schools."""
        return sum(self.rates.values())

    def draw(self, scenario: Scenario, seed: int) -> list[Request]:
        """A year of requests drawn with `seed`, by (received_on, request_id)."""
        rng = np.random.default_rng([seed, _STREAM])
        calendars = {d: self._calendar(scenario, d) for d in scenario.district_names}
        drafts: list[tuple[date, int, dict[str, object]]] = []
        for school in sorted(scenario.schools, key=lambda s: s.urn):
            rate = self.rates.get(school.urn, 0.0)
            if rate <= 0:
                continue
            days, weights = calendars[school.district]
            if not days:
                continue
            count = int(rng.poisson(rate))
            phase = school.phase
            for index in rng.choice(len(days), size=count, p=weights):
                consent = _pick(rng, self.consent[phase])
                if consent == "exception":
                    consent = f"exception: {EXCEPTION_REASON}"
                fields = {
                    "school_urn": school.urn,
                    "received_on": days[index],
                    "need_type": _pick(rng, self.needs[phase]),
                    "sen_stage": _pick(rng, self.stages[phase]),
                    "lac": bool(rng.random() < self.lac[phase]),
                    "urgent": bool(rng.random() < self.urgent[phase]),
                    "consent": consent,
                }
                drafts.append((days[index], len(drafts), fields))
        drafts.sort(key=lambda d: (d[0], d[1]))
        return [
            Request.model_validate({"request_id": f"S{seed}-{n:06d}", **fields})
            for n, (_, _, fields) in enumerate(drafts, start=1)
        ]

    def _calendar(self, scenario: Scenario, district: str) -> tuple[list[date], np.ndarray]:
        """The district's school days and the chance a receipt falls on each."""
        days = scenario.meeting_days(district)
        weights = np.array(
            [self.term_weights.get(_term_of(scenario.terms, d), 0.0) for d in days], dtype=float
        )
        total = weights.sum()
        if total <= 0:
            weights, total = np.ones(len(days)), float(len(days))
        return days, weights / total


@dataclass(frozen=True)
class _Record:
    urn: int
    day: date
    urgent: bool
    lac: bool
    need: NeedType
    stage: SenStage
    consent: str


def _rates(scenario: Scenario, per_phase: Mapping[Phase, float]) -> dict[int, float]:
    """Each phase's requests shared among its schools by pupils (equally where it has no pupils)."""
    rates: dict[int, float] = {}
    for phase, total in per_phase.items():
        schools = [s for s in scenario.schools if s.phase == phase]
        pupils = sum(s.pupils for s in schools)
        for s in schools:
            rates[s.urn] = total * (s.pupils / pupils if pupils else 1 / len(schools))
    return {urn: rate for urn, rate in rates.items() if rate > 0}


def _term_of(terms: Sequence[Term], day: date) -> int:
    """The term of `day`: the one holding it, else the next to start, else the last."""
    ordered = sorted(terms, key=lambda t: t.first_day)
    for term in ordered:
        if day <= term.last_day:
            return term.term
    return ordered[-1].term


def _term_weights(terms: Sequence[Term], days: Iterable[date]) -> dict[int, float]:
    """Receipts per school day of each term."""
    receipts = Counter(_term_of(terms, d) for d in days)
    school_days = term_days(terms)
    weights = {}
    for term in terms:
        first = bisect.bisect_left(school_days, term.first_day)
        count = bisect.bisect_right(school_days, term.last_day) - first
        weights[term.term] = receipts[term.term] / count if count else 0.0
    return weights


def _share(flags: Iterable[bool]) -> float:
    values = list(flags)
    return sum(values) / len(values) if values else 0.0


def _mix(values: Iterable[K]) -> Mix[K]:
    counts = Counter(values)
    total = sum(counts.values())
    return tuple((v, counts[v] / total) for v in sorted(counts, key=str))


def _pick(rng: np.random.Generator, mix: Mix[K]) -> K:
    """One value of `mix`, drawn by its shares."""
    u = rng.random()
    cumulative = 0.0
    for value, share in mix:
        cumulative += share
        if u < cumulative:
            return value
    return mix[-1][0]
