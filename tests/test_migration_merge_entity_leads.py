"""Migration 0016 merges the open leads of one market entity written before one-lead-per-entity
(``credit:<uscc>``, ``repeat:<uscc>`` beside ``entity:<uscc>``) into the one ``entity:<uscc>`` lead the writer
keeps today, keeping every event, the dispatch and the feedback, on SQLite and PostgreSQL; a second run changes
nothing; the writer then updates the merged lead instead of opening another."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, insert, select

from data_access import migrate
from data_access.db import make_engine
from data_access.tables import derived_risk_lead, derived_risk_lead_event
from risk_models.lead_writer import LeadWriter, Signal
from tests.db_fixtures import postgres_database, sqlite_engine

T0 = dt.datetime(2026, 11, 1, 9, 0)
A, B, C, D, E = (f"91410200MA4{c * 7}" for c in "ABCDE")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    """A warehouse at revision 0015 (before the merge)."""
    if request.param == "sqlite":
        engine = sqlite_engine(tmp_path / "w.db")
        migrate.upgrade(engine, "0015")
        yield engine
        engine.dispose()
        return
    with postgres_database() as url:
        engine = make_engine(url)
        migrate.upgrade(engine, "0015")
        yield engine
        engine.dispose()


def _lead(key: str, kind: str, uscc: str | None, *, status: str = "待研判", level: str = "YELLOW", days: int = 0,
          evidence: dict | None = None, **extra) -> dict:
    at = T0 + dt.timedelta(days=days)
    return {"lead_key": key, "kind": kind, "level": level, "score": 0.5, "title": f"{kind}标题", "reason": f"{kind}理由",
            "evidence": evidence if evidence is not None else {"episode": "2026-10", "signal": {"rule": kind}},
            "region_code": "410204", "subject_uscc": uscc, "dept_code": "SCJG", "status": status, "created_at": at,
            "updated_at": at, "version": 1, **extra}


def _insert(conn, row: dict) -> int:
    lead_id = conn.execute(insert(derived_risk_lead).values(**row)).inserted_primary_key[0]
    conn.execute(insert(derived_risk_lead_event).values(lead_id=lead_id, from_status=None, to_status="待研判",
                                                        actor="风险线索模型", at=row["created_at"], note="生成"))
    return lead_id


def _leads(conn) -> dict[int, dict]:
    return {r["lead_id"]: dict(r) for r in conn.execute(select(derived_risk_lead)).mappings()}


def _events(conn) -> list[tuple]:
    return sorted(conn.execute(select(derived_risk_lead_event.c.lead_id, derived_risk_lead_event.c.action,
                                      derived_risk_lead_event.c.note)).all(), key=str)


def _seed(engine) -> dict[str, int]:
    with engine.begin() as conn:
        ids = {
            # A: two leads waiting for triage; the older stays, the red entity signal sets level and title
            "a_credit": _insert(conn, _lead(f"credit:{A}", "credit", A)),
            "a_entity": _insert(conn, _lead(f"entity:{A}", "entity", A, level="RED", days=1,
                                            evidence={"episode": "2026-10-20", "tier": "early",
                                                      "signal": {"recent": 2}, "entity": {"名称": "甲"}})),
            # B: a repeat lead being checked by a department, and a newer entity lead nobody dispatched
            "b_repeat": _insert(conn, _lead(f"repeat:{B}", "repeat", B, status="核查中", days=2,
                                            dispatched_at=T0 + dt.timedelta(days=3),
                                            handle_deadline=T0 + dt.timedelta(days=20))),
            "b_entity": _insert(conn, _lead(f"entity:{B}", "entity", B, level="RED", days=5)),
            # C: an open credit lead older than a closed entity lead of the same entity
            "c_credit": _insert(conn, _lead(f"credit:{C}", "credit", C, days=1)),
            "c_closed": _insert(conn, _lead(f"entity:{C}", "entity", C, status="已办结", days=2, feedback_result="属实",
                                            feedback_at=T0 + dt.timedelta(days=9), closed_at=T0 + dt.timedelta(days=9))),
            # untouched: one entity lead already keyed as today; a county × category repeat lead; a closed
            # credit lead beside an open entity lead
            "d_entity": _insert(conn, _lead(f"entity:{D}", "entity", D)),
            "county_repeat": _insert(conn, _lead("repeat:410204:HC39", "repeat", None)),
            "e_closed": _insert(conn, _lead(f"credit:{E}", "credit", E, status="误报", closed_at=T0)),
            "e_entity": _insert(conn, _lead(f"entity:{E}", "entity", E, days=1)),
        }
    return ids


def test_duplicate_open_leads_of_one_entity_become_its_one_entity_lead(engine):
    ids = _seed(engine)
    with engine.connect() as conn:
        before = _leads(conn)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        after, events = _leads(conn), _events(conn)

    a = after[ids["a_credit"]]  # both 待研判: the older stays and takes the key; the other is merged into it
    assert ids["a_entity"] not in after
    assert (a["lead_key"], a["kind"], a["level"], a["title"]) == (f"entity:{A}", "entity", "RED", "entity标题")
    assert list(a["evidence"]["signals"]) == ["entity", "credit"]
    assert a["evidence"]["signals"]["entity"]["tier"] == "early" and a["evidence"]["entity"] == {"名称": "甲"}
    assert a["reason"] == "entity理由；credit理由" and a["version"] == 2
    a_events = [e for e in events if e.lead_id == ids["a_credit"]]
    assert [e.action for e in a_events].count("merge") == 1 and len(a_events) == 3  # both timelines + 合并

    b = after[ids["b_repeat"]]  # the lead a department is checking stays, with its dispatch and level
    assert ids["b_entity"] not in after
    assert (b["lead_key"], b["status"], b["level"], b["title"]) == (f"entity:{B}", "核查中", "YELLOW", "repeat标题")
    assert (b["dispatched_at"], b["handle_deadline"]) == (T0 + dt.timedelta(days=3), T0 + dt.timedelta(days=20))
    assert list(b["evidence"]["signals"]) == ["entity", "repeat"]
    with engine.connect() as conn:
        detail = conn.scalar(select(derived_risk_lead_event.c.detail).where(
            derived_risk_lead_event.c.lead_id == ids["b_repeat"], derived_risk_lead_event.c.action == "merge"))
    (snapshot,) = detail["merged"]  # the merged lead's whole row
    assert (snapshot["lead_id"], snapshot["lead_key"], snapshot["level"]) == (ids["b_entity"], f"entity:{B}", "RED")

    assert after[ids["c_credit"]]["lead_key"] == f"entity:{C}#2"  # after the closed entity:<uscc> lead
    assert after[ids["c_closed"]] == before[ids["c_closed"]]
    for untouched in ("d_entity", "county_repeat", "e_closed", "e_entity"):
        assert after[ids[untouched]] == before[ids[untouched]]
    assert len(events) == len(before) + 2  # every event kept, one 合并 event per entity merged


def test_the_merge_is_idempotent(engine):
    _seed(engine)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        once = (_leads(conn), _events(conn))
    migrate.downgrade(engine, "0015")  # the downgrade leaves the rows as they are
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert (_leads(conn), _events(conn)) == once


def test_the_writer_updates_the_merged_lead_instead_of_opening_another(engine):
    """C's open lead (id lower than its closed entity lead) is the one a new credit signal updates."""
    ids = _seed(engine)
    migrate.upgrade(engine)
    signal = Signal(key=f"credit:{C}", kind="credit", score=0.7, title="credit新标题", reason="新理由",
                    episode="2026-11", region_code="410204", subject_uscc=C, dept_code="SCJG",
                    evidence={"signal": {"rule": "credit"}})
    with engine.begin() as conn:
        assert LeadWriter(precisions={}).write(conn, [signal], now=T0 + dt.timedelta(days=30)) == 1
        assert conn.scalar(select(func.count()).select_from(derived_risk_lead)
                           .where(derived_risk_lead.c.subject_uscc == C)) == 2
        lead = conn.execute(select(derived_risk_lead).where(derived_risk_lead.c.lead_id == ids["c_credit"])).one()
    assert (lead.reason, lead.version) == ("新理由", 3)
