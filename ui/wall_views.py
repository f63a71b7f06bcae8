"""Views of the video wall's panels: DataFrames from the query functions in, figures and Dash children out.

Figures are plain plotly dicts, not ``plotly.graph_objects``: the wall rebuilds them every refresh and
graph-object validation cost more than the queries (see bench/bench_wall.py). Every level shown carries
its mark and label (ui.levels.level_badge), never colour alone.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from dash import html

import metrics
from ui import levels, theme

TREND_SIZE = (920, 336)
NO_BAND_NOTE = "预期区间待「投诉激增线索」流水线步骤运行后显示"
FUNNEL_SIZE = (530, 648)


def _dates(series: pd.Series) -> list[str]:
    return [d.strftime("%Y-%m-%d") for d in series]


def _floats(series: pd.Series) -> list[float | None]:
    return [None if pd.isna(v) else round(float(v), 2) for v in series]


# ------------------------------------------------------------------------------------------ counters


def latest_day_names(as_of: dt.datetime | None, clock: dt.date | None = None) -> tuple[str, str]:
    """How to name the data's latest day and the day before it on the wall: 今日 / 昨日 while the data is
    of today; when the feed lags (a nightly exchange delivers yesterday's orders), the date itself, so a
    24×7 wall never calls yesterday's count today's."""
    if as_of is None or as_of.date() == (clock or dt.date.today()):
        return "今日", "昨日"
    return f"{as_of:%m-%d}", "前一日"


def kpi_texts(values: dict, clock: dt.date | None = None) -> dict[str, str]:
    """Display text of each counter: the latest day's orders, its comparison with the day before at the same
    time, open leads per level, overdue, on-time rate, and the 数据截至 stamp."""
    delta = values["today"] - values["yesterday"]
    day, before = latest_day_names(values["as_of"], clock)
    texts = {
        "today_name": f"{day}诉求量（件）",
        "today": f"{values['today']:,}",
        "compare": f"较{before}同时段 {'+' if delta >= 0 else '−'}{abs(delta)}",
        "overdue": str(values["overdue"]),
        "ontime": "—" if values["ontime"] is None else f"{100 * values['ontime']:.1f}%",
        "as_of": f"数据截至 {values['as_of']:%Y-%m-%d %H:%M}" if values["as_of"] else "仓库暂无数据",
    }
    texts.update({f"open_{lv}": str(values["open"][lv]) for lv in theme.LEVEL_ORDER})
    return texts


# ------------------------------------------------------------------------------------------- figures


def trend_figure(df: pd.DataFrame, as_of: dt.datetime | None = None, clock: dt.date | None = None) -> dict:
    """Daily orders (line) against the spike model's band (shaded) and expected value (dashed); days the model
    flagged are ▲ with the word 告警, and the latest, partial day is a hollow point, keyed above the plot's top
    right corner (○ 今日（未满一天） while the data is of today, else its date and the time the data reaches).
    Without a stored band (the pipeline has not run) the orders are drawn alone, with a note saying so."""
    day, _ = latest_day_names(as_of, clock)
    partial_label = "今日（未满一天）" if day == "今日" else f"{day}（截至 {as_of:%H:%M}）"
    full, today, alarms = df[~df["partial"]], df[df["partial"]], df[df["alarm"]]
    red = theme.LEVEL_STYLES["RED"]
    days = _dates(df["day"])
    data = [
        {"type": "scatter", "x": days, "y": _floats(df["upper"]), "mode": "lines", "line": {"width": 0}},
        {"type": "scatter", "x": days, "y": _floats(df["lower"]), "mode": "lines", "line": {"width": 0},
         "fill": "tonexty", "fillcolor": theme.BAND},
        {"type": "scatter", "x": days, "y": _floats(df["expected"]), "mode": "lines",
         "line": {"color": theme.TEXT_MUTED, "dash": "dash", "width": 2}},
        {"type": "scatter", "x": _dates(full["day"]), "y": full["n"].tolist(), "mode": "lines+markers",
         "line": {"color": theme.ACCENT, "width": 3}, "marker": {"size": 6}},
        {"type": "scatter", "x": _dates(today["day"]), "y": today["n"].tolist(), "mode": "markers",
         "marker": {"size": 12, "color": theme.BACKGROUND, "line": {"color": theme.ACCENT, "width": 3}}},
        {"type": "scatter", "x": _dates(alarms["day"]), "y": alarms["n"].tolist(), "mode": "markers+text",
         "text": [f"{red.mark}告警"] * len(alarms), "textposition": "top center",
         "textfont": {"color": red.colour, "size": 16},
         "marker": {"symbol": red.symbol, "size": 18, "color": red.colour}},
    ]
    # the partial day's key above the plot's top right corner: drawn as text beside the point it sat on the line
    notes = [{"text": f"○ {partial_label}", "x": 1, "y": 1, "xref": "paper", "yref": "paper", "xanchor": "right",
              "yanchor": "bottom", "showarrow": False, "font": {"size": 15, "color": theme.TEXT_MUTED}}
             ] if len(today) else []
    notes += [] if df["expected"].notna().any() else [
        {"text": NO_BAND_NOTE, "x": 0.02, "y": 0.98, "xref": "paper", "yref": "paper", "xanchor": "left",
         "yanchor": "top", "showarrow": False, "font": {"size": 16, "color": theme.TEXT_MUTED}}]
    layout = theme.base_layout(*TREND_SIZE, xaxis=theme.axis(type="date", tickformat="%m-%d"),
                               yaxis=theme.axis(title={"text": "件/日", "font": {"size": 15}}, rangemode="tozero"),
                               annotations=notes)
    return {"data": data, "layout": layout}


def funnel_figure(df: pd.DataFrame, stages: tuple[str, ...]) -> dict:
    """Leads reaching each dispatch stage (``stages`` in order); side exits (退回, 误报) as a footnote."""
    main = df[df["stage"].isin(stages)]
    exits = "　".join(f"{r.stage} {r.n}" for r in df[~df["stage"].isin(stages)].itertuples())
    data = [{"type": "funnel", "y": main["stage"].tolist(), "x": main["n"].tolist(),
             "textinfo": "value+percent initial", "textfont": {"size": 20, "color": theme.TEXT},
             "marker": {"color": theme.ACCENT, "line": {"color": theme.PANEL_BORDER, "width": 1}},
             "connector": {"fillcolor": "rgba(53, 195, 255, 0.12)"}}]
    layout = theme.base_layout(*FUNNEL_SIZE, margin={"l": 96, "r": 16, "t": 8, "b": 48},
                               yaxis=theme.axis(tickfont={"size": 18, "color": theme.TEXT}),
                               annotations=[{"text": f"旁路：{exits}", "x": 0.5, "y": -0.06, "xref": "paper",
                                             "yref": "paper", "showarrow": False,
                                             "font": {"size": 17, "color": theme.TEXT_MUTED}}])
    return {"data": data, "layout": layout}


# ------------------------------------------------------------------------------------- lists and text


def level_cell(level: str) -> html.Span:
    return levels.level_badge(level, className="wall-level")


def hotword_spans(words: pd.DataFrame) -> list:
    """A word cloud as text: size grows with the number of orders; the count stays readable beside it, with
    ↑ on a word that bursts (``is_emerging``: far more frequent than in its own preceding weeks)."""
    if words.empty:
        return [html.Span("暂无", className="wall-muted")]
    top, low = int(words["n"].max()), int(words["n"].min())
    rising = words["is_emerging"] if "is_emerging" in words else pd.Series(False, index=words.index)
    spans = []
    for rank, (row, up) in enumerate(zip(words.itertuples(), rising, strict=True)):
        weight = (row.n - low) / (top - low) if top > low else 1.0
        spans.append(html.Span([row.term, html.Sup(f"{row.n}↑" if up else str(row.n))],
                               className=f"wall-word wall-word-{min(rank // 4, 4)}" + (" wall-word-up" if up else ""),
                               title="较前三周明显增多" if up else None,
                               style={"fontSize": f"{20 + 30 * weight:.0f}px"}))
    return spans


def overdue_rows(df: pd.DataFrame, limit: int) -> list:
    """The most overdue open leads first: level, title, department, working days overdue."""
    if df.empty:
        return [html.Div("当前无超期线索", className="wall-empty")]
    df = df.sort_values(["overdue_workdays", "lead_id"], ascending=[False, True]).head(limit)
    return [html.Div([level_cell(r.level), html.Span(r.title, className="wall-row-title"),
                      html.Span(r.dept_name or "—", className="wall-row-dept"),
                      html.Span(f"超期{r.overdue_workdays}个工作日", className="wall-row-late")],
                     className="wall-row") for r in df.itertuples()]


# However many units are warned, at least this many first places stay on the wall.
RANKING_MIN_LEADERS = 3
WARNED_STATUSES = ("yellow", "red")


def ranking_selection(ranked: pd.DataFrame, limit: int) -> list[pd.DataFrame]:
    """Runs of consecutive places of the ranked units to show in ``limit`` wall rows, a gap row between runs.

    All units when they fit; otherwise every warned unit (黄/红) and the last place, and the first places in
    the rows that are left, so the units the monthly bulletin warns are on the wall and not only the leaders.
    A gap that would skip a single place shows that place instead. If even the warned units do not fit beside
    ``RANKING_MIN_LEADERS`` first places, the worst-ranked of them are shown. Units without a rank (参评不足)
    are not listed.
    """
    ranked = ranked[ranked["rank"].notna()].reset_index(drop=True)
    n = len(ranked)
    if n <= limit:
        return [ranked]
    warned = [i for i, status in enumerate(ranked["status"]) if status in WARNED_STATUSES]
    tail = sorted(set(warned) | {n - 1})
    while _rows(_runs(set(range(RANKING_MIN_LEADERS)) | set(tail))) > limit and len(tail) > 1:
        tail = tail[1:]
    leaders = RANKING_MIN_LEADERS
    while leaders < n and _rows(_runs(set(range(leaders + 1)) | set(tail))) <= limit:
        leaders += 1
    return [ranked.iloc[run] for run in _runs(set(range(leaders)) | set(tail))]


def _runs(places: set[int]) -> list[list[int]]:
    """Consecutive runs of ``places``, a single skipped place filled in."""
    runs: list[list[int]] = []
    for place in sorted(places):
        if runs and place - runs[-1][-1] <= 2:
            runs[-1].extend(range(runs[-1][-1] + 1, place + 1))
        else:
            runs.append([place])
    return runs


def _rows(runs: list[list[int]]) -> int:
    return sum(len(run) for run in runs) + len(runs) - 1


def ranking_rows(ranked: pd.DataFrame, month: str | None, limit: int, month_text: str | None = None) -> list:
    """Departments by composite score with rank change (↑/↓) and the warning status spelled out; each row
    is marked as a figure of metric ``department_ranking`` (same month and ranks as 排名 and the 月通报).
    Long lists show the first places, every warned unit and the last place (``ranking_selection``)."""
    if month is None:
        return [html.Div("暂无评价数据（请运行 bianjian pipeline）", className="wall-empty")]
    rows = [html.Div([html.Span(month_text or month, **metrics.mark("ranking_month")), " 综合得分（100 = 全部达标）"],
                     className="wall-caption")]
    runs = ranking_selection(ranked, limit)
    for before, run in zip([None, *runs], runs, strict=False):
        if before is not None:
            skipped = f"第{int(before['rank'].iloc[-1]) + 1}–{int(run['rank'].iloc[0]) - 1}名略"
            rows.append(html.Div(f"⋯ {skipped} ⋯", className="wall-row wall-row-gap"))
        rows += [_ranking_row(r) for r in run.itertuples()]
    return rows


def _ranking_row(r) -> html.Div:  # noqa: ANN001 - a row of itertuples()
    change = r.rank_change
    arrow = "—" if pd.isna(change) or change == 0 else f"↑{int(change)}" if change > 0 else f"↓{int(-change)}"
    return html.Div([html.Span(f"{int(r.rank)}", className="wall-rank"),
                     html.Span(r.unit_name, className="wall-row-title"),
                     html.Span(f"{r.score:.1f}", className="wall-score"),
                     html.Span(arrow, className="wall-change"),
                     html.Span("" if r.status == "green" else r.status_name,
                               className=f"wall-status wall-status-{r.status}")],
                    className="wall-row", **metrics.mark("department_ranking"),
                    **{"data-unit": r.unit_code, "data-status": r.status_name})


def hot_issue_rows(df: pd.DataFrame, limit: int) -> list:
    """The hottest issues of the pipeline's sliding window (``derived_hot_issue``), hottest first: rank, the
    issue's representative title, county, category, orders and distinct callers, and ↑ when the last 7 days
    brought more orders than the 7 before."""
    if df.empty:
        return [html.Div("暂无热点问题（请运行 bianjian pipeline）", className="wall-empty")]
    rows = []
    for rank, r in enumerate(df.head(limit).itertuples(), start=1):
        rising = r.growth is not None and r.growth > 1
        rows.append(html.Div([html.Span(str(rank), className="wall-rank"),
                              html.Span(r.title, className="wall-row-title"),
                              html.Span(r.region or "—", className="wall-row-dept"),
                              html.Span(r.category or "—", className="wall-row-dept"),
                              html.Span(f"{r.n_tickets}件 · {r.n_callers}人", className="wall-issue-count"),
                              html.Span(f"↑{r.growth:.1f}倍" if rising else "", className="wall-issue-growth",
                                        title="近7天工单较前7天增多" if rising else None)],
                             className="wall-row"))
    return rows


def ticker_items(df: pd.DataFrame) -> list:
    """The newest 红/橙 leads, twice in a row so the CSS marquee loops without a gap."""
    if df.empty:
        return [html.Span("暂无红色、橙色线索", className="wall-ticker-item")]
    items = [html.Span([level_cell(r.level), f" {_short_time(r.created_at)} {r.region_name or ''} {r.title}",
                        html.Span(f"（{r.dept_name or '待研判'} · {r.status}）", className="wall-muted")],
                       className="wall-ticker-item") for r in df.itertuples()]
    return [html.Div(items, className="wall-ticker-run"), html.Div(items, className="wall-ticker-run")]


def _short_time(moment: dt.datetime) -> str:
    return f"{moment:%m-%d %H:%M}"
