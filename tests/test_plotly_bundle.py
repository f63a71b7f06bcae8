"""The browser's plotly.js is the app's partial bundle (web/plotly_bundle.py), of the version plotly.py expects.

The browser check that every chart of every page draws with it is tests/test_ui_browser.py
(``test_every_chart_draws_with_the_partial_plotly``).
"""

from __future__ import annotations

import re

from plotly.offline import get_plotlyjs_version

from tests.db_fixtures import app_warehouse
from web import plotly_bundle


def _header() -> str:
    with open(plotly_bundle.BUNDLE, encoding="utf-8") as f:
        return f.read(400)


def test_bundle_is_the_plotly_js_version_plotly_py_expects():
    """Upgrading plotly (PyPI) without rebuilding would serve figures an older plotly.js: rebuild with
    scripts/build_plotly_bundle.sh."""
    version = re.search(r"plotly\.js v(\S+)", _header()).group(1)
    assert version == get_plotlyjs_version()


def test_geo_charts_default_to_our_own_topojson_not_the_cdn():
    """plotly.js fetches world outlines from its CDN unless told otherwise; the bundle's default points at the
    app's assets/geo/ (every geo graph also sets it), so no request leaves this server."""
    text = plotly_bundle.BUNDLE.read_text(encoding="utf-8")
    assert 'topojsonURL:{valType:"string",noBlank:!0,dflt:"/assets/geo/"' in text
    assert re.search(r"https?://cdn\.plot\.ly", text) is None


def test_dash_plotly_path_answers_the_bundle_without_login(tmp_path, demo_db_path):
    with app_warehouse(tmp_path, demo_db_path):
        from app import create_app

        client = create_app().server.test_client()
        response = client.get("/" + plotly_bundle.DASH_PATH)
        assert response.status_code == 200
        assert response.mimetype == "text/javascript"
        assert response.data == plotly_bundle.BUNDLE.read_bytes()
        assert client.get("/" + plotly_bundle.DASH_PATH, headers={"If-None-Match": response.headers["ETag"]}
                          ).status_code == 304
