"""Login rate limiting from the ``app_login_attempt`` table, so every server process sees the same counts.

A username + IP pair is locked once it has ``login_max_failures`` failures within ``login_lock_minutes``
(failures before its last success do not count); an IP is locked once it has
``login_max_failures_per_ip`` failures in that window, whatever usernames it tried.

The check is a reservation, made atomically before the password is verified: under a per-IP lock
(``pg_advisory_xact_lock`` on PostgreSQL, the database write lock on SQLite) the failures are counted and,
unless locked, the attempt is inserted *in flight* (``succeeded`` NULL) and committed at once; the password
check then settles it as a success or a failure. Counting first and recording after the (slow) password
check let 40 parallel guesses get 18–19 checks through a 5-failure limit.

In-flight attempts count as failures for the username + IP pair (parallel guesses at one account see each
other). For the IP they count only beyond ``login_max_in_flight_per_ip``: an office behind one NAT address
logging in at 9:00 is many *different* users at once, and counting each of them as a failure until its
password was checked refused the 21st (50 simultaneous logins: 20 refused with 429). A burst from one IP can
so get at most ``login_max_failures_per_ip`` + ``login_max_in_flight_per_ip`` checks in a window, each at most
``login_max_failures`` per username. An attempt left in flight longer than ``STALE_IN_FLIGHT`` (its process
died mid-check) counts as a failure.
"""

from __future__ import annotations

import datetime as dt
import zlib

from sqlalchemy import Connection, Engine, func, insert, select, text, update
from sqlalchemy.orm import Session

import settings
from data_access.schema import LoginAttempt

_PG_LOCK_NAMESPACE = 0x626A_6C6F  # "bjlo": advisory locks of login attempts, one per client IP
STALE_IN_FLIGHT = dt.timedelta(minutes=2)  # far beyond a password check (argon2: ~0.1 s, seconds under load)


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
    return conn.scalar(select(func.count()).where(  # failures and attempts in flight
        LoginAttempt.username == username, LoginAttempt.ip == ip, LoginAttempt.succeeded.is_not(True),
        LoginAttempt.at > pair_since))


def _is_locked(conn: Connection, username: str, ip: str, now: dt.datetime) -> bool:
    since = now - window()
    if _pair_failures(conn, username, ip, now) >= int(settings.get("login_max_failures")):
        return True
    failed, in_flight = conn.execute(select(
        func.count().filter((LoginAttempt.succeeded.is_(False))
                            | (LoginAttempt.succeeded.is_(None) & (LoginAttempt.at <= now - STALE_IN_FLIGHT))),
        func.count().filter(LoginAttempt.succeeded.is_(None) & (LoginAttempt.at > now - STALE_IN_FLIGHT)),
    ).where(LoginAttempt.ip == ip, LoginAttempt.at > since)).one()
    allowed_failures = int(settings.get("login_max_failures_per_ip"))
    return (failed >= allowed_failures
            or failed + in_flight >= allowed_failures + int(settings.get("login_max_in_flight_per_ip")))


def reserve_attempt(engine: Engine, username: str, ip: str, now: dt.datetime) -> tuple[int, int] | None:
    """Atomically: None if the pair or the IP is locked, else record this attempt in flight (committed at
    once, so parallel attempts count it) and return its id (for :func:`settle`) and the pair's failures in
    the window, this one included."""
    with engine.begin() as conn:
        _lock_ip(conn, ip)
        if _is_locked(conn, username, ip, now):
            return None
        attempt_id = conn.execute(insert(LoginAttempt).values(username=username[:40], ip=ip[:45], at=now,
                                                              succeeded=None).returning(LoginAttempt.attempt_id)
                                  ).scalar_one()
        return attempt_id, _pair_failures(conn, username, ip, now)


def settle(session: Session, attempt_id: int, succeeded: bool) -> None:
    """A reserved attempt's password (or wall token) was checked: record the outcome (committed with the
    login itself or with its audit row)."""
    session.execute(update(LoginAttempt).where(LoginAttempt.attempt_id == attempt_id).values(succeeded=succeeded))
