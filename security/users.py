"""Dashboard users: creation, password checks with rate limiting, disabling, and the demo logins."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from data_access import limits
from data_access.schema import AppUser, Department
from data_access.scope import ROLES, Scope
from security import audit, passwords, ratelimit, sessions
from security.errors import OperatorError

USERNAME_PATTERN = re.compile(rf"^[a-z0-9][a-z0-9_.-]{{1,{limits.max_chars('username') - 1}}}$")

# Demo logins created by ``bianjian demo`` (documented in docs/security.md). They are public: a real
# deployment disables them (``bianjian users disable``) and adds its own users.
DEMO_USERS: tuple[tuple[str, str, str | None, str], ...] = (
    ("leader", "LEADER", None, "Kf-Leader-8104"),
    ("analyst", "ANALYST", None, "Kf-Analyst-2716"),
    ("dept_scjg", "DEPT_HEAD", "SCJG", "Kf-DeptHead-5932"),
    ("data_admin", "DATA_ADMIN", None, "Kf-DataAdmin-4470"),
    ("sys_admin", "SYS_ADMIN", None, "Kf-SysAdmin-6358"),
    ("wall", "WALL", None, "Kf-WallScreen-1295"),
)


class UserError(OperatorError):
    """A refused user operation; the message is meant for the operator as is."""


def scope_of(user: AppUser) -> Scope:
    return Scope(user=user.username, role=user.role, dept_code=user.dept_code)


def _get(session: Session, username: str) -> AppUser:
    user = session.scalar(select(AppUser).where(AppUser.username == username))
    if user is None:
        raise UserError(f"no user named {username!r}", f"没有用户「{username}」")
    return user


def _dept_code(session: Session, dept_key: str | None, role: str) -> str | None:
    if role != "DEPT_HEAD":
        if dept_key:
            raise UserError("--dept is only for role DEPT_HEAD", "只有部门负责人需要选择所属部门")
        return None
    if not dept_key:
        raise UserError("role DEPT_HEAD needs --dept (a department key such as SCJG)", "部门负责人须选择所属部门")
    code = session.scalar(select(Department.dept_code).where(Department.dept_key == dept_key))
    if code is None:
        raise UserError(f"unknown department key {dept_key!r} (is the warehouse initialised?)",
                        f"未知部门「{dept_key}」")
    return code


def add_user(session: Session, username: str, role: str, password: str, *, actor: str,
             dept_key: str | None = None) -> AppUser:
    username = username.strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise UserError("username must be 2–40 characters of a–z, 0–9, '_', '.', '-'",
                        "用户名须为 2–40 个小写字母、数字或 _ . - 符号")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; one of {', '.join(ROLES)}", "请选择角色")
    if session.scalar(select(AppUser.user_id).where(AppUser.username == username)) is not None:
        raise UserError(f"user {username!r} already exists", f"用户「{username}」已存在")
    try:
        password_hash = passwords.hash_password(password)
    except passwords.WeakPassword as exc:
        raise UserError(str(exc), exc.zh) from exc
    now = dt.datetime.now()
    user = AppUser(username=username, role=role, dept_code=_dept_code(session, dept_key, role),
                   password_hash=password_hash, disabled=False, created_at=now, password_changed_at=now)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user_add", "user", username, {"role": role, "dept_code": user.dept_code})
    return user


def list_users(session: Session) -> list[AppUser]:
    return list(session.scalars(select(AppUser).order_by(AppUser.username)))


def disable_user(session: Session, username: str, *, actor: str) -> None:
    """Disable a user and end their open sessions at once."""
    user = _get(session, username)
    user.disabled = True
    sessions.end_for_user(session, user.user_id)
    audit.record(session, actor, "user_disable", "user", username)


def reset_password(session: Session, username: str, password: str, *, actor: str) -> None:
    """Set a new password and end the user's open sessions (a stolen session dies with the old password)."""
    user = _get(session, username)
    try:
        user.password_hash = passwords.hash_password(password)
    except passwords.WeakPassword as exc:
        raise UserError(str(exc), exc.zh) from exc
    user.password_changed_at = dt.datetime.now()
    sessions.end_for_user(session, user.user_id)
    audit.record(session, actor, "user_reset_password", "user", username)


@dataclass(frozen=True)
class LoginOutcome:
    user: AppUser | None
    reason: str  # ok / locked / bad_credentials


def check_login(session: Session, username: str, password: str, ip: str) -> LoginOutcome:
    """Check a password under the rate limit, record the attempt and audit it. Disabled and unknown users
    get the same answer, in the same time, as a wrong password."""
    username = username.strip().lower()[:40]
    now = dt.datetime.now()
    reserved = ratelimit.reserve_attempt(session.get_bind(), username, ip, now)
    if reserved is None:
        audit.record(session, username or "-", "login_locked", "user", username, {"ip": ip})
        return LoginOutcome(None, "locked")
    user = session.scalar(select(AppUser).where(AppUser.username == username))
    if user is None:
        passwords.burn_verify_time(password)
        ok = False
    else:
        ok = passwords.verify_password(user.password_hash, password) and not user.disabled
    ratelimit.settle(session, reserved[0], ok)
    if not ok:
        audit.record(session, username or "-", "login_failed", "user", username, {"ip": ip})
        return LoginOutcome(None, "bad_credentials")
    session.execute(update(AppUser).where(AppUser.user_id == user.user_id).values(last_login_at=now))
    audit.record(session, username, "login", "user", username, {"ip": ip})
    return LoginOutcome(user, "ok")


def create_demo_users(engine: Engine) -> list[tuple[str, str, str]]:
    """Create the demo logins that do not exist yet; returns ``(username, role, password)`` of those created.

    Existing users are left alone (an operator may have changed their passwords or disabled them).
    """
    created = []
    with Session(engine) as session, session.begin():
        for username, role, dept_key, password in DEMO_USERS:
            if session.scalar(select(AppUser.user_id).where(AppUser.username == username)) is None:
                add_user(session, username, role, password, actor="演示数据初始化", dept_key=dept_key)
                created.append((username, role, password))
    return created
