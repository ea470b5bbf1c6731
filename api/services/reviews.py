"""Reviews of agreed support: the reviews due and overdue, measures recorded at entry, review and exit
(checked as reviews.csv's rows are), progress from entry to exit, and the written agreement's text
and document. A thin face over `allocator.pipeline.reviews`; cases by reference only."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from allocator.model import AgreementDetails, Review, Scenario, clip_to_year, week_start
from allocator.model.details import AgreementDocument, review_date_bounds
from allocator.model.reviews import ReviewDue
from allocator.model.settings import year_bounds
from allocator.pipeline.reviews import (
    agreement_document,
    case_progress,
    progress_by_need,
    review_schedules,
    reviews_due,
)
from api import audit
from api.convert import (
    details_json,
    review_row,
    to_agreement,
    to_details,
    to_planned_support,
    to_review,
)
from api.db.models import AgreementRow, ReviewRow, ScenarioRow, User
from api.schemas.reviews import (
    CaseProgressOut,
    DetailsIn,
    DetailsOut,
    DueOut,
    NeedProgressOut,
    ProgressOut,
    ReviewIn,
    ReviewsDueOut,
)
from api.scope import Scope
from api.services.errors import Conflict, FieldError, Invalid, NotFound, field_error
from api.store import (
    OPEN,
    ScenarioCache,
    case_reviews,
    current_plan,
    live_scenario,
    today,
)


def case_row(session: Session, scenario_id: int, case_id: str, scope: Scope) -> AgreementRow:
    """The case `case_id`; NotFound when it does not exist or is not in your districts."""
    row = session.scalars(
        select(AgreementRow).where(
            AgreementRow.scenario_id == scenario_id, AgreementRow.case_id == case_id
        )
    ).first()
    if row is None or row.district not in scope.districts:
        raise NotFound(f"case {case_id} not found")
    return row


# Reviews due ----------------------------------------------------------------------------------


def due_out(
    session: Session,
    cache: ScenarioCache,
    scenario: ScenarioRow,
    scope: Scope,
    district: str | None,
    on: date | None,
) -> ReviewsDueOut:
    """This week's reviews from `on` (default today, moved into the scenario's year) and every
    earlier one not done, of the open cases of the districts asked about."""
    districts = set(scope.pick(district))
    live = live_scenario(session, cache, scenario)
    day, note = clip_to_year(live.terms, on if on is not None else today())
    schedules = [s for s in review_schedules(live) if s.district in districts]
    found = reviews_due(live, schedules, day)
    agreements = {a.case_id: a for a in live.agreements}
    people = {p.case_id: p.person_id for p in live.current_plan}

    def shown(item: ReviewDue) -> DueOut:
        agreement = agreements[item.case_id]
        person = live.person_by_id.get(people.get(item.case_id, ""))
        return DueOut(
            case_id=item.case_id,
            district=item.district,
            school_name=live.school_by_urn[agreement.school_urn].name,
            need_type=agreement.need_type.value,
            person_name=person.name if person is not None else None,
            due_on=item.due_on,
            status=item.status,
            basis=item.basis,
        )

    return ReviewsDueOut(
        on=day,
        note=note,
        week_start=week_start(day),
        due=[shown(r) for r in found if r.status == "due"],
        overdue=[shown(r) for r in found if r.status == "overdue"],
    )


# Measures -------------------------------------------------------------------------------------


def _check_review(session: Session, academic_year: str, case: AgreementRow, review: Review) -> None:
    """The rules of reviews.csv for one more row: dated within a year of the academic year and not
    before the agreement; one entry and one exit per measure, the exit not before the entry."""
    first, last = year_bounds(academic_year)
    low, high = first.replace(year=first.year - 1), last.replace(year=last.year + 1)
    at = ["body", "date"]
    if not low <= review.date <= high:
        raise field_error(
            at,
            f"a date within a year of the academic year ({low:%d/%m/%Y} to {high:%d/%m/%Y})",
            review.date.isoformat(),
        )
    if review.date < case.agreed_on:
        raise field_error(
            at,
            f"a date on or after the day support was agreed ({case.agreed_on:%d/%m/%Y})",
            review.date.isoformat(),
        )
    if review.kind.value == "review":
        return
    marks = {
        r.kind: r.date
        for r in case_reviews(session, case.scenario_id, [case.case_id])
        if r.measure == review.measure and r.kind != "review"
    }
    if review.kind.value in marks:
        raise field_error(
            ["body", "kind"],
            f"one {review.kind.value} of '{review.measure}' per case (it is already recorded, "
            f"on {marks[review.kind.value]:%d/%m/%Y})",
            review.kind.value,
        )
    entry = review.date if review.kind.value == "entry" else marks.get("entry")
    exit_ = review.date if review.kind.value == "exit" else marks.get("exit")
    if entry is not None and exit_ is not None and exit_ < entry:
        raise field_error(
            at,
            f"the entry of '{review.measure}' on or before its exit "
            f"(entry {entry:%d/%m/%Y}, exit {exit_:%d/%m/%Y})",
            review.date.isoformat(),
        )


def record_review(
    session: Session, scenario: ScenarioRow, scope: Scope, user: User, body: ReviewIn
) -> ReviewRow:
    """Add a measure of a case in your districts (the caller commits)."""
    case = case_row(session, scenario.id, body.case_id, scope)
    data: dict[str, Any] = body.model_dump(mode="json")
    if not data["note"]:
        data.pop("note")
    try:
        review = Review.model_validate(data)
    except ValidationError as error:
        raise Invalid(
            [
                FieldError(
                    loc=["body", *[str(p) for p in e["loc"]]],
                    msg=str(e["msg"]),
                    type=str(e["type"]),
                )
                for e in error.errors()
            ]
        ) from None
    _check_review(session, scenario.academic_year, case, review)
    row = review_row(scenario.id, case.district, review)
    session.add(row)
    session.flush()
    audit.record(
        session,
        user,
        "review.record",
        "agreement",
        case.case_id,
        scenario.id,
        {"date": review.date.isoformat(), "kind": review.kind.value, "measure": review.measure},
    )
    return row


def list_reviews(
    session: Session,
    scenario_id: int,
    scope: Scope,
    case_id: str | None,
    district: str | None,
) -> list[ReviewRow]:
    """The measures recorded for a case, or for every case of the districts asked about."""
    if case_id is not None:
        case_row(session, scenario_id, case_id, scope)
        return case_reviews(session, scenario_id, [case_id])
    districts = scope.pick(district)
    return list(
        session.scalars(
            select(ReviewRow)
            .where(ReviewRow.scenario_id == scenario_id, ReviewRow.district.in_(districts))
            .order_by(ReviewRow.date, ReviewRow.id)
        )
    )


# Progress -------------------------------------------------------------------------------------


def progress_out(
    session: Session, base: Scenario, scenario_id: int, scope: Scope, district: str | None
) -> ProgressOut:
    """Entry to exit of every case (open or closed) of the districts asked about: per case and
    measure, and the means by need type and measure."""
    districts = scope.pick(district)
    rows = list(
        session.scalars(
            select(AgreementRow).where(
                AgreementRow.scenario_id == scenario_id, AgreementRow.district.in_(districts)
            )
        )
    )
    cases = {r.case_id for r in rows}
    reviews = [to_review(r) for r in case_reviews(session, scenario_id) if r.case_id in cases]
    counted = base.model_copy(
        update={"agreements": tuple(to_agreement(r) for r in rows), "reviews": tuple(reviews)}
    )
    each = case_progress(counted)
    return ProgressOut(
        by_need=[
            NeedProgressOut(
                need_type=p.need_type.value,
                measure=p.measure,
                cases=p.cases,
                mean_entry=p.mean_entry,
                mean_exit=p.mean_exit,
                mean_change=p.mean_change,
            )
            for p in progress_by_need(each)
        ],
        cases=[
            CaseProgressOut(
                case_id=p.case_id,
                district=p.district,
                need_type=p.need_type.value,
                measure=p.measure,
                entry=p.entry,
                exit=p.exit,
                change=p.change,
            )
            for p in each
        ],
    )


# The written agreement ------------------------------------------------------------------------


def _with_case(session: Session, live: Scenario, case: AgreementRow) -> Scenario:
    """The live scenario, with a closed case and its last plan row put back (for its document)."""
    if case.status == OPEN:
        return live
    plan = current_plan(session, case.scenario_id, [case.district], {case.case_id})
    details = to_details(case)
    return live.model_copy(
        update={
            "agreements": (*live.agreements, to_agreement(case)),
            "details": (*live.details, *([details] if details is not None else [])),
            "current_plan": (*live.current_plan, *(to_planned_support(p) for p in plan)),
        }
    )


def document(
    session: Session, cache: ScenarioCache, scenario: ScenarioRow, scope: Scope, case_id: str
) -> AgreementDocument:
    """What the written agreement of a case in your districts shows (the plan in use)."""
    case = case_row(session, scenario.id, case_id, scope)
    live = _with_case(session, live_scenario(session, cache, scenario), case)
    return agreement_document(live, case_id)


def details_out(
    session: Session, cache: ScenarioCache, scenario: ScenarioRow, scope: Scope, case_id: str
) -> DetailsOut:
    """A case's written agreement text, and the review dates of the default schedule."""
    doc = document(session, cache, scenario, scope, case_id)
    case = case_row(session, scenario.id, case_id, scope)
    d = doc.details
    return DetailsOut(
        case_id=case.case_id,
        district=case.district,
        school_name=doc.school,
        status=case.status,
        agreed_on=case.agreed_on,
        support=d.support,
        criteria=d.criteria,
        entry_strategy=d.entry_strategy,
        exit_strategy=d.exit_strategy,
        expected_outcomes=d.expected_outcomes,
        progress_measures=d.progress_measures,
        evidence=d.evidence,
        review_date=d.review_date,
        review_dates=list(doc.review_dates),
        weeks=doc.weeks,
        minutes_per_week=doc.minutes_per_week,
        start=doc.start,
        end=doc.end,
        specialist_role=doc.specialist_role,
    )


def save_details(
    session: Session,
    scenario: ScenarioRow,
    scope: Scope,
    user: User,
    case_id: str,
    body: DetailsIn,
) -> None:
    """Replace the written agreement's text of an open case in your districts (the caller commits);
    blank items are not recorded. The review date lies within or just after the academic year (to
    31 December following) and not before the day support was agreed."""
    case = case_row(session, scenario.id, case_id, scope)
    if case.status != OPEN:
        raise Conflict(f"case {case_id} is closed")
    day = body.review_date
    if day is not None:
        low, high = review_date_bounds(scenario.academic_year)
        if not low <= day <= high:
            raise field_error(
                ["body", "review_date"],
                f"a date within or just after the academic year ({low:%d/%m/%Y} to "
                f"{high:%d/%m/%Y})",
                day.isoformat(),
            )
        if day < case.agreed_on:
            raise field_error(
                ["body", "review_date"],
                f"a date on or after the day support was agreed ({case.agreed_on:%d/%m/%Y})",
                day.isoformat(),
            )
    try:
        details = AgreementDetails.model_validate({**body.model_dump(), "case_id": case_id})
    except ValidationError as error:
        raise Invalid(
            [
                FieldError(
                    loc=["body", *[str(p) for p in e["loc"]]],
                    msg=str(e["msg"]),
                    type=str(e["type"]),
                )
                for e in error.errors()
            ]
        ) from None
    stored = details_json(details)
    before = set((case.details or {}).items())
    case.details = stored or None
    changed = sorted({k for k, _ in before ^ set(stored.items())})
    audit.record(
        session, user, "agreement.details", "agreement", case_id, scenario.id, {"items": changed}
    )
