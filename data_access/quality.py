"""Data quality and freshness per source: last load, rows per day, quarantine rate, load lag, 上报及时率,
and the sources that stopped sending.

Query functions take a session first and return DataFrames; none commits. A source is identified by its
kind (``bianjian ingest KIND``) and 来源系统. Loads are read from ``app_load_batch``; the facts' own
``loaded_at`` also count, so data written by other means (the demo generator, a bulk backfill) is seen.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import settings
from data_access.ingest.sources import SOURCES
from data_access.schema import Base, Department, IngestQuarantine, Inspection, LoadBatch, PipelineRun
from data_access.scope import Scope

# What "rows in the warehouse" counts for each kind: its main source (the first declared), e.g. 12345工单.
MAIN_SOURCE_BY_KIND = {kind: next(s for s in SOURCES if s.kind == kind) for kind in dict.fromkeys(s.kind for s in SOURCES)}
MAIN_TITLE_BY_KIND = {kind: source.title for kind, source in MAIN_SOURCE_BY_KIND.items()}
FRESHNESS_COLUMNS = ["source_kind", "src_system", "last_load_at", "days_since_load", "batches", "failed_batches",
                     "received", "quarantined", "quarantine_rate", "rows_in_warehouse"]


def source_freshness(session: Session, as_of: dt.datetime) -> pd.DataFrame:
    """One row per (source kind, 来源系统): last successful load, days since, batch and row counts.

    ``quarantine_rate`` = quarantined ÷ received over all batches of the source (NaN when nothing received).
    """
    return with_days_since_load(load_totals(session, as_of), as_of)


def load_totals(session: Session, as_of: dt.datetime | None = None) -> pd.DataFrame:
    """:func:`source_freshness` without ``days_since_load``: what had been loaded by ``as_of`` (everything
    when None). The scan reads every fact table, and its result changes only when data is loaded, so the
    数据质量 page keeps it per data version and adds the days for the current minute."""
    stmt = (select(LoadBatch.source_kind, LoadBatch.src_system,
                   func.max(LoadBatch.finished_at).filter(LoadBatch.status == "ok").label("last_batch_at"),
                   func.count().filter(LoadBatch.status == "ok").label("batches"),
                   func.count().filter(LoadBatch.status == "failed").label("failed_batches"),
                   func.coalesce(func.sum(LoadBatch.received), 0).label("received"),
                   func.coalesce(func.sum(LoadBatch.quarantined), 0).label("quarantined"))
            .group_by(LoadBatch.source_kind, LoadBatch.src_system))
    if as_of is not None:
        stmt = stmt.where(LoadBatch.started_at <= as_of)
    batches = pd.DataFrame(session.execute(stmt).all(), columns=["source_kind", "src_system", "last_batch_at", "batches",
                                                                 "failed_batches", "received", "quarantined"])
    facts = _fact_loads(session, as_of)
    df = batches.merge(facts, on=["source_kind", "src_system"], how="outer")
    columns = [c for c in FRESHNESS_COLUMNS if c != "days_since_load"]
    if df.empty:
        return pd.DataFrame(columns=columns)
    stamps = df[["last_batch_at", "last_fact_load_at"]].apply(pd.to_datetime)
    df["last_load_at"] = stamps.max(axis=1)
    for col in ("batches", "failed_batches", "received", "quarantined", "rows_in_warehouse"):
        df[col] = pd.to_numeric(df[col], errors="coerce").fillna(0).astype(int)
    df["quarantine_rate"] = np.where(df["received"] > 0, df["quarantined"] / df["received"].where(df["received"] > 0),
                                     np.nan)
    return df[columns].sort_values(["source_kind", "src_system"]).reset_index(drop=True)


def with_days_since_load(totals: pd.DataFrame, as_of: dt.datetime) -> pd.DataFrame:
    """:func:`load_totals` with ``days_since_load`` counted to ``as_of`` (never below 0)."""
    if totals.empty:
        return pd.DataFrame(columns=FRESHNESS_COLUMNS)
    days = (pd.Timestamp(as_of) - pd.to_datetime(totals["last_load_at"])).dt.total_seconds() / 86400
    return totals.assign(days_since_load=days.clip(lower=0))[FRESHNESS_COLUMNS]


def _fact_loads(session: Session, as_of: dt.datetime | None) -> pd.DataFrame:
    """Latest ``loaded_at`` over every lineage table of a kind, per 来源系统, and the rows of the kind's main
    table (12345 counts orders, not orders plus their 流转记录: the figure 投诉分析 counts too)."""
    rows = []
    for source in SOURCES:
        if not source.lineage:
            continue
        table = Base.metadata.tables[source.table]
        stmt = select(table.c.src_system, func.max(table.c.loaded_at), func.count()).group_by(table.c.src_system)
        if as_of is not None:
            stmt = stmt.where(table.c.loaded_at <= as_of)
        for src_system, last, n in session.execute(stmt):
            rows.append((source.kind, src_system, last, n if MAIN_SOURCE_BY_KIND[source.kind] is source else 0))
    df = pd.DataFrame(rows, columns=["source_kind", "src_system", "last_fact_load_at", "rows_in_warehouse"])
    return df.groupby(["source_kind", "src_system"], as_index=False).agg(
        last_fact_load_at=("last_fact_load_at", "max"), rows_in_warehouse=("rows_in_warehouse", "sum"))


def is_silent(fresh: pd.DataFrame, days: float | None = None) -> pd.Series:
    """Which :func:`source_freshness` rows had no load for more than ``days`` (default: the
    ``silent_source_days`` setting)."""
    limit = float(settings.get("silent_source_days")) if days is None else days
    return fresh["days_since_load"] > limit


def silent_sources(session: Session, as_of: dt.datetime, days: float | None = None) -> pd.DataFrame:
    """Sources with no load for more than ``days`` (default: the ``silent_source_days`` setting).

    For the risk-lead generator: one row per silent (source kind, 来源系统) with ``last_load_at`` and
    ``days_since_load``, most silent first. A source that never loaded anything is not known, so not listed.
    """
    df = source_freshness(session, as_of)
    silent = df[is_silent(df, days)]
    return (silent[["source_kind", "src_system", "last_load_at", "days_since_load"]]
            .sort_values("days_since_load", ascending=False).reset_index(drop=True))


def last_loads(session: Session, source_kind: str, src_system: str, limit: int = 10) -> list[dict]:
    """The source's latest loads, newest first (``started_at``, ``received``, ``quarantined``, ``status``): a
    数据中断 lead's evidence, so the exchange's operators see the cadence the feed kept until it stopped."""
    b = LoadBatch
    rows = session.execute(select(b.started_at, b.received, b.quarantined, b.status)
                           .where(b.source_kind == source_kind, b.src_system == src_system)
                           .order_by(b.started_at.desc()).limit(limit)).all()
    return [{"started_at": r.started_at.isoformat(sep=" ", timespec="minutes"), "received": int(r.received),
             "quarantined": int(r.quarantined), "status": r.status} for r in rows]


def rows_per_day(session: Session, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Records received and quarantined per load day and source kind (from ``app_load_batch``)."""
    day = func.date(LoadBatch.started_at)
    stmt = (select(day.label("day"), LoadBatch.source_kind, func.sum(LoadBatch.received), func.sum(LoadBatch.quarantined))
            .where(LoadBatch.status == "ok", LoadBatch.started_at >= start,
                   LoadBatch.started_at < end + dt.timedelta(days=1))
            .group_by(day, LoadBatch.source_kind).order_by(day))
    df = pd.DataFrame(session.execute(stmt).all(), columns=["day", "source_kind", "received", "quarantined"])
    df["day"] = pd.to_datetime(df["day"])
    return df.astype({"received": int, "quarantined": int})


def recent_pipeline_runs(session: Session, limit: int = 30) -> pd.DataFrame:
    """The latest pipeline step runs, newest first: a failed or interrupted step stays visible here while
    the pages keep showing the results of its last successful run."""
    stmt = (select(PipelineRun.run_id, PipelineRun.step, PipelineRun.started_at, PipelineRun.finished_at,
                   PipelineRun.status, PipelineRun.rows_written, PipelineRun.message)
            .order_by(PipelineRun.started_at.desc(), PipelineRun.run_id.desc()).limit(limit))
    result = session.execute(stmt)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def recent_batches(session: Session, limit: int = 50) -> pd.DataFrame:
    """The latest loads, newest first, with their outcome counts."""
    stmt = (select(LoadBatch.batch_id, LoadBatch.source_kind, LoadBatch.src_system, LoadBatch.origin,
                   LoadBatch.started_at, LoadBatch.status, LoadBatch.received, LoadBatch.inserted, LoadBatch.updated,
                   LoadBatch.unchanged, LoadBatch.quarantined)
            .order_by(LoadBatch.started_at.desc(), LoadBatch.batch_id).limit(limit))
    result = session.execute(stmt)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def quarantine_reasons(session: Session, since: dt.datetime, limit: int = 20) -> pd.DataFrame:
    """The most frequent quarantine reasons since ``since``: source_kind, reason (without the value), n.

    Reasons are compared without the offending value (text after “), so one bad code list entry in
    ten thousand rows is one line, not ten thousand.
    """
    stmt = (select(IngestQuarantine.source_kind, IngestQuarantine.reasons)
            .where(IngestQuarantine.quarantined_at >= since).limit(200_000))
    df = pd.DataFrame(session.execute(stmt).all(), columns=["source_kind", "reasons"])
    if df.empty:
        return pd.DataFrame(columns=["source_kind", "reason", "n"])
    df = df.assign(reason=df["reasons"].str.split("; ")).explode("reason")
    df["reason"] = df["reason"].str.split("“").str[0].str.rstrip("：: ").str.strip()
    out = df.groupby(["source_kind", "reason"]).size().rename("n").reset_index()
    return out.sort_values("n", ascending=False).head(limit).reset_index(drop=True)


def load_lag(session: Session, as_of: dt.datetime, days: int = 30) -> pd.DataFrame:
    """Hours from when a record's event happened to when it reached the warehouse, per source kind.

    Over records whose event falls in the ``days`` before ``as_of``: n, median and 90th percentile hours.
    """
    since = as_of - dt.timedelta(days=days)
    rows = []
    for source in SOURCES:
        if not source.lineage or source.event_time is None:
            continue
        table = Base.metadata.tables[source.table]
        event = table.c[source.event_time]
        df = pd.DataFrame(session.execute(select(event, table.c.loaded_at)
                                          .where(event >= since, event <= as_of).limit(500_000)).all(),
                          columns=["event", "loaded_at"])
        if df.empty:
            continue
        hours = (pd.to_datetime(df["loaded_at"]) - pd.to_datetime(df["event"])).dt.total_seconds() / 3600
        rows.append((source.kind, source.title, len(df), float(hours.median()), float(hours.quantile(0.9))))
    return pd.DataFrame(rows, columns=["source_kind", "source", "n", "median_hours", "p90_hours"])


def reporting_timeliness(session: Session, scope: Scope, start: dt.date, end: dt.date,
                         timely_days: float | None = None) -> pd.DataFrame:
    """监管行为数据上报及时率 per department: inspections checked in [start, end] and reported (报送) within
    ``timely_days`` (default: the ``report_timely_days`` setting) of the check date.

    Columns: dept_code, dept_name, inspections, timely, timely_rate, median_lag_days; worst rate first.
    A department head sees only their own department.
    """
    limit = float(settings.get("report_timely_days")) if timely_days is None else timely_days
    stmt = (select(Inspection.dept_code, Inspection.check_date, Inspection.submitted_at)
            .where(Inspection.check_date >= start, Inspection.check_date <= end))
    df = pd.DataFrame(session.execute(scope.restrict(stmt, Inspection.dept_code)).all(),
                      columns=["dept_code", "check_date", "submitted_at"])
    columns = ["dept_code", "dept_name", "inspections", "timely", "timely_rate", "median_lag_days"]
    if df.empty:
        return pd.DataFrame(columns=columns)
    df["lag_days"] = (pd.to_datetime(df["submitted_at"]) - pd.to_datetime(df["check_date"])).dt.total_seconds() / 86400
    df["timely"] = df["lag_days"] <= limit + 1  # reported by the end of the limit's last day
    out = df.groupby("dept_code").agg(inspections=("lag_days", "size"), timely=("timely", "sum"),
                                      median_lag_days=("lag_days", "median")).reset_index()
    out["timely_rate"] = out["timely"] / out["inspections"]
    names = dict(session.execute(select(Department.dept_code, Department.name)).all())
    out["dept_name"] = out["dept_code"].map(names).fillna(out["dept_code"])
    return out[columns].sort_values(["timely_rate", "inspections"], ascending=[True, False]).reset_index(drop=True)
