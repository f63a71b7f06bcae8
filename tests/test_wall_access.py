"""Who may open the wall and run its callbacks, through Flask's test client on the real app."""

from __future__ import annotations

import pytest

from data_access import db
from security import testing, users
from tests.browser import kiosk_token, prepared_warehouse
from tests.db_fixtures import app_warehouse

ALLOWED = ("LEADER", "ANALYST", "SYS_ADMIN")
REFUSED = ("DEPT_HEAD", "DATA_ADMIN")


@pytest.fixture(scope="module")
def app(demo_db_path, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("wall_access")
    url = prepared_warehouse(demo_db_path, workdir / "wall.db", ("daily_counts",))
    with app_warehouse(workdir, url=url):
        users.create_demo_users(db.engine())
        from app import create_app

        app = create_app()
        app.server.test_client().get("/login")
        yield app


def _client(app, role: str):
    client = app.server.test_client()
    username, _, _, password = next(u for u in users.DEMO_USERS if u[1] == role)
    assert testing.log_in(client, username, password).status_code == 302
    return client


def _refresh_body() -> dict:
    """The request dash-renderer sends when the refresh pulse reaches the ticker's callback."""
    return {"output": "..wall-ticker.children...wall-done-ticker.data..",
            "outputs": [{"id": "wall-ticker", "property": "children"}, {"id": "wall-done-ticker", "property": "data"}],
            "inputs": [{"id": "wall-pulse", "property": "data", "value": 1}], "changedPropIds": ["wall-pulse.data"],
            "state": []}


@pytest.mark.parametrize("role", ALLOWED)
def test_wall_roles_open_the_page_and_run_its_callbacks(app, role):
    client = _client(app, role)
    assert client.get("/wall").status_code == 200
    response = client.post("/_dash-update-component", json=_refresh_body(), headers=testing.csrf_headers(client))
    assert response.status_code == 200
    assert response.get_json()["response"]["wall-done-ticker"]["data"] == 1


@pytest.mark.parametrize("role", REFUSED)
def test_other_roles_are_refused_page_and_callbacks(app, role):
    client = _client(app, role)
    assert client.get("/wall").status_code == 403
    response = client.post("/_dash-update-component", json=_refresh_body(), headers=testing.csrf_headers(client))
    assert response.status_code == 403


def test_anonymous_is_sent_to_login_and_a_kiosk_token_logs_in(app):
    anonymous = app.server.test_client()
    assert anonymous.get("/wall").status_code == 302
    assert anonymous.post("/_dash-update-component", json=_refresh_body()).status_code == 401
    display = app.server.test_client()
    response = display.get(f"/wall?kiosk={kiosk_token(db.engine(), 'access-test')}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/wall")
    assert display.get("/wall").status_code == 200
