"""Monthly charts on the analyst pages: a month the data or the window covers only in part is marked as such
(未满月) instead of reading as a collapse in complaints."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from ui import charts


def test_partial_months_are_the_window_edges_that_miss_days():
    # 近一年 on 2026-12-05 22:18 starts 2025-12-06: both edge months are partial
    assert charts.partial_months(dt.datetime(2025, 12, 6), dt.datetime(2026, 12, 5, 22, 18)) == {
        "2025-12": "未满月，自 12-06 起", "2026-12": "未满月，截至 12-05"}
    # a window from the 1st to a month's last day has none; no start (全部) marks only the data's end
    assert charts.partial_months(dt.datetime(2026, 3, 1), dt.datetime(2026, 2, 28, 9)) == {}
    assert charts.partial_months(None, dt.datetime(2024, 2, 28)) == {"2024-02": "未满月，截至 02-28"}
    assert charts.partial_months(None, dt.datetime(2024, 2, 29)) == {}  # leap day ends February
    assert charts.partial_months(None, None) == {}


def _monthly() -> pd.DataFrame:
    months = ["2026-09", "2026-10", "2026-11", "2026-12"]
    return pd.DataFrame({"month": months * 2, "name": ["城市管理"] * 4 + ["供水服务"] * 4,
                         "n": [600, 640, 620, 90, 200, 210, 190, 30]})


def test_monthly_lines_draw_whole_months_solid_and_partial_ones_dotted():
    fig = charts.monthly_lines(_monthly(), {"2026-12": "未满月，截至 12-05"})
    legend = [t for t in fig.data if t.showlegend is not False]
    assert [t.name for t in legend] == ["城市管理", "供水服务"]
    for trace in legend:  # the solid line stops at the last whole month
        assert list(trace.x) == ["2026-09", "2026-10", "2026-11"] and trace.mode == "lines+markers"
    dotted = [t for t in fig.data if t.mode == "lines"]
    assert len(dotted) == 2 and all(t.line.dash == "dot" and t.hoverinfo == "skip" for t in dotted)
    marks = [t for t in fig.data if t.mode == "markers"]
    assert [list(t.x) for t in marks] == [["2026-12"], ["2026-12"]]
    assert all(t.marker.symbol == "circle-open" and list(t.customdata) == ["未满月，截至 12-05"] for t in marks)
    colours = {t.legendgroup: set() for t in fig.data}
    for t in fig.data:
        colours[t.legendgroup].add(t.line.color if t.mode != "markers" else t.marker.color)
    assert all(len(c) == 1 for c in colours.values()) and len({c.pop() for c in colours.values()}) == 2
    assert "未满月" in fig.layout.annotations[0].text


def test_monthly_lines_without_partial_months_add_nothing():
    fig = charts.monthly_lines(_monthly(), {})
    assert [t.mode for t in fig.data] == ["lines+markers", "lines+markers"] and not fig.layout.annotations
    assert list(fig.data[0].x) == ["2026-09", "2026-10", "2026-11", "2026-12"]


def test_partial_bars_are_faded():
    months = pd.Series(["2026-10", "2026-11", "2026-12"])
    fig = go.Figure([go.Bar(x=months, y=[3, 4, 1], name="新发现"), go.Bar(x=months, y=[2, 2, 0], name="已销号"),
                     go.Scatter(x=months, y=[5, 7, 8], name="月末未销号")])
    charts.fade_partial_bars(fig, months, {"2026-12": "未满月，截至 12-05"})
    assert [list(t.marker.opacity) for t in fig.data[:2]] == [[1.0, 1.0, 0.4]] * 2
    assert fig.data[2].marker.opacity is None and "未满月" in fig.layout.annotations[0].text
