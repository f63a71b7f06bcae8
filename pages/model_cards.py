"""模型卡: each risk model's stored backtest track record, exactly as the risk-model batch stored it.

Reads table ``derived_model_backtest`` (queries_analytics.backtest_results). Nothing here computes or
quotes a score: with no stored results the page says so (暂无回测结果).
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import MATCH, Input, Output, callback, ctx, html

from data_access import db, queries_analytics
from ui import exports, tables

dash.register_page(__name__, path="/model-cards", name="模型卡", order=82)

PAGE = "model_cards"
MODEL_COLUMN = "model"  # rows are grouped into one card per value of this column when it exists


def layout(**_query) -> html.Div:
    with db.session_scope() as session:
        results = queries_analytics.backtest_results(session)
    intro = html.P("模型卡列出各风险模型在历史数据上的回测记录（数据集、指标、取值、运行时间），"
                   "由风险模型批处理写入；本页只展示已存储的结果。", className="text-muted")
    if results.empty:
        return html.Div([html.H3("模型卡"), intro,
                         dbc.Alert("暂无回测结果。风险模型批处理写入回测结果后将在此显示。", color="secondary",
                                   id="model_cards-empty")])
    groups = results.groupby(MODEL_COLUMN, sort=True) if MODEL_COLUMN in results else [("全部模型", results)]
    cards = [tables.card(f"模型：{name}（{len(rows)} 条回测记录）",
                         tables.grid({"type": "model_cards-grid", "table": str(name)}, rows,
                                     {c: c for c in rows.columns}, height=300),
                         page=PAGE, table=str(name))
             for name, rows in groups]
    return html.Div([html.H3("模型卡"), intro, *cards])


@callback(Output({"type": "model_cards-download", "table": MATCH}, "data"),
          Input({"type": "model_cards-csv", "table": MATCH}, "n_clicks"),
          Input({"type": "model_cards-xlsx", "table": MATCH}, "n_clicks"), prevent_initial_call=True)
def export(_csv, _xlsx):  # noqa: ANN001
    """One model's backtest rows as CSV/XLSX."""
    if not ctx.triggered_id or not (_csv or _xlsx):
        return dash.no_update
    name, fmt = ctx.triggered_id["table"], exports.fmt_of(ctx.triggered_id)
    with db.session_scope() as session:
        results = queries_analytics.backtest_results(session)
    if MODEL_COLUMN in results:
        results = results[results[MODEL_COLUMN].astype(str) == name]
    return exports.download(results, f"模型卡_{name}", fmt)
