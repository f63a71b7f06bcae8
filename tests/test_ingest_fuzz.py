"""Property-based fuzzing of every parser: random bytes and random rows either fail the whole file with a clear
message (nothing loaded) or load with every record accounted for (received == the records in the file ==
inserted + updated + unchanged + quarantined)."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from data_access.ingest import UnreadableFile, ingest_file, ingest_records
from data_access.ingest.sources import SOURCES
from data_access.schema import IngestQuarantine, LoadBatch
from tests.db_fixtures import sqlite_engine
from tests.test_ingest_files import empty_warehouse_path  # noqa: F401 - shared session fixture

FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])
KINDS = sorted({s.kind for s in SOURCES})
# Cells drawn from what breaks parsers: separators, quotes, newlines, CJK, blanks, codes and near-dates.
CELL = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
    st.sampled_from(["", " ", "是", "否", "2025-01-05 09:30:00", "2025/1/5", "20250105", "9999-99-99", "龙亭区",
                     "消费维权", "投诉", "转办", "待签收", "410202", "1", "-3", "1e308", "nan", '"', ",", "\n", "，"]),
)


@pytest.fixture(scope="module")
def engine(empty_warehouse_path, tmp_path_factory):  # noqa: F811
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    shutil.copy(empty_warehouse_path, path)
    engine = sqlite_engine(path)
    yield engine
    engine.dispose()


def _quarantine_rows(engine, batch_id: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(IngestQuarantine)
                            .where(IngestQuarantine.batch_id == batch_id)).scalar_one()


def _check(engine, result, expected_records: int | None = None) -> None:
    assert result.balanced, result
    if expected_records is not None:
        assert result.received == expected_records, result
    assert _quarantine_rows(engine, result.batch_id) == result.quarantined
    with engine.connect() as conn:
        stored = conn.execute(select(LoadBatch.received, LoadBatch.status)
                              .where(LoadBatch.batch_id == result.batch_id)).one()
    assert stored == (result.received, "ok")


def _load_or_refuse(engine, kind: str, path) -> object | None:
    try:
        return ingest_file(engine, kind, path)
    except UnreadableFile as exc:
        message = str(exc)
        assert " / " in message and any("\u4e00" <= ch <= "\u9fff" for ch in message), message
        return None


@FUZZ
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".csv", ".jsonl", ".xlsx"]), kind=st.sampled_from(KINDS))
def test_random_bytes_never_crash_or_lose_rows(engine, tmp_path_factory, data, suffix, kind):
    path = tmp_path_factory.mktemp("bytes") / f"random{suffix}"
    path.write_bytes(data)
    result = _load_or_refuse(engine, kind, path)
    if result is not None:
        _check(engine, result)


@FUZZ
@given(source=st.sampled_from(SOURCES), rows=st.lists(st.lists(CELL, min_size=0, max_size=40), max_size=25),
       encoding=st.sampled_from(["utf-8-sig", "gb18030"]))
def test_random_csv_rows_are_all_accounted_for(engine, tmp_path_factory, source, rows, encoding):
    header = [f.label for f in source.fields]
    path = tmp_path_factory.mktemp("rows") / "rows.csv"
    try:
        with path.open("w", encoding=encoding, newline="") as fh:
            csv.writer(fh).writerows([header, *rows])
    except UnicodeEncodeError:
        return  # a character GB18030 cannot hold: not a file a source system could send
    with path.open(encoding=encoding, newline="") as fh:
        records = [r for r in list(csv.reader(fh))[1:] if r and (len(r) > 1 or r[0].strip())]
    result = _load_or_refuse(engine, source.kind, path)
    if result is not None:
        _check(engine, result, len(records))


@FUZZ
@given(source=st.sampled_from(SOURCES), rows=st.lists(st.lists(CELL, max_size=40), max_size=15))
def test_random_xlsx_rows_are_all_accounted_for(engine, tmp_path_factory, source, rows):
    import openpyxl
    from openpyxl.utils.exceptions import IllegalCharacterError

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    try:
        sheet.append([f.label for f in source.fields])
        for row in rows:
            sheet.append(row)
    except IllegalCharacterError:
        return  # openpyxl cannot write control characters into a sheet
    path = tmp_path_factory.mktemp("xlsx") / "rows.xlsx"
    book.save(path)
    non_blank = sum(1 for r in rows if any(c.strip() for c in r))
    result = _load_or_refuse(engine, source.kind, path)
    if result is not None:
        _check(engine, result, non_blank)


JSON_VALUE = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), CELL),
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(CELL, inner, max_size=3),
                          max_leaves=6)


def _records(source) -> st.SearchStrategy:
    """Objects carrying every required key of ``source`` (so the layout is recognised) plus random keys."""
    required = {f.column: CELL for f in source.fields if f.required}
    return st.builds(lambda base, extra: {**extra, **base}, st.fixed_dictionaries(required),
                     st.dictionaries(CELL, JSON_VALUE, max_size=3))


@FUZZ
@given(data=st.data(), source=st.sampled_from(SOURCES))
def test_random_jsonl_lines_are_all_accounted_for(engine, tmp_path_factory, data, source):
    lines = data.draw(st.lists(st.one_of(_records(source), JSON_VALUE, st.text(max_size=20)), max_size=20))
    path = tmp_path_factory.mktemp("jsonl") / "rows.jsonl"
    text_lines = [line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines]
    text_lines = [t.replace("\n", " ").replace("\r", " ") for t in text_lines]
    path.write_text("\n".join(text_lines), encoding="utf-8")
    with path.open(encoding="utf-8") as fh:
        records = sum(1 for line in fh if line.strip())
    result = _load_or_refuse(engine, source.kind, path)
    if result is not None:
        _check(engine, result, records)


@FUZZ
@given(data=st.data(), source=st.sampled_from(SOURCES))
def test_random_pushed_records_are_all_accounted_for(engine, data, source):
    records = data.draw(st.lists(st.one_of(_records(source), JSON_VALUE), max_size=20))
    try:
        result = ingest_records(engine, source.kind, records, src_system="fuzz", origin="test")
    except UnreadableFile:
        return
    _check(engine, result, len(records))
