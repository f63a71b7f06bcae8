"""The demo's data exchange: which nightly batch delivered each generated row, so 数据质量 has a history.

Every source of ``SOURCES`` that the generator fills sends one batch a night (at its ``SLOT``) with the
records that arrived the day before — a row arrives when it happened (``event_time``; an inspection when it
was reported, ``submitted_at``). Records older than the demo's first day come in the initial full load of
that day; what arrives after the demo's last day (inspections reported later) is not in the warehouse yet.
A batch is written for every night, empty ones too, as a real incremental exchange reports.

About ``QUARANTINE_RATE`` of the records a source sends are broken — a required field left blank, an
impossible time, a code no reference table knows, or (inspections) a check with one inspector — and
``validate`` quarantines them with its own reasons; the record's correct version is what the warehouse
holds. One source, ``SILENT_SOURCE``, stopped sending ``SILENT_DAYS`` nights before the demo ends: its
rows of those days never arrived, so the 数据中断 rule has something to find on a fresh demo.

Draws come from a generator of their own, so the demo's other draws are unchanged by the exchange.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection

from data_access.bulk import insert_frame
from data_access.ingest.sources import SOURCES, Source
from data_access.ingest.validate import References, validate

SRC_SYSTEM = "demo"
# When each source kind's nightly exchange job runs.
SLOT = {"entity": dt.time(0, 30), "hotline": dt.time(1, 0), "urban": dt.time(1, 20), "provincial": dt.time(1, 40),
        "inspection": dt.time(2, 0), "penalty": dt.time(2, 20), "credit": dt.time(2, 40)}
# The column that says when a record reached its source system, where that is not the event itself.
ARRIVAL = {"entity": "reg_date", "inspection": "submitted_at"}
QUARANTINE_RATE = 0.002
SILENT_SOURCE = "provincial"
SILENT_DAYS = 6
# Unknown reference values a source system might send (none is in the demo's reference tables).
UNKNOWN_REF = {"county": "开封新城区", "region": "410299", "department": "市环卫处", "hotline_category": "其他类",
               "urban_category": "9999", "township": "未知街道", "reg_item": "000000000000"}

SOURCE_BY_TABLE = {s.table: s for s in SOURCES if s.lineage and s.kind in SLOT}


@dataclass
class Exchange:
    """The batches and broken records of one demo run, filled table by table, written by :meth:`record`."""

    start: dt.date
    end: dt.date
    seed: int
    received: dict[tuple[str, dt.date], int] = field(default_factory=lambda: defaultdict(int))
    broken: list[dict] = field(default_factory=list)
    rng: np.random.Generator = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng([self.seed, 0xE5C])

    @property
    def silent_after(self) -> dt.date:
        """The last night on which ``SILENT_SOURCE`` still sent a batch."""
        return self.end + dt.timedelta(days=1 - SILENT_DAYS)

    def load_days(self, source: Source, df: pd.DataFrame) -> pd.Series:
        """The night each row was delivered (midnight of the day after it arrived, the first day at the
        earliest), as datetime64: no Python object per row, the tables are large."""
        arrived = pd.to_datetime(df[ARRIVAL.get(source.kind, source.event_time)])
        day = (arrived.dt.normalize() + pd.Timedelta(days=1)).clip(lower=pd.Timestamp(self.start))
        return day.fillna(pd.Timestamp(self.end + dt.timedelta(days=1)))

    def stamp(self, conn: Connection, table: str, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` with its lineage (``src_system``, ``load_batch``, ``loaded_at``), less what never arrived."""
        source = SOURCE_BY_TABLE[table]
        day = self.load_days(source, df)
        last = self.silent_after if source.kind == SILENT_SOURCE else self.end + dt.timedelta(days=1)
        keep = (day <= pd.Timestamp(last)).to_numpy()
        # The lineage columns go onto a shallow copy (the caller keeps using its frame); only a table that
        # loses rows is copied, once.
        if keep.all():
            df = df.copy(deep=False)
        else:
            df, day = df.take(np.flatnonzero(keep)), day[keep]
        slot = SLOT[source.kind]
        nights = day.value_counts()
        df["src_system"] = SRC_SYSTEM
        df["load_batch"] = day.map({d: batch_id(source, d.date()) for d in nights.index}).to_numpy()
        df["loaded_at"] = (day + pd.Timedelta(hours=slot.hour, minutes=slot.minute)).to_numpy()
        for d, n in nights.items():
            self.received[(source.name, d.date())] += int(n)
        self._break(conn, source, df, day)
        return df

    def _break(self, conn: Connection, source: Source, df: pd.DataFrame, day: pd.Series) -> None:
        """Broken copies of a few rows, quarantined with the reasons ``validate`` gives them."""
        if source.name == "hotline_events":  # they cite order numbers; the orders' own file carries the errors
            return
        k = self.rng.binomial(len(df), QUARANTINE_RATE)
        if k == 0:
            return
        picked = np.sort(self.rng.choice(len(df), size=k, replace=False))
        columns = [f for f in source.fields if f.column in df.columns]
        raw = {f.column: [_text(v) for v in df[f.column].to_numpy()[picked]] for f in columns}
        for i in range(k):
            _corrupt(source, raw, i, self.rng)
        refs = References.load(conn)
        arrays = {c: pa.array(v, pa.string()) for c, v in raw.items()}
        _, reasons = validate(source, arrays, k, refs, src_system=SRC_SYSTEM)
        days = [d.date() for d in day.iloc[picked]]
        for i, why in sorted(reasons.items()):
            self.broken.append({"source": source, "day": days[i], "line_no": i + 1, "reasons": why,
                                "raw": {f.label: raw[f.column][i] for f in columns if raw[f.column][i] is not None}})

    def record(self, conn: Connection) -> int:
        """Write one ``app_load_batch`` row per source and night, and the quarantined records."""
        quarantined: dict[tuple[str, dt.date], int] = defaultdict(int)
        for b in self.broken:
            quarantined[(b["source"].name, b["day"])] += 1
        rows = []
        days = pd.date_range(self.start, self.end + dt.timedelta(days=1)).date
        for source in {s.name: s for s in SOURCE_BY_TABLE.values()}.values():
            if not any(name == source.name for name, _ in self.received):
                continue
            slot = SLOT[source.kind]
            for d in days:
                if source.kind == SILENT_SOURCE and d > self.silent_after:
                    continue
                n, q = self.received.get((source.name, d), 0), quarantined.get((source.name, d), 0)
                started = dt.datetime.combine(d, slot)
                rows.append({"batch_id": batch_id(source, d), "source_kind": source.kind, "src_system": SRC_SYSTEM,
                             "origin": f"数据交换 {source.title} {d:%Y-%m-%d}", "started_at": started,
                             "finished_at": started + dt.timedelta(seconds=5 + (n + q) // 200),
                             "received": n + q, "inserted": n, "updated": 0, "unchanged": 0, "quarantined": q,
                             "status": "ok"})
        insert_frame(conn, "app_load_batch", pd.DataFrame(rows))
        if self.broken:
            insert_frame(conn, "app_ingest_quarantine", pd.DataFrame([{
                "batch_id": batch_id(b["source"], b["day"]), "source_kind": b["source"].kind,
                "source_file": f"数据交换 {b['source'].title} {b['day']:%Y-%m-%d}", "line_no": b["line_no"],
                "raw_record": json.dumps(b["raw"], ensure_ascii=False), "reasons": "; ".join(b["reasons"]),
                "quarantined_at": dt.datetime.combine(b["day"], SLOT[b["source"].kind])} for b in self.broken]))
        return len(rows)


def batch_id(source: Source, day: dt.date) -> str:
    return f"demo-{source.name}-{day:%Y%m%d}"


def _text(value: object) -> str | None:
    """A stored value as a source system writes it in a file."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return "是" if value else "否"
    if isinstance(value, (pd.Timestamp, dt.datetime, np.datetime64)):
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _corrupt(source: Source, raw: dict[str, list], i: int, rng: np.random.Generator) -> None:
    """Break record ``i`` of ``raw`` in one of the ways real feeds break."""
    present = [f for f in source.fields if f.column in raw and raw[f.column][i] is not None]
    ways = [("blank", f) for f in present if f.required and f.column != source.key]
    ways += [("time", f) for f in present if f.type in ("date", "datetime")]
    ways += [("ref", f) for f in present if f.ref in UNKNOWN_REF]
    if source.kind == "inspection":
        ways += [("one_inspector", source.field_by_column["inspectors_n"])]
    how, f = ways[rng.integers(len(ways))]
    raw[f.column][i] = {"blank": None, "time": "2024-02-30", "ref": UNKNOWN_REF.get(f.ref), "one_inspector": "1"}[how]
