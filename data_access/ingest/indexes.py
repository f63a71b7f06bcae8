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
(a first load, a re-population), never for the everyday feed into a full table.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table

# Below this many incoming rows, row-by-row maintenance is cheap and the drop/rebuild is not worth its DDL.
MIN_ROWS = 10_000


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
        self.dropped = self._secondary()
        for name, _ in self.dropped:
            self.conn.exec_driver_sql(f'DROP INDEX "{name}"')

    def restore(self) -> None:
        """Create the dropped indexes again (inside the batch's transaction)."""
        for _, ddl in self.dropped:
            self.conn.exec_driver_sql(ddl)
        self.dropped = []

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
