"""Benchmark the video wall: each refresh callback (called directly, warm) and the first render in a browser.

Usage (against a warehouse built by ./run.sh, i.e. the default demo scale and the pipeline run)::

    BIANJIAN_DATABASE_URL=sqlite:///var/bianjian.db .venv/bin/python bench/bench_wall.py [--runs 30] [--loads 5]

Callbacks run inside a request context whose identity is a wall display, exactly as the server calls
them, after one warm-up call each. First render is the time from navigation start to every panel drawn
(map, trend and funnel SVGs, hot words, overdue rows, ranking rows, ticker), in headless Chromium at
1920×1080 against ``bianjian serve`` on 127.0.0.1, after one warm-up load, timed inside the page (a
MutationObserver notes when each panel's element appears). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CALLBACKS = ("refresh_kpis", "refresh_map", "refresh_trend", "refresh_hotwords", "refresh_funnel",
             "refresh_overdue", "refresh_ranking", "refresh_ticker")
RENDERED = ("#wall-map .main-svg", "#wall-trend .main-svg", "#wall-funnel .main-svg", "#wall-hotwords .wall-word",
            "#wall-overdue .wall-row, #wall-overdue .wall-empty", "#wall-ranking .wall-row", "#wall-ticker .wall-ticker-item")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def bench_callbacks(runs: int) -> list[tuple[str, float, float, float, float]]:
    from flask import g

    from app import create_app
    from data_access.scope import Scope
    from security.sessions import Identity

    app = create_app()
    import pages.wall as wall

    rows = []
    with app.server.test_request_context("/wall"):
        g.bianjian_identity = Identity(0, Scope("bench", "WALL"), "bench")
        start, start_cpu = time.perf_counter(), time.process_time()
        wall.layout()
        rows.append(("layout (cold, server side)", time.perf_counter() - start, float("nan"), float("nan"),
                     time.process_time() - start_cpu))
        rows.append(timed("layout (warm, server side)", lambda _i: wall.layout(), runs))
        for name in CALLBACKS:
            fn = getattr(wall, name)
            fn(0)
            rows.append(timed(name, lambda i, fn=fn: fn(i + 1), runs))
    return rows


def timed(name: str, call, runs: int) -> tuple[str, float, float, float, float]:  # noqa: ANN001
    """(name, median, p95, max, median CPU) seconds of ``runs`` calls; CPU is this process's (SQLite runs
    in it), wall-clock also holds the time spent waiting for a core on a shared machine."""
    times, cpu = [], []
    for i in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        call(i)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return name, statistics.median(times), p95(times), max(times), statistics.median(cpu)


# Records, in the page, when each RENDERED selector first matches (performance.now(), i.e. ms since
# navigation start), so the numbers do not include WebDriver's polling.
OBSERVER = """
window.__wallDrawn = {};
const selectors = %s;
new MutationObserver(() => {
  for (const s of selectors) {
    if (!(s in window.__wallDrawn) && document.querySelector(s)) { window.__wallDrawn[s] = performance.now(); }
  }
}).observe(document, {subtree: true, childList: true});
"""


def bench_first_render(loads: int) -> list[dict[str, float]]:
    """Per measured load: ms from navigation start to each panel drawn, plus ``all`` (the last one)."""
    import json

    from sqlalchemy import create_engine

    from tests.browser import kiosk_token, live_server, open_browser

    url = os.environ["BIANJIAN_DATABASE_URL"]
    engine = create_engine(url)
    token = kiosk_token(engine, f"bench-{int(time.time()) % 1_000_000}")
    engine.dispose()
    with tempfile.TemporaryDirectory() as tmp, live_server(url, Path(tmp) / "var") as base_url:
        browser = open_browser(Path(tmp) / "profile")
        browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": OBSERVER % json.dumps(RENDERED)})
        try:
            browser.get(f"{base_url}/wall?kiosk={token}")
            loads_ms = []
            for i in range(loads + 1):
                browser.get("about:blank")
                browser.get(f"{base_url}/wall?refresh=3600")
                browser.wait_until(lambda d: len(d.execute_script("return window.__wallDrawn || {}")) == len(RENDERED),
                                   "the wall did not draw every panel", timeout=120)
                if i:  # the first load warms the server and the browser cache
                    drawn = browser.execute_script("return window.__wallDrawn")
                    loads_ms.append({**drawn, "all": max(drawn.values())})
            return loads_ms
        finally:
            browser.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="calls per callback")
    parser.add_argument("--loads", type=int, default=5, help="measured page loads")
    args = parser.parse_args()
    if "BIANJIAN_DATABASE_URL" not in os.environ:
        parser.error("set BIANJIAN_DATABASE_URL to the warehouse to measure")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    print("| what | median ms | p95 ms | max ms | CPU median ms |\n|---|---:|---:|---:|---:|")
    for name, median, p, worst, cpu in bench_callbacks(args.runs):
        print(f"| {name} | {1000 * median:.0f} | {1000 * p:.0f} | {1000 * worst:.0f} | {1000 * cpu:.0f} |", flush=True)
    renders = bench_first_render(args.loads)
    for key, name in (("#wall-ranking .wall-row", "server-rendered lists"), ("#wall-trend .main-svg", "trend figure"),
                      ("#wall-map .main-svg", "map figure"), ("all", "all panels")):
        times = [r[key] for r in renders]
        print(f"| first render in Chromium, navigation → {name} drawn, {len(renders)} warm loads "
              f"| {statistics.median(times):.0f} | {p95(times):.0f} | {max(times):.0f} | |")
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
