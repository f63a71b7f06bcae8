"""risk-lead dispatch closed loop: deadlines, feedback, 督办, extensions, joint tasks, event actions

Revision ID: 0004
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("derived_risk_lead", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dispatched_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("feedback_actions", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("feedback_attachments", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("supervise_level", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("extension_days", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("extension_request_days", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("return_count", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("joint_task_id", sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f("ix_derived_risk_lead_joint_task_id"), ["joint_task_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_derived_risk_lead_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_derived_risk_lead_score"), ["score"], unique=False)
    with op.batch_alter_table("derived_risk_lead_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("action", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("detail", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("derived_risk_lead_event", schema=None) as batch_op:
        batch_op.drop_column("detail")
        batch_op.drop_column("action")
    with op.batch_alter_table("derived_risk_lead", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_derived_risk_lead_score"))
        batch_op.drop_index(batch_op.f("ix_derived_risk_lead_created_at"))
        batch_op.drop_index(batch_op.f("ix_derived_risk_lead_joint_task_id"))
        for column in ("joint_task_id", "return_count", "extension_request_days", "extension_days",
                       "supervise_level", "feedback_attachments", "feedback_actions", "dispatched_at"):
            batch_op.drop_column(column)
