"""security: users, login attempts, sessions, kiosk tokens, API keys

Revision ID: 0003
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def _intpk() -> sa.types.TypeEngine:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("user_id", _intpk(), nullable=False),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("dept_code", sa.String(length=18), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.create_table(
        "app_login_attempt",
        sa.Column("attempt_id", _intpk(), nullable=False),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("attempt_id", name=op.f("pk_app_login_attempt")),
    )
    op.create_index(op.f("ix_app_login_attempt_ip"), "app_login_attempt", ["ip"], unique=False)
    op.create_index("ix_app_login_attempt_user_ip_at", "app_login_attempt", ["username", "ip", "at"], unique=False)
    op.create_table(
        "app_kiosk_token",
        sa.Column("kiosk_id", _intpk(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("kiosk_id", name=op.f("pk_app_kiosk_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_app_kiosk_token_token_hash")),
    )
    op.create_index(op.f("ix_app_kiosk_token_name"), "app_kiosk_token", ["name"], unique=False)
    op.create_table(
        "app_api_key",
        sa.Column("key_id", _intpk(), nullable=False),
        sa.Column("src_system", sa.String(length=32), nullable=False),
        sa.Column("key_prefix", sa.String(length=12), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_app_api_key")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_app_api_key_key_hash")),
    )
    op.create_index(op.f("ix_app_api_key_src_system"), "app_api_key", ["src_system"], unique=False)
    op.create_table(
        "app_session",
        sa.Column("session_id", _intpk(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", _intpk(), nullable=True),
        sa.Column("kiosk_id", _intpk(), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["kiosk_id"], ["app_kiosk_token.kiosk_id"],
                                name=op.f("fk_app_session_kiosk_id_app_kiosk_token")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.user_id"], name=op.f("fk_app_session_user_id_app_user")),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_app_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_app_session_token_hash")),
    )
    op.create_index(op.f("ix_app_session_kiosk_id"), "app_session", ["kiosk_id"], unique=False)
    op.create_index(op.f("ix_app_session_user_id"), "app_session", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("app_session")
    op.drop_table("app_api_key")
    op.drop_table("app_kiosk_token")
    op.drop_table("app_login_attempt")
    op.drop_table("app_user")
