"""Hot words per period x group and emerging-term bursts."""

from __future__ import annotations

import pandas as pd
import pytest

from text_mining.hotwords import boilerplate_terms, hot_words, term_counts, textrank_scores, topical_tokens


def _messages():
    rows = []
    for month in ["2024-01", "2024-02", "2024-03"]:
        for i in range(6):
            rows.append({"district": "鼓楼区", "month": month, "text": f"马道街路灯不亮，夜里很黑 {i}"})
            rows.append({"district": "龙亭区", "month": month, "text": "社保卡补办咨询办理流程"})
    for _ in range(5):
        rows.append({"district": "鼓楼区", "month": "2024-04", "text": "马道街饭店食物中毒，多人送医"})
        rows.append({"district": "鼓楼区", "month": "2024-04", "text": "马道街路灯不亮"})
        rows.append({"district": "龙亭区", "month": "2024-04", "text": "社保卡补办咨询"})
    return pd.DataFrame(rows)


def test_hot_words_columns_and_top_terms():
    out = hot_words(_messages(), group_cols=["district"], period_col="month", top_k=3)
    assert list(out.columns) == [
        "district",
        "period",
        "term",
        "weight",
        "doc_count",
        "n_docs",
        "burst_ratio",
        "is_emerging",
    ]
    jan = out[(out["district"] == "鼓楼区") & (out["period"] == "2024-01")]
    assert {"路灯", "马道街"} & set(jan["term"])
    assert len(jan) <= 3
    assert (out.groupby(["district", "period"])["weight"].apply(lambda w: w.is_monotonic_decreasing)).all()


def test_emerging_term_detected_only_after_baseline():
    out = hot_words(
        _messages(), group_cols=["district"], period_col="month", top_k=10, min_burst=3, min_count=3
    )
    emerging = out[out["is_emerging"]]
    assert "食物中毒" in set(emerging.loc[emerging["district"] == "鼓楼区", "term"])
    assert set(emerging["period"]) == {"2024-04"}
    assert not out.loc[out["period"] == "2024-01", "is_emerging"].any()  # no baseline yet
    steady = out[(out["district"] == "龙亭区") & (out["term"] == "社保卡")]
    assert (steady["burst_ratio"] < 2).all()


def test_hot_words_datetime_with_freq_and_tokens_col():
    df = pd.DataFrame(
        {
            "time": pd.to_datetime(["2024-01-03", "2024-01-20", "2024-02-02"]),
            "tokens": ["路灯 不亮", ["路灯", "维修"], "噪音 扰民"],
        }
    )
    out = hot_words(df, period_col="time", freq="M", tokens_col="tokens")
    assert set(out["period"].astype(str)) == {"2024-01", "2024-02"}
    assert out.loc[out["period"].astype(str) == "2024-01", "term"].iloc[0] == "路灯"


def test_textrank_method_ranks_central_terms():
    out = hot_words(_messages(), group_cols=["district"], period_col="month", method="textrank", top_k=5)
    assert set(out["term"]) & {"马道街", "路灯", "社保卡"}
    scores = textrank_scores([["a", "b", "c"], ["b", "c"], ["b", "d"]])
    assert max(scores, key=scores.get) == "b"
    assert sum(scores.values()) == pytest.approx(1.0)
    assert textrank_scores([]) == {}


def test_hot_words_validates_and_handles_empty():
    with pytest.raises(ValueError, match="method"):
        hot_words(_messages(), period_col="month", method="lda")
    with pytest.raises(ValueError, match="needs column"):
        hot_words(_messages(), period_col="nope")
    empty = hot_words(_messages().iloc[:0], group_cols=["district"], period_col="month")
    assert empty.empty and "burst_ratio" in empty.columns


def test_topical_tokens_drop_boilerplate_places_numbers_and_common_terms():
    docs = [["来电", "反映", "鼓楼区", "油烟", "扰民", "12", "号楼"], ["市民", "油烟", "饭店"], ["部门", "尽快", "处理", "噪音"]]
    assert topical_tokens(docs) == [["油烟", "扰民"], ["油烟", "饭店"], ["噪音"]]
    assert topical_tokens(docs, max_share=0.5) == [["扰民"], ["饭店"], ["噪音"]]  # 油烟 is in 2 of 3
    assert {"来电", "部门", "尽快", "处理", "解决", "市民", "号楼", "单元", "鼓楼区"} <= boilerplate_terms()


def test_term_counts_count_each_doc_once():
    out = term_counts([["油烟", "油烟", "来电"], ["油烟", "噪音"], ["噪音"], ["扰民"]], limit=2)
    assert out.to_dict("list") == {"term": ["噪音", "油烟"], "n": [2, 2]}
