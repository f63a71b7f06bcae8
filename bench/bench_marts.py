"""Mart reads against recomputing: daily 12345 counts per county × category, four ways, same warehouse.

    BIANJIAN_DATABASE_URL=sqlite:///var/bianjian.db .venv/bin/python bench/bench_marts.py [--rounds 7]

1. ``mart``: ``data_access.queries.daily_complaints`` — the product's query function, reading the
   precomputed ``agg_daily_complaints`` from the driver's cursor (``queries.frame``); and the same read the
   way it was made before, through SQLAlchemy ``Row`` objects (the baseline of that change);
2. ``recompute (SQL)``: the same question answered by the database from the raw orders
   (``fact_hotline_ticket``, the ``daily_counts`` step's GROUP BY) and read the same way as 1;
3. ``recompute (pandas)``: the raw orders' three columns read into pandas and grouped there;
4. ``DuckDB from raw``: DuckDB's own SQLite/PostgreSQL scanner reading the raw orders of the same database
   (needs ``duckdb`` and its ``duckdb-ext-sqlite`` / ``duckdb-ext-postgres`` wheels: the benchmark-only extra
   ``bench`` of pyproject.toml; left out when missing).

Every variant returns the same frame (day, region_code, category_code, n; checked). The variants alternate
within each round, the order rotating, and the table gives each one's median and its median ratio to the
mart read within the same round (a ratio > 1 means the mart read is that many times faster). Load average
before and after is printed, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from data_access import db, queries  # noqa: E402
from data_access.schema import DailyComplaintCount, HotlineTicket  # noqa: E402

COLUMNS = ["day", "region_code", "category_code", "n"]


def mart() -> pd.DataFrame:
    with db.session_scope() as session:
        return queries.daily_complaints(session)


def mart_rows() -> pd.DataFrame:
    """The mart read as it was before 2026-12-07: SQLAlchemy rows, GROUP BY at the mart's own grain."""
    t = DailyComplaintCount
    stmt = (select(t.day, t.region_code, t.category_code, func.sum(t.n).label("n"))
            .group_by(t.day, t.region_code, t.category_code).order_by(t.day))
    with db.session_scope() as session:
        df = pd.DataFrame(session.execute(stmt).all(), columns=COLUMNS)
    df["day"] = pd.to_datetime(df["day"])
    df["n"] = df["n"].astype(int)
    return df


def recompute_sql() -> pd.DataFrame:
    t = HotlineTicket
    day = func.date(t.accepted_at)
    stmt = (select(day.label("day"), t.region_code, t.category_code, func.count().label("n"))
            .group_by(day, t.region_code, t.category_code).order_by(day))
    with db.session_scope() as session:
        df = queries.frame(session, stmt, COLUMNS)
    df["day"] = pd.to_datetime(df["day"])
    return df


def recompute_pandas() -> pd.DataFrame:
    t = HotlineTicket
    with db.session_scope() as session:
        raw = queries.frame(session, select(t.accepted_at, t.region_code, t.category_code),
                            ["accepted_at", "region_code", "category_code"])
    raw["day"] = pd.to_datetime(raw["accepted_at"]).dt.normalize()
    return (raw.groupby(["day", "region_code", "category_code"]).size().rename("n").reset_index())


def duckdb_variant():
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
    sql = (f"SELECT CAST(CAST(accepted_at AS TIMESTAMP) AS DATE) AS day, region_code, category_code, "
           f"count(*) AS n FROM {source} GROUP BY ALL ORDER BY day")

    def run() -> pd.DataFrame:
        df = con.execute(sql).df()
        df["day"] = pd.to_datetime(df["day"])
        return df

    return run


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    key = ["day", "region_code", "category_code"]
    a = a[COLUMNS].sort_values(key).reset_index(drop=True).astype({"n": "int64"})
    b = b[COLUMNS].sort_values(key).reset_index(drop=True).astype({"n": "int64"})
    a["day"], b["day"] = a["day"].astype("datetime64[ns]"), b["day"].astype("datetime64[ns]")
    return a.equals(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    variants = {"mart (daily_complaints)": mart, "mart, SQLAlchemy rows (the read before 2026-12-07)": mart_rows,
                "recompute (SQL)": recompute_sql,
                "recompute (pandas)": recompute_pandas}
    duck = duckdb_variant()
    if duck:
        variants["DuckDB from raw"] = duck
    reference = mart()
    for name, fn in variants.items():  # warm-up, and every variant must give the same answer
        if not _same(reference, fn()):
            raise SystemExit(f"{name} gives another answer than the mart")
    names = list(variants)
    times: dict[str, list[float]] = {name: [] for name in names}
    load_before = os.getloadavg()
    for r in range(args.rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            variants[name]()
            times[name].append(time.perf_counter() - start)
    load_after = os.getloadavg()
    print(f"{db.engine().url.get_backend_name()}, {len(reference):,} rows (day × county × category), "
          f"{args.rounds} alternating rounds, load average {load_before[0]:.1f} before, {load_after[0]:.1f} after\n")
    print("| variant | median ms | × the mart read's time (median of rounds) |")
    print("|---|---:|---:|")
    base = times[names[0]]
    for name in names:
        ratio = statistics.median(t / b for t, b in zip(times[name], base, strict=True))
        print(f"| {name} | {statistics.median(times[name]) * 1000:.0f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
