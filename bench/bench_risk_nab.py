"""NAB benchmark of the production SpikeDetector on the shared NAB subset.

Run: ``nice .venv/bin/python bench/bench_risk_nab.py [--data ../shared/data/nab]``. Prints markdown
tables: per-file standard-profile normalised scores of our alarms next to published detectors
(``published_detector_scores_subset.csv``), the mean over the four Twitter files, and how much
that mean depends on the choice of defaults:

* **sensitivity**: the same table for every one-step change of one default within the grid the
  defaults were picked from (docs/risk_models.md §5.1);
* **leave-one-file-out**: pick the best of those configurations on three Twitter files, score it
  on the fourth. The mean of the four held-out scores estimates what the selection procedure
  is worth on a file it has not seen; the default's score is in-sample.

Scoring is :mod:`risk_models.nab`. The detector's output is the 0/1 alarm, so NAB's corpus-wide
threshold choice is trivial: every threshold in (0, 1] gives the same detections.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

from risk_models import nab
from risk_models.spikes import SpikeDetector

FILES = ["realKnownCause/nyc_taxi.csv", *nab.TWITTER_FILES]
TWITTER = list(nab.TWITTER_FILES)
PUBLISHED = {"ARTime": "ARTime", "numenta": "Numenta HTM", "twitterADVec": "Twitter ADVec",
             "windowedGaussian": "Windowed Gaussian", "null_detector": "null"}
# One-step neighbours of the defaults in the grid they were chosen from; cooldown in seasons.
NEIGHBOURS = [
    {"level_smoothing": 0.02}, {"level_smoothing": 0.1}, {"scale_smoothing": 0.02},
    {"cooldown_seasons": 1}, {"rarity": 7}, {"rarity": 28},
    {"cusum_h": 5.0}, {"cusum_h": 10.0}, {"cusum_h": 12.0},
]


def short(key: str) -> str:
    return key.split("/")[1].replace("Twitter_volume_", "").replace(".csv", "")


def load(data: Path) -> dict:
    windows = nab.load_windows(data / "combined_windows_subset.json")
    out = {}
    for key in FILES:
        s = nab.load_series(data / "series" / key.split("/")[1])
        y = pd.Series(s["value"].to_numpy(float), index=pd.DatetimeIndex(s["timestamp"]))
        out[key] = (y, nab.prepare_file(s["timestamp"], windows[key], key))
    return out


def detector(y: pd.Series, change: dict) -> SpikeDetector:
    params = dict(change)
    seasons = params.pop("cooldown_seasons", None)
    if seasons is not None:
        steps_per_day = int(pd.Timedelta(days=1) / (y.index[1] - y.index[0]))
        params["cooldown"] = int(seasons * steps_per_day)
    return SpikeDetector(**params)


def run(series: dict, change: dict | None = None) -> pd.DataFrame:
    """One detector pass per file; NAB rows for every profile."""
    rows = []
    for y, fs in series.values():
        t0 = time.perf_counter()
        res = detector(y, change or {}).fit(y).detect()
        secs = time.perf_counter() - t0
        for profile in nab.PROFILES:
            r = nab.score_file(fs, res["alarm"].to_numpy(float), 0.5, profile)
            rows.append({**r, "profile": profile, "seconds": secs, "alarms": int(res["alarm"].sum())})
    return pd.DataFrame(rows)


def standard_scores(df: pd.DataFrame) -> pd.Series:
    return df[df["profile"] == "standard"].set_index("file")["normalized_file_score"]


def leave_one_file_out(table: dict[str, pd.Series]) -> dict[str, tuple[str, float]]:
    """For each Twitter file: the configuration best on the other three, and its held-out score."""
    out = {}
    for held in TWITTER:
        rest = [k for k in TWITTER if k != held]
        best = max(table, key=lambda name: np.mean([table[name][k] for k in rest]))
        out[held] = (best, float(table[best][held]))
    return out


def label(change: dict) -> str:
    return "defaults" if not change else ", ".join(f"{k}={v}" for k, v in change.items())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "nab")
    args = ap.parse_args()
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cpus; "
          f"load average at start {os.getloadavg()[0]:.2f}\n")
    series = load(args.data)
    ours = run(series)
    pub = pd.read_csv(args.data / "published_detector_scores_subset.csv")
    cols = [short(k) for k in FILES]
    print("### NAB normalised per-file score (standard profile)\n")
    print("| detector | " + " | ".join(cols) + " | mean of 4 Twitter |")
    print("|---|" + "---|" * (len(cols) + 1))
    std = standard_scores(ours)
    print("| **Bianjian SpikeDetector()** | " + " | ".join(f"{std[k]:.1f}" for k in FILES)
          + f" | **{np.mean([std[k] for k in TWITTER]):.1f}** |")
    p = pub[pub["profile"] == "standard"].set_index(["detector", "file"])["normalized_file_score"]
    for det, name in PUBLISHED.items():
        print(f"| {name} (published) | " + " | ".join(f"{p[(det, k)]:.1f}" for k in FILES)
              + f" | {np.mean([p[(det, k)] for k in TWITTER]):.1f} |")
    print("\n### Our detector under all three profiles (mean of 4 Twitter files / nyc_taxi)\n")
    print("| profile | mean Twitter | nyc_taxi |")
    print("|---|---|---|")
    for prof in nab.PROFILES:
        d = ours[ours["profile"] == prof].set_index("file")["normalized_file_score"]
        print(f"| {prof} | {np.mean([d[k] for k in TWITTER]):.1f} | {d[FILES[0]]:.1f} |")
    print("\n### Detail (standard profile)\n")
    print("| file | rows | alarms | TP rows | FP rows | raw score | windows | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for r in ours[ours["profile"] == "standard"].itertuples():
        print(f"| {short(r.file)} | {r.TP + r.FP + r.FN + r.TN} scored | {r.alarms} | {r.TP} | {r.FP} "
              f"| {r.raw_score:.3f} | {r.n_windows} | {r.seconds:.2f} |")

    table = {label({}): std}
    for change in NEIGHBOURS:
        table[label(change)] = standard_scores(run(series, change))
    print("\n### Sensitivity: one default changed by one grid step (standard profile)\n")
    print("| configuration | " + " | ".join(cols) + " | mean of 4 Twitter |")
    print("|---|" + "---|" * (len(cols) + 1))
    for name, sc in table.items():
        print(f"| {name} | " + " | ".join(f"{sc[k]:.1f}" for k in FILES)
              + f" | {np.mean([sc[k] for k in TWITTER]):.1f} |")
    lofo = leave_one_file_out(table)
    print("\n### Leave one Twitter file out (configuration chosen on the other three)\n")
    print("| held-out file | chosen configuration | held-out score |")
    print("|---|---|---|")
    for k, (name, v) in lofo.items():
        print(f"| {short(k)} | {name} | {v:.1f} |")
    print(f"| **mean** | | **{np.mean([v for _, v in lofo.values()]):.1f}** |")
    print(f"\nload average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
