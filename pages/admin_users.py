"""用户与密钥: users, wall-display tokens and source-system API keys (SYS_ADMIN).

Every change is made through the same library functions as the CLI, so it is audited the same way.
New tokens and keys are shown once, in this browser only. Disabling a user and revoking a wall token or an
API key are actions on the row they concern, and each asks for confirmation first (a dialog naming the
user, display or key); nothing acts on a name typed into a box.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html

import security
from data_access import codes, db, limits
from data_access.reference import DEPT_SHORT_NAME_BY_CODE
from data_access.scope import ROLES
from security import api_keys, kiosk, users

dash.register_page(__name__, path="/admin/users", name="用户与密钥", order=91, roles=("SYS_ADMIN",))

_ERRORS = (users.UserError, kiosk.KioskError, api_keys.ApiKeyError)
NO_DEPT = "（部门负责人所属部门）"
ROW_ACTION = "admin_users-row-action"
# Row action → (button label, confirmation question, done message); {0} is the row's user, display or key.
ROW_ACTIONS = {
    "disable": ("停用", "确认停用用户 {0}？其所有会话将立即结束，之后无法再登录。", "已停用用户 {0}，其会话已全部结束。"),
    "revoke_kiosk": ("吊销", "确认吊销大屏 {0} 的令牌？该大屏将立即退出，需重新签发令牌。", "已吊销大屏 {0} 的令牌。"),
    "revoke_key": ("吊销", "确认吊销密钥 {0}？使用该密钥的系统将无法再推送数据。", "已吊销密钥 {0}。"),
}


def layout(**_query) -> html.Div:
    add_user = dbc.Row([
        dbc.Col(dbc.Input(id="admin_users-username", placeholder="用户名", maxLength=limits.max_chars("username")), md=2),
        dbc.Col(dbc.Select(id="admin_users-role", value="ANALYST",
                           options=[{"label": v, "value": k} for k, v in ROLES.items()]), md=2),
        dbc.Col(dbc.Select(id="admin_users-dept", value="", placeholder=NO_DEPT,
                           options=[{"label": NO_DEPT, "value": ""}]
                           + [{"label": d.short_name, "value": d.key} for d in codes.DEPARTMENTS]), md=3),
        dbc.Col(dbc.Input(id="admin_users-password", type="password", placeholder="初始密码",
                          maxLength=limits.max_chars("password")), md=2),
        dbc.Col(dbc.Button("新增用户", id="admin_users-add", color="primary"), md=2),
    ], className="g-2 mb-2")
    tokens = dbc.Row([
        dbc.Col(dbc.Input(id="admin_users-kiosk-name", placeholder="大屏名称，如 hall-1",
                          maxLength=limits.max_chars("kiosk_name")), md=3),
        dbc.Col(dbc.Button("签发大屏令牌", id="admin_users-kiosk-create"), md=2),
        dbc.Col(dbc.Input(id="admin_users-key-system", placeholder="来源系统，如 12345",
                          maxLength=limits.max_chars("key_system")), md=3),
        dbc.Col(dbc.Button("签发接口密钥", id="admin_users-key-create"), md=2),
    ], className="g-2 mb-3")
    return html.Div([
        html.H3("用户与密钥"), add_user, tokens,
        html.Div(id="admin_users-message"), html.Div(id="admin_users-tables", children=_tables()),
        dcc.Store(id="admin_users-pending"),
        dcc.ConfirmDialog(id="admin_users-confirm", message=""),
    ])


def _tables() -> list:
    actor = security.current_scope().user
    with db.session_scope() as session:
        user_rows = [((u.username, ROLES[u.role], DEPT_SHORT_NAME_BY_CODE.get(u.dept_code, u.dept_code or ""),
                       "停用" if u.disabled else "正常",
                       f"{u.last_login_at:%Y-%m-%d %H:%M}" if u.last_login_at else ""),
                      _row_button("disable", u.username) if not u.disabled and u.username != actor else None)
                     for u in users.list_users(session)]
        kiosk_rows = [((k.name, f"{k.created_at:%Y-%m-%d %H:%M}", "已吊销" if k.revoked_at else "有效",
                        f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else ""),
                       None if k.revoked_at else _row_button("revoke_kiosk", k.name))
                      for k in kiosk.list_kiosks(session)]
        key_rows = [((k.src_system, k.key_prefix + "…", "已吊销" if k.revoked_at else "有效",
                      f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else ""),
                     None if k.revoked_at else _row_button("revoke_key", k.key_prefix))
                    for k in api_keys.list_keys(session)]
    return [
        html.H5("用户"), _table(("用户名", "角色", "部门", "状态", "最近登录"), user_rows, "users"),
        html.H5("大屏令牌"), _table(("名称", "签发时间", "状态", "最近使用"), kiosk_rows, "kiosks"),
        html.H5("接口密钥"), _table(("来源系统", "密钥前缀", "状态", "最近使用"), key_rows, "keys"),
    ]


def _row_button(action: str, target: str) -> dbc.Button:
    return dbc.Button(ROW_ACTIONS[action][0], id={"type": ROW_ACTION, "action": action, "target": target},
                      color="danger", outline=True, size="sm")


def _table(headers: tuple[str, ...], rows: list[tuple], name: str) -> dbc.Table:
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in (*headers, "操作")])),
                      html.Tbody([html.Tr([*(html.Td(v) for v in values), html.Td(button)]) for values, button in rows])],
                     striped=True, size="sm", responsive=True, id=f"admin_users-table-{name}")


@callback(Output("admin_users-message", "children"), Output("admin_users-tables", "children"),
          Input("admin_users-add", "n_clicks"), Input("admin_users-kiosk-create", "n_clicks"),
          Input("admin_users-key-create", "n_clicks"),
          State("admin_users-username", "value"), State("admin_users-role", "value"),
          State("admin_users-dept", "value"), State("admin_users-password", "value"),
          State("admin_users-kiosk-name", "value"), State("admin_users-key-system", "value"),
          prevent_initial_call=True)
def change(_add, _kiosk_create, _key_create, username, role, dept_key, password, kiosk_name, key_system):
    """Create a user, a wall token or an API key as the logged-in administrator and redraw the tables."""
    actor = security.current_scope().user
    action = dash.ctx.triggered_id
    try:
        with db.session_scope() as session:
            if action == "admin_users-add":
                users.add_user(session, username or "", role, password or "", actor=actor, dept_key=dept_key or None)
                message = dbc.Alert(f"已新增用户 {username}。", color="success")
            elif action == "admin_users-kiosk-create":
                token = kiosk.create(session, kiosk_name or "", actor=actor)
                message = dbc.Alert(["大屏令牌（仅显示一次）：", html.Code(f"/wall?kiosk={token}")], color="warning")
            else:
                key = api_keys.create(session, key_system or "", actor=actor)
                message = dbc.Alert(["接口密钥（仅显示一次）：", html.Code(key)], color="warning")
    except _ERRORS as exc:
        return dbc.Alert(f"操作失败：{exc.zh}", color="danger"), dash.no_update
    return message, _tables()


@callback(Output("admin_users-confirm", "displayed"), Output("admin_users-confirm", "message"),
          Output("admin_users-pending", "data"),
          Input({"type": ROW_ACTION, "action": ALL, "target": ALL}, "n_clicks"), prevent_initial_call=True)
def ask(_clicks):
    """A row's 停用/吊销 asks first: the dialog names what will be acted on. Redrawn tables fire this
    with no click, which asks nothing."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(t.get("value") for t in ctx.triggered):
        return dash.no_update, dash.no_update, dash.no_update
    return True, ROW_ACTIONS[trigger["action"]][1].format(trigger["target"]), \
        {"action": trigger["action"], "target": trigger["target"]}


@callback(Output("admin_users-message", "children", allow_duplicate=True),
          Output("admin_users-tables", "children", allow_duplicate=True),
          Input("admin_users-confirm", "submit_n_clicks"), State("admin_users-pending", "data"),
          prevent_initial_call=True)
def confirmed(_submitted, pending: dict | None):
    """Carry out the confirmed row action (audited by the library function) and redraw the tables."""
    if not pending or pending.get("action") not in ROW_ACTIONS:
        return dash.no_update, dash.no_update
    actor, target = security.current_scope().user, str(pending.get("target") or "")
    try:
        with db.session_scope() as session:
            if pending["action"] == "disable":
                if target == actor:
                    raise users.UserError("cannot disable the signed-in account", "不能停用当前登录的账号")
                users.disable_user(session, target, actor=actor)
            elif pending["action"] == "revoke_kiosk":
                kiosk.revoke(session, target, actor=actor)
            else:
                api_keys.revoke(session, target, actor=actor)
    except _ERRORS as exc:
        return dbc.Alert(f"操作失败：{exc.zh}", color="danger"), dash.no_update
    return dbc.Alert(ROW_ACTIONS[pending["action"]][2].format(target), color="success"), _tables()
