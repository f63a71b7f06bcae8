"""Load one batch (a file or an HTTP push) into the warehouse: detect the layout, validate, quarantine, upsert.

One batch is one transaction: either every good row and every quarantined row of the file is written together
with its ``app_load_batch`` row, or nothing is (an unreadable file leaves only a ``failed`` batch record).
Within the batch, each record ends in exactly one of inserted / updated / unchanged / quarantined, so
``received == inserted + updated + unchanged + quarantined`` always holds.

Upsert rule: a record is identified by ``(src_system, src_id)`` (by primary key for the catalogue). A record
not seen before is inserted; one seen before is updated when any column the file carries differs and its
version (e.g. 更新时间) is not older than the stored one — the replaced values go to ``app_ingest_history`` and
a 12345 order whose status changed gets a state event appended; otherwise it is unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from itertools import chain, compress
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    Connection,
    Date,
    Engine,
    Table,
    bindparam,
    insert,
    select,
    update,
)

import settings
from data_access import codes, tables
from data_access.bulk import driver_column, driver_value, insert_frame, rows_of, write_columns
from data_access.ingest.indexes import DeferredIndexes
from data_access.ingest.readers import RawChunk, UnreadableFile, read_file, records_chunks, storable
from data_access.ingest.sources import Source, header_index, normalise_header, sources_of
from data_access.ingest.validate import References, validate

_META = ("load_batch", "loaded_at")
# The SQLite page cache of a batch's connection while the batch runs (``_BatchCache``).
SQLITE_BATCH_CACHE_MIB = 256


@dataclass
class IngestResult:
    """What one batch did. ``as_dict()`` is the ``--json`` line and the HTTP response body."""

    batch_id: str
    kind: str
    source: str = ""
    origin: str = ""
    format: str = ""
    received: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    ignored_columns: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def balanced(self) -> bool:
        return self.received == self.inserted + self.updated + self.unchanged + self.quarantined


def ingest_file(engine: Engine, kind: str, path: str | Path, *, dry_run: bool = False,
                chunk_rows: int | None = None) -> IngestResult:
    """Load a CSV/XLSX/JSONL file of ``kind``; raises ``UnreadableFile`` (nothing loaded) if it cannot be read."""
    path = Path(path)
    chunk_rows = chunk_rows or int(settings.get("ingest_chunk_rows"))
    sources_of(kind)  # unknown kinds fail before any file access
    result = IngestResult(batch_id=_batch_id(kind), kind=kind, origin=str(path), dry_run=dry_run)
    default_system = codes.INGEST_KINDS[kind]
    try:
        fmt, chunks = read_file(path, chunk_rows)
    except UnreadableFile:
        _record_failure(engine, result, default_system)
        raise
    result.format = fmt
    return _run(engine, result, chunks, src_system=default_system, forced=False)


def ingest_records(engine: Engine, kind: str, records: Iterable[object], *, src_system: str, origin: str,
                   dry_run: bool = False) -> IngestResult:
    """Load already-parsed JSON objects (an HTTP push); every row's 来源系统 is ``src_system``."""
    sources_of(kind)
    result = IngestResult(batch_id=_batch_id(kind), kind=kind, origin=origin, format="json", dry_run=dry_run)
    chunks = records_chunks(records, int(settings.get("ingest_chunk_rows")))
    return _run(engine, result, chunks, src_system=src_system, forced=True)


def pick_source(kind: str, headers: list[str]) -> tuple[Source, dict[str, str], list[str]]:
    """The layout of ``kind`` whose required columns the headers cover (most matched columns wins).

    Returns (source, header → column, ignored headers); raises ``UnreadableFile`` naming what is missing.
    """
    best: tuple[int, Source, dict[str, str], list[str]] | None = None
    missing_of: dict[str, list[str]] = {}
    for source in sources_of(kind):
        index = header_index(source)
        mapping = {h: index[normalise_header(h)] for h in headers if normalise_header(h) in index}
        dupes = sorted({c for c in mapping.values() if list(mapping.values()).count(c) > 1})
        if dupes:
            raise UnreadableFile(f"多列对应同一字段 / several headers map to the same column: {', '.join(dupes)}")
        missing = [f"{f.label}({f.column})" for f in source.fields if f.required and f.column not in mapping.values()]
        if missing:
            missing_of[source.title] = missing
            continue
        if best is None or len(mapping) > best[0]:
            best = (len(mapping), source, mapping, [h for h in headers if h not in mapping])
    if best is None:
        detail = "; ".join(f"{title}: {', '.join(m)}" for title, m in missing_of.items())
        raise UnreadableFile(f"缺少必需列 / missing required columns — {detail}")
    return best[1], best[2], best[3]


# ----------------------------------------------------------------------------------------------- batch


def _batch_id(kind: str) -> str:
    return f"{kind}-{dt.datetime.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"


def _run(engine: Engine, result: IngestResult, chunks: Iterator[RawChunk], *, src_system: str,
         forced: bool) -> IngestResult:
    started = time.perf_counter()
    loaded_at = dt.datetime.now().replace(microsecond=0)
    conn = engine.connect()
    cache = _BatchCache(conn)
    trans = conn.begin()
    try:
        # Writing the batch row first takes SQLite's write lock at once, so the batch cannot deadlock later.
        conn.execute(insert(tables.app_load_batch).values(
            batch_id=result.batch_id, source_kind=result.kind, src_system=src_system, origin=result.origin[:500],
            started_at=loaded_at, status="running"))
        refs = References.load(conn)
        first = next(chunks, None)
        if first is not None:
            source, mapping, ignored = pick_source(result.kind, first.headers)
            result.source, result.ignored_columns = source.name, ignored
            loader = _Loader(conn, source, result, refs, loaded_at, src_system, forced)
            prepared = (loader.prepare(chunk, mapping if chunk.headers == first.headers else None)
                        for chunk in chain([first], chunks))
            if _can_overlap(conn, source):
                _pipelined(prepared, loader.apply)
            else:
                for chunk in prepared:
                    loader.apply(chunk)
            loader.indexes.restore()
        else:
            result.source = sources_of(result.kind)[0].name
        result.seconds = round(time.perf_counter() - started, 3)
        if not result.balanced:  # a bug, never bad input: refuse to commit an unbalanced batch
            raise RuntimeError(f"batch {result.batch_id} does not balance: {result.as_dict()}")
        batch = tables.app_load_batch
        conn.execute(update(batch).where(batch.c.batch_id == result.batch_id).values(
            finished_at=dt.datetime.now().replace(microsecond=0), received=result.received,
            inserted=result.inserted, updated=result.updated, unchanged=result.unchanged,
            quarantined=result.quarantined, status="ok"))
        if result.dry_run:
            trans.rollback()
        else:
            trans.commit()
    except BaseException:
        trans.rollback()
        cache.release()
        conn.close()
        _record_failure(engine, result, src_system)
        raise
    cache.release()
    conn.close()
    return result


class _BatchCache:
    """A larger SQLite page cache (``SQLITE_BATCH_CACHE_MIB``) for one batch's connection, back to its own
    size when the batch ends.

    A first load of 200,000 work orders writes ~200 MB of rows and indexes; in the connection's 64 MiB the
    writer spilled pages to the WAL and the index rebuild read them back: 6.2 against 6.9 CPU s per 200,000
    rows (medians of 3 alternating loads, 2026-12-07; 50,000 rows fit either way). SQLite takes pages only
    as the batch touches them, and frees those above the old size when it is set back, so a small batch or a
    pooled connection keeps no more memory than before. Not a durability setting: the journal and
    ``synchronous`` are unchanged.
    """

    def __init__(self, conn: Connection) -> None:
        self.driver = conn.connection.driver_connection if conn.dialect.name == "sqlite" else None
        if self.driver is not None:
            self.previous = int(self.driver.execute("PRAGMA cache_size").fetchone()[0])  # -KiB, or pages
            page_kib = int(self.driver.execute("PRAGMA page_size").fetchone()[0]) // 1024
            kib = -self.previous if self.previous < 0 else self.previous * page_kib
            if kib < SQLITE_BATCH_CACHE_MIB * 1024:
                self.driver.execute(f"PRAGMA cache_size = {-SQLITE_BATCH_CACHE_MIB * 1024}")

    def release(self) -> None:
        if self.driver is not None:
            self.driver.execute(f"PRAGMA cache_size = {self.previous}")
            self.driver = None


def _can_overlap(conn: Connection, source: Source) -> bool:
    """Whether chunk n+1 may be validated while chunk n is written: not when validation itself queries the
    connection (流转记录 look up their work orders), nor for in-memory SQLite (one connection per thread)."""
    if any(f.ref == "ticket" for f in source.fields):
        return False
    return not (conn.dialect.name == "sqlite" and conn.engine.url.database in (None, "", ":memory:"))


def _pipelined(prepared: Iterator[_Prepared], apply: Callable[[_Prepared], None]) -> None:
    """Write each chunk in a second thread while this one reads and validates the next.

    SQLite and psycopg release the GIL while the database works, so the two overlap; chunks are still
    written one at a time, in file order, by the one writer, and only this thread touches the file.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer") as writer:
        pending: Future | None = None
        try:
            for chunk in prepared:
                if pending is not None:
                    pending.result()
                pending = writer.submit(apply, chunk)
            if pending is not None:
                pending.result()
        except BaseException:
            if pending is not None:
                wait([pending])  # never roll back under a running write
            raise


def _record_failure(engine: Engine, result: IngestResult, src_system: str) -> None:
    """A failed load is still visible on the data-quality page (with zero rows loaded)."""
    if result.dry_run:
        return
    now = dt.datetime.now().replace(microsecond=0)
    with engine.begin() as conn:
        conn.execute(insert(tables.app_load_batch).values(
            batch_id=result.batch_id, source_kind=result.kind, src_system=src_system, origin=result.origin[:500],
            started_at=now, finished_at=now, received=0, status="failed"))


@dataclass
class _Prepared:
    """One validated chunk waiting to be written."""

    chunk: RawChunk
    good: pd.DataFrame
    quarantine: list[tuple[int, dict, list[str]]]
    ready: _Ready | None = None  # SQLite: every good row as the driver inserts it


@dataclass
class _Ready:
    """Insert-ready columns (defaults and lineage filled, driver types) of a chunk's good rows, made by the
    reading thread so that the writer thread, the slower of the two on SQLite, only binds them."""

    names: list[str]
    index: pd.Index
    values: list[np.ndarray]
    fixed: dict[str, object]  # the batch's lineage: one value for every row, bound once per statement

    def columns(self, labels: pd.Index) -> list[np.ndarray]:
        if labels.equals(self.index):  # every row of the chunk (a first load): no gather needed
            return self.values
        take = self.index.get_indexer(labels)
        return [v[take] for v in self.values]


class _OwnKeys:
    """Keys and unique numbers of the rows this batch inserted into a table that held no rows when the batch
    took it over, so existing-key and unique-number look-ups need not ask the database.

    Only valid while no one else can write the table: the batch has dropped the table's secondary indexes
    (``DeferredIndexes``: on PostgreSQL that holds an exclusive lock until the commit; SQLite's write lock is
    held from the batch's first statement) and found it empty afterwards. On a first load these look-ups were
    a third of the PostgreSQL writer's time. Dropped after any update (it may change a unique number) and past
    ``MAX_ROWS`` (about 50 MB), after which the database answers, as it always can.
    """

    MAX_ROWS = 200_000

    def __init__(self) -> None:
        self.keys: set = set()
        self.uniques: dict = {}  # unique number -> 来源系统 holding it

    def __len__(self) -> int:
        return len(self.keys)

    def add(self, keys: list, uniques: list, systems: list) -> None:
        self.keys.update(keys)
        present = ~pd.isna(np.asarray(uniques, dtype=object))  # one C pass, not pd.isna per value
        self.uniques.update(zip(compress(uniques, present), compress(systems, present), strict=True))

    def stored(self, keys: list) -> set:
        return self.keys.intersection(keys)

    def taken(self, uniques: list) -> dict:
        return {v: self.uniques[v] for v in uniques if v in self.uniques}


class _Loader:
    """Validates and upserts the chunks of one batch inside the caller's transaction."""

    def __init__(self, conn: Connection, source: Source, result: IngestResult, refs: References,
                 loaded_at: dt.datetime, src_system: str, forced: bool) -> None:
        self.conn, self.source, self.result, self.refs = conn, source, result, refs
        self.loaded_at, self.src_system, self.forced = loaded_at, src_system, forced
        self.table: Table = tables.metadata.tables[source.table]
        self.key_cols = ("src_system", "src_id") if source.lineage else (source.key,)
        self.indexes = DeferredIndexes(conn, self.table)
        self.own: _OwnKeys | None = None  # the table's every key, while it holds only this batch's rows
        self.own_checked = False
        self.applied = 0  # records of the chunks handed to ``apply`` so far

    # ---------------------------------------------------------------------------------------- chunk

    def prepare(self, chunk: RawChunk, mapping: dict[str, str] | None) -> _Prepared:
        """Validate a chunk (no writes): the typed good rows and the records bound for quarantine."""
        self.result.received += len(chunk)
        if mapping is None:  # JSON chunks carry their own key sets
            index = header_index(self.source)
            mapping = {h: index[normalise_header(h)] for h in chunk.headers if normalise_header(h) in index}
        quarantine = [(line, raw, [reason]) for line, raw, reason in chunk.broken]
        raw = _columns(chunk, mapping)
        if self.forced:
            raw.pop("src_system", None)  # the API key, not the body, says who is sending
        good, reasons = validate(self.source, raw, len(chunk.lines), self.refs, src_system=self.src_system)
        for pos, why in reasons.items():
            quarantine.append((int(chunk.lines[pos]), chunk.record(pos), why))
        extra = [c for c in good.columns if c not in self.table.c]
        if extra:
            good = good.drop(columns=extra)
        ready = self._ready(good) if self.conn.dialect.name != "postgresql" and len(good) else None
        return _Prepared(chunk, good, quarantine, ready)

    def apply(self, prepared: _Prepared) -> None:
        """Upsert the good rows and write the quarantine, inside the batch's transaction."""
        self.applied += len(prepared.chunk)
        self.indexes.consider(self.applied, self.result.inserted)
        if self.indexes.dropped and not self.own_checked:
            self.own_checked = True
            if self.result.inserted == self.result.updated == 0 and self.indexes.table_is_empty():
                self.own = _OwnKeys()
        conflicts = self._upsert(prepared.good, prepared.ready)
        chunk, quarantine = prepared.chunk, prepared.quarantine
        for pos, why in conflicts.items():
            quarantine.append((int(chunk.lines[pos]), chunk.record(pos), [why]))
        self._quarantine(quarantine)

    def _quarantine(self, items: list[tuple[int, dict, list[str]]]) -> None:
        if not items:
            return
        self.result.quarantined += len(items)
        frame = pd.DataFrame({
            "batch_id": self.result.batch_id, "source_kind": self.result.kind,
            "source_file": self.result.origin[:500], "line_no": [int(line) for line, _, _ in items],
            "raw_record": [storable(json.dumps(raw, ensure_ascii=False, default=str)) for _, raw, _ in items],
            "reasons": [storable("; ".join(why)) for _, _, why in items], "quarantined_at": self.loaded_at})
        insert_frame(self.conn, tables.app_ingest_quarantine, frame)

    # --------------------------------------------------------------------------------------- upsert

    def _upsert(self, good: pd.DataFrame, ready: _Ready | None) -> dict[int, str]:
        """Apply the rows; a key repeated inside the chunk is applied in file order, one pass per repeat."""
        conflicts: dict[int, str] = {}
        if good.empty:
            return conflicts
        keys = self._keys(good)
        if not pd.Index(keys).has_duplicates:  # the common case: one pass over the chunk as it is, no copy
            return self._apply(good, ready, keys)
        occurrence = good.groupby(list(self.key_cols), sort=False).cumcount()
        for k in range(int(occurrence.max()) + 1):
            conflicts.update(self._apply(good[occurrence.to_numpy() == k], ready))
        return conflicts

    def _apply(self, part: pd.DataFrame, ready: _Ready | None, keys: list | None = None) -> dict[int, str]:
        """Upsert ``part``, whose keys are all different (``keys``: its ``_keys``, when already made)."""
        keys = self._keys(part) if keys is None else keys
        known = self._existing_keys(part, keys)
        if known:
            is_new = np.array([k not in known for k in keys], dtype=bool)
            new, old = part[is_new], part[~is_new]
            keys = list(compress(keys, is_new))
        else:  # nothing stored yet (every first load): no split
            new, old = part, part.iloc[:0]
        conflicts = self._unique_conflicts(new)
        if conflicts:
            keep = ~new.index.isin(list(conflicts))
            new, keys = new[keep], list(compress(keys, keep))
        self._insert(new, ready, keys)
        if len(old):
            self._update(old, self._existing(old))
        return conflicts

    def _select_in(self, columns: list[str], column: str, values: list, where: dict[str, str] | None = None
                   ) -> list[tuple]:
        """``SELECT columns WHERE column IN values [AND where]`` through the driver, in slices.

        Plain driver SQL: SQLAlchemy's expanding IN re-renders thousands of parameters per statement,
        which cost more than the rest of the load.
        """
        where = where or {}
        cols = ", ".join(f'"{c}"' for c in columns)
        rows: list[tuple] = []
        postgres = self.conn.dialect.name == "postgresql"
        for i in range(0, len(values), 5000):
            part = values[i:i + 5000]
            if postgres:
                sql = (f'SELECT {cols} FROM "{self.table.name}" WHERE "{column}" = ANY(%(v)s)'
                       + "".join(f' AND "{c}" = %({c})s' for c in where))
                rows += self.conn.exec_driver_sql(sql, {"v": part, **where}).all()
            else:
                sql = (f'SELECT {cols} FROM "{self.table.name}" WHERE "{column}" IN ({", ".join("?" * len(part))})'
                       + "".join(f' AND "{c}" = ?' for c in where))
                rows += self.conn.exec_driver_sql(sql, (*part, *where.values())).all()
        return rows

    def _existing_keys(self, part: pd.DataFrame, keys: list) -> set:
        """Keys of ``part`` (``keys``: its ``_keys``) already stored, as ``_keys`` labels."""
        if self.own is not None:
            return self.own.stored(keys)
        if not self.source.lineage:
            return {r[0] for r in self._select_in([self.source.key], self.source.key, part[self.source.key].tolist())}
        found: set = set()
        for system, ids in part.groupby("src_system", sort=False)["src_id"]:
            found |= {system + _KEY_SEP + r[0] for r in self._select_in(["src_id"], "src_id", ids.tolist(),
                                                                        {"src_system": system})}
        return found

    def _keys(self, df: pd.DataFrame) -> list:
        """Index labels of ``df``'s rows: the key's value, or for a lineage key one string, 来源系统 and
        来源记录编号 joined by ``_KEY_SEP``.

        Strings, not tuples: a tuple per row is an object the garbage collector tracks, and 50,000 of them
        per load set off ~70 collections, each walking the survivors (≈ 0.2 CPU s of a 50,000-row load,
        2026-12-07); strings are never tracked.
        """
        if len(self.key_cols) == 1:
            return df[self.key_cols[0]].tolist()
        return _lineage_keys(df["src_system"].to_numpy(dtype=object), df["src_id"].to_numpy(dtype=object))

    def _existing(self, part: pd.DataFrame) -> pd.DataFrame:
        """Stored rows with the chunk's keys, indexed by their ``_keys`` labels, with the columns the file carries.

        Lineage keys are looked up one 来源系统 at a time (``src_system = s AND src_id IN …``): PostgreSQL
        plans a row-value ``IN`` list as a scan of the whole table per statement.
        """
        cols = [c for c in part.columns if c not in self.key_cols]
        pk = list(self.table.primary_key.columns)[0].name
        select_cols = list(dict.fromkeys([*self.key_cols, *cols, pk]))
        if self.source.lineage:
            groups = [((self.table.c.src_system == system,), self.table.c.src_id, ids.tolist())
                      for system, ids in part.groupby("src_system", sort=False)["src_id"]]
        else:
            groups = [((), self.table.c[self.source.key], part[self.source.key].tolist())]
        frames = []
        for where, column, values in groups:
            for i in range(0, len(values), 2000):
                rows = self.conn.execute(select(*(self.table.c[c] for c in select_cols))
                                         .where(*where, column.in_(values[i:i + 2000]))).all()
                frames.append(pd.DataFrame(rows, columns=select_cols))
        df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=select_cols)
        df.index = pd.Index(self._keys(df), dtype=object)
        return df

    def _unique_conflicts(self, new: pd.DataFrame) -> dict[int, str]:
        """New rows whose unique business number (工单编号 …) another source system already holds."""
        col = self.source.unique
        if col is None or new.empty:
            return {}
        values = new[col].tolist()
        taken = (self.own.taken(values) if self.own is not None
                 else dict(self._select_in([col, "src_system"], col, values)))
        label = self.source.field_by_column[col].label
        conflicts = {int(pos): f"{label}: “{v}”已由来源系统“{taken[v]}”提交，不能重复"
                     for pos, v in zip(new.index, values, strict=True) if v in taken}
        repeated = new.index[new[col].duplicated().to_numpy()]  # one number under two 来源记录编号 in one chunk
        conflicts.update({int(pos): f"{label}: “{new.at[pos, col]}”在本批次中对应多条不同记录" for pos in repeated})
        return conflicts

    def _insert(self, new: pd.DataFrame, ready: _Ready | None, keys: list) -> None:
        """Insert the rows ``new`` (``keys``: their ``_keys``)."""
        if new.empty:
            return
        if ready is not None:
            write_columns(self.conn, self.table, ready.names, ready.columns(new.index), ready.fixed)
        else:
            insert_frame(self.conn, self.table, self._row_frame(new))
        self.result.inserted += len(new)
        if self.own is not None:
            unique = self.source.unique
            self.own.add(keys, new[unique].tolist() if unique else [],
                         new["src_system"].tolist() if unique else [])
            if len(self.own) > _OwnKeys.MAX_ROWS:
                self.own = None  # bounded memory: the database answers from here on

    def _row_columns(self, rows: pd.DataFrame, lineage: bool = True) -> dict[str, pd.Series]:
        """``rows`` column by column as inserted: the table's default where a value is missing, and (with
        ``lineage``) the batch's lineage. Columns without a missing value are ``rows``' own (not copied)."""
        out = dict(rows.items())
        for col in self.table.c:
            default = col.default.arg if col.default is not None and not callable(col.default.arg) else None
            if default is None:
                continue
            if col.name not in out:
                out[col.name] = pd.Series(default, index=rows.index)
            elif out[col.name].hasnans:
                out[col.name] = out[col.name].where(out[col.name].notna(), default)
        if self.source.lineage and lineage:
            out["load_batch"] = pd.Series(self.result.batch_id, index=rows.index)
            out["loaded_at"] = pd.Series(pd.Timestamp(self.loaded_at), index=rows.index)
        return out

    def _row_frame(self, rows: pd.DataFrame) -> pd.DataFrame:
        """``rows`` as inserted (``_row_columns``) as one frame."""
        return pd.DataFrame(self._row_columns(rows))

    def _ready(self, good: pd.DataFrame) -> _Ready:
        """The good rows as the SQLite driver inserts them, converted from ``good``'s columns directly: building
        the row frame first copied every value of the chunk once more. The lineage goes as two values for the
        whole chunk, not a column of 50,000 equal strings and timestamps made, converted and bound row by row."""
        columns = self._row_columns(good, lineage=False)
        fixed = ({"load_batch": self.result.batch_id, "loaded_at": driver_value(self.loaded_at)}
                 if self.source.lineage else {})
        return _Ready(list(columns), good.index,
                      [driver_column(s, self.table.c[c].type) for c, s in columns.items()], fixed)

    def _update(self, old: pd.DataFrame, existing: pd.DataFrame) -> None:
        if old.empty:
            return
        stored = existing.loc[self._keys(old)]
        old = old.assign(**{c: old[c].dt.date.astype(object).where(old[c].notna(), None)
                            for c in old.columns if isinstance(self.table.c[c].type, Date)})
        compare = [c for c in old.columns if c not in self.key_cols and c not in _META]
        diff = {c: _canon_column(old[c]) != _canon_column(stored[c]) for c in compare}
        changed = np.any(np.vstack(list(diff.values())), axis=0) if diff else np.zeros(len(old), bool)
        version = self.source.version
        if version and version in compare:
            changed &= ~_older(old[version], stored[version])
        self.result.unchanged += int((~changed).sum())
        if not changed.any():
            return
        rows = old[changed]
        before = stored[changed]
        history, params = [], []
        values = rows_of(rows, compare)
        for j, (key, vals) in enumerate(zip(zip(*(rows[c] for c in self.key_cols), strict=True), values, strict=True)):
            cols_changed = [c for c in compare if diff[c][np.flatnonzero(changed)[j]]]
            history.append({
                "batch_id": self.result.batch_id, "table_name": self.table.name,
                "src_system": key[0] if self.source.lineage else None, "record_key": str(key[-1])[:64],
                "old_values": json.dumps({c: _jsonable(before[c].iat[j]) for c in cols_changed}, ensure_ascii=False),
                "replaced_at": self.loaded_at})
            param = dict(zip(compare, vals, strict=True))
            param.update({f"_k_{c}": v for c, v in zip(self.key_cols, key, strict=True)})
            if self.source.lineage:
                param.update(load_batch=self.result.batch_id, loaded_at=self.loaded_at)
            params.append(param)
        set_cols = compare + (list(_META) if self.source.lineage else [])
        stmt = update(self.table).where(*(self.table.c[c] == bindparam(f"_k_{c}") for c in self.key_cols)).values(
            {c: bindparam(c) for c in set_cols})
        self.conn.execute(stmt, params)
        self.own = None  # an update may move a unique number: the database answers from here on
        self.conn.execute(insert(tables.app_ingest_history), history)
        self.result.updated += len(params)
        if self.source.name == "hotline" and "status" in compare:
            self._status_events(rows, before)

    def _status_events(self, rows: pd.DataFrame, before: pd.DataFrame) -> None:
        """Append a state event for each work order whose status moved (the ticket's history stays)."""
        moved = (rows["status"].to_numpy() != before["status"].to_numpy())
        if not moved.any():
            return
        r, b = rows[moved], before[moved]
        at = [ts.to_pydatetime() for ts in pd.to_datetime(r["updated_at"])]
        events = pd.DataFrame({
            "ticket_id": b["ticket_id"].to_numpy(),
            "event": [codes.HOTLINE_EVENT_FOR_STATUS[s] for s in r["status"]],
            "actor_dept_code": r["main_dept_code"].to_numpy() if "main_dept_code" in r else None,
            "at": at, "note": [f"状态变更：{o}→{n}" for o, n in zip(b["status"], r["status"], strict=True)],
            "src_system": r["src_system"].to_numpy(),
            "src_id": [f"{k}|状态|{s}|{t:%Y%m%d%H%M%S}"[:64] for k, s, t in zip(r["src_id"], r["status"], at,
                                                                              strict=True)],
            "load_batch": self.result.batch_id, "loaded_at": self.loaded_at})
        event = tables.fact_hotline_event.c
        known = set(self.conn.execute(select(event.src_system, event.src_id).where(
            event.src_id.in_(events["src_id"].tolist()))).all())
        events = events[[(s, i) not in known for s, i in zip(events["src_system"], events["src_id"], strict=True)]]
        insert_frame(self.conn, tables.fact_hotline_event, events)


def _canon(value: object) -> str:
    """One spelling per value whatever the driver returned, so file values and stored values compare."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, str):
        return value
    return f"{float(value):.6f}"


def _canon_column(series: pd.Series) -> np.ndarray:
    """``_canon`` of every value, whole columns at once for the common dtypes (re-imports compare every cell)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        stamps = pa.array(series.to_numpy(dtype="datetime64[s]"), from_pandas=True)
        return np.asarray(pc.fill_null(pc.cast(stamps, pa.string()), "").to_numpy(zero_copy_only=False), dtype=object)
    if series.dtype == bool:
        return np.where(series.to_numpy(dtype=bool), "1", "0").astype(object)
    if pd.api.types.is_integer_dtype(series):
        return series.astype(str).where(series.notna(), "").to_numpy(dtype=object)
    values = series.to_numpy(dtype=object)
    if all(type(v) is str or v is None for v in values):
        out = values.copy()
        out[out == None] = ""  # noqa: E711 - elementwise
        return out
    return np.array([_canon(v) for v in values], dtype=object)


def _older(incoming: pd.Series, stored: pd.Series) -> np.ndarray:
    """Where the incoming version is older than the stored one (a missing side is never older)."""
    a = pd.to_datetime(pd.Series(incoming.to_numpy()))
    b = pd.to_datetime(pd.Series(stored.to_numpy()))
    return (a < b).to_numpy(dtype=bool)


def _jsonable(value: object) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return _canon(value)
    if isinstance(value, (np.integer, np.bool_, np.floating)):
        return value.item()
    if isinstance(value, (int, float, bool, str)):
        return value
    return str(value)


# Joins a lineage key's two parts into one label (``_Loader._keys``): no stored or loaded value holds a NUL
# (ingest quarantines it; PostgreSQL text cannot hold it), so the joined label is unambiguous.
_KEY_SEP = "\x00"


def _lineage_keys(systems: np.ndarray, ids: np.ndarray) -> list[str]:
    """``system + _KEY_SEP + id`` for each row (object arrays of strings), in one numpy pass per operand (the
    separator as an object scalar: a numpy string would drop its trailing NUL)."""
    return np.add(np.add(systems, np.array(_KEY_SEP, dtype=object)), ids).tolist()


def _columns(chunk: RawChunk, mapping: dict[str, str]) -> dict[str, pa.Array]:
    """The chunk's mapped columns, null where empty (the readers strip values)."""
    out = {}
    for header, arr in zip(chunk.headers, chunk.columns, strict=True):
        if header in mapping:
            out[mapping[header]] = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
    return out
