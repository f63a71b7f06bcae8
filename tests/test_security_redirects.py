"""The login's ``next`` parameter is never an open redirect: only same-origin relative paths survive, after
the normalisation a browser applies (tabs/newlines dropped, ``\\`` read as ``/``). Property-tested."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from data_access import db
from security import testing, users
from security.redirects import safe_next
from tests.db_fixtures import app_warehouse

BASE = "http://bianjian.local/"
_BROWSER_STRIPPED = re.compile(r"[\t\n\r]")


def _as_browser_resolves(location: str) -> str:
    """The host a browser goes to for ``Location: location`` from BASE (WHATWG URL parsing, roughly:
    leading C0/space trimmed, tab/newline removed, backslashes as slashes)."""
    cleaned = _BROWSER_STRIPPED.sub("", location.lstrip("".join(map(chr, range(0x21))))).replace("\\", "/")
    return urlsplit(urljoin(BASE, cleaned)).netloc


SCARY = st.sampled_from(["/", "\\", "\t", "\n", "\r", "//", ":", "@", "%2F", "example.org", "javascript:",
                         "https:", " ", "\x00", "\u2028", "\x7f", "?", "#", "."])


@given(st.lists(st.one_of(SCARY, st.text(max_size=4)), max_size=8).map("".join))
@example("/\t/example.org")
@example("/\\example.org")
@example("\\/example.org")
@example("//example.org")
@example("/\n/example.org")
@example("https://example.org/")
@example("javascript:alert(1)")
@example(" //example.org")
@settings(max_examples=3000, deadline=None)
def test_next_never_leaves_the_site(value):
    safe = safe_next(value, "/")
    assert _as_browser_resolves(safe) == "bianjian.local", (value, safe)
    assert safe.startswith("/") and not safe.startswith("//")
    assert not any(ord(c) < 0x20 for c in safe) and "\\" not in safe


def test_ordinary_paths_are_kept():
    for path in ("/", "/leads?level=RED", "/leads/42", "/complaints?region=410204#map", "/投诉"):
        assert safe_next(path, "/") == path


@pytest.fixture(scope="module")
def app(demo_db_path, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("security_redirects")
    with app_warehouse(workdir, demo_db_path, name="r.db"):
        users.create_demo_users(db.engine())
        from app import create_app

        app = create_app()
        yield app


@pytest.mark.parametrize("next_url", ["/\t/example.org", "/\\example.org", "//example.org", "/\r\nSet-Cookie: x=1",
                                      "https://example.org"])
def test_login_redirects_home_for_a_crafted_next(app, next_url):
    """The issue's probe got ``Location: //example.org``; a newline used to answer HTTP 500."""
    client = app.server.test_client()
    form = client.get("/login", query_string={"next": next_url})
    assert form.status_code == 200
    response = testing.log_in(client, "leader", "Kf-Leader-8104", next_url=next_url)
    assert response.status_code == 302 and response.headers["Location"] == "/", response.headers.get("Location")
