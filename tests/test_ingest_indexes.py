"""Secondary indexes built after a large batch (``ingest.indexes``), on real SQLite and PostgreSQL warehouses:
they are dropped only when the batch is at least the table's size, come back with the same definitions, and a
failed batch leaves them as they were."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from data_access.ingest import UnreadableFile, ingest_file
from data_access.ingest.indexes import MIN_ROWS, DeferredIndexes
from data_access.ingest.load import SQLITE_BATCH_CACHE_MIB
from data_access.schema import HotlineTicket, IngestQuarantine
from tests.db_fixtures import initialised_warehouse
from tests.test_ingest_files import HOTLINE_HEADER, _count, _ticket, _write_csv

TABLE = HotlineTicket.__table__


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path_factory):
    with initialised_warehouse(request.param, tmp_path_factory.mktemp("indexes")) as eng:
        yield eng


def _definitions(engine) -> dict[str, str]:
    """Every index of the work-order table (unique ones included) with its definition."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            rows = conn.exec_driver_sql("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %(t)s",
                                        {"t": TABLE.name}).all()
        else:
            rows = conn.exec_driver_sql("SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'index' "
                                        "AND tbl_name = ?", (TABLE.name,)).all()
    return dict(rows)


def _tickets(path, first: int, count: int):
    return _write_csv(path, HOTLINE_HEADER, [_ticket(f"KF{i:07d}") for i in range(first, first + count)])


@contextmanager
def sqlite_statements(engine) -> Iterator[list[str]]:
    """The statements SQLite runs meanwhile (nothing to watch on PostgreSQL)."""
    statements: list[str] = []

    def trace(dbapi_conn, _record) -> None:  # noqa: ANN001
        dbapi_conn.set_trace_callback(statements.append)

    if engine.dialect.name != "sqlite":
        yield statements
        return
    event.listen(engine, "connect", trace)
    engine.dispose()
    try:
        yield statements
    finally:
        event.remove(engine, "connect", trace)
        engine.dispose()


def _drops(statements: list[str]) -> int:
    return sum(s.startswith("DROP INDEX") for s in statements)


def test_large_first_load_rebuilds_the_same_indexes(engine, tmp_path):
    before = _definitions(engine)
    assert len(before) >= 9  # primary key, two unique keys and the secondary indexes of the schema
    with sqlite_statements(engine) as statements:
        result = ingest_file(engine, "hotline", _tickets(tmp_path / "big.csv", 0, MIN_ROWS + 500), chunk_rows=4000)
    assert result.inserted == MIN_ROWS + 500
    assert _definitions(engine) == before
    if engine.dialect.name == "sqlite":
        assert _drops(statements) == len([n for n in before if n.startswith("ix_")]) == 7
        with engine.connect() as conn:  # the rebuilt indexes hold exactly the table's rows
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
    with engine.connect() as conn:
        rows = conn.execute(select(HotlineTicket.order_no).where(HotlineTicket.accepted_at.is_not(None))).all()
    assert len(rows) == MIN_ROWS + 500


def test_rule_waits_until_the_batch_has_caught_up_with_the_table(engine, tmp_path):
    held = 2 * MIN_ROWS + 10
    ingest_file(engine, "hotline", _tickets(tmp_path / "base.csv", 0, held))
    with engine.begin() as conn:
        indexes = DeferredIndexes(conn, TABLE)
        indexes.consider(received=MIN_ROWS, inserted=0)  # counted up to 2 x MIN_ROWS + 1: only a lower bound
        assert (indexes.dropped, indexes.held, indexes.at_least) == ([], None, 2 * MIN_ROWS + 1)
        indexes.consider(received=2 * MIN_ROWS + 1, inserted=0)  # counted to the end this time
        assert (indexes.dropped, indexes.held) == ([], held)
        indexes.consider(received=held - 1, inserted=0)
        assert indexes.dropped == []
        indexes.consider(received=held, inserted=0)  # the batch is now as large as the table was
        assert len(indexes.dropped) == 7
        indexes.restore()
        small = DeferredIndexes(conn, TABLE)
        small.consider(received=MIN_ROWS - 1, inserted=0)  # too few rows to be worth a rebuild
        assert small.dropped == [] and small.held is None


def test_rows_of_the_batch_do_not_count_as_the_tables(engine, tmp_path):
    ingest_file(engine, "hotline", _tickets(tmp_path / "base.csv", 0, 100))
    with engine.begin() as conn:
        indexes = DeferredIndexes(conn, TABLE)
        indexes.consider(received=MIN_ROWS, inserted=90)  # 90 of the 100 stored rows came with this batch
        assert indexes.held == 10 and len(indexes.dropped) == 7
        indexes.restore()


def test_failed_batch_rolls_back_to_the_original_indexes(engine, tmp_path):
    before = _definitions(engine)
    # ~380-byte rows: the reader's first block (4 to 8 MiB) holds more than MIN_ROWS records, the bad byte
    # comes in a later one
    rows = [_ticket(f"KF{i:07d}", 诉求内容="长文本" * 25) for i in range(MIN_ROWS + 14_000)]
    path = _write_csv(tmp_path / "late.csv", HOTLINE_HEADER, rows)
    with path.open("ab") as fh:
        fh.write("KFX,2025-01-05 09:30:00,电话,投诉,消费维权,标题,".encode() + b"\xff\xfe\xfa" + b",x,x,x,x,x\n")
    with sqlite_statements(engine) as statements, pytest.raises(UnreadableFile):
        ingest_file(engine, "hotline", path, chunk_rows=2000)
    if engine.dialect.name == "sqlite":
        assert _drops(statements) == 7  # the failure came after the indexes were dropped
    assert _count(engine, HotlineTicket) == 0
    assert _definitions(engine) == before


def test_sqlite_batch_gets_a_larger_page_cache_and_gives_it_back(tmp_path):
    with initialised_warehouse("sqlite", tmp_path) as engine:
        with engine.connect() as conn:
            before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
        assert -before < SQLITE_BATCH_CACHE_MIB * 1024
        # a bad byte after the first MiB: the batch has begun when it fails
        bad = _write_csv(tmp_path / "bad.csv", HOTLINE_HEADER,
                         [_ticket(f"KF{i:07d}", 诉求内容="长文本" * 25) for i in range(4000)])
        with bad.open("ab") as fh:
            fh.write(b"\xff\xfe\n")
        with sqlite_statements(engine) as statements:
            ingest_file(engine, "hotline", _tickets(tmp_path / "ok.csv", 0, 50))
            with pytest.raises(UnreadableFile):
                ingest_file(engine, "hotline", bad)
            with engine.connect() as conn:  # the pooled connection both batches ran on
                assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == before
        larger = f"PRAGMA cache_size = {-SQLITE_BATCH_CACHE_MIB * 1024}"
        assert [s for s in statements if s.startswith("PRAGMA cache_size =")] == [
            larger, f"PRAGMA cache_size = {before}", larger, f"PRAGMA cache_size = {before}"]


def test_dry_run_keeps_the_indexes(engine, tmp_path):
    before = _definitions(engine)
    result = ingest_file(engine, "hotline", _tickets(tmp_path / "d.csv", 0, MIN_ROWS), dry_run=True)
    assert result.inserted == MIN_ROWS
    assert _definitions(engine) == before and _count(engine, HotlineTicket) == 0


def test_reimport_of_a_large_file_after_deferral_is_unchanged(engine, tmp_path):
    path = _tickets(tmp_path / "r.csv", 0, MIN_ROWS + 100)
    assert ingest_file(engine, "hotline", path, chunk_rows=3000).inserted == MIN_ROWS + 100
    again = ingest_file(engine, "hotline", path, chunk_rows=3000)
    assert (again.unchanged, again.inserted, again.updated) == (MIN_ROWS + 100, 0, 0)


@pytest.mark.postgres
def test_postgres_batch_keeps_its_indexes_when_readers_hold_the_table(tmp_path):
    """A dashboard query still open on the table: the drop gives up after LOCK_WAIT instead of queueing every
    later reader behind its exclusive lock, and the batch loads with the indexes maintained row by row.
    (PostgreSQL only: SQLite has one writer and no table locks to wait for.)"""
    with initialised_warehouse("postgresql", tmp_path) as engine:
        before = _definitions(engine)
        with engine.connect() as reader:
            reader.begin()
            reader.execute(select(HotlineTicket.ticket_id).limit(1)).all()  # holds ACCESS SHARE until rollback
            result = ingest_file(engine, "hotline", _tickets(tmp_path / "busy.csv", 0, MIN_ROWS + 10),
                                 chunk_rows=4000)
            reader.rollback()
        assert result.inserted == MIN_ROWS + 10
        assert _definitions(engine) == before  # had the drop waited, it would still wait for the reader's rollback


def _key_lookups(statements: list[str]) -> int:
    """Existing-key and unique-number look-ups SQLite ran against the work-order table."""
    return sum(s.startswith("SELECT") and 'FROM "fact_hotline_ticket" WHERE' in s for s in statements)


def test_first_load_into_an_empty_table_answers_key_lookups_itself(engine, tmp_path):
    """While the batch holds the emptied-out table alone, it knows every key in it: no look-ups are sent."""
    with sqlite_statements(engine) as statements:
        result = ingest_file(engine, "hotline", _tickets(tmp_path / "first.csv", 0, 3 * MIN_ROWS), chunk_rows=MIN_ROWS)
    assert result.inserted == 3 * MIN_ROWS
    if engine.dialect.name == "sqlite":
        assert _drops(statements) == 7 and _key_lookups(statements) == 0
    with sqlite_statements(engine) as statements:  # the same rows again: the table is no longer empty
        again = ingest_file(engine, "hotline", _tickets(tmp_path / "first.csv", 0, 3 * MIN_ROWS), chunk_rows=MIN_ROWS)
    assert again.unchanged == 3 * MIN_ROWS
    if engine.dialect.name == "sqlite":
        assert _key_lookups(statements) >= 3


def test_first_load_finds_repeats_and_taken_numbers_across_chunks(engine, tmp_path):
    """Without asking the database, a first load still updates a record repeated in a later chunk, keeps an
    identical repeat unchanged and quarantines a 工单编号 that another 来源记录编号 already took, before and after
    the update that makes the database answer again."""
    header = [*HOTLINE_HEADER, "来源记录编号"]
    rows = [[*_ticket(f"KF{i:07d}"), f"KF{i:07d}"] for i in range(MIN_ROWS)]  # chunk 1
    rows += [[*_ticket("KF0000005"), "OTHER-1"],  # chunk 2: a number taken in chunk 1 (answered in memory)
             [*_ticket("KF0000007", status="已办结", updated="2025-01-09 10:00:00"), "KF0000007"]]  # newer version
    rows += [[*_ticket(f"KF{i:07d}"), f"KF{i:07d}"] for i in range(MIN_ROWS, 2 * MIN_ROWS - 3)]
    rows += [[*_ticket("KF0000009"), "OTHER-2"],  # chunk 3: after the update, the database answers
             [*_ticket("KF0000001"), "KF0000001"],  # identical to chunk 1
             [*_ticket("KF0000002", updated="2025-01-01 10:00:00", 诉求标题="旧版本"), "KF0000002"]]  # older
    result = ingest_file(engine, "hotline", _write_csv(tmp_path / "mixed.csv", header, rows), chunk_rows=MIN_ROWS)
    assert (result.received, result.inserted, result.updated, result.unchanged, result.quarantined) == (
        2 * MIN_ROWS + 2, 2 * MIN_ROWS - 3, 1, 2, 2)
    with engine.connect() as conn:
        reasons = conn.execute(select(IngestQuarantine.line_no, IngestQuarantine.reasons)
                               .order_by(IngestQuarantine.line_no)).all()
        assert [line for line, _ in reasons] == [MIN_ROWS + 2, 2 * MIN_ROWS + 1]
        assert all("已由来源系统" in why for _, why in reasons)
        stored = dict(conn.execute(select(HotlineTicket.order_no, HotlineTicket.title)
                                   .where(HotlineTicket.order_no.in_(["KF0000002", "KF0000007"]))).all())
        status = conn.execute(select(HotlineTicket.status).where(HotlineTicket.order_no == "KF0000007")).scalar_one()
    assert stored["KF0000002"] == "预付卡退费难" and status != "待签收"
    assert _count(engine, HotlineTicket) == 2 * MIN_ROWS - 3
