"""Scenarios, agreements and plans between the database and the domain model (the row converters
are in `api.convert`).

A scenario row holds the validated county without its agreements, their written agreements' text,
reviews and plan; agreements live one row per case (with the text in `AgreementRow.details`), each
measure of a case one row of `case_reviews`, and the current plan is each district's newest accepted
plan (`api.decisions`; an imported current plan is accepted as it is stored), so the scenario the
planners see is always put together from the live rows.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import date
from threading import Lock
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from allocator.caseload.data import consent_withdrawn_rows
from allocator.io import AGREEMENT_COLUMNS
from allocator.model import Agreement, AgreementDetails, Scenario, ScenarioError, clip_to_year
from allocator.model.cases import CONSENT_WITHDRAWN
from allocator.model.summary import district_summary
from api.convert import (
    agreement_row,
    details_json,
    planned_row,
    review_row,
    to_agreement,
    to_details,
    to_planned_support,
    to_review,
)
from api.db.models import (
    AgreementRow,
    AssignmentRow,
    PlanRow,
    ReviewRow,
    ScenarioRow,
    User,
    WaitingRow,
)
from api.decisions import ACCEPT, accepted_sources, decide

OPEN = "open"
CLOSED = "closed"

AGREEMENT_FIELDS = AGREEMENT_COLUMNS


class ScenarioCache:
    """The county part of stored scenarios, validated once and kept (scenario rows never change)."""

    def __init__(self, size: int = 8) -> None:
        self._size = size
        self._items: OrderedDict[int, Scenario] = OrderedDict()
        self._summaries: dict[int, list[dict[str, str | int]]] = {}
        self._lock = Lock()

    def base(self, row: ScenarioRow) -> Scenario:
        """The county of `row` (no agreements, no plan)."""
        with self._lock:
            found = self._items.get(row.id)
            if found is not None:
                self._items.move_to_end(row.id)
                return found
        scenario = Scenario.model_validate(row.content)
        with self._lock:
            self._items[row.id] = scenario
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return scenario

    def summary(self, row: ScenarioRow) -> list[dict[str, str | int]]:
        """The county's per-district counts (schools, groups, slots, people), computed once."""
        with self._lock:
            found = self._summaries.get(row.id)
        if found is None:
            found = district_summary(self.base(row))
            with self._lock:
                self._summaries[row.id] = found
        return [dict(r) for r in found]

    def forget(self, scenario_id: int) -> None:
        """Drop a scenario (e.g. after it is deleted)."""
        with self._lock:
            self._items.pop(scenario_id, None)
            self._summaries.pop(scenario_id, None)


def today() -> date:
    """The service's date: the day consent withdrawn now takes effect (a function tests can set)."""
    return date.today()


def job_today(params: dict[str, Any], scenario: Scenario) -> date:
    """A job's `today`: the one stored in its params, else the service's date in the scenario's year."""
    given = params.get("today")
    if given:
        return date.fromisoformat(str(given))
    return clip_to_year(scenario.terms, today())[0]


def today_params(scenario: Scenario, given: date | None) -> dict[str, Any]:
    """A job's `today` for its params: `given`, else the service's date, clipped into the scenario's
    year (with `today_note` saying so when it was clipped)."""
    day, note = clip_to_year(scenario.terms, given if given is not None else today())
    return {"today": day.isoformat(), **({"today_note": note} if note else {})}


def agreement_district(base: Scenario, agreement: Agreement) -> str:
    """The district of the agreement's school (a pooled case still belongs to its school's district)."""
    return base.school_by_urn[agreement.school_urn].district


def save_scenario(
    session: Session, scenario: Scenario, notes: Sequence[str], user: User | None
) -> ScenarioRow:
    """Store a validated scenario: the county, one row per agreement (with its written agreement's
    text), one row per measure of reviews.csv, and its current plan."""
    base = scenario.model_copy(
        update={"agreements": (), "current_plan": (), "details": (), "reviews": ()}
    )
    row = ScenarioRow(
        name=scenario.settings.name,
        academic_year=scenario.settings.academic_year,
        districts=list(scenario.district_names),
        content=base.model_dump(mode="json"),
        notes=list(notes),
        created_by=user.id if user else None,
    )
    session.add(row)
    session.flush()
    district_of = {a.case_id: agreement_district(scenario, a) for a in scenario.agreements}
    texts = {d.case_id: details_json(d) for d in scenario.details}
    for agreement in scenario.agreements:
        stored = agreement_row(row.id, district_of[agreement.case_id], agreement)
        stored.details = texts.get(agreement.case_id) or None
        session.add(stored)
    session.add_all(review_row(row.id, district_of[r.case_id], r) for r in scenario.reviews)
    if scenario.current_plan:
        plan = PlanRow(
            scenario_id=row.id,
            kind="import",
            districts=list(scenario.district_names),
            summary={"source": "current_plan.csv"},
            created_by=user.id if user else None,
        )
        by_case = {a.case_id: a for a in scenario.agreements}
        # A row for a case without consent is shown withdrawn (docs/service.md, Data protection).
        kept, dropped = consent_withdrawn_rows(scenario, scenario.current_plan, today())
        for support in dropped.values():
            plan.waiting.append(
                WaitingRow(
                    case_id=support.case_id,
                    district=district_of[support.case_id],
                    reason=(
                        f"{CONSENT_WITHDRAWN}: the support planned with {support.person_id} "
                        f"from {support.start.isoformat()} is dropped"
                    ),
                )
            )
        for support in kept.values():
            agreement = by_case[support.case_id]
            plan.assignments.append(
                planned_row(
                    support,
                    district_of[support.case_id],
                    scenario.team_of(agreement),
                    agreement.minutes_per_week,
                )
            )
        session.add(plan)
        session.flush()
        for district in scenario.district_names:
            decide(session, row.id, "caseload", plan.id, district, ACCEPT, user)
    session.flush()
    return row


def latest_plan_ids(session: Session, scenario_id: int, districts: Iterable[str]) -> dict[str, int]:
    """For each district, the plan in use (its newest accepted plan)."""
    return accepted_sources(session, scenario_id, "caseload", districts)


def open_agreements(
    session: Session, scenario_id: int, districts: Iterable[str] | None = None
) -> list[AgreementRow]:
    """Open agreements of a scenario (of `districts`, if given), by case id."""
    query = select(AgreementRow).where(
        AgreementRow.scenario_id == scenario_id, AgreementRow.status == OPEN
    )
    if districts is not None:
        query = query.where(AgreementRow.district.in_(list(districts)))
    return list(session.scalars(query.order_by(AgreementRow.id)))


def open_case_ids(session: Session, scenario_id: int, districts: Iterable[str]) -> set[str]:
    """Case ids of the open agreements of `districts`."""
    return set(
        session.scalars(
            select(AgreementRow.case_id).where(
                AgreementRow.scenario_id == scenario_id,
                AgreementRow.status == OPEN,
                AgreementRow.district.in_(list(districts)),
            )
        )
    )


def current_plan(
    session: Session, scenario_id: int, districts: Iterable[str], cases: set[str]
) -> list[AssignmentRow]:
    """The current plan's assignments of `districts` (newest plan per district) for `cases`."""
    latest = latest_plan_ids(session, scenario_id, districts)
    rows: list[AssignmentRow] = []
    for district, plan_id in latest.items():
        rows += session.scalars(
            select(AssignmentRow).where(
                AssignmentRow.plan_id == plan_id, AssignmentRow.district == district
            )
        )
    return [r for r in rows if r.case_id in cases]


def case_reviews(
    session: Session, scenario_id: int, cases: Iterable[str] | None = None
) -> list[ReviewRow]:
    """The measures recorded in a scenario (of `cases`, if given), by date and order recorded."""
    query = select(ReviewRow).where(ReviewRow.scenario_id == scenario_id)
    if cases is not None:
        query = query.where(ReviewRow.case_id.in_(sorted(set(cases))))
    return list(session.scalars(query.order_by(ReviewRow.date, ReviewRow.id)))


def _dated(details: AgreementDetails, agreed_on: date) -> AgreementDetails:
    """The text without a review date that an edit of `agreed_on` has left before the agreement."""
    if details.review_date is not None and details.review_date < agreed_on:
        return details.model_copy(update={"review_date": None})
    return details


def _scenario_error(error: ValidationError) -> Exception:
    """The `ScenarioError` inside a validation error of the whole scenario (else the error)."""
    for item in error.errors():
        found = (item.get("ctx") or {}).get("error")
        if isinstance(found, ScenarioError):
            return found
    return error


def live_scenario(session: Session, cache: ScenarioCache, row: ScenarioRow) -> Scenario:
    """The scenario as the planners see it now: the county, open agreements with their written
    agreements' text and reviews, and the current plan. (A review date or measure an edit of
    `agreed_on` has left before its agreement is not passed on, so the planners still run.)"""
    base = cache.base(row)
    agreements = open_agreements(session, row.id)
    cases = {a.case_id for a in agreements}
    plan = current_plan(session, row.id, base.district_names, cases)
    data: dict[str, Any] = dict(row.content)
    data["agreements"] = [to_agreement(a).model_dump(mode="json") for a in agreements]
    agreed = {a.case_id: a.agreed_on for a in agreements}
    data["details"] = [
        _dated(d, agreed[d.case_id]).model_dump(mode="json")
        for d in (to_details(a) for a in agreements)
        if d is not None
    ]
    data["reviews"] = [
        to_review(r).model_dump(mode="json")
        for r in case_reviews(session, row.id)
        if r.case_id in agreed and r.date >= agreed[r.case_id]
    ]
    data["current_plan"] = [to_planned_support(p).model_dump(mode="json") for p in plan]
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise _scenario_error(error) from None


def count_open(session: Session, scenario_id: int) -> int:
    """Open agreements of a scenario."""
    return (
        session.scalar(
            select(func.count())
            .select_from(AgreementRow)
            .where(AgreementRow.scenario_id == scenario_id, AgreementRow.status == OPEN)
        )
        or 0
    )
