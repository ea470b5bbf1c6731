"""Roles and bearer tokens. A token is shown once; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import User


class Role(StrEnum):
    """What a user may do."""

    COUNTY_OFFICER = "county_officer"
    """Every district, staffing, scenario uploads."""
    DISTRICT_COORDINATOR = "district_coordinator"
    """Their own district's rota, team and cases only."""
    VIEWER = "viewer"
    """Reads only (their district's, if they have one)."""


def new_token() -> str:
    """A fresh random bearer token (256 bits)."""
    return "lift_" + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def find_user(session: Session, token: str) -> User | None:
    """The active user holding `token`, compared in constant time; None if there is none."""
    digest = hash_token(token)
    user = session.scalars(select(User).where(User.token_hash == digest)).first()
    if user is None or not user.active or not hmac.compare_digest(user.token_hash, digest):
        return None
    return user


def create_user(
    session: Session, name: str, role: Role, district: str | None = None
) -> tuple[User, str]:
    """Add a user; returns it with its token (the only time the token exists in clear)."""
    if role == Role.DISTRICT_COORDINATOR and not district:
        raise ValueError("a district coordinator needs --district")
    if role == Role.COUNTY_OFFICER and district:
        raise ValueError("a county officer covers every district; give no --district")
    token = new_token()
    user = User(name=name, role=role.value, district=district or None, token_hash=hash_token(token))
    session.add(user)
    session.flush()
    return user, token
