"""API keys are scoped to the data kinds they may push (issue #21.9)

Existing keys get NULL, read as their system's default kinds (security.api_keys.default_kinds): the kinds
registered to that system name, else every kind except the registers (市场主体, 信用, 监管事项目录).

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_api_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kinds", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("app_api_key", schema=None) as batch_op:
        batch_op.drop_column("kinds")
