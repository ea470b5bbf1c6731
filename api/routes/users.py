"""The signed-in user."""

from __future__ import annotations

from fastapi import APIRouter

from api.db.models import User
from api.deps import CurrentUser
from api.errors import responses
from api.schemas.common import UserOut

router = APIRouter(prefix="/api/me", tags=["users"], responses=responses(401))


@router.get("", response_model=UserOut)
def me(user: CurrentUser) -> User:
    """Who the token belongs to: role and district."""
    return user
