"""Append-only, hash-chained audit log (table ``app_audit_log``).

Each row stores ``prev_hash`` (the previous row's ``row_hash``) and
``row_hash = sha256(prev_hash + canonical JSON of the row)``. Editing a row breaks its own hash; deleting
a row breaks the link of the row after it; deleting rows at the end is caught by the chain head kept in
``app_setting`` (key ``audit_head``) — unless the deleter also rewrites that head, or wipes the table. So a
successful verification also writes a *checkpoint* outside the database, ``VAR_DIR/audit_checkpoint-<db>.json``
(row count, last id, head), HMAC-signed with the secret key. A later verification fails when the log no
longer holds the checkpointed row with that hash, or has fewer rows. Operators still copy the head printed by
``bianjian audit verify`` somewhere else (the weekly report, a ticket) for whoever holds the key too.

Writers are serialised so the chain never forks: a transaction-scoped advisory lock on PostgreSQL, the
database write lock on SQLite (taken before the previous hash is read).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Text, cast, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

import settings
from data_access.schema import AuditLog, Setting

if TYPE_CHECKING:
    from data_access.scope import Scope

GENESIS_HASH = "0" * 64
HEAD_SETTING = "audit_head"
CHECKPOINT_PREFIX = "audit_checkpoint-"  # + a hash of the database URL, so each warehouse has its own
_PG_LOCK_KEY = 0x62_6A_61_75  # "bjau": the advisory lock that serialises audit writers
_FIELD_LIMIT = 40  # actor, action and object_type columns are String(40)


def _connection(conn_or_session: Connection | Session) -> Connection:
    return conn_or_session.connection() if isinstance(conn_or_session, Session) else conn_or_session


def canonical_json(row: dict[str, Any]) -> str:
    """The row as hashed: fixed key order, no whitespace, UTF-8 kept, timestamp to the microsecond."""
    return json.dumps({
        "at": row["at"].isoformat(timespec="microseconds"),
        "actor": row["actor"], "action": row["action"], "object_type": row["object_type"],
        "object_id": row["object_id"], "detail": row["detail"],
    }, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def chain_hash(prev_hash: str, row: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(row)).encode("utf-8")).hexdigest()


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    else:
        # A write statement (even one matching no row) takes SQLite's single write lock for the rest of
        # the transaction, so no other writer can append between our read of the head and our insert.
        conn.execute(update(AuditLog).where(AuditLog.audit_id < 0).values(actor=AuditLog.actor))


def record(conn_or_session: Connection | Session, actor: str, action: str, object_type: str,
           object_id: str | None = None, detail: dict[str, Any] | None = None) -> str:
    """Append one audit row in the caller's transaction and return its ``row_hash``.

    ``detail`` must be JSON-serialisable (dates are written as strings). Commit is the caller's: an
    action and its audit row succeed or fail together.
    """
    for field, value in (("actor", actor), ("action", action), ("object_type", object_type)):
        if not value or len(value) > _FIELD_LIMIT:
            raise ValueError(f"audit {field} must be 1–{_FIELD_LIMIT} characters: {value!r}")
    conn = _connection(conn_or_session)
    row = {
        "at": dt.datetime.now(), "actor": actor, "action": action, "object_type": object_type,
        "object_id": None if object_id is None else str(object_id)[:120],
        # Round-trip through JSON so what is hashed is exactly what the database gives back later.
        "detail": json.loads(json.dumps(detail or {}, ensure_ascii=False, default=str, allow_nan=False)),
    }
    _lock(conn)
    prev_hash = conn.execute(select(AuditLog.row_hash).order_by(AuditLog.audit_id.desc()).limit(1)
                             ).scalar_one_or_none() or GENESIS_HASH
    row_hash = chain_hash(prev_hash, row)
    conn.execute(insert(AuditLog).values(**row, prev_hash=prev_hash, row_hash=row_hash))
    conn.execute(delete(Setting).where(Setting.key == HEAD_SETTING))
    conn.execute(insert(Setting).values(key=HEAD_SETTING, value=row_hash))
    return row_hash


def record_pii_access(conn_or_session: Connection | Session, scope: Scope, object_type: str,
                      object_ids: Sequence[str | int], *, export: bool = False,
                      fields: Sequence[str] = (), purpose: str | None = None) -> str:
    """Record that ``scope`` saw (or exported, ``export=True``) unmasked personal data.

    Call it from the page or export that shows unmasked names, phones or ID numbers (query functions only
    read), e.g. ``record_pii_access(session, scope, "hotline_ticket", ticket_ids, fields=["caller_phone"])``.
    Up to 200 object ids are kept in the row; ``count`` always has the full number.
    """
    ids = [str(i) for i in object_ids]
    detail = {"role": scope.role, "count": len(ids), "ids": ids[:200], "fields": list(fields)}
    if purpose:
        detail["purpose"] = purpose
    return record(conn_or_session, scope.user, "pii_export" if export else "pii_view", object_type,
                  ids[0] if len(ids) == 1 else None, detail)


def record_pii_view(session: Session, scope: Scope, object_type: str, object_ids: Sequence[str | int], *,
                    fields: Sequence[str], purpose: str) -> None:
    """Audit a page that showed ``object_ids`` to ``scope``: one ``pii_view`` row when the role sees personal
    data unmasked and something was shown (masked rows reveal nothing to record). Call it in the read's
    transaction, right after the read, on every path that shows the rows."""
    if scope.sees_pii and len(object_ids):
        record_pii_access(session, scope, object_type, object_ids, fields=fields, purpose=purpose)


@dataclass(frozen=True)
class Problem:
    audit_id: int | None
    message: str

    def __str__(self) -> str:
        return self.message


def _detail(raw: Any) -> Any:
    """The detail column as stored (text on SQLite, parsed by the driver elsewhere), as JSON values."""
    return json.loads(raw) if isinstance(raw, str) else raw


def verify(engine: Engine) -> list[Problem]:
    """Check every row's hash and link, the chain head, and the checkpoint outside the database; an empty
    list means the log is intact.

    Problems are in row order, so the first one names the first row that was tampered with.
    """
    problems: list[Problem] = []
    expected_prev, last_id, last_hash, rows = GENESIS_HASH, None, GENESIS_HASH, 0
    columns = (AuditLog.audit_id, AuditLog.at, AuditLog.actor, AuditLog.action, AuditLog.object_type,
               AuditLog.object_id, cast(AuditLog.detail, Text).label("detail"), AuditLog.prev_hash,
               AuditLog.row_hash)
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=5000).execute(select(*columns).order_by(AuditLog.audit_id))
        for row in result.mappings():
            audit_id, rows = row["audit_id"], rows + 1
            if row["prev_hash"] != expected_prev:
                after = f"row {last_id}" if last_id is not None else "the start of the log"
                problems.append(Problem(audit_id, f"audit row {audit_id}: prev_hash does not link to {after} "
                                                  "(a row before it was deleted, inserted or rewritten)"))
            try:
                content = {**row, "detail": _detail(row["detail"])}
                intact = chain_hash(row["prev_hash"], content) == row["row_hash"]
            except (ValueError, TypeError):
                problems.append(Problem(audit_id, f"audit row {audit_id}: detail is not valid JSON (the row was "
                                                  "edited outside the application)"))
            else:
                if not intact:
                    problems.append(Problem(audit_id, f"audit row {audit_id}: content does not match its "
                                                      "row_hash (the row was edited)"))
            expected_prev, last_id, last_hash = row["row_hash"], audit_id, row["row_hash"]
        head = conn.execute(select(Setting.value).where(Setting.key == HEAD_SETTING)).scalar_one_or_none()
        if head is not None and head != last_hash:
            problems.append(Problem(None, f"audit chain ends at {last_hash[:12]}… but the recorded head is "
                                          f"{head[:12]}… (rows were deleted from the end of the log)"))
        problems += _checkpoint_problems(conn, checkpoint_path(engine), rows)
    return problems


def checkpoint_path(engine: Engine) -> Path:
    """Where the checkpoint of ``engine``'s audit log is kept (one file per database)."""
    url = engine.url.render_as_string(hide_password=True)
    return settings.var_dir() / f"{CHECKPOINT_PREFIX}{hashlib.sha256(url.encode()).hexdigest()[:16]}.json"


def _signature(fields: dict[str, Any]) -> str:
    message = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(settings.secret_key().encode(), b"bianjian-audit\0" + message, hashlib.sha256).hexdigest()


def checkpoint(engine: Engine) -> dict[str, Any]:
    """Anchor the chain outside the database: the row count, last id and head, signed, in VAR_DIR.

    Call it only after :func:`verify` found nothing (``bianjian audit verify`` and the admin page do)."""
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(AuditLog)).scalar_one()
        last = conn.execute(select(AuditLog.audit_id, AuditLog.row_hash).order_by(AuditLog.audit_id.desc())
                            .limit(1)).first()
    fields = {"rows": rows, "last_id": last[0] if last else None, "head": last[1] if last else GENESIS_HASH,
              "at": dt.datetime.now().isoformat(timespec="seconds")}
    path = checkpoint_path(engine)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({**fields, "signature": _signature(fields)}), encoding="utf-8")
    temporary.chmod(0o600)
    os.replace(temporary, path)
    return fields


def _checkpoint_problems(conn: Connection, path: Path, rows: int) -> list[Problem]:
    if not path.exists():
        return []
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        signature = stored.pop("signature")
        at, last_id, anchored, anchored_rows = stored["at"], stored["last_id"], stored["head"], stored["rows"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return [Problem(None, f"the audit checkpoint {path} is unreadable")]
    if not hmac.compare_digest(str(signature), _signature(stored)):
        return [Problem(None, f"the audit checkpoint {path} has a wrong signature (it was edited)")]
    problems = []
    if last_id is not None and conn.execute(select(AuditLog.row_hash).where(AuditLog.audit_id == last_id)
                                            ).scalar_one_or_none() != anchored:
        problems.append(Problem(None, f"the checkpoint of {at} anchors row {last_id} (head {anchored[:12]}…), "
                                      "which the log no longer holds: rows at its end were deleted or rewritten"))
    if rows < anchored_rows:
        problems.append(Problem(None, f"the log has {rows} rows, fewer than the {anchored_rows} of the checkpoint "
                                      f"of {at} (rows were deleted, or the log was wiped)"))
    return problems


def head(engine: Engine) -> tuple[int, str]:
    """Number of rows and the last ``row_hash`` (the value to anchor outside the database)."""
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(AuditLog)).scalar_one()
        last = conn.execute(select(AuditLog.row_hash).order_by(AuditLog.audit_id.desc()).limit(1)).scalar()
    return n, last or GENESIS_HASH


def page(session: Session, *, offset: int, limit: int, actor: str | None = None,
         action: str | None = None) -> tuple[list[AuditLog], int]:
    """One page of the log, newest first, with the total number of matching rows (for the admin viewer)."""
    stmt = select(AuditLog)
    if actor:
        stmt = stmt.where(AuditLog.actor == actor)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(stmt.order_by(AuditLog.audit_id.desc()).offset(offset).limit(limit)).all()
    return list(rows), total
