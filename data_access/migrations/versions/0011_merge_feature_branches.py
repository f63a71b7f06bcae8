"""merge the feature branches (0002–0010, each built on 0001) into one linear history

From here on every migration revises the single head, so `alembic heads` names one revision and
operators read one ordered list of schema changes.

Revision ID: 0011
Revises: 0002, 0003, 0004, 0006, 0007, 0009, 0010
"""

revision = "0011"
down_revision = ("0002", "0003", "0004", "0006", "0007", "0009", "0010")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
