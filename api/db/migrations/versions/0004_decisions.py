"""decisions: a plan or rota is a proposal until accepted; meetings' SEQUENCE; changes' kind

The rota or caseload plan in use for a district is the source of its newest `accept` decision. The
newest rota and plan of each district that exist now are accepted here, so nothing in use changes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

CONSENT_WITHDRAWN = "consent withdrawn"


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("district", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["scenario_id"], ["scenarios.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_decisions_scope", ["scenario_id", "job", "district"], unique=False
        )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sequence", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), server_default="broken", nullable=False)
        )
        batch_op.add_column(sa.Column("needed_by", sa.Text(), server_default="", nullable=False))
    _backfill_kinds()
    _accept_what_is_in_use()


def _backfill_kinds() -> None:
    """Existing changes' kinds, from what they recorded (`broken` is the column's default)."""
    changes = sa.table(
        "changes",
        sa.column("kind", sa.String()),
        sa.column("reason", sa.Text()),
        sa.column("before_person", sa.String()),
        sa.column("after_person", sa.String()),
        sa.column("before_start", sa.Date()),
        sa.column("after_start", sa.Date()),
    )
    op.execute(
        changes.update()
        .where(changes.c.before_person.is_(None), changes.c.before_start.is_(None))
        .values(kind="new")
    )
    op.execute(
        changes.update()
        .where(
            changes.c.before_person == changes.c.after_person,
            changes.c.after_start < changes.c.before_start,
        )
        .values(kind="earlier")
    )
    op.execute(
        changes.update()
        .where(changes.c.reason.like(CONSENT_WITHDRAWN + "%"))
        .values(kind="withdrawn")
    )


def _accept_what_is_in_use() -> None:
    """An `accept` for the newest plan and the newest rota of each district of each scenario."""
    bind = op.get_bind()
    plans = sa.table(
        "plans",
        sa.column("id", sa.Integer()),
        sa.column("scenario_id", sa.Integer()),
        sa.column("districts", sa.JSON()),
        sa.column("created_at", sa.DateTime()),
        sa.column("created_by", sa.Integer()),
    )
    rotas = sa.table(
        "rotas",
        sa.column("id", sa.Integer()),
        sa.column("scenario_id", sa.Integer()),
        sa.column("created_at", sa.DateTime()),
        sa.column("created_by", sa.Integer()),
    )
    meetings = sa.table(
        "meetings", sa.column("rota_id", sa.Integer()), sa.column("district", sa.String())
    )
    decisions = sa.table(
        "decisions",
        sa.column("scenario_id", sa.Integer()),
        sa.column("job", sa.String()),
        sa.column("source_id", sa.Integer()),
        sa.column("district", sa.String()),
        sa.column("action", sa.String()),
        sa.column("decided_by", sa.Integer()),
        sa.column("decided_at", sa.DateTime()),
    )
    rows: list[dict[str, object]] = []
    seen: set[tuple[int, str]] = set()
    for plan in bind.execute(
        sa.select(
            plans.c.id,
            plans.c.scenario_id,
            plans.c.districts,
            plans.c.created_at,
            plans.c.created_by,
        ).order_by(plans.c.id.desc())
    ):
        for district in plan.districts or []:
            if (plan.scenario_id, district) not in seen:
                seen.add((plan.scenario_id, district))
                rows.append(_accept(plan, "caseload", district))
    held = sa.select(meetings.c.district, meetings.c.rota_id).distinct().subquery()
    found: dict[tuple[int, str], tuple[int, Any]] = {}
    for rota in bind.execute(
        sa.select(
            rotas.c.id, rotas.c.scenario_id, rotas.c.created_at, rotas.c.created_by, held.c.district
        ).join(held, held.c.rota_id == rotas.c.id)
    ):
        key = (rota.scenario_id, rota.district)
        if key not in found or found[key][0] < rota.id:
            found[key] = (rota.id, rota)
    rows += [_accept(rota, "rota", district) for (_, district), (_, rota) in found.items()]
    if rows:
        op.bulk_insert(decisions, rows)


def _accept(source: Any, job: str, district: str) -> dict[str, object]:
    return {
        "scenario_id": source.scenario_id,
        "job": job,
        "source_id": source.id,
        "district": district,
        "action": "accept",
        "decided_by": source.created_by,
        "decided_at": source.created_at,
    }


def downgrade() -> None:
    """Revert (decisions, meetings' SEQUENCE and changes' kinds are lost)."""
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.drop_column("needed_by")
        batch_op.drop_column("kind")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_column("sequence")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_decisions_scope")
    op.drop_table("decisions")
