"""The fast CSV path: split the byte stream into blocks of whole records and parse clean blocks with pyarrow.

Python's ``csv`` module defines what a record is (it is the fallback, and the only parser for anything
unusual). A block goes to pyarrow only when both parsers provably agree on it: every quote opens a field,
closes one or is doubled inside one (RFC 4180), no lone CR, no NUL, no record longer than the field limit,
and pyarrow finds the header's field count in every record. A block that fails the field-count or
whitespace-line test is parsed by ``csv`` alone; a block whose quoting is not clean hands the rest of the
file to ``csv`` (its record boundaries cannot be trusted from there on). Line numbers come from the bytes:
a record starts on the line after the previous record's terminating newline.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

# Bytes read per block (~7,500 work orders); a block always ends on a record boundary.
BLOCK_BYTES = 4 << 20
# csv's default limit (128 KiB) is below long 诉求内容 plus reply text in one field; 16 MiB is not.
FIELD_LIMIT = 16 * 1024 * 1024
# Every character ``str.isspace()`` accepts, so trimming in Arrow equals ``str.strip()`` (a test checks).
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
              "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")

_NL, _CR, _QUOTE, _COMMA = 10, 13, 34, 44


@dataclass
class Block:
    """Whole records from ``start`` (a record boundary) to ``end`` of the buffer it was cut from."""

    data: bytes
    first_line: int  # the file line number of the block's first byte
    clean: bool  # quoting, CR and NUL checks passed: both parsers find the same record boundaries
    starts: np.ndarray  # byte offsets of non-blank records
    lines: np.ndarray  # their line numbers


def blocks(fh: io.BufferedIOBase, prefix: bytes, first_line: int, block_bytes: int = BLOCK_BYTES
           ) -> Iterator[Block]:
    """Blocks of whole records from ``prefix`` + the rest of ``fh``; stops after the first unclean block.

    The caller parses an unclean block, and everything after it, with ``csv``: the ``data`` of that block
    holds every byte read so far from its start, and is followed by whatever ``fh`` still holds.
    """
    buf, line = prefix, first_line
    while True:
        more = fh.read(block_bytes)
        final = not more
        buf += more
        if not buf:
            return
        end = _cut(buf, final)
        if end is None:
            continue  # no complete record yet: read on
        block = scan(buf[:end], line, final and end == len(buf))
        if not block.clean:
            block.data = buf  # the caller reads on from here with csv: nothing read may be lost
            yield block
            return
        yield block
        line += buf.count(b"\n", 0, end)
        buf = buf[end:]
        if final and not buf:
            return


def _record_ends(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(newline offsets, quote offsets, the newlines that end a record: those after an even number of quotes)."""
    newlines = np.flatnonzero(arr == _NL)
    quotes = np.flatnonzero(arr == _QUOTE)
    return newlines, quotes, newlines[(np.searchsorted(quotes, newlines) & 1) == 0]


def _cut(buf: bytes, final: bool) -> int | None:
    """End of the last complete record in ``buf`` (after its newline), by quote parity; None if none yet."""
    if final:
        return len(buf)
    ends = _record_ends(np.frombuffer(buf, np.uint8))[2]
    return int(ends[-1]) + 1 if len(ends) else None


def first_record_end(buf: bytes) -> int | None:
    """End of the first record (after its newline) by quote parity; None if ``buf`` holds no whole record."""
    ends = _record_ends(np.frombuffer(buf, np.uint8))[2]
    return int(ends[0]) + 1 if len(ends) else None


def scan(data: bytes, first_line: int, at_eof: bool) -> Block:
    arr = np.frombuffer(data, np.uint8)
    newlines, quotes, ends = _record_ends(arr)
    if not len(ends) or ends[-1] != len(data) - 1:
        ends = np.append(ends, len(data))  # the last record of the file may lack its newline
    starts = np.concatenate(([0], ends[:-1] + 1))
    clean = (_quotes_clean(arr, quotes) and (len(quotes) % 2 == 0 or not at_eof)
             and not (arr == 0).any() and _no_lone_cr(arr)
             and int((ends - starts).max(initial=0)) <= FIELD_LIMIT)
    length = ends - starts
    first_byte = arr[np.minimum(starts, len(arr) - 1)] if len(arr) else np.zeros(len(starts), np.uint8)
    blank = (length == 0) | ((length == 1) & (first_byte == _CR))  # "" and "\r" before the newline
    starts = starts[~blank]
    lines = first_line + np.searchsorted(newlines, starts)
    return Block(data, first_line, bool(clean), starts, lines)


def _no_lone_cr(arr: np.ndarray) -> bool:
    crs = np.flatnonzero(arr == _CR)
    if not len(crs):
        return True
    if crs[-1] == len(arr) - 1:
        return False
    return bool((arr[crs + 1] == _NL).all())


def _quotes_clean(arr: np.ndarray, quotes: np.ndarray) -> bool:
    """Every quote opens a field, closes one, or is one of a doubled pair inside one (RFC 4180)."""
    if not len(quotes):
        return True
    n = len(arr)
    k = np.arange(len(quotes))
    prev = np.where(quotes > 0, arr[np.maximum(quotes - 1, 0)], _NL)
    nxt = np.where(quotes < n - 1, arr[np.minimum(quotes + 1, n - 1)], _NL)
    follows_quote = np.concatenate(([False], np.diff(quotes) == 1))
    precedes_quote = np.concatenate((np.diff(quotes) == 1, [False]))
    opening = (k % 2 == 0)
    opens_ok = (prev == _COMMA) | (prev == _NL) | (follows_quote & ~opening[np.maximum(k - 1, 0)])
    closes_ok = (nxt == _COMMA) | (nxt == _NL) | (nxt == _CR) | precedes_quote
    return bool(np.where(opening, opens_ok, closes_ok).all())


def parse(block: Block, utf8: bytes, width: int) -> list[pa.Array] | None:
    """The block's records (``utf8``: its bytes in UTF-8) as ``width`` string columns (values trimmed like ``str.strip``), or None when
    pyarrow does not find exactly the records the byte scan found (wrong field counts, whitespace lines)."""
    names = [f"f{i}" for i in range(width)]
    invalid: list[int] = []

    def on_invalid(_row: object) -> str:
        invalid.append(1)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(utf8),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False, block_size=len(utf8) + 1),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()), null_values=[],
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if invalid or table.num_rows != len(block.starts):
        return None
    return [pc.utf8_trim(col.combine_chunks(), characters=WHITESPACE) for col in table.columns]
