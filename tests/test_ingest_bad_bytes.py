"""Bytes a database refuses are a row-level quarantine reason, on both backends and both paths (issue #21.8):
one NUL in one row used to fail a whole PostgreSQL import (0 of 99 good rows loaded, nothing quarantined)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.ingest import ingest_file
from data_access.ingest.load import ingest_records
from data_access.schema import HotlineTicket, IngestQuarantine
from tests.db_fixtures import initialised_warehouse
from tests.test_ingest_api import RECORD
from tests.test_ingest_files import HOTLINE_HEADER, _ticket, _write_csv

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path):
    if request.param == "postgres":
        from tests.conftest import require_or_skip
        from tests.db_fixtures import postgres_available

        require_or_skip(*postgres_available())
    with initialised_warehouse(request.param, tmp_path) as engine:
        yield engine


def _counts(engine) -> tuple[int, list[str], list[str]]:  # noqa: ANN001
    with Session(engine) as session:
        return (session.scalar(select(func.count()).select_from(HotlineTicket)),
                list(session.scalars(select(IngestQuarantine.reasons).order_by(IngestQuarantine.line_no))),
                list(session.scalars(select(IngestQuarantine.raw_record).order_by(IngestQuarantine.line_no))))


def test_a_nul_byte_in_a_file_quarantines_its_row_only(engine, tmp_path):
    rows = [_ticket(f"NUL{i:03d}") for i in range(99)]
    rows.insert(50, _ticket("NULBAD", 诉求内容="预付卡\x00无法退费"))
    result = ingest_file(engine, "hotline", _write_csv(tmp_path / "nul.csv", HOTLINE_HEADER, rows))
    assert (result.inserted, result.quarantined) == (99, 1)
    n, reasons, raw = _counts(engine)
    assert n == 99 and len(reasons) == 1 and "NUL" in reasons[0]
    assert json.loads(raw[0])["诉求内容"] == "预付卡\x00无法退费"  # kept verbatim, as JSON escapes it


def test_nul_and_lone_surrogates_in_pushed_records_quarantine_their_rows_only(engine):
    good = [dict(RECORD, order_no=f"API{i:03d}") for i in range(99)]
    nul = dict(RECORD, order_no="APINUL", content="停水\x00两天")
    surrogate = dict(RECORD, order_no="APISUR", title="停水\ud800")
    result = ingest_records(engine, "hotline", [*good[:10], nul, *good[10:], surrogate], src_system="kf12345",
                            origin="api:test")
    assert (result.inserted, result.quarantined) == (99, 2)
    n, reasons, raw = _counts(engine)
    assert n == 99
    assert "NUL" in reasons[0] and "代理项" in reasons[1]
    assert "\\ud800" in raw[1]  # the bad character is kept visibly escaped
