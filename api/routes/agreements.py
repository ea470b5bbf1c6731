"""Agreements: create, read, update and close a case (a coordinator only in their own district)."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, HTTPException, Path, Query, Response, UploadFile
from sqlalchemy import select

from allocator.io.agreement_doc import agreement_html, agreement_pdf
from api import audit, store
from api.convert import to_agreement
from api.db.models import AgreementRow
from api.deps import (
    CacheDep,
    CurrentUser,
    Planner,
    ScenarioDep,
    ScopeDep,
    SessionDep,
    SettingsDep,
)
from api.errors import responses
from api.schemas.agreements import (
    AgreementClose,
    AgreementIn,
    AgreementOut,
    AgreementUpdate,
    CaseRecordOut,
    ImportOut,
    PreviewOut,
)
from api.scope import Scope
from api.services.agreement_files import import_file, preview_file
from api.services.agreements import add_agreement, check_in_year, district_of, domain
from api.services.case_record import case_record
from api.services.caseload import withdraw_consent
from api.services.errors import FieldError, Invalid, field_error
from api.services.reviews import document
from api.settings import Settings
from api.store import AGREEMENT_FIELDS, CLOSED, OPEN
from api.uploads import BadUpload, Limits

router = APIRouter(
    prefix="/api/scenarios/{scenario_id}/agreements",
    tags=["agreements"],
    responses=responses(401, 404, 422),
)

AgreementFile = Annotated[
    UploadFile,
    File(description="New agreements: a CSV (UTF-8) or XLSX (first sheet) with a header row"),
]
CaseIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]


def _get(session: Any, scenario_id: int, case_id: str, scope: Scope) -> AgreementRow:
    row = session.scalars(
        select(AgreementRow).where(
            AgreementRow.scenario_id == scenario_id, AgreementRow.case_id == case_id
        )
    ).first()
    if row is None or row.district not in scope.districts:
        raise HTTPException(404, f"case {case_id} not found")
    return row


@router.get("", response_model=list[AgreementOut])
def list_agreements(
    scenario: ScenarioDep,
    session: SessionDep,
    scope: ScopeDep,
    user: CurrentUser,
    status: Literal["open", "closed", "all"] = "open",
    district: Annotated[str | None, Query(max_length=200)] = None,
) -> list[AgreementRow]:
    """Agreements of the districts you see, by case id."""
    districts = scope.pick(district)
    query = select(AgreementRow).where(
        AgreementRow.scenario_id == scenario.id, AgreementRow.district.in_(districts)
    )
    if status != "all":
        query = query.where(AgreementRow.status == status)
    return list(session.scalars(query.order_by(AgreementRow.case_id)))


@router.post(
    "", response_model=AgreementOut, status_code=201, responses=responses(400, 403, 409, 413)
)
def create_agreement(
    body: AgreementIn,
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    scope: ScopeDep,
    user: Planner,
) -> AgreementRow:
    """Record a case agreed at a LIFT meeting (consent yes, no, or an exception with its reason)."""
    row = add_agreement(session, cache.base(scenario), scenario.id, body, scope, user)
    session.commit()
    return row


def _limits(settings: Settings) -> Limits:
    return Limits(
        total_bytes=settings.max_unzipped_bytes,
        file_bytes=settings.max_file_bytes,
        zip_members=settings.max_zip_entries,
    )


def _file(upload: UploadFile, settings: Settings) -> tuple[str, bytes]:
    """The uploaded file's name and bytes (read at most one byte past the limit)."""
    return upload.filename or "the file", upload.file.read(settings.max_file_bytes + 1)


@router.post("/preview", response_model=PreviewOut, responses=responses(400, 403, 413))
def preview_agreements(
    file: AgreementFile,
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
    scope: ScopeDep,
    user: Planner,
) -> PreviewOut:
    """What a file of new agreements (the agreements.csv columns; dates dd/mm/yyyy or yyyy-mm-dd)
    holds, row by row with each problem in plain words; nothing is stored. A file that is neither
    CSV nor XLSX is a 400, one too large (or of more than 2,000 rows) a 413."""
    name, data = _file(file, settings)
    try:
        out, _ = preview_file(
            session, cache.base(scenario), scenario.id, scope, name, data, _limits(settings)
        )
    except BadUpload as error:
        raise HTTPException(error.status, str(error)) from None
    return out


@router.post(
    "/import",
    response_model=ImportOut,
    status_code=201,
    responses=responses(400, 403, 409, 413),
)
def import_agreements(
    file: AgreementFile,
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
    scope: ScopeDep,
    user: Planner,
) -> ImportOut:
    """Add every agreement of a file, or none: any problem refuses the file (422, each at
    ["body", "file", row, column]). A coordinator adds cases of their own district's schools only."""
    name, data = _file(file, settings)
    try:
        out = import_file(
            session, cache.base(scenario), scenario.id, scope, user, name, data, _limits(settings)
        )
    except BadUpload as error:
        raise HTTPException(error.status, str(error)) from None
    session.commit()
    return out


@router.get("/{case_id}/timeline", response_model=CaseRecordOut)
def case_timeline(
    case_id: CaseIdPath,
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    scope: ScopeDep,
    user: CurrentUser,
) -> CaseRecordOut:
    """A case's record: its fields, the support of the plan in use, and its events in date order
    (agreed, each change with who and when, each rebalance change with its reason, planned, started,
    finished) and each measure recorded at entry, a review or exit. 404 when the case is not in your
    district."""
    row = _get(session, scenario.id, case_id, scope)
    return case_record(session, cache.base(scenario), row, store.today())


DOCUMENT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
"""The written agreement's own policy: its one inline style block, nothing else."""


def _attachment(data: bytes, media_type: str, name: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Security-Policy": DOCUMENT_POLICY,
        },
    )


@router.get(
    "/{case_id}/agreement.html",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}, "description": "The written agreement"}},
)
def agreement_document_html(
    case_id: CaseIdPath,
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    scope: ScopeDep,
    user: CurrentUser,
) -> Response:
    """The written agreement for the school as one printable HTML page (the six items, the start
    date and specialist's role from the plan in use; every value escaped). 404 when the case is not
    in your district."""
    doc = document(session, cache, scenario, scope, case_id)
    page = agreement_html(doc).encode("utf-8")
    return _attachment(page, "text/html; charset=utf-8", f"agreement-{case_id}.html")


@router.get(
    "/{case_id}/agreement.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The written agreement"}},
)
def agreement_document_pdf(
    case_id: CaseIdPath,
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    scope: ScopeDep,
    user: CurrentUser,
) -> Response:
    """The written agreement for the school as an A4 PDF (as the HTML page). 404 when the case is
    not in your district."""
    doc = document(session, cache, scenario, scope, case_id)
    with tempfile.TemporaryDirectory(prefix="lift-agreement-") as folder:
        data = agreement_pdf(doc, FilePath(folder) / "agreement.pdf").read_bytes()
    return _attachment(data, "application/pdf", f"agreement-{case_id}.pdf")


@router.get("/{case_id}", response_model=AgreementOut)
def get_agreement(
    case_id: CaseIdPath,
    scenario: ScenarioDep,
    session: SessionDep,
    scope: ScopeDep,
    user: CurrentUser,
) -> AgreementRow:
    """One case (404 when it is not in your district)."""
    return _get(session, scenario.id, case_id, scope)


@router.patch("/{case_id}", response_model=AgreementOut, responses=responses(400, 403, 409, 413))
def update_agreement(
    case_id: CaseIdPath,
    body: AgreementUpdate,
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    scope: ScopeDep,
    user: Planner,
) -> AgreementRow:
    """Change fields of an open case; the audit log keeps what changed from what.

    Consent `no` takes effect at once, in the same transaction: in the plan in use, support not yet
    begun is dropped and support that has begun stops today, with the reason "consent withdrawn"."""
    row = _get(session, scenario.id, case_id, scope)
    district_before = row.district
    if row.status != OPEN:
        raise HTTPException(409, f"case {case_id} is closed")
    changes = body.model_dump(exclude_unset=True)
    if any(value is None for value in changes.values()):
        nulls = [k for k, v in changes.items() if v is None]
        raise Invalid(
            [
                FieldError(loc=["body", k], msg="a value (not null)", type="value_error")
                for k in nulls
            ]
        )
    current = to_agreement(row).model_dump(mode="json")
    updated = domain({**current, **body.model_dump(mode="json", exclude_unset=True)}, ["body"])
    check_in_year(cache.base(scenario), updated.agreed_on, ["body", "agreed_on"])
    if "school_urn" in changes:
        row.district = district_of(cache.base(scenario), updated.school_urn, scope, ["body"])
    after = updated.model_dump(mode="json")
    diff = {k: {"from": current[k], "to": after[k]} for k in after if after[k] != current[k]}
    for name in AGREEMENT_FIELDS:
        if name != "case_id":
            value = getattr(updated, name)
            setattr(
                row, name, after[name] if name in {"need_type", "sen_stage", "consent"} else value
            )
    audit.record(session, user, "agreement.update", "agreement", case_id, scenario.id, diff)
    if not updated.consent.plannable:
        withdraw_consent(session, scenario.id, case_id, district_before, user)
    session.commit()
    return row


@router.post(
    "/{case_id}/close", response_model=AgreementOut, responses=responses(400, 403, 409, 413)
)
def close_agreement(
    case_id: CaseIdPath,
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    scope: ScopeDep,
    user: Planner,
    body: AgreementClose | None = None,
) -> AgreementRow:
    """Close a case: it leaves every future plan and is purged once past its retention."""
    row = _get(session, scenario.id, case_id, scope)
    if row.status != OPEN:
        raise HTTPException(409, f"case {case_id} is already closed")
    closed_on = (body.closed_on if body else None) or date.today()
    check_in_year(cache.base(scenario), closed_on, ["body", "closed_on"])
    if closed_on < row.agreed_on:
        raise field_error(
            ["body", "closed_on"], f"a day on or after agreed_on ({row.agreed_on})", str(closed_on)
        )
    row.status = CLOSED
    row.closed_on = closed_on
    audit.record(
        session,
        user,
        "agreement.close",
        "agreement",
        case_id,
        scenario.id,
        {"closed_on": closed_on.isoformat()},
    )
    session.commit()
    return row
