"""The read-side cache: results keyed by data version, shared through Redis in production, and never a
reason for a page to fail."""

from __future__ import annotations

import threading
import time

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


SLOW_CALLS: list[int] = []


@cache.memoize(ttl=60)
def slow_panel(x: int) -> tuple[int, int]:
    """A panel that takes a while to compute; returns its argument and which computation this was."""
    SLOW_CALLS.append(x)
    time.sleep(0.5)
    return x, len(SLOW_CALLS)


@pytest.fixture
def warehouse_env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    monkeypatch.setenv("BIANJIAN_DATABASE_URL", url)
    monkeypatch.setenv("BIANJIAN_VAR_DIR", str(tmp_path))
    db.reset()
    cache.reset()
    init(sqlite_engine(tmp_path / "c.db"))
    CALLS.clear()
    SLOW_CALLS.clear()
    yield
    db.reset()
    cache.reset()


def _bump() -> None:
    with db.engine().begin() as conn:
        cache.bump_data_version(conn)


def _use_backend(backend: str, monkeypatch) -> None:
    if backend == "redis":
        try:
            redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1).ping()
            available, reason = True, ""
        except redis.RedisError as exc:
            available, reason = False, f"Redis not reachable at 127.0.0.1:6379: {exc}"
        require_or_skip(available, reason)
        monkeypatch.setenv("BIANJIAN_CACHE_URL", "redis://127.0.0.1:6379/15")
        cache.reset()


def _at_once(n: int, call) -> list:
    """Run ``call`` in ``n`` threads released together, as ten walls refreshing at the same second."""
    start, results = threading.Barrier(n), [None] * n

    def run(i: int) -> None:
        start.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.parametrize("backend", ["disk", "redis"])
def test_results_are_reused_until_the_data_version_changes(warehouse_env, monkeypatch, backend):
    _use_backend(backend, monkeypatch)
    _bump()  # a fresh version: nothing cached from earlier runs can match
    assert expensive(3) == 6 and expensive(3) == 6
    assert CALLS == [3]
    _bump()
    assert expensive(3) == 6
    assert CALLS == [3, 3]
    assert expensive(4) == 8 and CALLS == [3, 3, 4]


@pytest.mark.parametrize("backend", ["disk", "redis"])
def test_entries_written_by_other_code_are_not_read(warehouse_env, monkeypatch, backend):
    """The cache outlives a deploy: a result the old code cached (perhaps of another shape) must not reach
    the new code, though the data version is the same."""
    _use_backend(backend, monkeypatch)
    _bump()
    assert expensive(3) == 6 and CALLS == [3]
    monkeypatch.setattr(cache, "code_version", lambda: "the next deploy")
    assert expensive(3) == 6 and CALLS == [3, 3]
    assert expensive(3) == 6 and CALLS == [3, 3]  # and cached again under the new code


def test_code_version_follows_the_server_sources(tmp_path, monkeypatch):
    (tmp_path / "pages").mkdir()
    page = tmp_path / "pages" / "home.py"
    page.write_text("LAYOUT = 1\n")
    (tmp_path / "settings.py").write_text("")
    monkeypatch.setattr(settings, "ROOT", tmp_path)
    versions = []
    for text in ("LAYOUT = 1\n", "LAYOUT = 2\n", "LAYOUT = 1\n"):
        page.write_text(text)
        cache.code_version.cache_clear()
        versions.append(cache.code_version())
    (tmp_path / "notes.py").write_text("not served")  # outside the server's code: no new version
    cache.code_version.cache_clear()
    versions.append(cache.code_version())
    cache.code_version.cache_clear()  # the real tree's version for the tests that follow
    assert versions[0] != versions[1] and versions[0] == versions[2] == versions[3]


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


@pytest.mark.parametrize("backend", ["disk", "redis"])
def test_a_missing_entry_is_computed_once_for_ten_concurrent_callers(warehouse_env, monkeypatch, backend):
    _use_backend(backend, monkeypatch)
    _bump()
    cache.data_version()  # read once, so the threads race on the entry and not on the version
    x = time.time_ns()  # an argument no earlier run has cached or left a last-good value for
    results = _at_once(10, lambda: slow_panel(x))
    assert SLOW_CALLS == [x]  # the others waited for the one computation
    assert results == [(x, 1)] * 10


@pytest.mark.parametrize("backend", ["disk", "redis"])
def test_after_new_data_one_caller_recomputes_while_the_others_serve_the_last_good_value(
        warehouse_env, monkeypatch, backend):
    _use_backend(backend, monkeypatch)
    _bump()
    x = time.time_ns()
    assert slow_panel(x) == (x, 1)
    _bump()  # the pipeline landed new data: the entry is missing again
    cache.data_version()
    results = _at_once(10, lambda: slow_panel(x))
    assert SLOW_CALLS == [x, x]
    assert set(results) <= {(x, 1), (x, 2)} and (x, 1) in results  # the others served the last good value
    assert slow_panel(x) == (x, 2)


class _Exploit:
    """A pickle that creates a file when loaded: what a writer of the cache server could plant."""

    def __init__(self, marker) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _plant(key: str, blob: bytes) -> None:
    cache.backend().set(key, blob, 60)


def _keys() -> list[str]:
    backend = cache.backend()
    if isinstance(backend, cache.RedisBackend):
        return [k.decode() for k in redis.Redis(host="127.0.0.1", port=6379, db=15).keys("bj:*")]
    return [k for k in backend._cache.iterkeys() if k.startswith("bj:")]


@pytest.mark.parametrize("backend", ["disk", "redis"])
def test_a_forged_cache_entry_is_never_unpickled(warehouse_env, monkeypatch, tmp_path, backend):
    """Redis is also the Celery broker: whoever can write it must not run code in the web process."""
    import pickle

    from data_access.scope import Scope
    from security import remembered_sessions
    from security.sessions import Identity

    _use_backend(backend, monkeypatch)
    assert expensive(21) == 42 and CALLS == [21]
    marker = tmp_path / "pwned"
    planted = [k for k in _keys() if not k.endswith(":lock")]
    assert planted
    for key in planted:
        _plant(key, pickle.dumps(_Exploit(marker)))
    assert expensive(21) == 42 and CALLS == [21, 21]  # recomputed, not unpickled
    assert not marker.exists()
    with pytest.raises(cache.Tampered):
        cache.loads(pickle.dumps(_Exploit(marker)))

    token = "bjs_forged-session"
    _plant(remembered_sessions._key(token), pickle.dumps((time.time(), _Exploit(marker))))
    assert remembered_sessions.recall(token) is None and not marker.exists()
    identity = Identity(session_id=1, scope=Scope(user="leader", role="LEADER", dept_code=None))
    remembered_sessions.remember(token, identity)
    assert remembered_sessions.recall(token) == identity  # what the server itself signed still reads back


def test_celery_accepts_json_only():
    """The broker is the same Redis: a pickled task message must be refused, not deserialised."""
    from ops.celery_app import celery

    assert celery.conf.accept_content == ["json"] and celery.conf.result_accept_content == ["json"]
    assert celery.conf.task_serializer == celery.conf.result_serializer == "json"
