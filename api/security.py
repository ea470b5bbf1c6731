"""Roles and bearer tokens. A token is shown once; only its SHA-256 is stored; it expires and can
be revoked."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import User, utcnow
from api.settings import DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS


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


class TokenRefused(Exception):
    """A bearer token that signs nobody in; the message says why, in plain words (401)."""


UNKNOWN_TOKEN = "a valid bearer token is required"
LAST_USED_STEP = timedelta(hours=1)
"""`last_used_at` is written at most once an hour per user, so reads stay free of writes."""


def authenticate(session: Session, token: str, now: datetime | None = None) -> User:
    """The user holding `token`; `TokenRefused` when it is unknown, revoked or expired."""
    now = now or utcnow()
    digest = hash_token(token)
    user = session.scalars(select(User).where(User.token_hash == digest)).first()
    if user is None or not hmac.compare_digest(user.token_hash, digest):
        raise TokenRefused(UNKNOWN_TOKEN)
    if not user.active or user.revoked_at is not None:
        raise TokenRefused("this token was revoked; ask whoever runs the service for a new one")
    if user.expires_at <= now:
        raise TokenRefused(
            f"this token expired on {user.expires_at:%Y-%m-%d %H:%M} UTC; "
            "ask whoever runs the service for a new one"
        )
    return user


def needs_last_used(user: User, now: datetime) -> bool:
    """Whether `user.last_used_at` is stale enough to be written again."""
    return user.last_used_at is None or now - user.last_used_at >= LAST_USED_STEP


def create_user(
    session: Session,
    name: str,
    role: Role,
    district: str | None = None,
    days: int = DEFAULT_TOKEN_DAYS,
) -> tuple[User, str]:
    """Add a user whose token lasts `days`; returns it with its token (the only time the token
    exists in clear)."""
    if role == Role.DISTRICT_COORDINATOR and not district:
        raise ValueError("a district coordinator needs --district")
    if role == Role.COUNTY_OFFICER and district:
        raise ValueError("a county officer covers every district; give no --district")
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValueError(f"a token lasts 1 to {MAX_TOKEN_DAYS} days, not {days}")
    token = new_token()
    now = utcnow()
    user = User(
        name=name,
        role=role.value,
        district=district or None,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(user)
    session.flush()
    return user, token
