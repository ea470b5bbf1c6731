"""outcomes and reviews: what each LIFT meeting decided for a request; measures at entry, review, exit;
each agreement's request and written details

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply: two new tables, empty; agreements gain their request and details (none known yet)."""
    op.add_column("agreements", sa.Column("request_id", sa.String(length=64), nullable=True))
    op.add_column("agreements", sa.Column("details", sa.JSON(), nullable=True))
    op.create_table(
        "request_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("district", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["recorded_by"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["scenario_id"], ["scenarios.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scenario_id", "request_id", name="uq_request_outcomes_request"),
    )
    op.create_index(
        "ix_request_outcomes_scope", "request_outcomes", ["scenario_id", "district"], unique=False
    )
    op.create_table(
        "case_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("district", sa.String(length=200), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("measure", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["recorded_by"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["scenario_id"], ["scenarios.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_case_reviews_case", "case_reviews", ["scenario_id", "case_id"], unique=False
    )


def downgrade() -> None:
    """Revert."""
    op.drop_column("agreements", "details")
    op.drop_column("agreements", "request_id")
    op.drop_index("ix_case_reviews_case", table_name="case_reviews")
    op.drop_table("case_reviews")
    op.drop_index("ix_request_outcomes_scope", table_name="request_outcomes")
    op.drop_table("request_outcomes")
