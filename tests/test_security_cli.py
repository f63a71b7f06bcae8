"""``bianjian users|kiosk|keys`` through click's CliRunner on a private copy of the demo warehouse."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bianjian_cli import cli
from data_access import db
from data_access.schema import ApiKey, AppUser, AuditLog, KioskToken
from security import api_keys, audit, passwords, users
from security.tokens import token_hash
from tests.db_fixtures import app_warehouse


@pytest.fixture
def run(demo_engine_copy, tmp_path):
    with app_warehouse(tmp_path, url=str(demo_engine_copy.url)):
        runner = CliRunner()

        def invoke(*args, input=None):  # noqa: A002
            return runner.invoke(cli, list(args), input=input)

        yield invoke


def _user(username: str) -> AppUser | None:
    with db.session_scope() as session:
        return session.scalar(select(AppUser).where(AppUser.username == username))


def test_users_add_list_disable_reset(run):
    added = run("users", "add", "Wang.Li", "--role", "dept_head", "--dept", "SCJG", "--password-stdin",
                input="Strong-Pass-2024\n")
    assert added.exit_code == 0, added.output
    user = _user("wang.li")
    assert user.role == "DEPT_HEAD" and user.dept_code and passwords.verify_password(user.password_hash,
                                                                                     "Strong-Pass-2024")
    listed = [json.loads(line) for line in run("users", "list", "--json").output.splitlines()]
    assert {"username": "wang.li", "role": "DEPT_HEAD", "dept_code": user.dept_code, "disabled": False,
            "last_login_at": "-"} in listed

    reset = run("users", "reset-password", "wang.li", "--password-stdin", input="Other-Pass-2025\n")
    assert reset.exit_code == 0, reset.output
    assert passwords.verify_password(_user("wang.li").password_hash, "Other-Pass-2025")
    assert run("users", "disable", "wang.li").exit_code == 0
    assert _user("wang.li").disabled
    with db.session_scope() as session:
        actions = session.scalars(select(AuditLog.action).where(AuditLog.object_id == "wang.li")).all()
    assert actions == ["user_add", "user_reset_password", "user_disable"]


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["users", "add", "x", "--role", "ANALYST", "--password-stdin"], "Strong-Pass-2024\n", "username must be"),
    (["users", "add", "bob", "--role", "BOSS", "--password-stdin"], "Strong-Pass-2024\n", "unknown role"),
    (["users", "add", "bob", "--role", "DEPT_HEAD", "--password-stdin"], "Strong-Pass-2024\n", "needs --dept"),
    (["users", "add", "bob", "--role", "DEPT_HEAD", "--dept", "NOPE", "--password-stdin"], "Strong-Pass-2024\n",
     "unknown department"),
    (["users", "add", "bob", "--role", "ANALYST", "--dept", "SCJG", "--password-stdin"], "Strong-Pass-2024\n",
     "only for role DEPT_HEAD"),
    (["users", "add", "bob", "--role", "ANALYST", "--password-stdin"], "short\n", "at least 10"),
    (["users", "add", "bob", "--role", "ANALYST", "--password-stdin"], "alllowercaseletters\n", "three of"),
    (["users", "disable", "ghost"], None, "no user named"),
    (["kiosk", "revoke", "ghost"], None, "no active kiosk"),
    (["kiosk", "create", "bad name!"], None, "kiosk name must be"),
    (["keys", "create", "bad system!"], None, "source system must be"),
    (["keys", "revoke", "bja_nothing"], None, "no active key"),
])
def test_bad_input_is_a_clear_error(run, args, stdin, message):
    result = run(*args, input=stdin)
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert _user("bob") is None


def test_duplicate_user_is_refused(run):
    assert run("users", "add", "bob", "--role", "LEADER", "--password-stdin", input="Strong-Pass-2024\n").exit_code == 0
    again = run("users", "add", "bob", "--role", "LEADER", "--password-stdin", input="Strong-Pass-2024\n")
    assert again.exit_code == 1 and "already exists" in again.output


def test_kiosk_create_list_revoke(run):
    created = run("kiosk", "create", "hall-1", "--json")
    assert created.exit_code == 0, created.output
    token = json.loads(created.output)["token"]
    with db.session_scope() as session:
        stored = session.scalar(select(KioskToken).where(KioskToken.name == "hall-1"))
        assert stored.token_hash == token_hash(token) and token not in stored.token_hash
    assert run("kiosk", "create", "hall-1").exit_code == 1  # one active token per display
    assert json.loads(run("kiosk", "list", "--json").output)["revoked"] is False
    assert run("kiosk", "revoke", "hall-1").exit_code == 0
    assert json.loads(run("kiosk", "list", "--json").output)["revoked"] is True
    assert run("kiosk", "create", "hall-1", "--json").exit_code == 0  # a revoked name can be reissued


def test_keys_create_list_revoke(run):
    created = run("keys", "create", "KF_12345", "--json")
    assert created.exit_code == 0, created.output
    key = json.loads(created.output)["key"]
    assert api_keys.authenticate(key) == "KF_12345"
    assert api_keys.authenticate(f"Bearer {key}") == "KF_12345"
    with db.session_scope() as session:
        assert session.scalar(select(ApiKey.key_hash)) == token_hash(key)
    listed = json.loads(run("keys", "list", "--json").output)
    assert listed["prefix"] == key[:12] and listed["revoked"] is False
    revoked = run("keys", "revoke", key[:12])
    assert revoked.exit_code == 0 and "KF_12345" in revoked.output
    assert api_keys.authenticate(key) is None
    assert audit.verify(db.engine()) == []


def test_create_demo_users_once(run):
    created = users.create_demo_users(db.engine())
    assert [(u, r) for u, r, _p in created] == [(u, r) for u, r, _d, _p in users.DEMO_USERS]
    assert users.create_demo_users(db.engine()) == []
    listed = {json.loads(line)["username"]: json.loads(line) for line in run("users", "list", "--json").output.splitlines()}
    assert listed["dept_scjg"]["role"] == "DEPT_HEAD" and listed["dept_scjg"]["dept_code"]
    for username, _role, password in created:
        assert passwords.verify_password(_user(username).password_hash, password)
