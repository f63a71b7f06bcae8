"""用户与密钥: users, wall-display tokens and source-system API keys (SYS_ADMIN).

Every change is made through the same library functions as the CLI, so it is audited the same way.
New tokens and keys are shown once, in this browser only.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html

import security
from data_access import codes, db
from data_access.reference import DEPT_SHORT_NAME_BY_CODE
from data_access.scope import ROLES
from security import api_keys, kiosk, users

dash.register_page(__name__, path="/admin/users", name="用户与密钥", order=91, roles=("SYS_ADMIN",))

_ERRORS = (users.UserError, kiosk.KioskError, api_keys.ApiKeyError)
NO_DEPT = "（部门负责人所属部门）"


def layout(**_query) -> html.Div:
    add_user = dbc.Row([
        dbc.Col(dbc.Input(id="admin_users-username", placeholder="用户名"), md=2),
        dbc.Col(dbc.Select(id="admin_users-role", value="ANALYST",
                           options=[{"label": v, "value": k} for k, v in ROLES.items()]), md=2),
        dbc.Col(dbc.Select(id="admin_users-dept", value="", placeholder=NO_DEPT,
                           options=[{"label": NO_DEPT, "value": ""}]
                           + [{"label": d.short_name, "value": d.key} for d in codes.DEPARTMENTS]), md=3),
        dbc.Col(dbc.Input(id="admin_users-password", type="password", placeholder="初始密码"), md=2),
        dbc.Col(dbc.Button("新增用户", id="admin_users-add", color="primary"), md=1),
        dbc.Col(dbc.Button("停用该用户", id="admin_users-disable", color="danger", outline=True), md=2),
    ], className="g-2 mb-2")
    tokens = dbc.Row([
        dbc.Col(dbc.Input(id="admin_users-kiosk-name", placeholder="大屏名称，如 hall-1"), md=3),
        dbc.Col(dbc.Button("签发大屏令牌", id="admin_users-kiosk-create"), md=2),
        dbc.Col(dbc.Button("吊销大屏令牌", id="admin_users-kiosk-revoke", color="danger", outline=True), md=2),
        dbc.Col(dbc.Input(id="admin_users-key-system", placeholder="来源系统或密钥前缀"), md=3),
        dbc.Col(dbc.Button("签发接口密钥", id="admin_users-key-create"), md=1),
        dbc.Col(dbc.Button("吊销密钥", id="admin_users-key-revoke", color="danger", outline=True), md=1),
    ], className="g-2 mb-3")
    return html.Div([
        html.H3("用户与密钥"), add_user, tokens,
        html.Div(id="admin_users-message"), html.Div(id="admin_users-tables", children=_tables()),
    ])


def _tables() -> list:
    with db.session_scope() as session:
        user_rows = [(u.username, ROLES[u.role], DEPT_SHORT_NAME_BY_CODE.get(u.dept_code, u.dept_code or ""),
                      "停用" if u.disabled else "正常",
                      f"{u.last_login_at:%Y-%m-%d %H:%M}" if u.last_login_at else "")
                     for u in users.list_users(session)]
        kiosk_rows = [(k.name, f"{k.created_at:%Y-%m-%d %H:%M}", "已吊销" if k.revoked_at else "有效",
                       f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "")
                      for k in kiosk.list_kiosks(session)]
        key_rows = [(k.src_system, k.key_prefix + "…", "已吊销" if k.revoked_at else "有效",
                     f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "")
                    for k in api_keys.list_keys(session)]
    return [
        html.H5("用户"), _table(("用户名", "角色", "部门", "状态", "最近登录"), user_rows),
        html.H5("大屏令牌"), _table(("名称", "签发时间", "状态", "最近使用"), kiosk_rows),
        html.H5("接口密钥"), _table(("来源系统", "密钥前缀", "状态", "最近使用"), key_rows),
    ]


def _table(headers: tuple[str, ...], rows: list[tuple]) -> dbc.Table:
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in headers])),
                      html.Tbody([html.Tr([html.Td(v) for v in row]) for row in rows])],
                     striped=True, size="sm", responsive=True)


@callback(Output("admin_users-message", "children"), Output("admin_users-tables", "children"),
          Input("admin_users-add", "n_clicks"), Input("admin_users-disable", "n_clicks"),
          Input("admin_users-kiosk-create", "n_clicks"), Input("admin_users-kiosk-revoke", "n_clicks"),
          Input("admin_users-key-create", "n_clicks"), Input("admin_users-key-revoke", "n_clicks"),
          State("admin_users-username", "value"), State("admin_users-role", "value"),
          State("admin_users-dept", "value"), State("admin_users-password", "value"),
          State("admin_users-kiosk-name", "value"), State("admin_users-key-system", "value"),
          prevent_initial_call=True)
def change(_add, _disable, _kiosk_create, _kiosk_revoke, _key_create, _key_revoke,
           username, role, dept_key, password, kiosk_name, key_system):
    """Apply the clicked action as the logged-in administrator and redraw the tables."""
    actor = security.current_scope().user
    action = dash.ctx.triggered_id
    try:
        with db.session_scope() as session:
            if action == "admin_users-add":
                users.add_user(session, username or "", role, password or "", actor=actor, dept_key=dept_key or None)
                message = dbc.Alert(f"已新增用户 {username}。", color="success")
            elif action == "admin_users-disable":
                users.disable_user(session, (username or "").strip().lower(), actor=actor)
                message = dbc.Alert(f"已停用用户 {username}，其会话已全部结束。", color="success")
            elif action == "admin_users-kiosk-create":
                token = kiosk.create(session, kiosk_name or "", actor=actor)
                message = dbc.Alert(["大屏令牌（仅显示一次）：", html.Code(f"/wall?kiosk={token}")], color="warning")
            elif action == "admin_users-kiosk-revoke":
                kiosk.revoke(session, kiosk_name or "", actor=actor)
                message = dbc.Alert(f"已吊销大屏 {kiosk_name} 的令牌。", color="success")
            elif action == "admin_users-key-create":
                key = api_keys.create(session, key_system or "", actor=actor)
                message = dbc.Alert(["接口密钥（仅显示一次）：", html.Code(key)], color="warning")
            else:
                api_keys.revoke(session, key_system or "", actor=actor)
                message = dbc.Alert(f"已吊销密钥 {key_system}。", color="success")
    except _ERRORS as exc:
        return dbc.Alert(f"操作失败：{exc}", color="danger"), dash.no_update
    return message, _tables()
