"""plotly.js for the browser: the app's own partial bundle, served where Dash loads plotly.js from.

dash-renderer loads plotly.js the first time a ``dcc.Graph`` mounts (a page without charts never loads it),
from ``_dash-component-suites/plotly/package_data/plotly.min.js`` — plotly.py's full bundle, 4.8 MB with
every trace type. ``web/vendor/plotly-bianjian.min.js`` is plotly.js of the same version with only the
trace types our figures use (core + scatter, bar, funnel, choropleth, scattergeo; 1.3 MB), built by
``scripts/build_plotly_bundle.sh`` and answered at that path instead, so every graph (and the wall's
early load in assets/wall.js) gets it with no change to the pages. The browser parses and compiles about a
quarter of the code on every full page load. Like the rest of ``/_dash-component-suites/``, it needs no login.
"""

from __future__ import annotations

from pathlib import Path

import dash
import flask

BUNDLE = Path(__file__).resolve().parent / "vendor" / "plotly-bianjian.min.js"
DASH_PATH = "_dash-component-suites/plotly/package_data/plotly.min.js"


def install(app: dash.Dash) -> None:
    """Answer Dash's plotly.js path with the partial bundle (an exact rule wins over Dash's
    ``<package>/<path>`` rule); revalidated by ETag, as Dash serves its own unversioned files."""

    def serve() -> flask.Response:
        return flask.send_file(BUNDLE, mimetype="text/javascript", max_age=0, conditional=True, etag=True)

    app.server.add_url_rule(app.config.routes_pathname_prefix + DASH_PATH, "plotly_bundle", serve)
