"""Two people acting on one lead at once: exactly one wins, the other gets the stale-lead message.
Real concurrent connections on SQLite and PostgreSQL; plus migration 0004 matches the ORM on both.

The version check is SQLAlchemy's (``version_id_col`` on ``RiskLead``): the two-session tests below put the
other person's commit exactly between a transition's read and its write, so the loser is refused by the
versioned UPDATE itself (StaleDataError → ``StaleLead``), not by the early ``expected_version`` comparison."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, event, func, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from data_access import migrate, warehouse
from data_access.db import make_engine
from data_access.reference import DEPT_CODE_BY_KEY
from data_access.schema import Base, RiskLead, RiskLeadEvent
from data_access.scope import Scope
from dispatch import lifecycle as lc
from tests.db_fixtures import initialised_warehouse, postgres_database, sqlite_engine

SCJG = DEPT_CODE_BY_KEY["SCJG"]
T0 = dt.datetime(2025, 3, 3, 9, 0)
MY_TABLES = {"derived_risk_lead", "derived_risk_lead_event"}


def _dispatched_lead(engine: Engine) -> int:
    with Session(engine) as session, session.begin():
        lead_id = session.execute(insert(RiskLead).values(
            lead_key=f"race:{dt.datetime.now().timestamp()}", kind="spike", level="RED", score=0.9, title="并发测试",
            reason="r", evidence={}, dept_code=SCJG, status="待研判", created_at=T0, updated_at=T0, version=1)
            .returning(RiskLead.lead_id)).scalar_one()
        lc.transition(session, lead_id, "dispatch", Scope("a", "ANALYST"), dept_code=SCJG, at=T0)
    return lead_id


def _race(engine: Engine, lead_id: int) -> list:
    """Two threads, each on its own connection, read the lead, meet at a barrier, then act on it."""
    barrier = threading.Barrier(2)
    outcomes: list = [None, None]
    jobs = [("sign", Scope("部门甲", "DEPT_HEAD", SCJG), {}),
            ("escalate", Scope("研判员乙", "ANALYST"), {"level": "挂牌督办"})]

    def work(i: int) -> None:
        action, scope, payload = jobs[i]
        with Session(engine) as session:
            seen = session.get(RiskLead, lead_id).version
            session.rollback()
            barrier.wait()
            try:
                with session.begin():
                    lc.transition(session, lead_id, action, scope, expected_version=seen,
                                  at=T0 + dt.timedelta(hours=1), **payload)
                outcomes[i] = "ok"
            except lc.StaleLead as exc:
                outcomes[i] = str(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def _check_one_winner(engine: Engine, lead_id: int, outcomes: list) -> None:
    assert sorted(outcomes, key=str) == ["ok", "该线索已被他人更新，请刷新后重试"], outcomes
    with Session(engine) as session:
        lead = session.get(RiskLead, lead_id)
        events = session.scalar(select(func.count()).select_from(RiskLeadEvent).where(RiskLeadEvent.lead_id == lead_id))
    assert (lead.version, events) == (3, 2)  # dispatch + the winner's action only
    winner = 0 if outcomes[0] == "ok" else 1
    assert (lead.status, lead.supervise_level) == (("已签收", None) if winner == 0 else ("已转办", "挂牌督办"))


def test_concurrent_transitions_sqlite(tmp_path):
    engine = sqlite_engine(tmp_path / "race.db")
    warehouse.init(engine)
    for _ in range(3):
        lead_id = _dispatched_lead(engine)
        _check_one_winner(engine, lead_id, _race(engine, lead_id))
    engine.dispose()


@pytest.mark.postgres
def test_concurrent_transitions_postgres():
    with postgres_database() as url:
        engine = make_engine(url)
        try:
            warehouse.init(engine)
            for _ in range(3):
                lead_id = _dispatched_lead(engine)
                _check_one_winner(engine, lead_id, _race(engine, lead_id))
        finally:
            engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    with initialised_warehouse(request.param, tmp_path) as eng:
        yield eng


def _state(engine: Engine, lead_id: int) -> tuple:
    with Session(engine) as session:
        lead = session.get(RiskLead, lead_id)
        events = session.scalar(select(func.count()).select_from(RiskLeadEvent).where(RiskLeadEvent.lead_id == lead_id))
        return lead.version, lead.status, lead.supervise_level, events


def test_a_commit_between_read_and_write_is_refused_by_the_versioned_update(engine):
    """Session B reads the lead (version 2); session A escalates and commits before B writes; B's UPDATE …
    WHERE version = 2 matches nothing and B gets the Chinese conflict message, writing nothing."""
    lead_id = _dispatched_lead(engine)
    interleaved: list[str] = []

    def other_person_acts_first(session, _context, _instances) -> None:  # noqa: ANN001
        if interleaved:
            return
        interleaved.append("A")
        with Session(engine) as other, other.begin():
            lc.transition(other, lead_id, "escalate", Scope("研判员乙", "ANALYST"), level="挂牌督办",
                          at=T0 + dt.timedelta(hours=1))

    with Session(engine) as session:
        event.listen(session, "before_flush", other_person_acts_first)
        with pytest.raises(lc.StaleLead) as refused, session.begin():
            lc.transition(session, lead_id, "sign", Scope("部门甲", "DEPT_HEAD", SCJG),
                          at=T0 + dt.timedelta(hours=2))
    assert interleaved == ["A"]
    assert str(refused.value) == "该线索已被他人更新，请刷新后重试"
    assert _state(engine, lead_id) == (3, "已转办", "挂牌督办", 2)  # dispatch + A's escalation only
    with Session(engine) as session, session.begin():  # B, redrawn with the new version, may act now
        lead = lc.transition(session, lead_id, "sign", Scope("部门甲", "DEPT_HEAD", SCJG),
                             expected_version=3, at=T0 + dt.timedelta(hours=2))
        assert (lead.version, lead.status) == (4, "已签收")


def test_every_orm_flush_of_a_lead_is_versioned(engine):
    """Two sessions hold the same lead; the first commit wins, the second flush raises StaleDataError."""
    lead_id = _dispatched_lead(engine)
    with Session(engine) as first, Session(engine) as second:
        a, b = first.get(RiskLead, lead_id), second.get(RiskLead, lead_id)
        assert a.version == b.version == 2
        a.supervise_level = "一般督办"
        first.commit()
        b.supervise_level = "挂牌督办"
        with pytest.raises(StaleDataError):
            second.commit()
    assert _state(engine, lead_id) == (3, "已转办", "一般督办", 1)


def _my_diffs(engine: Engine) -> list:
    migrate.upgrade(engine)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    flat = [d for group in diffs for d in (group if isinstance(group, list) else [group])]
    return [d for d in flat if any(getattr(x, "name", None) in MY_TABLES or getattr(getattr(x, "table", None), "name",
                                                                                       None) in MY_TABLES
                                   for x in d if x is not None) or (len(d) > 2 and d[2] in MY_TABLES)]


def test_migration_matches_models_sqlite(tmp_path):
    engine = sqlite_engine(tmp_path / "m.db")
    assert _my_diffs(engine) == []
    engine.dispose()


@pytest.mark.postgres
def test_migration_matches_models_postgres():
    with postgres_database() as url:
        engine = make_engine(url)
        try:
            assert _my_diffs(engine) == []
        finally:
            engine.dispose()
