"""Concurrent load with locust: U users on mixed pages against 127.0.0.1 only, bounded in time.

Run as a script it is the orchestrator: it starts the server on a free 127.0.0.1 port, runs locust
headless for --seconds (this same file is the locustfile), reads locust's CSV and prints p50/p95 and the
failure rate, then stops the server. Two servers are measured in the same run: the development server
(``bianjian serve``, one threaded process — the baseline) and production (``bianjian serve --prod``,
gunicorn with --workers processes sharing the Redis cache).

A user logs in once (not counted), then repeats, with 1–3 s think time:
- a wall refresh pulse (weight 3): the eight wall panel callbacks, as dash-renderer posts them;
- a page view (weight 2): the page's HTML shell and Dash Pages' routing callback, which runs the page's
  ``layout`` on the server (analyst pages' own data callbacks that fire after the layout are not sent).

    BIANJIAN_DATABASE_URL=sqlite:///var/bianjian.db .venv/bin/python bench/bench_load.py \
        [--users 50] [--seconds 60] [--workers 4] [--only prod]
"""

from __future__ import annotations

import json
import os
import random
import re

from locust import HttpUser, between, task

PAGES = ("/", "/complaints", "/enterprise", "/leads", "/joint", "/credit", "/rankings", "/my-department", "/unlicensed",
         "/catalog", "/data-quality", "/model-cards", "/wall", "/guide")  # every page the LEADER login opens
LOGIN = ("leader", "Kf-Leader-8104")  # public demo login (security.users.DEMO_USERS)


class Analyst(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        with open(os.environ["BENCH_LOAD_BODIES"]) as f:
            self.bodies = json.load(f)
        form = self.client.get("/login", name="login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        self.client.post("/login", data={"username": LOGIN[0], "password": LOGIN[1], "csrf_token": token,
                                         "next": "/"}, name="login")
        self.csrf = {"X-CSRFToken": self.client.cookies.get("_csrf_token", "")}

    def _callback(self, body: dict, name: str) -> None:
        with self.client.post("/_dash-update-component", json=body, headers=self.csrf, name=name,
                              catch_response=True) as response:
            if response.status_code == 0:  # no HTTP answer: name the connection error
                response.failure(repr(response.error))
            elif response.status_code not in (200, 204):
                response.failure(f"HTTP {response.status_code}")

    @task(3)
    def wall_refresh(self) -> None:
        for panel, body in self.bodies["wall"].items():
            self._callback(body, f"wall:{panel}")

    @task(2)
    def page_view(self) -> None:
        path = random.choice(PAGES)
        self.client.get(path, name=f"page {path}")
        self._callback(self.bodies["pages"][path], f"layout {path}")
        for call in self.bodies["data"][path]:
            self._callback(call["body"], f"data {path} {call['name']}")


# ------------------------------------------------------------------------------------------ orchestrator


def _bodies() -> dict:
    """The JSON dash-renderer posts: each page's routing callback and the data callbacks it then fires, and
    each wall panel's callback. Collected by driving the app in-process as the load's user (see
    :func:`_initial_callbacks`), so the load test sends what a browser opening the page sends."""
    from app import create_app
    from security import access, testing

    app = create_app()
    client = app.server.test_client()
    client.get("/login")  # Dash registers the Pages routing callback on first request
    testing.log_in(client, *LOGIN)
    router = next(k for k in app.callback_map if access.PAGES_CONTENT_ID in k)
    outputs = [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}]
    pages, data = {}, {}
    for path in PAGES:
        pages[path] = {"output": router, "outputs": outputs, "state": [],
                       "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                                  {"id": "_pages_location", "property": "search", "value": ""}],
                       "changedPropIds": ["_pages_location.pathname"]}
        data[path] = _initial_callbacks(app, client, pages[path])
    wall = {}
    for panel in ("kpis", "map", "trend", "hotwords", "funnel", "overdue", "ranking", "ticker"):
        key = next(k for k in app.callback_map if f"wall-done-{panel}.data" in k)
        wall[panel] = {"output": key, "outputs": _outputs(key),
                       "inputs": [{"id": "wall-pulse", "property": "data", "value": 1}], "state": [],
                       "changedPropIds": ["wall-pulse.data"]}
    return {"pages": pages, "data": data, "wall": wall}


def _outputs(key: str) -> list[dict] | dict:
    """A callback's outputs as dash-renderer sends them: a list for several, one object for one."""
    if key.startswith(".."):
        return [dict(zip(("id", "property"), s.rsplit(".", 1), strict=True)) for s in key[2:-2].split("...")]
    return dict(zip(("id", "property"), key.rsplit(".", 1), strict=True))


def _components(tree: object, props: dict[str, dict]) -> None:
    """Collect ``id -> props`` of every component with a plain string id in a serialised layout."""
    if isinstance(tree, list):
        for item in tree:
            _components(item, props)
    elif isinstance(tree, dict):
        if "props" in tree and "type" in tree:
            own = tree["props"]
            if isinstance(own.get("id"), str):
                props.setdefault(own["id"], {}).update(own)
            for value in own.values():
                _components(value, props)
        else:
            for value in tree.values():
                _components(value, props)


def _initial_callbacks(app, client, route: dict) -> list[dict]:  # noqa: ANN001
    """The callbacks a browser fires after the page's layout arrives, in the order it can fire them.

    A callback fires when all its inputs are on the page and it is neither client-side nor
    ``prevent_initial_call``; its outputs may add components that enable more callbacks, which are then
    fired with the values the responses set. Callbacks with pattern-matching ids are left out.
    """
    from security import testing

    layout = client.post("/_dash-update-component", json=route, headers=testing.csrf_headers(client)).json
    props: dict[str, dict] = {}
    _components(layout, props)
    fired, bodies = set(), []
    while True:
        ready = [c for c in app._callback_list
                 if c["output"] not in fired and "{" not in c["output"] and not c.get("clientside_function")
                 and not c.get("prevent_initial_call")
                 and c["inputs"] and all(isinstance(i["id"], str) and i["id"] in props for i in c["inputs"])
                 and "_pages_location" not in {i["id"] for i in c["inputs"]}]
        if not ready:
            return bodies
        for c in ready:
            fired.add(c["output"])

            def value(dep: dict) -> dict:
                prop = props.get(dep["id"], {})
                return {**dep, "value": prop[dep["property"]]} if dep["property"] in prop else dict(dep)

            body = {"output": c["output"], "outputs": _outputs(c["output"]), "inputs": [value(i) for i in c["inputs"]],
                    "state": [value(s) for s in c["state"]],
                    "changedPropIds": [f"{i['id']}.{i['property']}" for i in c["inputs"]]}
            response = client.post("/_dash-update-component", json=body, headers=testing.csrf_headers(client))
            if response.status_code == 200:
                for cid, updates in response.json.get("response", {}).items():
                    props.setdefault(cid, {}).update(updates)
                    _components(updates, props)
            bodies.append({"body": body, "name": c["output"].strip(".").split(".")[0]})


def _measure(label: str, serve_args: list[str], args, bodies_path, tmp) -> dict:  # noqa: ANN001
    import csv
    import subprocess
    import sys
    import time
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.browser import _wait_until_up, free_port

    root = Path(__file__).resolve().parents[1]
    port = free_port()
    log_path = Path(tmp) / f"{label}.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "bianjian_cli", "serve", "--port", str(port), *serve_args],
                                  cwd=root, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/login", server, 300, log_path)
        load_before = os.getloadavg()[0]
        cpu_before = _server_cpu(server.pid)
        prefix = Path(tmp) / label
        subprocess.run([sys.executable, "-m", "locust", "-f", __file__, "--headless", "--only-summary",
                        "-u", str(args.users), "-r", str(max(1, args.users // 10)), "-t", f"{args.seconds}s",
                        "--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--stop-timeout", "10",
                        "--reset-stats"],
                       env={**os.environ, "BENCH_LOAD_BODIES": str(bodies_path)}, check=False,
                       stdout=subprocess.DEVNULL, stderr=open(Path(tmp) / f"{label}-locust.log", "wb"),
                       timeout=args.seconds + 120)
        cpu = _server_cpu(server.pid) - cpu_before
        print((Path(tmp) / f"{label}-locust.log").read_text()[-3000:], file=sys.stderr)
        rows = {r["Name"]: r for r in csv.DictReader(open(f"{prefix}_stats.csv"))}
        work = [r for name, r in rows.items() if name not in ("login", "Aggregated")]
        requests = sum(int(r["Request Count"]) for r in work)
        failures = sum(int(r["Failure Count"]) for r in work)
        # locust's Aggregated percentiles include the two login requests per user (argon2 checks)
        errors = [f"{r['Occurrences']}× {r['Name']}: {r['Error']}" for r in csv.DictReader(open(f"{prefix}_failures.csv"))]
        server_log = log_path.read_text(errors="replace")
        recycled = server_log.count("Autorestarting worker") + server_log.count("Draining worker")
        return {"label": label, "rows": rows, "requests": requests, "failures": failures, "errors": errors,
                "recycled": recycled, "cpu": cpu,
                "load": (load_before, os.getloadavg()[0]), "time": time.strftime("%Y-%m-%d %H:%M")}
    finally:
        server.terminate()
        server.wait(timeout=60)
        if args.keep_log:
            Path(args.keep_log).write_bytes(log_path.read_bytes())


def _server_cpu(pid: int) -> float:
    """CPU seconds (user + system) the server has used so far: the process itself, the workers it has reaped
    (recycled ones) and the workers alive now. Linux /proc; the load's start-up (imports, the first workers)
    is left out by taking the difference over the run."""
    import psutil

    server = psutil.Process(pid)
    times = server.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in server.children():
        try:
            child_times = child.cpu_times()
        except psutil.NoSuchProcess:  # exited between the listing and the read: the master has it (or will)
            continue
        total += child_times.user + child_times.system
    return total


def main() -> None:
    import argparse
    import tempfile
    from pathlib import Path

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--only", choices=("dev", "prod"))
    parser.add_argument("--stock-worker", action="store_true",
                        help="prod: gunicorn's stock gthread worker instead of ops.gunicorn_worker (the baseline)")
    parser.add_argument("--keep-log", help="copy the (last) server's log to this file")
    parser.add_argument("--max-requests", type=int,
                        help="prod: recycle each worker after about N requests (gunicorn's max_requests, jitter N/2 as in ops/gunicorn_conf.py) "
                             "so a short run crosses worker recycling")
    args = parser.parse_args()
    os.environ.setdefault("BIANJIAN_CACHE_URL", "redis://127.0.0.1:6379/12")
    # All users log in as one account from 127.0.0.1 within seconds; the lockout counts that account's logins
    # still in flight as its failures (security/ratelimit.py), and a refused login makes all of that user's
    # requests fail with 401: the benchmark would measure the lockout, not the server.
    os.environ.setdefault("BIANJIAN_LOGIN_MAX_FAILURES_PER_IP", "1000")
    os.environ.setdefault("BIANJIAN_LOGIN_MAX_FAILURES", "1000")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("BIANJIAN_VAR_DIR", tmp)
        bodies_path = Path(tmp) / "bodies.json"
        bodies_path.write_text(json.dumps(_bodies()))
        os.environ["BENCH_LOAD_BODIES"] = str(bodies_path)
        runs = []
        if args.only != "prod":
            runs.append(_measure("dev", [], args, bodies_path, tmp))
        if args.only != "dev":
            gunicorn_args = ["--worker-class gthread"] if args.stock_worker else []
            if args.max_requests:
                gunicorn_args += [f"--max-requests {args.max_requests}",
                                  f"--max-requests-jitter {max(1, args.max_requests // 2)}"]
            os.environ["GUNICORN_CMD_ARGS"] = " ".join(gunicorn_args)
            runs.append(_measure("prod", ["--prod", "--workers", str(args.workers)], args, bodies_path, tmp))
    print(f"{args.users} users, {args.seconds} s per server, {os.cpu_count()} cores, cache "
          f"{os.environ['BIANJIAN_CACHE_URL']}")
    print("| server | requests | failures | agg p50 ms | agg p95 ms | wall callbacks p95 ms | page layouts p95 ms "
          "| req/s | server CPU ms per request | load before → after |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        agg = run["rows"]["Aggregated"]
        wall = [r for n, r in run["rows"].items() if n.startswith("wall:")]
        layout = [r for n, r in run["rows"].items() if n.startswith("layout ")]

        def worst(rows: list[dict]) -> str:
            return str(max(int(float(r["95%"])) for r in rows)) if rows else "—"

        print(f"| {run['label']} | {run['requests']} | {run['failures']} ({run['failures'] / max(run['requests'], 1):.1%})"
              f" | {agg['50%']} | {agg['95%']} | {worst(wall)} | {worst(layout)} | {float(agg['Requests/s']):.1f}"
              f" | {1000 * run['cpu'] / max(run['requests'], 1):.1f} | {run['load'][0]:.1f} → {run['load'][1]:.1f} |")
    for run in runs:
        print(f"\n{run['label']}: {run['recycled']} worker recycles; failures: {run['errors'] or 'none'}")
    print("\nper request name (last server):")
    for name, r in runs[-1]["rows"].items():
        print(f"  {name}: n={r['Request Count']} fail={r['Failure Count']} p50={r['50%']} p95={r['95%']}")


if __name__ == "__main__":
    main()
