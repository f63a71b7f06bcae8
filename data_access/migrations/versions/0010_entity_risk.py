"""entity risk: every live entity's score and rank (derived_entity_risk), the risk-based inspection plan

Revision ID: 0010
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "derived_entity_risk",
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("industry_code", sa.String(length=4), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("rank", sa.BigInteger(), nullable=False),
        sa.Column("region_code", sa.String(length=9), nullable=False),
        sa.Column("dept_code", sa.String(length=18), nullable=False),
        sa.Column("complaints_90", sa.BigInteger(), nullable=False),
        sa.Column("inspections_prior", sa.BigInteger(), nullable=False),
        sa.Column("problems_prior", sa.BigInteger(), nullable=False),
        sa.Column("penalties_prior", sa.BigInteger(), nullable=False),
        sa.Column("credit_grade", sa.String(length=1), nullable=True),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("uscc", name=op.f("pk_derived_entity_risk")),
    )
    with op.batch_alter_table("derived_entity_risk", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_derived_entity_risk_rank"), ["rank"], unique=False)
        batch_op.create_index(batch_op.f("ix_derived_entity_risk_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_derived_entity_risk_dept_code"), ["dept_code"], unique=False)


def downgrade() -> None:
    op.drop_table("derived_entity_risk")
