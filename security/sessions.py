"""Server-side login sessions (table ``app_session``): the browser holds only a random token.

Keeping sessions in the database makes logout, disabling a user and revoking a wall token take effect at
once, and lets the idle timeout be enforced by the server rather than trusted to a cookie.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

import settings
from data_access.schema import AppUser, KioskToken, UserSession
from data_access.scope import Scope
from security.tokens import new_token, token_hash

# last_seen_at is rewritten at most this often, so a busy dashboard does not write on every callback.
_TOUCH_EVERY = dt.timedelta(seconds=30)


@dataclass(frozen=True)
class Identity:
    """Who a request belongs to: a user, or a wall display logged in by its kiosk token."""

    session_id: int
    scope: Scope
    kiosk_name: str | None = None


def idle_timeout() -> dt.timedelta:
    return dt.timedelta(minutes=float(settings.get("session_idle_minutes")))


def start(session: Session, *, ip: str, user_id: int | None = None, kiosk_id: int | None = None) -> str:
    """Open a session and return the token for the cookie."""
    token = new_token("bjs")
    now = dt.datetime.now()
    session.add(UserSession(token_hash=token_hash(token), user_id=user_id, kiosk_id=kiosk_id, ip=ip[:45],
                            created_at=now, last_seen_at=now))
    return token


def resolve(session: Session, token: str) -> Identity | None:
    """The identity behind a session token, or None if it is unknown, ended, idle too long, or its user
    was disabled / its wall token revoked. Ends idle sessions and refreshes ``last_seen_at``."""
    now = dt.datetime.now()
    row = session.execute(
        select(UserSession, AppUser, KioskToken)
        .outerjoin(AppUser, AppUser.user_id == UserSession.user_id)
        .outerjoin(KioskToken, KioskToken.kiosk_id == UserSession.kiosk_id)
        .where(UserSession.token_hash == token_hash(token))).one_or_none()
    if row is None:
        return None
    user_session, user, kiosk = row
    if user_session.ended_at is not None:
        return None
    # Wall displays have no one to log them in again, so only revocation ends their sessions.
    if user_session.kiosk_id is None and now - user_session.last_seen_at > idle_timeout():
        user_session.ended_at = now
        return None
    if user is not None and not user.disabled:
        identity = Identity(user_session.session_id, Scope(user.username, user.role, user.dept_code))
    elif kiosk is not None and kiosk.revoked_at is None:
        identity = Identity(user_session.session_id, Scope(f"kiosk:{kiosk.name}", "WALL"), kiosk.name)
    else:
        return None
    if now - user_session.last_seen_at > _TOUCH_EVERY:
        user_session.last_seen_at = now
    return identity


def end(session: Session, token: str) -> None:
    session.execute(update(UserSession).where(UserSession.token_hash == token_hash(token),
                                              UserSession.ended_at.is_(None)).values(ended_at=dt.datetime.now()))


def end_for_user(session: Session, user_id: int) -> None:
    session.execute(update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
                    .values(ended_at=dt.datetime.now()))


def end_for_kiosk(session: Session, kiosk_id: int) -> None:
    session.execute(update(UserSession).where(UserSession.kiosk_id == kiosk_id, UserSession.ended_at.is_(None))
                    .values(ended_at=dt.datetime.now()))
