"""Scaling curves: demo generation and every pipeline step at several demo scales → growth exponents.

For each scale a fresh warehouse is built by ``bianjian demo`` in its own process, then each pipeline step
runs in its own ``bianjian pipeline --step NAME`` process; the step's own time is the runner's figure
(``NAME: ok rows=N 1.2s``), so process start-up does not count. The growth exponent of a stage is the
least-squares slope of log(seconds) against log(scale): 1.0 is linear, 2.0 quadratic. The province plan in
docs/production.md multiplies by 20^exponent.

    .venv/bin/python bench/bench_scaling.py --scales 0.02 0.05 0.1 [--postgres]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_demo import STEP_LINE, backend_url, run_cli  # noqa: E402
from pipeline.steps import STEPS  # noqa: E402


def measure(scale: float, backend: str, tmp: Path) -> dict[str, tuple[float, float]]:
    """{stage: (seconds, peak MiB)} for the demo and each pipeline step at one scale."""
    url, drop = backend_url(backend, tmp)
    try:
        seconds, mib, _ = run_cli(url, "demo", "--scale", str(scale), "--seed", "1", "--end", "2026-10-31", "--json")
        stages = {"demo": (seconds, mib)}
        for step in STEPS:
            _, mib, out = run_cli(url, "pipeline", "--step", step.name)
            match = STEP_LINE.search(out)
            stages[step.name] = (float(match.group(4)), mib)
        return stages
    finally:
        drop()


def exponent(scales: list[float], seconds: list[float]) -> float:
    """Least-squares slope of log(seconds) on log(scale)."""
    xs = [math.log(s) for s in scales]
    ys = [math.log(max(t, 1e-3)) for t in seconds]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", type=float, nargs="+", default=[0.02, 0.05, 0.1])
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    backend = "postgres" if args.postgres else "sqlite"
    print(f"load average before: {os.getloadavg()[0]:.1f}  backend: {backend}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for scale in args.scales:
            results[scale] = measure(scale, backend, Path(tmp))
            print(f"scale {scale}: " + ", ".join(f"{k} {v[0]:.1f}s/{v[1]:.0f}MiB" for k, v in results[scale].items()),
                  flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    scales = sorted(results)
    print("\n| stage | " + " | ".join(f"{s} s" for s in scales) + " | peak MiB (largest) | exponent | ×20 province |")
    print("|---|" + "---|" * (len(scales) + 3))
    for stage in results[scales[0]]:
        secs = [results[s][stage][0] for s in scales]
        k = exponent(scales, secs)
        print(f"| {stage} | " + " | ".join(f"{t:.1f}" for t in secs)
              + f" | {results[scales[-1]][stage][1]:.0f} | {k:.2f} | ×{20 ** k:.0f} |")


if __name__ == "__main__":
    main()
