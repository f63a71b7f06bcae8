"""File ingestion end to end on real SQLite warehouses: every source in every format, idempotent re-import,
newer versions, quarantine reasons, unreadable files, dry runs and the CLI."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from data_access import warehouse
from data_access.ingest import UnreadableFile, ingest_file
from data_access.ingest.sources import HOTLINE, SOURCES
from data_access.schema import (
    HotlineEvent,
    HotlineTicket,
    IngestHistory,
    IngestQuarantine,
    LoadBatch,
    Subject,
)
from demo.export import export_samples
from tests.db_fixtures import sqlite_engine

# Load order: the catalogue and the register first, so inspections and events find what they cite.
ORDER = ("catalog_item", "catalog_impl", "entity", "hotline", "hotline_events", "urban", "provincial",
         "inspection", "penalty", "credit_list", "credit_grade")
FORMATS = (".csv", "_gbk.csv", ".xlsx", ".jsonl")


@pytest.fixture(scope="session")
def empty_warehouse_path(tmp_path_factory) -> Path:
    """An initialised warehouse (schema + reference dimensions) with no facts; copy it before writing."""
    path = tmp_path_factory.mktemp("ingest_empty") / "empty.db"
    engine = sqlite_engine(path)
    warehouse.init(engine)
    engine.dispose()
    return path


@pytest.fixture
def empty_engine(empty_warehouse_path, tmp_path):
    path = tmp_path / "w.db"
    shutil.copy(empty_warehouse_path, path)
    engine = sqlite_engine(path)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def samples(demo_engine, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("samples")
    export_samples(demo_engine, out, rows=60)
    return out


def _kind(name: str) -> str:
    return next(s.kind for s in SOURCES if s.name == name)


def _count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def _write_csv(path: Path, header: list[str], rows: list[list], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_export_writes_every_source_in_every_format(samples):
    for source in SOURCES:
        for fmt in FORMATS:
            assert (samples / f"{source.name}{fmt}").stat().st_size > 0
    assert (samples / "hotline_gbk.csv").read_bytes().decode("gbk").startswith("工单编号")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_source_loads_then_reimports_unchanged(samples, empty_engine, fmt):
    for name in ORDER:
        result = ingest_file(empty_engine, _kind(name), samples / f"{name}{fmt}")
        assert result.source == name
        assert result.quarantined == 0, (name, result)
        assert result.inserted == result.received > 0
    for name in ORDER:
        again = ingest_file(empty_engine, _kind(name), samples / f"{name}{fmt}")
        assert (again.inserted, again.updated, again.quarantined) == (0, 0, 0), (name, again)
        assert again.unchanged == again.received


def test_exported_files_are_unchanged_in_the_warehouse_they_came_from(samples, demo_engine_copy):
    before = warehouse.fact_counts(demo_engine_copy)
    for name in ORDER:
        result = ingest_file(demo_engine_copy, _kind(name), samples / f"{name}.csv")
        assert result.unchanged == result.received, (name, result)
    assert warehouse.fact_counts(demo_engine_copy) == before


HOTLINE_HEADER = ["工单编号", "来电时间", "诉求渠道", "诉求类型", "问题分类", "诉求标题", "诉求内容", "所属区县", "办理方式",
                  "承办单位", "工单状态", "更新时间"]


def _ticket(no: str, status: str = "待签收", updated: str = "2025-01-05 10:00:00", **over) -> list:
    row = {"工单编号": no, "来电时间": "2025-01-05 09:30:00", "诉求渠道": "电话", "诉求类型": "投诉", "问题分类": "消费维权",
           "诉求标题": "预付卡退费难", "诉求内容": "某健身房关门，预付卡无法退费。", "所属区县": "龙亭区", "办理方式": "转办",
           "承办单位": "开封市市场监督管理局", "工单状态": status, "更新时间": updated}
    row.update(over)
    return [row[h] for h in HOTLINE_HEADER]


def test_gbk_csv_with_chinese_headers_and_names(empty_engine, tmp_path):
    path = _write_csv(tmp_path / "12345_工单.csv", HOTLINE_HEADER, [_ticket("KF1"), _ticket("KF2")], encoding="gbk")
    result = ingest_file(empty_engine, "hotline", path)
    assert result.format == "csv/gb18030" and result.inserted == 2
    with empty_engine.connect() as conn:
        row = conn.execute(select(HotlineTicket.region_code, HotlineTicket.category_code, HotlineTicket.src_system,
                                  HotlineTicket.content).where(HotlineTicket.order_no == "KF1")).one()
    assert row == ("410202", "HC04", "12345", "某健身房关门，预付卡无法退费。")


def test_newer_version_updates_and_keeps_history(empty_engine, tmp_path):
    ingest_file(empty_engine, "hotline", _write_csv(tmp_path / "v1.csv", HOTLINE_HEADER, [_ticket("KF9")]))
    newer = _write_csv(tmp_path / "v2.csv", HOTLINE_HEADER,
                       [_ticket("KF9", "已办结", "2025-01-09 16:00:00")])
    result = ingest_file(empty_engine, "hotline", newer)
    assert (result.updated, result.inserted, result.unchanged) == (1, 0, 0)
    with empty_engine.connect() as conn:
        assert conn.execute(select(HotlineTicket.status)).scalar_one() == "已办结"
        history = json.loads(conn.execute(select(IngestHistory.old_values)).scalar_one())
        assert history["status"] == "待签收" and history["updated_at"] == "2025-01-05 10:00:00"
        event = conn.execute(select(HotlineEvent.event, HotlineEvent.note)).one()
    assert event == ("办结", "状态变更：待签收→已办结")
    # the same newer file again, and an older version, change nothing
    assert ingest_file(empty_engine, "hotline", newer).unchanged == 1
    stale = _write_csv(tmp_path / "v0.csv", HOTLINE_HEADER, [_ticket("KF9", "办理中", "2025-01-06 10:00:00")])
    assert ingest_file(empty_engine, "hotline", stale).unchanged == 1
    assert _count(empty_engine, HotlineEvent) == 1
    with empty_engine.connect() as conn:
        assert conn.execute(select(HotlineTicket.status)).scalar_one() == "已办结"


def test_two_versions_in_one_file_apply_in_order(empty_engine, tmp_path):
    path = _write_csv(tmp_path / "both.csv", HOTLINE_HEADER,
                      [_ticket("KF5"), _ticket("KF5", "办理中", "2025-01-06 08:00:00")])
    result = ingest_file(empty_engine, "hotline", path)
    assert (result.inserted, result.updated) == (1, 1)


def test_bad_rows_are_quarantined_with_reasons_and_good_rows_load(empty_engine, tmp_path):
    rows = [
        _ticket("OK1"),
        _ticket("BAD1", 问题分类="火星事务"),
        _ticket("BAD2", 来电时间="2025-13-45 99:00:00"),
        _ticket("BAD3", 诉求内容=""),
        _ticket("BAD4", 诉求类型="吐槽"),
        _ticket("BAD5", 所属区县="海淀区"),
        _ticket("BAD6", 来电时间="2099-01-01 00:00:00"),
        _ticket("BAD7", 承办单位="不存在的局"),
        _ticket("OK2", 来电时间="2025/1/5 9:30"),
    ]
    path = _write_csv(tmp_path / "mixed.csv", HOTLINE_HEADER, rows)
    with path.open("a", encoding="utf-8", newline="") as fh:
        fh.write("SHORT,2025-01-05\n")
    result = ingest_file(empty_engine, "hotline", path)
    assert (result.received, result.inserted, result.quarantined) == (10, 2, 8)
    with empty_engine.connect() as conn:
        quarantined = dict(conn.execute(select(IngestQuarantine.line_no, IngestQuarantine.reasons)).all())
        raw = json.loads(conn.execute(select(IngestQuarantine.raw_record)
                                      .where(IngestQuarantine.line_no == 3)).scalar_one())
    assert raw["工单编号"] == "BAD1"
    expected = {3: "未知的问题分类“火星事务”", 4: "来电时间: 无法解析为时间", 5: "诉求内容: 必填字段为空",
                6: "“吐槽”不在代码表中", 7: "未知的区县“海淀区”", 8: "时间超出合理范围", 9: "未知的部门“不存在的局”",
                11: "字段数为2，表头为12列"}
    for line, fragment in expected.items():
        assert fragment in quarantined[line], (line, quarantined[line])


def test_entity_with_failing_check_digit_is_flagged_not_rejected(empty_engine, tmp_path):
    header = ["统一社会信用代码", "主体名称", "行业门类", "登记状态", "所属区县", "成立日期"]
    rows = [["91350203M0001QAY9B", "开封市某某商贸有限公司", "批发和零售业", "存续", "鼓楼区", "1998-03-01"],
            ["92410204MA9XXXXX1A", "鼓楼区某某小吃店", "H", "存续", "鼓楼区", "2019-07-15"]]
    result = ingest_file(empty_engine, "entity", _write_csv(tmp_path / "reg.csv", header, rows))
    assert result.inserted == 2
    with empty_engine.connect() as conn:
        flags = dict(conn.execute(select(Subject.uscc, Subject.uscc_valid)).all())
        types = set(conn.execute(select(Subject.subject_type)).scalars())
    assert flags == {"91350203M0001QAY9B": False, "92410204MA9XXXXX1A": False}
    assert types == {"91", "92"}


def test_same_number_from_another_source_system_is_quarantined(empty_engine, tmp_path):
    ingest_file(empty_engine, "hotline", _write_csv(tmp_path / "a.csv", HOTLINE_HEADER, [_ticket("KF7")]))
    header = [*HOTLINE_HEADER, "来源系统"]
    other = _write_csv(tmp_path / "b.csv", header, [[*_ticket("KF7"), "province-12345"]])
    result = ingest_file(empty_engine, "hotline", other)
    assert result.quarantined == 1
    with empty_engine.connect() as conn:
        reason = conn.execute(select(IngestQuarantine.reasons)).scalar_one()
    assert "已由来源系统“12345”提交" in reason


def _unreadable_cases(tmp_path: Path) -> dict[str, Path]:
    good = _write_csv(tmp_path / "good.csv", HOTLINE_HEADER, [_ticket("KF1")])
    xlsx_src = tmp_path / "good.xlsx"
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(HOTLINE_HEADER)
    book.active.append(_ticket("KF1"))
    book.save(xlsx_src)
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(xlsx_src.read_bytes()[: xlsx_src.stat().st_size // 2])
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(good.read_text(encoding="utf-8-sig").encode("utf-16"))
    missing = _write_csv(tmp_path / "missing.csv", HOTLINE_HEADER[:3], [["KF1", "2025-01-05 09:30:00", "电话"]])
    rand = tmp_path / "random.csv"
    rand.write_bytes(bytes(range(256)) * 40)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    return {"truncated xlsx": truncated, "utf-16": utf16, "missing columns": missing, "random bytes": rand,
            "empty": empty, "not there": tmp_path / "nope.csv", "unknown suffix": good.with_suffix(".pdf")}


def test_unreadable_files_load_nothing_and_say_why(empty_engine, tmp_path):
    for case, path in _unreadable_cases(tmp_path).items():
        if case == "unknown suffix":
            shutil.copy(tmp_path / "good.csv", path)
        with pytest.raises(UnreadableFile) as info:
            ingest_file(empty_engine, "hotline", path)
        message = str(info.value)
        assert " / " in message and any("\u4e00" <= ch <= "\u9fff" for ch in message), (case, message)
    assert _count(empty_engine, HotlineTicket) == 0
    with empty_engine.connect() as conn:
        statuses = conn.execute(select(LoadBatch.status)).scalars().all()
    assert statuses and set(statuses) == {"failed"}


def test_bad_bytes_after_a_good_start_roll_back_the_whole_file(empty_engine, tmp_path):
    """The encoding is chosen on the first MiB; a bad byte later still fails the file, and nothing stays."""
    rows = [_ticket(f"KF{i:06d}", 诉求内容="长文本" * 200) for i in range(1500)]
    path = _write_csv(tmp_path / "late.csv", HOTLINE_HEADER, rows)
    assert path.stat().st_size > (1 << 20)
    with path.open("ab") as fh:
        fh.write("KFX,2025-01-05 09:30:00,电话,投诉,消费维权,标题,".encode() + b"\xff\xfe\xfa" + b",x,x,x,x,x\n")
    with pytest.raises(UnreadableFile, match="undecodable"):
        ingest_file(empty_engine, "hotline", path, chunk_rows=500)
    assert _count(empty_engine, HotlineTicket) == 0
    assert _count(empty_engine, IngestQuarantine) == 0


def test_dry_run_counts_and_keeps_nothing(empty_engine, tmp_path):
    path = _write_csv(tmp_path / "d.csv", HOTLINE_HEADER, [_ticket("KF1"), _ticket("X", 诉求类型="吐槽")])
    result = ingest_file(empty_engine, "hotline", path, dry_run=True)
    assert (result.received, result.inserted, result.quarantined, result.dry_run) == (2, 1, 1, True)
    assert _count(empty_engine, HotlineTicket) == _count(empty_engine, IngestQuarantine) == 0
    assert _count(empty_engine, LoadBatch) == 0


def test_cli_json_line_and_exit_status(empty_engine, tmp_path, monkeypatch):
    from bianjian_cli import cli
    from data_access import db

    monkeypatch.setenv("BIANJIAN_DATABASE_URL", str(empty_engine.url))
    db.reset()
    try:
        path = _write_csv(tmp_path / "c.csv", HOTLINE_HEADER, [_ticket("KF1"), _ticket("KF2", 诉求类型="吐槽")])
        result = CliRunner().invoke(cli, ["ingest", "hotline", str(path), "--json"])
        assert result.exit_code == 0, result.output
        line = json.loads(result.stdout.strip().splitlines()[-1])
        assert {k: line[k] for k in ("received", "inserted", "updated", "unchanged", "quarantined")} == {
            "received": 2, "inserted": 1, "updated": 0, "unchanged": 0, "quarantined": 1}
        assert line["batch_id"].startswith("hotline-") and line["seconds"] >= 0
        bad = tmp_path / "bad.csv"
        bad.write_bytes(b"\x00\x01\x02garbage\xff" * 100)
        result = CliRunner().invoke(cli, ["ingest", "hotline", str(bad)])
        assert result.exit_code == 1 and "unrecognised encoding" in result.output
    finally:
        db.reset()


def test_cli_ingest_process_loads_without_the_orm(empty_engine, tmp_path):
    """A whole ``bianjian ingest`` process writes through Core tables: importing SQLAlchemy's ORM and mapping the
    schema cost it 0.3-0.6 CPU s of start-up, which made it slower than ``read_csv`` + ``to_sql`` at 50k rows.
    The garbage collector, paused while the command's libraries are imported, is on again afterwards."""
    import os
    import subprocess
    import sys

    path = _write_csv(tmp_path / "c.csv", HOTLINE_HEADER, [_ticket("KF1"), _ticket("KF2")])
    code = ("import runpy, sys; sys.argv = ['bianjian', 'ingest', 'hotline', sys.argv[1], '--json']\n"
            "try:\n    runpy.run_module('bianjian_cli', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "import gc; print(sorted(m for m in ('sqlalchemy.orm', 'data_access.schema') if m in sys.modules), "
            "gc.isenabled())")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True,
                          env={**os.environ, "BIANJIAN_DATABASE_URL": str(empty_engine.url)})
    loaded, modules = done.stdout.strip().splitlines()[-2:]
    assert json.loads(loaded)["inserted"] == 2
    assert modules == "[] True"


def test_every_required_table_column_is_fed(empty_engine):
    """A table column that is NOT NULL without a default must come from the file or a derivation."""
    derived = {"fact_hotline_ticket": {"updated_at"}, "fact_hotline_event": {"ticket_id"},
               "dim_subject": {"uscc_valid", "subject_type"}, "fact_inspection": {"has_problem"}}
    for source in SOURCES:
        with empty_engine.connect() as conn:
            cols = conn.execute(text(f"PRAGMA table_info({source.table})")).all()
        fields = set(source.field_by_column) | derived.get(source.table, set())
        for _cid, name, _type, notnull, default, pk in cols:
            if notnull and default is None and not pk and name not in ("load_batch", "loaded_at", "src_system"):
                assert name in fields, (source.name, name)


def test_hotline_map_covers_domain_headers():
    headers = {h for f in HOTLINE.fields for h in f.headers}
    assert {"工单编号", "来电时间", "诉求内容", "承办单位", "诉求类型", "问题分类", "事发地址", "所属区县"} <= headers


def test_one_number_under_two_record_ids_in_one_file_is_quarantined(empty_engine, tmp_path):
    header = [*HOTLINE_HEADER, "来源记录编号"]
    path = _write_csv(tmp_path / "dup.csv", header, [[*_ticket("KF8"), "A"], [*_ticket("KF8"), "B"]])
    result = ingest_file(empty_engine, "hotline", path)
    assert (result.inserted, result.quarantined) == (1, 1)
    with empty_engine.connect() as conn:
        assert "在本批次中对应多条不同记录" in conn.execute(select(IngestQuarantine.reasons)).scalar_one()
