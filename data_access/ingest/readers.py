"""Streaming readers for CSV (UTF-8 or GB18030/GBK), XLSX and JSON Lines.

Every reader yields ``RawChunk``s of at most ``chunk_rows`` records whose values are strings or None, so
memory stays bounded by the chunk size whatever the file size. A record that cannot be split into fields
(wrong field count, a JSON line that is not an object) is not dropped: it travels in ``RawChunk.broken``
and ends in quarantine. A file that cannot be read at all raises ``UnreadableFile``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

# Bytes examined to choose the encoding and to reject binary garbage before anything is parsed.
SAMPLE_BYTES = 1 << 20
# A text whose share of unprintable/unassigned/private-use characters exceeds this is not a data file.
GARBAGE_SHARE = 0.01
# csv's default limit (128 KiB) is below long 诉求内容 plus reply text in one field; 16 MiB is not.
csv.field_size_limit(16 * 1024 * 1024)


class UnreadableFile(Exception):
    """The file as a whole cannot be read; nothing from it is loaded. Messages are Chinese + English."""


@dataclass
class RawChunk:
    """Records as stripped strings (empty: "" or None): ``rows`` aligned with ``headers``; ``lines`` their
    line numbers (header = 1)."""

    headers: list[str]
    rows: list[list[str | None]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    broken: list[tuple[int, dict, str]] = field(default_factory=list)  # (line, raw record, reason)

    def __len__(self) -> int:
        return len(self.rows) + len(self.broken)


def read_file(path: Path, chunk_rows: int) -> tuple[str, Iterator[RawChunk]]:
    """Open ``path`` by its suffix; returns (format name, chunk iterator). Raises ``UnreadableFile``."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise UnreadableFile(f"文件不存在 / file not found: {path}")
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx", _xlsx_chunks(path, chunk_rows)
    encoding = detect_encoding(path)
    if suffix in (".jsonl", ".ndjson"):
        return f"jsonl/{encoding}", _jsonl_chunks(_open_text(path, encoding), chunk_rows)
    if suffix in (".csv", ".txt"):
        return f"csv/{encoding}", _csv_chunks(_open_text(path, encoding), chunk_rows)
    raise UnreadableFile(f"不支持的文件类型 / unsupported file type {suffix!r}: use .csv, .xlsx or .jsonl")


def records_chunks(records: Iterable[object], chunk_rows: int) -> Iterator[RawChunk]:
    """Chunks of already-parsed JSON values (the HTTP push body), numbered from 1."""
    yield from _object_chunks(((i, r, None) for i, r in enumerate(records, start=1)), chunk_rows)


# -------------------------------------------------------------------------------------------- encoding


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` if the sample decodes strictly as UTF-8, else ``gb18030``; garbage is refused.

    GB18030 is a superset of GBK and GB2312, so one fallback covers the exports of Chinese source systems.
    Only the sample is checked here; the full stream is decoded strictly, so a later bad byte still fails.
    """
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    if not sample.strip():
        raise UnreadableFile("文件为空 / the file is empty")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = codecs.getincrementaldecoder(encoding)("strict").decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return encoding
        break
    raise UnreadableFile("无法识别的文件编码或二进制内容（应为UTF-8或GBK/GB18030文本） / "
                         "unrecognised encoding or binary content (expected UTF-8 or GBK/GB18030 text)")


# Printable ASCII, CJK ideographs and CJK/full-width punctuation: never garbage, skipped in bulk.
_COMMON = re.compile(r"[\t\n\r\x20-\x7e\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]+")


def _looks_like_text(text: str) -> bool:
    if not text:
        return True
    rest = _COMMON.sub("", text)
    bad = sum(1 for ch in rest if _is_garbage(ch))
    return bad / len(text) <= GARBAGE_SHARE


def _is_garbage(ch: str) -> bool:
    if ch in "\t\r\n":
        return False
    category = unicodedata.category(ch)
    return category in ("Cc", "Co", "Cn", "Cs") or ch == "\ufffd"


def _open_text(path: Path, encoding: str) -> io.TextIOWrapper:
    return open(path, encoding=encoding, errors="strict", newline="")  # noqa: SIM115 - closed by the chunker


def _decode_guard(exc: UnicodeDecodeError) -> UnreadableFile:
    return UnreadableFile(f"文件中途出现无法解码的字节（编码混杂或文件损坏） / undecodable bytes inside the file "
                          f"(mixed encodings or corruption) at byte {exc.start} of a read block: {exc.reason}")


# ------------------------------------------------------------------------------------------------- CSV


def _csv_chunks(fh: io.TextIOWrapper, chunk_rows: int) -> Iterator[RawChunk]:
    with fh:
        reader = csv.reader(fh)
        try:
            headers = next(reader, None)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise _csv_error(exc, 1) from exc
        if not headers or not any(h.strip() for h in headers):
            raise UnreadableFile("缺少表头行 / the file has no header row")
        width = len(headers)
        chunk = RawChunk(headers)
        rows, lines, strip = chunk.rows, chunk.lines, str.strip
        line = reader.line_num
        try:
            for row in reader:  # the hot loop: keep it to list appends
                start, line = line + 1, reader.line_num
                if len(row) == width:
                    rows.append(list(map(strip, row)))  # "" becomes None per column, in bulk
                    lines.append(start)
                elif row and (len(row) > 1 or row[0].strip()):  # a blank line is not a record
                    chunk.broken.append((start, {"_fields": row}, f"字段数为{len(row)}，表头为{width}列 / "
                                                                 f"{len(row)} fields where the header has {width}"))
                else:
                    continue
                if len(rows) + len(chunk.broken) >= chunk_rows:
                    yield chunk
                    chunk = RawChunk(headers)
                    rows, lines = chunk.rows, chunk.lines
        except (csv.Error, UnicodeDecodeError) as exc:
            raise _csv_error(exc, reader.line_num) from exc
        if len(chunk):
            yield chunk


def _csv_error(exc: Exception, line: int) -> UnreadableFile:
    if isinstance(exc, UnicodeDecodeError):
        return _decode_guard(exc)
    return UnreadableFile(f"CSV格式错误（第{line}行附近） / malformed CSV near line {line}: {exc}")


# ------------------------------------------------------------------------------------------ JSON Lines


def _jsonl_chunks(fh: io.TextIOWrapper, chunk_rows: int) -> Iterator[RawChunk]:
    def parsed() -> Iterator[tuple[int, object, str | None]]:
        with fh:
            line_no = 0
            try:
                for line_no, text in enumerate(fh, start=1):  # noqa: B007 - line_no used in the error
                    if not text.strip():
                        continue
                    try:
                        yield line_no, json.loads(text), None
                    except ValueError as exc:
                        yield line_no, text.rstrip("\r\n"), f"不是合法的JSON / invalid JSON: {exc}"
            except UnicodeDecodeError as exc:
                raise _decode_guard(exc) from exc

    yield from _object_chunks(parsed(), chunk_rows)


def _object_chunks(items: Iterable[tuple[int, object, str | None]], chunk_rows: int) -> Iterator[RawChunk]:
    """Group JSON values into chunks; each chunk's headers are the union of its objects' keys."""
    pending: list[tuple[int, dict]] = []
    broken: list[tuple[int, dict, str]] = []

    def flush() -> RawChunk:
        headers: dict[str, None] = {}
        for _, obj in pending:
            headers.update(dict.fromkeys(obj))
        names = list(headers)
        chunk = RawChunk(names, [[_scalar(obj.get(h)) for h in names] for _, obj in pending],
                         [n for n, _ in pending], list(broken))
        pending.clear()
        broken.clear()
        return chunk

    for line_no, value, error in items:
        if error is not None:
            broken.append((line_no, {"_text": value}, error))
        elif isinstance(value, dict):
            pending.append((line_no, {str(k): v for k, v in value.items()}))
        else:
            broken.append((line_no, {"_value": value}, "记录不是JSON对象 / the record is not a JSON object"))
        if len(pending) + len(broken) >= chunk_rows:
            yield flush()
    if pending or broken:
        yield flush()


def _scalar(value: object) -> str | None:
    """A JSON value as the string a CSV cell would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value).strip() or None


# ------------------------------------------------------------------------------------------------ XLSX


def _xlsx_chunks(path: Path, chunk_rows: int) -> Iterator[RawChunk]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        raise UnreadableFile(f"无法打开Excel文件（文件损坏或不是xlsx） / cannot open the workbook "
                             f"(truncated or not .xlsx): {exc}") from exc
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        try:
            header_row = next(rows, None)
            if header_row is None or not any(v is not None for v in header_row):
                raise UnreadableFile("工作表第一行缺少表头 / the first sheet has no header row")
            headers = [_cell(v) or "" for v in header_row]
            width = len(headers)
            chunk = RawChunk(headers)
            for line, row in enumerate(rows, start=2):
                values = [_cell(v) for v in row]
                if not any(v is not None for v in values):
                    continue
                if len(values) > width and any(v is not None for v in values[width:]):
                    chunk.broken.append((line, {"_fields": values}, "表头之外还有数据 / data beyond the header columns"))
                else:
                    chunk.rows.append((values + [None] * width)[:width])
                    chunk.lines.append(line)
                if len(chunk) >= chunk_rows:
                    yield chunk
                    chunk = RawChunk(headers)
            if len(chunk):
                yield chunk
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
            raise UnreadableFile(f"Excel文件内容损坏 / the workbook is corrupt: {exc}") from exc
    finally:
        book.close()


def _cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None
