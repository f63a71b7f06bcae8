"""Resolved sessions kept for a short time, so pages still open (with cached data) while the warehouse is down.

Every request resolves its session in the warehouse; the identity found is also kept in the shared cache
for at most ``outage_session_seconds``. That copy is used only when the warehouse cannot be reached, so a
logout, a disabled user or a revoked wall token takes effect as soon as the database answers again, and a
copy older than the setting is never used.
"""

from __future__ import annotations

import time

import settings
from data_access import cache
from security.sessions import Identity
from security.tokens import token_hash

KEY_PREFIX = "bj:session:"


def ttl_seconds() -> int:
    return int(settings.get("outage_session_seconds"))


def _key(token: str) -> str:
    return KEY_PREFIX + token_hash(token)  # never the token itself: the cache is not a credential store


def remember(token: str, identity: Identity) -> None:
    """Keep the identity the warehouse just resolved for ``token``."""
    try:
        cache.backend().set(_key(token), cache.dumps((time.time(), identity)), ttl_seconds())
    except Exception:  # a cache outage only costs the outage fallback
        pass


def forget(token: str) -> None:
    """Drop the copy of a session the warehouse no longer accepts (ended, idle, disabled, revoked)."""
    try:
        cache.backend().delete(_key(token))
    except Exception:
        pass


def recall(token: str) -> Identity | None:
    """The identity resolved for ``token`` within the last ``outage_session_seconds``, if any."""
    try:
        blob = cache.backend().get(_key(token))
    except Exception:
        return None
    if blob is None:
        return None
    try:
        stored_at, identity = cache.loads(blob)  # signed: a forged entry is never unpickled
    except cache.Tampered:
        return None
    return identity if time.time() - stored_at <= ttl_seconds() else None
