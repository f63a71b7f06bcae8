"""daily mart: an index (day, n) on agg_daily_complaints, so a window of days summed city-wide (the wall's 60-day
trend) is read from the index alone instead of one table row per cell

Revision ID: 0015
Revises: 0014
"""
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_agg_daily_complaints_day_n", "agg_daily_complaints", ["day", "n"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_agg_daily_complaints_day_n", table_name="agg_daily_complaints")
