"""模型卡: each risk model's stored backtest track record, exactly as the risk-model batch stored it.

Reads table ``derived_model_backtest`` (queries_analytics.backtest_results). Nothing here computes or
quotes a score: with no stored results the page says so (暂无回测结果).
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html
from sqlalchemy.orm import Session

from data_access import db, queries_analytics
from data_access.scope import Scope
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


def export_table(session: Session, _scope: Scope, name: str):  # noqa: ANN201
    """One model's backtest rows (no personal data; the job still checks the login)."""
    results = queries_analytics.backtest_results(session)
    if MODEL_COLUMN in results:
        results = results[results[MODEL_COLUMN].astype(str) == name]
    return results, f"模型卡_{name}"


export = exports.background_callback(PAGE, export_table)
