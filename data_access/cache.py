"""Read-side cache keyed by the warehouse's data version.

Every pipeline run and every ingest load bumps ``app_setting.data_version``; cached query results are
keyed by it, so ten walls refreshing every 30 s cost one query per data change, and nothing stale is
ever served after new data lands. Backend: diskcache under VAR_DIR/cache by default, Redis when
``BIANJIAN_CACHE_URL`` is ``redis://…`` (shared by all gunicorn workers).

Keys also carry the code's fingerprint (``code_version``): the cache outlives a deploy, and an entry an
older version wrote may have another shape than what the new code expects (a page callback unpacking six
values from a tuple of seven failed with HTTP 500 until the next pipeline run).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import pickle
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

import settings
from data_access import db
from data_access.schema import Setting

log = logging.getLogger(__name__)

DATA_VERSION_KEY = "data_version"
VERSION_TTL_SECONDS = 5.0  # how long a process trusts the version it read before asking the database again
LAST_GOOD_TTL_SECONDS = 7 * 24 * 3600  # how long a result may stand in for a database that cannot be reached
LOCK_SECONDS = 120  # a computing process that died frees its key's lock after this long
LOCK_WAIT_SECONDS = 15.0  # how long a caller with no last-good value waits for another's computation
LOCK_POLL_SECONDS = 0.05


class Tampered(ValueError):
    """A cached blob whose signature does not verify: someone else wrote it, so it is never unpickled."""


def _signature(payload: bytes) -> bytes:
    return hmac.new(settings.secret_key().encode(), b"bianjian-cache\0" + payload, hashlib.sha256).digest()


def dumps(value: Any) -> bytes:
    """``value`` pickled and signed (HMAC-SHA256 with the secret key) for the shared cache.

    The cache server (Redis) is also the Celery broker, so more processes can write it than the web
    processes; :func:`loads` unpickles only what a holder of the secret key signed."""
    payload = pickle.dumps(value)
    return _signature(payload) + payload


def loads(blob: bytes) -> Any:
    """The value :func:`dumps` signed; :class:`Tampered` (never unpickled) for anything else."""
    signature, payload = blob[:32], blob[32:]
    if len(blob) < 32 or not hmac.compare_digest(signature, _signature(payload)):
        raise Tampered("cache entry with a missing or wrong signature")
    return pickle.loads(payload)  # noqa: S301 - signed by this deployment's secret key


def _load_or_none(blob: bytes | None) -> tuple[bool, Any]:
    """(True, value) for a good entry, (False, None) for a missing or tampered one (logged, then recomputed)."""
    if blob is None:
        return False, None
    try:
        return True, loads(blob)
    except Tampered:
        log.warning("ignored a cache entry with a wrong signature (written by someone without the secret key)")
        return False, None


class Backend(Protocol):
    def get(self, key: str) -> bytes | None: ...
    def set(self, key: str, value: bytes, ttl: int) -> None: ...
    def delete(self, key: str) -> None: ...
    def acquire(self, key: str, owner: str, ttl: int) -> bool: ...
    def release(self, key: str, owner: str) -> None: ...


class DiskBackend:
    def __init__(self, directory: str) -> None:
        import diskcache

        self._cache = diskcache.Cache(directory, size_limit=512 * 2**20)

    def get(self, key: str) -> bytes | None:
        return self._cache.get(key)

    def set(self, key: str, value: bytes, ttl: int) -> None:
        self._cache.set(key, value, expire=ttl)

    def delete(self, key: str) -> None:
        self._cache.delete(key)

    def acquire(self, key: str, owner: str, ttl: int) -> bool:
        return self._cache.add(key, owner, expire=ttl)  # atomic across threads and processes

    def release(self, key: str, owner: str) -> None:
        with self._cache.transact():
            if self._cache.get(key) == owner:
                self._cache.delete(key)


class RedisBackend:
    def __init__(self, url: str) -> None:
        import redis

        self._client = redis.Redis.from_url(url, socket_timeout=2)

    def get(self, key: str) -> bytes | None:
        return self._client.get(key)

    def set(self, key: str, value: bytes, ttl: int) -> None:
        self._client.set(key, value, ex=ttl)

    def delete(self, key: str) -> None:
        self._client.delete(key)

    def acquire(self, key: str, owner: str, ttl: int) -> bool:
        return bool(self._client.set(key, owner, ex=ttl, nx=True))

    def release(self, key: str, owner: str) -> None:
        self._client.eval(_RELEASE_IF_OWNER, 1, key, owner)


# Delete a lock only if it still holds our owner token (it may have expired and been taken by another).
_RELEASE_IF_OWNER = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


@functools.cache
def backend() -> Backend:
    url = settings.get("cache_url")
    if url.startswith("redis://") or url.startswith("rediss://"):
        return RedisBackend(url)
    return DiskBackend(url or str(settings.var_dir() / "cache"))


def reset() -> None:
    """Forget the backend and the remembered data version (tests switch warehouses)."""
    backend.cache_clear()
    _version_memo.clear()


# ---------------------------------------------------------------------------------------- code version

RUNTIME_CODE = ("app.py", "bianjian_cli.py", "settings.py", "api", "data_access", "dispatch", "evaluation", "ops",
                "pages", "pipeline", "risk_models", "security", "text_mining", "ui")


@functools.cache
def code_version() -> str:
    """Fingerprint of the Python sources the server runs (paths and contents, read once per process)."""
    digest = hashlib.sha256()
    for entry in RUNTIME_CODE:
        path = settings.ROOT / entry
        for source in sorted(path.rglob("*.py")) if path.is_dir() else [path] if path.is_file() else []:
            digest.update(str(source.relative_to(settings.ROOT)).encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()[:16]


# ---------------------------------------------------------------------------------------- data version

_version_memo: dict[str, tuple[float, str]] = {}


def bump_data_version(conn: Connection) -> str:
    """Mark that the warehouse changed (called by the pipeline runner and by ingest loads)."""
    version = f"{time.time_ns():x}"
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(Setting).values(key=DATA_VERSION_KEY, value=version)
    conn.execute(stmt.on_conflict_do_update(index_elements=[Setting.key], set_={"value": version}))
    _version_memo.clear()
    return version


def data_version() -> str:
    """The current data version, re-read from the database at most every VERSION_TTL_SECONDS."""
    url = settings.database_url()
    now = time.monotonic()
    memo = _version_memo.get(url)
    if memo and now - memo[0] < VERSION_TTL_SECONDS:
        return memo[1]
    with db.engine().connect() as conn:
        version = conn.execute(select(Setting.value).where(Setting.key == DATA_VERSION_KEY)).scalar() or "0"
    _version_memo[url] = (now, version)
    return version


def memoize(ttl: int = 3600) -> Callable:
    """Cache a read-only query function's result per (data version, arguments).

    The wrapped function takes plain, hashable-by-repr arguments (no session): it opens its own.
    Each result is also kept as the call's "last good" value, returned while the database cannot be
    reached, so a wall keeps showing its latest data (and ops.outage_banner shows the outage banner).
    """

    def decorate(fn: Callable) -> Callable:
        name = f"{fn.__module__}.{fn.__qualname__}"

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            call = repr((code_version(), settings.database_url(), name, args, sorted(kwargs.items())))
            last_good = "bj:last:" + hashlib.sha256(call.encode()).hexdigest()
            try:
                version = data_version()
            except db.DATABASE_ERRORS as exc:
                return _last_good(last_good, exc)
            key = "bj:" + hashlib.sha256(repr((version, call)).encode()).hexdigest()
            try:
                hit = backend().get(key)
            except Exception:  # a cache outage must never take a page down
                hit = None
            found, value = _load_or_none(hit)
            if found:
                return value
            return _compute_once(key, last_good, ttl, lambda: fn(*args, **kwargs))

        wrapper.uncached = fn
        return wrapper

    return decorate


def _compute_once(key: str, last_good: str, ttl: int, compute: Callable[[], Any]) -> Any:
    """Compute a missing entry in one caller only. When an entry expires while ten walls refresh, one takes
    the key's lock and computes; the others serve the last good value, or, having none, wait for it."""
    owner = uuid.uuid4().hex
    lock = key + ":lock"
    try:
        mine = backend().acquire(lock, owner, LOCK_SECONDS)
    except Exception:  # no cache server: everyone computes, as without a cache
        mine = True
    if not mine:
        found, value = _load_or_none(_stale_or_wait(key, last_good))
        if found:
            return value
    try:
        value = compute()
    except db.DATABASE_ERRORS as exc:
        return _last_good(last_good, exc)
    finally:
        if mine:
            try:
                backend().release(lock, owner)
            except Exception:
                pass
    try:
        blob = dumps(value)
        backend().set(key, blob, ttl)
        backend().set(last_good, blob, LAST_GOOD_TTL_SECONDS)
    except Exception:
        pass
    return value


def _stale_or_wait(key: str, last_good: str) -> bytes | None:
    """While another caller computes ``key``: the last good value at once, else the new one when it lands
    (None after LOCK_WAIT_SECONDS, and the caller computes it itself)."""
    try:
        stale = backend().get(last_good)
        if stale is not None:
            return stale
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(LOCK_POLL_SECONDS)
            fresh = backend().get(key)
            if fresh is not None:
                return fresh
    except Exception:
        return None
    return None


def _last_good(key: str, error: Exception) -> Any:
    """The last result stored for a call, or the database error again if there is none."""
    try:
        blob = backend().get(key)
    except Exception:
        blob = None
    found, value = _load_or_none(blob)
    if not found:
        raise error
    return value
