"""Helpers for tests that drive the real app through Flask's test client with a logged-in user.

Example (a page test)::

    client = app.server.test_client()
    testing.log_in(client, "leader", "Kf-Leader-8104")     # demo logins: security.users.DEMO_USERS
    response = client.post("/_dash-update-component", json=body, headers=testing.csrf_headers(client))
"""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from security.web import CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER

_CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def log_in(client: FlaskClient, username: str, password: str, *, next_url: str = "/",
           **request_kwargs) -> TestResponse:
    """Fill in and submit the login form, as a browser would (302 on success)."""
    form = client.get("/login", **request_kwargs)
    token = _CSRF_INPUT.search(form.text).group(1)
    return client.post("/login", data={"username": username, "password": password, CSRF_FIELD: token,
                                       "next": next_url}, **request_kwargs)


def csrf_headers(client: FlaskClient) -> dict[str, str]:
    """The header dash-renderer adds to every callback request (copied from the CSRF cookie)."""
    cookie = client.get_cookie(CSRF_COOKIE)
    return {CSRF_HEADER: cookie.value} if cookie else {}
