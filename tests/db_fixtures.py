"""Real warehouses for tests: a SQLite file in a temp dir, and a fresh PostgreSQL database per session.

PostgreSQL tests run against the server at 127.0.0.1:5432 (trust auth); each creates and drops its own
database. In CI the server must be there; elsewhere the tests skip with the reason.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from data_access import db, warehouse
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


@contextmanager
def app_warehouse(workdir: Path, source: Path | None = None, *, name: str = "w.db", url: str | None = None,
                  env: dict[str, str] | None = None) -> Iterator[str]:
    """Point the app's settings at a warehouse for the duration of a test or module, and yield its URL.

    ``source`` (a SQLite file, e.g. ``demo_db_path``) is copied to ``workdir/name``, or ``url`` is used as it is;
    ``BIANJIAN_DATABASE_URL``, ``BIANJIAN_VAR_DIR`` (= ``workdir``) and ``env`` are set and the cached engine is
    reset, so ``db.engine()`` and ``create_app()`` use them; on exit the engine is reset and the environment
    restored. The pattern "copy warehouse + set env + db.reset + create_app" of the page and API tests.
    """
    if source is not None:
        shutil.copy(source, workdir / name)
        url = f"sqlite:///{workdir / name}"
    if url is None:
        raise ValueError("app_warehouse needs a source file or a url")
    patch = pytest.MonkeyPatch()
    patch.setenv("BIANJIAN_DATABASE_URL", url)
    patch.setenv("BIANJIAN_VAR_DIR", str(workdir))
    for key, value in (env or {}).items():
        patch.setenv(key, value)
    db.reset()
    try:
        yield url
    finally:
        db.reset()
        patch.undo()
