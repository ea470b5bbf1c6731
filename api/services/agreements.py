"""Cases: adding one (its school in your district, its case id new, its consent valid). A case's
record is in `case_record`, new agreements from a file in `agreement_files`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from allocator.model import Agreement, Scenario
from allocator.model.settings import year_bounds
from api import audit
from api.convert import agreement_row
from api.db.models import (
    AgreementRow,
    User,
)
from api.schemas.agreements import (
    AgreementIn,
)
from api.scope import Scope
from api.services.errors import Conflict, FieldError, Invalid, NotFound, field_error
from api.services.requests import check_request_link
from api.store import AGREEMENT_FIELDS

Loc = Sequence[str | int]


def district_of(base: Scenario, urn: int, scope: Scope, at: Loc) -> str:
    """The district of school `urn`; a 422 at `at` when it is unknown or outside your districts
    (the same answer for both when you see one district: another district's school is not shown)."""
    school = base.school_by_urn.get(urn)
    if school is None or school.district not in scope.districts:
        expected = (
            "a urn of the scenario's schools" if scope.county else "a school of your district"
        )
        raise field_error([*at, "school_urn"], expected, urn)
    return school.district


def domain(data: dict[str, Any], at: Loc) -> Agreement:
    """The domain agreement; its validation errors as 422 entries under `at`."""
    try:
        return Agreement.model_validate(data)
    except ValidationError as error:
        raise Invalid(
            [
                FieldError(
                    loc=[*at, *[str(p) for p in e["loc"]]],
                    msg=str(e["msg"]),
                    type=str(e["type"]),
                    input=data.get(str(e["loc"][0])) if e["loc"] else None,
                )
                for e in error.errors()
            ]
        ) from None


def audit_fields(data: dict[str, Any]) -> dict[str, Any]:
    """What an audit entry keeps of an agreement: its contract fields (no names exist to keep)."""
    return {k: v for k, v in data.items() if k in AGREEMENT_FIELDS}


def year_window(base: Scenario) -> tuple[date, date]:
    """The days a case's dates may take: within a year of the scenario's academic year (as the
    scenario's own rule has it; a later date would make the whole scenario unreadable)."""
    first, last = year_bounds(base.settings.academic_year)
    return first.replace(year=first.year - 1), last.replace(year=last.year + 1)


def window_words(base: Scenario) -> str:
    """What `year_window` allows, in words."""
    low, high = year_window(base)
    return (
        f"a date within a year of the academic year {base.settings.academic_year} "
        f"({low:%d/%m/%Y} to {high:%d/%m/%Y})"
    )


def check_in_year(base: Scenario, day: date, at: Loc) -> None:
    """422 at `at` when `day` is outside `year_window`."""
    low, high = year_window(base)
    if not low <= day <= high:
        raise field_error(list(at), window_words(base), f"{day:%d/%m/%Y}")


def add_agreement(
    session: Session,
    base: Scenario,
    scenario_id: int,
    body: AgreementIn,
    scope: Scope,
    user: User,
    at: Loc = ("body",),
) -> AgreementRow:
    """Add a new case to `session` with its audit entry (the caller commits)."""
    district = district_of(base, body.school_urn, scope, at)
    check_in_year(base, body.agreed_on, [*at, "agreed_on"])
    check_request_link(base, scope, body.request_id, body.agreed_on, at)
    exists = session.scalars(
        select(AgreementRow.district).where(
            AgreementRow.scenario_id == scenario_id, AgreementRow.case_id == body.case_id
        )
    ).first()
    if exists is not None:
        if exists not in scope.districts:
            # Another district's case: the same 404 as reading it, so its existence is not told.
            raise NotFound(f"case {body.case_id} not found")
        raise Conflict(f"case {body.case_id} already exists")
    agreement = domain(body.model_dump(), at)
    row = agreement_row(scenario_id, district, agreement)
    session.add(row)
    session.flush()
    audit.record(
        session,
        user,
        "agreement.create",
        "agreement",
        body.case_id,
        scenario_id,
        audit_fields(agreement.model_dump(mode="json")),
    )
    return row
