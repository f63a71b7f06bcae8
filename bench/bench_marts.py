"""Mart reads against recomputing: daily 12345 counts, the questions the product asks, several ways, same warehouse.

    BIANJIAN_DATABASE_URL=sqlite:///var/bianjian.db .venv/bin/python bench/bench_marts.py \
        [--rounds 7] [--question all|wall|county]

Questions (``--question``), each as the product asks ``agg_daily_complaints`` through
``data_access.queries.daily_complaints``:

- ``all``: every day × county × category cell (the spike and trend models' input, ``lead_reads.daily_frame``);
- ``wall``: city-wide orders per day over the wall's 60 days up to the data's last day
  (``queries_wall.complaint_trend``);
- ``county``: one county's orders per day × category over the last 365 days (a filtered page-like read).

Variants:

1. ``mart``: ``queries.daily_complaints`` — the precomputed mart read as columns (``queries.columns_frame``:
   one ``group_concat`` / ``string_agg`` text per column, parsed by Arrow, inside the session's transaction), or
   through the cursor for a window of at most ``queries.SMALL_READ_ROWS`` rows (``wall``: ``small_frame``);
2. ``mart, driver cursor``: the same statement read through the driver's cursor (``queries.frame``, one Python
   tuple per row, dates parsed per column; ``daily_complaints_statement``) — the mart read before the columnar
   read, its baseline;
3. ``recompute (SQL), as columns``: the same question answered by the database from the raw orders
   (``fact_hotline_ticket``, the ``daily_counts`` step's GROUP BY with the question's filters), read the same
   way as 1; and ``recompute (SQL), driver cursor``, read the same way as 2;
4. ``recompute (pandas)``: the raw orders' columns (filtered in SQL) read into pandas and grouped there;
5. ``DuckDB from raw``: DuckDB's own SQLite/PostgreSQL scanner reading the raw orders of the same database
   (needs ``duckdb`` and its ``duckdb-ext-sqlite`` / ``duckdb-ext-postgres`` wheels: the benchmark-only extra
   ``bench`` of pyproject.toml; left out when missing).

Every variant returns the same frame (checked before timing). The variants alternate within each round in an
order shuffled anew each round (seeded): a rotating order keeps the cycle, so the same variant always ran right
after DuckDB's scan of the whole raw table, with its caches cold — the mart read. The table gives each one's median wall and CPU time (this process, all threads) and its median
ratio to the mart read within the same round (a ratio > 1 means the mart read is that many times faster). Load
average before and after is printed, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Date, Select, func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from data_access import db, queries  # noqa: E402
from data_access.schema import DailyComplaintCount, HotlineTicket  # noqa: E402


@dataclass(frozen=True)
class Question:
    """``daily_complaints``' arguments: the grain kept (``by``), the days and the counties asked."""

    by: tuple[str, ...]
    start: dt.date | None = None
    end: dt.date | None = None
    region_codes: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        return ["day", *self.by, "n"]

    def kwargs(self) -> dict:
        return {"by": self.by, "start": self.start, "end": self.end, "region_codes": list(self.region_codes) or None}


def question(name: str) -> Question:
    with db.session_scope() as session:
        last = session.scalar(select(func.max(DailyComplaintCount.day)))
        county = session.scalar(select(func.min(DailyComplaintCount.region_code)))
    if name == "all":
        return Question(by=("region_code", "category_code"))
    if name == "wall":
        return Question(by=(), start=last - dt.timedelta(days=59), end=last)
    return Question(by=("category_code",), start=last - dt.timedelta(days=364), end=last, region_codes=(county,))


def _raw_filtered(q: Question, stmt: Select) -> Select:
    t = HotlineTicket
    if q.start:
        stmt = stmt.where(t.accepted_at >= q.start)
    if q.end:
        stmt = stmt.where(t.accepted_at < q.end + dt.timedelta(days=1))
    if q.region_codes:
        stmt = stmt.where(t.region_code.in_(q.region_codes))
    return stmt


def recompute_statement(q: Question) -> Select:
    t = HotlineTicket
    day = func.date(t.accepted_at, type_=Date)
    cols = [getattr(t, c) for c in q.by]
    stmt = select(day.label("day"), *cols, func.count().label("n")).group_by(day, *cols).order_by(day, *cols)
    return _raw_filtered(q, stmt)


def cursor_read(stmt: Select, columns: list[str]) -> pd.DataFrame:
    with db.session_scope() as session:
        df = queries.frame(session, stmt, columns)
    df["day"] = pd.to_datetime(df["day"])
    df["n"] = df["n"].astype("int64")
    return df


def columns_read(stmt: Select, columns: list[str]) -> pd.DataFrame:
    with db.session_scope() as session:
        return queries.columns_frame(session, stmt, columns)


def variants(q: Question) -> dict[str, Callable[[], pd.DataFrame]]:
    def mart() -> pd.DataFrame:
        with db.session_scope() as session:
            return queries.daily_complaints(session, **q.kwargs())

    def recompute_pandas() -> pd.DataFrame:
        t = HotlineTicket
        cols = ["accepted_at", *q.by]
        with db.session_scope() as session:
            raw = queries.frame(session, _raw_filtered(q, select(t.accepted_at, *(getattr(t, c) for c in q.by))),
                                cols)
        raw["day"] = pd.to_datetime(raw["accepted_at"]).dt.normalize()
        return raw.groupby(["day", *q.by]).size().rename("n").reset_index()

    out = {"mart (daily_complaints)": mart,
           "mart, driver cursor (the read before)":
               lambda: cursor_read(queries.daily_complaints_statement(**q.kwargs()), q.columns),
           "recompute (SQL), as columns": lambda: columns_read(recompute_statement(q), q.columns),
           "recompute (SQL), driver cursor": lambda: cursor_read(recompute_statement(q), q.columns),
           "recompute (pandas)": recompute_pandas}
    duck = duckdb_variant(q)
    if duck:
        out["DuckDB from raw"] = duck
    return out


def duckdb_variant(q: Question) -> Callable[[], pd.DataFrame] | None:
    """DuckDB scanning the raw orders of the same database, or None when its scanner is not installed."""
    try:
        import duckdb
        import duckdb_ext
    except ImportError:
        return None
    url = db.engine().url
    backend = "sqlite" if url.get_backend_name() == "sqlite" else "postgres"
    scanner = "sqlite_scanner" if backend == "sqlite" else "postgres_scanner"
    path = next(Path(p) for p in duckdb_ext.__path__) / "extensions" / f"v{duckdb.__version__}" / "linux_amd64"
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    con.execute(f"LOAD '{path / (scanner + '.duckdb_extension')}'")
    if backend == "sqlite":
        source = f"sqlite_scan('{url.database}', 'fact_hotline_ticket')"
    else:
        dsn = f"host={url.host} port={url.port or 5432} user={url.username} dbname={url.database}"
        source = f"postgres_scan('{dsn}', 'public', 'fact_hotline_ticket')"
    where = ["TRUE"]
    if q.start:
        where.append(f"CAST(accepted_at AS TIMESTAMP) >= TIMESTAMP '{q.start}'")
    if q.end:
        where.append(f"CAST(accepted_at AS TIMESTAMP) < TIMESTAMP '{q.end + dt.timedelta(days=1)}'")
    if q.region_codes:
        where.append("region_code IN (" + ", ".join(f"'{c}'" for c in q.region_codes) + ")")
    keys = ", ".join(["day", *q.by])
    sql = (f"SELECT CAST(CAST(accepted_at AS TIMESTAMP) AS DATE) AS day{''.join(', ' + c for c in q.by)}, "
           f"count(*) AS n FROM {source} WHERE {' AND '.join(where)} GROUP BY ALL ORDER BY {keys}")

    def run() -> pd.DataFrame:
        df = con.execute(sql).df()
        df["day"] = pd.to_datetime(df["day"])
        return df

    return run


def _same(a: pd.DataFrame, b: pd.DataFrame, columns: list[str]) -> bool:
    key = columns[:-1]
    a = a[columns].sort_values(key).reset_index(drop=True).astype({"n": "int64"})
    b = b[columns].sort_values(key).reset_index(drop=True).astype({"n": "int64"})
    a["day"], b["day"] = a["day"].astype("datetime64[ns]"), b["day"].astype("datetime64[ns]")
    return a.equals(b)


def _ratio(times: dict[str, list[float]], name: str, base: str) -> float:
    """Median over rounds of ``name``'s time ÷ ``base``'s time in the same round."""
    return statistics.median(t / b for t, b in zip(times[name], times[base], strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--question", choices=["all", "wall", "county"], default="all")
    args = parser.parse_args()
    q = question(args.question)
    runs = variants(q)
    names = list(runs)
    reference = runs[names[0]]()
    for name, fn in runs.items():  # warm-up, and every variant must give the same answer
        if not _same(reference, fn(), q.columns):
            raise SystemExit(f"{name} gives another answer than the mart")
    times: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    load_before = os.getloadavg()
    shuffle = random.Random(25)
    for _ in range(args.rounds):
        for name in shuffle.sample(names, len(names)):
            start, start_cpu = time.perf_counter(), time.process_time()
            runs[name]()
            times[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    load_after = os.getloadavg()
    print(f"{db.engine().url.get_backend_name()}, question {args.question} {q}: {len(reference):,} rows, "
          f"{args.rounds} alternating rounds, load average {load_before[0]:.1f} before, {load_after[0]:.1f} after\n")
    print("| variant | median ms | × the mart read (wall) | median CPU ms | × the mart read (CPU) |")
    print("|---|---:|---:|---:|---:|")
    for name in names:
        print(f"| {name} | {statistics.median(times[name]) * 1000:.1f} | {_ratio(times, name, names[0]):.2f} "
              f"| {statistics.median(cpu[name]) * 1000:.1f} | {_ratio(cpu, name, names[0]):.2f} |")


if __name__ == "__main__":
    main()
