"""risk leads: backtest track record of the risk models (derived_model_backtest)

Revision ID: 0006
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0001"
branch_labels = None
depends_on = None

_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "derived_model_backtest",
        sa.Column("backtest_id", _PK, nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("model", sa.String(length=60), nullable=False),
        sa.Column("dataset", sa.String(length=300), nullable=False),
        sa.Column("metric", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("n", sa.BigInteger(), nullable=True),
        sa.Column("run_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("backtest_id", name=op.f("pk_derived_model_backtest")),
    )
    with op.batch_alter_table("derived_model_backtest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_derived_model_backtest_model"), ["model"], unique=False)
        batch_op.create_index(batch_op.f("ix_derived_model_backtest_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_derived_model_backtest_run_at"), ["run_at"], unique=False)


def downgrade() -> None:
    op.drop_table("derived_model_backtest")
