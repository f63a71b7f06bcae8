"""A login attempt is in flight (``succeeded`` NULL) until its password is checked

Counting in-flight attempts as failures refused an office's simultaneous logins from one NAT address
(security.ratelimit). Existing rows are all settled, so only the column's nullability changes.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_login_attempt", schema=None) as batch_op:
        batch_op.alter_column("succeeded", existing_type=sa.Boolean(), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE app_login_attempt SET succeeded = false WHERE succeeded IS NULL")
    with op.batch_alter_table("app_login_attempt", schema=None) as batch_op:
        batch_op.alter_column("succeeded", existing_type=sa.Boolean(), nullable=False)
