"""The LIFT Executive's report: a district's (or the county's) figures for a half-term or the year.

Each figure counts the events dated in the report's period (`Period`): requests by `received_on`; days
to meeting by the meeting's day (the agenda's meeting when an agenda is given, a hearing or vision
request's county decision `county_route_days` school days after receipt; else the request's
`decided_on`); agreements by `agreed_on`; weeks to start and whole waits by the plan's start; finished
support by its end; reviews by their date; progress by the exit measure's date. Days are school days
(`waits.SchoolDays`), weeks school weeks (`reviews.school_weeks`). Support withdrawn counts only as
stopped. Pure functions of the scenario, its plan and an optional agenda.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import fmean, median

from allocator.model import NeedType, PlannedSupport, PlanStatus, RequestOutcome, Scenario
from allocator.model.agenda_result import Agenda
from allocator.model.executive import (
    AgreementFigures,
    CaseFigures,
    Count,
    DistrictFigures,
    ExecutiveReport,
    HalfTermRow,
    MeetingBasis,
    MeetingFigures,
    NeedWaits,
    Period,
    RequestFigures,
    ReviewFigures,
    Spread,
    WaitGroup,
)
from allocator.model.reviews import NeedProgress, ReviewKind, ReviewSchedule
from allocator.model.summary import percentile
from allocator.pipeline.reviews import (
    case_progress,
    progress_by_need,
    review_schedules,
    school_weeks,
)
from allocator.pipeline.waits import CaseWait, SchoolDays, whole_waits

NOT_DECIDED = "not decided yet"
OUTCOME_WORDS: dict[RequestOutcome, str] = {
    RequestOutcome.ADVICE: "advice at the meeting",
    RequestOutcome.SCHOOL_TO_SCHOOL: "school-to-school support",
    RequestOutcome.TRAINING: "training",
    RequestOutcome.SPECIALIST: "specialist intervention",
    RequestOutcome.REFERRAL_EP: "referral to an educational psychologist",
    RequestOutcome.REFERRAL_EARLY_SUPPORT: "referral to early support",
}
"""Each meeting outcome in plain words."""


class UnknownDistrict(LookupError):
    """A district that is not one of the scenario's."""

    def __init__(self, district: str, known: Sequence[str]) -> None:
        self.district = district
        super().__init__(f"{district!r} is not a district of the scenario ({', '.join(known)})")


def period_of(scenario: Scenario, half_term: int | None) -> Period:
    """Half-term `half_term` (1-6) as a period, or the whole year (None)."""
    terms = sorted(scenario.terms, key=lambda t: t.term)
    if half_term is None:
        return Period(
            half_term=None,
            first_day=terms[0].first_day,
            last_day=terms[-1].last_day,
            start=None,
            end=None,
        )
    if not 1 <= half_term <= len(terms):
        raise ValueError(f"half-term {half_term}: expected 1 to {len(terms)}")
    term = terms[half_term - 1]
    following = terms[half_term] if half_term < len(terms) else None
    return Period(
        half_term=half_term,
        first_day=term.first_day,
        last_day=term.last_day,
        start=None if half_term == 1 else term.first_day,
        end=None if following is None else following.first_day - timedelta(days=1),
    )


def spread(values: Iterable[float]) -> Spread:
    """Count, median, 90th percentile and mean of `values`."""
    found = [float(v) for v in values]
    if not found:
        return Spread()
    return Spread(
        count=len(found),
        median=median(found),
        p90=percentile(found, 0.9),
        mean=fmean(found),
    )


@dataclass(frozen=True)
class _Met:
    """A request's district, urgency, receipt and meeting (None: not met yet)."""

    district: str
    urgent: bool
    received_on: date
    meeting: date | None
    days: int | None


class _Context:
    """What every district's and half-term's figures read, computed once."""

    def __init__(self, scenario: Scenario, agenda: Agenda | None) -> None:
        self.scenario = scenario
        self.days = SchoolDays(scenario)
        self.weeks = school_weeks(scenario)
        self.district_of_school = {s.urn: s.district for s in scenario.schools}
        self.rows = {row.case_id: row for row in scenario.current_plan}
        self.agreements = {a.case_id: a for a in scenario.agreements}
        self.case_district = {
            a.case_id: self.district_of_school[a.school_urn] for a in scenario.agreements
        }
        withdrawn = {c for c, r in self.rows.items() if r.status == PlanStatus.WITHDRAWN}
        self.waits = [w for w in whole_waits(scenario, None, agenda) if w.case_id not in withdrawn]
        self.met = self._meetings(agenda)
        self.schedules = review_schedules(scenario)
        latest: dict[str, date] = {}
        for review in scenario.reviews:
            if review.case_id not in latest or review.date > latest[review.case_id]:
                latest[review.case_id] = review.date
        self.latest_review = latest
        exits: dict[tuple[str, str], date] = {}
        for review in scenario.reviews:
            if review.kind == ReviewKind.EXIT:
                exits[(review.case_id, review.measure)] = review.date
        self.exit_on = exits
        self.progress = case_progress(scenario)

    def _meetings(self, agenda: Agenda | None) -> dict[str, _Met]:
        placed = {i.request_id: i for i in agenda.items} if agenda is not None else {}
        county_days = self.scenario.settings.agenda.county_route_days
        met = {}
        for request in self.scenario.requests:
            district = self.district_of_school[request.school_urn]
            item = placed.get(request.request_id)
            meeting: date | None = None
            if item is not None and item.route == "meeting":
                meeting = item.meeting_date
            elif item is not None:
                meeting = self.days.later(district, request.received_on, county_days)
            if meeting is None and (agenda is None or item is None):
                meeting = request.decided_on
            days = (
                None
                if meeting is None
                else self.days.between(district, request.received_on, meeting)
            )
            met[request.request_id] = _Met(
                district, request.urgent, request.received_on, meeting, days
            )
        return met

    def week_index(self, day: date) -> int:
        """The school week holding `day`, or the next one (past the year: the count of weeks)."""
        monday = day - timedelta(days=day.weekday())
        return bisect.bisect_left(self.weeks, monday)

    def live_rows(self, districts: set[str]) -> list[PlannedSupport]:
        """Plan rows of the districts' cases (withdrawn ones included)."""
        return [
            row
            for case_id, row in self.rows.items()
            if self.case_district.get(case_id) in districts
        ]


def _requests(ctx: _Context, districts: set[str], period: Period) -> RequestFigures:
    mine = [
        r
        for r in ctx.scenario.requests
        if ctx.district_of_school[r.school_urn] in districts and period.holds(r.received_on)
    ]
    outcomes = [
        Count(label=OUTCOME_WORDS[o], count=sum(r.outcome == o for r in mine))
        for o in RequestOutcome
    ]
    outcomes.append(Count(label=NOT_DECIDED, count=sum(r.outcome is None for r in mine)))
    return RequestFigures(
        received=len(mine),
        urgent=sum(r.urgent for r in mine),
        looked_after=sum(r.lac for r in mine),
        county_route=sum(r.county_route for r in mine),
        no_consent=sum(not r.consent.plannable for r in mine),
        outcomes=tuple(outcomes),
    )


def _meetings(
    ctx: _Context, districts: set[str], period: Period, basis: MeetingBasis
) -> MeetingFigures:
    plannable = {r.request_id for r in ctx.scenario.requests if r.consent.plannable}
    mine = [(rid, m) for rid, m in ctx.met.items() if m.district in districts]
    met = [m for _, m in mine if period.holds(m.meeting) and m.days is not None]
    awaiting = sum(
        1
        for rid, m in mine
        if rid in plannable
        and not period.after(m.received_on)
        and (m.meeting is None or period.after(m.meeting))
    )
    return MeetingFigures(
        basis=basis,
        days_to_meeting=spread(m.days for m in met if m.days is not None),
        urgent_days=spread(m.days for m in met if m.urgent and m.days is not None),
        awaiting=awaiting,
    )


def _started(row: PlannedSupport) -> bool:
    return row.status != PlanStatus.WITHDRAWN


def _agreements(ctx: _Context, districts: set[str], period: Period) -> AgreementFigures:
    made = [
        a
        for a in ctx.scenario.agreements
        if ctx.case_district[a.case_id] in districts and period.holds(a.agreed_on)
    ]
    weeks = []
    for row in ctx.live_rows(districts):
        if _started(row) and period.holds(row.start):
            agreed = ctx.agreements[row.case_id].agreed_on
            weeks.append(max(0, ctx.week_index(row.start) - ctx.week_index(agreed)))
    return AgreementFigures(
        made=len(made),
        from_request=sum(a.request_id is not None for a in made),
        started=len(weeks),
        weeks_to_start=spread(weeks),
    )


def _waits_in(ctx: _Context, districts: set[str], period: Period) -> list[CaseWait]:
    return [
        w
        for w in ctx.waits
        if w.district in districts and period.holds(w.start) and w.whole_wait is not None
    ]


def _group(name: str, waits: Iterable[CaseWait]) -> WaitGroup:
    return WaitGroup(
        group=name, waits=spread(w.whole_wait for w in waits if w.whole_wait is not None)
    )


def _grouped(
    waits: Sequence[CaseWait], key: Callable[[CaseWait], str], order: Sequence[str]
) -> tuple[WaitGroup, ...]:
    return tuple(
        _group(name, [w for w in waits if key(w) == name])
        for name in order
        if any(key(w) == name for w in waits)
    )


def _cases(ctx: _Context, districts: set[str], period: Period) -> CaseFigures:
    rows = ctx.live_rows(districts)
    live = [r for r in rows if _started(r)]
    stopped = [r for r in rows if not _started(r)]
    begun = {r.case_id: r.start for r in rows}
    waiting = sum(
        1
        for a in ctx.scenario.agreements
        if ctx.case_district[a.case_id] in districts
        and a.consent.plannable
        and not period.after(a.agreed_on)
        and (a.case_id not in begun or period.after(begun[a.case_id]))
        and not (a.case_id in ctx.rows and ctx.rows[a.case_id].status == PlanStatus.WITHDRAWN)
    )
    return CaseFigures(
        started=sum(period.holds(r.start) for r in live),
        running=sum(
            (period.end is None or r.start <= period.end)
            and (period.start is None or r.end >= period.start)
            for r in live
        ),
        finished=sum(period.holds(r.end) for r in live),
        withdrawn=sum(period.holds(r.end) for r in stopped),
        waiting=waiting,
    )


def _reviews(ctx: _Context, districts: set[str], period: Period, today: date) -> ReviewFigures:
    dates: list[tuple[ReviewSchedule, date]] = [
        (s, d) for s in ctx.schedules if s.district in districts for d in s.dates if period.holds(d)
    ]
    done = [
        (s, d)
        for s, d in dates
        if s.case_id in ctx.latest_review and ctx.latest_review[s.case_id] >= d
    ]
    open_ = len(dates) - len(done)
    overdue = sum(
        1
        for s, d in dates
        if d < today and not (s.case_id in ctx.latest_review and ctx.latest_review[s.case_id] >= d)
    )
    return ReviewFigures(due=len(dates), done=len(done), overdue=overdue, to_come=open_ - overdue)


def _half_terms(ctx: _Context, districts: set[str]) -> tuple[HalfTermRow, ...]:
    rows = []
    for term in sorted(ctx.scenario.terms, key=lambda t: t.term):
        period = period_of(ctx.scenario, term.term)
        met = [
            float(m.days)
            for m in ctx.met.values()
            if m.district in districts and period.holds(m.meeting) and m.days is not None
        ]
        waits = [
            float(w.whole_wait)
            for w in _waits_in(ctx, districts, period)
            if w.whole_wait is not None
        ]
        rows.append(
            HalfTermRow(
                half_term=term.term,
                received=sum(
                    1
                    for r in ctx.scenario.requests
                    if ctx.district_of_school[r.school_urn] in districts
                    and period.holds(r.received_on)
                ),
                median_to_meeting=median(met) if met else None,
                started=len(waits),
                median_whole_wait=median(waits) if waits else None,
            )
        )
    return tuple(rows)


def _progress(ctx: _Context, districts: set[str], period: Period) -> tuple[NeedProgress, ...]:
    kept = [
        p
        for p in ctx.progress
        if p.district in districts and period.holds(ctx.exit_on.get((p.case_id, p.measure)))
    ]
    return tuple(progress_by_need(kept))


def district_figures(
    ctx: _Context,
    district: str | None,
    period: Period,
    today: date,
    basis: MeetingBasis,
) -> DistrictFigures:
    """Every figure of `district` (None: the whole county) for `period`."""
    districts = set(ctx.scenario.district_names) if district is None else {district}
    waits = _waits_in(ctx, districts, period)
    needs = [n.value for n in NeedType]
    return DistrictFigures(
        district=district,
        requests=_requests(ctx, districts, period),
        meetings=_meetings(ctx, districts, period, basis),
        agreements=_agreements(ctx, districts, period),
        whole_wait=_group("all", waits),
        by_need_type=_grouped(waits, lambda w: w.need_type.value, needs),
        by_urgency=_grouped(
            waits, lambda w: "urgent" if w.urgent else "routine", ("urgent", "routine")
        ),
        cases=_cases(ctx, districts, period),
        reviews=_reviews(ctx, districts, period, today),
        progress=_progress(ctx, districts, period),
        wait_values=tuple(
            NeedWaits(
                need_type=need,
                values=tuple(
                    w.whole_wait for w in waits if w.need_type == need and w.whole_wait is not None
                ),
            )
            for need in NeedType
            if any(w.need_type == need for w in waits)
        ),
        half_terms=_half_terms(ctx, districts),
    )


def executive_report(
    scenario: Scenario,
    *,
    district: str | None,
    half_term: int | None,
    today: date,
    plan: Iterable[PlannedSupport] | None = None,
    agenda: Agenda | None = None,
    plan_source: str = "the scenario's current plan",
) -> ExecutiveReport:
    """The report of `district` (None: the county, with each district's figures) for half-term
    `half_term` (None: the whole year). `plan` replaces the scenario's current plan when given;
    `agenda` gives the meetings (else `decided_on`). Raises `UnknownDistrict`, or `ValueError` for a
    half-term outside 1-6."""
    if district is not None and district not in scenario.district_names:
        raise UnknownDistrict(district, scenario.district_names)
    period = period_of(scenario, half_term)
    if plan is not None:
        scenario = scenario.model_copy(update={"current_plan": tuple(plan)})
    basis: MeetingBasis = "agenda" if agenda is not None else "decided_on"
    ctx = _Context(scenario, agenda)
    summary = district_figures(ctx, district, period, today, basis)
    districts = (
        tuple(district_figures(ctx, d, period, today, basis) for d in scenario.district_names)
        if district is None
        else ()
    )
    return ExecutiveReport(
        county_name=scenario.settings.name,
        academic_year=scenario.settings.academic_year,
        period=period,
        as_of=today,
        plan_source=plan_source,
        meetings_basis=basis,
        summary=summary,
        districts=districts,
    )
