"""Reviews of agreed support: each agreement's review dates, which are due and overdue, progress from
entry to exit, and the written agreement's content.

An agreement's review dates are its agreed review date (`agreement_details.csv`) when given; otherwise
one every `[reviews] every_weeks` school weeks after the start of support and one at its end. The start
and end are the plan's (`current_plan.csv`, or a plan given); a case not planned yet is scheduled from
the earliest start the caseload allows (`lead_time_weeks` school weeks after it was agreed). Cases
without consent, and support withdrawn, get no reviews. A review date is done once any measure is
recorded for the case on or after it (`reviews.csv`); it is overdue when it is before today and not
done, and due in a week when it falls in that week and is not done.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from statistics import fmean

from allocator.model import (
    Agreement,
    AgreementDetails,
    NeedType,
    PlannedSupport,
    PlanStatus,
    ReviewKind,
    Scenario,
    bank_holidays,
    week_start,
)
from allocator.model.details import AgreementDocument
from allocator.model.reviews import (
    CaseProgress,
    NeedProgress,
    ReviewBasis,
    ReviewDue,
    ReviewSchedule,
)


class UnknownCase(LookupError):
    """A case id that is not an agreement of the scenario."""

    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        super().__init__(f"{case_id!r} is not a case_id of agreements.csv")


def school_weeks(scenario: Scenario) -> list[date]:
    """The Mondays of weeks with at least one school day: a term day that is not a bank holiday nor
    a county-wide closure (the caseload's school weeks)."""
    years = {t.first_day.year for t in scenario.terms} | {t.last_day.year for t in scenario.terms}
    holidays_ = bank_holidays(years)
    closed = {c.date for c in scenario.closures if c.district is None}
    days = {d for t in scenario.terms for d in t.weekdays() if d not in holidays_ | closed}
    return sorted({week_start(d) for d in days})


def _week_index(weeks: Sequence[date], day: date) -> int:
    """The index of the school week containing `day`, or of the next one (past the year: counted on
    in calendar weeks)."""
    monday = week_start(day)
    for index, start in enumerate(weeks):
        if start >= monday:
            return index
    return len(weeks) + (monday - weeks[-1]).days // 7 - 1 if weeks else 0


def _monday(weeks: Sequence[date], index: int) -> date:
    """The Monday of school week `index` (past the year: calendar weeks after the last one)."""
    if index < len(weeks):
        return weeks[index]
    return weeks[-1] + timedelta(weeks=index - len(weeks) + 1)


def plan_rows(
    scenario: Scenario, plan: Iterable[PlannedSupport] | None = None
) -> dict[str, PlannedSupport]:
    """The plan row of each case: of `plan` when given, else of the scenario's current plan."""
    rows = scenario.current_plan if plan is None else plan
    return {row.case_id: row for row in rows}


def _window(
    scenario: Scenario, agreement: Agreement, row: PlannedSupport | None, weeks: Sequence[date]
) -> tuple[date, date, bool]:
    """Start and end of support, and whether they are the plan's (else the earliest start)."""
    if row is not None:
        return row.start, row.end, True
    first = next((i for i, w in enumerate(weeks) if w >= agreement.agreed_on), len(weeks))
    start_index = first + scenario.settings.caseload.lead_time_weeks
    start = _monday(weeks, start_index)
    end = _monday(weeks, start_index + agreement.weeks - 1) + timedelta(days=4)
    return start, end, False


def _every(weeks: Sequence[date], start: date, end: date, every: int) -> tuple[date, ...]:
    """A date every `every` school weeks after `start` (same weekday, Friday at the latest) before
    the week of `end`, then `end`."""
    first, last = _week_index(weeks, start), _week_index(weeks, end)
    offset = timedelta(days=min(start.weekday(), 4))
    dates = [_monday(weeks, index) + offset for index in range(first + every, last, every)]
    return tuple(sorted({*dates, end}))


def review_schedules(
    scenario: Scenario, plan: Iterable[PlannedSupport] | None = None
) -> list[ReviewSchedule]:
    """The review dates of every agreement with consent whose support is not withdrawn."""
    weeks = school_weeks(scenario)
    rows = plan_rows(scenario, plan)
    details = {d.case_id: d for d in scenario.details}
    every = scenario.settings.reviews.every_weeks
    schedules = []
    for agreement in scenario.agreements:
        row = rows.get(agreement.case_id)
        if not agreement.consent.plannable or (row and row.status == PlanStatus.WITHDRAWN):
            continue
        start, end, planned = _window(scenario, agreement, row, weeks)
        agreed = details.get(agreement.case_id)
        dates: tuple[date, ...]
        basis: ReviewBasis
        if agreed is not None and agreed.review_date is not None:
            dates, basis = (agreed.review_date,), "details"
        else:
            dates, basis = _every(weeks, start, end, every), "plan" if planned else "estimated"
        schedules.append(
            ReviewSchedule(
                case_id=agreement.case_id,
                district=scenario.school_by_urn[agreement.school_urn].district,
                need_type=agreement.need_type,
                start=start,
                end=end,
                basis=basis,
                dates=dates,
            )
        )
    return schedules


def _recorded(scenario: Scenario) -> dict[str, date]:
    """The latest day a measure was recorded for each case."""
    latest: dict[str, date] = {}
    for review in scenario.reviews:
        if review.case_id not in latest or review.date > latest[review.case_id]:
            latest[review.case_id] = review.date
    return latest


def _open_dates(
    scenario: Scenario, schedules: Iterable[ReviewSchedule]
) -> list[tuple[ReviewSchedule, date]]:
    """Each scheduled date with no measure recorded for its case on or after it."""
    latest = _recorded(scenario)
    return [
        (s, day)
        for s in schedules
        for day in s.dates
        if s.case_id not in latest or latest[s.case_id] < day
    ]


def due_in_week(
    scenario: Scenario, schedules: Iterable[ReviewSchedule], week: date
) -> list[ReviewDue]:
    """The reviews falling in the week of `week` and not yet done."""
    monday = week_start(week)
    return [
        ReviewDue(case_id=s.case_id, district=s.district, due_on=day, status="due", basis=s.basis)
        for s, day in _open_dates(scenario, schedules)
        if monday <= day < monday + timedelta(days=7)
    ]


def overdue(
    scenario: Scenario, schedules: Iterable[ReviewSchedule], today: date
) -> list[ReviewDue]:
    """The reviews due before `today` with no measure recorded on or after their date."""
    return [
        ReviewDue(
            case_id=s.case_id, district=s.district, due_on=day, status="overdue", basis=s.basis
        )
        for s, day in _open_dates(scenario, schedules)
        if day < today
    ]


def reviews_due(
    scenario: Scenario, schedules: Sequence[ReviewSchedule], today: date
) -> list[ReviewDue]:
    """This week's reviews from `today` on (due) and every earlier one not done (overdue), by date."""
    due = [r for r in due_in_week(scenario, schedules, today) if r.due_on >= today]
    rows = [*overdue(scenario, schedules, today), *due]
    return sorted(rows, key=lambda r: (r.due_on, r.district, r.case_id))


def case_progress(scenario: Scenario) -> list[CaseProgress]:
    """Each measure with an entry and an exit value, per case."""
    agreements = {a.case_id: a for a in scenario.agreements}
    marks: dict[tuple[str, str], dict[ReviewKind, float]] = defaultdict(dict)
    for review in scenario.reviews:
        if review.kind != ReviewKind.REVIEW and review.case_id in agreements:
            marks[(review.case_id, review.measure)][review.kind] = review.value
    rows = []
    for (case_id, measure), values in marks.items():
        if ReviewKind.ENTRY in values and ReviewKind.EXIT in values:
            agreement = agreements[case_id]
            rows.append(
                CaseProgress(
                    case_id=case_id,
                    district=scenario.school_by_urn[agreement.school_urn].district,
                    need_type=agreement.need_type,
                    measure=measure,
                    entry=values[ReviewKind.ENTRY],
                    exit=values[ReviewKind.EXIT],
                )
            )
    return sorted(rows, key=lambda p: (p.case_id, p.measure))


def progress_by_need(progress: Iterable[CaseProgress]) -> list[NeedProgress]:
    """Mean entry, exit and change per need type and measure (need types in the prospectus's order)."""
    groups: dict[tuple[NeedType, str], list[CaseProgress]] = defaultdict(list)
    for p in progress:
        groups[(p.need_type, p.measure)].append(p)
    order = list(NeedType)
    return [
        NeedProgress(
            need_type=need,
            measure=measure,
            cases=len(items),
            mean_entry=fmean(p.entry for p in items),
            mean_exit=fmean(p.exit for p in items),
            mean_change=fmean(p.change for p in items),
        )
        for (need, measure), items in sorted(
            groups.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1])
        )
    ]


def _role(scenario: Scenario, row: PlannedSupport) -> str:
    person = scenario.person_by_id.get(row.person_id)
    if person is None:
        return "specialist (not in people.csv)"
    team = f"{person.team} county team" if person.team in scenario.pools else f"{person.team} team"
    return f"{person.role.value.replace('_', ' ').capitalize()}, {team}"


def agreement_document(
    scenario: Scenario, case_id: str, plan: Iterable[PlannedSupport] | None = None
) -> AgreementDocument:
    """What the written agreement of `case_id` shows; raises `UnknownCase` for an unknown case."""
    agreement = next((a for a in scenario.agreements if a.case_id == case_id), None)
    if agreement is None:
        raise UnknownCase(case_id)
    row = plan_rows(scenario, plan).get(case_id)
    live = row is not None and row.status != PlanStatus.WITHDRAWN
    details = next(
        (d for d in scenario.details if d.case_id == case_id), AgreementDetails(case_id=case_id)
    )
    schedule = next((s for s in review_schedules(scenario, plan) if s.case_id == case_id), None)
    school = scenario.school_by_urn[agreement.school_urn]
    return AgreementDocument(
        case_id=case_id,
        school=school.name,
        district=school.district,
        need_type=agreement.need_type,
        agreed_on=agreement.agreed_on,
        minutes_per_week=agreement.minutes_per_week,
        weeks=agreement.weeks,
        start=row.start if row is not None and live else None,
        end=row.end if row is not None and live else None,
        status=None if row is None else row.status.value,
        specialist_role=_role(scenario, row) if row is not None and live else None,
        details=details,
        review_dates=schedule.dates if schedule is not None else (),
        every_weeks=scenario.settings.reviews.every_weeks,
    )
