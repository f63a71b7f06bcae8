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
_WRITTEN_MAX = 10_000  # sessions this process remembers having written (cleared when full)
# key -> (when this process last wrote the copy, the identity written, the cache backend written to)
_written: dict[str, tuple[float, Identity, object]] = {}


def ttl_seconds() -> int:
    return int(settings.get("outage_session_seconds"))


def _key(token: str) -> str:
    return KEY_PREFIX + token_hash(token)  # never the token itself: the cache is not a credential store


def remember(token: str, identity: Identity) -> None:
    """Keep the identity the warehouse just resolved for ``token``.

    The copy is rewritten only when this process wrote it more than a tenth of its lifetime ago or it says
    something else, not on every request (one Redis round trip, a pickle and a signature each; 13 % of the
    web workers' busy samples in a 50-user load, docs/benchmarks.md)."""
    key, now = _key(token), time.time()
    try:
        backend = cache.backend()
        written = _written.get(key)
        if written is not None:
            written_at, written_identity, written_to = written
            if written_identity == identity and written_to is backend and now - written_at < ttl_seconds() / 10:
                return
        backend.set(key, cache.dumps((now, identity)), ttl_seconds())
    except Exception:  # a cache outage only costs the outage fallback
        return
    if len(_written) >= _WRITTEN_MAX:
        _written.clear()
    _written[key] = (now, identity, backend)


def forget(token: str) -> None:
    """Drop the copy of a session the warehouse no longer accepts (ended, idle, disabled, revoked)."""
    _written.pop(_key(token), None)
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
