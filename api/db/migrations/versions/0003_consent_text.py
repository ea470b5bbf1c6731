"""consent as text: a consent exception's reason may be as long as the scenario format allows

PostgreSQL refused reasons past VARCHAR(600) (SQLite never enforced the length).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.alter_column(
            "consent", existing_type=sa.String(length=600), type_=sa.Text(), existing_nullable=False
        )


def downgrade() -> None:
    """Revert (a reason longer than 600 characters is cut to fit)."""
    agreements = sa.table("agreements", sa.column("consent", sa.Text()))
    op.execute(
        agreements.update()
        .where(sa.func.length(agreements.c.consent) > 600)
        .values(consent=sa.func.substr(agreements.c.consent, 1, 600))
    )
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.alter_column(
            "consent", existing_type=sa.Text(), type_=sa.String(length=600), existing_nullable=False
        )
