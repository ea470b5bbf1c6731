"""The signed-in user, and the scenario their page opens on."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from api.db.models import ScenarioRow
from api.deps import CurrentUser, SessionDep
from api.errors import responses
from api.schemas.common import UserOut
from api.services.landing import choose, landing, sees

router = APIRouter(prefix="/api/me", tags=["users"], responses=responses(401))


class ScenarioChoice(BaseModel):
    """The scenario a user chose on the page."""

    model_config = ConfigDict(extra="forbid")

    scenario_id: int = Field(ge=1, le=2_147_483_647)


def _out(session: SessionDep, user: CurrentUser) -> UserOut:
    return UserOut(
        id=user.id,
        name=user.name,
        role=user.role,
        district=user.district,
        scenario_id=landing(session, user),
    )


@router.get("", response_model=UserOut)
def me(session: SessionDep, user: CurrentUser) -> UserOut:
    """Who the token belongs to (role and district) and the scenario the page opens on: the one they
    chose last, else the live one, else the oldest they see."""
    return _out(session, user)


@router.put("/scenario", response_model=UserOut, responses=responses(404, 422))
def choose_scenario(body: ScenarioChoice, session: SessionDep, user: CurrentUser) -> UserOut:
    """Remember the scenario this user chose; their next sign-in opens on it."""
    row = session.get(ScenarioRow, body.scenario_id)
    if row is None or not sees(user, row):
        raise HTTPException(404, f"scenario {body.scenario_id} not found")
    choose(session, user, row)
    session.commit()
    return _out(session, user)
