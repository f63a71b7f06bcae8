"""Big table export: the 投诉分析 ticket table at (or near) the row limit, and whether it blocks the web tier.

1. In-process: the export job itself (query, masking, audit, CSV) timed once per format, wall and CPU.
2. Over HTTP, per server tree (this checkout, and with ``--baseline-tree DIR`` an older tree whose export
   still ran in the request): ``bianjian serve --prod --workers 1`` with ``BIANJIAN_WEB_THREADS=1``, i.e.
   one request at a time, so an export held in a request shows as blocking. The demo analyst starts the
   export as dash-renderer does (a background job: dispatch, then polls every ``--poll`` s); while it runs,
   a probe (another page's callback: Dash Pages' routing callback for ``/rankings``) is sent every 0.5 s.
   Reported: export time to the file, the longest request the export held, and the probe's latency idle
   vs. during the export (medians, max).

    BIANJIAN_DATABASE_URL=sqlite:///path/to/warehouse.db .venv/bin/python bench/bench_exports.py \
        [--baseline-tree /tmp/old-checkout] [--period all]

The warehouse is copied first (an export writes audit rows).
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CSV_ID = {"table": "tickets", "type": "complaints-csv"}
XLSX_ID = {"table": "tickets", "type": "complaints-xlsx"}
PROBE_PATH = "/rankings"


def _key(component_id: dict, prop: str) -> str:
    """A pattern id as Dash writes it in callback keys (sorted keys, MATCH for the table)."""
    return json.dumps({**component_id, "table": ["MATCH"]}, sort_keys=True, separators=(",", ":")) + "." + prop


def _export_body(period: str, fmt: str, clicks: int, outputs: list[tuple[dict, str]]) -> dict:
    keys = [_key(i, p) for i, p in outputs]
    return {"output": keys[0] if len(keys) == 1 else ".." + "...".join(keys) + "..",
            "outputs": [{"id": i, "property": p} for i, p in outputs] if len(outputs) > 1
            else {"id": outputs[0][0], "property": outputs[0][1]},
            "inputs": [{"id": CSV_ID, "property": "n_clicks", "value": clicks if fmt == "csv" else None},
                       {"id": XLSX_ID, "property": "n_clicks", "value": clicks if fmt == "xlsx" else None}],
            "state": [{"id": "complaints-region", "property": "value", "value": []},
                      {"id": "complaints-category", "property": "value", "value": []},
                      {"id": "complaints-period", "property": "value", "value": period},
                      {"id": "complaints-q", "property": "value", "value": None}],
            "changedPropIds": [json.dumps(CSV_ID if fmt == "csv" else XLSX_ID, sort_keys=True,
                                          separators=(",", ":")) + ".n_clicks"]}


PROBE_BODY = {"output": ".._pages_content.children..._pages_store.data..",
              "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
              "inputs": [{"id": "_pages_location", "property": "pathname", "value": PROBE_PATH},
                         {"id": "_pages_location", "property": "search", "value": ""}],
              "state": [], "changedPropIds": ["_pages_location.pathname"]}


def in_process(url: str, period: str, formats: list[str]) -> None:
    """The job's own cost: what the request did before, and the background job does now."""
    os.environ["BIANJIAN_DATABASE_URL"] = url
    from data_access import db, queries, queries_complaints
    from data_access.scope import Scope
    from ui import exports, filters

    scope = Scope(user="bench", role="ANALYST", dept_code=None)
    for fmt in formats:
        wall, cpu = time.perf_counter(), time.process_time()
        with db.session_scope() as session:
            start = filters.period_start(period, queries.data_as_of(session))
            df, total = queries_complaints.complaint_rows(session, scope, start=start, limit=exports.row_limit())
            session.rollback()  # the job's audit row is not part of this measurement
        payload = exports.download(df.rename(columns=queries_complaints.COMPLAINT_COLUMNS), "bench", fmt)
        print(f"in-process {fmt}: {len(df):,} rows of {total:,} matching (limit {exports.row_limit():,}), "
              f"{time.perf_counter() - wall:.2f} s wall, {time.process_time() - cpu:.2f} s CPU, "
              f"payload {len(payload['content']) / 1e6:.1f} MB")


class Client:
    def __init__(self, base: str, username: str, password: str) -> None:
        self.base, self.http = base, requests.Session()
        form = self.http.get(base + "/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        self.http.post(base + "/login", data={"username": username, "password": password, "csrf_token": token,
                                              "next": "/"})
        page = self.http.get(base + "/complaints").text
        config = json.loads(re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>',
                                      page, re.S).group(1))
        self.end_id = config.get("end_id")
        self.headers = {"X-CSRFToken": self.http.cookies.get("_csrf_token", "")}

    def post(self, body: dict, **params: str) -> tuple[float, requests.Response]:
        if self.end_id:
            params = {"endId": self.end_id, **params}
        t = time.perf_counter()
        response = self.http.post(self.base + "/_dash-update-component", params=params, json=body,
                                  headers=self.headers, timeout=600)
        return time.perf_counter() - t, response


def export(client: Client, body: dict, poll: float) -> tuple[float, list[float], dict]:
    """(seconds to the file, each request's seconds, the dcc.Download payload), as dash-renderer drives it."""
    start = time.perf_counter()
    took, response = client.post(body)
    held, data = [took], response.json()
    if "cacheKey" in data:  # background: poll with the signed handles until the response arrives
        handles = {"cacheKey": data["cacheKey"], "job": data["job"]}
        cleared = json.loads(json.dumps(body))
        for item in cleared["inputs"] + cleared["state"]:
            item["value"] = None
        while "response" not in data:
            time.sleep(poll)
            took, response = client.post(cleared, **handles)
            held, data = [*held, took], response.json()
    return time.perf_counter() - start, held, next(iter(data["response"].values()))["data"]


def rows_in(payload: dict) -> int:
    if payload["filename"].endswith(".xlsx"):
        return len(pd.read_excel(io.BytesIO(base64.b64decode(payload["content"]))))
    return len(pd.read_csv(io.StringIO(payload["content"].removeprefix("\ufeff")), dtype=str))


def measure(label: str, tree: Path, url: str, period: str, fmt: str, args: argparse.Namespace,
            workdir: Path) -> None:
    from data_access.db import make_engine
    from tests.browser import _wait_until_up, demo_login, free_port

    engine = make_engine(url)
    username, password = demo_login(engine, "ANALYST")
    engine.dispose()
    port, log_path = free_port(), workdir / f"{label}.log"
    env = {**os.environ, "BIANJIAN_DATABASE_URL": url, "BIANJIAN_VAR_DIR": str(workdir / label),
           "BIANJIAN_WEB_THREADS": "1", "PYTHONPATH": str(tree)}
    with open(log_path, "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "bianjian_cli", "serve", "--prod", "--workers", "1",
                                   "--port", str(port)], cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base + "/login", server, 300, log_path)
        client = Client(base, username, password)
        background = "background_callback" in (tree / "ui" / "exports.py").read_text()
        outputs = [({"table": "tickets", "type": "complaints-download"}, "data")]
        if background:
            outputs.append(({"table": "tickets", "type": "complaints-status"}, "children"))
        client.post(PROBE_BODY)  # warm
        for clicks in range(1, args.repeat + 1):
            body = _export_body(period, fmt, clicks, outputs)
            idle = [client.post(PROBE_BODY)[0] for _ in range(7)]
            busy: list[float] = []
            done = threading.Event()

            def probe(busy: list[float] = busy, done: threading.Event = done) -> None:
                prober = Client(base, username, password)
                while not done.is_set():
                    busy.append(prober.post(PROBE_BODY)[0])
                    time.sleep(0.5)

            thread = threading.Thread(target=probe)
            load = os.getloadavg()[0]
            thread.start()
            time.sleep(1)
            seconds, held, payload = export(client, body, args.poll)
            done.set()
            thread.join()
            print(f"{label} ({'background job' if background else 'in the request'}), load {load:.1f}: export "
                  f"{rows_in(payload):,} {fmt} rows in {seconds:.2f} s over {len(held)} requests (first "
                  f"{held[0] * 1000:.0f} ms, last {held[-1] * 1000:.0f} ms, longest {max(held) * 1000:.0f} ms); "
                  f"probe {PROBE_PATH} idle median {statistics.median(idle) * 1000:.0f} ms, during export median "
                  f"{statistics.median(busy) * 1000:.0f} ms max {max(busy) * 1000:.0f} ms (n={len(busy)})", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline-tree", type=Path, help="a checkout whose exports ran in the request")
    parser.add_argument("--period", default="all", help="complaints period filter (all: every ticket)")
    parser.add_argument("--formats", default="csv,xlsx", help="export formats over HTTP, comma-separated")
    parser.add_argument("--repeat", type=int, default=1, help="exports per server and format")
    parser.add_argument("--poll", type=float, default=0.25, help="seconds between background polls")
    args = parser.parse_args()
    source = os.environ["BIANJIAN_DATABASE_URL"].removeprefix("sqlite:///")
    with tempfile.TemporaryDirectory(prefix="bench_exports_") as tmp:
        workdir = Path(tmp)
        shutil.copy(source, workdir / "warehouse.db")
        url = f"sqlite:///{workdir / 'warehouse.db'}"
        print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {os.getloadavg()}", flush=True)
        in_process(url, args.period, args.formats.split(","))
        for label, tree in ([("baseline", args.baseline_tree)] if args.baseline_tree else []) + [("now", ROOT)]:
            for fmt in args.formats.split(","):
                measure(label, tree.resolve(), url, args.period, fmt, args, workdir)


if __name__ == "__main__":
    main()
