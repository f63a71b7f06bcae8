"""The review gate (selective routing): thresholds from held-out probabilities, unfamiliar messages, curve storage."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.stats import beta
from sqlalchemy import insert
from sqlalchemy.orm import Session

from data_access import queries_model_cards
from data_access.schema import Base, ModelBacktest
from tests.db_fixtures import sqlite_engine
from text_mining.classifier import ComplaintClassifier
from text_mining.review import REVIEW_REASONS, ReviewGate, choose_threshold, curve_rows


def _data(n=600, seed=0):
    """Two classes on two blocks of features; held-out probabilities that are right more often when confident."""
    rng = np.random.default_rng(seed)
    y = np.where(np.arange(n) % 2 == 0, "a", "b")
    X = np.zeros((n, 20))
    X[y == "a", :10] = rng.random(((y == "a").sum(), 10))
    X[y == "b", 10:] = rng.random(((y == "b").sum(), 10))
    confidence = rng.uniform(0.5, 1.0, n)
    correct = rng.random(n) < confidence  # calibrated: right with probability = confidence
    p_a = np.where((y == "a") == correct, confidence, 1 - confidence)
    return sparse.csr_matrix(X), np.column_stack([p_a, 1 - p_a]), y


def test_threshold_reaches_the_declared_accuracy_on_held_out_predictions():
    X, proba, y = _data()
    plain = ReviewGate(target_accuracy=0.9, confidence_level=0, n_components=5).fit(X, proba, y, np.array(["a", "b"]))
    curve = plain.curve_
    above = curve[curve["threshold"] >= plain.confidence_threshold_].dropna()
    assert (above["accuracy"] >= 0.9).all() and 0.5 < plain.confidence_threshold_ < 1.0
    lower = curve[curve["threshold"] < plain.confidence_threshold_].dropna()
    assert (lower["accuracy"] < 0.9).any()  # the lowest threshold that works, not any
    assert curve["coverage"].is_monotonic_decreasing
    # The shipped gate asks the 95 % lower bound of that accuracy to reach the target: a higher threshold.
    gate = ReviewGate(target_accuracy=0.9, n_components=5).fit(X, proba, y, np.array(["a", "b"]))
    assert gate.confidence_level == 0.95 and gate.confidence_threshold_ > plain.confidence_threshold_
    point = curve[curve["threshold"] == gate.confidence_threshold_].iloc[0]
    k = round(point["accuracy"] * point["routed"])
    assert beta.ppf(0.05, k, point["routed"] - k + 1) >= 0.9
    decided = gate.decide(proba, X)
    assert decided["needs_review"].to_numpy().tolist() == (
        (decided["confidence"] < gate.confidence_threshold_) | (decided["novelty"] > gate.novelty_cutoff_)).tolist()


def test_bound_needs_enough_routed_messages_to_promise_the_target():
    """With every routed message right, the Clopper-Pearson bound at 95 % is 0.05 ** (1 / n): 100 right answers
    do not show 0.98 (bound 0.971), 200 do (0.985), and then every message is routed (the lowest threshold)."""
    for n, expected in ((100, 1.0), (200, 0.3)):
        confidence = np.full(n, 0.95)
        assert choose_threshold(confidence, np.ones(n, bool), np.ones(n, bool), 0.98, 0.95) == expected
        assert choose_threshold(confidence, np.ones(n, bool), np.ones(n, bool), 0.98, 0) == 0.3  # the accuracy alone


def test_bound_rule_takes_the_lowest_threshold_whose_routed_messages_show_the_target():
    """Few messages at the top cannot show the target; they do not veto a lower threshold whose routed messages
    (all above it) do, and the lowest such threshold is taken even below one that fails."""
    confidence = np.r_[np.full(5, 0.99), np.full(1000, 0.9), np.full(500, 0.7), np.full(10_000, 0.5)]
    correct = np.r_[[True, True, True, True, False], np.ones(1000, bool), np.arange(500) % 5 != 0, np.ones(10_000, bool)]
    familiar = np.ones(len(confidence), bool)
    # 0.98 ... 0.92: 5 messages, 1 wrong; 0.90 ... 0.72: 1,004 of 1,005 right; 0.70 ... 0.52: 1,404 of 1,505
    # (0.933); 0.50 and below: 11,404 of 11,505 (0.991)
    assert choose_threshold(confidence, correct, familiar, 0.98, 0.95) == 0.3
    assert choose_threshold(confidence, correct, familiar, 0.98, 0.95, grid=np.array([0.6, 0.8])) == 0.8
    assert choose_threshold(confidence, correct, familiar, 0.98, 0.95, grid=np.array([0.6, 0.99])) == 1.0  # none
    # messages out of scope are never routed, so they do not count
    assert choose_threshold(confidence, ~correct, ~familiar, 0.98, 0.95) == 1.0


@pytest.mark.parametrize("space", ["svd", "tfidf"])
def test_out_of_scope_needs_both_doubt_and_distance(space):
    """Novelty combines a lowish top probability with distance from the training messages: of two messages
    with the same probability, above the confidence threshold, the one unlike every training message goes to
    review as out of scope, the ordinary one is routed."""
    X, proba, y = _data()
    gate = ReviewGate(target_accuracy=0.5, n_components=5, space=space).fit(X, proba, y, np.array(["a", "b"]))
    odd = sparse.csr_matrix(np.r_[np.ones(5), -np.ones(15)][None, :])  # unlike both blocks
    doubt = np.array([[0.53, 0.47]])
    assert gate.confidence_threshold_ <= 0.53
    out = gate.decide(doubt, odd)
    assert out.loc[0, "needs_review"] and out.loc[0, "review_reason"] == "unfamiliar"
    assert REVIEW_REASONS["unfamiliar"] == "超出已知类别"
    familiar = gate.decide(doubt, X[:1])
    assert not familiar.loc[0, "needs_review"] and familiar.loc[0, "review_reason"] == ""
    assert out.loc[0, "novelty"] > familiar.loc[0, "novelty"]
    assert ((gate.decide(proba, X)["review_reason"] == "unfamiliar").mean()
            == pytest.approx(gate.novelty_quantile, abs=0.02))  # the declared share of held-out messages


def test_classifier_routes_with_review():
    X = pd.DataFrame({"title": ["饭店卫生差", "拖欠工资", "饭店食物中毒", "工地欠薪", "饭店油烟", "老板欠薪"] * 4,
                      "body": ["饭店后厨脏乱", "老板拖欠工资三个月", "吃完饭店的菜食物中毒", "工地欠薪不给",
                               "饭店油烟扰民", "老板拖欠员工工资"] * 4})
    y = ["商贸旅游", "劳动和社会保障"] * 12
    clf = ComplaintClassifier(min_df=1, calibration_cv=2).fit(X, y)
    out = clf.predict_with_review(pd.DataFrame({"title": ["老板拖欠工资", "股票基金账户被冻结", None, " "],
                                                "body": ["", "", None, ""]}))
    assert list(out.columns) == ["label", "confidence", "similarity", "novelty", "needs_review", "review_reason"]
    assert out.loc[0, "label"] == "劳动和社会保障"
    assert out.loc[1, "needs_review"] and out.loc[1, "review_reason"] == "unfamiliar"
    assert out.loc[0, "similarity"] > out.loc[1, "similarity"]
    # Messages without text (the real file has 4, all labelled, two predicted at 0.94) are never routed.
    assert out.loc[2:, "needs_review"].all() and (out.loc[2:, "review_reason"] == "no_text").all()
    assert REVIEW_REASONS["no_text"] == "无可分类文本"


def test_curve_is_stored_and_read_back(tmp_path):
    X, proba, y = _data()
    gate = ReviewGate(target_accuracy=0.9, n_components=5).fit(X, proba, y, np.array(["a", "b"]))
    engine = sqlite_engine(tmp_path / "w.db")
    Base.metadata.create_all(engine)
    for run, at in (("old", dt.datetime(2026, 1, 1)), ("new", dt.datetime(2026, 2, 1))):
        with engine.begin() as conn:
            conn.execute(insert(ModelBacktest), [{"run_id": run, "run_at": at, "model": "工单分类与分拨", "dataset": "d",
                                                  **row} for row in curve_rows(gate.curve_, gate.confidence_threshold_, 0.9, 0.95)])
    with Session(engine) as session:
        curve = queries_model_cards.review_curve(session)
    expected = gate.curve_.dropna(subset=["accuracy"])
    assert len(curve) == len(expected) and (curve["run_at"] == dt.datetime(2026, 2, 1)).all()  # latest run only
    assert np.allclose(curve["coverage"], expected["coverage"]) and np.allclose(curve["accuracy"], expected["accuracy"])
    assert curve["n"].tolist() == expected["routed"].tolist()
    engine.dispose()
