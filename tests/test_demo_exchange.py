"""The demo's data exchange (``demo/exchange.py``): nightly batches per source, the records they
quarantined, and one source that went silent — so 数据质量 and the 数据中断 rule have something to show."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from data_access import quality
from data_access.ingest.load import ingest_file
from data_access.ingest.sources import SOURCES
from demo import exchange
from risk_models.rules import SilentSourceRule
from tests.conftest import DEMO_END

END = dt.date.fromisoformat(DEMO_END)
FIRST_NIGHT = END - dt.timedelta(days=365 * 3 - 1)
NIGHTS = (END - FIRST_NIGHT).days + 2  # the first day's initial load to the night after the last day


def _batches(engine) -> pd.DataFrame:
    return pd.read_sql(text("SELECT * FROM app_load_batch"), engine, parse_dates=["started_at", "finished_at"])


def test_every_source_sends_one_batch_a_night_until_the_silent_one_stops(demo_engine):
    batches = _batches(demo_engine)
    per_source = batches.assign(name=batches["batch_id"].str.split("-").str[1]).groupby("name")["started_at"].agg(
        ["count", "min", "max"])
    for source in exchange.SOURCE_BY_TABLE.values():
        row = per_source.loc[source.name]
        assert row["min"].date() == FIRST_NIGHT
        if source.kind == exchange.SILENT_SOURCE:
            assert row["max"].date() == END + dt.timedelta(days=1 - exchange.SILENT_DAYS)
            assert row["count"] == NIGHTS - exchange.SILENT_DAYS
        else:
            assert row["max"].date() == END + dt.timedelta(days=1) and row["count"] == NIGHTS
    assert (batches["status"] == "ok").all()
    assert (batches["received"] == batches["inserted"] + batches["quarantined"]).all()


def test_each_row_came_in_the_batch_of_the_night_after_it_arrived(demo_engine):
    batches = _batches(demo_engine).set_index("batch_id")
    for source in exchange.SOURCE_BY_TABLE.values():
        arrival = exchange.ARRIVAL.get(source.kind, source.event_time)
        rows = pd.read_sql(text(f'SELECT load_batch, loaded_at, {arrival} AS arrived FROM "{source.table}"'),
                           demo_engine, parse_dates=["loaded_at", "arrived"])
        inserted = batches[batches.index.str.startswith(f"demo-{source.name}-")]["inserted"]
        assert rows["load_batch"].value_counts().sort_index().equals(
            inserted[inserted > 0].rename("count").rename_axis("load_batch").sort_index()), source.name
        assert (rows["loaded_at"] == batches.loc[rows["load_batch"], "started_at"].to_numpy()).all(), source.name
        in_period = rows["arrived"] >= pd.Timestamp(FIRST_NIGHT)
        late = (rows["loaded_at"] - rows["arrived"])[in_period]
        assert ((late > pd.Timedelta(0)) & (late < pd.Timedelta(days=2))).all(), source.name
        assert (rows["arrived"] < pd.Timestamp(END + dt.timedelta(days=1))).all(), source.name  # nothing from later


def test_the_silent_source_is_what_the_silence_rule_finds(demo_engine):
    morning = dt.datetime.combine(END + dt.timedelta(days=1), dt.time(9, 0))
    with Session(demo_engine) as session:
        silent = quality.silent_sources(session, morning)
        lag = quality.load_lag(session, morning).set_index("source")
    assert silent["source_kind"].tolist() == [exchange.SILENT_SOURCE]
    assert exchange.SILENT_DAYS - 1 < silent["days_since_load"].iat[0] < exchange.SILENT_DAYS + 1
    assert 1 <= lag.loc["12345工单", "median_hours"] <= 26  # delivered the night after, not at the demo's end
    with demo_engine.connect() as conn:
        leads = SilentSourceRule().signals(conn, morning)
    assert [s.title for s in leads] == ["数据源中断：省级线索（演示数据）"]  # users read the source's name, not its kind
    assert f"已{exchange.SILENT_DAYS}天未报送数据" in leads[0].reason


def test_quarantined_records_are_what_ingest_itself_quarantines(demo_engine_copy, tmp_path):
    """A broken record is kept verbatim with the validator's reasons: loading those raw records again
    through ``bianjian ingest`` quarantines every one of them, for the same reason."""
    q = pd.read_sql(text("SELECT * FROM app_ingest_quarantine"), demo_engine_copy)
    batches = _batches(demo_engine_copy).set_index("batch_id")
    assert q.groupby("batch_id").size().equals(batches.loc[batches["quarantined"] > 0, "quarantined"]
                                               .rename(None).rename_axis("batch_id").sort_index())
    received = batches["received"].sum()
    assert 0.0005 < len(q) / received < 0.005
    assert (~q["reasons"].str.contains("; ")).all()  # one fault per record, as planted
    by_title = {s.title: s for s in SOURCES}
    checked = 0
    for file_title, group in q.groupby(q["source_file"].str.split(" ").str[1]):
        source = by_title[file_title]
        records = [json.loads(r) for r in group["raw_record"]]
        headers = [f.label for f in source.fields]
        path = tmp_path / f"{source.name}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, headers)
            writer.writeheader()
            writer.writerows(records)
        result = ingest_file(demo_engine_copy, source.kind, path)
        assert result.quarantined == len(records), (source.name, result)
        again = pd.read_sql(text("SELECT reasons FROM app_ingest_quarantine WHERE batch_id = :b"), demo_engine_copy,
                            params={"b": result.batch_id})["reasons"]
        assert sorted(again) == sorted(group["reasons"]), source.name
        checked += len(records)
    assert checked == len(q) > 20
