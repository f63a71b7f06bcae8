"""审计日志: the hash-chained audit log, newest first, paged server-side, with a chain check (SYS_ADMIN)."""

from __future__ import annotations

import datetime as dt
import math

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html

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
        dbc.Pagination(id="admin_audit-pager", max_value=1, active_page=1, fully_expanded=False,
                       first_last=True, previous_next=True),
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


@callback(Output("admin_audit-table", "children"), Output("admin_audit-pager", "max_value"),
          Input("admin_audit-pager", "active_page"), Input("admin_audit-actor", "value"),
          Input("admin_audit-action", "value"))
def show_page(active_page: int | None, actor: str | None, action: str | None):
    """One page of rows; the page count follows the filters."""
    with db.session_scope() as session:
        rows, total = audit.page(session, offset=((active_page or 1) - 1) * PAGE_SIZE, limit=PAGE_SIZE,
                                 actor=(actor or "").strip()[:limits.max_chars("username")] or None, action=action or None)
    header = html.Thead(html.Tr([html.Th(h) for h in ("序号", "时间", "操作人", "操作", "对象", "详情", "哈希")]))
    body = html.Tbody([html.Tr([
        html.Td(r.audit_id), html.Td(f"{r.at:%Y-%m-%d %H:%M:%S}"), html.Td(actor_text(r.actor)),
        html.Td(codes.label("audit_action", r.action)),
        html.Td([codes.label("audit_object", r.object_type), " ", html.Code(r.object_id or "")]),
        html.Td(describe(r.detail), className="small"), html.Td(html.Code(r.row_hash[:12])),
    ]) for r in rows])
    table = dbc.Table([header, body], striped=True, size="sm", responsive=True) if rows else \
        dbc.Alert("没有符合条件的记录。", color="secondary")
    return table, max(1, math.ceil(total / PAGE_SIZE))


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
