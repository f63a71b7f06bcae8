"""Third-round exploration for issue #5 item 3 (training-period CV only; never reads the test split).

Fits, per temporal fold and per inspector setting, several "halves" on the same features as the
committed configuration and caches their fold scores; blends are then scored from the cache.

Run (the fold scores are cached in ``/tmp/chicago_round3_cache.pkl``)::

    export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
    nice -n 10 .venv/bin/python bench/explore_risk_chicago_round3.py lr hgb hgbpois_pcrit ...   # fit halves
    nice -n 10 .venv/bin/python bench/explore_risk_chicago_lag.py 139 60                       # lagged features
    .venv/bin/python bench/explore_risk_chicago_round3.py --report                             # the table

A job name ``name@H`` fits half ``name`` with exponential recency weights of half-life ``H`` days
(weights normalised to mean 1, also used by the sigmoid calibration).
"""

from __future__ import annotations

import os
import pickle
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, PoissonRegressor
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from risk_models import chicago  # noqa: E402
from risk_models.entity_risk import EntityRiskModel  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "chicago_food"
CACHE = Path("/tmp/chicago_round3_cache.pkl")


class WPipe(Pipeline):
    """Pipeline whose fit takes sample_weight (routed to the final step), so CalibratedClassifierCV passes it."""

    def fit(self, X, y=None, sample_weight=None):
        if sample_weight is None:
            return super().fit(X, y)
        return super().fit(X, y, clf__sample_weight=sample_weight)


def _pre(X):
    m = EntityRiskModel()
    pre = m._preprocessor(X)
    return pre, m._as_str(X, m.categorical_columns_)


def lr():
    return LogisticRegression(C=0.1, max_iter=2000)


def hgbc(**kw):
    p = dict(learning_rate=0.03, max_iter=300, max_leaf_nodes=8, min_samples_leaf=100, l2_regularization=1.0,
             random_state=0)
    p.update(kw)
    return HistGradientBoostingClassifier(**p)


def hgbr(**kw):
    p = dict(loss="poisson", learning_rate=0.03, max_iter=300, max_leaf_nodes=8, min_samples_leaf=100,
             l2_regularization=1.0, random_state=0)
    p.update(kw)
    return HistGradientBoostingRegressor(**p)


def calibrated(X, y, Xs, clf, w=None):
    pre, Xp = _pre(X)
    _, Xsp = _pre(Xs)
    m = CalibratedClassifierCV(WPipe([("pre", pre), ("clf", clf)]), method="sigmoid", cv=3, n_jobs=1)
    m.fit(Xp, y, sample_weight=w)
    return m.predict_proba(Xsp)[:, 1]


def bagged_reg(X, t, ybin, Xs, reg, w=None):
    """A count regressor cross-fitted like the calibration (3 stratified folds on the binary label),
    averaged; returns 1 - exp(-mu), P(count >= 1) under a Poisson model."""
    pre, Xp = _pre(X)
    _, Xsp = _pre(Xs)
    out = []
    for tr, _ in StratifiedKFold(3).split(Xp, ybin):
        p = WPipe([("pre", clone(pre)), ("clf", clone(reg))])
        p.fit(Xp.iloc[tr], t[tr], sample_weight=None if w is None else w[tr])
        out.append(p.predict(Xsp))
    mu = np.mean(out, axis=0)
    return 1 - np.exp(-np.clip(mu, 0, None))


def recency(dates, half_life):
    age = (dates.max() - dates).dt.days.to_numpy(float)
    w = 0.5 ** (age / half_life)
    return w / w.mean()


def fold_data(df):
    data = {}
    for inspector in (True, False):
        for i, (known, scored) in enumerate(chicago.temporal_folds(df)):
            rows = df[known | scored]
            X = chicago.build_features(rows, inspector=inspector, known=known[known | scored])
            tr, te = known[known | scored], scored[known | scored]
            data[(inspector, i)] = dict(X=X[tr], Xs=X[te], rows=rows[tr], y=rows.loc[tr, chicago.LABEL].to_numpy(),
                                        ys=rows.loc[te, chicago.LABEL].to_numpy(),
                                        dates_s=rows.loc[te, "Inspection_Date"])
    return data


HALVES = {
    "lr": lambda d, w: calibrated(d["X"], d["y"], d["Xs"], lr(), w),
    "hgb": lambda d, w: calibrated(d["X"], d["y"], d["Xs"], hgbc(), w),
}


def _target_half(target, model, count):
    """A half fitted on another training label (``target(rows)``): calibrated classifier or count regressor."""
    if count:
        return lambda d, w: bagged_reg(d["X"], target(d["rows"]), d["y"], d["Xs"], model(), w)
    return lambda d, w: calibrated(d["X"], target(d["rows"]), d["Xs"], model(), w)


def target_halves():
    binary = {"serious": lambda rows: (rows["seriousCount"] > 0).astype(int).to_numpy(),
              "fail": lambda rows: rows["fail_flag"].astype(int).to_numpy()}
    counts = {"pcrit": lambda rows: rows["criticalCount"].to_numpy(float),
              "pcs": lambda rows: (rows["criticalCount"] + rows["seriousCount"]).to_numpy(float)}
    r = {}
    for tname, target in binary.items():
        r[f"lr_{tname}"] = _target_half(target, lr, False)
        r[f"hgb_{tname}"] = _target_half(target, hgbc, False)
    for tname, target in counts.items():
        r[f"hgbpois_{tname}"] = _target_half(target, hgbr, True)
        r[f"lrpois_{tname}"] = _target_half(target, lambda: PoissonRegressor(alpha=1e-3, max_iter=1000), True)
    return r


def main():
    df = chicago.load_table(DATA)
    cache = pickle.loads(CACHE.read_bytes()) if CACHE.exists() else {}
    if "data" not in cache:
        t0 = time.time()
        cache["data"] = fold_data(df)
        print(f"features {time.time() - t0:.0f}s", flush=True)
    data = cache["data"]
    cache.setdefault("scores", {})
    jobs = sys.argv[1:] or ["lr", "hgb"]
    halves = {**HALVES, **target_halves()}
    for job in jobs:
        name, _, hl = job.partition("@")
        for key, d in data.items():
            if (job, key) in cache["scores"]:
                continue
            w = recency(d["rows"]["Inspection_Date"], float(hl)) if hl else None
            t0 = time.time()
            cache["scores"][(job, key)] = halves[name](d, w)
            print(f"{job} {key} {time.time() - t0:.0f}s load {os.getloadavg()[0]:.1f}", flush=True)
            CACHE.write_bytes(pickle.dumps(cache))
    CACHE.write_bytes(pickle.dumps(cache))



def _spline_lr(d, w, n_knots=5, C=0.1):
    """Logistic regression on cubic splines of the numeric columns (a GAM-like linear half)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, SplineTransformer, StandardScaler

    pre, X = _pre(d["X"])
    _, Xs = _pre(d["Xs"])
    num = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c]) and X[c].nunique() > 2]
    rest = [c for c in X.columns if c not in num]
    cat = [c for c in rest if not pd.api.types.is_numeric_dtype(X[c])]
    binary = [c for c in rest if c not in cat]
    ct = ColumnTransformer([
        ("spl", make_pipeline(SimpleImputer(strategy="median"), SplineTransformer(n_knots=n_knots, degree=3,
                                                                                  knots="quantile", extrapolation="constant"),
                              StandardScaler()), num),
        ("bin", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), binary),
        ("cat", make_pipeline(SimpleImputer(strategy="constant", fill_value="__missing__"),
                              OneHotEncoder(handle_unknown="ignore", sparse_output=False)), cat),
    ], sparse_threshold=0.0)
    m = CalibratedClassifierCV(WPipe([("pre", ct), ("clf", LogisticRegression(C=C, max_iter=3000))]),
                               method="sigmoid", cv=3, n_jobs=1)
    m.fit(X, d["y"], sample_weight=w)
    return m.predict_proba(Xs)[:, 1]


HALVES["lrspline"] = _spline_lr
HALVES["lrspline_C0.01"] = lambda d, w: _spline_lr(d, w, C=0.01)
HALVES["lrspline_k4_C0.03"] = lambda d, w: _spline_lr(d, w, n_knots=4, C=0.03)



def _cal_variant(d, w, clf, method="sigmoid", cv=3):
    pre, X = _pre(d["X"])
    _, Xs = _pre(d["Xs"])
    m = CalibratedClassifierCV(WPipe([("pre", pre), ("clf", clf)]), method=method, cv=cv, n_jobs=1)
    m.fit(X, d["y"], sample_weight=w)
    return m.predict_proba(Xs)[:, 1]


HALVES["lr_iso"] = lambda d, w: _cal_variant(d, w, lr(), "isotonic")
HALVES["hgb_iso"] = lambda d, w: _cal_variant(d, w, hgbc(), "isotonic")
HALVES["lr_cv5"] = lambda d, w: _cal_variant(d, w, lr(), cv=5)
HALVES["hgb_cv5"] = lambda d, w: _cal_variant(d, w, hgbc(), cv=5)


def _facility_calibrated(d, w):
    """Ensemble (mean of the calibrated halves), then one sigmoid per facility type fitted on
    out-of-fold training scores (3 stratified folds)."""
    from scipy.special import logit

    X, y = d["X"], d["y"]
    oof = np.zeros(len(y))
    for tr, va in StratifiedKFold(3).split(X, y):
        sub = dict(X=X.iloc[tr], Xs=X.iloc[va], y=y[tr])
        oof[va] = 0.5 * (HALVES["lr"](sub, None) + HALVES["hgb"](sub, None))
    s = 0.5 * (HALVES["lr"](d, None) + HALVES["hgb"](d, None))
    ft, fts = d["X"]["Facility_Type"].astype(str).to_numpy(), d["Xs"]["Facility_Type"].astype(str).to_numpy()
    out = s.copy()
    for f in np.unique(ft):
        lr1 = LogisticRegression(C=1.0).fit(logit(np.clip(oof[ft == f], 1e-6, 1 - 1e-6))[:, None], y[ft == f])
        msk = fts == f
        if msk.any():
            out[msk] = lr1.predict_proba(logit(np.clip(s[msk], 1e-6, 1 - 1e-6))[:, None])[:, 1]
    return out


HALVES["facility_cal"] = _facility_calibrated



def blend(scores, data, spec, mode="prob"):
    """Per-fold metrics of a weighted blend of cached halves (``mode="rank"``: of their ranks)."""
    out = {}
    for inspector in (True, False):
        out[inspector] = []
        for i in range(chicago.CV_FOLDS):
            d = data[(inspector, i)]
            s = 0.0
            for job, w in spec:
                v = scores[(job, (inspector, i))]
                s = s + w * (rankdata(v) / len(v) if mode == "rank" else v)
            out[inspector].append(chicago.metrics(d["dates_s"], d["ys"], s))
    return out


REPORT = [
    ("baseline (committed chosen configuration)", [("lr", .5), ("hgb", .5)], "prob"),
    *[(f"probability blend, logistic weight {w}", [("lr", w), ("hgb", 1 - w)], "prob")
      for w in (0.2, 0.3, 0.4, 0.6, 0.7, 0.8)],
    *[(f"rank blend, logistic weight {w}", [("lr", w), ("hgb", 1 - w)], "rank") for w in (0.3, 0.4, 0.6, 0.7)],
    *[(f"recency weights, half-life {h} d", [(f"lr@{h}", .5), (f"hgb@{h}", .5)], "prob") for h in (180, 365, 730, 1460)],
    ("Poisson on criticalCount: HGB (poisson loss) alone", [("hgbpois_pcrit", 1)], "prob"),
    ("Poisson on criticalCount: PoissonRegressor alone", [("lrpois_pcrit", 1)], "prob"),
    ("Poisson on criticalCount: mean of both", [("lrpois_pcrit", .5), ("hgbpois_pcrit", .5)], "prob"),
    ("logistic + Poisson HGB", [("lr", .5), ("hgbpois_pcrit", .5)], "prob"),
    ("baseline + both Poisson halves (4-way mean)",
     [("lr", .25), ("hgb", .25), ("lrpois_pcrit", .25), ("hgbpois_pcrit", .25)], "prob"),
    ("Poisson on critical+serious count: mean of both", [("lrpois_pcs", .5), ("hgbpois_pcs", .5)], "prob"),
    ("baseline + both critical+serious Poisson halves (4-way mean)",
     [("lr", .25), ("hgb", .25), ("lrpois_pcs", .25), ("hgbpois_pcs", .25)], "prob"),
    ("P(fail) ensemble alone", [("lr_fail", .5), ("hgb_fail", .5)], "prob"),
    ("baseline + P(fail) ensemble, weight 1/2", [("lr", .25), ("hgb", .25), ("lr_fail", .25), ("hgb_fail", .25)], "prob"),
    ("baseline + P(fail) ensemble, weight 1/3", [("lr", .5), ("hgb", .5), ("lr_fail", .25), ("hgb_fail", .25)], "prob"),
    ("P(serious) ensemble alone", [("lr_serious", .5), ("hgb_serious", .5)], "prob"),
    ("baseline + P(serious) ensemble, weight 1/2",
     [("lr", .25), ("hgb", .25), ("lr_serious", .25), ("hgb_serious", .25)], "prob"),
    ("baseline + P(serious) ensemble, weight 1/3",
     [("lr", .5), ("hgb", .5), ("lr_serious", .25), ("hgb_serious", .25)], "prob"),
    ("isotonic calibration of both halves", [("lr_iso", .5), ("hgb_iso", .5)], "prob"),
    ("5-fold calibration of both halves", [("lr_cv5", .5), ("hgb_cv5", .5)], "prob"),
    ("ensemble + per-facility-type sigmoid on out-of-fold scores", [("facility_cal", 1)], "prob"),
    ("logistic on cubic splines (5 knots), + HGB", [("lrspline", .5), ("hgb", .5)], "prob"),
    ("spline logistic (4 knots, C=0.03) + logistic + HGB (1/4, 1/4, 1/2)",
     [("lrspline_k4_C0.03", .25), ("lr", .25), ("hgb", .5)], "prob"),
    ("training rows' inspector and heat-neighbour rates lagged 60 d", [("lr_lag60", .5), ("hgb_lag60", .5)], "prob"),
    ("training rows' inspector and heat-neighbour rates lagged 139 d (the gap)",
     [("lr_lag139", .5), ("hgb_lag139", .5)], "prob"),
]


def report():
    cache = pickle.loads(CACHE.read_bytes())
    print("| candidate | CV mean AUC / days, with -> without inspector | fold AUCs with / without |")
    print("|---|---|---|")
    for label, spec, mode in REPORT:
        if not all((job, (True, 0)) in cache["scores"] for job, _ in spec):
            print(f"| {label} | (not fitted) | |")
            continue
        out = blend(cache["scores"], cache["data"], spec, mode)
        m = {i: (np.mean([f["auc"] for f in out[i]]), np.mean([f["days_earlier_mean"] for f in out[i]]))
             for i in (True, False)}
        folds = " / ".join(" ".join(f"{f['auc']:.3f}" for f in out[i]) for i in (True, False))
        print(f"| {label} | {m[True][0]:.4f} / {m[True][1]:.2f} -> {m[False][0]:.4f} / {m[False][1]:.2f} | {folds} |")


if __name__ == "__main__":
    report() if sys.argv[1:] == ["--report"] else main()
