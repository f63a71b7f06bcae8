"""Build a table's secondary indexes once, after a large batch, instead of row by row during it.

Maintaining ten B-trees row by row costs more than the insert itself; both SQLite and PostgreSQL build an
index from scratch by sorting, several times faster per row. That only pays when the batch is large against
the table, so the rule is: once the rows a batch has received (the current chunk included) reach both
``MIN_ROWS`` and the number of rows the table held when the batch began, its non-unique indexes are dropped
inside the batch's transaction and created again, with the same definitions, before the batch commits. The
rebuild then sorts at most twice the rows the batch brings. Unique indexes and constraints stay: they guard
the keys while rows arrive. DDL is transactional on both backends, so a batch that fails or is a dry run
rolls back to the original indexes.

On PostgreSQL the dropped indexes hold an exclusive lock on the table until the commit, so readers of that
table wait for the batch; that is why the rule only fires when the batch is the larger part of the table
(a first load, a re-population), never for the everyday feed into a full table. The drop waits at most
``LOCK_WAIT`` for readers already on the table (a waiting exclusive lock would queue every later reader
behind it too); if they do not let go, the batch keeps its indexes and maintains them row by row.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table
from sqlalchemy.exc import OperationalError

# Below this many incoming rows, row-by-row maintenance is cheap and the drop/rebuild is not worth its DDL.
MIN_ROWS = 10_000
# PostgreSQL: the longest the drop may wait for the table's current readers (a lock_timeout value).
LOCK_WAIT = "2s"


class DeferredIndexes:
    """The secondary indexes of one table for one batch: dropped at most once, restored by ``restore``."""

    def __init__(self, conn: Connection, table: Table) -> None:
        self.conn, self.table = conn, table
        self.dropped: list[tuple[str, str]] = []  # (name, CREATE INDEX statement)
        self.done = False
        self.held: int | None = None  # rows in the table when the batch began, once counted to the end
        self.at_least = 0  # ... or a lower bound, while the table is larger than anything counted so far

    def consider(self, received: int, inserted: int) -> None:
        """Drop the indexes once the batch (``received`` rows so far) is at least the table's size at its start.

        ``inserted`` rows of this batch are already in the table; they do not count as the table's own. The
        table is counted up to twice what the batch has brought, and again only once the batch has passed that
        bound, so all the counting together costs about as much as reading the batch's rows once more.
        """
        if self.done or received < max(MIN_ROWS, self.at_least):
            return
        if self.held is None:
            limit = 2 * received + inserted + 1
            counted = self._count_up_to(limit)
            if counted == limit:
                self.at_least = limit - inserted
                return
            self.held = counted - inserted
        if self.held > received:
            return
        self.done = True
        secondary = self._secondary()
        if self._drop([name for name, _ in secondary]):
            self.dropped = secondary

    def table_is_empty(self) -> bool:
        """Whether the table holds no rows at all (asked after the drop, under the batch's lock)."""
        return self._count_up_to(1) == 0

    def restore(self) -> None:
        """Create the dropped indexes again (inside the batch's transaction)."""
        for _, ddl in self.dropped:
            self.conn.exec_driver_sql(ddl)
        self.dropped = []

    def _drop(self, names: list[str]) -> bool:
        """Drop ``names``; on PostgreSQL within ``LOCK_WAIT``, else nothing is dropped and False returned."""
        if self.conn.dialect.name != "postgresql":
            for name in names:
                self.conn.exec_driver_sql(f'DROP INDEX "{name}"')
            return True
        previous = self.conn.exec_driver_sql("SHOW lock_timeout").scalar_one()
        savepoint = self.conn.begin_nested()
        try:
            self.conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")
            for name in names:
                self.conn.exec_driver_sql(f'DROP INDEX "{name}"')
        except OperationalError as exc:
            import psycopg.errors  # here, not at the top: a SQLite load need not import the PostgreSQL driver

            savepoint.rollback()  # also undoes the SET LOCAL
            if isinstance(exc.orig, psycopg.errors.LockNotAvailable):
                return False
            raise
        savepoint.commit()
        self.conn.exec_driver_sql("SELECT set_config('lock_timeout', %(v)s, true)", {"v": previous})
        return True

    def _count_up_to(self, limit: int) -> int:
        """The table's row count, counted no further than ``limit`` (a bounded cost on a large table)."""
        sql = f'SELECT count(*) FROM (SELECT 1 FROM "{self.table.name}" LIMIT {int(limit)}) AS t'
        return int(self.conn.exec_driver_sql(sql).scalar_one())

    def _secondary(self) -> list[tuple[str, str]]:
        """(name, definition) of the table's non-unique indexes that no constraint owns."""
        if self.conn.dialect.name == "postgresql":
            return [tuple(r) for r in self.conn.exec_driver_sql(
                "SELECT c.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
                "JOIN pg_class c ON c.oid = x.indexrelid "
                "WHERE x.indrelid = %(t)s::regclass AND NOT x.indisunique AND NOT x.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid) ORDER BY 1",
                {"t": f'"{self.table.name}"'}).all()]
        names = [r[1] for r in self.conn.exec_driver_sql(f'PRAGMA index_list("{self.table.name}")').all()
                 if r[2] == 0 and r[3] == "c"]  # not unique, made by CREATE INDEX
        if not names:
            return []
        marks = ", ".join("?" * len(names))
        return [tuple(r) for r in self.conn.exec_driver_sql(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN ({marks}) ORDER BY name",
            tuple(names)).all()]
