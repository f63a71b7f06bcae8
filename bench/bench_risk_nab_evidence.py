"""NAB: evidence-size alarm rules tried against the production SpikeDetector (docs/risk_models.md §5.1).

Run: ``nice .venv/bin/python bench/bench_risk_nab_evidence.py [--data ../shared/data/nab]`` (~1 min).

Two online alarm rules whose alarms are driven by how large the evidence is rather than by a cooldown
timer; neither is the production detector. For each rule the bench prints the standard-profile
normalised score per file at a centre configuration and at every one-step neighbour (flatness), and
the leave-one-Twitter-file-out estimate computed exactly as ``bench_risk_nab.py`` does it (pick the
best of those configurations on three Twitter files, score it on the fourth).

* **episode record** (on the production ETS residuals ``z``): a CUSUM episode (``S > 0`` run,
  ``S = max(0, S + clip(z, ±5) − 1)``) alarms once, when ``S`` reaches ``max(h0, r-th largest
  peak of the episodes that ended in the last H days)``; no timer.
* **robust z, onset** (model-free, multi-scale): for each aggregation ``a`` in ``aggs`` (hours),
  ``x`` = log1p of the trailing ``a``-hour sum, the baseline is the median of ``x`` at the same time
  of day over the previous ``profile`` days (``weekly``: also 14, 21 and 28 days back), the scale the
  trailing ``profile``-day median of ``|x − baseline|`` (×1.4826) with a Poisson floor
  ``1/sqrt(baseline count + 1)``; ``e`` = max over the scales of ``(x − baseline)/scale``. An episode
  (run of ``e ≥ 1``) alarms once, at its first step with ``e ≥ thr`` (and, optionally,
  ``e ≥ rec × max(e over the previous recH days)``), and only if no alarm was raised in the previous
  ``gap`` days.

Every decision at step t uses data up to t only.
"""

from __future__ import annotations

import argparse
import warnings
from collections import deque
from pathlib import Path

import numpy as np
import pandas as pd
from bench_risk_nab import FILES, TWITTER, short  # the companion bench, beside this script
from scipy import stats

from risk_models import nab, spikes

Z_CRIT = float(stats.norm.isf(0.001))


def load(data: Path) -> dict:
    windows = nab.load_windows(data / "combined_windows_subset.json")
    out = {}
    for key in FILES:
        s = nab.load_series(data / "series" / key.split("/")[1])
        y = s["value"].to_numpy(float)
        per = 48 if "nyc_taxi" in key else 288  # steps per day (30-min / 5-min data)
        out[key] = {"y": y, "per": per, "fs": nab.prepare_file(s["timestamp"], windows[key], key)}
    return out


def ets_z(y: np.ndarray, per: int) -> tuple[np.ndarray, np.ndarray]:
    """The production detector's standardised residuals (defaults) and its non-EARS mask."""
    z, _, _, method = spikes._ears(y, Z_CRIT)
    start = max(56, 2 * per)
    ez, _, _ = spikes._ets(y, per, start, 0.05, 0.1, 0.005, Z_CRIT, True)
    z[start:] = ez[start:]
    method[start:] = "ets"
    return z, method != "ears"


def episode_record(d: dict, h0=8.0, H=14, r=3, k=1.0, min_count=3.0) -> np.ndarray:
    y, z, mask, per = d["y"], d["z"], d["mask"], d["per"]
    zc = np.where(np.isfinite(z), np.clip(z, -5, 5), 0.0)
    alarm = np.zeros(len(y), dtype=np.int8)
    peaks: deque = deque()  # (end step, peak) of finished episodes
    s, peak, in_ep, done = 0.0, 0.0, False, False
    for t in range(len(y)):
        s = max(0.0, s + zc[t] - k)
        if s > 0 and not in_ep:
            in_ep, peak, done = True, 0.0, False
        elif s == 0 and in_ep:
            if mask[t]:
                peaks.append((t, peak))
            in_ep = False
        peak = max(peak, s)
        while peaks and peaks[0][0] < t - H * per:
            peaks.popleft()
        ref = sorted((p for _, p in peaks), reverse=True)[r - 1] if len(peaks) >= r else 0.0
        if in_ep and not done and s >= max(h0, ref) and y[t] >= min_count:
            alarm[t], done = 1, True
    return alarm


_E_CACHE: dict = {}


def robust_e(y: np.ndarray, per: int, lags=tuple(range(1, 8)), agg_hours=1.0, scale_days=7) -> np.ndarray:
    """Robust z of log1p(trailing ``agg_hours`` sum) against the same time of day ``lags`` days back."""
    agg = max(1, int(round(agg_hours * per / 24)))
    x = np.log1p(pd.Series(y).rolling(agg, min_periods=1).sum().to_numpy())
    past = np.vstack([np.r_[np.full(per * j, np.nan), x[: -per * j]] for j in lags])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns in the first day
        base = np.nanmedian(past, axis=0)
    r = x - base
    mad = pd.Series(np.abs(r)).shift(1).rolling(per * scale_days, min_periods=per).median().to_numpy() * 1.4826
    scale = np.fmax(mad, 1.0 / np.sqrt(np.expm1(np.maximum(base, 0)) + 1.0))
    e = r / scale
    return np.where(np.isfinite(e), e, 0.0)


def _evidence(d: dict, lags, aggs, scale_days) -> np.ndarray:
    out = []
    for a in aggs:
        key = (id(d), tuple(lags), a, scale_days)
        if key not in _E_CACHE:
            _E_CACHE[key] = robust_e(d["y"], d["per"], lags, a, scale_days)
        out.append(_E_CACHE[key])
    return np.max(out, axis=0)


def robust_onset(d: dict, thr=4.5, gap=1.0, aggs=(0.25, 1.0), profile=7, weekly=False, rec=0.0, recH=3.0,
                 min_count=3.0) -> np.ndarray:
    """Alarm at the onset of an episode (run of e >= 1) once e >= thr (e: max over the ``aggs`` scales);
    at most one alarm per ``gap`` days; optionally e must also reach ``rec`` x its max of the last
    ``recH`` days (a record rule)."""
    y, per = d["y"], d["per"]
    lags = tuple(range(1, profile + 1)) + ((14, 21, 28) if weekly else ())
    e = _evidence(d, lags, aggs, profile)  # scale over the last `profile` days
    ref = pd.Series(e).shift(1).rolling(max(1, int(recH * per)), min_periods=1).max().fillna(0).to_numpy()
    alarm = np.zeros(len(y), dtype=np.int8)
    last, in_ep, done = -(10**9), False, False
    for t in range(len(y)):
        if e[t] >= 1.0:
            if not in_ep:
                in_ep, done = True, False
        else:
            in_ep = False
        if (in_ep and not done and e[t] >= thr and e[t] >= rec * ref[t] and y[t] >= min_count
                and t - last > gap * per):
            alarm[t], last, done = 1, t, True
    return alarm


def scores(series: dict, rule, params: dict) -> dict:
    out = {}
    for key, d in series.items():
        a = rule(d, **params).astype(float)
        out[key] = nab.score_file(d["fs"], a, 0.5)["normalized_file_score"]
        out[key + ":alarms"] = int(a.sum())
    return out


def lofo(table: dict) -> dict:
    out = {}
    for held in TWITTER:
        rest = [k for k in TWITTER if k != held]
        best = max(table, key=lambda name: np.mean([table[name][k] for k in rest]))
        out[held] = (best, table[best][held])
    return out


def report(title: str, series: dict, rule, centre: dict, neighbours: list[dict]) -> None:
    table = {}
    for change in [{}, *neighbours]:
        name = "centre" if not change else ", ".join(f"{k}={v}" for k, v in change.items())
        table[name] = scores(series, rule, {**centre, **change})
    print(f"\n### {title}: centre {centre}\n")
    print("| configuration | " + " | ".join(short(k) for k in FILES) + " | mean of 4 Twitter | alarms |")
    print("|---|" + "---|" * (len(FILES) + 2))
    for name, sc in table.items():
        print(f"| {name} | " + " | ".join(f"{sc[k]:.1f}" for k in FILES)
              + f" | {np.mean([sc[k] for k in TWITTER]):.1f} | "
              + "/".join(str(sc[k + ':alarms']) for k in FILES) + " |")
    means = [np.mean([sc[k] for k in TWITTER]) for sc in table.values()]
    lo = lofo(table)
    print(f"\nneighbour range of the Twitter mean: {min(means):.1f}–{max(means):.1f}; leave-one-file-out: "
          + ", ".join(f"{short(k)} {v:.1f} ({n})" for k, (n, v) in lo.items())
          + f"; **mean {np.mean([v for _, v in lo.values()]):.1f}**")


def grid_lofo(title: str, series: dict, rule, grid: list[dict]) -> None:
    table = {str(p): scores(series, rule, p) for p in grid}
    lo = lofo(table)
    best = max(table, key=lambda n: np.mean([table[n][k] for k in TWITTER]))
    print(f"\n{title}: {len(grid)} configurations; best in-sample {best} = "
          f"{np.mean([table[best][k] for k in TWITTER]):.1f}; leave-one-file-out over the whole grid: "
          + ", ".join(f"{short(k)} {v:.1f}" for k, (_, v) in lo.items())
          + f"; **mean {np.mean([v for _, v in lo.values()]):.1f}**")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "nab")
    args = ap.parse_args()
    series = load(args.data)
    for d in series.values():
        d["z"], d["mask"] = ets_z(d["y"], d["per"])
    report("Episode record on the ETS residuals", series, episode_record, {"h0": 8.0, "H": 14, "r": 3},
           [{"h0": 5.0}, {"h0": 12.0}, {"H": 7}, {"H": 3}, {"r": 2}, {"r": 5}])
    report("Robust z, onset alarm", series, robust_onset,
           {"thr": 4.5, "gap": 1.0, "aggs": (0.25, 1.0), "profile": 7},
           [{"thr": 4.0}, {"thr": 5.0}, {"gap": 0.5}, {"gap": 2.0}, {"profile": 14}, {"weekly": True},
            {"aggs": (1 / 12, 1.0)}, {"aggs": (0.5, 1.0)}, {"aggs": (0.25, 2.0)}, {"aggs": (1.0,)}])
    # The same rule with a weekly-aware baseline and its threshold chosen on nyc_taxi alone.
    taxi = {t: scores(series, robust_onset, {"thr": t, "weekly": True})[FILES[0]] for t in (3.0, 3.5, 4.0, 4.5, 5.0)}
    thr = max(taxi, key=taxi.get)
    print("\nweekly baseline, nyc_taxi score by thr: " + ", ".join(f"{t}: {v:.1f}" for t, v in taxi.items())
          + f" -> thr = {thr}")
    report("Robust z, onset alarm, weekly baseline, thr chosen on nyc_taxi", series, robust_onset,
           {"thr": thr, "gap": 1.0, "aggs": (0.25, 1.0), "profile": 7, "weekly": True},
           [{"thr": thr - 0.5}, {"thr": thr + 0.5}, {"gap": 0.5}, {"gap": 2.0}, {"profile": 14}, {"weekly": False},
            {"aggs": (1 / 12, 1.0)}, {"aggs": (0.5, 1.0)}, {"aggs": (0.25, 2.0)}, {"aggs": (1.0,)}])
    grid = [{"aggs": a, "profile": p, "thr": t, "gap": g} for a in [(1.0,), (0.25, 1.0), (1 / 12, 1.0)]
            for p in (7, 14) for t in (3.0, 3.5, 4.0, 4.5, 5.0) for g in (0.5, 1.0, 2.0)]
    grid_lofo("Robust onset, grid aggs x profile x thr x gap", series, robust_onset, grid)
    grid2 = [{"aggs": a, "thr": t, "rec": r, "recH": h, "gap": g} for a in [(1.0,), (0.25, 1.0)]
             for t in (3.0, 3.5, 4.0) for r in (0.0, 0.7, 0.8, 0.9, 1.0) for h in (3.0, 7.0, 14.0)
             for g in (0.5, 1.0) if r > 0 or h == 7.0]
    grid_lofo("Robust onset + record rule, grid aggs x thr x rec x recH x gap", series, robust_onset, grid2)

if __name__ == "__main__":
    main()
