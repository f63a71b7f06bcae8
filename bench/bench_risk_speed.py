"""Speed: city-wide spike detection (700 daily series x 1095 days) and scoring 450k entities.

Run: ``.venv/bin/python bench/bench_risk_speed.py [--repeat 3] [--n-jobs 2]``; prints a markdown table
of median wall times. Targets: spikes <= 60 s, entity scoring <= 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import pandas as pd


def city_counts(n_regions=10, n_categories=70, n_days=1095, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2023-01-01", periods=n_days, freq="D")
    t = np.arange(n_days)
    frames = []
    for r in range(n_regions):
        for c in range(n_categories):
            base = rng.gamma(1.5, 2.0)
            mu = base * (1 + 0.3 * np.sin(2 * np.pi * (t + rng.integers(365)) / 365.25)) * (1 + 0.2 * (days.dayofweek < 5))
            y = rng.poisson(mu)
            for s in rng.choice(n_days, 2, replace=False):
                y[s:s + 3] += rng.poisson(4 * base + 5, min(3, n_days - s))
            keep = y > 0
            frames.append(pd.DataFrame({"district": f"D{r:02d}", "category": f"C{c:02d}", "date": days[keep], "count": y[keep]}))
    return pd.concat(frames, ignore_index=True)


def entities(n, seed=0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "past_violations": rng.poisson(0.5, n).astype(float),
        "complaints_90d": rng.poisson(1.0, n).astype(float),
        "licence_age": rng.gamma(2, 3, n),
        "registered_capital": rng.lognormal(12, 1.5, n),
        "abnormal_list": rng.random(n) < 0.05,
        "industry": rng.choice(["餐饮", "药品", "零售", "特种设备", "食品生产", "其他"], n),
        "district": rng.choice([f"D{i}" for i in range(10)], n),
        "credit_grade": rng.choice(["A", "B", "C", "D", None], n, p=[0.45, 0.4, 0.08, 0.04, 0.03]),
    })
    X.loc[rng.random(n) < 0.05, "licence_age"] = np.nan
    logit = -2.5 + 0.6 * X["past_violations"] + 0.3 * X["complaints_90d"] + 1.0 * X["abnormal_list"]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--entities", type=int, default=450_000)
    ap.add_argument("--regions", type=int, default=10, help="10 x 70 categories = 700 series")
    args = ap.parse_args()
    from risk_models.entity_risk import EntityRiskModel
    from risk_models.spikes import detect_spikes_frame

    counts = city_counts(n_regions=args.regions)
    n_series = counts.groupby(["district", "category"]).ngroups
    spike_t, spike_cpu = [], []
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = detect_spikes_frame(counts, complete=True, n_jobs=args.n_jobs)
        spike_t.append(time.perf_counter() - t0)
        spike_cpu.append(time.process_time() - c0)  # meaningful with --n-jobs 1 only
    X, y = entities(20_000, seed=1)
    t0 = time.perf_counter()
    model = EntityRiskModel(n_jobs=args.n_jobs).fit(X, y)
    fit_t = time.perf_counter() - t0
    Xs, _ = entities(args.entities, seed=2)
    score_t, score_cpu = [], []
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        model.risk_score(Xs)
        model.anomaly_score(Xs)
        score_t.append(time.perf_counter() - t0)
        score_cpu.append(time.process_time() - c0)
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, 1-min load average at end {load:.1f}; repeats {args.repeat}\n")
    print("| task | size | median wall time (s) | process CPU time (s) | target |")
    print("|---|---|---|---|---|")
    print(f"| spike detection (`detect_spikes_frame`, n_jobs={args.n_jobs}) | {n_series} series x 1095 days"
          f" ({len(out):,} series-days, {int(out['alarm'].sum())} alarms) | {statistics.median(spike_t):.1f} |"
          f" {statistics.median(spike_cpu):.1f} | 700 series <= 60 |")
    print(f"| entity risk fit (`EntityRiskModel()`, hgb + sigmoid calibration + IsolationForest) | 20,000 rows x 8 cols | {fit_t:.1f} | - | - |")
    print(f"| entity scoring (`risk_score` + `anomaly_score`) | {args.entities:,} rows | {statistics.median(score_t):.1f} |"
          f" {statistics.median(score_cpu):.1f} | 450k <= 60 |")


if __name__ == "__main__":
    main()
