"""Reply quality: relevance, completeness, timeliness."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from text_mining.reply_quality import relevance, relevance_vs_shuffled, score_replies

PAIRS = pd.DataFrame(
    {
        "title": ["马道街饭店油烟扰民", "社保卡补办", "小区停水三天", "路灯不亮"],
        "body": [
            "饭店油烟直排，影响居民",
            "社保卡丢了怎么补办",
            "康平家园小区停水三天无人处理",
            "生产后街路灯不亮",
        ],
        "reply": [
            "您好，经核实，该饭店油烟净化设施未运行，已责令整改，依据《大气污染防治法》处罚。联系电话：0371-22222222。",
            "您好，社保卡补办可到人社局服务大厅办理，感谢您的支持。",
            "已转相关部门。",
            "经现场查看，生产后街路灯线路故障，已修复，下一步将加强巡查。",
        ],
        "time": ["2024-01-01", "2024-01-01", "2024-01-01", None],
        "reply_time": ["2024-01-05", "2024-03-01", "2023-12-01", "2024-01-02"],
    }
)


@pytest.fixture(scope="module")
def scored():
    return score_replies(PAIRS)


def test_columns_and_ranges(scored):
    for col in ["relevance", "completeness", "cues", "reply_chars", "delay_days", "timeliness", "quality"]:
        assert col in scored.columns
    for col in ["relevance", "completeness", "quality"]:
        assert scored[col].between(0, 1).all()


def test_completeness_cues(scored):
    assert set(scored.loc[0, "cues"].split(",")) >= {"verification", "action", "basis", "contact", "courtesy"}
    assert scored.loc[0, "completeness"] > scored.loc[2, "completeness"]
    assert scored.loc[2, "cues"] == ""


def test_timeliness(scored):
    assert scored.loc[0, "timeliness"] == 1.0  # 4 days, inside the 15-day SLA
    assert scored.loc[1, "delay_days"] == pytest.approx(60)
    assert scored.loc[1, "timeliness"] == pytest.approx(0.5 ** (45 / 30))
    assert np.isnan(scored.loc[2, "timeliness"])  # reply before complaint: unknown
    assert np.isnan(scored.loc[3, "timeliness"])  # no complaint time
    assert scored.loc[3, "quality"] > 0  # weights renormalised over the available parts


def test_relevance_true_pairs_beat_shuffled():
    rel = relevance(PAIRS["title"] + PAIRS["body"], PAIRS["reply"])
    assert rel[0] > 0.1 and rel[3] > 0.1
    swapped = relevance(list(PAIRS["title"] + PAIRS["body"]), list(PAIRS["reply"].iloc[::-1]))
    assert rel.mean() > swapped.mean()


def test_validation_and_empty():
    with pytest.raises(ValueError, match="reply"):
        score_replies(PAIRS.drop(columns="reply"))
    with pytest.raises(ValueError, match="same length"):
        relevance(["a"], [])
    assert len(score_replies(PAIRS.iloc[:0])) == 0


@pytest.mark.shared_data
def test_reply_quality_on_gov_messages(shared_data):
    """附件4 replies: true pairs must be far more relevant than shuffled pairs (measured AUC 0.93)."""
    df = pd.read_csv(shared_data / "gov_messages" / "messages_replies.csv")
    check = relevance_vs_shuffled(df, random_state=0)
    assert check["auc"] > 0.88
    assert check["true_mean"] > 5 * check["shuffled_mean"]
    scored = score_replies(df)
    assert scored["quality"].between(0, 1).all()
    assert scored["timeliness"].notna().mean() > 0.95
