"""Login rate limiting from the ``app_login_attempt`` table, so every server process sees the same counts.

A username + IP pair is locked once it has ``login_max_failures`` failures within ``login_lock_minutes``
(failures before its last success do not count); an IP is locked once it has
``login_max_failures_per_ip`` failures in that window, whatever usernames it tried.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

import settings
from data_access.schema import LoginAttempt


def window() -> dt.timedelta:
    return dt.timedelta(minutes=int(settings.get("login_lock_minutes")))


def is_locked(session: Session, username: str, ip: str, now: dt.datetime) -> bool:
    since = now - window()
    last_success = session.scalar(select(func.max(LoginAttempt.at)).where(
        LoginAttempt.username == username, LoginAttempt.ip == ip, LoginAttempt.succeeded))
    pair_since = max(since, last_success) if last_success else since
    pair_failures = session.scalar(select(func.count()).where(
        LoginAttempt.username == username, LoginAttempt.ip == ip, ~LoginAttempt.succeeded,
        LoginAttempt.at > pair_since))
    if pair_failures >= int(settings.get("login_max_failures")):
        return True
    ip_failures = session.scalar(select(func.count()).where(
        LoginAttempt.ip == ip, ~LoginAttempt.succeeded, LoginAttempt.at > since))
    return ip_failures >= int(settings.get("login_max_failures_per_ip"))


def note_attempt(session: Session, username: str, ip: str, succeeded: bool, now: dt.datetime) -> None:
    session.execute(insert(LoginAttempt).values(username=username[:40], ip=ip[:45], at=now, succeeded=succeeded))
