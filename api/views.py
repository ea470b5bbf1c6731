"""Stored rows as response schemas (shared by the resource routers and the jobs router)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db.models import MeetingRow, RotaRow
from api.deps import Scope
from api.schemas.common import ConstraintScoreOut
from api.schemas.rota import MeetingOut, ReasonOut, RotaAnalysisOut


def meeting_out(row: MeetingRow) -> MeetingOut:
    """A stored meeting for a response."""
    return MeetingOut(
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
        attendees=[a for a in row.attendees.split(";") if a],
    )


def rota_analysis_out(
    session: Session, row: RotaRow, scope: Scope, described: dict[str, str]
) -> RotaAnalysisOut:
    """A solved rota's score, reasons and checker verdict (reasons of other districts left out)."""
    s = row.summary
    meetings = session.scalar(
        select(func.count())
        .select_from(MeetingRow)
        .where(MeetingRow.rota_id == row.id, MeetingRow.district.in_(scope.districts))
    )
    return RotaAnalysisOut(
        rota_id=row.id,
        created_at=row.created_at,
        districts=list(row.districts),
        status=s.get("status", "unknown"),
        objective=s.get("objective"),
        best_bound=s.get("best_bound"),
        proven_optimal=bool(s.get("proven_optimal")),
        wall_time=float(s.get("wall_time", 0.0)),
        constraints=[
            ConstraintScoreOut(**b, description=described.get(b["name"], ""))
            for b in s.get("breakdown", [])
        ],
        reasons=[
            ReasonOut.model_validate(r)
            for r in s.get("reasons", [])
            if r.get("district") is None or r.get("district") in scope.districts
        ],
        check_ok=s.get("check_ok"),
        breaches=list(s.get("breaches", [])),
        meetings=int(meetings or 0),
    )
