"""Lead generation on the shared demo warehouse: leads with reasons, evidence and departments; re-runs
update in place (stable ids, no duplicates); the demo history leads are left alone."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from data_access import codes
from data_access.reference import DEPT_CODE_BY_KEY
from data_access.schema import PlantedEvent, RiskLead, RiskLeadEvent
from pipeline.runner import run_steps
from pipeline.steps import STEP_BY_NAME
from risk_models.lead_writer import ENTITY_KINDS

LEAD_STEPS = ("spike_leads", "trend_leads", "entity_leads", "rule_leads")


def _updates(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(RiskLeadEvent).where(RiskLeadEvent.action == "update"))


def _snapshot(engine):
    with engine.connect() as conn:
        return {r.lead_key: (r.lead_id, r.version, r.score) for r in conn.execute(
            select(RiskLead.lead_key, RiskLead.lead_id, RiskLead.version, RiskLead.score))}


@pytest.fixture(scope="module")
def generated(demo_db_path, tmp_path_factory):
    import shutil

    from data_access.db import make_engine

    path = tmp_path_factory.mktemp("leads") / "leads.db"
    shutil.copy(demo_db_path, path)
    engine = make_engine(f"sqlite:///{path}")
    before = _snapshot(engine)
    results = run_steps(engine, [STEP_BY_NAME[s] for s in ("daily_counts", *LEAD_STEPS)])
    assert [r.status for r in results] == ["ok"] * 5, [r.message for r in results]
    first = _snapshot(engine)
    updates = _updates(engine)  # the rule signals merged into the entity leads of the same run
    again = run_steps(engine, [STEP_BY_NAME[s] for s in LEAD_STEPS])
    yield engine, before, first, results, again, updates
    engine.dispose()


def test_steps_run_after_daily_counts():
    names = list(STEP_BY_NAME)
    assert all(names.index(s) > names.index("daily_counts") for s in LEAD_STEPS)


def test_leads_have_reason_evidence_department_and_level(generated):
    from sqlalchemy.orm import Session

    with Session(generated[0]) as session:
        leads = session.scalars(select(RiskLead).where(RiskLead.kind.in_(codes.GENERATED_LEAD_KINDS))).all()
    kinds = {lead.kind for lead in leads}
    # On the last demo day no planted spike or unlicensed operator is recent; see the as-of test below.
    assert {"entity", "credit", "silent_source"} <= kinds
    for lead in leads:
        assert lead.status == "待研判" and lead.level in codes.LEAD_LEVELS
        assert lead.reason and lead.dept_code, lead.lead_key
        assert not re.search(r"\de-?\d|q=", lead.reason), lead.reason  # 约十万分之三, not 3e-5 or q=0.000
        assert 0 <= lead.score <= 1
        assert lead.evidence["episode"]
    entity = next(lead for lead in leads if lead.kind == "entity")
    assert entity.subject_uscc and entity.evidence["entity"]["统一社会信用代码"] == entity.subject_uscc
    # one entity, one open lead: its deterioration, credit and repeat signals are parts of that lead
    on_entities = [lead for lead in leads if lead.kind in ENTITY_KINDS and lead.subject_uscc]
    assert len({lead.subject_uscc for lead in on_entities}) == len(on_entities)
    assert all(lead.lead_key == f"entity:{lead.subject_uscc}" and lead.kind in lead.evidence["signals"]
               for lead in on_entities)


def test_spike_and_unlicensed_signals_as_of_an_earlier_day(generated):
    """As of days inside planted episodes (data up to that day only), the generators raise them. The
    episodes are read from the planted truth here, in the test; the generators never see it."""
    from risk_models.lead_reads import daily_frame
    from risk_models.rules import UnlicensedRule
    from risk_models.spike_leads import city_spikes, spike_signals

    engine = generated[0]
    with engine.connect() as conn:
        truth = PlantedEvent.__table__
        planted = conn.execute(select(truth).where(truth.c.kind == "spike")
                               .order_by(truth.c.magnitude.desc())).all()
        spike_found = []
        for event in planted[:3]:
            as_of = event.end_day
            keys = {s.key: s for s in spike_signals(conn, city_spikes(daily_frame(conn, as_of)), as_of)}
            spike = keys.get(f"spike:{event.region_code}:{event.category_code}")
            spike_found.append(spike is not None)
            if spike is not None:
                assert "投诉" in spike.reason and "预测上限" in spike.reason and spike.dept_code
                assert spike.evidence["series"]
                assert {"day", "n", "expected", "upper", "alarm"} <= set(spike.evidence["series"][-1])
                assert spike.evidence["complaints"]
                assert event.start_day <= spike.evidence["signal"]["first_alarm_day"] <= event.end_day
                # the reason names the numbers the lead page's chart draws on the peak day
                peak = next(p for p in spike.evidence["series"] if p["day"] == spike.evidence["signal"]["peak_day"])
                assert f"当日{peak['n']}件，为预测上限（{peak['upper']:.1f}件）的{peak['n'] / peak['upper']:.1f}倍" \
                    in spike.reason, (spike.reason, peak)
        assert sum(spike_found) >= 2, spike_found

        operators = conn.execute(select(truth).where(truth.c.kind == "unlicensed_operator")).all()
        raised = [any(op.name in s.reason and s.dept_code == DEPT_CODE_BY_KEY["SCJG"]
                      for s in UnlicensedRule().signals(conn, op.end_day)) for op in operators]
    assert sum(raised) >= len(operators) // 2, raised


def test_rerun_creates_no_duplicates_and_keeps_ids(generated):
    engine, _, first, _, again, updates = generated
    assert [r.status for r in again] == ["ok"] * 4
    assert all(r.rows_written == 0 for r in again), [(r.step, r.rows_written) for r in again]
    assert _snapshot(engine) == first
    assert _updates(engine) == updates  # the re-run updated nothing


def test_demo_history_leads_untouched(generated):
    _, before, first, *_ = generated
    assert {k: v for k, v in first.items() if k in before} == before
