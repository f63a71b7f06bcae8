"""Wall-display (kiosk) tokens: ``/wall?kiosk=TOKEN`` logs a keyboard-less display in as role WALL.

Only the token's SHA-256 is stored; the token is shown once, at creation. Revoking ends the display's
open sessions immediately.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access import limits
from data_access.schema import KioskToken
from security import audit, sessions
from security.errors import OperatorError
from security.tokens import new_token, token_hash

NAME_PATTERN = re.compile(rf"^[A-Za-z0-9_.-]{{1,{limits.max_chars('kiosk_name')}}}$")


class KioskError(OperatorError):
    pass


def _active(session: Session, name: str) -> KioskToken | None:
    return session.scalar(select(KioskToken).where(KioskToken.name == name, KioskToken.revoked_at.is_(None)))


def create(session: Session, name: str, *, actor: str) -> str:
    """Create the display ``name`` and return its token (shown once)."""
    if not NAME_PATTERN.match(name):
        raise KioskError("kiosk name must be 1–30 characters of A–Z, a–z, 0–9, '_', '.', '-'",
                         "大屏名称须为 1–30 个字母、数字或 _ . - 符号")
    if _active(session, name) is not None:
        raise KioskError(f"kiosk {name!r} already has an active token; revoke it first",
                         f"大屏「{name}」已有有效令牌，请先吊销")
    token = new_token("bjk")
    session.add(KioskToken(name=name, token_hash=token_hash(token), created_at=dt.datetime.now(),
                           created_by=actor[:40]))
    audit.record(session, actor, "kiosk_create", "kiosk", name)
    return token


def list_kiosks(session: Session) -> list[KioskToken]:
    return list(session.scalars(select(KioskToken).order_by(KioskToken.name, KioskToken.kiosk_id)))


def revoke(session: Session, name: str, *, actor: str) -> None:
    kiosk = _active(session, name)
    if kiosk is None:
        raise KioskError(f"no active kiosk named {name!r}", f"没有名为「{name}」的有效大屏")
    kiosk.revoked_at = dt.datetime.now()
    sessions.end_for_kiosk(session, kiosk.kiosk_id)
    audit.record(session, actor, "kiosk_revoke", "kiosk", name)


def authenticate(session: Session, token: str) -> KioskToken | None:
    """The active kiosk holding ``token``, or None."""
    kiosk = session.scalar(select(KioskToken).where(KioskToken.token_hash == token_hash(token),
                                                    KioskToken.revoked_at.is_(None)))
    if kiosk is not None:
        kiosk.last_used_at = dt.datetime.now()
    return kiosk
