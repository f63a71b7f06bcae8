"""text-mining pipeline: weekly hot words and hot issues

Revision ID: 0007
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0001"
branch_labels = None
depends_on = None

_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "derived_hot_word",
        sa.Column("hot_word_id", _PK, nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("region_code", sa.String(length=9), nullable=True),
        sa.Column("category_code", sa.String(length=12), nullable=True),
        sa.Column("term", sa.String(length=40), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("doc_count", sa.BigInteger(), nullable=False),
        sa.Column("n_docs", sa.BigInteger(), nullable=False),
        sa.Column("burst_ratio", sa.Float(), nullable=False),
        sa.Column("is_emerging", sa.Boolean(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("hot_word_id", name=op.f("pk_derived_hot_word")),
    )
    with op.batch_alter_table("derived_hot_word", schema=None) as batch_op:
        batch_op.create_index("ix_derived_hot_word_cell", ["period_start", "region_code", "category_code"],
                              unique=False)
    op.create_table(
        "derived_hot_issue",
        sa.Column("hot_issue_id", _PK, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("region_code", sa.String(length=9), nullable=False),
        sa.Column("category_code", sa.String(length=12), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("n_tickets", sa.BigInteger(), nullable=False),
        sa.Column("n_callers", sa.BigInteger(), nullable=False),
        sa.Column("growth", sa.Float(), nullable=False),
        sa.Column("heat", sa.Float(), nullable=False),
        sa.Column("severity", sa.BigInteger(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("hot_issue_id", name=op.f("pk_derived_hot_issue")),
    )
    with op.batch_alter_table("derived_hot_issue", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_derived_hot_issue_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_derived_hot_issue_heat"), ["heat"], unique=False)


def downgrade() -> None:
    op.drop_table("derived_hot_issue")
    op.drop_table("derived_hot_word")
