"""Login, sessions, CSRF protection and authorization for every request to the Dash app's Flask server.

``install(app)`` puts one ``before_request`` guard in front of everything. Only the login form and static
files (``/assets/``, ``/_dash-component-suites/``, the favicon) answer anonymously; ``/api/v1/`` answers
to source-system API keys; everything else needs a session and passes the page/callback role check.

This module is the Flask glue; the rules it applies are ``security``'s: CSRF tokens and the cross-site check
(``security.csrf``), where the login may redirect (``security.redirects``), who may open which page or
callback (``security.access``), sessions, kiosk tokens, API keys, the rate limit and the audit log.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from urllib.parse import urlencode

import dash
from flask import Response, abort, g, has_request_context, jsonify, redirect, request
from werkzeug.middleware.proxy_fix import ProxyFix

import settings
from data_access import db
from data_access.db import DATABASE_ERRORS
from data_access.scope import ROLES
from ops.health import HEALTH_PATH
from ops.outage import database_reachable
from pages import login as login_page
from security import (
    access,
    api_keys,
    audit,
    callback_shape,
    csrf,
    kiosk,
    ratelimit,
    remembered_sessions,
    sessions,
    users,
)
from security.csrf import CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, csrf_token_for
from security.redirects import safe_next
from security.tokens import same

log = logging.getLogger(__name__)

SESSION_COOKIE = "bianjian_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
KIOSK_ATTEMPT_USER = "#kiosk"  # wall-token attempts in app_login_attempt (no username can contain "#")
_ON = {"1", "true", "yes", "on"}


def install(app: dash.Dash) -> None:
    """Put the app behind login (call once, right after creating the Dash app)."""
    server = app.server
    server.secret_key = settings.secret_key()
    hops = int(settings.get("proxy_hops"))
    if hops:
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    guard = RequestGuard(app)
    prefix = app.config.routes_pathname_prefix
    server.add_url_rule(prefix + "login", "bianjian_login", guard.login, methods=["GET", "POST"])
    server.add_url_rule(prefix + "logout", "bianjian_logout", guard.logout, methods=["POST"])
    server.before_request(guard.check)
    server.after_request(guard.finish)


def current_csrf_token() -> str:
    """The CSRF token of the current session (for forms in layouts, such as the logout button)."""
    return csrf_token_for(g.bianjian_session_token)


def _client_ip() -> str:
    return (request.remote_addr or "-")[:45]


class RequestGuard:
    """The before/after-request hooks and the login/logout views of one app."""

    def __init__(self, app: dash.Dash) -> None:
        self.app = app
        self.prefix = app.config.routes_pathname_prefix
        self.public_prefixes = (self.prefix + "assets/", self.prefix + "_dash-component-suites/")
        self.public_paths = {self.prefix + "login", self.prefix + "_favicon.ico", "/favicon.ico"}
        self.machine_prefixes = (self.prefix + "_dash-", self.prefix + "_reload-hash", self.prefix + "api/")
        self.api_key_prefix = self.prefix + "api/v1/"

    # ------------------------------------------------------------------------------------ before request
    def check(self) -> Response | None:
        g.bianjian_identity = None
        path = request.path
        if path in self.public_paths or path.startswith(self.public_prefixes):
            return None
        if path.startswith(self.api_key_prefix):
            return self._check_api_key()
        if request.method == "GET" and request.args.get("kiosk"):
            return self._kiosk_login(request.args["kiosk"])
        token = request.cookies.get(SESSION_COOKIE)
        identity = self._resolve(token) if token else None
        if identity is None:
            return self._unauthenticated(path, expired=bool(token))
        g.bianjian_identity, g.bianjian_session_token = identity, token
        if request.method not in SAFE_METHODS:
            problem = self._csrf_problem(csrf_token_for(token))
            if problem:
                return self._forbidden(problem)
        if path == self.prefix + "_dash-update-component":
            access.guard_layouts()
            # Dash passes inputs by position, the guards read them by id: both must agree first.
            malformed = callback_shape.problem(self.app, request.get_json(silent=True))
            if malformed:
                return self._forbidden(malformed, status=400)
        reason = self._authorization_problem(identity.scope.role, path)
        return self._forbidden(reason) if reason else None

    @staticmethod
    def _resolve(token: str) -> sessions.Identity | None:
        """The session's identity from the warehouse; while the warehouse is down, the copy remembered from
        a recent request (so cached pages still open), else the database error (the outage page)."""
        try:
            with db.session_scope() as session:
                identity = sessions.resolve(session, token)
        except DATABASE_ERRORS:
            remembered = remembered_sessions.recall(token)
            if remembered is None or database_reachable():  # reachable: a real bug, not an outage
                raise
            return remembered
        if identity is None:
            remembered_sessions.forget(token)
        else:
            remembered_sessions.remember(token, identity)
        return identity

    def _check_api_key(self) -> Response | None:
        header = request.headers.get("X-API-Key") or request.headers.get("Authorization")
        grant = api_keys.grant(header)
        if grant is None:
            return _json_error(401, "API key missing, unknown or revoked")
        g.bianjian_src_system, g.bianjian_api_kinds = grant.src_system, grant.kinds
        return None

    def _authorization_problem(self, role: str, path: str) -> str | None:
        if path == self.prefix + "_dash-update-component":
            return access.authorize_callback(self.app, role, request.get_json(silent=True))
        if path.startswith(self.prefix + "_dash-") or path == self.prefix + "_reload-hash":
            return None  # the shell's layout and the callback graph; page content is checked above
        if path in (self.prefix + "logout", self.prefix + HEALTH_PATH.lstrip("/")):
            return None  # the outage banner polls the health probe from every page, the wall's included
        if role == "WALL" and request.method not in SAFE_METHODS:
            return "大屏只读，不能提交"
        if path.startswith(self.prefix + "api/"):
            return "大屏无接口权限" if role == "WALL" else None
        page = access.page_for_path(self.app, path)
        if page is None:
            return "大屏只能打开大屏页面" if role == "WALL" else None
        return None if access.can_see(role, page) else f"{ROLES[role]}无权打开「{page['name']}」"

    def _csrf_problem(self, expected: str) -> str | None:
        source = request.headers.get("Origin") or request.headers.get("Referer")
        supplied = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD) or ""
        return csrf.problem(source, request.host, supplied, expected)

    def _unauthenticated(self, path: str, *, expired: bool) -> Response:
        if path.startswith(self.machine_prefixes) or request.method not in SAFE_METHODS:
            return _json_error(401, "未登录或会话已过期")
        target = request.full_path.rstrip("?") if request.query_string else path
        query = {"next": target, **({"msg": "expired"} if expired else {})}
        return redirect(self.prefix + "login?" + urlencode(query))

    def _forbidden(self, reason: str, *, status: int = 403) -> Response:
        identity = g.get("bianjian_identity")
        actor = identity.scope.user if identity else "anonymous"
        log.warning("refused %s %s for %s: %s", request.method, request.path, actor, reason)
        with db.session_scope() as session:
            audit.record(session, actor[:40], "access_denied", "route", request.path[:120],
                         {"method": request.method, "reason": reason, "ip": _client_ip()})
        if request.path.startswith(self.machine_prefixes):
            return _json_error(status, "请求无效" if status == 400 else "无权访问")
        return Response(_FORBIDDEN_HTML, status=status, mimetype="text/html")

    def _kiosk_login(self, token: str) -> Response:
        """Exchange a wall token for a session, then redirect to the same URL without it.

        Tokens are rate-limited like passwords (``ratelimit``, user name ``KIOSK_ATTEMPT_USER``), and wrong
        ones are audited in aggregate — the first of a window and the one that locks the IP — so anonymous
        junk tokens cannot grow the audit log without limit."""
        ip = _client_ip()
        reserved = ratelimit.reserve_attempt(db.engine(), KIOSK_ATTEMPT_USER, ip, dt.datetime.now())
        if reserved is None:
            return Response(_KIOSK_LOCKED_HTML, status=429, mimetype="text/html")
        attempt_id, failures = reserved
        with db.session_scope() as session:
            display = kiosk.authenticate(session, token)
            ratelimit.settle(session, attempt_id, display is not None)
            if display is None:
                if failures == 1 or failures >= int(settings.get("login_max_failures")):
                    audit.record(session, "anonymous", "kiosk_login_failed", "kiosk", None,
                                 {"ip": ip, "failures_in_window": failures})
                session_token = None
            else:
                session_token = sessions.start(session, ip=ip, kiosk_id=display.kiosk_id)
                audit.record(session, f"kiosk:{display.name}", "kiosk_login", "kiosk", display.name, {"ip": ip})
        if session_token is None:
            return Response(_KIOSK_REFUSED_HTML, status=403, mimetype="text/html")
        # Redirect to the same page without the token, so it leaves the address bar and history; the wall's
        # own parameters (screen, dwell, refresh, mode) stay.
        kept = [(k, v) for k, v in request.args.items(multi=True) if k != "kiosk"]
        response = redirect(request.path + ("?" + urlencode(kept) if kept else ""))
        self._set_session_cookies(response, session_token)
        return response

    # -------------------------------------------------------------------------------------- login/logout
    def login(self) -> Response:
        next_url = safe_next(request.values.get("next"), self.prefix)
        if request.method == "GET":
            message = request.args.get("msg")
            return self._login_form(next_url, message=message if message in ("logged_out", "expired") else None)
        username = request.form.get("username", "")
        form_token = request.form.get(CSRF_FIELD, "")
        cookie_token = request.cookies.get(CSRF_COOKIE, "")
        source = request.headers.get("Origin") or request.headers.get("Referer")
        if csrf.cross_site(source, request.host) or not form_token or not same(form_token, cookie_token):
            return self._login_form(next_url, username=username, message="csrf", status=400)
        with db.session_scope() as session:
            outcome = users.check_login(session, username, request.form.get("password", ""), _client_ip())
            if outcome.user is None:
                session_token = None
            else:
                session_token = sessions.start(session, ip=_client_ip(), user_id=outcome.user.user_id)
                role = outcome.user.role
        if session_token is None:
            status = 429 if outcome.reason == "locked" else 401
            return self._login_form(next_url, username=username, message=outcome.reason, status=status)
        page = access.page_for_path(self.app, next_url)
        if page is not None and not access.can_see(role, page):
            visible = access.visible_pages(role)
            next_url = visible[0]["relative_path"] if visible else next_url
        response = redirect(next_url)
        self._set_session_cookies(response, session_token)
        return response

    def logout(self) -> Response:
        identity = g.bianjian_identity
        with db.session_scope() as session:
            sessions.end(session, g.bianjian_session_token)
            audit.record(session, identity.scope.user[:40], "logout", "session", str(identity.session_id))
        remembered_sessions.forget(g.bianjian_session_token)
        response = redirect(self.prefix + "login?msg=logged_out")
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.delete_cookie(CSRF_COOKIE, path="/")
        return response

    def _login_form(self, next_url: str, *, username: str = "", message: str | None = None,
                    status: int = 200) -> Response:
        csrf = secrets.token_urlsafe(32)
        html = login_page.render(title=self.app.title, prefix=self.prefix, csrf_token=csrf, next_url=next_url,
                                 username=username, message=message)
        response = Response(html, status=status, mimetype="text/html")
        response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="Strict", secure=_secure(), path="/")
        return response

    # ------------------------------------------------------------------------------------- after request
    def _set_session_cookies(self, response: Response, session_token: str) -> None:
        response.set_cookie(SESSION_COOKIE, session_token, httponly=True, samesite="Lax", secure=_secure(),
                            path="/")
        # Readable by script on purpose: dash-renderer copies it into the X-CSRFToken header.
        response.set_cookie(CSRF_COOKIE, csrf_token_for(session_token), httponly=False, samesite="Strict",
                            secure=_secure(), path="/")

    def _content_security_policy(self) -> str:
        """Scripts only from this server plus Dash's own inline scripts by hash (the renderer bootstrap and the
        clientside callbacks: ``app.csp_hashes()``); no eval, no plugins, no framing by other sites. Styles
        allow inline: Plotly and the Dash components write ``<style>`` elements at run time."""
        scripts = " ".join(["'self'", *self.app.csp_hashes()])
        return ("default-src 'self'; " f"script-src {scripts}; " "style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
                "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'")

    def finish(self, response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Content-Security-Policy", self._content_security_policy())
        path = request.path
        if not (path in self.public_paths or path.startswith(self.public_prefixes)):
            headers.setdefault("Cache-Control", "no-store")
        identity = g.get("bianjian_identity")
        if identity is not None and request.cookies.get(CSRF_COOKIE) != csrf_token_for(g.bianjian_session_token):
            self._set_session_cookies(response, g.bianjian_session_token)
        return response


def refuse_failed_callback(error: Exception) -> None:
    """Dash's ``on_error``: a callback that raised on crafted input (a unit that does not exist, a grid filter
    of the wrong shape, …) is answered 400 and logged with its traceback, instead of an unhandled HTTP 500.
    Database failures still go to the outage handler (503), and a background job (no request) fails as before."""
    if isinstance(error, DATABASE_ERRORS) or not has_request_context():
        raise error
    identity = g.get("bianjian_identity")
    body = request.get_json(silent=True)
    callback = str(body.get("output"))[:200] if isinstance(body, dict) else "?"
    log.error("refused a callback request of %s: %s raised %r", identity.scope.user if identity else "anonymous",
              callback, error, exc_info=error)
    abort(_json_error(400, "请求无效"))


def _secure() -> bool:
    return settings.get("session_cookie_secure").strip().lower() in _ON


def _json_error(status: int, message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


_FORBIDDEN_HTML = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>无权访问</title></head>
<body><h1>无权访问</h1><p>您的角色无权查看此页面。</p><p><a href="/">返回首页</a></p></body></html>"""

_KIOSK_LOCKED_HTML = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>尝试次数过多</title></head>
<body><h1>大屏令牌尝试次数过多</h1><p>请 15 分钟后再试，或联系系统管理员。</p></body></html>"""

_KIOSK_REFUSED_HTML = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>大屏令牌无效</title></head>
<body><h1>大屏令牌无效或已被吊销</h1><p>请联系系统管理员重新签发大屏令牌。</p></body></html>"""
