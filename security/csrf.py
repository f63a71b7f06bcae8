"""CSRF protection's rules: the names dash-renderer uses, a session's token and what makes a state-changing
request cross-site. ``web.guard`` applies them to every request of the app.

A state-changing request must carry a token equal to HMAC(secret key, session token). dash-renderer copies
the ``_csrf_token`` cookie into an ``X-CSRFToken`` header on every callback request, so Dash callbacks carry
it without any script of ours; plain forms send it as the ``csrf_token`` field. A request whose Origin (or
Referer) names another host is refused as well.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

import settings
from security.tokens import same

CSRF_COOKIE = "_csrf_token"  # dash-renderer's default csrf_token_name
CSRF_HEADER = "X-CSRFToken"  # dash-renderer's default csrf_header_name
CSRF_FIELD = "csrf_token"


def csrf_token_for(session_token: str) -> str:
    """The CSRF token of a session: HMAC-SHA256 of the session token under the secret key."""
    return hmac.new(settings.secret_key().encode(), session_token.encode(), hashlib.sha256).hexdigest()


def cross_site(source: str | None, host: str) -> bool:
    """Whether a request whose Origin (or Referer) is ``source`` comes from another site than ``host``."""
    return bool(source) and (source == "null" or urlsplit(source).netloc != host)


def problem(source: str | None, host: str, supplied: str, expected: str) -> str | None:
    """Why a state-changing request is refused (in Chinese, for the audit log and the answer), or None: a
    cross-site ``source`` (Origin or Referer), or a ``supplied`` token that is not the session's ``expected``."""
    if source == "null":
        return "跨站请求（来源不明）"
    if cross_site(source, host):
        return f"跨站请求（来源 {source}）"
    return None if supplied and same(supplied, expected) else "缺少或错误的防伪令牌"
