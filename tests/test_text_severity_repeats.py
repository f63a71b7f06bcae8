"""Severity keywords and repeat-complaint detection."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from text_mining.repeats import find_repeats
from text_mining.severity import score_severity, severity_level, severity_terms


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("饭店吃完饭后多人食物中毒送医", 3),
        ("小区地下室燃气泄漏，随时可能爆炸", 3),
        ("工地围墙坍塌", 3),
        ("楼道堆放杂物存在安全隐患", 2),
        ("公司拖欠工资三个月", 2),
        ("夜市油烟扰民", 1),
        ("咨询社保卡办理流程", 0),
        ("没有发生火灾，但是希望加强管理", 0),
        ("建议预防火灾", 0),
        ("", 0),
        (None, 0),
    ],
)
def test_severity_level(text, level):
    assert severity_level(text) == level


def test_score_severity_columns():
    df = pd.DataFrame({"id": [1, 2], "text": ["噪音扰民，还有燃气泄漏", "咨询"]})
    out = score_severity(df)
    assert list(out["severity"]) == [3, 0]
    assert list(out["severity_label"]) == ["严重", "无"]
    assert out.loc[0, "severity_terms"].split("、")[0] == "燃气泄漏"
    assert list(df.columns) == ["id", "text"]  # input untouched


def test_score_severity_missing_column():
    with pytest.raises(ValueError, match="text"):
        score_severity(pd.DataFrame({"x": ["a"]}))


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.text(max_size=40), st.sampled_from(sorted(severity_terms())))
def test_adding_a_term_never_lowers_severity(text, term):
    assert severity_level("。" + text + "。" + term) >= max(severity_level(text), 0)
    assert severity_level("，" + term) >= severity_terms()[term]


def _calls():
    return pd.DataFrame(
        {
            "caller": ["13800000001", "13800000001", "13800000001", "13800000002", "13800000001", None],
            "time": ["2024-01-01", "2024-01-10", "2024-03-30", "2024-01-02", "2024-01-12", "2024-01-03"],
            "text": [
                "马道街饭店油烟扰民",
                "马道街饭店油烟扰民严重，再次反映",
                "马道街饭店油烟扰民",
                "马道街饭店油烟扰民",
                "社保卡补办咨询",
                "马道街饭店油烟扰民",
            ],
        },
        index=[10, 11, 12, 13, 14, 15],
    )


def test_find_repeats_same_caller_same_issue_within_window():
    out = find_repeats(_calls(), keys=["caller"], window_days=30)
    assert list(out["is_repeat"]) == [False, True, False, False, False, False]
    assert out.loc[11, "previous_index"] == 10
    assert out.loc[11, "days_since_previous"] == pytest.approx(9.0)
    assert out.loc[10, "repeat_group"] == out.loc[11, "repeat_group"] >= 0
    assert (out.loc[[12, 13, 14, 15], "repeat_group"] == -1).all()
    assert list(out.loc[[10, 11, 12], "group_size"]) == [2, 2, 1]


def test_find_repeats_without_text_links_any_issue():
    out = find_repeats(_calls(), keys=["caller"], window_days=30, text_col=None)
    assert out.loc[14, "is_repeat"] and out.loc[14, "previous_index"] == 11
    assert out.loc[10, "group_size"] == 3


def test_find_repeats_longer_window_chains():
    out = find_repeats(_calls(), keys=["caller"], window_days=90)
    assert out.loc[12, "is_repeat"]
    assert out.loc[10, "repeat_group"] == out.loc[12, "repeat_group"]


def test_find_repeats_validates():
    with pytest.raises(ValueError, match="caller"):
        find_repeats(pd.DataFrame({"time": []}), keys=["caller"], text_col=None)
    with pytest.raises(ValueError, match="window_days"):
        find_repeats(_calls(), window_days=-1)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 100)), min_size=0, max_size=25),
    st.integers(0, 60),
)
def test_find_repeats_properties(rows, window):
    df = pd.DataFrame(rows, columns=["caller", "day"])
    df["time"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(df["day"], unit="D")
    out = find_repeats(df, keys=["caller"], window_days=window, text_col=None)
    assert len(out) == len(df)
    repeats = out[out["is_repeat"]]
    assert (repeats["days_since_previous"] <= window).all()
    for _, row in repeats.iterrows():
        prev = out.loc[row["previous_index"]]
        assert prev["caller"] == row["caller"] and prev["repeat_group"] == row["repeat_group"]
    assert ((out["repeat_group"] == -1) == (out["group_size"] == 1)).all()
