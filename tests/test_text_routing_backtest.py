"""The routing backtest on labelled messages: held-out split, curve, storage for 模型卡 via ``bianjian eval routing``."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from click.testing import CliRunner
from sqlalchemy.orm import Session

from data_access import db, queries_model_cards
from data_access.schema import Base
from tests.db_fixtures import sqlite_engine
from text_mining.routing_backtest import MODEL_NAME, held_out_split

WORDS = {"城乡建设": "小区 物业 道路 施工 违建 电梯 下水道 路灯", "劳动和社会保障": "工资 拖欠 社保 养老 合同 工伤 加班 辞退",
         "教育文体": "学校 老师 学生 补课 幼儿园 招生 学费 课本", "商贸旅游": "超市 商场 价格 饭店 景区 门票 假货 退款"}
COMMON = "反映 希望 尽快 解决 我们 问题 相关 部门".split()


def _labelled(n_per_class: int = 50, seed: int = 0) -> pd.DataFrame:
    """Messages built from each category's words plus common words and a few words of another category (so
    some are hard); every tenth message repeated verbatim (a duplicate group)."""
    rng = np.random.default_rng(seed)
    rows = []
    labels = list(WORDS)
    for label in labels:
        own = WORDS[label].split()
        for _ in range(n_per_class):
            other = WORDS[labels[rng.integers(len(labels))]].split()
            n_own = 1 if rng.random() < 0.1 else 3  # one message in ten has more words of another category
            words = list(rng.choice(own, n_own)) + list(rng.choice(other, 5 - n_own)) + list(rng.choice(COMMON, 3))
            title, body = "".join(words[:3]), "，".join(words[3:])
            rows.append({"title": title, "body": body, "label": label, "text_tokens": " ".join(words)})
    df = pd.DataFrame(rows)
    return pd.concat([df, df.iloc[::10]], ignore_index=True)


def test_held_out_split_keeps_duplicates_together():
    df = _labelled()
    train, test = held_out_split(df)
    assert len(set(train) & set(test)) == 0 and len(train) + len(test) == len(df)
    assert not set(df["text_tokens"].iloc[train]) & set(df["text_tokens"].iloc[test])
    assert 0.15 < len(test) / len(df) < 0.25
    tests = [held_out_split(df, fold)[1] for fold in range(5)]  # the five held-out parts cover the file once
    assert sorted(np.concatenate(tests).tolist()) == list(range(len(df))) and (tests[0] == test).all()


def test_eval_routing_stores_the_held_out_curve_for_the_model_card(tmp_path, monkeypatch):
    from bianjian_cli import cli

    data = tmp_path / "data"
    (data / "gov_messages").mkdir(parents=True)
    # enough messages for the gate to show 0.98 with 95 % confidence (>= 149 right answers routed)
    _labelled(150).to_csv(data / "gov_messages" / "messages_labeled_train.csv", index=False)
    engine = sqlite_engine(tmp_path / "w.db")
    Base.metadata.create_all(engine)
    monkeypatch.setenv("BIANJIAN_DATABASE_URL", str(engine.url))
    db.engine.cache_clear()
    try:
        out = CliRunner().invoke(cli, ["eval", "routing", "--json", "--data", str(data), "--folds", "2"])
        missing = CliRunner().invoke(cli, ["eval", "routing", "--data", str(tmp_path / "none")])
    finally:
        db.engine.cache_clear()
    assert out.exit_code == 0, out.output
    assert missing.exit_code != 0 and "not found" in missing.output
    result = json.loads(out.output)
    assert result["n_train"] + result["n_test"] == len(_labelled(150)) and "分组留出第0折" in result["dataset"]
    with Session(engine) as session:
        curve = queries_model_cards.review_curve(session)
        stored = queries_model_cards.backtest_results(session)
    curve = curve[curve["model"] == MODEL_NAME]
    assert len(curve) > 0 and (curve["dataset"] == result["dataset"]).all()
    assert curve["coverage"].is_monotonic_decreasing and curve["accuracy"].between(0, 1).all()
    # the point at the gate's threshold is the share and accuracy the command reports
    point = curve[np.isclose(curve["threshold"], result["threshold"])]
    assert 0 < result["routed_share"] < 1 and result["accuracy"] < 1  # the synthetic messages are not all easy
    assert point["coverage"].iat[0] == result["routed_share"] and point["accuracy"].iat[0] == result["routed_accuracy"]
    summary = stored[(stored["model"] == MODEL_NAME) & ~stored["metric"].str.contains("@")]
    assert {"review_threshold", "accuracy", "macro_f1"} <= set(summary["metric"])
    # the gate on each measured held-out fold, each with its own model: fold 0 is the run above
    assert [f["fold"] for f in result["folds"]] == [0, 1]
    assert result["folds"][0]["routed_share"] == result["routed_share"] and result["confidence_level"] == 0.95
    shares = summary[summary["metric"] == "fold_routed_share"]
    assert shares["value"].tolist() == [f["routed_share"] for f in result["folds"]]
    assert shares["note"].str.contains("分组留出第1折").any()
    engine.dispose()
