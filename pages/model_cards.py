"""模型卡: each risk model's stored backtest track record, exactly as the backtest commands stored it.

Reads table ``derived_model_backtest`` (queries_model_cards.backtest_results). Nothing here computes or
quotes a score: with no stored results the page says so (暂无回测结果).
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html
from sqlalchemy.orm import Session

from data_access import codes, db, queries_model_cards
from data_access.scope import Scope
from risk_models import calibration
from ui import exports, tables

dash.register_page(__name__, path="/model-cards", name="模型卡", order=82)

PAGE = "model_cards"
MODEL_COLUMN = "model"  # rows are grouped into one card per value of this column when it exists
COLUMNS = {"run_at": "运行时间", "dataset": "数据集", "metric_label": "指标", "value_text": "取值", "n": "样本数",
           "note": "说明"}
# What each metric the risk-model batch stores (risk_models/backtest.py) means to a reader; others show their key.
METRIC_LABELS = {
    "recall": "召回率", "material_recall": "重要事件召回率（达到各类重要性阈值的植入事件）", "precision": "精确率",
    "precision_early": "精确率（早期证据线索）", "precision_full": "精确率（充分证据线索）", "median_delay_days": "发现延迟中位数（天）",
    "recall_testable": "可检验事件召回率", "recall_top30": "前30名召回率", "plan_recall": "检查计划召回率", "precision_at_k": "检查计划精确率",
    "alarm_precision": "告警日精确率", "auc": "区分能力（曲线下面积）", "average_precision": "平均精确率",
    "auc_credit_grade_baseline": "区分能力（仅信用等级，对照）", "days_earlier_mean": "平均提前发现天数",
    "first_half_share_model": "前一半检查发现的问题占比（模型排序）",
    "first_half_share_bau": "前一半检查发现的问题占比（原顺序）",
    "nab_normalized_score": "NAB标准化得分（单条序列）", "nab_normalized_score_mean": "NAB标准化得分（均值）",
    "review_threshold": "人工分拨置信度阈值", "routed_share": "自动分拨占比", "routed_accuracy": "自动分拨准确率",
    "fold_routed_share": "自动分拨占比（各留出折）", "fold_routed_accuracy": "自动分拨准确率（各留出折）",
    "accuracy": "准确率（全部留言）", "macro_f1": "宏平均F1（全部留言）",
    "out_of_scope_flagged": "超出已知类别检出率", "out_of_scope_review": "超出已知类别转人工率",
    "out_of_scope_auc": "超出已知类别区分能力（曲线下面积）", "in_scope_flagged": "已知类别误判为超出比例",
}


# A model's exported rows: every stored row, full precision, the metric's key beside its name.
EXPORT_COLUMNS = {"run_at": "运行时间", "dataset": "数据集", "metric_label": "指标", "metric": "指标代码", "value": "取值",
                  "n": "样本数", "note": "说明", "run_id": "运行编号"}


def metric_label(metric: str) -> str:
    """A stored metric in Chinese; a curve point (``routed_share@0.42``) names its threshold."""
    base, _, threshold = metric.partition("@")
    label = METRIC_LABELS.get(base, base)
    return f"{label}（阈值 {threshold}）" if threshold else label


def display_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """A card's rows for reading: newest run first, metrics in Chinese, values rounded (days to 0.1)."""
    out = rows.sort_values("run_at", ascending=False, kind="stable").copy()
    out["metric_label"] = out["metric"].map(metric_label)
    days = out["metric"].str.contains("days")
    out["value_text"] = [("" if pd.isna(v) else f"{v:.1f}" if d or abs(v) >= 10 else f"{v:.3f}")
                         for v, d in zip(out["value"], days, strict=True)]
    out["n"] = out["n"].map(lambda n: "" if pd.isna(n) else str(int(n)))
    out["note"] = out["note"].fillna("")
    return out


LEVEL_COLUMNS = {"kind_name": "线索类型", "level_name": "当前等级", "basis": "等级依据", "feedback": "近期核查反馈（按等级）"}


def level_rows(conn) -> pd.DataFrame:  # noqa: ANN001
    """Per generated lead kind (and evidence tier, for kinds that have tiers): the level its leads get now, what
    it stands on (department feedback, else the stored backtest), and the live precision of the last 90 days'
    verdicts per level."""
    precisions = calibration.kind_precisions(conn)
    feedback = calibration.feedback_precision(conn)
    rows = []
    for kind, name in codes.GENERATED_LEAD_KINDS.items():
        fb = feedback[feedback["kind"] == kind]
        tiers = calibration.TIER_NAMES if kind in calibration.TIERED_KINDS else {None: ""}
        for tier, tier_name in tiers.items():
            p = calibration.precision_for(precisions, kind, tier)
            rows.append({"kind_name": f"{name}（{tier_name}）" if tier_name else name,
                         "level_name": codes.LEAD_LEVELS[calibration.level_for_kind(precisions, kind, tier)],
                         "basis": p.basis() if p else "尚无核查反馈或回测结果（最高为黄色）",
                         "feedback": "；".join(f"{codes.LEAD_LEVELS.get(r.level, r.level)} {r.hits}/{r.n}（{r.precision:.0%}）"
                                              for r in fb[fb["tier"] == (tier or "")].itertuples()) or "无"})
    return pd.DataFrame(rows)


def layout(**_query) -> html.Div:
    with db.session_scope() as session:
        results = queries_model_cards.backtest_results(session)
        levels = level_rows(session.connection())
        curve_rows = queries_model_cards.review_curve(session)
    level_card = tables.card(f"线索等级依据：同类线索核查属实率（近{calibration.FEEDBACK_WINDOW_DAYS}天反馈满"
                             f"{calibration.MIN_FEEDBACK}条时）或回测精确率",
                             tables.small_table(levels, LEVEL_COLUMNS),
                             note=f"{calibration.bands_text()}；反馈中属实、部分属实计为属实，不属实与误报计为不属实。")
    intro = html.P("模型卡列出各风险模型在历史数据上的回测记录（数据集、指标、取值、运行时间），"
                   "由回测命令写入；本页只展示已存储的结果。", className="text-muted")
    if results.empty:
        return html.Div([html.H3("模型卡"), intro, level_card,
                         dbc.Alert(["暂无回测结果。运行 ", html.Code("bianjian eval planted"),
                                    "（对照演示数据植入的事件）或 ", html.Code("bianjian eval external"),
                                    "（公开基准数据）后，结果将在此显示。"],
                                   color="secondary", id="model_cards-empty")])
    curves = {name: curve for name, curve in curve_rows.groupby("model")} if not curve_rows.empty else {}
    groups = results.groupby(MODEL_COLUMN, sort=True) if MODEL_COLUMN in results else [("全部模型", results)]
    groups = [(name, rows[~rows["metric"].str.contains("@", regex=False)])  # curve points: drawn, not listed
              for name, rows in groups]
    cards = [tables.card(f"模型：{codes.label('model', name)}（{len(rows)} 条回测记录）",
                         html.Div([review_curve_view(curves[name]) if name in curves else None,
                                   tables.small_table(display_rows(rows), COLUMNS)]),
                         page=PAGE, table=str(name))
             for name, rows in groups]
    return html.Div([html.H3("模型卡"), intro, level_card, *cards])


def review_curve_view(curve: pd.DataFrame) -> html.Div:
    """Share of orders routed automatically (x) against their accuracy (y), one point per confidence threshold,
    under the name of the data it was measured on."""
    fig = go.Figure(go.Scatter(
        x=curve["coverage"] * 100, y=curve["accuracy"] * 100, mode="lines+markers", customdata=curve["threshold"],
        hovertemplate="置信度阈值 %{customdata:.2f}<br>自动分拨占比 %{x:.1f}%<br>准确率 %{y:.1f}%<extra></extra>"))
    fig.update_layout(margin={"l": 50, "r": 10, "t": 30, "b": 40}, height=280,
                      title={"text": "自动分拨占比与准确率（其余转人工分拨）", "font": {"size": 14}},
                      xaxis_title="自动分拨占比（%）", yaxis_title="自动分拨准确率（%）")
    return html.Div([html.Div(f"曲线数据：{curve['dataset'].iat[0]}", className="text-muted small"),
                     dcc.Graph(figure=fig, config={"displaylogo": False, "locale": "zh-CN"},
                               id={"type": "model_cards-curve", "model": curve["model"].iat[0]})])


def export_table(session: Session, _scope: Scope, name: str):  # noqa: ANN201
    """One model's backtest rows (no personal data; the job still checks the login)."""
    results = queries_model_cards.backtest_results(session)
    if MODEL_COLUMN in results:
        results = results[results[MODEL_COLUMN].astype(str) == name]
    results = results.assign(metric_label=results["metric"].map(metric_label) if len(results) else [])
    return results.reindex(columns=list(EXPORT_COLUMNS)).rename(columns=EXPORT_COLUMNS), f"模型卡_{codes.label('model', name)}"


export = exports.background_callback(PAGE, export_table)
