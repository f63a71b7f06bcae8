"""Real warehouses for tests: a SQLite file in a temp dir, and a fresh PostgreSQL database per session.

PostgreSQL tests run against the server at 127.0.0.1:5432 (trust auth); each creates and drops its own
database. In CI the server must be there; elsewhere the tests skip with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy import Engine

from data_access import warehouse
from data_access.db import make_engine
from tests.conftest import require_or_skip

PG_ADMIN_DSN = os.environ.get("BIANJIAN_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=test")


def postgres_available() -> tuple[bool, str]:
    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3):
            return True, ""
    except Exception as exc:  # server absent or refusing
        return False, f"PostgreSQL not reachable ({PG_ADMIN_DSN}): {exc}"


@contextmanager
def postgres_database() -> Iterator[str]:
    """Create a throw-away database and yield its SQLAlchemy URL; drop it afterwards."""
    ok, reason = postgres_available()
    require_or_skip(ok, reason)
    name = f"bianjian_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlite_engine(path) -> Engine:
    return make_engine(f"sqlite:///{path}")


@contextmanager
def initialised_warehouse(backend: str, directory) -> Iterator[Engine]:
    """An empty warehouse with the whole schema: a SQLite file in ``directory``, or a throw-away PostgreSQL one."""
    if backend == "sqlite":
        engine = sqlite_engine(directory / "w.db")
        warehouse.init(engine)
        yield engine
        engine.dispose()
        return
    with postgres_database() as url:
        engine = make_engine(url)
        warehouse.init(engine)
        yield engine
        engine.dispose()
