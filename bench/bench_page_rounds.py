"""Why a page is slow, in figures that do not depend on the machine's load: the callback rounds a page
fires when it opens, each callback's server CPU time and response size, and the browser's own CPU time.

    BIANJIAN_DATABASE_URL=sqlite:///var/bianjian.db .venv/bin/python bench/bench_page_rounds.py \
        [--only /complaints] [--repeat 5]

1. **In the browser** (``bianjian serve`` + headless Chromium, as bench/bench_browser.py; logged in as the
   LEADER demo user): each page opened once to warm the caches, then ``--loads`` times while Chromium's
   network log records every request (settle time and browser busy time: medians; callbacks: the last load). Per ``_dash-update-component`` request: when it left and when its answer had
   arrived (ms from navigation start), its outputs and its response size. The **round** of a request is
   one more than the latest round among the callback requests that had finished before it left (round 1 =
   the router's request, which renders the page layout), so a page whose panels are drawn by the layout
   itself has one round and a chain of callbacks waiting on each other has several. The client-side
   render cost: the CPU time all the browser's processes used over the load (``/proc``; it includes the
   quiet second the settle rule waits, in which a settled page uses next to none), and the main thread's
   busy time (CDP ``Performance.getMetrics`` TaskDuration/ScriptDuration), which grows with the load.
2. **In this process**: the captured request bodies are posted again through Flask's test client (the real
   guard: login cookie, CSRF header), ``--repeat`` times after one warm-up, and each one's thread CPU time
   (SQLite runs in-process) and response bytes are taken — the server cost of the page, free of the load.

Prints one markdown table per page and a summary table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_browser import SETTLE_JS, _settled_ms, leader_pages  # noqa: E402

CALLBACK_PATH = "/_dash-update-component"


def _browser_cpu_ms(browser) -> float:  # noqa: ANN001
    """CPU time (user + system, ms) used so far by every process of this browser: Chromium under its
    chromedriver (renderer, GPU, network service…). Unlike busy time, it does not grow while the machine's
    other jobs hold the cores."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0, list(children.get(browser.service.process.pid, []))
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return 1000 * total / tick


def _metrics(browser) -> dict[str, float]:  # noqa: ANN001
    return {m["name"]: m["value"] for m in browser.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]}


def _outputs(body: dict) -> str:
    """Short text of a callback's outputs: ``complaints-by-region.figure+6``."""
    outputs = body.get("outputs")
    items = outputs if isinstance(outputs, list) else [outputs]
    first = items[0] if items else {}
    ident = first.get("id") if isinstance(first, dict) else None
    name = json.dumps(ident, separators=(",", ":")) if isinstance(ident, dict) else str(ident)
    label = f"{name}.{first.get('property')}" if isinstance(first, dict) else str(body.get("output"))[:60]
    return label + (f"+{len(items) - 1}" if len(items) > 1 else "")


def record_load(browser, url: str) -> dict:  # noqa: ANN001
    """One measured navigation: callback requests with timing and size, settle time, browser CPU."""
    browser.get("about:blank")
    browser.get_log("performance")  # drop what came before
    before, cpu_before = _metrics(browser), _browser_cpu_ms(browser)
    browser.get(url)
    settled = _settled_ms(browser)
    after, cpu_after = _metrics(browser), _browser_cpu_ms(browser)
    requests: dict[str, dict] = {}
    origin = None
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        method, params = message.get("method"), message.get("params", {})
        rid = params.get("requestId")
        if method == "Network.requestWillBeSent":
            req = params["request"]
            if origin is None and params.get("type") == "Document" and req["url"].startswith(url.split("?")[0]):
                origin = params["timestamp"]
            requests[rid] = {"url": req["url"], "start": params["timestamp"], "post": req.get("postData"),
                             "bytes": 0}
        elif method == "Network.dataReceived" and rid in requests:
            requests[rid]["bytes"] += params.get("dataLength", 0)
        elif method == "Network.loadingFinished" and rid in requests:
            requests[rid]["end"] = params["timestamp"]
            requests[rid]["wire"] = params.get("encodedDataLength", 0)
        elif method == "Network.responseReceived" and rid in requests:
            timing = params["response"].get("timing") or {}
            requests[rid]["ttfb"] = timing.get("receiveHeadersEnd", 0) - timing.get("sendEnd", 0)
    callbacks = []
    for rid, r in requests.items():
        if CALLBACK_PATH not in r["url"] or origin is None or "end" not in r:
            continue
        if r["post"] is None:
            try:
                r["post"] = browser.execute_cdp_cmd("Network.getRequestPostData", {"requestId": rid})["postData"]
            except Exception:  # noqa: BLE001 (the body is gone: the request is still timed)
                r["post"] = "{}"
        body = json.loads(r["post"])
        callbacks.append({"body": body, "outputs": _outputs(body), "start": 1000 * (r["start"] - origin),
                          "end": 1000 * (r["end"] - origin), "bytes": r["bytes"], "ttfb": r.get("ttfb", 0)})
    callbacks.sort(key=lambda c: c["start"])
    for c in callbacks:
        c["round"] = 1 + max((p["round"] for p in callbacks if "round" in p and p["end"] <= c["start"]), default=0)
    others = [r for r in requests.values() if origin is not None and "end" in r and CALLBACK_PATH not in r["url"]]
    return {"settled": settled, "callbacks": callbacks, "cpu_ms": cpu_after - cpu_before,
            "task_ms": 1000 * (after["TaskDuration"] - before["TaskDuration"]),
            "script_ms": 1000 * (after["ScriptDuration"] - before["ScriptDuration"]),
            "layout_ms": 1000 * (after["LayoutDuration"] - before["LayoutDuration"]),
            "other_kb": sum(r["bytes"] for r in others) / 1024}


def browse(url: str, paths: list[str], loads: int = 3) -> dict[str, dict]:
    from sqlalchemy import create_engine

    from tests.browser import demo_login, live_server, log_in, open_browser

    engine = create_engine(url)
    user = demo_login(engine, "LEADER")
    engine.dispose()
    out = {}
    with tempfile.TemporaryDirectory() as tmp, live_server(url, Path(tmp) / "var", timeout=300) as base_url:
        browser = open_browser(Path(tmp) / "profile")
        try:
            browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": SETTLE_JS})
            browser.execute_cdp_cmd("Performance.enable", {})
            browser.execute_cdp_cmd("Network.enable", {})
            log_in(browser, base_url, *user)
            for path in paths:
                record_load(browser, base_url + path)  # warm-up
                runs = [record_load(browser, base_url + path) for _ in range(loads)]
                out[path] = {**runs[-1], **{k: statistics.median(r[k] for r in runs)
                                            for k in ("settled", "task_ms", "script_ms", "layout_ms", "cpu_ms")}}
        finally:
            browser.quit()
    return out


def replay(loads: dict[str, dict], repeat: int) -> None:
    """Add each callback's median server CPU ms and wall ms (this process, Flask test client) to ``loads``."""
    from sqlalchemy import create_engine

    from app import create_app
    from security import testing
    from tests.browser import demo_login

    engine = create_engine(os.environ["BIANJIAN_DATABASE_URL"])
    user = demo_login(engine, "LEADER")
    engine.dispose()
    app = create_app()
    client = app.server.test_client()
    client.get("/login")
    assert testing.log_in(client, *user).status_code == 302
    headers = testing.csrf_headers(client)
    for load in loads.values():
        for c in load["callbacks"]:
            response = client.post(CALLBACK_PATH, json=c["body"], headers=headers)  # warm-up
            cpu, wall = [], []
            for _ in range(repeat):
                start, start_cpu = time.perf_counter(), time.thread_time()
                response = client.post(CALLBACK_PATH, json=c["body"], headers=headers)
                cpu.append(1000 * (time.thread_time() - start_cpu))
                wall.append(1000 * (time.perf_counter() - start))
            c["status"], c["server_bytes"] = response.status_code, len(response.data)
            c["components"] = response.data.count(b'"namespace"')
            c["cpu"], c["wall"] = statistics.median(cpu), statistics.median(wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", help="only this page path (repeatable)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--loads", type=int, default=3, help="measured loads per page (medians; callbacks of the last)")
    args = parser.parse_args()
    url = os.environ.get("BIANJIAN_DATABASE_URL")
    if not url:
        parser.error("set BIANJIAN_DATABASE_URL to the warehouse to measure")
    os.environ.setdefault("BIANJIAN_VAR_DIR", tempfile.mkdtemp(prefix="bench_rounds_"))
    paths = args.only or leader_pages()
    load_before = os.getloadavg()[0]
    loads = browse(url, paths, args.loads)
    load_mid = os.getloadavg()[0]
    replay(loads, args.repeat)
    print(f"{time.strftime('%Y-%m-%d %H:%M')}; {args.loads} measured loads per page; load average {load_before:.1f} before the browser, {load_mid:.1f} "
          f"after it, {os.getloadavg()[0]:.1f} after the replay; server CPU = median of {args.repeat} replays\n")
    summary = []
    for path, load in loads.items():
        cbs = load["callbacks"]
        print(f"### {path}: settled {load['settled']:.0f} ms, browser CPU {load['cpu_ms']:.0f} ms, "
              f"browser main thread {load['task_ms']:.0f} ms "
              f"(script {load['script_ms']:.0f}, layout {load['layout_ms']:.0f}), other requests "
              f"{load['other_kb']:.0f} KB\n")
        print("| round | outputs | sent ms | done ms | server CPU ms | KB | components | status |\n"
              "|---:|---|---:|---:|---:|---:|---:|---:|")
        for c in cbs:
            print(f"| {c['round']} | {c['outputs']} | {c['start']:.0f} | {c['end']:.0f} | {c.get('cpu', 0):.0f} | "
                  f"{c['bytes'] / 1024:.1f} | {c.get('components', 0)} | {c.get('status', '')} |")
        print()
        summary.append((path, load["settled"], max((c["round"] for c in cbs), default=0), len(cbs),
                        sum(c.get("cpu", 0) for c in cbs), sum(c["bytes"] for c in cbs) / 1024,
                        sum(c.get("components", 0) for c in cbs), load["task_ms"], load["cpu_ms"]))
    print("| page | settled ms | rounds | callbacks | server CPU ms | callback KB | components | browser main thread ms "
          "| browser CPU ms |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for path, settled, rounds, n, cpu, kb, components, task, browser_cpu in summary:
        print(f"| {path} | {settled:.0f} | {rounds} | {n} | {cpu:.0f} | {kb:.0f} | {components} | {task:.0f} "
              f"| {browser_cpu:.0f} |")


if __name__ == "__main__":
    main()
