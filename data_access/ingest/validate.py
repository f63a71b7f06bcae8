"""Vectorised validation of one chunk against its ``Source``: types, required fields, code lists, date ranges,
lengths and references. Returns the typed good rows and, for every bad row, its reasons (in Chinese).

Work is per column on Arrow arrays (and pandas for the typed result), so the cost per row stays small;
only distinct values and rows that fail go through Python loops (to map codes and word reasons).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Table, select

from data_access import codes, tables
from data_access.ingest.sources import Field, Source

LATEST_FUTURE = dt.datetime(2100, 1, 1)
_BOOLS = {**dict.fromkeys(("1", "是", "true", "True", "TRUE", "t", "T", "y", "Y", "yes", "Yes", "YES", "真", "√"), True),
          **dict.fromkeys(("0", "否", "false", "False", "FALSE", "f", "F", "n", "N", "no", "No", "NO", "假", "×"), False)}
_MONEY_NOISE = re.compile(r"[,，元￥¥\s]")
_MULTI_SEP = re.compile(r"[,，、;；|]")


@dataclass
class References:
    """Lookups of the reference dimensions: every accepted spelling (code or Chinese name) → stored code."""

    region: dict[str, str]  # the city or a county-level unit
    county: dict[str, str]
    township: dict[str, str]
    department: dict[str, str]
    hotline_category: dict[str, str]
    urban_category: dict[str, str]
    reg_item: dict[str, str]
    ticket: Callable[[Iterable[str]], dict[str, int]]

    @classmethod
    def load(cls, conn: Connection) -> References:
        # Core tables, not ORM classes: importing the ORM and mapping the schema cost each ``bianjian ingest``
        # process 0.3-0.6 CPU s before the first row.
        region, county, township = {}, {}, {}
        town_names: dict[str, list[str]] = defaultdict(list)
        for code, name, level in conn.execute(select(*_columns(tables.dim_region, "region_code", "name", "level"))):
            if level in ("DISTRICT", "COUNTY", "ZONE"):
                county[code] = county[name] = code
            if level in ("CITY", "DISTRICT", "COUNTY", "ZONE"):
                region[code] = region[name] = code
            elif level in ("STREET", "TOWN", "TOWNSHIP"):
                township[code] = code
                town_names[name].append(code)
        township.update({name: c[0] for name, c in town_names.items() if len(c) == 1})  # unambiguous names only
        department = {}
        for code, key, name, short in conn.execute(
                select(*_columns(tables.dim_department, "dept_code", "dept_key", "name", "short_name"))):
            department.update({code: code, key: code, name: code, short: code})
        hotline = {}
        for code, name in conn.execute(select(*_columns(tables.dim_hotline_category, "cat_code", "name"))):
            hotline[code] = hotline[name] = code
        urban, minor_names = {}, defaultdict(list)
        for code, minor in conn.execute(select(*_columns(tables.dim_urban_category, "cat_code", "minor_name"))):
            urban[code] = code
            minor_names[minor].append(code)
        urban.update({name: c[0] for name, c in minor_names.items() if len(c) == 1})
        items = {code: code for code in conn.scalars(select(*_columns(tables.dim_reg_item, "item_code")))}

        def tickets(order_nos: Iterable[str]) -> dict[str, int]:
            found: dict[str, int] = {}
            wanted = list(dict.fromkeys(order_nos))
            for i in range(0, len(wanted), 5000):
                part = wanted[i:i + 5000]
                order_no, ticket_id = _columns(tables.fact_hotline_ticket, "order_no", "ticket_id")
                found.update(conn.execute(select(order_no, ticket_id).where(order_no.in_(part))).all())
            return found

        return cls(region, county, township, department, hotline, urban, items, tickets)


def _columns(table: Table, *names: str) -> list:
    return [table.c[name] for name in names]


class Reasons:
    """Reasons per row position, filled column by column."""

    def __init__(self, n: int) -> None:
        self.by_row: dict[int, list[str]] = defaultdict(list)
        self.n = n

    def add(self, mask: pd.Series | np.ndarray, message: str | Callable[[int], str]) -> None:
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            self.by_row[int(i)].append(message(int(i)) if callable(message) else message)

    def bad_mask(self) -> np.ndarray:
        mask = np.zeros(self.n, dtype=bool)
        mask[list(self.by_row)] = True
        return mask


def validate(source: Source, raw: Mapping[str, pa.Array], n: int, refs: References, *, src_system: str | None
             ) -> tuple[pd.DataFrame, dict[int, list[str]]]:
    """Type and check ``raw`` (field column → ``n`` strings, null where empty); returns (good rows, reasons).

    Presence, lengths, code lists, references and the common timestamp spelling are checked on the Arrow
    columns; only distinct values and failing rows reach Python. ``src_system`` fills rows that do not name
    their 来源系统 (lineage sources only).
    """
    reasons = Reasons(n)
    typed: dict[str, pd.Series] = {}
    now_limit = dt.datetime.now() + dt.timedelta(days=1)
    for f in source.fields:
        if f.column not in raw:  # absent columns stay absent: an update leaves those columns as they are
            if f.required:
                reasons.add(np.ones(n, bool), f"{f.label}: 必填字段为空")
            continue
        arr = raw[f.column]
        present = _mask(pc.is_valid(arr))
        if f.required:
            reasons.add(~present, f"{f.label}: 必填字段为空")
        # PostgreSQL text cannot hold NUL (SQLite can): a row-level reason on both, never a failed batch.
        if _may_hold_nul(arr):
            reasons.add(_mask(pc.match_substring(arr, "\x00")), f"{f.label}: 含空字符（NUL），无法保存")
        parsed, bad = _parse(f, arr, now_limit, source)
        reasons.add(bad & present, lambda i, f=f, a=arr, p=parsed: _bad_value(f, a[i].as_py(), p, i, source))
        if f.ref is not None and f.ref != "ticket":
            mapped, missing = map_values(arr, getattr(refs, f.ref))  # reference fields are plain text
            unknown = present & ~bad & missing
            reasons.add(unknown, lambda i, f=f, a=arr: f"{f.label}: 未知的{_REF_NAMES[f.ref]}“{a[i].as_py()}”")
            parsed = mapped
        typed[f.column] = parsed
    # copy=False: the parsed columns are this call's own, so the frame takes them as they are (one block per
    # column) instead of copying every value into a consolidated block.
    typed = pd.DataFrame(typed, index=pd.RangeIndex(n), copy=False)
    if "order_no" in typed and source.field_by_column["order_no"].ref == "ticket":
        ids = refs.ticket(typed["order_no"].dropna())
        typed["ticket_id"] = typed["order_no"].map(ids)
        reasons.add(typed["order_no"].notna() & typed["ticket_id"].isna(),
                    lambda i: f"工单编号: 工单“{typed['order_no'].iat[i]}”不存在，请先导入工单")
    good_mask = ~reasons.bad_mask()
    good = typed if good_mask.all() else typed[good_mask].copy()  # typed is this call's own: no copy needed
    if source.derive is not None and len(good):
        good = source.derive(good)
    if source.lineage and len(good):
        good["src_system"] = good["src_system"].fillna(src_system) if "src_system" in good else src_system
        good["src_id"] = good["src_id"].fillna(good[source.key]) if "src_id" in good else good[source.key]
    late: list[tuple[pd.Series, str]] = list(source.checks(good)) if source.checks and len(good) else []
    late += _not_null_checks(source, good)
    late += [(too_long(good[c], n), f"{c}: 超过最大长度{n}")
             for c, n in (("src_id", 64), ("src_system", 32)) if c in good]
    positions = np.flatnonzero(good_mask)
    for mask, message in late:
        for j in np.flatnonzero(mask.to_numpy(dtype=bool)):
            reasons.by_row[int(positions[j])].append(message)
    final = ~reasons.bad_mask()
    keep = final[positions] if len(positions) else np.zeros(0, bool)
    if not keep.all():
        good = good[keep]
    good.index = np.flatnonzero(final)
    return good, dict(reasons.by_row)


_REF_NAMES = {"region": "行政区划", "county": "区县", "township": "乡镇街道", "department": "部门", "hotline_category": "问题分类",
              "urban_category": "城管问题类别", "reg_item": "监管事项编码"}


def _not_null_checks(source: Source, df: pd.DataFrame) -> list[tuple[pd.Series, str]]:
    """Columns the table needs that derivation could not fill (e.g. a 主体类型 no code prefix tells).

    A required field's column is not searched again: every row missing it or holding a value that does not
    parse already has its reason, and derivations only fill gaps (a null search of an object column per
    chunk was 3 % of a load's CPU).
    """
    out = []
    table = tables.metadata.tables[source.table]
    for col in table.c:
        if col.nullable or col.default is not None or col.server_default is not None or col.autoincrement is True:
            continue
        if col.name in ("load_batch", "loaded_at") or (col.primary_key and col.name not in source.field_by_column):
            continue
        field = source.field_by_column.get(col.name)
        if field is not None and field.required:
            continue
        if col.name in df:
            out.append((df[col.name].isna(), f"{col.name}: 缺少必填值"))
    return out


def _bad_value(f: Field, value: object, parsed: pd.Series, i: int, source: Source) -> str:
    if f.type in ("date", "datetime") and not pd.isna(parse_datetimes(pd.Series([value], dtype=object)).iat[0]):
        return f"{f.label}: 时间超出合理范围“{value}”"
    if f.codes is not None:
        allowed = list(f.codes) if not isinstance(f.codes, dict) else [f"{k}/{v}" for k, v in f.codes.items()]
        shown = "、".join(allowed[:12]) + ("…" if len(allowed) > 12 else "")
        return f"{f.label}: “{value}”不在代码表中（可选：{shown}）"
    if f.type == "str":
        return f"{f.label}: 长度{len(str(value))}超过最大长度{source.max_length(f.column)}"
    if f.type == "int":
        return f"{f.label}: 应为非负整数“{value}”"
    return f"{f.label}: 无法解析为{_TYPE_NAMES[f.type]}“{value}”"


_TYPE_NAMES = {"float": "数值", "money": "金额", "bool": "是/否", "date": "日期", "datetime": "时间"}


def _mask(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow array as numpy, null counted as False."""
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def _may_hold_nul(arr: pa.Array) -> bool:
    """Whether a string array's data buffer holds a zero byte at all: one vectorised pass, ~100x cheaper than
    searching every value, which is left for the rare chunk where this says yes."""
    buffers = arr.buffers()
    data = buffers[2] if len(buffers) > 2 else None
    return data is not None and data.size > 0 and np.frombuffer(data, np.uint8).min() == 0


def _objects(arr: pa.Array) -> pd.Series:
    """Strings as a pandas object column (None where null): what the drivers and the checks take."""
    return pd.Series(arr.to_numpy(zero_copy_only=False), dtype=object)


def _parse(f: Field, arr: pa.Array, now_limit: dt.datetime, source: Source) -> tuple[pd.Series, np.ndarray]:
    """(parsed values, bad mask) for one field; the mask is only meaningful where a value is present."""
    if f.type == "str":
        if f.codes is not None:
            return _map_codes(f, arr)
        limit = source.max_length(f.column)
        bad = _mask(pc.greater(pc.utf8_length(arr), limit)) if limit else np.zeros(len(arr), bool)
        return _objects(arr), bad
    if f.type in ("date", "datetime"):
        parsed = parse_datetimes(arr)
        upper = LATEST_FUTURE if f.future_ok else now_limit
        stamps = parsed.to_numpy()  # numpy, not pandas operators: eight such fields a chunk on 12345 orders
        bad = np.isnat(stamps) | (stamps < np.datetime64(f.earliest)) | (stamps > np.datetime64(upper))
        if f.type == "date":
            parsed = parsed.dt.normalize()
        return (parsed.where(~bad) if bad.any() else parsed), bad
    if f.type == "bool":
        return map_values(arr, _BOOLS)
    if f.type == "int" and pc.all(pc.match_substring_regex(arr, r"^\d{1,9}$")).as_py():  # only ASCII digits
        ints = pd.array(pc.cast(arr, pa.int64()).to_numpy(zero_copy_only=False), dtype="Int64")
        return pd.Series(ints), np.zeros(len(arr), bool)
    s = _objects(arr)
    if f.type == "int":
        num = pd.to_numeric(s, errors="coerce")
        bad = num.isna() | (num % 1 != 0) | (num < 0) | (num > 2**31)
        return num.where(~bad).astype("Int64"), bad.to_numpy()
    text = s.str.replace(_MONEY_NOISE, "", regex=True) if f.type == "money" else s  # float or money
    num = pd.to_numeric(text, errors="coerce").astype(float)
    bad = num.isna() | ~np.isfinite(num.fillna(0)) | (num.abs() > 1e15)
    num = num.where(~bad)
    return (num.round(2) if f.type == "money" else num), bad.to_numpy()


def map_values(values: pa.Array, mapping: dict) -> tuple[pd.Series, np.ndarray]:
    """``values.map(mapping)`` through the distinct values only (a chunk has few distinct codes and many
    rows), and where the result is missing: a null, or a value the mapping lacks."""
    encoded = values.dictionary_encode()
    uniques = encoded.dictionary.to_pylist()
    positions = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    mapped = np.array([mapping.get(u) for u in uniques] + [None], dtype=object)
    missing = np.array([m is None for m in mapped], dtype=bool)
    return pd.Series(mapped[positions], dtype=object), missing[positions]


def too_long(s: pd.Series, limit: int) -> pd.Series:
    return (s.str.len() > limit).fillna(False).astype(bool)


def _map_codes(f: Field, arr: pa.Array) -> tuple[pd.Series, np.ndarray]:
    mapping = ({k: k for k in f.codes} | {v: k for k, v in f.codes.items()} if isinstance(f.codes, dict)
               else {k: k for k in f.codes})
    if f.multi:
        mapping = {v: _multi(v, mapping) for v in pc.unique(arr).to_pylist() if v is not None}
    return map_values(arr, mapping)


def _multi(value: str, mapping: dict) -> str | None:
    """A list of codes or labels (any of ,，、;；| between them) as stored codes joined by commas."""
    parts = [p.strip() for p in _MULTI_SEP.split(value) if p.strip()]
    mapped = [mapping.get(p) for p in parts]
    return ",".join(mapped) if parts and all(mapped) else None


# ------------------------------------------------------------------------------------------ date parsing

_COMMON_STAMP = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"
_NS_RANGE = (np.datetime64(pd.Timestamp.min.ceil("s"), "s"), np.datetime64(pd.Timestamp.max.floor("s"), "s"))


def parse_datetimes(values: pd.Series | pa.Array) -> pd.Series:
    """Naive local datetimes from the spellings source systems use; unparseable → NaT.

    The common ``YYYY-MM-DD HH:MM:SS`` is cast in Arrow, whose cast refuses impossible dates and times as
    ``_parse_one`` does (years outside pandas' nanosecond range are NaT, as in pandas); every other
    spelling (``2024/1/5``, ``2024年1月5日``, ISO with ``T`` or an offset, compact ``20240105``) one by one.
    """
    arr = values if isinstance(values, pa.Array) else pa.array(values.astype(object), pa.string(), from_pandas=True)
    out = np.full(len(arr), np.datetime64("NaT"), dtype="datetime64[ns]")
    common = _mask(pc.match_substring_regex(arr, _COMMON_STAMP))
    if common.any():
        text = arr.filter(common) if not common.all() else arr
        try:
            stamps = pc.cast(text, pa.timestamp("s"))
        except pa.ArrowInvalid:  # an impossible date or time in the chunk: keep what prints back the same
            stamps = pc.strptime(text, format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True)
            same = pc.fill_null(pc.equal(pc.strftime(stamps, format="%Y-%m-%d %H:%M:%S"), text), False)
            stamps = pc.if_else(same, stamps, pa.scalar(None, stamps.type))
        stamps = stamps.to_numpy(zero_copy_only=False)
        fits = (stamps >= _NS_RANGE[0]) & (stamps <= _NS_RANGE[1])  # else NaT, as pandas has it
        out[np.flatnonzero(common)[fits]] = stamps[fits].astype("datetime64[ns]")
    rest = np.flatnonzero(~common & _mask(pc.is_valid(arr)))
    if len(rest):
        slow = [_parse_one(v) for v in arr.take(pa.array(rest)).to_pylist()]
        out[rest] = pd.to_datetime(pd.Series(slow, dtype=object), errors="coerce").to_numpy()
    return pd.Series(out)


def _parse_one(value: str) -> dt.datetime | None:
    text = str(value).strip()
    text = re.sub(r"[年/.]", "-", text).replace("月", "-").replace("日", " ").replace("T", " ").strip()
    parsed = None
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y%m%d%H%M%S", "%Y%m%d"):
            try:
                parsed = dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    if parsed.tzinfo is not None:
        import zoneinfo

        parsed = parsed.astimezone(zoneinfo.ZoneInfo(codes.TIMEZONE)).replace(tzinfo=None)
    if not 1900 <= parsed.year <= 2200:
        return None
    return parsed
