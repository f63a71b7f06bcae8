"""The page shell: what wraps every page whatever the role."""

from __future__ import annotations

import threading

import dash

import app
from tests.db_fixtures import app_warehouse


def test_opening_a_page_shows_a_loading_indicator_while_its_layout_is_built():
    # Dash Pages builds a page's layout on the server when the user opens it; a slow layout must not look
    # like a blank page. The indicator watches the page content only (not every callback on the page) and
    # appears only after a moment, so quick switches do not flicker.
    loading = app._page_loading(dash.page_container)
    assert loading.children is dash.page_container
    assert loading.target_components == {app.PAGES_CONTENT_ID: "children"}
    assert loading.delay_show > 0
    content_ids = {getattr(child, "id", None) for child in dash.page_container.children}
    assert app.PAGES_CONTENT_ID in content_ids


def test_requests_wait_for_the_first_request_set_up_of_a_fresh_worker(demo_db_path, tmp_path):
    # A recycled gunicorn worker's threads serve their first requests together; Dash's own set-up hook is
    # guarded by a flag only. A request arriving while the set-up runs must wait for it, not read a
    # half-built callback map (an HTTP 500 under 50 users before).
    with app_warehouse(tmp_path, demo_db_path):
        web_app = app.create_app()
        answered = []
        with web_app.setup_lock:  # a set-up in progress in another thread
            request = threading.Thread(
                target=lambda: answered.append(web_app.server.test_client().get("/login").status_code))
            request.start()
            request.join(timeout=2)
            assert request.is_alive(), "a first request ran while Dash was still setting up"
        request.join(timeout=60)
        assert answered == [200]
