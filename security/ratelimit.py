"""Login rate limiting from the ``app_login_attempt`` table, so every server process sees the same counts.

A username + IP pair is locked once it has ``login_max_failures`` failures within ``login_lock_minutes``
(failures before its last success do not count); an IP is locked once it has
``login_max_failures_per_ip`` failures in that window, whatever usernames it tried.

The check is a reservation, made atomically before the password is verified: under a per-IP lock
(``pg_advisory_xact_lock`` on PostgreSQL, the database write lock on SQLite) the failures are counted and,
unless locked, the attempt is inserted *as a failure* and committed at once. Parallel guesses therefore see
each other's rows; only a verified password turns its row into a success. Counting first and recording
after the (slow) password check let 40 parallel guesses get 18–19 checks through a 5-failure limit.
"""

from __future__ import annotations

import datetime as dt
import zlib

from sqlalchemy import Connection, Engine, func, insert, select, text, update
from sqlalchemy.orm import Session

import settings
from data_access.schema import LoginAttempt

_PG_LOCK_NAMESPACE = 0x626A_6C6F  # "bjlo": advisory locks of login attempts, one per client IP


def window() -> dt.timedelta:
    return dt.timedelta(minutes=int(settings.get("login_lock_minutes")))


def _lock_ip(conn: Connection, ip: str) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:ns, :key)"),
                     {"ns": _PG_LOCK_NAMESPACE, "key": zlib.crc32(ip.encode()) - 2**31})
    else:
        # A write statement (matching no row) takes SQLite's single write lock before anything is counted.
        conn.execute(update(LoginAttempt).where(LoginAttempt.attempt_id < 0).values(ip=LoginAttempt.ip))


def _pair_failures(conn: Connection, username: str, ip: str, now: dt.datetime) -> int:
    since = now - window()
    last_success = conn.scalar(select(func.max(LoginAttempt.at)).where(
        LoginAttempt.username == username, LoginAttempt.ip == ip, LoginAttempt.succeeded))
    pair_since = max(since, last_success) if last_success else since
    return conn.scalar(select(func.count()).where(
        LoginAttempt.username == username, LoginAttempt.ip == ip, ~LoginAttempt.succeeded,
        LoginAttempt.at > pair_since))


def _is_locked(conn: Connection, username: str, ip: str, now: dt.datetime) -> bool:
    since = now - window()
    if _pair_failures(conn, username, ip, now) >= int(settings.get("login_max_failures")):
        return True
    ip_failures = conn.scalar(select(func.count()).where(
        LoginAttempt.ip == ip, ~LoginAttempt.succeeded, LoginAttempt.at > since))
    return ip_failures >= int(settings.get("login_max_failures_per_ip"))


def reserve_attempt(engine: Engine, username: str, ip: str, now: dt.datetime) -> tuple[int, int] | None:
    """Atomically: None if the pair or the IP is locked, else record this attempt as a failure (committed
    at once, so parallel attempts count it) and return its id (for :func:`mark_succeeded`) and the pair's
    failures in the window, this one included."""
    with engine.begin() as conn:
        _lock_ip(conn, ip)
        if _is_locked(conn, username, ip, now):
            return None
        attempt_id = conn.execute(insert(LoginAttempt).values(username=username[:40], ip=ip[:45], at=now,
                                                              succeeded=False).returning(LoginAttempt.attempt_id)
                                  ).scalar_one()
        return attempt_id, _pair_failures(conn, username, ip, now)


def mark_succeeded(session: Session, attempt_id: int) -> None:
    """The password of a reserved attempt was right (committed with the login itself)."""
    session.execute(update(LoginAttempt).where(LoginAttempt.attempt_id == attempt_id).values(succeeded=True))
