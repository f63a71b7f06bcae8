"""The development server's access log carries no query strings (a wall's ``?kiosk=`` token is a credential).
gunicorn's is checked on a real gunicorn in tests/test_ops_prod.py."""

from __future__ import annotations

import logging
import threading
import urllib.error
import urllib.request

from flask import Flask
from werkzeug.serving import make_server

from ops.access_log import install_dev_server_filter, strip_query


def test_strip_query():
    assert strip_query("GET /wall?kiosk=bjk_x&screen=2 HTTP/1.1") == "GET /wall HTTP/1.1"
    assert strip_query("GET /leads/42 HTTP/1.1") == "GET /leads/42 HTTP/1.1"


def test_dev_server_request_lines_lose_their_query(caplog):
    install_dev_server_filter()
    app = Flask(__name__)
    app.add_url_rule("/wall", "wall", lambda: "ok")
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/wall?kiosk=bjk_secret-token").read()
    finally:
        server.shutdown()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any('"GET /wall HTTP/1.1" 200' in line for line in lines), lines
    assert not any("bjk_secret" in line for line in lines)
