"""What a person waits for in a real browser: the wall's first paint from its kiosk link, and every page warm.

    BIANJIAN_DATABASE_URL=sqlite:///var/bianjian.db .venv/bin/python bench/bench_browser.py [--loads 3]

The real server (``bianjian serve``, as tests/browser.py starts it) and headless Chromium driven by
selenium (/usr/bin/chromium; tests/browser.py's helpers). Times are the page's own clock,
``performance.now()``, whose zero is the start of the navigation (redirects included):

- **wall first paint**: a fresh browser session opens ``/wall?kiosk=TOKEN`` (token log-in, redirect to the
  wall) → the first chart (``.main-svg``) drawn, and → every panel drawn (bench/bench_wall.py's selectors);
- **page warm**: logged in as the LEADER demo user, each page opened once to warm the server's caches and
  the browser's, then ``--loads`` times: navigation → the page settled, i.e. the last change to the page
  (a DOM mutation, or a callback response arriving) before one second with no request in flight and no
  change. Dash pages draw in several rounds of callbacks; this counts all of them. Beside it, the same
  with one change not counted: AG Grid's fake scrollbars get a class 400 ms after the grid's first scroll
  event (``ag-scrollbar-scrolling``), which with overlay scrollbars (headless Chromium here; macOS) only
  fades a scrollbar in and out, and on this Chromium draws nothing: on a grid page it is the last change
  ≈ 0.3 s after the page is drawn. A full navigation
  (a bookmark, a typed address, F5) loads and evaluates the whole app again, plotly.js (≈ 4.8 MB) included;
- **page from the menu**: how users move between pages: the menu's link clicked on another page (Dash Pages
  swaps the page without reloading, so the app shell, plotly.js and the grid stay loaded) → settled; beside
  it the CPU time of every Chromium process over the same span (``/proc``, as bench/bench_page_rounds.py; the
  quiet second included), which depends far less on the machine's load than the wall-clock time.

Medians per page, the machine's load average before and after.

With ``--baseline DIR`` (a checkout of the code to compare, e.g. ``git worktree add /tmp/before main``) a
second server runs that code against the same warehouse, with its own browser, and the pages (full
navigation and from the menu) are measured in alternating rounds — one warm-up round on each side, then
``--loads`` rounds, each measuring every page once on one side then the other, the side that goes first
alternating — so both sides see the same load. The wall is measured on this checkout only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_wall import RENDERED  # noqa: E402

SETTLE_JS = """
window.__bj = {inflight: 0, last: 0, content: 0};
const bjFetch = window.fetch;
window.fetch = function (...args) {
  window.__bj.inflight += 1;
  const done = () => { window.__bj.inflight -= 1; window.__bj.last = window.__bj.content = performance.now(); };
  return bjFetch.apply(this, args).then(r => { r.clone().text().then(done, done); return r; }, e => { done(); throw e; });
};
const bjFade = m => m.type === 'attributes' && m.attributeName === 'class' && m.target.classList
  && (m.target.classList.contains('ag-body-horizontal-scroll') || m.target.classList.contains('ag-body-vertical-scroll'));
new MutationObserver(ms => {
  const now = performance.now();
  window.__bj.last = now;
  if (!ms.every(bjFade)) { window.__bj.content = now; }
}).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
window.__bjFirstChart = null;
new MutationObserver(() => {
  if (window.__bjFirstChart === null && document.querySelector('.main-svg')) {
    window.__bjFirstChart = performance.now();
  }
}).observe(document, {subtree: true, childList: true});
"""
QUIET_MS = 1000


def _settled(browser, timeout: float = 60, after: float = 0) -> tuple[float, float]:  # noqa: ANN001
    """Wait until the page had nothing in flight and no change for QUIET_MS, with a change later than
    ``after``; return the last change's time, and the last but AG Grid's scrollbar fade (module doc)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = browser.execute_script(
            "return window.__bj && document.readyState === 'complete' ? "
            "[window.__bj.inflight, window.__bj.last, performance.now(), window.__bj.content] : null")
        if state and state[0] == 0 and state[1] > after and state[2] - state[1] >= QUIET_MS:
            return state[1], state[3]
        time.sleep(0.1)
    raise TimeoutError("the page did not settle")


def _settled_ms(browser, timeout: float = 60, after: float = 0) -> float:  # noqa: ANN001
    """The last change's time once the page settled (``_settled``)."""
    return _settled(browser, timeout, after)[0]


def wall_first_paint(browser, base_url: str, token: str, loads: int) -> list[tuple[float, float]]:  # noqa: ANN001
    """(first chart ms, every panel ms) per load, each in a fresh session through the kiosk link."""
    import json

    from bench.bench_wall import OBSERVER

    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": OBSERVER % json.dumps(RENDERED)})
    out = []
    for i in range(loads + 1):
        browser.delete_all_cookies()
        browser.get("about:blank")
        browser.get(f"{base_url}/wall?kiosk={token}")
        browser.wait_until(lambda d: len(d.execute_script("return window.__wallDrawn || {}")) == len(RENDERED)
                           and d.execute_script("return window.__bjFirstChart") is not None,
                           "the wall did not draw every panel", timeout=120)
        if i:  # the first load warms the server
            drawn = browser.execute_script("return window.__wallDrawn")
            out.append((browser.execute_script("return window.__bjFirstChart"), max(drawn.values())))
    return out


def leader_pages() -> list[str]:
    """Every registered page the LEADER role may open, but the wall (measured from its kiosk link)."""
    import dash

    from app import create_app

    create_app()
    return [p["path"] for p in dash.page_registry.values()
            if (p.get("roles") is None or "LEADER" in p["roles"]) and p["path"] != "/wall"
            and not p["path"].startswith("/leads/")]


def pages_warm(browser, base_url: str, paths: list[str], loads: int,  # noqa: ANN001
               warm_up: bool = True) -> dict[str, list[tuple[float, float]]]:
    """Per page, (settled, settled but the scrollbar fade) per full navigation (after one unmeasured load
    when ``warm_up``)."""
    out = {}
    for path in paths:
        times = []
        for i in range(loads + warm_up):
            browser.get("about:blank")
            browser.get(base_url + path)
            settled = _settled(browser)
            if i >= warm_up:
                times.append(settled)
        out[path] = times
    return out


def _click_menu(browser, path: str) -> float | None:  # noqa: ANN001
    """Click the menu's link to ``path`` (Dash Pages moves without reloading); the page clock at the click,
    None when the menu has no link to it."""
    return browser.execute_script(
        "const link = document.querySelector(`a.nav-link[href='${arguments[0]}']`);"
        "if (!link) { return null; } const at = performance.now(); link.click(); return at;", path)


def pages_in_app(browser, base_url: str, paths: list[str], loads: int,  # noqa: ANN001
                 warm_up: bool = True) -> dict[str, list[tuple[float, float]]]:
    """Each page opened from the menu of another one, as users move between pages: no reload, so plotly.js,
    the grid and the app shell stay loaded; (click → settled, the same but the scrollbar fade, the browser's
    CPU ms over it including the quiet second) per load, after one unmeasured load when
    ``warm_up``."""
    from bench.bench_page_rounds import _browser_cpu_ms

    out = {}
    browser.get(base_url + "/guide")
    _settled_ms(browser)
    for path in paths:
        if browser.execute_script("return document.querySelector(`a.nav-link[href='${arguments[0]}']`)", path) is None:
            continue  # not in the menu (the 404 page)
        times = []
        for i in range(loads + warm_up):
            away = "/guide" if path != "/guide" else "/"
            _settled_ms(browser, after=_click_menu(browser, away))
            busy = _browser_cpu_ms(browser)
            clicked = _click_menu(browser, path)
            settled = _settled(browser, after=clicked)
            if i >= warm_up:
                times.append((settled[0] - clicked, settled[1] - clicked, _browser_cpu_ms(browser) - busy))
        out[path] = times
    return out


def _side(stack: ExitStack, tmp: Path, name: str, url: str, code: Path, user: tuple[str, str]):  # noqa: ANN202
    """A server running ``code`` against ``url`` and a browser logged in to it as ``user``."""
    from tests.browser import live_server, log_in, open_browser

    env = {"PYTHONPATH": str(code)}
    base_url = stack.enter_context(live_server(url, tmp / name / "var", timeout=300, code=code, env=env))
    browser = open_browser(tmp / name / "profile")
    stack.callback(browser.quit)
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": SETTLE_JS})
    log_in(browser, base_url, *user)
    return browser, base_url


def alternating(sides: dict, paths: list[str], rounds: int) -> dict[str, dict[str, dict[str, list]]]:
    """{side: {"full" | "menu": {path: [(settled, without the fade), ...]}}} over ``rounds`` alternating
    rounds after one warm-up round per side (module doc)."""
    out = {name: {"full": {p: [] for p in paths}, "menu": {p: [] for p in paths}} for name in sides}
    for browser, base_url in sides.values():
        pages_warm(browser, base_url, paths, 1, warm_up=False)
        pages_in_app(browser, base_url, paths, 1, warm_up=False)
    for r in range(rounds):
        for name in (list(sides) if r % 2 == 0 else list(sides)[::-1]):
            browser, base_url = sides[name]
            for how, measure in (("full", pages_warm), ("menu", pages_in_app)):
                for path, values in measure(browser, base_url, paths, 1, warm_up=False).items():
                    out[name][how][path] += values
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="a checkout of the code to compare against (module doc)")
    parser.add_argument("--only", nargs="*", help="these pages only (paths)")
    args = parser.parse_args()
    url = os.environ.get("BIANJIAN_DATABASE_URL")
    if not url:
        parser.error("set BIANJIAN_DATABASE_URL to the warehouse to measure")
    from sqlalchemy import create_engine

    from tests.browser import demo_login, kiosk_token, live_server, log_in, open_browser

    engine = create_engine(url)
    token = kiosk_token(engine, f"bench-{int(time.time()) % 1_000_000}")
    user = demo_login(engine, "LEADER")
    engine.dispose()
    paths = [p for p in leader_pages() if not args.only or p in args.only]
    load_before = os.getloadavg()
    if args.baseline:
        with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
            sides = {name: _side(stack, Path(tmp), name, url, code, user)
                     for name, code in (("before", args.baseline.resolve()), ("after", ROOT))}
            results = alternating(sides, paths, args.loads)
        load_after = os.getloadavg()
        print(f"{args.loads} alternating rounds after one warm-up, before = {args.baseline}, after = {ROOT}; "
              f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after, {os.cpu_count()} cores\n")
        print("| page | how | before median ms | after median ms | before, fade not counted | "
              "after, fade not counted | before, browser CPU ms | after, browser CPU ms |\n"
              "|---|---|---:|---:|---:|---:|---:|---:|")
        for how, label in (("full", "full navigation"), ("menu", "from the menu")):
            for path in paths:
                before, after = results["before"][how][path], results["after"][how][path]
                if not before or not after:
                    continue  # not in the menu
                cells = [statistics.median(v[0] for v in side) for side in (before, after)]
                cells += [statistics.median(v[1] for v in side) for side in (before, after)]
                busy = [f"{statistics.median(v[2] for v in side):.0f}" if how == "menu" else "–"
                        for side in (before, after)]
                print(f"| {path} | {label} | " + " | ".join(f"{c:.0f}" for c in cells) + " | " + " | ".join(busy) + " |")
        return
    with tempfile.TemporaryDirectory() as tmp, live_server(url, Path(tmp) / "var", timeout=300) as base_url:
        browser = open_browser(Path(tmp) / "profile")
        try:
            browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": SETTLE_JS})
            wall = wall_first_paint(browser, base_url, token, args.loads)
            browser.delete_all_cookies()
            log_in(browser, base_url, *user)
            pages = pages_warm(browser, base_url, paths, args.loads)
            in_app = pages_in_app(browser, base_url, paths, args.loads)
        finally:
            browser.quit()
    load_after = os.getloadavg()
    print(f"{args.loads} measured loads each after one warm-up, load average {load_before[0]:.1f} before, "
          f"{load_after[0]:.1f} after, {os.cpu_count()} cores\n")
    print("| what | median ms | max ms | median ms, the grid's scrollbar fade not counted | "
          "median browser CPU ms |\n|---|---:|---:|---:|---:|")
    for label, values in (("wall: kiosk link → first chart", [w[0] for w in wall]),
                          ("wall: kiosk link → every panel", [w[1] for w in wall])):
        print(f"| {label} | {statistics.median(values):.0f} | {max(values):.0f} | | |")
    for label, results in (("warm: navigation → settled", pages), ("from the menu: click → settled", in_app)):
        for path, values in results.items():
            busy = f"{statistics.median(v[2] for v in values):.0f}" if results is in_app else ""
            print(f"| page {path}, {label} | {statistics.median(v[0] for v in values):.0f} | "
                  f"{max(v[0] for v in values):.0f} | {statistics.median(v[1] for v in values):.0f} | {busy} |")


if __name__ == "__main__":
    main()
