"""Random bearer tokens (sessions, wall displays, API keys) and the one-way form kept of them.

Tokens carry 256 random bits, so a fast SHA-256 is enough to make the stored form useless to a thief
(a slow hash only matters for guessable secrets such as passwords), and it allows lookup by hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token(prefix: str) -> str:
    """A fresh token such as ``bjk_3q…``; the prefix tells an operator what kind of secret leaked."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison, so response timing does not reveal how much of a secret matched."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
