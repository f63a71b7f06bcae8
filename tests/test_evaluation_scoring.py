"""Scoring and ranking: ties, missing data, capping, persistence colours, weights TOML, saving rights,
and the planted slow departments of the demo ranking near the bottom on timeliness."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access import queries_evaluation
from data_access.schema import AuditLog, PlantedEvent
from data_access.scope import SYSTEM, Scope
from evaluation import evidence, indicators, scoring
from evaluation.scoring import WeightsError

C = "COUNTY"
A, B, D, E = "410202", "410203", "410204", "410205"
ONE_TWO = {C: {"hotline_sign_ontime": 1, "hotline_finish_ontime": 1},
           "DEPARTMENT": {"hotline_sign_ontime": 1}}


def frame(rows: list[tuple]) -> pd.DataFrame:
    """rows of (month, unit, indicator, value) in the COUNTY group; numerator/denominator as value/1."""
    df = pd.DataFrame(rows, columns=["month", "unit_code", "indicator_key", "value"])
    return df.assign(unit_group=C, numerator=df["value"], denominator=1.0)


def config(**kw) -> scoring.ScoringConfig:
    return scoring.ScoringConfig(weights=ONE_TWO, **kw)


def test_ties_share_the_best_rank_and_units_without_data_are_unranked():
    values = frame([("2026-03", A, "hotline_sign_ontime", 0.95), ("2026-03", B, "hotline_sign_ontime", 0.90),
                    ("2026-03", D, "hotline_sign_ontime", 0.90), ("2026-03", E, "hotline_sign_ontime", 0.80)])
    r = scoring.rank_units(values, config(), C).set_index("unit_code")
    assert r.loc[[A, B, D, E], "rank"].tolist() == [1, 2, 2, 4]
    assert r.loc[A, "score"] == 100.0
    assert r.loc[B, "score"] == r.loc[D, "score"] == round(100 * 0.90 / 0.95, 1)
    others = r.drop(index=[A, B, D, E])
    assert len(others) == 6 and others["rank"].isna().all() and (others["status_name"] == "无数据").all()
    assert others["score"].isna().all()  # no data is not a score of 0


def test_missing_indicator_renormalises_the_weights():
    values = frame([("2026-03", A, "hotline_sign_ontime", 0.95), ("2026-03", A, "hotline_finish_ontime", 0.76),
                    ("2026-03", B, "hotline_sign_ontime", 0.76)])
    r = scoring.rank_units(values, config(), C).set_index("unit_code")
    assert r.loc[A, "score"] == 90.0  # (1.0 + 0.8) / 2
    assert r.loc[B, "score"] == 80.0  # 0.8 over the one indicator B has, not (0.8 + 0) / 2
    assert r.loc[A, "indicators"] == 2 and r.loc[B, "indicators"] == 1


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("hotline_sign_ontime", 0.95, 1.0),
    ("hotline_sign_ontime", 0.475, 0.5),
    ("hotline_sign_ontime", 1.0, 1.0 / 0.95),
    ("hotline_repeat", 0.10, 1.0),  # lower is better: target ÷ actual
    ("hotline_repeat", 0.20, 0.5),
    ("hotline_repeat", 0.05, 1.2),  # 2.0 capped at 1.2
    ("hotline_repeat", 0.0, 1.2),  # zero repeats: the cap, not a division error
])
def test_indicator_score_is_actual_over_target_capped(key, value, expected):
    got = scoring.indicator_scores(frame([("2026-03", A, key, value)]), config())
    assert got["score"].iloc[0] == pytest.approx(expected)


def test_targets_in_the_config_override_the_library_default():
    values = frame([("2026-03", A, "hotline_sign_ontime", 0.8)])
    got = scoring.indicator_scores(values, config(targets={"hotline_sign_ontime": 0.8}))
    assert got["score"].iloc[0] == pytest.approx(1.0)


FIVE = ("hotline_sign_ontime", "hotline_finish_ontime", "hotline_satisfaction", "hotline_resolution",
        "urban_close_ontime")
MONTHS = ("2026-01", "2026-02", "2026-03")


def counted(unit: str, rates: dict[str, tuple[float, ...]], cases: int = 100, keys=FIVE) -> list[dict]:
    """Three months of ``keys`` for ``unit`` with real counts: ``rates[key]`` per month, else on target."""
    rows = []
    for i, month in enumerate(MONTHS):
        for key in keys:
            rate = rates.get(key, (indicators.INDICATOR_BY_KEY[key].target,) * 3)[i]
            rows.append({"month": month, "unit_code": unit, "indicator_key": key, "unit_group": C,
                         "numerator": round(rate * cases), "denominator": float(cases), "value": round(rate * cases) / cases})
    return rows


def test_warnings_need_material_persistent_evidence():
    """黄 for one indicator whose pooled Wilson interval (the months up to EVIDENCE_MONTHS) lies wholly 10 % below
    target, 红 for two; a
    shortfall on few cases or a one-month dip is no evidence; too few indicators is 参评不足, unranked."""
    values = pd.DataFrame(
        counted(A, {"hotline_sign_ontime": (0.5, 0.5, 0.5)})  # 150/300: upper bound 0.556 < 0.855 (the 0.95 target less 10 %)
        + counted(B, {"hotline_sign_ontime": (0.5, 0.5, 0.5), "hotline_finish_ontime": (0.6, 0.6, 0.6)})
        + counted(D, {"hotline_sign_ontime": (0.8, 0.8, 0.8)}, cases=10)  # 24/30: upper bound 0.905, no evidence
        + counted(E, {"hotline_sign_ontime": (0.95, 0.95, 0.75)})  # a dip: 265/300, upper bound 0.915
        + counted("410212", {}, keys=FIVE[:1]))  # one indicator of five
    cfg = scoring.ScoringConfig(weights={C: dict.fromkeys(FIVE, 1), "DEPARTMENT": {"hotline_sign_ontime": 1}})
    r = scoring.rank_units(values, cfg, C).set_index(["month", "unit_code"]).loc["2026-03"]
    assert r.loc[A, "status"] == "yellow" and r.loc[A, "shortfalls"] == 1
    assert r.loc[B, "status"] == "red" and r.loc[B, "shortfalls"] == 2
    assert r.loc[D, "score"] < 100 and r.loc[D, "status"] == "green"
    assert r.loc[E, "score"] < 100 and r.loc[E, "status"] == "green"
    assert r.loc["410212", "status_name"] == "参评不足" and pd.isna(r.loc["410212", "rank"])
    assert r.loc[[A, B, D, E], "rank"].notna().all()
    lo, hi = evidence.wilson([150], [300])
    assert hi[0] == pytest.approx(0.5562, abs=1e-4) and lo[0] == pytest.approx(0.4438, abs=1e-4)
    # the first month has only itself as evidence: 50/100, upper bound 0.596, already material
    first = scoring.rank_units(values, cfg, C).set_index(["month", "unit_code"]).loc["2026-01"]
    assert first.loc[A, "status"] == "yellow"
    assert evidence.min_indicators(len(FIVE)) == 2 and "参评不足" in scoring.status_rule()


def test_rank_change_against_the_previous_month():
    sign = "hotline_sign_ontime"
    values = frame([("2026-02", A, sign, 0.8), ("2026-02", B, sign, 0.9),
                    ("2026-03", A, sign, 0.95), ("2026-03", B, sign, 0.9), ("2026-03", D, sign, 0.7)])
    r = scoring.rank_units(values, config(), C).set_index(["month", "unit_code"])
    assert r.loc[("2026-03", A), "rank_change"] == 1  # 2nd → 1st
    assert r.loc[("2026-03", B), "rank_change"] == -1
    assert pd.isna(r.loc[("2026-03", D), "rank_change"])  # new this month


def test_city_reference_uses_the_median_and_the_pooled_rate():
    values = pd.DataFrame({"month": "2026-03", "unit_group": C, "indicator_key": "hotline_sign_ontime",
                           "unit_code": [A, B, D], "numerator": [1.0, 9.0, 90.0], "denominator": [1.0, 10.0, 100.0]})
    values["value"] = values.numerator / values.denominator
    ref = scoring.city_reference(values).iloc[0]
    assert ref["median"] == pytest.approx(0.9)
    assert ref["pooled"] == pytest.approx(100 / 111)
    assert ref["units"] == 3


def test_default_weights_file_is_valid_and_round_trips():
    cfg = scoring.default_config()
    assert set(cfg.weights) == set(indicators.UNITS)
    assert scoring.parse_config(scoring.dump_config(cfg)) == cfg


VALID = scoring.DEFAULT_WEIGHTS_PATH.read_text(encoding="utf-8")


@pytest.mark.parametrize(("text", "message"), [
    ("[scoring\ncap = 1", "有效的 TOML"),
    (VALID + "\n[extra]\nx = 1\n", "未知的配置段"),
    (VALID.replace("hotline_return = 5", "hotline_returns = 5", 1), "未知的指标 'hotline_returns'"),
    (VALID.replace("hotline_return = 5", "hotline_return = -5", 1), "非负数"),
    (VALID.replace("hotline_return = 5", 'hotline_return = "5"', 1), "非负数"),
    (VALID.replace("[weights.COUNTY]", "[weights.COUNTY]\nitem_claim_rate = 5", 1), "不适用于分组 COUNTY"),
    (VALID.replace("[weights.DEPARTMENT]", "[weights.DISTRICT]", 1), "缺少分组 DEPARTMENT"),
    (VALID.replace("cap = 1.2", "cap = 0.5", 1), "cap"),
    (VALID.replace("\n[targets]", "\n[targets]\nhotline_satisfaction = 90", 1), "(0, 1]"),
    ("[scoring]\ncap = 1.2\n", "缺少"),
])
def test_invalid_weights_are_refused_with_a_clear_message(text, message):
    with pytest.raises(WeightsError, match=re.escape(message)):
        scoring.parse_config(text)


def test_all_zero_weights_in_a_group_are_refused():
    with pytest.raises(WeightsError, match="至少需要一个正权重"):
        scoring.default_config().with_weights(C, {"hotline_sign_ontime": 0})


def test_only_a_system_administrator_saves_weights_and_the_save_is_audited(demo_engine_copy):
    new = scoring.default_config().with_weights(C, {"hotline_sign_ontime": 3, "hotline_satisfaction": 1})
    with Session(demo_engine_copy) as session, session.begin():
        for role, dept in (("ANALYST", None), ("LEADER", None), ("DEPT_HEAD", "x")):
            with pytest.raises(PermissionError):
                scoring.save_config(session, Scope(user="u", role=role, dept_code=dept), new)
        assert queries_evaluation.stored_weights_text(session) is None
        assert scoring.load_config(session) == scoring.default_config()
        scoring.save_config(session, Scope(user="admin", role="SYS_ADMIN"), new)
    with Session(demo_engine_copy) as session:
        assert scoring.load_config(session) == new
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "evaluation.weights.save")).all()
        assert [a.actor for a in audit] == ["admin"]


def test_planted_slow_departments_rank_near_the_bottom_on_timeliness(demo_engine_copy):
    """The demo plants departments that sign late, miss deadlines and upload inspections late; over the
    last 12 months, ranking on timeliness alone must put each in the bottom five of ranked departments."""
    with demo_engine_copy.begin() as conn:
        indicators.rebuild(conn)
    with Session(demo_engine_copy) as session:
        slow = session.scalars(select(PlantedEvent.dept_code).where(PlantedEvent.kind == "slow_department")).all()
        months = queries_evaluation.indicator_months(session)
        values = queries_evaluation.indicator_values(session, SYSTEM, first=months[-12], last=months[-1])
    assert slow
    timeliness = scoring.default_config().with_weights(
        "DEPARTMENT", {"hotline_sign_ontime": 1, "hotline_finish_ontime": 1, "inspection_timely": 1})
    ranking = scoring.rank_units(scoring.pool_months(values, months[-1]), timeliness, "DEPARTMENT")
    ranked = ranking.dropna(subset=["rank"])
    bottom = set(ranked.nlargest(5, "rank")["unit_code"])
    assert set(slow) <= bottom, ranked[["unit_name", "score", "rank"]].to_string()
    # and month by month they sit in the bottom third on average
    monthly = scoring.rank_units(values, timeliness, "DEPARTMENT").dropna(subset=["rank"])
    share = monthly.assign(pos=monthly["rank"] / monthly.groupby("month")["rank"].transform("max"))
    assert share[share.unit_code.isin(slow)].groupby("unit_code")["pos"].mean().min() > 2 / 3


def test_warnings_find_the_planted_slow_departments_and_spare_the_others(demo_engine_copy):
    """The warning rule against the demo's planted truth over the last 12 complete months (the backtest's
    ``ranking_warnings``): on the test demo (scale 0.01) the slow department with 12345 orders is warned
    (the other has only inspection uploads, too few cases at this scale), and unplanted units are red in
    at most one unit-month a month on average (measured 1 in 12 months)."""
    import datetime as dt

    from risk_models import backtest

    with demo_engine_copy.begin() as conn:
        indicators.rebuild(conn)
    with demo_engine_copy.connect() as conn:
        found = backtest.ranking_warnings(conn, backtest._planted(conn), dt.date(2026, 6, 30))
    assert found["planted_units"] == 2 and found["planted_warned"] >= 1
    assert found["unplanted_red_per_month"] <= 1
