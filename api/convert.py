"""Stored rows <-> domain objects, in one place: agreements (with their written agreement's text),
reviews, planned support, a plan's assignments, waiting cases and changes, and a rota's meetings.
(Rows as response schemas are in `api.views`.)"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from allocator.io import AGREEMENT_COLUMNS
from allocator.model import Agreement, AgreementDetails, PlannedSupport, PlanStatus, Review
from allocator.model.caseload_result import Assignment, CaseloadPlan, Change, Help, Waiting
from allocator.model.rota_result import Meeting
from api.db.models import (
    AgreementRow,
    AssignmentRow,
    ChangeRow,
    MeetingRow,
    ReviewRow,
    WaitingRow,
)


def agreement_row(scenario_id: int, district: str, agreement: Agreement) -> AgreementRow:
    """A new row for a validated agreement."""
    data = agreement.model_dump(mode="json")
    return AgreementRow(
        scenario_id=scenario_id,
        district=district,
        case_id=agreement.case_id,
        school_urn=agreement.school_urn,
        need_type=data["need_type"],
        sen_stage=data["sen_stage"],
        lac=agreement.lac,
        consent=data["consent"],
        agreed_on=agreement.agreed_on,
        minutes_per_week=agreement.minutes_per_week,
        weeks=agreement.weeks,
        priority=agreement.priority,
        request_id=agreement.request_id,
    )


def to_agreement(row: AgreementRow) -> Agreement:
    """The domain agreement of a row (with its request when known)."""
    data = {name: getattr(row, name) for name in AGREEMENT_COLUMNS}
    if row.request_id is not None:
        data["request_id"] = row.request_id
    return Agreement.model_validate(data)


def details_json(details: AgreementDetails) -> dict[str, Any]:
    """What `AgreementRow.details` keeps of a written agreement: its texts and review date (ISO),
    without the case id; items not recorded are left out."""
    data = details.model_dump(mode="json", exclude={"case_id"})
    return {k: v for k, v in data.items() if v is not None}


def to_details(row: AgreementRow) -> AgreementDetails | None:
    """The written agreement's text of a case, when recorded."""
    if not row.details:
        return None
    return AgreementDetails.model_validate({**row.details, "case_id": row.case_id})


def review_row(scenario_id: int, district: str, review: Review) -> ReviewRow:
    """A new row for a validated measure of a case."""
    return ReviewRow(
        scenario_id=scenario_id,
        case_id=review.case_id,
        district=district,
        date=review.date,
        kind=review.kind.value,
        measure=review.measure,
        value=review.value,
        note=review.note or "",
    )


def to_review(row: ReviewRow) -> Review:
    """The domain review (a reviews.csv row) of a stored measure."""
    data: dict[str, Any] = {
        "case_id": row.case_id,
        "date": row.date,
        "kind": row.kind,
        "measure": row.measure,
        "value": row.value,
    }
    if row.note:
        data["note"] = row.note
    return Review.model_validate(data)


def planned_row(
    support: PlannedSupport, district: str, team: str, minutes_per_week: int
) -> AssignmentRow:
    """A row of the current plan as imported (no travel known): its team and weekly minutes are
    those of its agreement."""
    return AssignmentRow(
        case_id=support.case_id,
        district=district,
        person_id=support.person_id,
        team=team,
        start=support.start,
        end=support.end,
        minutes_per_week=minutes_per_week,
        travel_minutes=0,
        status=support.status.value,
    )


def to_planned_support(row: AssignmentRow) -> PlannedSupport:
    """A stored assignment as a row of the current plan (who, from when to when, its status)."""
    return PlannedSupport(
        case_id=row.case_id,
        person_id=row.person_id,
        start=row.start,
        end=row.end,
        status=PlanStatus(row.status),
    )


def assignment_row(assignment: Assignment, district: str) -> AssignmentRow:
    """A new row for a planned assignment of a case in `district`."""
    return AssignmentRow(
        case_id=assignment.case_id,
        district=district,
        person_id=assignment.person_id,
        team=assignment.team,
        start=assignment.start,
        end=assignment.end,
        minutes_per_week=assignment.minutes_per_week,
        travel_minutes=assignment.travel_minutes,
        status=assignment.status.value,
    )


def to_assignment(row: AssignmentRow) -> Assignment:
    """The domain assignment of a row."""
    return Assignment(
        case_id=row.case_id,
        person_id=row.person_id,
        team=row.team,
        start=row.start,
        end=row.end,
        minutes_per_week=row.minutes_per_week,
        travel_minutes=row.travel_minutes,
        status=row.status,
    )


def waiting_row(waiting: Waiting, district: str) -> WaitingRow:
    """A new row for a waiting case in `district`."""
    return WaitingRow(
        case_id=waiting.case_id,
        district=district,
        reason=waiting.reason,
        earliest_possible_start=waiting.earliest_possible_start,
        help=waiting.help.model_dump(mode="json") if waiting.help else None,
    )


def to_waiting(row: WaitingRow) -> Waiting:
    """The domain waiting case of a row."""
    return Waiting(
        case_id=row.case_id,
        reason=row.reason,
        earliest_possible_start=row.earliest_possible_start,
        help=Help.model_validate(row.help) if row.help else None,
    )


def to_plan(assignments: Sequence[AssignmentRow], waiting: Sequence[WaitingRow]) -> CaseloadPlan:
    """Stored plan rows as a domain plan."""
    return CaseloadPlan(
        assignments=tuple(to_assignment(a) for a in assignments),
        waiting=tuple(to_waiting(w) for w in waiting),
    )


def change_row(change: Change, district: str) -> ChangeRow:
    """A new row for a rebalance's change to a case in `district`."""
    return ChangeRow(
        case_id=change.case_id,
        district=district,
        before_person=change.before_person,
        after_person=change.after_person,
        before_start=change.before_start,
        after_start=change.after_start,
        reason=change.reason,
        kind=change.kind,
        needed_by=change.needed_by,
    )


def to_change(row: ChangeRow) -> Change:
    """A stored change as a domain change."""
    return Change(
        case_id=row.case_id,
        before_person=row.before_person,
        after_person=row.after_person,
        before_start=row.before_start,
        after_start=row.after_start,
        reason=row.reason,
        kind=row.kind or "broken",
        needed_by=row.needed_by or "",
    )


def meeting_row(meeting: Meeting) -> MeetingRow:
    """A new row for a planned meeting (times as HH:MM, attendees joined by `;`)."""
    return MeetingRow(
        district=meeting.district,
        group=meeting.group,
        half_term=meeting.half_term,
        day=meeting.date,
        weekday=meeting.weekday,
        start=meeting.start.strftime("%H:%M"),
        end=meeting.end.strftime("%H:%M"),
        venue=meeting.venue,
        slot=meeting.slot,
        week=meeting.week,
        attendees=";".join(meeting.attendees),
        sequence=meeting.sequence,
    )


def to_meeting(row: MeetingRow) -> Meeting:
    """The domain meeting of a row."""
    return Meeting(
        district=row.district,
        group=row.group,
        half_term=row.half_term,
        date=row.day,
        weekday=row.weekday,
        start=row.start,
        end=row.end,
        venue=row.venue,
        slot=row.slot,
        week=row.week,
        attendees=row.attendees,
        sequence=row.sequence or 0,
    )
