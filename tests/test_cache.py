"""The read-side cache: results keyed by data version, shared through Redis in production, and never a
reason for a page to fail."""

from __future__ import annotations

import pytest
import redis

import settings
from data_access import cache, db
from data_access.warehouse import init
from tests.conftest import require_or_skip
from tests.db_fixtures import sqlite_engine

CALLS: list[int] = []


@cache.memoize(ttl=60)
def expensive(x: int) -> int:
    CALLS.append(x)
    return x * 2


@pytest.fixture
def warehouse_env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    monkeypatch.setenv("BIANJIAN_DATABASE_URL", url)
    monkeypatch.setenv("BIANJIAN_VAR_DIR", str(tmp_path))
    db.reset()
    cache.reset()
    init(sqlite_engine(tmp_path / "c.db"))
    CALLS.clear()
    yield
    db.reset()
    cache.reset()


def _bump() -> None:
    with db.engine().begin() as conn:
        cache.bump_data_version(conn)


@pytest.mark.parametrize("backend", ["disk", "redis"])
def test_results_are_reused_until_the_data_version_changes(warehouse_env, monkeypatch, backend):
    if backend == "redis":
        try:
            redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1).ping()
            available, reason = True, ""
        except redis.RedisError as exc:
            available, reason = False, f"Redis not reachable at 127.0.0.1:6379: {exc}"
        require_or_skip(available, reason)
        monkeypatch.setenv("BIANJIAN_CACHE_URL", "redis://127.0.0.1:6379/15")
        cache.reset()
    _bump()  # a fresh version: nothing cached from earlier runs can match
    assert expensive(3) == 6 and expensive(3) == 6
    assert CALLS == [3]
    _bump()
    assert expensive(3) == 6
    assert CALLS == [3, 3]
    assert expensive(4) == 8 and CALLS == [3, 3, 4]


def test_a_dead_cache_server_does_not_break_queries(warehouse_env, monkeypatch):
    monkeypatch.setenv("BIANJIAN_CACHE_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    cache.reset()
    assert expensive(5) == 10 and expensive(5) == 10
    assert CALLS == [5, 5]


def test_data_version_is_remembered_briefly(warehouse_env):
    first = cache.data_version()
    with db.engine().begin() as conn:
        bumped = cache.bump_data_version(conn)
    assert bumped != first
    assert cache.data_version() == bumped


def test_cache_setting_is_declared():
    assert "cache_url" in settings.SETTINGS_BY_NAME
