"""Cases: adding one (its school in your district, its case id new, its consent valid), its record
and timeline, and new agreements from a CSV or XLSX file (previewed, then added all or none)."""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import openpyxl
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from allocator.io.cells import unsafe_text
from allocator.model import Agreement, Scenario
from allocator.model.base import unsafe_character
from api import audit
from api.convert import agreement_row
from api.db.models import (
    AgreementRow,
    AssignmentRow,
    AuditRow,
    ChangeRow,
    DecisionRow,
    PlanRow,
    User,
    WaitingRow,
)
from api.decisions import ACCEPT
from api.errors import raised_at
from api.schemas.agreements import (
    AgreementIn,
    AgreementOut,
    CaseRecordOut,
    FieldChangeOut,
    ImportOut,
    PreviewOut,
    PreviewRowOut,
    RowProblemOut,
    SupportOut,
    TimelineEventOut,
)
from api.scope import Scope
from api.services.errors import Conflict, FieldError, Invalid, NotFound, field_error
from api.store import AGREEMENT_FIELDS, latest_plan_ids
from api.uploads import BadUpload, Limits, TooLarge, check_zip, shown

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


# The case record ------------------------------------------------------------------------------

LABELS = {
    "school_urn": "School",
    "need_type": "Need type",
    "sen_stage": "SEN stage",
    "lac": "Looked after",
    "consent": "Consent",
    "agreed_on": "Agreed on",
    "minutes_per_week": "Minutes a week",
    "weeks": "Weeks",
    "priority": "Priority",
    "closed_on": "Closed on",
}
"""Each agreement field's name for people."""
NO_REVIEWS = "No reviews recorded (the service does not keep reviews yet)."
_ROLES = {
    "county_officer": "county officer",
    "district_coordinator": "coordinator",
    "viewer": "viewer",
}
_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def dmy(day: date | str | None) -> str:
    """A day as people here write it: dd/mm/yyyy."""
    if day is None:
        return ""
    text = day.isoformat() if isinstance(day, date) else str(day)
    return _ISO_DAY.sub(lambda m: f"{m[3]}/{m[2]}/{m[1]}", text)


def _shown_value(base: Scenario, name: str, value: Any) -> str:
    if value is None:
        return ""
    if name == "school_urn":
        school = base.school_by_urn.get(int(value))
        return school.name if school is not None else str(value)
    if name == "lac":
        yes = value.strip().lower() in ("yes", "true") if isinstance(value, str) else bool(value)
        return "yes" if yes else "no"
    if name in ("agreed_on", "closed_on"):
        return dmy(str(value))
    if name == "priority":
        return {1: "1 urgent", 3: "3 routine"}.get(int(value), str(value))
    return str(value)


def _in_words(text: str, names: dict[str, str]) -> str:
    """A stored reason for people: staff by name, dates as dd/mm/yyyy."""
    for person_id in sorted(names, key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(person_id)}(?![\w-])", names[person_id], text)
    return dmy(text)


def _who(user: User | None, actor: str) -> str:
    if user is None:
        return actor
    return f"{user.name} ({_ROLES.get(user.role, user.role)})"


def case_record(session: Session, base: Scenario, row: AgreementRow, today: date) -> CaseRecordOut:
    """A case's fields, the support of the plan in use, and every event of the case in date order:
    agreed, recorded, each change (audit log) and each rebalance change (accepted plans), planned,
    started, closed or finished. Reviews are not recorded yet."""
    names = {p.person_id: p.name for p in base.people}
    school = base.school_by_urn.get(row.school_urn)
    audits = list(
        session.scalars(
            select(AuditRow)
            .where(
                AuditRow.scenario_id == row.scenario_id,
                AuditRow.entity == "agreement",
                AuditRow.entity_id == row.case_id,
            )
            .order_by(AuditRow.id)
        )
    )
    users = {
        u.id: u
        for u in session.scalars(
            select(User).where(User.id.in_(sorted({a.user_id for a in audits if a.user_id})))
        )
    }
    # As agreed: each field's value before its first change.
    first: dict[str, Any] = {}
    for entry in audits:
        if entry.action == "agreement.update" and entry.detail:
            for name, change in entry.detail.items():
                if isinstance(change, dict):
                    first.setdefault(name, change.get("from"))
    agreed = {
        name: first.get(name, getattr(row, name))
        for name in ("minutes_per_week", "weeks", "priority", "consent")
    }
    events: list[TimelineEventOut] = [
        TimelineEventOut(
            on=row.agreed_on,
            kind="agreed",
            title="Agreed at a LIFT meeting",
            detail=(
                f"{agreed['minutes_per_week']} minutes a week for {agreed['weeks']} weeks, "
                f"priority {_shown_value(base, 'priority', agreed['priority'])}, "
                f"consent {agreed['consent']}"
            ),
        )
    ]
    withdrawn_at: dict[int, datetime] = {}
    for entry in audits:
        who = _who(users.get(entry.user_id) if entry.user_id else None, entry.actor)
        detail = entry.detail or {}
        if entry.action == "agreement.create":
            events.append(
                TimelineEventOut(
                    on=entry.at.date(), at=entry.at, kind="recorded", title="Recorded", by=who
                )
            )
        elif entry.action == "agreement.update":
            changes = [
                FieldChangeOut(
                    field=name,
                    label=LABELS.get(name, name),
                    before=_shown_value(base, name, change.get("from")),
                    after=_shown_value(base, name, change.get("to")),
                )
                for name, change in detail.items()
                if isinstance(change, dict)
            ]
            events.append(
                TimelineEventOut(
                    on=entry.at.date(),
                    at=entry.at,
                    kind="changed",
                    title="Agreement changed",
                    detail="; ".join(f"{c.label}: {c.before} → {c.after}" for c in changes)
                    or "nothing changed",
                    by=who,
                    changes=changes,
                )
            )
        elif entry.action == "agreement.close":
            events.append(
                TimelineEventOut(
                    on=entry.at.date(),
                    at=entry.at,
                    kind="closed",
                    title="Closed",
                    detail=f"support finished on {dmy(detail.get('closed_on'))}",
                    by=who,
                )
            )
        elif entry.action == "caseload.consent_withdrawn" and "plan_id" in detail:
            withdrawn_at.setdefault(int(detail["plan_id"]), entry.at)
    events += _plan_events(session, row, names, withdrawn_at)
    support, waiting, in_use_at = _in_use(session, row, names)
    if support is not None and in_use_at is not None:
        events.append(
            TimelineEventOut(
                on=in_use_at.date(),
                at=in_use_at,
                kind="planned",
                title="Planned (the plan in use)",
                detail=(
                    f"with {support.person_name} from {dmy(support.start)} to {dmy(support.end)}"
                ),
            )
        )
    if waiting is not None and in_use_at is not None:
        events.append(
            TimelineEventOut(
                on=in_use_at.date(), at=in_use_at, kind="waiting", title="Waiting", detail=waiting
            )
        )
    if support is not None:
        if support.start <= today:
            events.append(
                TimelineEventOut(
                    on=support.start,
                    kind="started",
                    title="Support started",
                    detail=f"with {support.person_name}",
                )
            )
        if support.end < min(today, row.closed_on or today):
            events.append(
                TimelineEventOut(
                    on=support.end,
                    kind="finished",
                    title="Support ended",
                    detail=f"with {support.person_name}"
                    + (" (stopped: consent withdrawn)" if support.status == "withdrawn" else ""),
                )
            )
    if row.closed_on is not None:
        events.append(
            TimelineEventOut(
                on=row.closed_on, kind="finished", title="Finished", detail="the case is closed"
            )
        )
    order = {k: i for i, k in enumerate(KINDS)}
    events.sort(key=lambda e: (e.on, e.at is None, e.at or datetime.min, order[e.kind]))
    return CaseRecordOut(
        agreement=AgreementOut.model_validate(row),
        school_name=school.name if school is not None else str(row.school_urn),
        support=support,
        waiting=waiting,
        events=events,
        reviews=NO_REVIEWS,
    )


KINDS = (
    "agreed",
    "recorded",
    "changed",
    "rebalanced",
    "planned",
    "waiting",
    "started",
    "closed",
    "finished",
)
"""Event kinds, in the order they are listed on the same day."""


def _accepted(session: Session, scenario_id: int, district: str) -> dict[int, datetime]:
    """When each caseload plan of `district` was first accepted there."""
    found: dict[int, datetime] = {}
    for source, at in session.execute(
        select(DecisionRow.source_id, DecisionRow.decided_at)
        .where(
            DecisionRow.scenario_id == scenario_id,
            DecisionRow.job == "caseload",
            DecisionRow.action == ACCEPT,
            DecisionRow.district == district,
        )
        .order_by(DecisionRow.id)
    ):
        found.setdefault(source, at)
    return found


def _plan_events(
    session: Session, row: AgreementRow, names: dict[str, str], withdrawn_at: dict[int, datetime]
) -> list[TimelineEventOut]:
    """Each change of an accepted plan touching the case, with its reason."""
    accepted = _accepted(session, row.scenario_id, row.district)
    if not accepted:
        return []
    kinds = {
        p.id: p.kind for p in session.scalars(select(PlanRow).where(PlanRow.id.in_(list(accepted))))
    }
    events = []
    for change in session.scalars(
        select(ChangeRow)
        .where(
            ChangeRow.plan_id.in_(list(accepted)),
            ChangeRow.case_id == row.case_id,
            ChangeRow.district == row.district,
        )
        .order_by(ChangeRow.id)
    ):
        at = (
            withdrawn_at.get(change.plan_id, accepted[change.plan_id])
            if change.kind == "withdrawn"
            else accepted[change.plan_id]
        )
        moves = []
        if change.kind == "broken":  # its reason names the cause; say what moved
            if change.before_person != change.after_person:
                before = change.before_person or ""
                after = change.after_person or ""
                moves.append(
                    f"{names.get(before, before or 'nobody')} → {names.get(after, after or 'nobody')}"
                )
            if change.before_start != change.after_start:
                moves.append(
                    f"start {dmy(change.before_start) or 'none'} → "
                    f"{dmy(change.after_start) or 'none'}"
                )
        title = {
            "new": "Planned by a rebalance",
            "earlier": "Brought forward by a rebalance",
            "broken": "Moved by a rebalance",
            "withdrawn": "Support stopped: consent withdrawn",
        }.get(change.kind, "Changed by a rebalance")
        if kinds.get(change.plan_id) != "rebalance" and change.kind != "withdrawn":
            title = "Changed by a plan"
        reason = _in_words(change.reason, names)
        events.append(
            TimelineEventOut(
                on=at.date(),
                at=at,
                kind="rebalanced",
                title=title,
                detail="; ".join([reason, *moves]) if reason else "; ".join(moves),
            )
        )
    return events


def _in_use(
    session: Session, row: AgreementRow, names: dict[str, str]
) -> tuple[SupportOut | None, str | None, datetime | None]:
    """The case's support, or why it waits, in the plan in use of its district; and when that plan
    was accepted."""
    plan_id = latest_plan_ids(session, row.scenario_id, [row.district]).get(row.district)
    if plan_id is None:
        return None, None, None
    at = _accepted(session, row.scenario_id, row.district).get(plan_id)
    found = session.scalars(
        select(AssignmentRow).where(
            AssignmentRow.plan_id == plan_id,
            AssignmentRow.case_id == row.case_id,
            AssignmentRow.district == row.district,
        )
    ).first()
    if found is not None:
        return (
            SupportOut(
                person_id=found.person_id,
                person_name=names.get(found.person_id, found.person_id),
                team=found.team,
                start=found.start,
                end=found.end,
                status=found.status,
            ),
            None,
            at,
        )
    waiting = session.scalars(
        select(WaitingRow).where(
            WaitingRow.plan_id == plan_id,
            WaitingRow.case_id == row.case_id,
            WaitingRow.district == row.district,
        )
    ).first()
    return None, (_in_words(waiting.reason, names) if waiting is not None else None), at


# New agreements from a file -------------------------------------------------------------------

MAX_ROWS = 2000
"""Agreements one file may hold."""
MAX_LINES = 100_000
"""Rows (blank ones included) read from one file before it is refused."""
MAX_COLUMNS = 64
"""Columns read from a sheet (the format has 11)."""
MAX_CELL = 500
"""Longest cell (the longest field, consent with its reason, has 500 characters)."""
OPTIONAL_COLUMNS = ("lac", "priority")
"""Columns a file may leave out (blank means no, and 3)."""
EXPECTED = {
    "case_id": "a pseudonymous case id: letters, digits, _ . and - only, at most 64 characters",
    "school_urn": "the URN (a number) of a school of your district",
    "need_type": "one of C&I, B&L, BESD, PSCN, PD, HI, VI, PI",
    "sen_stage": "one of SEN Support, EHCP, EYA/SA, EYA+/SA+, SSEN",
    "lac": "yes or no (blank means no)",
    "consent": "yes, no, or 'exception:' followed by the reason",
    "agreed_on": "a date as dd/mm/yyyy or yyyy-mm-dd (years 2000 to 2099)",
    "minutes_per_week": "a whole number of minutes a week from 1 to 1200",
    "weeks": "a whole number of school weeks from 1 to 60",
    "priority": "1 (urgent), 2 or 3 (routine); blank means 3",
}
"""What each column must hold, in plain words."""
_UK_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_OLD_EXCEL = b"\xd0\xcf\x11\xe0"
_ZIP = b"PK\x03\x04"
log = logging.getLogger("lift.agreements")


def iso_day(text: str) -> str:
    """`dd/mm/yyyy` as `yyyy-mm-dd`; any other text as it is (left to the date check)."""
    found = _UK_DAY.match(text.strip())
    if found is None:
        return text
    day, month, year = found.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as text: a formula is its text (never evaluated), a date its ISO day."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _csv_lines(name: str, data: bytes) -> list[list[str]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BadUpload(f"{shown(name)} is UTF-16 text: save it as CSV UTF-8, or as XLSX")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadUpload(
            f"{shown(name)} is neither a CSV file (UTF-8 text) nor an XLSX workbook: "
            "save it as CSV UTF-8 or as XLSX"
        ) from None
    if "\x00" in text:
        raise BadUpload(f"{shown(name)} is not a text file (it holds a NUL byte)")
    lines: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            lines.append(cells)
            if len(lines) > MAX_LINES:
                raise TooLarge(f"{shown(name)} has more than {MAX_LINES:,} rows")
    except csv.Error as error:
        raise BadUpload(
            f"{shown(name)}: row {reader.line_num} is not well-formed CSV ({error})"
        ) from None
    return lines


def _xlsx_lines(name: str, data: bytes, limits: Limits) -> list[list[str]]:
    check_zip(name, data, limits, "XLSX workbook")
    lines: list[list[str]] = []
    try:
        book = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=False, keep_links=False
        )
        try:
            sheet = book.worksheets[0]
            for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
                lines.append([_cell_text(v) for v in values])
                if len(lines) > MAX_LINES:
                    raise TooLarge(f"{shown(name)} has more than {MAX_LINES:,} rows")
        finally:
            book.close()
    except BadUpload:
        raise
    except Exception as error:  # openpyxl raises many kinds on a damaged or hostile workbook
        log.warning("an agreements workbook could not be read: %s", raised_at(error))
        raise BadUpload(
            f"{shown(name)} is not a readable XLSX workbook: save it again from the "
            "spreadsheet program, or as CSV UTF-8"
        ) from None
    return lines


def read_lines(name: str, data: bytes, limits: Limits) -> list[list[str]]:
    """The rows of an uploaded CSV or XLSX (first sheet) as text cells; BadUpload (400) when it is
    neither, TooLarge (413) when it is too large."""
    if len(data) > limits.file_bytes:
        raise TooLarge(f"{shown(name)} is larger than the {limits.file_bytes // 2**20} MiB allowed")
    if not data.strip():
        raise BadUpload(f"{shown(name)} is empty: it needs a header row and one row per agreement")
    if data.startswith(_ZIP):
        return _xlsx_lines(name, data, limits)
    if data.startswith(_OLD_EXCEL):
        raise BadUpload(f"{shown(name)} is an old Excel (.xls) workbook: save it as XLSX or CSV")
    return _csv_lines(name, data)


def _column_of(header: str) -> str:
    return header.strip().casefold().replace(" ", "_")


def _problem(row: int, column: str | None, value: Any, expected: str) -> RowProblemOut:
    text = None if value is None else str(value)
    if text is not None and len(text) > 80:
        text = text[:79] + "…"
    return RowProblemOut(row=row, column=column, value=text, expected=expected)


def _table(
    lines: list[list[str]], name: str
) -> tuple[list[RowProblemOut], list[tuple[int, dict[str, str]]]]:
    """The file's problems (columns) and its records with their spreadsheet row numbers."""
    header = [_column_of(h) for h in lines[0]] if lines else []
    problems: list[RowProblemOut] = []
    where: dict[str, int] = {}
    for index, column in enumerate(header):
        if column in AGREEMENT_FIELDS:
            if column in where:
                problems.append(
                    _problem(1, column, None, f"the column '{column}' once (it is there twice)")
                )
            where.setdefault(column, index)
    for column in AGREEMENT_FIELDS:
        if column not in where and column not in OPTIONAL_COLUMNS:
            problems.append(
                _problem(1, column, None, f"a column named '{column}' in the header row")
            )
    if problems:
        return problems, []
    records: list[tuple[int, dict[str, str]]] = []
    for number, cells in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(records) >= MAX_ROWS:
            raise TooLarge(
                f"{shown(name)} holds more than {MAX_ROWS:,} agreements: "
                f"send at most {MAX_ROWS:,} at a time"
            )
        records.append(
            (
                number,
                {
                    c: unsafe_text(cells[i].strip()) if i < len(cells) else ""
                    for c, i in where.items()
                },
            )
        )
    return problems, records


def _check(
    number: int,
    raw: dict[str, str],
    base: Scenario,
    scope: Scope,
    taken: set[str],
    seen: set[str],
) -> tuple[PreviewRowOut, AgreementIn | None]:
    """One record: what it would add, or its problems in plain words."""
    problems: list[RowProblemOut] = []
    for column, value in raw.items():
        bad = unsafe_character(value)
        if bad is not None:
            problems.append(
                _problem(number, column, value, f"text without control characters (found {bad})")
            )
        elif len(value) > MAX_CELL:
            problems.append(_problem(number, column, value, f"at most {MAX_CELL} characters"))
    body: AgreementIn | None = None
    if not problems:
        data: dict[str, Any] = {
            c: iso_day(v) if c == "agreed_on" else v
            for c, v in raw.items()
            if v != "" or c not in OPTIONAL_COLUMNS
        }
        try:
            body = AgreementIn.model_validate(data)
            Agreement.model_validate(body.model_dump())
        except ValidationError as error:
            body = None
            columns = sorted({str(e["loc"][0]) for e in error.errors() if e["loc"]})
            problems += [_problem(number, c, raw.get(c, ""), EXPECTED.get(c, c)) for c in columns]
    urn = raw.get("school_urn", "")
    school = base.school_by_urn.get(int(urn)) if urn.isascii() and urn.isdigit() else None
    if school is not None and school.district not in scope.districts:
        school = None
    if body is not None:
        if school is None:
            expected = EXPECTED["school_urn"]
            if scope.county:
                expected = "the URN (a number) of one of the scenario's schools"
            problems.append(_problem(number, "school_urn", raw.get("school_urn"), expected))
        if body.case_id in taken:
            problems.append(
                _problem(number, "case_id", body.case_id, "a case id not already in use")
            )
        elif body.case_id in seen:
            problems.append(
                _problem(number, "case_id", body.case_id, "each case id once in the file")
            )
        seen.add(body.case_id)
    ok = not problems and body is not None
    return (
        PreviewRowOut(
            row=number,
            case_id=raw.get("case_id", ""),
            district=school.district if school is not None else None,
            school_urn=raw.get("school_urn", ""),
            school_name=school.name if school is not None else None,
            need_type=raw.get("need_type", ""),
            sen_stage=raw.get("sen_stage", ""),
            lac=raw.get("lac", "") or "no",
            consent=raw.get("consent", ""),
            agreed_on=body.agreed_on if body is not None else None,
            agreed_on_text=raw.get("agreed_on", ""),
            minutes_per_week=raw.get("minutes_per_week", ""),
            weeks=raw.get("weeks", ""),
            priority=raw.get("priority", "") or "3",
            problems=problems,
        ),
        body if ok else None,
    )


def preview_file(
    session: Session,
    base: Scenario,
    scenario_id: int,
    scope: Scope,
    name: str,
    data: bytes,
    limits: Limits,
) -> tuple[PreviewOut, list[tuple[int, AgreementIn]]]:
    """What a file of new agreements holds, row by row, and the agreements its good rows make;
    nothing is stored. BadUpload (400) or TooLarge (413) when the file cannot be read."""
    problems, records = _table(read_lines(name, data, limits), name)
    if not problems and not records:
        problems.append(_problem(2, None, None, "at least one agreement below the header row"))
    taken = set(
        session.scalars(select(AgreementRow.case_id).where(AgreementRow.scenario_id == scenario_id))
    )
    seen: set[str] = set()
    rows: list[PreviewRowOut] = []
    good: list[tuple[int, AgreementIn]] = []
    for number, raw in records:
        row, body = _check(number, raw, base, scope, taken, seen)
        rows.append(row)
        if body is not None:
            good.append((number, body))
    out = PreviewOut(
        file=name[:200],
        rows=rows,
        ok=len(good),
        with_problems=len(rows) - len(good),
        problems=problems,
    )
    return out, good


def import_file(
    session: Session,
    base: Scenario,
    scenario_id: int,
    scope: Scope,
    user: User,
    name: str,
    data: bytes,
    limits: Limits,
) -> ImportOut:
    """Add every agreement of a file, or none: any problem refuses the whole file (422, each problem
    at ["body", "file", row, column]). The caller commits."""
    preview, good = preview_file(session, base, scenario_id, scope, name, data, limits)
    found = preview.problems + [p for r in preview.rows for p in r.problems]
    if found:
        raise Invalid(
            [
                FieldError(
                    loc=["body", "file", p.row, *([p.column] if p.column else [])],
                    msg=p.expected,
                    type="file_problem",
                    input=p.value,
                )
                for p in found
            ]
        )
    for number, body in good:
        add_agreement(session, base, scenario_id, body, scope, user, ("body", "file", number))
    audit.record(
        session,
        user,
        "agreement.import",
        "scenario",
        scenario_id,
        scenario_id,
        {"added": len(good)},
    )
    return ImportOut(added=len(good), case_ids=[b.case_id for _, b in good])
