"""Chicago food-inspection benchmark: features, the paper's "days earlier" simulation, metrics.

Protocol (``shared/data/chicago_food/README.md``): train on ``Train == 1`` (2011-09 … 2014-04),
score ``Test == 1`` (1,637 canvass inspections, Sept–Oct 2014), re-order the test inspections by
score keeping the same dates, and measure the mean number of days earlier that inspections
with a critical violation are reached, plus the share of violations found in the first half.

Outcome and leak columns are never features: ``criticalCount, seriousCount, minorCount,
pass_flag, fail_flag, xgb_score_published, Test, Train``, the ids and the raw date.

Derived features (all computed only from outcomes known *before the scheduling time*: for a
training row, earlier training inspections; for a test row, training inspections only, since the
test schedule is fixed before any test outcome is known):

* ``hist_n``: prior canvass inspections of the licence with a known outcome;
* ``hist_critical_rate``, ``hist_serious_rate``, ``hist_fail_rate``, ``hist_critical_mean``:
  smoothed (prior 0.14, weight 2) rates / means over those inspections;
* ``licence_term_age``: years since the start date of the licence term (from ``Business_ID``);
* ``inspector_rate_180`` (only with the inspector column): smoothed critical rate of the
  inspector cluster over the 180 days before the scheduling time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

__all__ = [
    "LEAK_COLUMNS",
    "load_table",
    "build_features",
    "days_earlier",
    "first_half_share",
    "evaluate",
]

LABEL = "criticalFound"
LEAK_COLUMNS = [
    "criticalCount", "seriousCount", "minorCount", "pass_flag", "fail_flag", "xgb_score_published",
    "Test", "Train", "Inspection_ID", "License", "Business_ID", "Inspection_Date", LABEL,
]
HISTORY_COLUMNS = ["hist_n", "hist_critical_rate", "hist_serious_rate", "hist_fail_rate",
                   "hist_critical_mean", "licence_term_age"]
PRIOR_RATE, PRIOR_WEIGHT = 0.14, 2.0


def load_table(path) -> pd.DataFrame:
    path = Path(path)
    if path.is_dir():
        path = path / "model_table.csv"
    df = pd.read_csv(path)
    df["Inspection_Date"] = pd.to_datetime(df["Inspection_Date"])
    return df


def build_features(df: pd.DataFrame, *, inspector: bool = True) -> pd.DataFrame:
    """Model features for every row (original non-leak columns plus derived history features)."""
    d = df.sort_values(["Inspection_Date", "Inspection_ID"]).copy()
    known = (d["Train"] == 1).astype(float)
    lic = d["License"]
    n_prior = known.groupby(lic).cumsum() - known
    d["hist_n"] = n_prior
    outcomes = {
        "hist_critical_rate": d[LABEL].astype(float),
        "hist_serious_rate": (d["seriousCount"] > 0).astype(float),
        "hist_fail_rate": d["fail_flag"].astype(float),
        "hist_critical_mean": d["criticalCount"].astype(float),
    }
    for name, v in outcomes.items():
        v = v * known
        prior_sum = v.groupby(lic).cumsum() - v
        d[name] = (prior_sum + PRIOR_RATE * PRIOR_WEIGHT) / (n_prior + PRIOR_WEIGHT)
    start = pd.to_datetime(d["Business_ID"].astype(str).str.split("-").str[-1], format="%Y%m%d", errors="coerce")
    d["licence_term_age"] = (d["Inspection_Date"] - start).dt.days / 365.25
    feats = [c for c in df.columns if c not in LEAK_COLUMNS and (inspector or c != "Inspector_Assigned")]
    feats += HISTORY_COLUMNS
    if inspector:
        d["inspector_rate_180"] = _inspector_rate(d, 180)
        feats.append("inspector_rate_180")
    return d.loc[df.index, feats]


def _inspector_rate(d: pd.DataFrame, days: int) -> pd.Series:
    test_start = d.loc[d["Test"] == 1, "Inspection_Date"].min()
    out = pd.Series(np.nan, index=d.index)
    known = d[d["Train"] == 1]
    for ins, g in d.groupby("Inspector_Assigned"):
        k = known[known["Inspector_Assigned"] == ins].groupby("Inspection_Date")[LABEL].agg(["sum", "count"])
        k = k.sort_index()
        cs, cn = k["sum"].cumsum().to_numpy(), k["count"].cumsum().to_numpy()
        dates = k.index.to_numpy()
        ends = np.minimum(g["Inspection_Date"].to_numpy(), np.datetime64(test_start) if pd.notna(test_start)
                          else g["Inspection_Date"].to_numpy())
        hi = np.searchsorted(dates, ends, side="left")  # strictly before the scheduling time
        lo = np.searchsorted(dates, ends - np.timedelta64(days, "D"), side="left")
        s = np.where(hi > 0, cs[np.maximum(hi - 1, 0)], 0) - np.where(lo > 0, cs[np.maximum(lo - 1, 0)], 0)
        c = np.where(hi > 0, cn[np.maximum(hi - 1, 0)], 0) - np.where(lo > 0, cn[np.maximum(lo - 1, 0)], 0)
        out[g.index] = (s + PRIOR_RATE * PRIOR_WEIGHT) / (c + PRIOR_WEIGHT)
    return out


def days_earlier(dates, labels, scores) -> np.ndarray:
    """Per positive inspection: actual date minus simulated date (days) when re-ordered by score.

    The k-th highest score gets the k-th earliest of the actual dates (ties keep the actual
    order), so the number of inspections per day is unchanged.
    """
    dates = pd.to_datetime(pd.Series(dates)).to_numpy()
    labels = np.asarray(labels).astype(bool)
    scores = np.asarray(scores, dtype=float)
    actual_order = np.argsort(dates, kind="stable")
    ranked = actual_order[np.argsort(-scores[actual_order], kind="stable")]
    simulated = np.empty_like(dates)
    simulated[ranked] = np.sort(dates, kind="stable")
    return ((dates[labels] - simulated[labels]) / np.timedelta64(1, "D")).astype(float)


def first_half_share(dates, labels, scores=None) -> float:
    """Share of all positives among the first half of inspections (BAU order if no scores)."""
    labels = np.asarray(labels).astype(bool)
    dates = pd.to_datetime(pd.Series(dates)).to_numpy()
    order = np.argsort(dates, kind="stable")
    if scores is not None:
        s = np.asarray(scores, dtype=float)
        order = order[np.argsort(-s[order], kind="stable")]
    half = order[: len(order) // 2]
    return float(labels[half].sum() / labels.sum())


def evaluate(df: pd.DataFrame, *, inspector: bool = True, model=None) -> dict:
    """Fit on Train, score Test, and return the paper's metrics (plus AUC / AP / top-20 %)."""
    from .entity_risk import EntityRiskModel

    X = build_features(df, inspector=inspector)
    tr, te = df["Train"] == 1, df["Test"] == 1
    est = model if model is not None else EntityRiskModel(estimator="hgb")
    est.fit(X[tr], df.loc[tr, LABEL])
    s = est.risk_score(X[te])
    y = df.loc[te, LABEL].to_numpy()
    dates = df.loc[te, "Inspection_Date"]
    de = days_earlier(dates, y, s)
    k = int(round(0.2 * len(y)))
    top = np.argsort(-s, kind="stable")[:k]
    return {
        "inspector": inspector,
        "n_test": int(len(y)),
        "n_pos": int(y.sum()),
        "auc": float(roc_auc_score(y, s)),
        "average_precision": float(average_precision_score(y, s)),
        "days_earlier_mean": float(de.mean()),
        "days_earlier_median": float(np.median(de)),
        "positives_found_later": int((de < 0).sum()),
        "first_half_share_model": first_half_share(dates, y, s),
        "first_half_share_bau": first_half_share(dates, y),
        "precision_top20": float(y[top].mean()),
        "recall_top20": float(y[top].sum() / y.sum()),
        "anomaly_auc": float(roc_auc_score(y, est.anomaly_score(X[te]))) if hasattr(est, "anomaly_score") else None,
        "features": list(X.columns),
    }
