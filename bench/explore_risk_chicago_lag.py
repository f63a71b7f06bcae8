"""Round-3 exploration: train/serve staleness. Test rows' inspector and heat-neighbour rates are
139-200 days stale; here the training rows' rates are computed with the same lag (CV only)."""
from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from risk_models import chicago  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import explore_risk_chicago_round3 as r3  # noqa: E402


def lagged(df, inspector, known, lag):
    X = chicago.build_features(df, inspector=inspector, known=known)
    if lag == 0:
        return X
    # outcomes keep their dates: only the rows' scheduling time moves back by `lag` (rows after the
    # last known outcome, i.e. the scored window, are unchanged: their window already ends there)
    d = df.sort_values(["Inspection_Date", "Inspection_ID"]).copy()
    d["_known"] = pd.Series(np.asarray(known, bool), index=df.index).reindex(d.index).astype(float)
    d[chicago.LOG_COLUMNS] = np.log1p(d[chicago.LOG_COLUMNS].astype(float))
    last_known = d.loc[d["_known"] == 1, "Inspection_Date"].max() + pd.Timedelta(days=1)
    # inspector rate: window end = min(date - lag, last known)
    if inspector:
        # _inspector_rate reads each row's date as its window end and the known rows from the same frame:
        # append unknown "query" copies of the rows with shifted dates and read their rates
        q = d.copy()
        q["_known"] = 0.0
        q["Inspection_Date"] = d["Inspection_Date"] - pd.Timedelta(days=lag)
        q.index = q.index.map(lambda i: ("q", i))
        both = pd.concat([d, q])
        rate = chicago._inspector_rate(both, 180)
        X["inspector_rate_180"] = pd.Series(rate[q.index].to_numpy(), index=d.index).reindex(X.index)
    # heat-neighbour: pool before min(month start - lag, last known)
    from sklearn.neighbors import NearestNeighbors
    z = d[chicago.HEAT_COLUMNS].to_numpy(float)
    z = (z - z.mean(axis=0)) / z.std(axis=0)
    kn = d["_known"].to_numpy() == 1
    y = d[chicago.LABEL].to_numpy(float)
    dates = d["Inspection_Date"]
    month = dates.dt.to_period("M")
    out = np.full(len(d), chicago.PRIOR_RATE)
    k = chicago.NEIGHBOURS
    for m in month.unique():
        for is_known, shift in ((True, lag), (False, 0)):  # the scored rows keep the committed rule
            rows = np.flatnonzero((month == m).to_numpy() & (kn == is_known))
            pool = np.flatnonzero(kn & (dates < min(m.start_time - pd.Timedelta(days=shift), last_known)).to_numpy())
            if len(rows) and len(pool) >= k:
                _, idx = NearestNeighbors(n_neighbors=k).fit(z[pool]).kneighbors(z[rows])
                out[rows] = (y[pool][idx].sum(axis=1) + chicago.PRIOR_RATE * chicago.PRIOR_WEIGHT) / (k + chicago.PRIOR_WEIGHT)
    X["heat_neighbour_rate"] = pd.Series(out, index=d.index).reindex(X.index)
    return X


def main():
    df = chicago.load_table(r3.DATA)
    cache = pickle.loads(r3.CACHE.read_bytes())
    for lag in [int(a) for a in sys.argv[1:]]:
        for inspector in (True, False):
            for i, (known, scored) in enumerate(chicago.temporal_folds(df)):
                rows = df[known | scored]
                kn = known[known | scored]
                X = lagged(rows, inspector, kn, lag)
                tr, te = kn, scored[known | scored]
                d = dict(X=X[tr], Xs=X[te], rows=rows[tr], y=rows.loc[tr, chicago.LABEL].to_numpy())
                for job in ("lr", "hgb"):
                    cache["scores"][(f"{job}_lag{lag}", (inspector, i))] = r3.HALVES[job](d, None)
                print(lag, inspector, i, flush=True)
        r3.CACHE.write_bytes(pickle.dumps(cache))


if __name__ == "__main__":
    main()
