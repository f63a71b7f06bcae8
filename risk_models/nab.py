"""NAB (Numenta Anomaly Benchmark) scoring, re-implemented from the published description.

Implements the scoring rules of NAB v1.1 (Lavin & Ahmad 2015, arXiv:1510.03336; Ahmad et al.
2017, *Neurocomputing* 262) as described in ``shared/data/nab/README.md``:

* windows are the ``[start, end]`` pairs of ``combined_windows.json`` (inclusive);
* the first ``min(floor(0.15 * n), 0.15 * 5000)`` rows (15 %, at most 750) are probationary and
  are never scored; a window lying wholly in the probationary period is dropped;
* a row is a *detection* when its anomaly score is ``>= threshold``;
* inside a window only the earliest detection counts; it earns
  ``A_TP * sigmoid_scaled(position) / sigmoid_scaled(-1)`` where ``position`` runs from -1 at the
  left edge to ~0 at the right edge;
* every detection outside a window costs ``A_FP * sigmoid_scaled(distance past the previous
  window in window widths)`` (``-A_FP`` before the first window or far after one);
* every window without a detection costs ``-A_FN``;
* one threshold per detector is chosen to maximise the summed raw score over the corpus, and
  scores are normalised ``100 * (S - S_null) / (S_perfect - S_null)`` with
  ``S_null = -A_FN * n_windows`` and ``S_perfect = A_TP * n_windows``.

TP/FP/FN/TN are *row* counts, as in NAB's results files (every in-window row is a TP or FN).

Two deliberate differences from NAB's code, neither of which changes a score on our files:
NAB's ``S_perfect`` counts every window of the label file, ours only scorable ones (no window of
the shared subset lies in a probationary period); NAB chooses the threshold by a local
hill-climb ("twiddle", start 0.5, step 0.1), ours by an exact sweep over every distinct score
(:func:`threshold_sweep`), so our optimum is never worse. For a 0/1 alarm both pick the same
detections.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "PROFILES",
    "FileScoring",
    "scaled_sigmoid",
    "prepare_file",
    "score_file",
    "score_corpus",
    "optimize_threshold",
    "threshold_sweep",
    "normalized_score",
    "load_windows",
    "load_series",
]

PROFILES: dict[str, dict[str, float]] = {
    "standard": {"tp": 1.0, "fp": 0.11, "fn": 1.0},
    "reward_low_FP_rate": {"tp": 1.0, "fp": 0.22, "fn": 1.0},
    "reward_low_FN_rate": {"tp": 1.0, "fp": 0.11, "fn": 2.0},
}

PROBATION_PERCENT = 0.15


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def scaled_sigmoid(relative_position: float) -> float:
    """NAB's reward curve: ``2*sigmoid(-5 x) - 1`` (``-1`` for ``x >= 3``)."""
    if relative_position >= 3.0:
        return -1.0
    return 2.0 * _sigmoid(-5.0 * relative_position) - 1.0


@dataclass
class FileScoring:
    """Pre-computed, threshold-independent scoring data for one file.

    ``window_id[i]`` is -2 for probationary rows, -1 outside windows, else the window number;
    ``tp_reward[i]`` is the unweighted in-window reward, ``fp_cost[i]`` the unweighted (negative)
    out-of-window value.
    """

    name: str
    n_rows: int
    n_windows: int
    window_id: np.ndarray
    tp_reward: np.ndarray
    fp_cost: np.ndarray


def prepare_file(timestamps, windows, name: str = "") -> FileScoring:
    """Compute per-row window membership and sigmoid weights for one data file."""
    ts = pd.to_datetime(pd.Series(timestamps)).reset_index(drop=True)
    n = len(ts)
    probation = min(math.floor(PROBATION_PERCENT * n), PROBATION_PERCENT * 5000)
    index_of = {t: i for i, t in enumerate(ts)}
    limits = []
    for start, end in windows:
        s, e = pd.Timestamp(start), pd.Timestamp(end)
        if s not in index_of or e not in index_of:
            raise ValueError(f"{name}: window {start}..{end} does not match a timestamp")
        limits.append((index_of[s], index_of[e]))
    limits.sort()
    window_id = np.full(n, -1, dtype=np.int64)
    tp_reward = np.zeros(n)
    fp_cost = np.zeros(n)
    max_tp = scaled_sigmoid(-1.0)
    prev_right = prev_width = None
    w = 0
    i = 0
    for k, (left, right) in enumerate(limits + [(n, n)]):
        # rows before this window: false-positive region
        while i < left and i < n:
            if prev_right is None:
                pos = 3.0
            else:
                pos = abs(prev_right - i) / float(prev_width - 1)
            fp_cost[i] = scaled_sigmoid(pos)
            i += 1
        if k == len(limits):
            break
        width = float(right - left + 1)
        while i <= right:
            window_id[i] = w
            tp_reward[i] = scaled_sigmoid(-(right - i + 1) / width) / max_tp
            i += 1
        prev_right, prev_width = right, width
        w += 1
    prob_rows = np.arange(n) < probation
    window_id[prob_rows] = -2
    scorable_windows = sorted(set(window_id[window_id >= 0].tolist()))
    remap = {old: new for new, old in enumerate(scorable_windows)}
    window_id = np.array([remap.get(v, v) if v >= 0 else v for v in window_id], dtype=np.int64)
    return FileScoring(name, n, len(scorable_windows), window_id, tp_reward, fp_cost)


def score_file(fs: FileScoring, scores, threshold: float, profile: str = "standard") -> dict:
    """Raw NAB score and row counts of one file at one threshold."""
    p = PROFILES[profile]
    scores = np.asarray(scores, dtype=float)
    det = scores >= threshold
    scorable = fs.window_id != -2
    in_win = fs.window_id >= 0
    out_win = fs.window_id == -1
    raw = float(p["fp"] * fs.fp_cost[det & out_win].sum())
    for w in range(fs.n_windows):
        hits = np.flatnonzero(det & (fs.window_id == w))
        raw += p["tp"] * fs.tp_reward[hits[0]] if hits.size else -p["fn"]
    tp = int((det & in_win).sum())
    fp = int((det & out_win).sum())
    return {
        "file": fs.name,
        "threshold": threshold,
        "raw_score": raw,
        "TP": tp,
        "FP": fp,
        "FN": int(in_win.sum()) - tp,
        "TN": int((scorable & out_win).sum()) - fp,
        "n_windows": fs.n_windows,
        "normalized_file_score": normalized_score(raw, fs.n_windows, profile),
    }


def normalized_score(raw: float, n_windows: int, profile: str = "standard") -> float:
    """``100 * (S - S_null) / (S_perfect - S_null)`` with S_null = -A_FN*W, S_perfect = A_TP*W."""
    p = PROFILES[profile]
    s_null = -p["fn"] * n_windows
    return 100.0 * (raw - s_null) / (p["tp"] * n_windows - s_null)


def score_corpus(files: list[FileScoring], scores: list, threshold: float, profile: str = "standard"):
    """Per-file results (DataFrame) and the corpus-normalised score at one threshold."""
    rows = [score_file(fs, s, threshold, profile) for fs, s in zip(files, scores, strict=False)]
    df = pd.DataFrame(rows)
    corpus = normalized_score(df["raw_score"].sum(), int(df["n_windows"].sum()), profile)
    return df, corpus


def threshold_sweep(files: list[FileScoring], scores: list, profile: str = "standard") -> pd.DataFrame:
    """Corpus raw score at every distinct score value used as threshold (exact, one sort).

    Lowering the threshold past a row's score adds that row's contribution: ``A_FP * fp_cost``
    outside windows; inside a window, the rise of the window's best (earliest) reward over the
    rows already detected, starting from ``-A_FN``. Rows with NaN scores never detect.
    Returns columns ``threshold`` (descending, first row "no detection") and ``raw_score``.
    """
    p = PROFILES[profile]
    values, gains = [], []
    base = 0.0
    for fs, sc in zip(files, scores, strict=True):
        sc = np.asarray(sc, dtype=float)
        base -= p["fn"] * fs.n_windows
        out = (fs.window_id == -1) & ~np.isnan(sc)
        values.append(sc[out])
        gains.append(p["fp"] * fs.fp_cost[out])
        for w in range(fs.n_windows):
            rows = np.flatnonzero((fs.window_id == w) & ~np.isnan(sc))
            order = rows[np.argsort(-sc[rows], kind="stable")]
            best = np.maximum.accumulate(np.concatenate([[-p["fn"]], p["tp"] * fs.tp_reward[order]]))
            values.append(sc[order])
            gains.append(np.diff(best))
    v = np.concatenate(values) if values else np.zeros(0)
    g = np.concatenate(gains) if gains else np.zeros(0)
    order = np.argsort(-v, kind="stable")
    v, cum = v[order], base + np.cumsum(g[order])
    last_of_tie = np.r_[np.flatnonzero(v[1:] != v[:-1]), v.size - 1] if v.size else np.zeros(0, dtype=int)
    top = max(1.1, float(v[0]) + 1.0) if v.size else 1.1
    return pd.DataFrame({"threshold": np.r_[top, v[last_of_tie]], "raw_score": np.r_[base, cum[last_of_tie]]})


def optimize_threshold(files: list[FileScoring], scores: list, profile: str = "standard",
                       candidates=None) -> float:
    """The single threshold maximising the summed raw score over all files.

    Without ``candidates`` every distinct score value is tried (:func:`threshold_sweep`); ties go
    to the highest threshold (fewest detections). With ``candidates`` only those are scored.
    """
    if candidates is None:
        sweep = threshold_sweep(files, scores, profile)
        return float(sweep["threshold"].iloc[int(np.argmax(sweep["raw_score"].to_numpy()))])
    best_t, best_s = None, -np.inf
    for t in candidates:
        s = sum(score_file(fs, sc, t, profile)["raw_score"] for fs, sc in zip(files, scores, strict=True))
        if s > best_s + 1e-12:
            best_t, best_s = float(t), s
    return best_t


def load_windows(path) -> dict:
    with open(path) as f:
        return json.load(f)


def load_series(path) -> pd.DataFrame:
    return pd.read_csv(path, parse_dates=["timestamp"])


def nab_file_key(filename: str) -> str:
    """Map a series filename to its NAB label key (``realTweets/...`` or ``realKnownCause/...``)."""
    base = Path(filename).name
    return f"realTweets/{base}" if base.startswith("Twitter_volume") else f"realKnownCause/{base}"


TWITTER_FILES = tuple(f"realTweets/Twitter_volume_{t}.csv" for t in ("AAPL", "GOOG", "IBM", "UPS"))
"""The four files whose mean the published comparison (ARTime 77.9, Numenta HTM 56.2) is quoted on."""


def alarm_file_scores(data_dir, detector=None, profile: str = "standard") -> pd.DataFrame:
    """NAB rows (``score_file``) of a detector's 0/1 alarms on every series of the subset in ``data_dir``.

    The production detector outputs an alarm, not a score to threshold, so each file is scored at
    threshold 0.5 — what every threshold in (0, 1] gives. ``detector``: an unfitted estimator with
    ``fit(X).detect()`` returning an ``alarm`` column for a one-series ``X`` (default ``SpikeDetector()``, cloned per
    file).
    """
    from sklearn.base import clone

    from risk_models.spikes import SpikeDetector

    data_dir = Path(data_dir)
    template = detector if detector is not None else SpikeDetector()
    windows = load_windows(data_dir / "combined_windows_subset.json")
    rows = []
    for path in sorted((data_dir / "series").glob("*.csv")):
        s = load_series(path)
        key = nab_file_key(path.name)
        y = pd.Series(s["value"].to_numpy(float), index=pd.DatetimeIndex(s["timestamp"]))
        alarms = clone(template).fit(y).detect()["alarm"].to_numpy(float)
        fs = prepare_file(s["timestamp"], windows[key], key)
        rows.append({**score_file(fs, alarms, 0.5, profile), "alarms": int(alarms.sum())})
    return pd.DataFrame(rows)
