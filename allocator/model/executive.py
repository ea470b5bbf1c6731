"""The LIFT Executive's report as figures: for a district (or the county) and a half-term (or the whole
year), requests, days to meeting, agreements, weeks to start, whole waits, cases, reviews and progress.
Counts and school days only: no case is ever named."""

from __future__ import annotations

from datetime import date
from typing import Literal

from allocator.model.base import Frozen, NeedType
from allocator.model.reviews import NeedProgress

MeetingBasis = Literal["agenda", "decided_on"]
"""Where the meeting dates come from: an agenda planned on a rota, or the requests' `decided_on`."""


class Period(Frozen):
    """The events a report counts: those dated in [start, end] (None: open at that end).

    A half-term's period runs from its first day to the day before the next half-term, so the
    holiday after it counts with it; half-term 1 also takes anything before it, half-term 6 anything
    after. The six periods cover the year without overlap; the whole year is open at both ends."""

    half_term: int | None
    """1 to 6, or None for the whole year."""
    first_day: date
    """The half-term's first day (the whole year: the first term's first day)."""
    last_day: date
    """The half-term's last day (the whole year: the last term's last day)."""
    start: date | None
    end: date | None

    def holds(self, day: date | None) -> bool:
        """Whether `day` falls in the period (None never does)."""
        if day is None:
            return False
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def after(self, day: date | None) -> bool:
        """Whether `day` is after the period's end (None: not dated, counts as after)."""
        return day is None or (self.end is not None and day > self.end)

    @property
    def label(self) -> str:
        """'half-term N' or 'the whole year'."""
        return "the whole year" if self.half_term is None else f"half-term {self.half_term}"


class Spread(Frozen):
    """How a set of day (or week) counts spreads: how many, median, 90th percentile, mean."""

    count: int = 0
    median: float | None = None
    p90: float | None = None
    mean: float | None = None


class Count(Frozen):
    """A labelled count (an outcome, a status)."""

    label: str
    count: int


class RequestFigures(Frozen):
    """Requests received in the period."""

    received: int
    urgent: int
    looked_after: int
    county_route: int
    """Hearing and vision: decided by the county coordinators, at no meeting."""
    no_consent: int
    outcomes: tuple[Count, ...]
    """Each outcome recorded (in the order of `RequestOutcome`), then 'not decided yet'."""


class MeetingFigures(Frozen):
    """Requests met (a meeting or county decision dated in the period) and their school days to it."""

    basis: MeetingBasis
    days_to_meeting: Spread
    urgent_days: Spread
    awaiting: int
    """Requests received by the period's end (consent given) with no meeting by then."""


class AgreementFigures(Frozen):
    """Agreements made in the period, and support started in it with its school weeks from agreement."""

    made: int
    from_request: int
    """Of those made, how many name their request (so the whole wait can be measured)."""
    started: int
    weeks_to_start: Spread


class WaitGroup(Frozen):
    """Whole waits (school days from request to start) of the cases started in the period."""

    group: str
    waits: Spread


class CaseFigures(Frozen):
    """Support in the plan: started, running, finished and stopped in the period; cases waiting."""

    started: int
    running: int
    """Support running on any day of the period."""
    finished: int
    withdrawn: int
    """Support stopped in the period because consent was withdrawn."""
    waiting: int
    """Agreements made by the period's end (consent given) not started by then."""


class ReviewFigures(Frozen):
    """Review dates falling in the period: done, overdue (before the report's day), still to come."""

    due: int
    done: int
    overdue: int
    to_come: int


class NeedWaits(Frozen):
    """The whole waits of one need type, for the distribution chart (values only, no case)."""

    need_type: NeedType
    values: tuple[int, ...]


class HalfTermRow(Frozen):
    """One half-term's figures, for the chart of waits by half-term."""

    half_term: int
    received: int
    median_to_meeting: float | None
    started: int
    median_whole_wait: float | None


class DistrictFigures(Frozen):
    """Every figure of one district (or of the county: `district` None) for the period."""

    district: str | None
    requests: RequestFigures
    meetings: MeetingFigures
    agreements: AgreementFigures
    whole_wait: WaitGroup
    by_need_type: tuple[WaitGroup, ...]
    by_urgency: tuple[WaitGroup, ...]
    cases: CaseFigures
    reviews: ReviewFigures
    progress: tuple[NeedProgress, ...]
    wait_values: tuple[NeedWaits, ...]
    half_terms: tuple[HalfTermRow, ...]

    @property
    def name(self) -> str:
        """The district's name, or 'the county'."""
        return self.district or "the county"


class ExecutiveReport(Frozen):
    """The report: one district, or the county (its summary, then each district)."""

    county_name: str
    academic_year: str
    period: Period
    as_of: date
    """The report's day: review dates before it and not done are overdue."""
    plan_source: str
    """Where the plan's start dates come from, in plain words."""
    meetings_basis: MeetingBasis
    summary: DistrictFigures
    """The district's figures, or the county's."""
    districts: tuple[DistrictFigures, ...] = ()
    """The county version: each district's figures (empty for a district's report)."""

    @property
    def county(self) -> bool:
        """Whether this is the county version."""
        return self.summary.district is None

    @property
    def stem(self) -> str:
        """The file name without extension: executive-<district|county>-ht<N> (or -year)."""
        name = "county" if self.summary.district is None else self.summary.district
        slug = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-") or "district"
        part = "year" if self.period.half_term is None else f"ht{self.period.half_term}"
        return f"executive-{slug}-{part}"
