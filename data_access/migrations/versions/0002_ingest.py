"""ingestion: quarantine of rejected source rows and history of replaced row versions

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "app_ingest_quarantine",
        sa.Column("quarantine_id", _PK, nullable=False),
        sa.Column("batch_id", sa.String(length=40), nullable=False),
        sa.Column("source_kind", sa.String(length=40), nullable=False),
        sa.Column("source_file", sa.String(length=500), nullable=True),
        sa.Column("line_no", sa.BigInteger(), nullable=True),
        sa.Column("raw_record", sa.Text(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("quarantined_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("quarantine_id", name=op.f("pk_app_ingest_quarantine")),
    )
    with op.batch_alter_table("app_ingest_quarantine", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_ingest_quarantine_batch_id"), ["batch_id"], unique=False)
    op.create_table(
        "app_ingest_history",
        sa.Column("history_id", _PK, nullable=False),
        sa.Column("batch_id", sa.String(length=40), nullable=False),
        sa.Column("table_name", sa.String(length=60), nullable=False),
        sa.Column("src_system", sa.String(length=32), nullable=True),
        sa.Column("record_key", sa.String(length=64), nullable=False),
        sa.Column("old_values", sa.Text(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("history_id", name=op.f("pk_app_ingest_history")),
    )
    with op.batch_alter_table("app_ingest_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_ingest_history_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_app_ingest_history_record_key"), ["record_key"], unique=False)


def downgrade() -> None:
    op.drop_table("app_ingest_history")
    op.drop_table("app_ingest_quarantine")
