"""线索详情: one lead's reason, evidence (complaints, series with forecast band, entity record), the actions the
user's role may take now (ui.lead_form: 转办 with departments, 误报, 办结, 签收, 反馈 …), joint parts and a
timeline that starts with when and why the lead was created. Evidence is the JSON the risk models write;
see docs/dispatch.md for its keys. A spike lead's chart is the spike model's stored band of its series
(``queries_bands.spike_band``, the band the wall draws), from 8 weeks before its first alarm to the latest
scored day; other leads draw the series in their evidence. After an action the header, form, parts and
timeline are drawn again."""

from __future__ import annotations

import datetime as dt

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Output, callback, ctx, dcc, html

import security
from data_access import codes, db, queries_bands, queries_leads, queries_text
from dispatch.lifecycle import ACTION_BY_KEY
from risk_models import calibration
from security import access
from ui import charts, lead_form, levels

dash.register_page(__name__, path_template="/leads/<lead_id>", name="线索详情", nav=False,
                   roles=("LEADER", "ANALYST", "DEPT_HEAD"), id_prefix="lead-detail-")

FORM = "lead-detail"  # = id_prefix: security.access owns callback outputs by it
ORIGIN = {"provincial": "省级平台下发", "history": "风险模型生成"}  # kinds outside codes.GENERATED_LEAD_KINDS
BAND_DAYS_BEFORE = 55  # a spike lead's chart starts this many days before its first alarm (8 weeks with it)


def layout(lead_id=None, **_query) -> html.Div:
    scope = security.current_scope()
    try:
        key = int(lead_id)
    except (TypeError, ValueError):
        return dbc.Alert(f"线索编号无效：{lead_id}", color="warning", id="lead-detail-missing")
    with db.session_scope() as session:
        lead = queries_leads.lead_detail(session, scope, key)
        basis = (calibration.level_basis(session.connection(), lead["kind"], lead["evidence"], level=lead["level"],
                                         status=lead["status"]) if lead else None)
        words = (queries_text.hot_words_around(session, day=lead["created_at"].date(), region_code=lead["region_code"],
                                               category_code=lead["category_code"])
                 if lead is not None else None)
        band = _stored_band(session, lead) if lead is not None else None
    if lead is None:
        return dbc.Alert(f"线索 {key} 不存在或无权查看", color="warning", id="lead-detail-missing")
    return html.Div([
        html.Div(_header(lead), id="lead-detail-header"),
        html.P(basis, className="text-muted small", id="lead-detail-level-basis") if basis else None,
        dbc.Row([dbc.Col(_evidence(lead["evidence"] or {}, scope.role, band), lg=8),
                 dbc.Col([_actions(lead, scope), _hot_words(*words),
                          html.Div(_parts(lead["parts"]), id="lead-detail-parts-box"),
                          html.Div(_timeline(lead), id="lead-detail-timeline-box")], lg=4)]),
    ], id="lead-detail")


def _actions(lead: dict, scope) -> dbc.Card | None:  # noqa: ANN001
    """The 处置 card: the shared action form, or nothing for a role that never acts (a leader's 督办 is
    an action, so a leader sees it while the lead is open)."""
    if not any(scope.role in a.roles for a in ACTION_BY_KEY.values()):
        return None
    return dbc.Card([dbc.CardHeader("处置"), dbc.CardBody([
        html.Div(lead_form.form(FORM, lead, scope), id="lead-detail-form"),
        html.Div(id="lead-detail-message", className="mt-3"),
    ])], className="mb-3", id="lead-detail-actions")


@callback(output=[Output("lead-detail-message", "children"), Output("lead-detail-form", "children"),
                  Output("lead-detail-header", "children"), Output("lead-detail-parts-box", "children"),
                  Output("lead-detail-timeline-box", "children")],
          **lead_form.dependencies(FORM), prevent_initial_call=True)
def act(clicks, leads, texts, text_ids, fields, field_ids):  # noqa: ANN001
    """Apply the clicked action from the lead page; redraw what it changed, or keep the form and say why."""
    action = lead_form.clicked_action(ctx.triggered, ctx.triggered_id)
    if action is None:
        return (dash.no_update,) * 5
    scope = security.current_scope()
    ok, message, redraw = lead_form.submit(action, leads, texts, text_ids, fields, field_ids, scope)
    alert = dbc.Alert(message, color="success" if ok else "danger", id="lead-detail-result")
    if not redraw:
        return (alert,) + (dash.no_update,) * 4
    with db.session_scope() as session:
        lead = queries_leads.lead_detail(session, scope, leads[0]["lead_id"])
    if lead is None:  # e.g. a department head's 退回: the lead left their department
        return alert, dbc.Alert("该线索已不在您的办理范围内", color="light"), dash.no_update, dash.no_update, \
            dash.no_update
    return alert, lead_form.form(FORM, lead, scope), _header(lead), _parts(lead["parts"]), _timeline(lead)


def _hot_words(words, region_code: str | None, category_code: str | None) -> dbc.Card:  # noqa: ANN001
    """The week's hot words of the lead's county × category (else county, else city), bursts marked ↑."""
    cell = ("本区县本类别" if category_code else "本区县") if region_code else "全市"
    if words.empty:
        body = html.P("暂无热词（文本挖掘尚未覆盖该周）", className="text-muted mb-0")
    else:
        body = html.Div([dbc.Badge(f"{w.term}·{w.doc_count}" + ("↑" if w.is_emerging else ""),
                                   color="danger" if w.is_emerging else "info", className="me-1 mb-1",
                                   title="较前三周明显增多" if w.is_emerging else None)
                         for w in words.itertuples()])
    return dbc.Card([dbc.CardHeader(f"{cell}同期热词（↑ 较前三周明显增多）"), dbc.CardBody(body, id="lead-detail-hot-words")],
                    className="mb-3")


def _header(lead: dict) -> html.Div:
    facts = [("状态", lead["status"]), ("牵头部门", lead["dept_name"] or "未指定"),
             ("协办部门", "、".join(lead["co_dept_names"]) or "无"), ("区县", lead["region_name"] or "全市"),
             ("签收时限", _fmt(lead["sign_deadline"])), ("办理时限", _fmt(lead["handle_deadline"])),
             ("督办", lead["supervise_level"] or "无"), (levels.SCORE_LABEL, f"{lead['score']:.2f}")]
    if lead["feedback_result"]:
        facts += [("核查结果", lead["feedback_result"]), ("处置措施", lead["feedback_actions"] or "无"),
                  ("反馈说明", lead["feedback_text"] or ""), ("附件", "、".join(lead["feedback_attachments"] or []) or "无")]
    return html.Div([
        html.H3([levels.level_badge(lead["level"], className="me-2"), lead["title"]], id="lead-detail-title"),
        html.P(lead["reason"], className="lead", id="lead-detail-reason"),
        dbc.Row([dbc.Col(html.Div([html.Small(k, className="text-muted d-block"), html.Span(v)],
                                  title=levels.SCORE_HINT if k == levels.SCORE_LABEL else None),
                         xs=6, md=3, className="mb-2")
                 for k, v in facts]),
    ], className="mb-3")


def _stored_band(session, lead: dict) -> list[dict] | None:  # noqa: ANN001
    """The spike model's stored band of a spike lead's series; None for other leads, and when the stored rows do
    not reach back to the lead's first alarm (a lead older than the table: its evidence holds the same model's
    band of those days)."""
    if lead["kind"] != "spike" or not (lead["region_code"] and lead["category_code"]):
        return None
    signal = (lead["evidence"] or {}).get("signal") or {}
    first = dt.date.fromisoformat(signal["first_alarm_day"]) if signal.get("first_alarm_day") \
        else lead["created_at"].date()
    band = queries_bands.spike_band(session, region_code=lead["region_code"], category_code=lead["category_code"],
                                    start=first - dt.timedelta(days=BAND_DAYS_BEFORE))
    if band.empty or band["day"].min().date() > first:
        return None
    return [{"day": r.day.date().isoformat(), "n": int(r.n), "expected": _number(r.expected),
             "lower": _number(r.lower), "upper": _number(r.upper), "alarm": bool(r.alarm)} for r in band.itertuples()]


def _number(value: float) -> float | None:
    return None if value != value else float(value)  # NaN (the detector's warm-up) is a gap in the chart


def _evidence(evidence: dict, role: str, band: list[dict] | None = None) -> html.Div:
    """The evidence cards; ``band`` (the stored band of a spike lead's series) replaces the evidence's series."""
    blocks = []
    figure = series_figure(band or evidence.get("series"))
    if figure is not None:
        blocks.append(dbc.Card([dbc.CardHeader("诉求量与预测区间"),
                                dbc.CardBody(dcc.Graph(figure=figure, id="lead-detail-series",
                                                       config={"displaylogo": False, "locale": "zh-CN"}))], className="mb-3"))
    complaints = evidence.get("complaints") or []
    if complaints:
        rows = [html.Tr([html.Td(c.get("order_no", "")), html.Td(str(c.get("accepted_at", ""))[:16]),
                         html.Td(c.get("title", "")), html.Td(c.get("content", ""), className="small")])
                for c in complaints]
        blocks.append(dbc.Card([dbc.CardHeader(f"相关诉求（{len(complaints)}件）"), dbc.CardBody(dbc.Table(
            [html.Thead(html.Tr([html.Th("工单号"), html.Th("受理时间"), html.Th("标题"), html.Th("内容")])),
             html.Tbody(rows)], size="sm", responsive=True, striped=True, id="lead-detail-complaints"))], className="mb-3"))
    merged = evidence.get("signals") or {}
    if len(merged) > 1:
        # No level per part: a part's stored level is the one it was raised at (uncalibrated 黄 before the
        # lead_levels step), which contradicted the lead's calibrated level; the 等级依据 line gives each part's.
        items = [dbc.ListGroupItem([html.Strong(f"{codes.GENERATED_LEAD_KINDS.get(k, k)}："), p.get("reason", "")])
                 for k, p in merged.items()]
        blocks.append(dbc.Card([dbc.CardHeader("同一主体的全部线索依据"), dbc.ListGroup(items, flush=True,
                                                                             id="lead-detail-signals")],
                               className="mb-3"))
    entity = evidence.get("entity") or {}
    if entity:
        blocks.append(dbc.Card([dbc.CardHeader("涉及主体"), dbc.CardBody(dbc.Table(html.Tbody(
            [html.Tr([html.Th(str(k)), html.Td(str(v))]) for k, v in entity.items()]), size="sm",
            id="lead-detail-entity"))], className="mb-3"))
    loads = evidence.get("loads") or []
    if loads:
        rows = [html.Tr([html.Td(b.get("started_at", "")), html.Td(f"{b.get('received', 0):,}"),
                         html.Td(f"{b.get('quarantined', 0):,}"), html.Td(codes.label("run_status", b.get("status")))]) for b in loads]
        quality_page = dash.page_registry.get("pages.data_quality")
        link = ([dcc.Link("在「数据质量」页查看全部来源的时效与隔离原因", href=quality_page["path"])]
                if quality_page and access.can_see(role, quality_page) else [])
        blocks.append(dbc.Card([dbc.CardHeader("该数据源最近的导入批次"), dbc.CardBody([dbc.Table(
            [html.Thead(html.Tr([html.Th("导入时间"), html.Th("接收记录"), html.Th("隔离记录"), html.Th("状态")])),
             html.Tbody(rows)], size="sm", striped=True, id="lead-detail-loads"), *link])], className="mb-3"))
    return html.Div(blocks or [dbc.Alert("该线索没有附带证据", color="light")])


def series_figure(series) -> go.Figure | None:  # noqa: ANN001
    """Observed counts with the expected line and forecast band; days with ``alarm`` set are marked 告警.
    ``series`` is a list of ``{day, n, expected?, lower?, upper?, alarm?}`` or a dict of equal-length lists with
    those keys."""
    if not series:
        return None
    if isinstance(series, dict):
        keys = list(series)
        series = [dict(zip(keys, values, strict=True)) for values in zip(*series.values(), strict=True)]
    days = [p.get("day") for p in series]
    fig = go.Figure()
    if all(p.get("upper") is not None and p.get("lower") is not None for p in series):
        fig.add_trace(go.Scatter(x=days, y=[p["upper"] for p in series], mode="lines", line={"width": 0},
                                 name="预测上限", showlegend=False))
        fig.add_trace(go.Scatter(x=days, y=[p["lower"] for p in series], mode="lines", line={"width": 0},
                                 fill="tonexty", fillcolor="rgba(13,110,253,0.15)", name="预测区间"))
    if any(p.get("expected") is not None for p in series):
        fig.add_trace(go.Scatter(x=days, y=[p.get("expected") for p in series], mode="lines",
                                 line={"dash": "dash"}, name="预测值"))
    fig.add_trace(go.Scatter(x=days, y=[p.get("n") for p in series], mode="lines+markers", name="实际诉求量",
                             line={"color": "#dc3545"}))
    flagged = [p for p in series if p.get("alarm")]
    if flagged:
        fig.add_trace(go.Scatter(x=[p["day"] for p in flagged], y=[p["n"] for p in flagged], mode="markers",
                                 name="模型告警日", marker={"symbol": "triangle-up", "size": 12, "color": "#dc3545"}))
    fig.update_xaxes(**charts.DAY_AXIS)
    fig.update_layout(margin={"l": 40, "r": 10, "t": 10, "b": 40}, hovermode="x unified", height=320,
                      yaxis_title="件", legend={"orientation": "h"})
    return fig


def _parts(parts: list[dict]) -> html.Div:
    if not parts:
        return html.Div()
    items = [dbc.ListGroupItem([html.Strong(p["dept_name"]), f"　{p['duty']}　",
                                dbc.Badge(p["status"], color="success" if p["status"] == "已完成" else "secondary")])
             for p in parts]
    return dbc.Card([dbc.CardHeader("联合监管分工"), dbc.ListGroup(items, flush=True, id="lead-detail-parts")],
                    className="mb-3")


def _timeline(lead: dict) -> dbc.Card:
    """生成 (when, by what, why: the lead's reason) first, then every recorded action."""
    model = codes.GENERATED_LEAD_KINDS.get(lead["kind"])
    origin = f"风险模型（{model}）生成" if model else ORIGIN.get(lead["kind"], "系统生成")
    items = [dbc.ListGroupItem([
        html.Div([html.Strong("生成"), html.Span(f"　{origin}", className="text-muted small")]),
        html.Div(f"{_fmt(lead['created_at'])}　待研判", className="small text-muted"),
        html.Div(lead["reason"], className="small"),
    ], id="lead-detail-created")]
    for e in lead["events"]:
        action = ACTION_BY_KEY.get(e["action"])
        label = action.label if action else e["to_status"]
        change = f"{e['from_status']} → {e['to_status']}" if e["from_status"] != e["to_status"] else e["to_status"]
        items.append(dbc.ListGroupItem([
            html.Div([html.Strong(label), html.Span(f"　{change}", className="text-muted small")]),
            html.Div(f"{_fmt(e['at'])}　{e['actor']}", className="small text-muted"),
            html.Div(e["note"], className="small") if e["note"] else None,
        ]))
    return dbc.Card([dbc.CardHeader("处置时间线"), dbc.ListGroup(items, flush=True, id="lead-detail-timeline")])


def _fmt(value) -> str:  # noqa: ANN001
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"
