"""Helpers for tests that drive the real app through Flask's test client with a logged-in user.

Example (a page test)::

    client = app.server.test_client()
    testing.log_in(client, "leader", "Kf-Leader-8104")     # demo logins: security.users.DEMO_USERS
    response = client.post("/_dash-update-component", json=body, headers=testing.csrf_headers(client))
"""

from __future__ import annotations

import json
import re
from typing import Any

import dash
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from security import callback_shape
from security.csrf import CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER

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


def _concrete_id(declared_id: str | dict[str, Any]) -> str | dict[str, Any]:
    """A component id the renderer could send for a declared one: every wildcard bound to ``"k1"``."""
    if isinstance(declared_id, str):
        return declared_id
    return {k: ("k1" if callback_shape.wildcard(v) else v) for k, v in declared_id.items()}


def _prop_id(item: dict[str, Any]) -> str:
    component_id = item["id"]
    if isinstance(component_id, dict):
        component_id = json.dumps(component_id, sort_keys=True, separators=(",", ":"))
    return f"{component_id}.{item['property']}"


def callback_body(app: dash.Dash, key: str, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON dash-renderer posts for callback ``key``: every declared output, input and state in order
    (pattern-matching ids bound to one component), values from ``values`` by component id (else None),
    the first input as the trigger."""
    callback = app.callback_map[key]
    values = values or {}

    def item(declared: dict[str, Any], *, with_value: bool = True) -> Any:
        sent = {"id": _concrete_id(declared["id"]), "property": declared["property"]}
        if with_value:
            sent["value"] = values.get(declared["id"]) if isinstance(declared["id"], str) else None
        return [sent] if callback_shape.is_multi_valued(declared["id"]) else sent

    outputs = [item(o, with_value=False) for o in callback_shape.declared_outputs(key)]
    inputs, state = ([item(d) for d in callback_shape.declared(callback, part)] for part in ("inputs", "state"))
    first = inputs[0] if inputs else None
    first = first[0] if isinstance(first, list) else first
    return {"output": key, "outputs": outputs if key.startswith("..") else outputs[0], "inputs": inputs,
            "state": state, "changedPropIds": [_prop_id(first)] if first else []}
