"""审计日志: the hash-chained audit log, newest first, paged server-side, with a chain check (SYS_ADMIN).

The pager is the page's own (上一页 / 第 n / N 页 / 下一页): dash-bootstrap-components' Pagination labels its
buttons in English for screen readers (First, Previous, …) and has no property to change them."""

from __future__ import annotations

import datetime as dt
import math

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html

from data_access import codes, db, limits
from data_access.reference import DEPT_SHORT_NAME_BY_CODE
from data_access.scope import ROLES
from security import audit

dash.register_page(__name__, path="/admin/audit", name="审计日志", order=90, roles=("SYS_ADMIN",))

PAGE_SIZE = 50
ACTIONS = codes.AUDIT_ACTIONS


def layout(**_query) -> html.Div:
    filters = dbc.Row([
        dbc.Col([dbc.Label("操作人"), dbc.Input(id="admin_audit-actor", debounce=True, placeholder="全部",
                                               maxLength=limits.max_chars("username"))], md=3),
        dbc.Col([dbc.Label("操作类型"), dbc.Select(
            id="admin_audit-action", value="", placeholder="全部",  # the text shown for the empty value
            options=[{"label": "全部", "value": ""}] + [{"label": v, "value": k} for k, v in ACTIONS.items()])],
            md=3),
        dbc.Col(dbc.Button("校验日志链", id="admin_audit-verify", color="warning"), md=3,
                className="d-flex align-items-end"),
    ], className="mb-3")
    return html.Div([
        html.H3("审计日志"), filters, html.Div(id="admin_audit-verify-result", className="mb-2"),
        html.Div(id="admin_audit-table"),
        dcc.Store(id="admin_audit-page", data=1),
        html.Div([
            dbc.Button("上一页", id="admin_audit-prev", color="secondary", outline=True, size="sm"),
            html.Span(id="admin_audit-page-text", className="mx-3"),
            dbc.Button("下一页", id="admin_audit-next", color="secondary", outline=True, size="sm"),
        ], className="d-flex align-items-center"),
    ])


def _value(value: object) -> str:
    """One detail value in words: department codes by name, roles and personal-data columns in Chinese,
    timestamps without the ISO ``T``, lists joined with 、."""
    if isinstance(value, list):
        return "、".join(_value(v) for v in value) or "无"
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None:
        return "无"
    text = str(value)
    for names in (DEPT_SHORT_NAME_BY_CODE, ROLES, codes.PII_FIELDS, codes.EXPORT_PURPOSES, codes.LEAD_LEVELS,
                  codes.HTTP_METHODS):
        if text in names:
            return names[text]
    try:
        return f"{dt.datetime.fromisoformat(text):%Y-%m-%d %H:%M}" if "T" in text else text
    except ValueError:
        return text


def actor_text(actor: str) -> str:
    """Who acted: a user name, or 大屏「name」 for a wall display (stored as ``kiosk:name``)."""
    kind, _, name = actor.partition(":")
    return f"大屏「{name}」" if kind == "kiosk" and name else actor


def describe(detail: dict | None) -> str:
    """An audit row's detail as ``原状态：待研判；新状态：已转办；部门：市城管局`` (the stored JSON is unchanged)."""
    return "；".join(f"{codes.label('audit_field', k)}：{_value(v)}" for k, v in (detail or {}).items())


@callback(Output("admin_audit-table", "children"), Output("admin_audit-page", "data"),
          Output("admin_audit-page-text", "children"), Output("admin_audit-prev", "disabled"),
          Output("admin_audit-next", "disabled"),
          Input("admin_audit-prev", "n_clicks"), Input("admin_audit-next", "n_clicks"),
          Input("admin_audit-actor", "value"), Input("admin_audit-action", "value"),
          State("admin_audit-page", "data"))
def show_page(_prev: int | None, _next: int | None, actor: str | None, action: str | None, page: int | None):
    """One page of rows: the pager's buttons move one page, a filter starts again at the first; the page
    number sent by the browser is only a request, clamped to the pages the filters give."""
    step = {"admin_audit-prev": -1, "admin_audit-next": 1}.get(ctx.triggered_id)
    page = max(1, (page if isinstance(page, int) else 1) + step) if step else 1
    actor = (actor or "").strip()[:limits.max_chars("username")] or None
    with db.session_scope() as session:
        rows, total = audit.page(session, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE, actor=actor,
                                 action=action or None)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        if page > pages:  # past the end (a crafted request, or rows gone): the last page
            page = pages
            rows, total = audit.page(session, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE, actor=actor,
                                     action=action or None)
    header = html.Thead(html.Tr([html.Th(h) for h in ("序号", "时间", "操作人", "操作", "对象", "详情", "哈希")]))
    body = html.Tbody([html.Tr([
        html.Td(r.audit_id), html.Td(f"{r.at:%Y-%m-%d %H:%M:%S}"), html.Td(actor_text(r.actor)),
        html.Td(codes.label("audit_action", r.action)),
        html.Td([codes.label("audit_object", r.object_type), " ", html.Code(r.object_id or "")]),
        html.Td(describe(r.detail), className="small"), html.Td(html.Code(r.row_hash[:12])),
    ]) for r in rows])
    table = dbc.Table([header, body], striped=True, size="sm", responsive=True) if rows else \
        dbc.Alert("没有符合条件的记录。", color="secondary")
    return table, page, f"第 {page} / {pages} 页（共 {total} 条）", page <= 1, page >= pages


@callback(Output("admin_audit-verify-result", "children"), Input("admin_audit-verify", "n_clicks"),
          prevent_initial_call=True)
def verify_chain(_clicks: int):
    """Recompute every hash; the first problem names the first tampered row."""
    problems = audit.verify(db.engine())
    if problems:
        return dbc.Alert([html.Strong(f"日志链校验失败（{len(problems)} 处）："), html.Br(), str(problems[0])],
                         color="danger")
    n, head = audit.head(db.engine())
    audit.checkpoint(db.engine())
    return dbc.Alert(f"日志链完整：共 {n} 条，链头 {head[:16]}…", color="success")
