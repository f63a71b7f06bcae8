"""Read-side query functions: the only way pages reach the warehouse.

Each function takes a session first, builds a ``select()``, and returns plain data (DataFrames, dicts);
none commits. Row scoping by role lives in the callers' ``scope`` arguments (see ``security``).
"""

from __future__ import annotations

import datetime as dt
import functools
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Integer,
    Select,
    String,
    Text,
    bindparam,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.orm import Session

from data_access.schema import DailyComplaintCount, HotlineCategory, HotlineTicket, Region


def frame(bind: Session | Connection, stmt: Select, columns: list[str]) -> pd.DataFrame:
    """``stmt``'s rows as a DataFrame, taken from the driver's cursor in one go.

    ``session.execute(stmt).all()`` wraps every row in a ``Row`` and converts each value (on SQLite every
    date arrives as text and becomes a ``datetime.date``), only for pandas to take the rows apart again into
    columns: for a mart that is most of the read. Here values stay as the driver returns them (SQLite: ISO
    text for dates and times; psycopg: Python dates and datetimes), so callers parse time columns with
    ``pd.to_datetime``, which does it per column.
    """
    result = (bind.connection() if isinstance(bind, Session) else bind).execute(stmt)
    try:
        rows = result.cursor.fetchall()
    finally:
        result.close()
    return pd.DataFrame.from_records(rows, columns=columns)


# Column types a columnar read parses, by the statement's SQL type: dates and times become datetime64[ns].
_ARROW_TYPES = ((DateTime, pa.timestamp("ns")), (Date, pa.timestamp("ns")), (Integer, pa.int64()),
                (String, pa.string()))


def _arrow_type(sql_type: object, name: str) -> pa.DataType:
    for kind, arrow in _ARROW_TYPES:
        if isinstance(sql_type, kind):
            return arrow
    raise TypeError(f"column {name!r}: a columnar read parses dates, times, integers and strings, not {sql_type!r}")


def columns_frame(bind: Session | Connection, stmt: Select, columns: list[str], params: dict | None = None
                  ) -> pd.DataFrame:
    """``stmt``'s rows (``params`` bound) as a DataFrame that crosses the driver a column at a time, inside the caller's
    transaction, parsed by Arrow: dates and times as datetime64[ns], integers as int64, strings as objects.

    A driver cursor hands over one Python object per value (≈ 0.7 µs a row for four columns on SQLite; COPY on
    PostgreSQL, one message per row, costs about as much), which is most of reading a mart of a few hundred
    thousand rows. Here the database joins each column's values into one text (``group_concat`` on SQLite,
    ``string_agg`` on PostgreSQL) over ``stmt`` as an ordered subquery, and Arrow parses each text in one go.
    All the aggregates take the same rows in one pass, so the columns stay aligned; they take them in the
    subquery's order (both databases keep a sorted subquery's order for a plain aggregate over it; an ORDER BY
    inside each aggregate would sort once per column).

    For NOT NULL columns whose text holds no newline (dates, times, integers, codes): the aggregates skip a
    NULL and a newline would split a value, so every column's length is checked against the row count and a
    mismatch raises ``ValueError``. The column types come from the statement (``Date``, ``DateTime``,
    ``Integer``, ``String``; anything else raises ``TypeError``).
    """
    conn = bind.connection() if isinstance(bind, Session) else bind
    types = {name: _arrow_type(c.type, name) for name, c in zip(columns, stmt.selected_columns, strict=True)}
    rows = stmt.subquery()
    newline = literal_column("'\n'")  # inline: a bound separator costs SQLite a third more
    if conn.dialect.name == "postgresql":
        texts = [func.string_agg(cast(c, Text), newline) for c in rows.c]
    else:
        texts = [func.group_concat(c, newline) for c in rows.c]
    count, *texts = conn.execute(select(func.count(), *texts), params).one()
    if not count:
        return pa.schema(list(types.items())).empty_table().to_pandas(use_threads=False)
    columns = {}
    for (name, arrow), text in zip(types.items(), texts, strict=True):
        column = pa.array([], arrow) if text is None else _parse_column(text, name, arrow, count)
        if len(column) != count:
            raise ValueError(f"column {name!r}: {len(column)} values for {count} rows (a NULL, or a newline in a value)")
        columns[name] = column
    return pa.table(columns).to_pandas(use_threads=False)


# Below this many rows a column's text is split in Python and cast by Arrow: the CSV reader hands its input to
# Arrow's I/O thread, a few ms of wake-up latency on a busy machine for a 60-row read (splitting costs about
# what the reader does at 5,000 rows, measured in CPU time).
_SPLIT_ROWS = 5_000


# A read known to return at most this many rows goes through the driver's cursor (:func:`small_frame`): the
# columnar read's fixed cost — the wrapping aggregate statement SQLAlchemy builds, keys and executes on every
# call, ~2.5 ms CPU — was more than half of the wall's 60-row read (4-5 ms CPU), where the cursor costs
# ~0.5 µs a value.
SMALL_READ_ROWS = 5_000


def small_frame(bind: Session | Connection, stmt: Select, columns: list[str], params: dict | None = None
                ) -> pd.DataFrame:
    """``stmt``'s rows (``params`` bound) as :func:`columns_frame` returns them (same column types), read through
    the driver's cursor: for reads of a few thousand rows at most, where a columnar read's fixed cost dominates.

    Each column becomes a NumPy array straight from the driver's values (:func:`_cursor_column`) and the frame
    is built from the arrays: going through an Arrow table and ``to_pandas`` cost ~0.3 ms more per call, most of
    a 60-row read's Python time."""
    types = {name: _arrow_type(c.type, name) for name, c in zip(columns, stmt.selected_columns, strict=True)}
    result = (bind.connection() if isinstance(bind, Session) else bind).execute(stmt, params)
    try:
        rows = result.cursor.fetchall()
    finally:
        result.close()
    values = zip(*rows, strict=True) if rows else (() for _ in types)
    return pd.DataFrame({name: _cursor_column(column, arrow)
                         for (name, arrow), column in zip(types.items(), values, strict=True)}, copy=False)


def _cursor_column(values: tuple, arrow: pa.DataType) -> np.ndarray:
    """One column of driver values as the NumPy array :func:`columns_frame` would give (datetime64[ns], int64 or
    objects). SQLite hands dates and times over as ISO text, which NumPy parses in C; psycopg as Python dates
    and datetimes, which Arrow converts ~5× faster than NumPy does."""
    if pa.types.is_timestamp(arrow):
        if not values or isinstance(values[0], str):
            return np.array(values, dtype="datetime64[ns]")
        return pa.array(values).cast(arrow).to_numpy(zero_copy_only=False)
    if pa.types.is_integer(arrow):
        return np.array(values, dtype=np.int64)  # PostgreSQL's sum() of integers arrives as Decimal: exact here
    return np.array(values, dtype=object)


def _parse_column(text: str, name: str, arrow: pa.DataType, count: int) -> pa.Array:
    if count <= _SPLIT_ROWS:
        return pa.array(text.split("\n"), pa.string()).cast(arrow)
    return pacsv.read_csv(
        io.BytesIO(text.encode()),
        read_options=pacsv.ReadOptions(column_names=[name], use_threads=False),  # threads: latency, no gain
        parse_options=pacsv.ParseOptions(delimiter="\x1f", quote_char=False, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(column_types={name: arrow}, strings_can_be_null=False,
                                             null_values=[])).column(0)


def counties(session: Session) -> pd.DataFrame:
    """County-level units (9 divisions + 示范区): region_code, name, level."""
    stmt = (select(Region.region_code, Region.name, Region.level)
            .where(Region.level.in_(["DISTRICT", "COUNTY", "ZONE"])).order_by(Region.region_code))
    return pd.DataFrame(session.execute(stmt).all(), columns=["region_code", "name", "level"])


def hotline_categories(session: Session) -> pd.DataFrame:
    """12345 level-1 categories in Kaifeng's order: cat_code, name."""
    stmt = select(HotlineCategory.cat_code, HotlineCategory.name).order_by(HotlineCategory.cat_code)
    return pd.DataFrame(session.execute(stmt).all(), columns=["cat_code", "name"])


def data_as_of(session: Session) -> dt.datetime | None:
    """Time of the latest accepted 12345 order (the wall's "数据截至" stamp)."""
    return session.scalar(select(func.max(HotlineTicket.accepted_at)))


def daily_complaints(bind: Session | Connection, *, region_codes: list[str] | None = None,
                     category_codes: list[str] | None = None, start: dt.date | None = None,
                     end: dt.date | None = None, by: tuple[str, ...] = ("region_code", "category_code")
                     ) -> pd.DataFrame:
    """Daily 12345 order counts from ``agg_daily_complaints``, summed over what ``by`` leaves out, in day order
    (then ``by``'s): read as columns (:func:`columns_frame`), or through the cursor (:func:`small_frame`) when
    the window can hold at most ``SMALL_READ_ROWS`` rows (the wall's 60 days city-wide).

    Returns columns ``day`` (datetime64), the ``by`` columns and ``n`` (int64).
    """
    stmt, params = _daily_query(region_codes, category_codes, start, end, by)
    columns = ["day", *by, "n"]
    bound = _rows_at_most(start, end, {"region_code": region_codes, "category_code": category_codes}, by)
    if bound is not None and bound <= SMALL_READ_ROWS:
        return small_frame(bind, stmt, columns, params)
    return columns_frame(bind, stmt, columns, params)


def _rows_at_most(start: dt.date | None, end: dt.date | None, codes: dict[str, list[str] | None],
                  by: tuple[str, ...]) -> int | None:
    """How many rows a read of days ``start``..``end`` by ``by`` can return at most, or None when unbounded."""
    if start is None or end is None:
        return None
    bound = max((end - start).days + 1, 0)
    for column in by:
        if not codes.get(column):
            return None
        bound *= len(codes[column])
    return bound


def daily_complaints_statement(*, region_codes: list[str] | None = None, category_codes: list[str] | None = None,
                               start: dt.date | None = None, end: dt.date | None = None,
                               by: tuple[str, ...] = ("region_code", "category_code")) -> Select:
    """The statement :func:`daily_complaints` reads (columns day, ``by``, n), with these values bound."""
    stmt, params = _daily_query(region_codes, category_codes, start, end, by)
    return stmt.params(params)


def _daily_query(region_codes: list[str] | None, category_codes: list[str] | None, start: dt.date | None,
                 end: dt.date | None, by: tuple[str, ...]) -> tuple[Select, dict]:
    """The cached statement for this shape of question and the values to bind to it."""
    stmt = _daily_shape(by, bool(region_codes), bool(category_codes), start is not None, end is not None)
    values = {"region_codes": region_codes, "category_codes": category_codes, "start": start, "end": end}
    return stmt, {k: v for k, v in values.items() if v}


@functools.cache
def _daily_shape(by: tuple[str, ...], regions: bool, categories: bool, start: bool, end: bool) -> Select:
    """The mart read's statement for one shape of question, built once with bound parameters (``region_codes``,
    ``category_codes``, ``start``, ``end``): SQLAlchemy keys a statement built anew on every call, ~1 ms CPU of
    the wall's 60-day read."""
    t = DailyComplaintCount.__table__.c
    group_cols = [t[c] for c in by]
    if set(by) == {"region_code", "category_code"}:  # the mart's own grain: read it in key order, no GROUP BY
        stmt = select(t.day, *group_cols, t.n).order_by(t.day, t.region_code, t.category_code)
    else:
        stmt = (select(t.day, *group_cols, func.sum(t.n).label("n")).group_by(t.day, *group_cols)
                .order_by(t.day, *group_cols))
    if regions:
        stmt = stmt.where(t.region_code.in_(bindparam("region_codes", expanding=True)))
    if categories:
        stmt = stmt.where(t.category_code.in_(bindparam("category_codes", expanding=True)))
    if start:
        stmt = stmt.where(t.day >= bindparam("start", type_=t.day.type))
    if end:
        stmt = stmt.where(t.day <= bindparam("end", type_=t.day.type))
    return stmt
