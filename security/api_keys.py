"""API keys of source systems for ``/api/v1/`` (the ingest endpoint): header ``X-API-Key: KEY`` or
``Authorization: Bearer KEY``. Only each key's SHA-256 is stored; keys are shown once and revocable.

The request guard (web.guard) authenticates every ``/api/v1/`` request and refuses it with 401 when
the key is missing or wrong; a route reads the caller with ``request_src_system()`` and the kinds of data
the key may push with ``request_kinds()``. A key is scoped to kinds (``kinds``); a key created without
them, or before scoping existed, may push :func:`default_kinds` of its system — never a register
(市场主体, 信用, 监管事项目录) unless the system is that register's own (``codes.INGEST_KINDS``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from data_access import codes, limits
from data_access.schema import ApiKey
from security import audit
from security.errors import OperatorError
from security.tokens import new_token, token_hash

SRC_SYSTEM_PATTERN = re.compile(rf"^[A-Za-z0-9_-]{{1,{limits.max_chars('key_system')}}}$")
_PREFIX_LEN = 12  # "bja_" + 8 characters: enough to tell keys apart in ``keys list``, useless to guess
_TOUCH_EVERY = dt.timedelta(minutes=1)


REGISTER_KINDS = frozenset({"entity", "credit", "catalog"})  # pushed only by keys granted them


class ApiKeyError(OperatorError):
    pass


@dataclass(frozen=True)
class Grant:
    """What an authenticated key may do: push ``kinds`` as ``src_system``."""

    src_system: str
    kinds: frozenset[str]


def default_kinds(src_system: str) -> frozenset[str]:
    """The kinds registered to ``src_system`` in ``codes.INGEST_KINDS`` (12345 → hotline), else every kind
    but the registers."""
    own = {kind for kind, system in codes.INGEST_KINDS.items() if system == src_system}
    return frozenset(own or set(codes.INGEST_KINDS) - REGISTER_KINDS)


def kinds_of(key: ApiKey) -> frozenset[str]:
    return frozenset(key.kinds.split(",")) if key.kinds else default_kinds(key.src_system)


def create(session: Session, src_system: str, *, actor: str, kinds: Iterable[str] | None = None) -> str:
    """Create a key for ``src_system`` that may push ``kinds`` (default: :func:`default_kinds`) and return it
    (shown once). A system may hold several keys, so a key can be rotated without downtime: create the new
    one, switch the sender, revoke the old one."""
    if not SRC_SYSTEM_PATTERN.match(src_system):
        raise ApiKeyError("source system must be 1–32 characters of A–Z, a–z, 0–9, '_', '-'",
                          "来源系统代码须为 1–32 个字母、数字或 _ - 符号")
    granted = sorted(set(kinds) if kinds is not None else default_kinds(src_system))
    unknown = [k for k in granted if k not in codes.INGEST_KINDS]
    if unknown or not granted:
        raise ApiKeyError(f"kinds must be one or more of {', '.join(codes.INGEST_KINDS)}"
                          + (f"; unknown: {', '.join(unknown)}" if unknown else ""),
                          "请至少选择一种可推送的数据类型" + (f"（未知类型：{'、'.join(unknown)}）" if unknown else ""))
    key = new_token("bja")
    session.add(ApiKey(src_system=src_system, key_prefix=key[:_PREFIX_LEN], key_hash=token_hash(key),
                       created_at=dt.datetime.now(), created_by=actor[:40], kinds=",".join(granted)))
    audit.record(session, actor, "api_key_create", "api_key", key[:_PREFIX_LEN],
                 {"src_system": src_system, "kinds": granted})
    return key


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.src_system, ApiKey.key_id)))


def revoke(session: Session, key_prefix: str, *, actor: str) -> ApiKey:
    """Revoke the active key whose prefix (as shown by ``keys list``) is ``key_prefix``."""
    matches = list(session.scalars(select(ApiKey).where(ApiKey.key_prefix == key_prefix,
                                                        ApiKey.revoked_at.is_(None))))
    if len(matches) != 1:
        raise ApiKeyError(f"no active key with prefix {key_prefix!r}" if not matches
                          else f"prefix {key_prefix!r} is ambiguous",
                          f"没有前缀为「{key_prefix}」的有效密钥" if not matches else f"前缀「{key_prefix}」对应多个密钥")
    matches[0].revoked_at = dt.datetime.now()
    audit.record(session, actor, "api_key_revoke", "api_key", key_prefix, {"src_system": matches[0].src_system})
    return matches[0]


def key_from_header(header_value: str | None) -> str | None:
    """The key in an ``X-API-Key`` value or an ``Authorization: Bearer …`` value."""
    if not header_value:
        return None
    value = header_value.strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value or None


def grant_in(session: Session, header_value: str | None) -> Grant | None:
    key = key_from_header(header_value)
    if key is None:
        return None
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == token_hash(key), ApiKey.revoked_at.is_(None)))
    if row is None:
        return None
    now = dt.datetime.now()
    if row.last_used_at is None or now - row.last_used_at > _TOUCH_EVERY:
        session.execute(update(ApiKey).where(ApiKey.key_id == row.key_id).values(last_used_at=now))
    return Grant(row.src_system, kinds_of(row))


def grant(header_value: str | None) -> Grant | None:
    """What the key in ``header_value`` (X-API-Key or Authorization value) may do, or None."""
    from data_access import db

    with db.session_scope() as session:
        return grant_in(session, header_value)


def authenticate(header_value: str | None) -> str | None:
    """The source system owning the key in ``header_value``, or None."""
    found = grant(header_value)
    return None if found is None else found.src_system


def request_src_system() -> str:
    """The source system of the current ``/api/v1/`` request (set by the request guard)."""
    from flask import g

    src_system = g.get("bianjian_src_system")
    if src_system is None:
        raise PermissionError("no authenticated source system in this request")
    return src_system


def request_kinds() -> frozenset[str]:
    """The kinds the current ``/api/v1/`` request's key may push (set by the request guard)."""
    from flask import g

    return g.get("bianjian_api_kinds") or frozenset()
