"""Demo generation benchmark: wall time and peak memory of `bianjian demo` at several scales.

Each run is a fresh process on a fresh database (SQLite file, or a throw-away PostgreSQL database), so
peak RSS is the generator's own. The smallest scale in the same run is the baseline the others are
compared with (time ratio ÷ scale ratio ≈ 1 means linear scaling).

    .venv/bin/python bench/bench_demo.py --scales 0.1 1.0 [--postgres] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test"


def run_once(scale: float, url: str) -> tuple[float, float]:
    env = {**os.environ, "BIANJIAN_DATABASE_URL": url}
    cmd = [sys.executable, "-m", "bianjian_cli", "demo", "--scale", str(scale), "--seed", "1",
           "--end", "2026-10-31", "--json"]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"demo failed at scale {scale} ({url})")
    return elapsed, usage.ru_maxrss / 1024  # KiB → MiB


def backend_url(backend: str, tmp: Path) -> tuple[str, callable]:
    if backend == "sqlite":
        path = tmp / f"{uuid.uuid4().hex}.db"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", type=float, nargs="+", default=[0.1, 1.0])
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    backends = ["sqlite"] + (["postgresql"] if args.postgres else [])
    print(f"machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}; resource limit {resource.getrlimit(resource.RLIMIT_AS)}")
    print("| backend | scale | runs | median s | peak RSS MiB | s per scale unit vs smallest |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for backend in backends:
            base = None
            for scale in sorted(args.scales):
                times, peaks = [], []
                for _ in range(args.repeat):
                    url, cleanup = backend_url(backend, tmp)
                    try:
                        t, rss = run_once(scale, url)
                    finally:
                        cleanup()
                    times.append(t)
                    peaks.append(rss)
                med = statistics.median(times)
                per_unit = med / scale
                base = base or per_unit
                print(f"| {backend} | {scale} | {len(times)} | {med:.1f} | {max(peaks):.0f} | {per_unit / base:.2f} |",
                      flush=True)


if __name__ == "__main__":
    main()
