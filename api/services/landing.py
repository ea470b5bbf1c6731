"""Which scenarios a user sees and which one the page opens on.

A user of one district sees only the scenarios that hold their district. The page opens on the
scenario the user chose last (if they still see it), else the county's live scenario, else the oldest
scenario they see: never on one that someone else uploaded since, unless it was made live.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.db.models import ScenarioRow, User


def sees(user: User, row: ScenarioRow) -> bool:
    """Whether `user` sees scenario `row` (a district user only where their district is)."""
    return user.district is None or user.district in row.districts


def visible(session: Session, user: User) -> list[ScenarioRow]:
    """The scenarios `user` sees, newest first."""
    rows = session.scalars(select(ScenarioRow).order_by(ScenarioRow.id.desc()))
    return [row for row in rows if sees(user, row)]


def landing(session: Session, user: User) -> int | None:
    """The scenario the page opens on for `user` (None when they see none)."""
    rows = visible(session, user)
    chosen = [r for r in rows if r.id == user.last_scenario_id]
    live = [r for r in rows if r.live]
    oldest = rows[-1:]
    for found in (chosen, live, oldest):
        if found:
            return found[0].id
    return None


def choose(session: Session, user: User, row: ScenarioRow) -> None:
    """Remember that `user` chose `row` (they must see it)."""
    user.last_scenario_id = row.id


def make_live(session: Session, row: ScenarioRow) -> None:
    """Mark `row` as the county's live scenario (and no other)."""
    session.execute(update(ScenarioRow).where(ScenarioRow.id != row.id).values(live=False))
    row.live = True
