"""credit marts: subjects per county × latest credit grade (agg_credit_grade_region)

Revision ID: 0009
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agg_credit_grade_region",
        sa.Column("region_code", sa.String(length=9), nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region_code", "grade", name=op.f("pk_agg_credit_grade_region")),
    )


def downgrade() -> None:
    op.drop_table("agg_credit_grade_region")
