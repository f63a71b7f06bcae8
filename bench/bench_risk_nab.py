"""NAB benchmark of the production SpikeDetector on the shared NAB subset.

Run: ``.venv/bin/python bench/bench_risk_nab.py [--data ../shared/data/nab]``. Prints markdown
tables: per-file standard-profile normalised scores of our alarms next to published detectors
(``published_detector_scores_subset.csv``), and the mean over the four Twitter files.

Scoring is :mod:`risk_models.nab`. The detector runs with its defaults (one configuration for all
files). Its output is the 0/1 alarm, so NAB's corpus-wide threshold choice is trivial: every
threshold in (0, 1] gives the same detections.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from risk_models import nab
from risk_models.spikes import SpikeDetector

FILES = ["realKnownCause/nyc_taxi.csv"] + [f"realTweets/Twitter_volume_{t}.csv" for t in ("AAPL", "GOOG", "IBM", "UPS")]
PUBLISHED = {"ARTime": "ARTime", "numenta": "Numenta HTM", "twitterADVec": "Twitter ADVec",
             "windowedGaussian": "Windowed Gaussian", "null_detector": "null"}


def run(data: Path, profile: str = "standard") -> pd.DataFrame:
    windows = nab.load_windows(data / "combined_windows_subset.json")
    rows = []
    for key in FILES:
        s = nab.load_series(data / "series" / key.split("/")[1])
        fs = nab.prepare_file(s["timestamp"], windows[key], key)
        y = pd.Series(s["value"].to_numpy(float), index=pd.DatetimeIndex(s["timestamp"]))
        t0 = time.perf_counter()
        res = SpikeDetector().fit(y).detect()
        secs = time.perf_counter() - t0
        r = nab.score_file(fs, res["alarm"].to_numpy(float), 0.5, profile)
        r["seconds"] = secs
        r["alarms"] = int(res["alarm"].sum())
        rows.append(r)
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "nab")
    args = ap.parse_args()
    ours = {p: run(args.data, p) for p in nab.PROFILES}
    pub = pd.read_csv(args.data / "published_detector_scores_subset.csv")
    short = {k: k.split("/")[1].replace("Twitter_volume_", "").replace(".csv", "") for k in FILES}
    cols = [short[k] for k in FILES]
    print("### NAB normalised per-file score (standard profile)\n")
    print("| detector | " + " | ".join(cols) + " | mean of 4 Twitter |")
    print("|---|" + "---|" * (len(cols) + 1))
    std = ours["standard"].set_index("file")["normalized_file_score"]
    tw = [k for k in FILES if "Twitter" in k]
    print("| **Bianjian SpikeDetector()** | " + " | ".join(f"{std[k]:.1f}" for k in FILES)
          + f" | **{np.mean([std[k] for k in tw]):.1f}** |")
    p = pub[pub["profile"] == "standard"].set_index(["detector", "file"])["normalized_file_score"]
    for det, label in PUBLISHED.items():
        vals = [p[(det, k)] for k in FILES]
        print(f"| {label} (published) | " + " | ".join(f"{v:.1f}" for v in vals)
              + f" | {np.mean([p[(det, k)] for k in tw]):.1f} |")
    print("\n### Our detector under all three profiles (mean of 4 Twitter files / nyc_taxi)\n")
    print("| profile | mean Twitter | nyc_taxi |")
    print("|---|---|---|")
    for prof, df in ours.items():
        d = df.set_index("file")["normalized_file_score"]
        print(f"| {prof} | {np.mean([d[k] for k in tw]):.1f} | {d[FILES[0]]:.1f} |")
    print("\n### Detail (standard profile)\n")
    print("| file | rows | alarms | TP rows | FP rows | raw score | windows | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for r in ours["standard"].itertuples():
        print(f"| {short[r.file]} | {r.TP + r.FP + r.FN + r.TN} scored | {r.alarms} | {r.TP} | {r.FP} | {r.raw_score:.3f} | {r.n_windows} | {r.seconds:.2f} |")


if __name__ == "__main__":
    main()
