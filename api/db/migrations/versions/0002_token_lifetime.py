"""token lifetime: expiry, revocation time and last use of each user's token

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

EXISTING_TOKEN_DAYS = 90
"""Tokens made before expiry existed get this many days from the upgrade (the default lifetime)."""


def upgrade() -> None:
    """Apply: every existing token expires 90 days from now; inactive users count as revoked now."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", sa.DateTime(), nullable=True))
    now = datetime.now(UTC).replace(tzinfo=None)
    users = sa.table(
        "users",
        sa.column("active", sa.Boolean()),
        sa.column("expires_at", sa.DateTime()),
        sa.column("revoked_at", sa.DateTime()),
    )
    op.execute(users.update().values(expires_at=now + timedelta(days=EXISTING_TOKEN_DAYS)))
    op.execute(users.update().where(users.c.active.is_(False)).values(revoked_at=now))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("expires_at", existing_type=sa.DateTime(), nullable=False)


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("expires_at")
