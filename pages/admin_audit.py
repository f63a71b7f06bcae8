"""审计日志: the hash-chained audit log, newest first, paged server-side, with a chain check (SYS_ADMIN)."""

from __future__ import annotations

import json
import math

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html

from data_access import db, limits
from security import audit

dash.register_page(__name__, path="/admin/audit", name="审计日志", order=90, roles=("SYS_ADMIN",))

PAGE_SIZE = 50
ACTIONS = {
    "login": "登录", "login_failed": "登录失败", "login_locked": "登录锁定", "logout": "退出",
    "kiosk_login": "大屏登录", "kiosk_login_failed": "大屏登录失败", "access_denied": "拒绝访问",
    "user_add": "新增用户", "user_disable": "停用用户", "user_reset_password": "重置密码",
    "kiosk_create": "签发大屏令牌", "kiosk_revoke": "吊销大屏令牌",
    "api_key_create": "签发接口密钥", "api_key_revoke": "吊销接口密钥",
    "pii_view": "查看个人信息", "pii_export": "导出个人信息",
}


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
        html.Td(r.audit_id), html.Td(f"{r.at:%Y-%m-%d %H:%M:%S}"), html.Td(r.actor),
        html.Td(ACTIONS.get(r.action, r.action)), html.Td(f"{r.object_type} {r.object_id or ''}"),
        html.Td(html.Code(json.dumps(r.detail, ensure_ascii=False))), html.Td(html.Code(r.row_hash[:12])),
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
    return dbc.Alert(f"日志链完整：共 {n} 条，链头 {head[:16]}…", color="success")
