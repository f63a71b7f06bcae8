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
* ``LOG_COLUMNS`` (heat densities and previous-inspection counts) replaced by their ``log1p``;
* ``heat_neighbour_rate``: smoothed critical rate of the ``NEIGHBOURS`` known inspections closest in
  standardised log-heat space (burglary, garbage, sanitation: a location signature, since the table
  has no coordinates), known before the first day of the row's month;
* ``<facility>_x_<heat>``: log heat times the restaurant / grocery-store indicator (for the linear half);
* ``n_licences``: how many of the twelve other licence kinds the business holds;
* ``inspector_rate_180`` (only with the inspector column): smoothed critical rate of the
  inspector cluster over the last 180 days of known outcomes before the scheduling time.

Model choice: :func:`cross_validate` over :func:`temporal_folds`, two-month windows inside the
training period scored by a model fitted with the same gap as the test split has; the test split
is only read by :func:`evaluate`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

__all__ = [
    "LEAK_COLUMNS",
    "MODEL_PARAMS",
    "load_table",
    "build_features",
    "days_earlier",
    "first_half_share",
    "fit_score",
    "metrics",
    "evaluate",
    "temporal_folds",
    "cross_validate",
]

LABEL = "criticalFound"
LEAK_COLUMNS = [
    "criticalCount", "seriousCount", "minorCount", "pass_flag", "fail_flag", "xgb_score_published",
    "Test", "Train", "Inspection_ID", "License", "Business_ID", "Inspection_Date", LABEL,
]
HISTORY_COLUMNS = ["hist_n", "hist_critical_rate", "hist_serious_rate", "hist_fail_rate",
                   "hist_critical_mean", "licence_term_age"]
LICENCE_COLUMNS = [
    "consumption_on_premises_incidental_activity", "tobacco_retail_over_counter", "package_goods",
    "limited_business_license", "outdoor_patio", "public_place_of_amusement", "childrens_services_facility_license",
    "tavern", "regulated_business_license", "filling_station", "caterers_liquor_license", "mobile_food_license",
]
HEAT_COLUMNS = ["heat_burglary", "heat_garbage", "heat_sanitation"]
INTERACTION_FACILITIES = ["Restaurant", "Grocery_Store"]
NEIGHBOURS = 50
# Heavy-tailed counts and kernel densities enter as log1p (the paper caps them instead); the
# linear half of the ensemble needs it, trees are unaffected.
LOG_COLUMNS = [*HEAT_COLUMNS, "pastCritical", "pastSerious", "pastMinor"]
PRIOR_RATE, PRIOR_WEIGHT = 0.14, 2.0
CV_FOLDS = 4
# EntityRiskModel parameters chosen by cross_validate (training period only): the mean of the
# calibrated logistic regression and gradient boosting, with larger boosting leaves.
MODEL_PARAMS = {"estimator": "ensemble", "min_samples_leaf": 100}


def load_table(path) -> pd.DataFrame:
    path = Path(path)
    if path.is_dir():
        path = path / "model_table.csv"
    df = pd.read_csv(path)
    df["Inspection_Date"] = pd.to_datetime(df["Inspection_Date"])
    return df


def build_features(df: pd.DataFrame, *, inspector: bool = True, known=None) -> pd.DataFrame:
    """Model features for every row (original non-leak columns plus derived history features).

    ``known`` marks the rows whose outcomes are known when the other rows are scheduled (default
    ``Train == 1``); history features count known rows only, each strictly before its own date.
    """
    known = (df["Train"] == 1) if known is None else pd.Series(np.asarray(known, bool), index=df.index)
    d = df.sort_values(["Inspection_Date", "Inspection_ID"]).copy()
    d["_known"] = known.reindex(d.index).astype(float)
    lic = d["License"]
    n_prior = d["_known"].groupby(lic).cumsum() - d["_known"]
    d["hist_n"] = n_prior
    outcomes = {
        "hist_critical_rate": d[LABEL].astype(float),
        "hist_serious_rate": (d["seriousCount"] > 0).astype(float),
        "hist_fail_rate": d["fail_flag"].astype(float),
        "hist_critical_mean": d["criticalCount"].astype(float),
    }
    for name, v in outcomes.items():
        v = v * d["_known"]
        prior_sum = v.groupby(lic).cumsum() - v
        d[name] = (prior_sum + PRIOR_RATE * PRIOR_WEIGHT) / (n_prior + PRIOR_WEIGHT)
    start = pd.to_datetime(d["Business_ID"].astype(str).str.split("-").str[-1], format="%Y%m%d", errors="coerce")
    d["licence_term_age"] = (d["Inspection_Date"] - start).dt.days / 365.25
    feats = [c for c in df.columns if c not in LEAK_COLUMNS and (inspector or c != "Inspector_Assigned")]
    feats += HISTORY_COLUMNS
    d[LOG_COLUMNS] = np.log1p(d[LOG_COLUMNS].astype(float))
    if inspector:
        d["inspector_rate_180"] = _inspector_rate(d, 180)
        feats.append("inspector_rate_180")
    d["heat_neighbour_rate"] = _heat_neighbour_rate(d, NEIGHBOURS)
    feats.append("heat_neighbour_rate")
    for facility in INTERACTION_FACILITIES:
        for heat in HEAT_COLUMNS:
            d[f"{facility}_x_{heat}"] = (d["Facility_Type"] == facility) * d[heat]
            feats.append(f"{facility}_x_{heat}")
    d["n_licences"] = d[LICENCE_COLUMNS].sum(axis=1).astype(float)
    feats.append("n_licences")
    return d.loc[df.index, feats]


def _heat_neighbour_rate(d: pd.DataFrame, k: int) -> pd.Series:
    """Smoothed critical rate of the ``k`` known inspections nearest in standardised log-heat space.

    Nearby businesses share a heat signature; the pool for a row is the known inspections before the
    first day of its month (capped at the last known outcome), so no row sees its own month's outcomes.
    """
    from sklearn.neighbors import NearestNeighbors

    z = d[HEAT_COLUMNS].to_numpy(float)  # already log1p
    z = (z - z.mean(axis=0)) / z.std(axis=0)
    known = d["_known"].to_numpy() == 1
    y = d[LABEL].to_numpy(float)
    dates = d["Inspection_Date"]
    month = dates.dt.to_period("M")
    last_known = dates[known].max() + pd.Timedelta(days=1)
    out = np.full(len(d), PRIOR_RATE)
    for m in month.unique():
        rows = np.flatnonzero(month == m)
        pool = np.flatnonzero(known & (dates < min(m.start_time, last_known)).to_numpy())
        if len(pool) >= k:
            _, idx = NearestNeighbors(n_neighbors=k).fit(z[pool]).kneighbors(z[rows])
            out[rows] = (y[pool][idx].sum(axis=1) + PRIOR_RATE * PRIOR_WEIGHT) / (k + PRIOR_WEIGHT)
    return pd.Series(out, index=d.index)


def _inspector_rate(d: pd.DataFrame, days: int) -> pd.Series:
    """Smoothed critical rate of each row's inspector cluster over the ``days`` of known outcomes
    before the row's date (for rows after the last known outcome: the last ``days`` before it)."""
    known = d[d["_known"] == 1]
    last_known = known["Inspection_Date"].max() + pd.Timedelta(days=1)
    out = pd.Series(np.nan, index=d.index)
    for ins, g in d.groupby("Inspector_Assigned"):
        k = known[known["Inspector_Assigned"] == ins].groupby("Inspection_Date")[LABEL].agg(["sum", "count"])
        k = k.sort_index()
        cs, cn = k["sum"].cumsum().to_numpy(), k["count"].cumsum().to_numpy()
        dates = k.index.to_numpy()
        ends = np.minimum(g["Inspection_Date"].to_numpy(), np.datetime64(last_known))
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


def fit_score(df: pd.DataFrame, known, scored, *, inspector: bool = True, model=None):
    """Fit on the ``known`` rows, score the ``scored`` rows; returns (fitted model, features, scores)."""
    from .entity_risk import EntityRiskModel

    known, scored = np.asarray(known, bool), np.asarray(scored, bool)
    rows = df[known | scored]
    X = build_features(rows, inspector=inspector, known=known[known | scored])
    tr, te = known[known | scored], scored[known | scored]
    est = model if model is not None else EntityRiskModel(**MODEL_PARAMS)
    est.fit(X[tr], rows.loc[tr, LABEL])
    return est, X, est.risk_score(X[te])


def metrics(dates, y, s) -> dict:
    """The paper's metrics for one scored period (plus AUC, average precision, top-20 %)."""
    y = np.asarray(y)
    de = days_earlier(dates, y, s)
    k = int(round(0.2 * len(y)))
    top = np.argsort(-s, kind="stable")[:k]
    return {
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
    }


def evaluate(df: pd.DataFrame, *, inspector: bool = True, model=None) -> dict:
    """The paper's protocol: fit on Train, score Test, return :func:`metrics` and the IForest AUC."""
    tr, te = df["Train"] == 1, df["Test"] == 1
    est, X, s = fit_score(df, tr, te, inspector=inspector, model=model)
    y = df.loc[te, LABEL].to_numpy()
    Xte = X[te[tr | te].to_numpy()]
    return {
        "inspector": inspector,
        **metrics(df.loc[te, "Inspection_Date"], y, s),
        "anomaly_auc": float(roc_auc_score(y, est.anomaly_score(Xte))) if hasattr(est, "anomaly_score") else None,
        "features": list(X.columns),
    }


def temporal_folds(df: pd.DataFrame, n_folds: int = CV_FOLDS) -> list[tuple[np.ndarray, np.ndarray]]:
    """Validation splits inside the training period that mimic the test split.

    Each fold scores a two-month window of training inspections and fits on the training
    inspections that ended the same gap earlier as the training period ends before the test period
    (2014-04-16 → 2014-09-02: 139 days). Windows step back two months from the last training date.
    """
    train = df["Train"] == 1
    dates = df["Inspection_Date"]
    gap = dates[df["Test"] == 1].min() - dates[train].max()
    end = dates[train].max() + pd.Timedelta(days=1)
    folds = []
    for _ in range(n_folds):
        start = end - pd.DateOffset(months=2)
        scored = train & (dates >= start) & (dates < end)
        known = train & (dates < start - gap)
        folds.append((known.to_numpy(), scored.to_numpy()))
        end = start
    return folds[::-1]


def cross_validate(df: pd.DataFrame, *, inspector: bool = True, model_factory=None,
                   n_folds: int = CV_FOLDS) -> dict:
    """Mean :func:`metrics` over :func:`temporal_folds` (training period only; for model choice)."""
    from .entity_risk import EntityRiskModel

    factory = model_factory or EntityRiskModel
    per_fold = []
    for known, scored in temporal_folds(df, n_folds):
        _, _, s = fit_score(df, known, scored, inspector=inspector, model=factory())
        per_fold.append(metrics(df.loc[scored, "Inspection_Date"], df.loc[scored, LABEL].to_numpy(), s))
    keys = ("auc", "average_precision", "days_earlier_mean", "first_half_share_model", "precision_top20")
    return {"inspector": inspector, "folds": per_fold, **{k: float(np.mean([f[k] for f in per_fold])) for k in keys}}
