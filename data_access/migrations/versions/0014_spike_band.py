"""spike band: the spike model's expected value and band per day (derived_spike_band), read by the wall and lead pages

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "derived_spike_band",
        sa.Column("band_id", _PK, nullable=False),
        sa.Column("region_code", sa.String(length=9), nullable=True),
        sa.Column("category_code", sa.String(length=12), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=True),
        sa.Column("lower", sa.Float(), nullable=True),
        sa.Column("upper", sa.Float(), nullable=True),
        sa.Column("alarm", sa.Boolean(), nullable=False),
        sa.Column("method", sa.String(length=12), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("band_id", name=op.f("pk_derived_spike_band")),
    )
    with op.batch_alter_table("derived_spike_band", schema=None) as batch_op:
        batch_op.create_index("ix_derived_spike_band_series", ["region_code", "category_code", "day"], unique=False)
        batch_op.create_index(batch_op.f("ix_derived_spike_band_day"), ["day"], unique=False)


def downgrade() -> None:
    op.drop_table("derived_spike_band")
