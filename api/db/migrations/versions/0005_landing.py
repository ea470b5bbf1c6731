"""landing: the scenario each user chose last, and the county's live scenario

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply: nobody has chosen yet; no scenario is marked live (the oldest stands in).

    Plain ADD COLUMN, not a batch: on SQLite a batch copies and drops the table, and dropping
    `scenarios` would cascade to every table that refers to it."""
    op.add_column("users", sa.Column("last_scenario_id", sa.Integer(), nullable=True))
    op.add_column(
        "scenarios", sa.Column("live", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    """Revert."""
    op.drop_column("scenarios", "live")
    op.drop_column("users", "last_scenario_id")
