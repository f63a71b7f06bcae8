"""Login, role checks, CSRF, rate limiting, idle timeout, wall tokens and API keys, through Flask's test
client on the real app (create_app()) over a private copy of the demo warehouse.

Pages and callbacks are enumerated from dash.page_registry and app.callback_map, so a page or callback
added later is covered without editing this file.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import dash
import pytest
from dash import Input, Output, dcc, html
from sqlalchemy import select, update

import security
from data_access import db
from data_access.schema import (
    AppUser,
    AuditLog,
    Department,
    HotlineTicket,
    KioskToken,
    LoginAttempt,
    UserSession,
)
from data_access.scope import ROLES
from security import access, api_keys, audit, callback_shape, kiosk, testing, users
from security.identity import NotAuthenticated
from security.tokens import token_hash
from tests.db_fixtures import app_warehouse

PASSWORDS = {role: (username, password) for username, role, _dept, password in users.DEMO_USERS}
ALL_BUT_WALL = frozenset(ROLES) - {"WALL"}
XSS_PAYLOADS = ("<script>alert(1)</script>", '<img src=x onerror="alert(document.cookie)">')

# Who reaches which page: the pages this area owns or registers, plus the foundation's pages.
EXPECTED_MATRIX = {
    "/": ALL_BUT_WALL,
    "/complaints": ALL_BUT_WALL,
    "/admin/audit": {"SYS_ADMIN"},
    "/admin/users": {"SYS_ADMIN"},
    "/security-probe": {"LEADER", "ANALYST", "DEPT_HEAD"},
    "/security-wall": {"WALL", "LEADER"},
}


def _register_test_pages(app: dash.Dash) -> None:
    """A page whose callback filters by scope.restrict (as every lead/feedback query must), a wall page,
    and an API route; all registered before the first request, as real pages are."""
    dash.register_page("security_probe", path="/security-probe", name="探针", roles=("LEADER", "ANALYST", "DEPT_HEAD"),
                       layout=html.Div([dcc.Input(id="security_probe-dept"), html.Ul(id="security_probe-tickets")]))
    dash.register_page("security_wall_probe", path="/security-wall", name="大屏探针", roles=("WALL", "LEADER"),
                       layout=html.Div([dcc.Interval(id="security_wall_probe-tick"),
                                        html.Div(id="security_wall_probe-count")]))

    @dash.callback(Output("security_probe-tickets", "children"), Input("security_probe-dept", "value"))
    def tickets_of(dept_code):
        scope = security.current_scope()
        stmt = select(HotlineTicket.content).where(HotlineTicket.main_dept_code == dept_code)
        with db.session_scope() as session:
            contents = session.scalars(scope.restrict(stmt, HotlineTicket.main_dept_code)
                                       .order_by(HotlineTicket.ticket_id).limit(20)).all()
        return [html.Li(c) for c in contents]

    @dash.callback(Output("security_wall_probe-count", "children"), Input("security_wall_probe-tick", "n_intervals"))
    def wall_count(_n):
        return f"{security.current_scope().role}"

    @app.server.route("/api/v1/security-ping", methods=["GET", "POST"])
    def ping():
        return {"src_system": api_keys.request_src_system()}

    @app.server.route("/api/security-session-ping")
    def session_ping():
        return {"user": security.current_scope().user}


@pytest.fixture(scope="module")
def app(demo_db_path, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("security_web")
    with app_warehouse(workdir, demo_db_path, name="web.db"):
        users.create_demo_users(db.engine())
        from app import create_app

        app = create_app()
        _register_test_pages(app)
        app.server.test_client().get("/login")  # the first request lets Dash build its callback map
        yield app
        for module in ("security_probe", "security_wall_probe"):
            dash.page_registry.pop(module, None)


def _client(app, role: str | None = None, **request_kwargs):
    client = app.server.test_client()
    if role:
        username, password = PASSWORDS[role]
        response = testing.log_in(client, username, password, **request_kwargs)
        assert response.status_code == 302, response.text
    return client


@pytest.fixture(scope="module")
def clients(app):
    return {role: _client(app, role) for role in ROLES}


def _outputs_of(key: str) -> list[dict]:
    return callback_shape.declared_outputs(key)


def _server_callbacks(app) -> list[str]:
    """Keys of the callbacks the server runs (clientside ones never reach it, and are refused if named)."""
    return [k for k, c in app.callback_map.items() if callback_shape.runs_on_server(c)]


def _post_callback(app, client, key: str, values: dict | None = None, **kwargs):
    headers = {**testing.csrf_headers(client), **kwargs.pop("headers", {})}
    return client.post("/_dash-update-component", json=testing.callback_body(app, key, values), headers=headers, **kwargs)


def _router_key(app) -> str:
    return next(k for k in app.callback_map if access.PAGES_CONTENT_ID in k)


def _page_url(page: dict) -> str:
    return re.sub(r"<[^>]+>", "x", page["path_template"]) if page.get("path_template") else page["path"]


def _dept_code(key: str) -> str:
    with db.session_scope() as session:
        return session.scalar(select(Department.dept_code).where(Department.dept_key == key))


# ----------------------------------------------------------------------------------- anonymous requests
def test_every_page_redirects_anonymous_users_to_login(app):
    client = _client(app)
    assert dash.page_registry, "no pages registered"
    for page in dash.page_registry.values():
        url = _page_url(page)
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next="), url


def test_every_dash_endpoint_and_callback_refuses_anonymous_requests(app):
    client = _client(app)
    for path in ("/_dash-layout", "/_dash-dependencies", "/_reload-hash", "/api/security-session-ping",
                 "/api/v1/security-ping", "/static/x.css"):
        assert client.get(path).status_code in (401, 302), path
        assert client.get(path).status_code != 200, path
    assert app.callback_map, "no callbacks registered"
    for key in app.callback_map:
        response = _post_callback(app, client, key)
        assert response.status_code == 401, key
        assert "figure" not in response.text and "children" not in response.text


def test_only_login_and_static_files_answer_anonymously(app):
    client = _client(app)
    assert client.get("/login").status_code == 200
    assert client.get("/assets/session.js").status_code == 200
    assert client.get("/_favicon.ico").status_code == 200
    assert client.get("/assets/vendor/bootstrap.min.css").status_code == 200
    index = _client(app, "LEADER").get("/complaints").text
    suites = re.findall(r'src="(/_dash-component-suites/[^"]+)"', index)
    assert suites and all(client.get(src).status_code == 200 for src in suites[:3])


# ---------------------------------------------------------------------------------- roles and callbacks
def test_every_callback_belongs_to_a_page(app):
    """Fails when a page's component ids lack its prefix: such a callback would be refused to everyone."""
    orphans = [(key, o["id"]) for key in _server_callbacks(app) for o in _outputs_of(key)
               if o["id"] != access.PAGES_CONTENT_ID and access.page_for_component(o["id"]) is None]
    assert orphans == []


def test_role_matrix_for_page_routes_and_the_page_router(app, clients):
    router = _router_key(app)
    for path, allowed in EXPECTED_MATRIX.items():
        for role, client in clients.items():
            expected = 200 if role in allowed else 403
            assert client.get(path).status_code == expected, (role, path)
            routed = _post_callback(app, client, router, {"_pages_location": path})
            assert routed.status_code == expected, (role, path, routed.text[:200])


def test_every_registered_page_obeys_its_declared_roles(app, clients):
    for page in dash.page_registry.values():
        for role, client in clients.items():
            expected = 200 if role in access.page_roles(page) else 403
            assert client.get(_page_url(page)).status_code == expected, (role, page["module"])


def test_callbacks_of_hidden_pages_are_refused(app, clients):
    """Every callback is refused (403) to every role that may not see its page."""
    refused = 0
    for key in _server_callbacks(app):
        pages = {access.page_for_component(o["id"])["module"] for o in _outputs_of(key)
                 if o["id"] != access.PAGES_CONTENT_ID}
        for role, client in clients.items():
            if any(not access.can_see(role, dash.page_registry.get(m, access.SHELL)) for m in pages):
                assert _post_callback(app, client, key).status_code == 403, (role, key)
                refused += 1
    assert refused > 0


def test_navigation_lists_only_visible_pages(clients):
    leader = json.dumps(clients["LEADER"].get("/_dash-layout").json, ensure_ascii=False)
    admin = json.dumps(clients["SYS_ADMIN"].get("/_dash-layout").json, ensure_ascii=False)
    assert "审计日志" not in leader and "投诉分析" in leader
    assert "审计日志" in admin and "用户与密钥" in admin
    wall = json.dumps(clients["WALL"].get("/_dash-layout").json, ensure_ascii=False)
    assert "NavbarBrand" not in wall and "退出登录" not in wall


def test_dept_head_gets_nothing_of_another_department(app, clients):
    key = "security_probe-tickets.children"
    scjg, cgj = _dept_code("SCJG"), _dept_code("CGJ")

    def rows(role, dept):
        response = _post_callback(app, clients[role], key, {"security_probe-dept": dept})
        assert response.status_code == 200, response.text
        return response.json["response"]["security_probe-tickets"]["children"]

    assert rows("LEADER", cgj), "the demo has no 城管 tickets to test with"
    assert rows("DEPT_HEAD", cgj) == []
    assert len(rows("DEPT_HEAD", scjg)) == len(rows("LEADER", scjg)) > 0


def test_current_scope_needs_a_login(app):
    with pytest.raises(NotAuthenticated):
        security.current_scope()
    with app.server.test_request_context("/"), pytest.raises(NotAuthenticated):
        security.current_scope()
    assert _client(app, "ANALYST").get("/api/security-session-ping").json == {"user": "analyst"}


# ------------------------------------------------------------------------------------------------- XSS
def test_complaint_text_with_markup_reaches_the_browser_as_text(app, clients):
    scjg = _dept_code("SCJG")
    with db.session_scope() as session:
        ids = session.scalars(select(HotlineTicket.ticket_id).where(HotlineTicket.main_dept_code == scjg)
                              .order_by(HotlineTicket.ticket_id).limit(2)).all()
        for ticket_id, payload in zip(ids, XSS_PAYLOADS, strict=True):
            session.execute(update(HotlineTicket).where(HotlineTicket.ticket_id == ticket_id).values(content=payload))
    response = _post_callback(app, clients["ANALYST"], "security_probe-tickets.children", {"security_probe-dept": scjg})
    assert response.mimetype == "application/json"
    items = response.json["response"]["security_probe-tickets"]["children"]
    # Each payload is the plain-string child of an <li>: React renders strings as text nodes.
    assert [i["props"]["children"] for i in items[:2]] == list(XSS_PAYLOADS)
    assert all(i["type"] == "Li" for i in items[:2])


def test_no_page_renders_raw_html():
    pages = Path(__file__).resolve().parents[1] / "pages"
    offenders = [f.name for f in pages.glob("*.py")
                 if re.search(r"dangerously_allow_html\s*=\s*True|srcDoc\s*=|DangerouslySetInnerHTML|\|\s*safe\b",
                              f.read_text(encoding="utf-8"))]
    assert offenders == []


def test_login_form_escapes_reflected_input(app):
    client = _client(app)
    form = client.get("/login?next=/%22%3E%3Cscript%3Ealert(1)%3C/script%3E").text
    assert "<script>alert(1)" not in form and "&lt;script&gt;alert(1)" in form
    response = testing.log_in(client, XSS_PAYLOADS[0], "whatever-Pass-1")
    assert response.status_code == 401
    assert XSS_PAYLOADS[0] not in response.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


# ------------------------------------------------------------------------------------------------ CSRF
def test_callbacks_need_the_csrf_token_and_a_same_site_origin(app):
    client = _client(app, "ANALYST")
    key = "security_probe-tickets.children"
    token = testing.csrf_headers(client)["X-CSRFToken"]
    assert client.post("/_dash-update-component", json=testing.callback_body(app, key)).status_code == 403
    assert _post_callback(app, client, key, headers={"X-CSRFToken": "0" * 64}).status_code == 403
    assert _post_callback(app, client, key, headers={"Origin": "http://evil.example"}).status_code == 403
    assert _post_callback(app, client, key, headers={"Referer": "http://evil.example/x"}).status_code == 403
    assert _post_callback(app, client, key, headers={"Origin": "null"}).status_code == 403
    ok = _post_callback(app, client, key, headers={"Origin": "http://localhost", "X-CSRFToken": token})
    assert ok.status_code == 200, ok.text[:300]
    assert "children" in ok.json["response"]["security_probe-tickets"]


def test_login_form_needs_its_csrf_token(app):
    client = _client(app)
    client.get("/login")
    username, password = PASSWORDS["LEADER"]
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 400 and client.get_cookie("bianjian_session") is None
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                           headers={"Origin": "http://evil.example"})
    assert response.status_code == 400


def test_cookies_are_httponly_samesite(app, monkeypatch):
    client = _client(app)
    response = testing.log_in(client, *PASSWORDS["LEADER"])
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    assert "HttpOnly" in cookies["bianjian_session"] and "SameSite=Lax" in cookies["bianjian_session"]
    assert "Secure" not in cookies["bianjian_session"]
    assert "SameSite=Strict" in cookies["_csrf_token"]
    monkeypatch.setenv("BIANJIAN_SESSION_COOKIE_SECURE", "true")
    response = testing.log_in(_client(app), *PASSWORDS["LEADER"])
    assert all("Secure" in c for c in response.headers.getlist("Set-Cookie"))
    page = client.get("/complaints")
    assert page.headers["X-Frame-Options"] == "SAMEORIGIN" and page.headers["Cache-Control"] == "no-store"


# ------------------------------------------------------------------------------ sessions and lockouts
def test_logout_ends_the_session_server_side(app):
    client = _client(app, "LEADER")
    stolen = client.get_cookie("bianjian_session").value
    assert client.post("/logout").status_code == 403  # no CSRF token
    response = client.post("/logout", data={"csrf_token": testing.csrf_headers(client)["X-CSRFToken"]})
    assert response.status_code == 302 and "msg=logged_out" in response.headers["Location"]
    replay = app.server.test_client()
    replay.set_cookie("bianjian_session", stolen)
    assert replay.get("/complaints").status_code == 302  # the old cookie is dead, not just deleted


def test_idle_timeout(app):
    client = _client(app, "LEADER")
    stored = token_hash(client.get_cookie("bianjian_session").value)

    def idle_for(minutes: float) -> None:
        with db.session_scope() as session:
            session.execute(update(UserSession).where(UserSession.token_hash == stored).values(
                last_seen_at=dt.datetime.now() - dt.timedelta(minutes=minutes)))

    idle_for(29)
    assert client.get("/complaints").status_code == 200
    idle_for(31)
    response = client.get("/complaints")
    assert response.status_code == 302 and "msg=expired" in response.headers["Location"]
    with db.session_scope() as session:
        assert session.scalar(select(UserSession.ended_at).where(UserSession.token_hash == stored)) is not None
    assert client.get("/_dash-layout").status_code == 401


def test_rate_limit_per_user_and_ip(app):
    with db.session_scope() as session:
        users.add_user(session, "ratelimited", "ANALYST", "Right-Pass-123", actor="test")
    attacker = {"environ_base": {"REMOTE_ADDR": "10.9.9.9"}}
    for _ in range(5):
        assert testing.log_in(_client(app), "ratelimited", "wrong-Pass-123", **attacker).status_code == 401
    locked = testing.log_in(_client(app), "ratelimited", "Right-Pass-123", **attacker)
    assert locked.status_code == 429 and "登录失败次数过多" in locked.text
    # The same user from another address is not locked out by the attacker.
    assert testing.log_in(_client(app), "ratelimited", "Right-Pass-123",
                          environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code == 302
    with db.session_scope() as session:  # 16 minutes later the lock has expired
        session.execute(update(LoginAttempt).where(LoginAttempt.ip == "10.9.9.9").values(
            at=LoginAttempt.at - dt.timedelta(minutes=16)))
    assert testing.log_in(_client(app), "ratelimited", "Right-Pass-123", **attacker).status_code == 302


def test_rate_limit_per_ip_across_usernames(app, monkeypatch):
    monkeypatch.setenv("BIANJIAN_LOGIN_MAX_FAILURES_PER_IP", "3")
    sprayer = {"environ_base": {"REMOTE_ADDR": "10.7.7.7"}}
    for name in ("nobody1", "nobody2", "nobody3"):
        assert testing.log_in(_client(app), name, "Guess-Pass-1", **sprayer).status_code == 401
    assert testing.log_in(_client(app), *PASSWORDS["LEADER"], **sprayer).status_code == 429


def test_disabled_user_loses_open_sessions(app):
    with db.session_scope() as session:
        users.add_user(session, "leaver", "LEADER", "Leaver-Pass-123", actor="test")
    client = app.server.test_client()
    assert testing.log_in(client, "leaver", "Leaver-Pass-123").status_code == 302
    assert client.get("/complaints").status_code == 200
    with db.session_scope() as session:
        users.disable_user(session, "leaver", actor="test")
    assert client.get("/complaints").status_code == 302
    assert testing.log_in(app.server.test_client(), "leaver", "Leaver-Pass-123").status_code == 401


def test_passwords_are_argon2_hashed(app):
    with db.session_scope() as session:
        stored = session.scalars(select(AppUser.password_hash)).all()
    assert stored and all(h.startswith("$argon2id$") for h in stored)
    assert not any(password in h for _u, _r, _d, password in users.DEMO_USERS for h in stored)


# --------------------------------------------------------------------------------------- wall displays
def test_kiosk_token_logs_a_wall_in_with_wall_scope_only(app):
    with db.session_scope() as session:
        token = kiosk.create(session, "hall-test", actor="test")
        assert session.scalar(select(KioskToken.token_hash).where(KioskToken.name == "hall-test")) == token_hash(token)
    wall = app.server.test_client()
    response = wall.get(f"/security-wall?kiosk={token}")
    assert response.status_code == 302 and response.headers["Location"] == "/security-wall"
    assert wall.get("/security-wall").status_code == 200
    with db.session_scope() as session:  # a wall that nobody touches is not logged out for idling
        session.execute(update(UserSession).where(UserSession.token_hash == token_hash(
            wall.get_cookie("bianjian_session").value)).values(last_seen_at=dt.datetime.now() - dt.timedelta(days=2)))
    ok = _post_callback(app, wall, "security_wall_probe-count.children")
    assert ok.status_code == 200 and ok.json["response"]["security_wall_probe-count"]["children"] == "WALL"
    for path in ("/", "/complaints", "/admin/audit", "/no-such-page", "/api/security-session-ping"):
        assert wall.get(path).status_code == 403, path
    assert _post_callback(app, wall, "security_probe-tickets.children").status_code == 403
    assert _post_callback(app, wall, _router_key(app), {"_pages_location": "/complaints"}).status_code == 403

    with db.session_scope() as session:
        kiosk.revoke(session, "hall-test", actor="test")
    assert wall.get("/security-wall").status_code == 302
    assert app.server.test_client().get(f"/security-wall?kiosk={token}").status_code == 403


def test_kiosk_login_keeps_the_walls_other_url_parameters(app):
    with db.session_scope() as session:
        token = kiosk.create(session, "hall-params", actor="test")
    wall = app.server.test_client()
    response = wall.get(f"/security-wall?kiosk={token}&screen=2&dwell=20&refresh=15&mode=fill")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/security-wall" and token not in response.headers["Location"]
    assert parse_qsl(location.query) == [("screen", "2"), ("dwell", "20"), ("refresh", "15"), ("mode", "fill")]
    assert wall.get(response.headers["Location"]).status_code == 200


def test_junk_kiosk_tokens_are_rate_limited_and_audited_in_aggregate(app):
    """Issue 21 #10: every anonymous GET /?kiosk=<junk> used to write an audit row, without limit."""
    def failures_audited() -> int:
        with db.session_scope() as session:
            return len(session.scalars(select(AuditLog.audit_id).where(AuditLog.action == "kiosk_login_failed")).all())

    before = failures_audited()
    spammer = app.server.test_client()
    statuses = [spammer.get(f"/?kiosk=junk{i}", environ_base={"REMOTE_ADDR": "10.6.6.6"}).status_code
                for i in range(50)]
    assert statuses[:5] == [403] * 5 and set(statuses[5:]) == {429}
    assert failures_audited() - before == 2  # the first failure of the window and the one that locked the IP
    with db.session_scope() as session:  # a real wall elsewhere is not affected
        token = kiosk.create(session, "hall-after-spam", actor="test")
    assert app.server.test_client().get(f"/security-wall?kiosk={token}").status_code == 302


def test_bad_kiosk_token_is_refused(app):
    response = app.server.test_client().get("/security-wall?kiosk=bjk_not-a-token")
    assert response.status_code == 403 and "大屏令牌无效" in response.text


# -------------------------------------------------------------------------------------------- API keys
def test_api_routes_take_keys_not_sessions(app):
    with db.session_scope() as session:
        key = api_keys.create(session, "KF12345", actor="test")
    anonymous = app.server.test_client()
    assert anonymous.get("/api/v1/security-ping").status_code == 401
    assert anonymous.get("/api/v1/security-ping", headers={"X-API-Key": key + "x"}).status_code == 401
    assert _client(app, "SYS_ADMIN").get("/api/v1/security-ping").status_code == 401  # a session is no key
    assert anonymous.get("/api/v1/security-ping", headers={"X-API-Key": key}).json == {"src_system": "KF12345"}
    bearer = anonymous.post("/api/v1/security-ping", headers={"Authorization": f"Bearer {key}"})
    assert bearer.status_code == 200 and bearer.json == {"src_system": "KF12345"}
    assert api_keys.authenticate(key) == "KF12345" and api_keys.authenticate(None) is None
    with db.session_scope() as session:
        api_keys.revoke(session, key[:12], actor="test")
    assert anonymous.get("/api/v1/security-ping", headers={"X-API-Key": key}).status_code == 401


# ----------------------------------------------------------------------------------------------- audit
def test_security_events_are_audited_in_an_intact_chain(app):
    client = _client(app, "DEPT_HEAD")
    client.get("/admin/audit")  # refused, and recorded
    testing.log_in(app.server.test_client(), "dept_scjg", "not-the-Pass-1")
    with db.session_scope() as session:
        actions = set(session.scalars(select(AuditLog.action)))
        denied = session.scalars(select(AuditLog.detail).where(AuditLog.action == "access_denied",
                                                               AuditLog.actor == "dept_scjg")).all()
    assert {"login", "login_failed", "logout", "kiosk_login", "access_denied", "user_add",
            "user_disable"} <= actions
    assert any("审计日志" in d["reason"] for d in denied)
    assert audit.verify(db.engine()) == []


def test_admin_audit_viewer_pages_through_the_log(app, clients):
    """The pager moves one page a click; a page number past the end (a crafted request) gives the last page."""
    key = next(k for k in app.callback_map if k.startswith("..admin_audit-table.children"))
    first = _post_callback(app, clients["SYS_ADMIN"], key, {"admin_audit-page": 1})
    assert first.status_code == 200
    response = first.json["response"]
    assert "登录" in json.dumps(response, ensure_ascii=False)
    assert response["admin_audit-page"]["data"] == 1 and response["admin_audit-prev"]["disabled"] is True
    pages = int(re.fullmatch(r"第 1 / (\d+) 页（共 \d+ 条）", response["admin_audit-page-text"]["children"])[1])
    body = testing.callback_body(app, key, {"admin_audit-page": 10_000})
    body["changedPropIds"] = ["admin_audit-next.n_clicks"]
    crafted = clients["SYS_ADMIN"].post("/_dash-update-component", json=body,
                                        headers=testing.csrf_headers(clients["SYS_ADMIN"])).json["response"]
    assert crafted["admin_audit-page"]["data"] == pages and crafted["admin_audit-next"]["disabled"] is True
    assert _post_callback(app, clients["LEADER"], key, {"admin_audit-page": 1}).status_code == 403


def test_admin_users_page_issues_a_wall_token(app, clients):
    key = "..admin_users-message.children...admin_users-tables.children.."
    body = testing.callback_body(app, key, {"admin_users-kiosk-name": "hall-admin"})
    body["changedPropIds"] = ["admin_users-kiosk-create.n_clicks"]
    headers = testing.csrf_headers(clients["SYS_ADMIN"])
    response = clients["SYS_ADMIN"].post("/_dash-update-component", json=body, headers=headers)
    assert response.status_code == 200, response.text[:300]
    token = re.search(r"kiosk=(bjk_[\w-]+)", response.text).group(1)
    assert app.server.test_client().get(f"/security-wall?kiosk={token}").status_code == 302
    with db.session_scope() as session:
        assert session.scalar(select(AuditLog.actor).where(AuditLog.action == "kiosk_create",
                                                           AuditLog.object_id == "hall-admin")) == "sys_admin"
    leader = clients["LEADER"]
    assert leader.post("/_dash-update-component", json=body, headers=testing.csrf_headers(leader)).status_code == 403


def test_every_role_reaches_the_health_probe_the_outage_banner_polls(app, clients):
    from ops.health import HEALTH_PATH

    assert _client(app).get(HEALTH_PATH).status_code in (302, 401)  # anonymous: no
    for role, client in clients.items():
        assert client.get(HEALTH_PATH).status_code == 200, role
