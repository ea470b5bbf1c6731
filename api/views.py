"""Stored rows as response schemas (shared by the resource routers and the jobs router)."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db.models import MeetingRow, RotaRow
from api.schemas.common import ConstraintScoreOut
from api.schemas.rota import MeetingOut, ReasonOut, RotaAnalysisOut
from api.scope import Scope


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
        sequence=row.sequence or 0,
        attendees=[a for a in row.attendees.split(";") if a],
    )


def covers_more(districts: Iterable[str], scope: Scope) -> bool:
    """Whether a result over `districts` covers any district outside `scope` (its totals are then
    county figures the user may not see)."""
    return not set(districts) <= set(scope.districts)


def _names(text: str, names: Collection[str]) -> set[str]:
    """Which of `names` occur in `text` as whole words."""
    return {n for n in names if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text)}


def scoped_rota_breaches(breaches: Iterable[str], mine: set[str], others: set[str]) -> list[str]:
    """The breaches that name a group of `mine` and none of `others` (the rest are left out)."""
    return [b for b in breaches if _names(b, mine) and not _names(b, others)]


def rota_analysis_out(
    session: Session, row: RotaRow, scope: Scope, described: dict[str, str]
) -> RotaAnalysisOut:
    """A solved rota's score, reasons and checker verdict. Reasons of other districts are left out;
    for a rota that also covers districts outside `scope`, so are its totals (`scoped`)."""
    s = row.summary
    meetings = session.scalar(
        select(func.count())
        .select_from(MeetingRow)
        .where(MeetingRow.rota_id == row.id, MeetingRow.district.in_(scope.districts))
    )
    if covers_more(row.districts, scope):
        groups = session.execute(
            select(MeetingRow.group, MeetingRow.district)
            .where(MeetingRow.rota_id == row.id)
            .distinct()
        ).all()
        mine = {g for g, d in groups if d in scope.districts}
        others = {g for g, d in groups if d not in scope.districts}
        return RotaAnalysisOut(
            rota_id=row.id,
            created_at=row.created_at,
            districts=list(row.districts),
            status=s.get("status", "unknown"),
            objective=None,
            best_bound=None,
            proven_optimal=bool(s.get("proven_optimal")),
            wall_time=float(s.get("wall_time", 0.0)),
            constraints=[],
            reasons=[
                ReasonOut.model_validate(r)
                for r in s.get("reasons", [])
                if r.get("district") in scope.districts
            ],
            check_ok=s.get("check_ok"),
            breaches=scoped_rota_breaches(s.get("breaches", []), mine, others),
            meetings=int(meetings or 0),
            scoped=True,
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
