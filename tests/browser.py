"""Shared helpers for browser tests: the real app on a free 127.0.0.1 port, and headless Chromium.

Usage (a page smoke test)::

    from tests.browser import Browser, chrome, demo_login, live_server, log_in  # noqa: F401 (fixture)

    @pytest.mark.browser
    def test_my_page(chrome, demo_engine_copy, tmp_path):
        with live_server(demo_engine_copy.url, tmp_path / "var") as base_url:
            log_in(chrome, base_url, *demo_login(demo_engine_copy, "LEADER"))
            chrome.get(base_url + "/mypage")
            chrome.wait_for_css("#mypage-table")
            assert chrome.console_errors() == []
            assert chrome.off_host_requests() == []

The server is a separate process (``bianjian serve``, threaded werkzeug) configured only through the
environment, exactly as an operator runs it. The browser logs its console (``goog:loggingPrefs``) and
every network request (the performance log), so a test can assert no error was printed and no request
left 127.0.0.1 (offline wall: every script, stylesheet and font must be ours).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.conftest import REPO_ROOT, require_or_skip

CHROMIUM = os.environ.get("BIANJIAN_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("BIANJIAN_CHROMEDRIVER", "/usr/bin/chromedriver")
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
NON_NETWORK_SCHEMES = frozenset({"data", "blob", "about", "chrome", "devtools"})


def browser_available() -> tuple[bool, str]:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    return (not missing, f"headless Chromium not installed ({', '.join(missing)})")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def live_server(database_url: str | object, var_dir: Path, *, env: dict[str, str] | None = None,
                timeout: float = 180, code: Path = REPO_ROOT) -> Iterator[str]:
    """Run ``bianjian serve`` on a free 127.0.0.1 port against ``database_url``; yield its base URL.

    ``var_dir`` holds the server's secret key and cache; ``env`` adds settings (``BIANJIAN_*``); ``code`` is
    the checkout whose app is served (another one: bench/bench_browser.py's baseline).
    The server's output goes to ``var_dir/server.log``, which is printed if it fails to start.
    """
    var_dir = Path(var_dir)
    var_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = database_url.render_as_string(hide_password=False) if hasattr(database_url, "render_as_string") \
        else str(database_url)
    environment = {**os.environ, "BIANJIAN_DATABASE_URL": url, "BIANJIAN_VAR_DIR": str(var_dir), **(env or {})}
    log_path = var_dir / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "bianjian_cli", "serve", "--port", str(port)],
                                cwd=code, env=environment, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base + "/login", proc, timeout, log_path)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_until_up(url: str, proc: subprocess.Popen, timeout: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            # The first request finishes Dash's set-up; on a busy machine it may take longer than a poll,
            # and a poll that gives up only queues another request behind it.
            wait = max(1.0, deadline - time.monotonic())
            with urllib.request.urlopen(url, timeout=wait) as response:  # noqa: S310 (our own 127.0.0.1 server)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server not up after {timeout}s:\n{log_path.read_text(errors='replace')}")


def prepared_warehouse(source: Path, dest: Path, steps: tuple[str, ...] = ("daily_counts", "indicators")) -> str:
    """Copy the demo warehouse ``source`` to ``dest`` and run pipeline ``steps`` on the copy (the shared
    demo fixture has facts only); returns the copy's SQLAlchemy URL."""
    from data_access.db import make_engine
    from pipeline.runner import run_steps
    from pipeline.steps import STEP_BY_NAME

    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, dest)
    url = f"sqlite:///{dest}"
    engine = make_engine(url)
    try:
        failed = [r for r in run_steps(engine, [STEP_BY_NAME[s] for s in steps]) if r.status != "ok"]
        assert not failed, failed
    finally:
        engine.dispose()
    return url


# ----------------------------------------------------------------------------------------------- logins


def demo_login(engine: Engine, role: str) -> tuple[str, str]:
    """(username, password) of the demo login with ``role``, creating the demo users if needed."""
    from security.users import DEMO_USERS, create_demo_users

    create_demo_users(engine)
    username, _, _, password = next(u for u in DEMO_USERS if u[1] == role)
    return username, password


def kiosk_token(engine: Engine, name: str = "test-wall") -> str:
    """A new wall-display token (``/wall?kiosk=TOKEN`` logs the browser in as role WALL)."""
    from security import kiosk

    with Session(engine) as session, session.begin():
        return kiosk.create(session, name, actor="test")


def log_in(browser: webdriver.Chrome, base_url: str, username: str, password: str) -> None:
    """Log in through the real login form, as a person would."""
    browser.get(base_url + "/login")
    browser.find_element(By.ID, "login-username").send_keys(username)
    browser.find_element(By.ID, "login-password").send_keys(password)
    browser.find_element(By.ID, "login-submit").click()
    browser.wait_until(lambda d: "/login" not in d.current_url, "login did not leave the login page")


# ---------------------------------------------------------------------------------------------- browser


class Browser(webdriver.Chrome):
    """Selenium's Chrome driver plus the log readers and waits our tests use."""

    def __init__(self, profile_dir: Path, width: int, height: int) -> None:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1",
                    f"--user-data-dir={profile_dir}", f"--window-size={width},{height}"):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        super().__init__(options=options, service=Service(CHROMEDRIVER))
        self._requests: list[str] = []
        self._console: list[dict] = []
        self.set_viewport(width, height)

    def set_viewport(self, width: int, height: int) -> None:
        """Make the page's viewport exactly ``width``×``height`` CSS pixels (a wall's resolution)."""
        self.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                             {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def _drain(self) -> None:
        self._console += self.get_log("browser")
        for entry in self.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                self._requests.append(message["params"]["request"]["url"])

    def console_errors(self) -> list[str]:
        """Console messages of level SEVERE since the browser started."""
        self._drain()
        return [e["message"] for e in self._console if e["level"] == "SEVERE"]

    def request_urls(self) -> list[str]:
        """Every URL the page requested since the browser started."""
        self._drain()
        return list(self._requests)

    def off_host_requests(self) -> list[str]:
        """Requested URLs that would leave this machine (anything not 127.0.0.1/localhost)."""
        return [u for u in self.request_urls()
                if urlsplit(u).scheme not in NON_NETWORK_SCHEMES and urlsplit(u).hostname not in LOCAL_HOSTS]

    def wait_until(self, condition, message: str, timeout: float = 20):  # noqa: ANN001, ANN201
        return WebDriverWait(self, timeout, poll_frequency=0.1).until(condition, message)

    def wait_for_css(self, selector: str, timeout: float = 20):  # noqa: ANN201
        return self.wait_until(ec.presence_of_element_located((By.CSS_SELECTOR, selector)),
                               f"{selector} did not appear", timeout)


def open_browser(profile_dir: Path, *, width: int = 1920, height: int = 1080) -> Browser:
    """A fresh headless Chromium with its own profile directory (skips outside CI when not installed)."""
    ok, reason = browser_available()
    require_or_skip(ok, reason)
    if profile_dir.exists():
        shutil.rmtree(profile_dir)
    profile_dir.mkdir(parents=True)
    return Browser(profile_dir, width, height)


@contextmanager
def downloading_browser(workdir: Path) -> Iterator[tuple[Browser, Path]]:
    """A fresh browser whose downloads land in ``workdir/downloads``, yielded with that folder."""
    downloads = workdir / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    browser = open_browser(workdir / "chrome")
    try:
        browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
        yield browser, downloads
    finally:
        browser.quit()


@pytest.fixture
def chrome(tmp_path) -> Iterator[Browser]:
    """A headless Chromium at 1920×1080 for one test (``chrome.set_viewport`` changes the size)."""
    browser = open_browser(tmp_path / "chrome-profile")
    try:
        yield browser
    finally:
        browser.quit()
