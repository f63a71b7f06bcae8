"""The PostgreSQL pool pings a connection before use only after it idled ``PING_AFTER_IDLE_SECONDS``."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

from data_access import db
from tests.db_fixtures import PG_ADMIN_DSN, postgres_database

pytestmark = pytest.mark.postgres


def _backend_pid(engine) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()


def _terminate(pid: int) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]


def test_a_recently_used_connection_is_not_pinged_and_an_idle_one_is_replaced_when_dead(monkeypatch):
    with postgres_database() as url:
        engine = db.make_engine(url)
        pings = []
        ping = engine.dialect.do_ping
        monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(1) or ping(conn))
        try:
            pid = _backend_pid(engine)
            assert _backend_pid(engine) == pid and pings == []  # reused at once: no round trip before the query

            # A server-side cut inside the idle window costs one failed request; the pool then connects anew.
            _terminate(pid)
            with pytest.raises(OperationalError):
                _backend_pid(engine)
            pid = _backend_pid(engine)
            assert pings == []

            # After idling, the connection is pinged first: a dead one is replaced before the query sees it.
            monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
            _terminate(pid)
            assert _backend_pid(engine) != pid
            assert len(pings) == 1
            assert _backend_pid(engine) and len(pings) == 2  # idle 0 s or more: pinged, alive, used
        finally:
            engine.dispose()
