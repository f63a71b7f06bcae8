"""Axis settings and monthly-series helpers shared by the analyst pages' charts.

Plotly labels a date axis in English on its own ("Nov 2026", "Mar 29"); these formats keep the numeric
forms Chinese readers use (2026-11, 2026-11-29), on the ticks and in the hover label.

A month that the data or the selected window covers only in part (the month still running at the data's
end, the first month of a rolling "近一年" window) holds fewer days than the others, so its total drops
whatever happened; drawn like the others it reads as a collapse in complaints. ``partial_months`` names such
months and ``monthly_lines`` draws them dotted with open markers, labelled 未满月.
"""

from __future__ import annotations

import calendar
import datetime as dt

import pandas as pd
import plotly.colors
import plotly.graph_objects as go

MONTH_AXIS = {"type": "date", "tickformat": "%Y-%m", "hoverformat": "%Y-%m"}
DAY_AXIS = {"type": "date", "tickformat": "%Y-%m-%d", "hoverformat": "%Y-%m-%d"}
PARTIAL_NOTE = "未满月"
LINE_COLOURS = plotly.colors.qualitative.Plotly  # Plotly's default colourway, as the charts used before


def partial_months(start: dt.datetime | None, as_of: dt.datetime | None) -> dict[str, str]:
    """``{YYYY-MM: label}`` for the months only partly inside [start, as_of]: the first when ``start`` is not
    the 1st, the last when ``as_of`` is before its month's last day (label e.g. 未满月，截至 12-05)."""
    partial: dict[str, str] = {}
    if start is not None and start.day != 1:
        partial[f"{start:%Y-%m}"] = f"{PARTIAL_NOTE}，自 {start:%m-%d} 起"
    if as_of is not None and as_of.day < calendar.monthrange(as_of.year, as_of.month)[1]:
        partial[f"{as_of:%Y-%m}"] = f"{PARTIAL_NOTE}，截至 {as_of:%m-%d}"
    return partial


def monthly_lines(monthly: pd.DataFrame, partial: dict[str, str], unit: str = "件") -> go.Figure:
    """One line per ``name`` over ``month`` (YYYY-MM) and ``n``: whole months solid, the ``partial`` months
    joined by a dotted segment with open markers whose hover says how much of the month is in."""
    fig = go.Figure()
    for i, (name, g) in enumerate(monthly.sort_values("month").groupby("name", sort=False)):
        colour = LINE_COLOURS[i % len(LINE_COLOURS)]
        part = g["month"].isin(list(partial))
        common = {"legendgroup": name, "line": {"color": colour}, "marker": {"color": colour}}
        if part.any():
            fig.add_scatter(x=g["month"], y=g["n"], mode="lines", line={"color": colour, "dash": "dot"},
                            legendgroup=name, showlegend=False, hoverinfo="skip")
            fig.add_scatter(x=g.loc[part, "month"], y=g.loc[part, "n"], mode="markers", name=name,
                            legendgroup=name, showlegend=False,
                            marker={"color": colour, "symbol": "circle-open", "size": 9},
                            customdata=[partial[m] for m in g.loc[part, "month"]],
                            hovertemplate=f"%{{y}} {unit}（%{{customdata}}）")
        fig.add_scatter(x=g.loc[~part, "month"], y=g.loc[~part, "n"], mode="lines+markers", name=name,
                        hovertemplate=f"%{{y}} {unit}", **common)
    fig.update_xaxes(**MONTH_AXIS)
    if partial and not monthly.empty and monthly["month"].isin(list(partial)).any():
        fig.add_annotation(text=f"虚线、空心点：{PARTIAL_NOTE}", xref="paper", yref="paper", x=0, y=1.06,
                           showarrow=False, xanchor="left", font={"size": 11, "color": "#6c757d"})
    return fig


def fade_partial_bars(fig: go.Figure, months: pd.Series, partial: dict[str, str]) -> go.Figure:
    """Monthly bars of the ``partial`` months drawn pale (the line counterpart of ``monthly_lines``)."""
    faded = [m in partial for m in months]
    if any(faded):
        fig.update_traces(selector={"type": "bar"}, marker_opacity=[0.4 if f else 1.0 for f in faded])
        fig.add_annotation(text=f"浅色：{PARTIAL_NOTE}", xref="paper", yref="paper", x=0, y=1.06,
                           showarrow=False, xanchor="left", font={"size": 11, "color": "#6c757d"})
    return fig
