"""The wall's panel views: DataFrames in, figure dicts and display text out (pure functions)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ui import theme, wall_views


def _values(**overrides) -> dict:
    values = {"as_of": dt.datetime(2026, 6, 30, 14, 5), "today": 1234, "yesterday": 1240,
              "open": {"RED": 2, "ORANGE": 0, "YELLOW": 7, "BLUE": 11}, "overdue": 3, "ontime": 0.8766}
    return {**values, **overrides}


def test_kpi_texts():
    texts = wall_views.kpi_texts(_values(), clock=dt.date(2026, 6, 30))
    assert texts["today_name"] == "今日诉求量（件）"
    assert texts["today"] == "1,234" and texts["compare"] == "较昨日同时段 −6"
    assert texts["as_of"] == "数据截至 2026-06-30 14:05"
    assert texts["ontime"] == "87.7%" and texts["overdue"] == "3"
    assert [texts[f"open_{lv}"] for lv in theme.LEVEL_ORDER] == ["2", "0", "7", "11"]


@pytest.mark.parametrize(("values", "key", "expected"), [
    ({"ontime": None}, "ontime", "—"),
    ({"as_of": None}, "as_of", "仓库暂无数据"),
    ({"today": 5, "yesterday": 2}, "compare", "较昨日同时段 +3"),
])
def test_kpi_texts_edge_cases(values, key, expected):
    assert wall_views.kpi_texts(_values(**values), clock=dt.date(2026, 6, 30))[key] == expected


def test_a_lagging_feed_names_the_latest_day_by_its_date():
    """A nightly exchange delivers yesterday's orders: on 07-01 the counter must not call 06-30's count 今日."""
    texts = wall_views.kpi_texts(_values(), clock=dt.date(2026, 7, 1))
    assert texts["today_name"] == "06-30诉求量（件）" and texts["compare"] == "较前一日同时段 −6"
    assert wall_views.latest_day_names(None) == ("今日", "昨日")


def test_levels_have_distinct_marks_symbols_and_colours():
    styles = list(theme.LEVEL_STYLES.values())
    for attribute in ("mark", "symbol", "colour"):
        assert len({getattr(s, attribute) for s in styles}) == len(styles)
    assert [s.label for s in styles] == ["▲红", "◆橙", "●黄", "■蓝"]


def test_trend_figure_marks_alarms_and_the_partial_day():
    days = pd.date_range("2026-06-01", periods=5, freq="D")
    df = pd.DataFrame({"day": days, "n": [10, 40, 11, 12, 3], "expected": [10.0] * 5, "lower": [4.0] * 5,
                       "upper": [20.0] * 5, "alarm": [False, True, False, False, False],
                       "partial": [False] * 4 + [True]})
    fig = wall_views.trend_figure(df, dt.datetime(2026, 6, 5, 9, 30), clock=dt.date(2026, 6, 5))
    band, line, today, alarms = fig["data"][1], fig["data"][3], fig["data"][4], fig["data"][5]
    assert band["fill"] == "tonexty"
    (key,) = fig["layout"]["annotations"]  # above the plot, not on the line
    assert line["y"] == [10, 40, 11, 12] and today["y"] == [3] and today["mode"] == "markers"
    assert (key["text"], key["yref"], key["y"], key["yanchor"]) == ("○ 今日（未满一天）", "paper", 1, "bottom")
    lagging = wall_views.trend_figure(df, dt.datetime(2026, 6, 5, 22, 18), clock=dt.date(2026, 6, 6))
    assert [a["text"] for a in lagging["layout"]["annotations"]] == ["○ 06-05（截至 22:18）"]
    assert alarms["x"] == ["2026-06-02"] and alarms["text"] == ["▲告警"]
    assert fig["layout"]["width"] == wall_views.TREND_SIZE[0]


def test_trend_figure_without_a_stored_band_draws_the_orders_and_says_why():
    df = pd.DataFrame({"day": pd.date_range("2026-06-01", periods=3, freq="D"), "n": [10, 12, 3],
                       "expected": [float("nan")] * 3, "lower": [float("nan")] * 3, "upper": [float("nan")] * 3,
                       "alarm": [False] * 3, "partial": [False, False, True]})
    fig = wall_views.trend_figure(df, dt.datetime(2026, 6, 3, 9, 30), clock=dt.date(2026, 6, 3))
    assert fig["data"][0]["y"] == [None] * 3 and fig["data"][3]["y"] == [10, 12] and fig["data"][5]["x"] == []
    assert [a["text"] for a in fig["layout"]["annotations"]] == ["○ 今日（未满一天）", wall_views.NO_BAND_NOTE]


def test_ranking_rows_spell_out_rank_change_and_warnings():
    ranked = pd.DataFrame({"rank": [1.0, 2.0, 3.0], "unit_code": ["a", "b", "c"], "unit_name": ["甲局", "乙局", "丙局"],
                           "score": [101.0, 95.5, 80.0],
                           "rank_change": [2.0, float("nan"), -1.0], "status": ["green", "yellow", "red"],
                           "status_name": ["正常", "黄色预警", "红色预警"]})
    rows = wall_views.ranking_rows(ranked, "2026-06", limit=10)
    assert [getattr(row, "data-unit") for row in rows[1:]] == ["a", "b", "c"]
    texts = [[c.children for c in row.children] for row in rows[1:]]
    assert texts[0] == ["1", "甲局", "101.0", "↑2", ""]
    assert texts[1][3] == "—" and texts[1][4] == "黄色预警"
    assert texts[2][3] == "↓1" and texts[2][4] == "红色预警"
    assert "暂无评价数据" in wall_views.ranking_rows(pd.DataFrame(), None, 10)[0].children


def test_ticker_repeats_its_items_for_a_seamless_loop():
    df = pd.DataFrame({"lead_id": [1], "level": ["RED"], "title": ["某事"], "status": ["已转办"],
                       "region_name": ["杞县"], "dept_name": [None], "created_at": [dt.datetime(2026, 6, 30, 9, 0)]})
    first, second = wall_views.ticker_items(df)
    assert first.children == second.children
    item = first.children[0]
    assert item.children[0].children == "▲红" and "06-30 09:00 杞县 某事" in item.children[1]
    assert item.children[2].children == "（待研判 · 已转办）"


def test_hot_issue_rows_rank_the_issues_and_mark_growth():
    issues = pd.DataFrame({"title": ["某小区噪音扰民", "某路段积水"], "region": ["鼓楼区", None],
                           "category": ["环境保护", "城乡建设"], "n_tickets": [12, 3], "n_callers": [9, 3],
                           "growth": [2.5, 1.0]})
    rows = wall_views.hot_issue_rows(issues, limit=1)
    assert len(rows) == 1
    text = [str(c.children) for c in rows[0].children]
    assert text == ["1", "某小区噪音扰民", "鼓楼区", "环境保护", "12件 · 9人", "↑2.5倍"]
    second = wall_views.hot_issue_rows(issues, limit=5)[1]
    assert [str(c.children) for c in second.children][2:] == ["—", "城乡建设", "3件 · 3人", ""]  # no county, no rise
    assert "暂无热点问题" in str(wall_views.hot_issue_rows(issues.iloc[:0], limit=5)[0].children)


def _departments(statuses: list[str]) -> pd.DataFrame:
    n = len(statuses)
    names = {"green": "正常", "yellow": "黄色预警", "red": "红色预警", "insufficient": "参评不足"}
    return pd.DataFrame({"rank": [float(i + 1) if s != "insufficient" else float("nan") for i, s in enumerate(statuses)],
                         "unit_code": [f"u{i + 1}" for i in range(n)], "unit_name": [f"第{i + 1}局" for i in range(n)],
                         "score": [110.0 - i for i in range(n)], "rank_change": [0.0] * n, "status": statuses,
                         "status_name": [names[s] for s in statuses]})


def test_a_long_ranking_shows_the_first_places_and_every_warned_unit():
    # 24 departments ranked, 22nd yellow and 24th red, two not ranked: the top 10 alone would hide both.
    ranked = _departments(["green"] * 21 + ["yellow", "green", "red", "insufficient", "insufficient"])
    rows = wall_views.ranking_rows(ranked, "2026-11", limit=10)
    units = [getattr(row, "data-unit", None) for row in rows[1:]]
    assert units == ["u1", "u2", "u3", "u4", "u5", "u6", None, "u22", "u23", "u24"]
    assert rows[7].children == "⋯ 第7–21名略 ⋯"
    assert [getattr(row, "data-status") for row in rows[8:]] == ["黄色预警", "正常", "红色预警"]


def _places(runs) -> list[list[int]]:
    return [[int(rank) for rank in run["rank"]] for run in runs]


def test_a_warned_unit_in_the_middle_gets_its_own_run():
    runs = wall_views.ranking_selection(_departments(["green"] * 14 + ["red"] + ["green"] * 9), limit=10)
    assert _places(runs) == [[1, 2, 3, 4, 5, 6], [15], [24]]


def test_too_many_warned_units_keep_three_leaders_and_the_worst_warned():
    runs = wall_views.ranking_selection(_departments(["green"] * 10 + ["yellow", "green"] * 7), limit=10)
    assert _places(runs)[0] == [1, 2, 3]
    assert sum(len(run) for run in runs) + len(runs) - 1 <= 10
    assert _places(runs)[-1][-1] == 24 and 23 in _places(runs)[-1]


def test_a_short_ranking_is_shown_whole():
    assert _places(wall_views.ranking_selection(_departments(["green"] * 9 + ["red"]), limit=10)) == [list(range(1, 11))]
