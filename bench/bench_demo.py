"""Demo generation benchmark: wall time and peak memory of `bianjian demo` at several scales, and with
``--pipeline`` of the full `bianjian pipeline` over the warehouse the demo built.

Each run is a fresh process on a fresh database (SQLite file, or a throw-away PostgreSQL database), so
peak RSS is the generator's (or the pipeline's) own. The smallest scale in the same run is the baseline
the others are compared with (time ratio ÷ scale ratio ≈ 1 means linear scaling); with ``--pipeline``
each step's growth exponent from the smallest to the largest scale is printed too.

    .venv/bin/python bench/bench_demo.py --scales 0.1 1.0 [--postgres | --backends postgresql] [--pipeline]
"""

from __future__ import annotations

import argparse
import math
import os
import re
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
STEP_LINE = re.compile(r"^(\w+): (\w+) rows=(\d+) ([\d.]+)s$", re.M)  # the pipeline runner's line per step


def run_cli(url: str, *args: str) -> tuple[float, float, str]:
    """Run one ``bianjian`` command in its own process: (wall seconds, peak RSS MiB, stdout)."""
    env = {**os.environ, "BIANJIAN_DATABASE_URL": url}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bianjian_cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"bianjian {' '.join(args)} failed ({url})")
    return time.perf_counter() - start, usage.ru_maxrss / 1024, out  # KiB → MiB


def run_once(scale: float, url: str) -> tuple[float, float]:
    elapsed, mib, _ = run_cli(url, "demo", "--scale", str(scale), "--seed", "1", "--end", "2026-10-31", "--json")
    return elapsed, mib


def step_seconds(pipeline_stdout: str) -> dict[str, float]:
    """{step: seconds} from the runner's lines (a failed step counts with its status in the name)."""
    return {(name if status == "ok" else f"{name} ({status})"): float(secs)
            for name, status, _rows, secs in STEP_LINE.findall(pipeline_stdout)}


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
    parser.add_argument("--backends", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite"])
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL")
    parser.add_argument("--pipeline", action="store_true", help="also time the full pipeline after each demo")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    backends = list(dict.fromkeys(args.backends + (["postgresql"] if args.postgres else [])))
    print(f"machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d %H:%M')}; load average {os.getloadavg()}")
    print("| backend | scale | stage | runs | median s | peak RSS MiB | s per scale unit vs smallest |")
    print("|---|---|---|---|---|---|---|")
    steps: dict[tuple[str, float], dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for backend in backends:
            base: dict[str, float] = {}
            for scale in sorted(args.scales):
                runs: dict[str, list[tuple[float, float]]] = {"demo": [], "pipeline": []}
                for _ in range(args.repeat):
                    url, cleanup = backend_url(backend, tmp)
                    try:
                        runs["demo"].append(run_once(scale, url))
                        if args.pipeline:
                            seconds, mib, out = run_cli(url, "pipeline")
                            runs["pipeline"].append((seconds, mib))
                            steps[(backend, scale)] = step_seconds(out)
                    finally:
                        cleanup()
                for stage, measured in runs.items():
                    if not measured:
                        continue
                    med = statistics.median(t for t, _ in measured)
                    base.setdefault(stage, med / scale)
                    print(f"| {backend} | {scale} | {stage} | {len(measured)} | {med:.1f} | "
                          f"{max(m for _, m in measured):.0f} | {med / scale / base[stage]:.2f} |", flush=True)
            print(f"load average after {backend}: {os.getloadavg()}", flush=True)
    if steps:
        print_step_growth(steps, sorted(args.scales))


def print_step_growth(steps: dict[tuple[str, float], dict[str, float]], scales: list[float]) -> None:
    """Each pipeline step's seconds per scale and its growth exponent from the smallest to the largest."""
    low, high = scales[0], scales[-1]
    print(f"\n| backend | step | {' | '.join(f'{s} s' for s in scales)} | exponent {low} → {high} |")
    print("|---|---|" + "---|" * (len(scales) + 1))
    for backend in dict.fromkeys(b for b, _ in steps):
        for step in steps[(backend, high)]:
            secs = [steps[(backend, s)].get(step) for s in scales]
            k = math.log(secs[-1] / secs[0]) / math.log(high / low) if secs[0] and secs[-1] and high > low else None
            print(f"| {backend} | {step} | " + " | ".join("—" if t is None else f"{t:.1f}" for t in secs)
                  + f" | {'—' if k is None else f'{k:.2f}'} |")


if __name__ == "__main__":
    main()
