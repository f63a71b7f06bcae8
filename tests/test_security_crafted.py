"""Crafted ``/_dash-update-component`` requests, for every registered callback and every role × page.

Dash passes a callback's inputs by position while the guards read them by id/property, so a request whose
items are relabelled, permuted, duplicated, added or dropped must be refused before any guard runs
(security.callback_shape). The bodies are generated from ``app.callback_map``, so a callback added later is
covered without editing this file.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

import dash
import pytest
from sqlalchemy import select

from data_access import db
from data_access.schema import AuditLog
from data_access.scope import ROLES
from security import access, callback_shape, kiosk, testing, users
from tests.db_fixtures import app_warehouse

PASSWORDS = {role: (username, password) for username, role, _dept, password in users.DEMO_USERS}
ROUTER = ".._pages_content.children..._pages_store.data.."
EXPLOIT_ROLES = ("DEPT_HEAD", "ANALYST", "DATA_ADMIN", "WALL")


@pytest.fixture(scope="module")
def app(demo_db_path, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("security_crafted")
    with app_warehouse(workdir, demo_db_path, name="crafted.db"):
        users.create_demo_users(db.engine())
        from app import create_app

        app = create_app()
        app.server.test_client().get("/login")  # the first request lets Dash build its callback map
        yield app


@pytest.fixture(scope="module")
def clients(app):
    result = {}
    for role in ROLES:
        client = app.server.test_client()
        if role == "WALL":  # a wall display logs in with its token, as the issue's probe did
            with db.session_scope() as session:
                token = kiosk.create(session, "crafted-wall", actor="test")
            assert client.get(f"/wall?kiosk={token}").status_code == 302
        else:
            assert testing.log_in(client, *PASSWORDS[role]).status_code == 302
        result[role] = client
    return result


# --------------------------------------------------------------------------------- crafted mutations
def _singles(body: dict) -> list[tuple[str, int]]:
    """(part, index) of the single (not pattern-list) items among inputs and state."""
    return [(part, n) for part in ("inputs", "state") for n, item in enumerate(body[part]) if isinstance(item, dict)]


def _swap_labels(body):
    """The issue's exploit: values stay in place, id/property labels trade positions."""
    singles = _singles(body)
    for (pa, a), (pb, b) in ((x, y) for i, x in enumerate(singles) for y in singles[i + 1:]):
        first, second = body[pa][a], body[pb][b]
        if (first["id"], first["property"]) != (second["id"], second["property"]):
            first["id"], second["id"] = second["id"], first["id"]
            first["property"], second["property"] = second["property"], first["property"]
            return body
    return None


def _swap_items(body):
    items = body["inputs"] + body["state"]
    if len(items) < 2 or items[0] == items[1]:
        return None
    both = body["inputs"] + body["state"]
    both[0], both[1] = both[1], both[0]
    body["inputs"], body["state"] = both[:len(body["inputs"])], both[len(body["inputs"]):]
    return body


def _duplicate_first_input(body):
    if len(body["inputs"]) < 2:
        return None
    body["inputs"][1] = copy.deepcopy(body["inputs"][0])
    return body


def _append_duplicate_input(body):
    if not body["inputs"]:
        return None
    body["inputs"].append(copy.deepcopy(body["inputs"][0]))
    return body


def _drop_last_input(body):
    if not body["inputs"]:
        return None
    body["inputs"].pop()
    return body


def _drop_last_state(body):
    if not body["state"]:
        return None
    body["state"].pop()
    return body


def _relabel_first_single(body):
    singles = _singles(body)
    if not singles:
        return None
    part, n = singles[0]
    body[part][n]["id"], body[part][n]["property"] = access.PAGES_LOCATION_ID, "search"
    return body


def _rename_property(body):
    singles = _singles(body)
    if not singles:
        return None
    part, n = singles[0]
    body[part][n]["property"] += "_x"
    return body


def _extra_input(body):
    body["inputs"].append({"id": "admin_users-tables", "property": "children", "value": None})
    return body


def _relabel_output(body):
    outputs = body["outputs"] if isinstance(body["outputs"], list) else [body["outputs"]]
    target = outputs[0][0] if isinstance(outputs[0], list) else outputs[0]
    target["id"] = "admin_users-tables"
    return body


def _unknown_callback(body):
    body["output"] = "admin_users-nothing.children"
    return body


def _foreign_trigger(body):
    body["changedPropIds"] = ["admin_users-no-such-button.n_clicks"]
    return body


def _pattern_item_breaks_its_pattern(body):
    for part in ("inputs", "state"):
        for item in body[part]:
            if isinstance(item, list):
                item[0]["id"] = {**item[0]["id"], "type": "admin_users-tables"}
                return body
    return None


def _match_values_disagree(body):
    for part in ("inputs", "state"):
        for item in body[part]:
            if isinstance(item, dict) and isinstance(item["id"], dict) and "k1" in item["id"].values():
                item["id"] = {k: ("k2" if v == "k1" else v) for k, v in item["id"].items()}
                return body
    return None


MUTATIONS: tuple[Callable[[dict], dict | None], ...] = (
    _swap_labels, _swap_items, _duplicate_first_input, _append_duplicate_input, _drop_last_input,
    _drop_last_state, _relabel_first_single, _rename_property, _extra_input, _relabel_output, _unknown_callback,
    _foreign_trigger, _pattern_item_breaks_its_pattern, _match_values_disagree,
)


def _post(client, body: dict):
    return client.post("/_dash-update-component", json=body, headers=testing.csrf_headers(client))


# ------------------------------------------------------------------------------------------------ tests
def _server_callbacks(app) -> list[str]:
    return [k for k, c in app.callback_map.items() if callback_shape.runs_on_server(c)]


def test_honest_requests_of_every_callback_match_their_declaration(app, clients):
    assert len(_server_callbacks(app)) > 20
    for key in _server_callbacks(app):
        assert callback_shape.problem(app, testing.callback_body(app, key)) is None, key
    clientside = [k for k in app.callback_map if k not in _server_callbacks(app)]
    assert clientside, "no clientside callback to test with"
    for key in clientside:  # the browser runs these; a request naming one is crafted
        assert _post(clients["SYS_ADMIN"], testing.callback_body(app, key)).status_code == 400, key


def test_every_callback_refuses_permuted_duplicated_missing_and_relabelled_inputs(app, clients):
    """Every applicable mutation of every callback's request is answered 400, for a role that may run it."""
    refused, pattern_callbacks = 0, 0
    for key in _server_callbacks(app):
        honest = testing.callback_body(app, key)
        pattern_callbacks += "{" in json.dumps(honest["inputs"] + honest["state"])
        for mutate in MUTATIONS:
            crafted = mutate(copy.deepcopy(honest))
            if crafted is None:
                continue
            assert callback_shape.problem(app, crafted) is not None, (key, mutate.__name__)
            response = _post(clients["SYS_ADMIN"], crafted)
            assert response.status_code == 400, (key, mutate.__name__, response.text[:200])
            refused += 1
    assert refused > 8 * len(_server_callbacks(app)) and pattern_callbacks >= 5, (refused, pattern_callbacks)


def _router_body(pathname: str, search: str) -> dict:
    return {"output": ROUTER, "outputs": [{"id": "_pages_content", "property": "children"},
                                          {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": pathname},
                       {"id": "_pages_location", "property": "search", "value": search}],
            "changedPropIds": ["_pages_location.pathname"]}


def _allowed_path(role: str) -> str:
    return next(p["path"] for p in access.visible_pages(role) if "<" not in p["path"])


@pytest.mark.parametrize("role", EXPLOIT_ROLES)
def test_the_issues_relabelled_router_request_no_longer_renders_admin_users(app, clients, role):
    """search=/admin/users labelled first, pathname=<an allowed page> second: Dash would render the first."""
    client = clients[role]
    crafted = _router_body("/admin/users", _allowed_path(role))
    crafted["inputs"][0]["property"], crafted["inputs"][1]["property"] = "search", "pathname"
    response = _post(client, crafted)
    assert response.status_code == 400, response.text[:300]
    assert "admin_users-" not in response.text and "用户与密钥" not in response.text
    with db.session_scope() as session:
        reasons = session.scalars(select(AuditLog.detail).where(AuditLog.action == "access_denied")).all()
    assert any("does not match its declaration" in r.get("reason", "") for r in reasons)


def test_role_page_matrix_with_crafted_router_requests(app, clients):
    """For every role and every page it may not open: honest routing is 403, relabelled/duplicated/swapped 400."""
    checked = 0
    for page in dash.page_registry.values():
        if "<" in page["path"]:
            target = page["path_template"].replace("<", "").replace(">", "")
        else:
            target = page["path"]
        for role, client in clients.items():
            if access.can_see(role, page):
                continue
            allowed = _allowed_path(role)
            assert _post(client, _router_body(target, "")).status_code == 403, (role, target)
            relabelled = _router_body(target, allowed)
            relabelled["inputs"][0]["property"], relabelled["inputs"][1]["property"] = "search", "pathname"
            duplicated = _router_body(allowed, "")
            duplicated["inputs"].insert(0, {"id": "_pages_location", "property": "pathname", "value": target})
            swapped = _router_body(allowed, "")
            swapped["inputs"].reverse()
            swapped["inputs"][0]["value"], swapped["inputs"][1]["value"] = target, allowed
            for crafted in (relabelled, duplicated, swapped):
                response = _post(client, crafted)
                assert response.status_code == 400, (role, target, crafted["inputs"])
                checked += 1
    assert checked > 50


def test_each_page_layout_refuses_roles_it_does_not_serve(app, clients, monkeypatch):
    """Defence in depth: with the request guards switched off, the page's own layout still refuses."""
    from web import guard

    monkeypatch.setattr(guard.callback_shape, "problem", lambda _app, _body: None)
    monkeypatch.setattr(guard.access, "authorize_callback", lambda _app, _role, _body: None)
    response = _post(clients["DEPT_HEAD"], _router_body("/admin/users", ""))
    assert response.status_code == 200
    assert "app-layout-refused" in response.text and "admin_users-" not in response.text
    allowed = _post(clients["SYS_ADMIN"], _router_body("/admin/users", ""))
    assert "admin_users-" in allowed.text and "app-layout-refused" not in allowed.text


def _callback_key(app, output_id: str) -> str:
    return next(k for k, c in app.callback_map.items() if output_id in k and callback_shape.runs_on_server(c))


def test_crafted_values_that_make_a_callback_raise_are_refused_and_logged(app, clients, caplog):
    """Issue 21 #11: a unit that does not exist in 本部门 and a malformed grid filter answered HTTP 500."""
    unit_key = _callback_key(app, "my-dept-summary")
    body = testing.callback_body(app, unit_key, {"my-dept-unit": "NO-SUCH-UNIT", "my-dept-month": "2026-05"})
    grid_key = _callback_key(app, "leads-grid.getRowsResponse")
    grid = testing.callback_body(app, grid_key, {"leads-grid": {"startRow": 0, "endRow": 50,
                                                                "filterModel": {"title": "not-a-model"}}})
    for crafted in (body, grid):
        with caplog.at_level("ERROR", logger="web.guard"):
            response = _post(clients["LEADER"], crafted)
        assert response.status_code == 400, (crafted["output"], response.status_code, response.text[:300])
        assert any("refused a callback request" in r.getMessage() for r in caplog.records)
        caplog.clear()
