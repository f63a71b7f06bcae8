"""The fast CSV path (pyarrow over clean blocks) against the ``csv`` module fallback: the same records, values,
line numbers and broken records on the same file, malformed rows included; the Arrow timestamp parse; the
writer thread rolling back with the rest of the batch."""

from __future__ import annotations

import csv
import sys

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from data_access.ingest import UnreadableFile, ingest_file
from data_access.ingest.csv_blocks import WHITESPACE
from data_access.ingest.readers import csv_chunks
from data_access.ingest.sources import HOTLINE
from data_access.ingest.validate import parse_datetimes
from data_access.schema import HotlineTicket, IngestQuarantine, LoadBatch
from tests.test_ingest_files import empty_engine, empty_warehouse_path  # noqa: F401 - shared fixtures

HEADER = [f.label for f in HOTLINE.fields]


def _records(path, encoding="utf-8-sig", fast=True, chunk_rows=5, block_bytes=256) -> list:
    """Every record the reader yields, in order: ("row", line, values) or ("broken", line, raw, reason)."""
    out = []
    for chunk in csv_chunks(path, encoding, chunk_rows, fast=fast, block_bytes=block_bytes):
        assert 0 < len(chunk) <= chunk_rows
        columns = [c.to_pylist() for c in chunk.columns]
        out.append(("headers", chunk.headers))
        out += [("row", int(line), [c[i] for c in columns]) for i, line in enumerate(chunk.lines)]
        out += [("broken", *b) for b in chunk.broken]
    return out


def _same_both_ways(path, encoding="utf-8-sig", **kwargs) -> list:
    fast = _records(path, encoding, True, **kwargs)
    assert fast == _records(path, encoding, False, **kwargs)
    return fast


def _write(path, text: str, encoding: str = "utf-8-sig", newline: str = "\n"):
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def test_whitespace_is_what_str_strip_removes():
    assert WHITESPACE == "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())


def test_quoted_commas_newlines_blank_lines_and_bad_rows_read_alike(tmp_path):
    rows = [["A1", "x, y", '说"引号"', "多\n行"], [], ["A2", "", " 空格 ", "\u3000全角\u3000"], ["   "],
            ["A3", "only", "three"], ["A4", "a", "b", "c", "too many"], ["A5", '"', ",", "\r\n"]]
    path = tmp_path / "mixed.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["k", "a", "b", "c"], *rows * 20])
    records = _same_both_ways(path, "utf-8-sig")
    rows = [r for r in records if r[0] == "row"]
    broken = [r for r in records if r[0] == "broken"]
    assert rows[0] == ("row", 2, ["A1", "x, y", '说"引号"', "多\n行"])
    assert rows[1] == ("row", 5, ["A2", "", "空格", "全角"])  # blank and whitespace lines are not records
    assert rows[2] == ("row", 9, ["A5", '"', ",", ""])  # values are stripped like str.strip()
    assert [b[1] for b in broken[:2]] == [7, 8] and broken[0][2] == {"_fields": ["A3", "only", "three"]}
    assert len(rows) == 60 and len(broken) == 40


def test_unclean_quoting_hands_the_rest_of_the_file_to_csv(tmp_path):
    good = "".join(f"K{i},值{i},2025-01-05 09:30:00\n" for i in range(40))
    cases = {
        "stray.csv": "k,a,b\n" + good + 'K98,中间有"引号,x\n' + good,  # csv keeps a mid-field quote literally
        "eof.csv": "k,a,b\n" + good + 'K99,"never closed,x\n',
        "cr.csv": "k,a,b\n" + good + "K97,lone\rcr,x\n" + good,
        "nul.csv": "k,a,b\n" + good + "K96,a\x00b,x\n",
        "crlf_no_final_newline.csv": ("k,a,b\n" + good).replace("\n", "\r\n").rstrip(),
    }
    for name, text in cases.items():
        path = _write(tmp_path / name, text, "utf-8")
        try:
            fast = _same_both_ways(path, "utf-8-sig", block_bytes=300)
        except UnreadableFile as exc:  # NUL: both refuse the file
            assert name == "nul.csv", exc
            try:
                _records(path, "utf-8-sig", fast=False)
                raise AssertionError("the csv module accepted a NUL byte")
            except UnreadableFile:
                continue
        assert sum(r[0] == "row" for r in fast) >= 40, name


def test_gbk_files_read_alike(tmp_path):
    text = "工单编号,诉求内容,所属区县\n" + "".join(f'KF{i},"反映,噪音""扰民""\n问题",龙亭区\n' for i in range(50))
    path = _write(tmp_path / "gbk.csv", text, "gb18030", newline="\r\n")
    records = _same_both_ways(path, "gb18030", block_bytes=200)
    assert records[1] == ("row", 2, ["KF0", '反映,噪音"扰民"\r\n问题', "龙亭区"])
    assert records[-1][:2] == ("row", 100)


CELL = st.one_of(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8),
                 st.sampled_from(["", " ", '"', '""', ",", "\n", "\r\n", "\r", "a\"b", "，", "\u3000", "2025-01-05"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(CELL, max_size=6), max_size=30),
       raw=st.lists(st.sampled_from(['x"y,z\n', "\n", "  \n", 'a,"b\n', "\r", "p,q,r\n", '"",""\n']), max_size=3),
       block=st.integers(min_value=1, max_value=400), chunk_rows=st.integers(min_value=1, max_value=9))
def test_random_files_read_alike(tmp_path, rows, raw, block, chunk_rows):
    path = tmp_path / "random.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["a", "b", "c"])
        writer.writerows(rows[:len(rows) // 2])
        fh.write("".join(raw))
        writer.writerows(rows[len(rows) // 2:])
    try:
        fast = _records(path, "utf-8-sig", True, chunk_rows=chunk_rows, block_bytes=block)
    except UnreadableFile:
        fast = "unreadable"
    try:
        slow = _records(path, "utf-8-sig", False, chunk_rows=chunk_rows, block_bytes=block)
    except UnreadableFile:
        slow = "unreadable"
    assert fast == slow


def test_arrow_timestamps_refuse_impossible_values_like_python():
    values = pd.Series(["2025-01-05 09:30:00", "2025-02-30 10:00:00", "2025-01-05 09:30:60", "2025-01-05 24:00:00",
                        "1800-01-01 00:00:00", "9999-01-01 00:00:00", "2025/1/5 8:00", "2024年1月5日", None,
                        "2025-01-05T09:30:00+00:00"], dtype=object)
    parsed = parse_datetimes(values)
    expected = ["2025-01-05 09:30:00", None, None, None, "1800-01-01 00:00:00", None, "2025-01-05 08:00:00",
                "2024-01-05 00:00:00", None, "2025-01-05 17:30:00"]
    assert [None if pd.isna(v) else str(v) for v in parsed] == expected
    clean = parse_datetimes(pd.Series(["2025-01-05 09:30:00", "2025-12-31 23:59:59"], dtype=object))
    assert clean.to_numpy().tolist() == np.array(["2025-01-05T09:30:00", "2025-12-31T23:59:59"],
                                                  dtype="datetime64[ns]").tolist()


def _hotline_rows(n: int, start: int = 0, content: str = "商家拒绝退货，希望处理。") -> list[list[str]]:
    row = {"工单编号": "", "来电时间": "2025-01-05 09:30:00", "诉求渠道": "电话", "诉求类型": "投诉", "问题分类": "消费维权",
           "诉求标题": "反映问题", "诉求内容": content, "所属区县": "龙亭区", "办理方式": "转办",
           "工单状态": "办理中"}
    out = []
    for i in range(start, start + n):
        row["工单编号"] = f"KF2025{i:010d}"
        out.append([row.get(h, "") for h in HEADER])
    return out


def test_malformed_rows_keep_their_line_numbers_through_a_load(empty_engine, tmp_path):  # noqa: F811
    path = tmp_path / "orders.csv"
    rows = _hotline_rows(30)
    rows[4][6] = "多行\n内容, 带逗号"  # line 6, spans two lines
    rows[10] = rows[10][:5]  # line 13: too few fields
    rows[20][1] = "2025-02-30 10:00:00"  # line 23: impossible date
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    result = ingest_file(empty_engine, "hotline", path, chunk_rows=7)
    assert (result.received, result.inserted, result.quarantined) == (30, 28, 2)
    with empty_engine.connect() as conn:
        lines = conn.execute(select(IngestQuarantine.line_no, IngestQuarantine.reasons)
                             .order_by(IngestQuarantine.line_no)).all()
        content = conn.execute(select(HotlineTicket.content).where(HotlineTicket.order_no == "KF20250000000004")
                               ).scalar_one()
    assert [line for line, _ in lines] == [13, 23]
    assert "字段数" in lines[0][1] and "来电时间" in lines[1][1]
    assert content == "多行\n内容, 带逗号"


def test_a_late_failure_rolls_back_chunks_the_writer_thread_wrote(empty_engine, tmp_path):  # noqa: F811
    path = tmp_path / "late.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *_hotline_rows(4000, content="商家拒绝退货，希望处理。" * 100)])
    with path.open("ab") as fh:
        fh.write(b"KF\xff\xfe,broken\n")  # past the first 4 MiB block: found after chunks were written
    assert path.stat().st_size > 4 << 20
    try:
        ingest_file(empty_engine, "hotline", path, chunk_rows=1000)
        raise AssertionError("an undecodable byte was accepted")
    except UnreadableFile as exc:
        assert "无法解码" in str(exc)
    with empty_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(HotlineTicket)).scalar_one() == 0
        assert conn.execute(select(LoadBatch.status)).scalars().all() == ["failed"]
