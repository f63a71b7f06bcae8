"""The hash-chained audit log: appends link up, and editing, deleting or truncating rows is caught —
on SQLite and on PostgreSQL. Also the CLI's exit status."""

from __future__ import annotations

import contextlib
import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.orm import Session

from bianjian_cli import cli
from data_access import db
from data_access.db import make_engine
from data_access.schema import AuditLog, Base, Setting
from data_access.scope import Scope
from security import audit
from tests.db_fixtures import postgres_database

AUDIT_TABLES = [AuditLog.__table__, Setting.__table__]


@contextlib.contextmanager
def _engine(backend: str, tmp_path):
    """A database holding just the audit log and the settings table (where the chain head is kept)."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
        Base.metadata.create_all(engine, tables=AUDIT_TABLES)
        yield engine
        engine.dispose()
    else:
        with postgres_database() as url:
            engine = make_engine(url)
            Base.metadata.create_all(engine, tables=AUDIT_TABLES)
            yield engine
            engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path, monkeypatch):
    monkeypatch.setenv("BIANJIAN_VAR_DIR", str(tmp_path))  # where the checkpoint outside the database goes
    with _engine(request.param, tmp_path) as engine:
        yield engine


def _fill(engine: Engine, n: int = 6) -> list[int]:
    with Session(engine) as session, session.begin():
        for i in range(n):
            audit.record(session, "analyst", "pii_view", "hotline_ticket", str(i),
                         {"fields": ["caller_phone"], "note": "查看来电人电话", "n": i, "ratio": 0.1 * i})
    with engine.connect() as conn:
        return list(conn.scalars(select(AuditLog.audit_id).order_by(AuditLog.audit_id)))


def test_intact_chain_verifies(engine):
    ids = _fill(engine)
    assert audit.verify(engine) == []
    with engine.connect() as conn:
        rows = conn.execute(select(AuditLog.prev_hash, AuditLog.row_hash).order_by(AuditLog.audit_id)).all()
    assert rows[0].prev_hash == audit.GENESIS_HASH
    assert all(later.prev_hash == earlier.row_hash for earlier, later in zip(rows, rows[1:], strict=False))
    assert audit.head(engine) == (len(ids), rows[-1].row_hash)


def test_edited_row_is_named(engine):
    ids = _fill(engine)
    with engine.begin() as conn:
        conn.execute(update(AuditLog).where(AuditLog.audit_id == ids[2]).values(actor="someone_else"))
    problems = audit.verify(engine)
    assert problems and problems[0].audit_id == ids[2] and "edited" in str(problems[0])


def test_edited_row_with_recomputed_hash_breaks_the_next_link(engine):
    ids = _fill(engine)
    with engine.connect() as conn:
        row = conn.execute(select(AuditLog).where(AuditLog.audit_id == ids[2])).mappings().one()
    forged = {**row, "detail": {"fields": [], "note": "nothing to see"}}
    with engine.begin() as conn:
        conn.execute(update(AuditLog).where(AuditLog.audit_id == ids[2]).values(
            detail=forged["detail"], row_hash=audit.chain_hash(row["prev_hash"], forged)))
    problems = audit.verify(engine)
    assert [p.audit_id for p in problems] == [ids[3]]


def test_deleted_row_is_caught_at_the_next_row(engine):
    ids = _fill(engine)
    with engine.begin() as conn:
        conn.execute(delete(AuditLog).where(AuditLog.audit_id == ids[1]))
    problems = audit.verify(engine)
    assert problems[0].audit_id == ids[2] and "deleted" in str(problems[0])


def test_deleted_last_row_is_caught_by_the_head(engine):
    ids = _fill(engine)
    with engine.begin() as conn:
        conn.execute(delete(AuditLog).where(AuditLog.audit_id == ids[-1]))
    problems = audit.verify(engine)
    assert len(problems) == 1 and problems[0].audit_id is None and "end of the log" in str(problems[0])


def test_truncation_with_a_rewritten_head_is_caught_by_the_checkpoint(engine):
    """Issue 21 #10: deleting the last rows and setting the stored head to the new last row passed verify."""
    ids = _fill(engine)
    assert audit.verify(engine) == []
    audit.checkpoint(engine)
    with engine.begin() as conn:
        conn.execute(delete(AuditLog).where(AuditLog.audit_id >= ids[-2]))
        new_head = conn.scalar(select(AuditLog.row_hash).where(AuditLog.audit_id == ids[-3]))
        conn.execute(update(Setting).where(Setting.key == audit.HEAD_SETTING).values(value=new_head))
    problems = audit.verify(engine)
    assert problems and f"anchors row {ids[-1]}" in str(problems[0]), problems


def test_a_wiped_log_is_caught_by_the_checkpoint(engine):
    ids = _fill(engine)
    assert audit.verify(engine) == []
    audit.checkpoint(engine)
    with engine.begin() as conn:
        conn.execute(delete(AuditLog))
        conn.execute(delete(Setting))
    messages = [str(p) for p in audit.verify(engine)]
    assert any(f"0 rows, fewer than the {len(ids)}" in m for m in messages), messages


def test_an_edited_checkpoint_is_refused(engine):
    _fill(engine)
    audit.checkpoint(engine)
    path = audit.checkpoint_path(engine)
    path.write_text(path.read_text().replace('"rows": 6', '"rows": 2'))
    assert "wrong signature" in str(audit.verify(engine)[0])


def test_a_row_with_non_json_detail_is_named_not_a_crash(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's json type refuses invalid JSON itself")
    ids = _fill(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE app_audit_log SET detail = '{not json' WHERE audit_id = :id"), {"id": ids[2]})
    problems = audit.verify(engine)
    assert problems[0].audit_id == ids[2] and "not valid JSON" in str(problems[0])


def test_concurrent_writers_keep_one_chain(engine):
    """Four threads appending at once must never fork the chain (two rows with the same prev_hash)."""
    errors = []

    def writer(k: int) -> None:
        try:
            for i in range(10):
                with Session(engine) as session, session.begin():
                    audit.record(session, f"writer{k}", "test", "thread", f"{k}-{i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert audit.verify(engine) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(DISTINCT prev_hash), COUNT(*) FROM app_audit_log")).one() == (40, 40)


def test_record_pii_access(engine):
    with Session(engine) as session, session.begin():
        audit.record_pii_access(session, Scope("analyst", "ANALYST"), "hotline_ticket", [11, 12],
                                export=True, fields=["caller_name", "caller_phone"], purpose="回访")
    with engine.connect() as conn:
        row = conn.execute(select(AuditLog)).mappings().one()
    assert (row["actor"], row["action"], row["object_type"], row["object_id"]) == \
        ("analyst", "pii_export", "hotline_ticket", None)
    assert row["detail"] == {"role": "ANALYST", "count": 2, "ids": ["11", "12"],
                             "fields": ["caller_name", "caller_phone"], "purpose": "回访"}
    assert audit.verify(engine) == []


def test_record_rejects_bad_fields(engine):
    with Session(engine) as session, session.begin():
        with pytest.raises(ValueError, match="actor"):
            audit.record(session, "x" * 41, "login", "user")
        with pytest.raises(ValueError):
            audit.record(session, "a", "login", "user", detail={"score": float("nan")})


def test_cli_verify_exit_status(tmp_path, monkeypatch):
    monkeypatch.setenv("BIANJIAN_VAR_DIR", str(tmp_path))
    with _engine("sqlite", tmp_path) as engine:
        ids = _fill(engine)
        monkeypatch.setenv("BIANJIAN_DATABASE_URL", str(engine.url))
        db.reset()
        try:
            ok = CliRunner().invoke(cli, ["audit", "verify"])
            assert ok.exit_code == 0, ok.output
            assert ok.output.startswith(f"ok: {len(ids)} rows, head ")
            assert audit.checkpoint_path(engine).exists()  # the verified state is anchored outside the database
            with engine.begin() as conn:
                conn.execute(update(AuditLog).where(AuditLog.audit_id == ids[3]).values(object_id="x"))
            bad = CliRunner().invoke(cli, ["audit", "verify"])
            assert bad.exit_code == 1
            assert f"first: audit row {ids[3]}: content does not match" in bad.output
        finally:
            db.reset()
