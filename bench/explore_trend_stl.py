"""Would an STL seasonal adjustment (statsmodels) before the Mann-Kendall test help the trend leads?

Runs the planted trend backtest (``risk_models.backtest.backtest_trends``) twice on one demo warehouse: as the
pipeline does, and with every weekly county x category series STL-adjusted (period 52, over its whole history)
before the same ``TrendDetector`` looks at the last 26 weeks. Series under the detector's ``min_total`` are
judged on their raw counts, as before. The answer is recorded in ``risk_models/trends.py``'s docstring.

    bianjian init && bianjian demo --scale 0.05 --seed 11 --end 2026-11-30   # BIANJIAN_DATABASE_URL=...
    .venv/bin/python bench/explore_trend_stl.py sqlite:///var/s11.db [--plain] [--daily-counts]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd
from scipy import stats
from statsmodels.tsa.seasonal import STL

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from data_access.db import make_engine  # noqa: E402
from pipeline.runner import run_steps  # noqa: E402
from pipeline.steps import STEP_BY_NAME  # noqa: E402
from risk_models import backtest, lead_reads  # noqa: E402
from risk_models.trends import TrendDetector  # noqa: E402

KEEP = ("events", "detected", "leads", "matched_leads", "testable_events", "recall_by_strength")


def weekly(df: pd.DataFrame) -> pd.DataFrame:
    """Complete weeks x series, as ``detect_trends_frame`` builds them."""
    d = df.assign(_period=df["date"].dt.to_period("W"))
    wide = d.pivot_table(index="_period", columns=["district", "category"], values="count", aggfunc="sum",
                         fill_value=0)
    full = pd.period_range(wide.index.min(), wide.index.max(), freq="W")
    wide = wide.reindex(full, fill_value=0)
    return wide.iloc[:-1] if d["date"].max() < full[-1].end_time.normalize() else wide


def stl_trends_frame(df: pd.DataFrame, *, robust: bool, window: int = 26, timing: dict, **_) -> pd.DataFrame:
    wide = weekly(df)
    started = time.perf_counter()
    adjusted = wide.astype(float)
    for col in wide.columns:
        y = wide[col].to_numpy(dtype=float)
        if y.sum() > 0 and len(y) > 2 * 52:
            adjusted[col] = y - STL(y, period=52, robust=robust).fit().seasonal
    timing["stl_s"] = round(time.perf_counter() - started, 2)
    det = TrendDetector(window=window)
    res = det.fit(adjusted.T.to_numpy(dtype=float)).results_.copy()
    res["tested"] = (wide.iloc[-window:].sum().to_numpy() >= det.min_total) & (res["n"] >= 4)
    res["q_value"] = 1.0
    tested = res["tested"].to_numpy()
    if tested.any():
        res.loc[tested, "q_value"] = stats.false_discovery_control(res.loc[tested, "p_value"].to_numpy())
    res["rising"] = (res["tested"] & (res["q_value"] <= det.alpha) & (res["slope_low"] > 0)
                     & (res["relative_slope"] >= det.min_relative_slope))
    keys = pd.DataFrame(list(wide.columns), columns=["district", "category"])
    return pd.concat([keys, res.drop(columns="series").reset_index(drop=True)], axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("--plain", action="store_true", help="non-robust STL (default: robust)")
    parser.add_argument("--daily-counts", action="store_true", help="run pipeline step daily_counts first")
    args = parser.parse_args()
    engine = make_engine(args.url)
    if args.daily_counts:
        run_steps(engine, [STEP_BY_NAME["daily_counts"]])
    with engine.connect() as conn:
        as_of = lead_reads.data_as_of(conn)
        planted = backtest._planted(conn)
        frame = lead_reads.daily_frame(conn, as_of)
    started = time.perf_counter()
    base = backtest.backtest_trends(planted, frame, as_of)
    base_s = round(time.perf_counter() - started, 2)
    timing: dict = {}
    backtest.detect_trends_frame = lambda df, **kw: stl_trends_frame(df, robust=not args.plain, timing=timing, **kw)
    adjusted = backtest.backtest_trends(planted, frame, as_of)
    print(json.dumps({"as_of": str(as_of), "series": frame.groupby(["district", "category"]).ngroups,
                      "baseline": {k: base[k] for k in KEEP}, "baseline_s": base_s,
                      "stl": {k: adjusted[k] for k in KEEP}, "robust": not args.plain, **timing},
                     ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
