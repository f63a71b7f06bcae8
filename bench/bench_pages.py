"""Wall panel cost with and without the read-side cache: cold/warm latency per panel, and N walls
refreshing together (database queries executed, refresh latency p50/p95).

Cold = the panel's query function itself (``fn.uncached``); warm = the memoized function on a hit.
The multi-wall run is accelerated: W walls (threads) refresh every R/A seconds for D/A seconds with the
cache TTL also divided by A, which keeps the ratio of refreshes to recomputations of a real run. It runs
twice in the same process, without the cache (baseline) and with it; queries are counted on the engine.

    BIANJIAN_DATABASE_URL=sqlite:///var/bianjian.db .venv/bin/python bench/bench_pages.py \
        [--walls 10] [--refresh 30] [--duration 600] [--accel 10] [--repeat 15]
    ... bench/bench_pages.py --memory-minutes 10 [--memory-refresh 2]   # wall JS heap in Chromium
    ... bench/bench_pages.py --pages [--repeat 15] [--only /credit]   # every page's main callbacks, warm
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event  # noqa: E402

os.environ.setdefault("BIANJIAN_VAR_DIR", tempfile.mkdtemp(prefix="bench_pages_"))  # a cold private cache

from app import create_app  # noqa: E402
from data_access import cache, db  # noqa: E402
from data_access.scope import Scope  # noqa: E402

create_app()  # pages register themselves with an app
from pages import wall  # noqa: E402

SCOPE = Scope("bench-wall", "WALL")
PANELS = {
    "kpis": lambda f: f(SCOPE), "map": lambda f: f(SCOPE), "trend": lambda f: f(), "hotwords": lambda f: f(),
    "funnel": lambda f: f(SCOPE), "overdue": lambda f: f(SCOPE), "ticker": lambda f: f(SCOPE),
    "ranking": lambda f: f(SCOPE),
}
FUNCTIONS = {"kpis": wall.kpi_values, "map": wall.county_risk, "trend": wall.trend_data,
             "hotwords": wall.hotword_data, "funnel": wall.funnel_data, "overdue": wall.overdue_data,
             "ticker": wall.latest_alert_leads, "ranking": wall.department_ranking}


class QueryCounter:
    def __init__(self) -> None:
        self.n = 0
        self._lock = threading.Lock()
        event.listen(db.engine(), "before_cursor_execute", self._count)

    def _count(self, *_args) -> None:  # noqa: ANN002
        with self._lock:
            self.n += 1


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def refresh(use_cache: bool) -> None:
    for name, call in PANELS.items():
        fn = FUNCTIONS[name]
        call(fn if use_cache else fn.uncached)


def per_panel(counter: QueryCounter, repeat: int) -> None:
    print("| panel | cold p50 ms | cold p95 ms | queries | warm p50 ms | warm p95 ms | queries | cold ÷ warm |")
    print("|---|---|---|---|---|---|---|---|")
    for name, call in PANELS.items():
        fn = FUNCTIONS[name]
        rows = {}
        for label, target in (("cold", fn.uncached), ("warm", fn)):
            call(target)  # first call warms imports, the SQLite page cache and (warm) the result cache
            times, before = [], counter.n
            for _ in range(repeat):
                start = time.perf_counter()
                call(target)
                times.append(1000 * (time.perf_counter() - start))
            rows[label] = (statistics.median(times), pct(times, 95), (counter.n - before) / repeat)
        (c50, c95, cq), (w50, w95, wq) = rows["cold"], rows["warm"]
        print(f"| {name} | {c50:.1f} | {c95:.1f} | {cq:.0f} | {w50:.2f} | {w95:.2f} | {wq:.1f} | {c50 / w50:.0f}× |",
              flush=True)


def walls(counter: QueryCounter, n_walls: int, period: float, duration: float, use_cache: bool
          ) -> tuple[int, int, list[float]]:
    """(refreshes, queries, refresh latencies ms) of n_walls refreshing every period seconds."""
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + duration
    before = counter.n

    def run(offset: float) -> None:
        time.sleep(offset)  # walls are not in phase
        while time.monotonic() < stop_at:
            start = time.perf_counter()
            refresh(use_cache)
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(1000 * elapsed)
            time.sleep(max(0.0, period - elapsed))

    threads = [threading.Thread(target=run, args=(i * period / n_walls,)) for i in range(n_walls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies), counter.n - before, latencies


def browser_memory(minutes: float, refresh: int, default_refresh: int) -> None:
    """JS heap of a real wall in headless Chromium, refreshing every ``refresh`` s for ``minutes``."""
    from tests.browser import kiosk_token, live_server, open_browser

    url = db.engine().url.render_as_string(hide_password=False)
    with tempfile.TemporaryDirectory() as tmp, live_server(url, Path(tmp) / "var") as base:
        browser = open_browser(Path(tmp) / "profile")
        try:
            browser.get(f"{base}/wall?kiosk={kiosk_token(db.engine(), 'bench-memory')}&refresh={refresh}")
            browser.wait_for_css("#wall-canvas", timeout=120)
            browser.execute_cdp_cmd("Performance.enable", {})
            samples: list[tuple[float, float, float]] = []
            start = time.monotonic()
            while time.monotonic() - start < minutes * 60:
                browser.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
                metrics = {m["name"]: m["value"] for m in browser.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]}
                samples.append((time.monotonic() - start, metrics["JSHeapUsedSize"] / 2**20, metrics["Nodes"]))
                time.sleep(15)
        finally:
            browser.quit()
    xs, ys = [s[0] / 60 for s in samples], [s[1] for s in samples]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    refreshes = minutes * 60 / refresh
    print(f"wall in headless Chromium, refresh every {refresh} s for {minutes:.0f} min ({refreshes:.0f} refreshes = "
          f"{refreshes * default_refresh / 3600:.1f} h at the default {default_refresh} s); load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"JS heap after GC: first {ys[0]:.1f} MiB, last {ys[-1]:.1f} MiB, max {max(ys):.1f} MiB; "
          f"DOM nodes first {samples[0][2]:.0f}, last {samples[-1][2]:.0f}")
    per_refresh = slope * refresh / 60
    print(f"slope {slope:.3f} MiB per minute = {1024 * per_refresh:.1f} KiB per refresh = "
          f"{per_refresh * 3600 / default_refresh:.2f} MiB per hour of real wall time at the default refresh")


def page_cases(session) -> list[tuple[str, str, object]]:  # noqa: ANN001
    """(role, label, call) for each page's main callbacks (or its layout, where the layout queries): the
    default view and a filtered one, as a person opens them."""
    from sqlalchemy import select

    from data_access import queries_evaluation
    from data_access.reference import DEPT_CODE_BY_KEY
    from data_access.schema import RiskLead, Subject
    from pages import (
        catalog,
        complaints,
        credit,
        data_quality,
        enterprise,
        home,
        inbox,
        joint,
        lead_detail,
        leads,
        my_department,
        rankings,
        unlicensed,
    )

    scjg = DEPT_CODE_BY_KEY["SCJG"]
    month = (queries_evaluation.indicator_months(session) or [None])[-1]
    lead_id = session.scalar(select(RiskLead.lead_id).where(RiskLead.status == "已办结").order_by(RiskLead.lead_id))
    uscc = session.scalar(select(Subject.uscc).order_by(Subject.subject_id).limit(1).offset(1000))
    block = {"startRow": 0, "endRow": 50, "sortModel": [], "filterModel": {}}
    return [
        ("LEADER", "/ layout (KPIs)", lambda: home.layout()),
        ("ANALYST", "/complaints update_panels (近一年)", lambda: complaints.update_panels([], [], "365d", None)),
        ("ANALYST", "/complaints update_panels (county+category, 全部)",
         lambda: complaints.update_panels(["410204"], ["HC04"], "all", None)),
        ("ANALYST", "/complaints update_panels (全文检索 噪音)", lambda: complaints.update_panels([], [], "365d", "噪音")),
        ("ANALYST", "/complaints load_rows (first block)", lambda: complaints.load_rows(block, [], [], "365d", None)),
        ("ANALYST", "/enterprise search", lambda: enterprise.search("火锅")),
        ("ANALYST", "/enterprise/<uscc> layout (profile)", lambda: enterprise.layout(uscc=uscc)),
        ("ANALYST", "/credit update_panels", lambda: credit.update_panels([])),
        ("ANALYST", "/credit update_panels (county)", lambda: credit.update_panels(["410204"])),
        ("ANALYST", "/unlicensed update_panels", lambda: unlicensed.update_panels([], "365d")),
        ("ANALYST", "/catalog update_panels", lambda: catalog.update_panels(None, None)),
        ("ANALYST", "/leads load_rows (待研判)", lambda: leads.load_rows(block, ["待研判"], [])),
        ("LEADER", "/leads load_rows (all)", lambda: leads.load_rows(block, [], [])),
        ("LEADER", "/leads/<id> layout", lambda: lead_detail.layout(lead_id=str(lead_id))),
        ("DEPT_HEAD", "/inbox layout (cards)", lambda: inbox.layout()),
        ("LEADER", "/joint update", lambda: joint.update(None, None)),
        ("LEADER", "/data-quality refresh (30 days)", lambda: data_quality.refresh("30")),
        ("LEADER", "/data-quality refresh_pipeline", lambda: data_quality.refresh_pipeline("30")),
        ("LEADER", "/rankings _ranking (counties)", lambda: rankings._ranking(month, "COUNTY", [], [])),
        ("DEPT_HEAD", "/my-department _show", lambda: my_department._show(scjg, month)),
    ]


def bench_pages(repeat: int, only: str | None = None, cold: bool = False) -> None:
    """Warm latency of every page's main callbacks, called as the server calls them (request context with
    the identity the guard sets), after one warm-up call each. ``cold``: the data version is bumped before
    each timed call (outside the timing), so every read-cache lookup misses, as on the first view after a
    load or pipeline run."""
    from flask import g

    from data_access.reference import DEPT_CODE_BY_KEY
    from security.sessions import Identity

    scopes = {"LEADER": Scope("bench", "LEADER"), "ANALYST": Scope("bench", "ANALYST"),
              "DEPT_HEAD": Scope("bench", "DEPT_HEAD", DEPT_CODE_BY_KEY["SCJG"])}
    with db.session_scope() as session:
        cases = [c for c in page_cases(session) if only is None or only in c[1]]
    print(f"{time.strftime('%Y-%m-%d %H:%M')}; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}; "
          f"warehouse {db.engine().url.render_as_string()}; {repeat} {'cold' if cold else 'warm'} calls each\n")
    # CPU ms (this process, SQLite included: it runs in-process) is what the call costs; wall-clock ms also
    # holds the time spent waiting for a core on a shared machine.
    print("| callback | role | median ms | p95 ms | max ms | CPU median ms | load avg |\n|---|---|---:|---:|---:|---:|---:|")
    app = create_app()
    for role, label, call in cases:
        with app.server.test_request_context("/"):
            g.bianjian_identity = Identity(0, scopes[role], "bench")
            call()
            times, cpu = [], []
            for _ in range(repeat):
                if cold:
                    with db.engine().begin() as conn:
                        cache.bump_data_version(conn)
                start, start_cpu = time.perf_counter(), time.process_time()
                call()
                times.append(1000 * (time.perf_counter() - start))
                cpu.append(1000 * (time.process_time() - start_cpu))
        print(f"| {label} | {role} | {statistics.median(times):.0f} | {pct(times, 95):.0f} | {max(times):.0f} "
              f"| {statistics.median(cpu):.0f} | {os.getloadavg()[0]:.1f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--walls", type=int, default=10)
    parser.add_argument("--refresh", type=float, default=30, help="wall refresh interval, real seconds")
    parser.add_argument("--duration", type=float, default=600, help="simulated run length, real seconds")
    parser.add_argument("--accel", type=float, default=10, help="time compression of the multi-wall run")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--memory-minutes", type=float, help="only measure wall browser memory for this long")
    parser.add_argument("--memory-refresh", type=int, default=2, help="wall refresh seconds in the memory run")
    parser.add_argument("--pages", action="store_true", help="only time every page's main callbacks (warm)")
    parser.add_argument("--only", help="with --pages: only the callbacks whose label contains this text")
    parser.add_argument("--cold", action="store_true", help="with --pages: every call misses the read cache")
    args = parser.parse_args()
    if args.pages:
        bench_pages(args.repeat, args.only, args.cold)
        return
    if args.memory_minutes:
        browser_memory(args.memory_minutes, args.memory_refresh, int(wall.settings.get("wall_refresh_seconds")))
        return
    ttl = int(wall.PANEL_CACHE_SECONDS)
    print(f"{time.strftime('%Y-%m-%d %H:%M')}; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}; "
          f"warehouse {db.engine().url.render_as_string()}; cache backend {type(cache.backend()).__name__}")
    counter = QueryCounter()
    per_panel(counter, args.repeat)

    period, duration = args.refresh / args.accel, args.duration / args.accel
    # The memoized functions read their TTL when decorated; accelerate it by bumping the data version
    # every ttl/accel seconds instead, which forces the same recomputations as expiry would.
    stop = threading.Event()

    def expire() -> None:
        while not stop.wait(ttl / args.accel):
            with db.engine().begin() as conn:
                cache.bump_data_version(conn)

    print(f"\n{args.walls} walls refreshing every {args.refresh:.0f} s for {args.duration:.0f} s "
          f"(run {args.accel:.0f}× faster: every {period:.1f} s for {duration:.0f} s; cache TTL {ttl} s → "
          f"{ttl / args.accel:.1f} s)")
    print("| mode | wall refreshes | DB queries | queries per refresh | refresh p50 ms | refresh p95 ms |")
    print("|---|---|---|---|---|---|")
    results = {}
    for label, use_cache in (("no cache (baseline)", False), ("cache", True)):
        expirer = threading.Thread(target=expire)
        if use_cache:
            cache.VERSION_TTL_SECONDS /= args.accel  # each process re-reads the version 10× as often too
            expirer.start()
        n, queries, lat = walls(counter, args.walls, period, duration, use_cache)
        if use_cache:
            stop.set()
            expirer.join()
        results[label] = (n, queries, lat)
        print(f"| {label} | {n} | {queries} | {queries / n:.1f} | {statistics.median(lat):.0f} | {pct(lat, 95):.0f} |",
              flush=True)
    (_, q0, l0), (_, q1, l1) = results["no cache (baseline)"], results["cache"]
    print(f"\nqueries: {q1 / q0:.3f} of the baseline; refresh p50 {statistics.median(l1) / statistics.median(l0):.3f} "
          f"of the baseline; load average after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
