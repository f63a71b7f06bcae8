"""Engine and session factory: one per process, built from the ``database_url`` setting.

Callers own transactions (``with session_scope() as s:``); query functions take a session and never commit.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

import settings

if TYPE_CHECKING:  # the ORM is imported on first use: `bianjian ingest` writes through Core only
    from sqlalchemy.orm import Session, sessionmaker

# What a database that cannot be reached raises (refused, cut, timed out): the cache serves its last good
# value, the web app answers 503 with the outage page. Other errors (bad SQL, a missing table) are bugs.
DATABASE_ERRORS = (OperationalError, InterfaceError)

# A pooled PostgreSQL connection is pinged before use only after it sat in the pool this long. The ping is a
# round trip on every checkout otherwise: one of the four (ping, BEGIN, query, COMMIT) of a small read, and on
# a loaded machine each round trip waits for the server process to be scheduled. A connection checked in less
# than a second ago was working then; a server restart inside that second costs one failed request (the error
# invalidates the pool, and the next checkout connects anew).
PING_AFTER_IDLE_SECONDS = 1.0


def make_engine(url: str) -> Engine:
    """Create an engine tuned for the backend: WAL and foreign keys on SQLite, pooled psycopg on PostgreSQL."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA cache_size=-65536")
            cur.close()

        return engine
    engine = create_engine(url, pool_size=5, max_overflow=10)

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn, record) -> None:  # noqa: ANN001
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn, record, _proxy) -> None:  # noqa: ANN001
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:  # the pool replaces the connection and checks out again
            raise DisconnectionError(str(exc)) from exc

    return engine


@functools.cache
def engine() -> Engine:
    return make_engine(settings.database_url())


@functools.cache
def _session_factory() -> sessionmaker[Session]:
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(engine(), expire_on_commit=False)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on error."""
    with _session_factory().begin() as session:
        yield session


def reset() -> None:
    """Forget the cached engine (tests switch databases through the environment)."""
    if engine.cache_info().currsize:
        engine().dispose()
    engine.cache_clear()
    _session_factory.cache_clear()
