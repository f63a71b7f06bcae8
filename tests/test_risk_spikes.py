"""SpikeDetector: contract, online property, planted spikes, CSV and batch helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from risk_models.spikes import SpikeDetector, _design, _poisson_irls, detect_spikes_csv, detect_spikes_frame


def _daily(n=1095, seed=0, spikes=(), size=25, start="2022-01-01"):
    rng = np.random.default_rng(seed)
    idx = pd.date_range(start, periods=n, freq="D")
    t = np.arange(n)
    mu = 5 * (1 + 0.3 * np.sin(2 * np.pi * t / 365.25)) * (1 + 0.2 * (idx.dayofweek < 5))
    y = rng.poisson(mu).astype(float)
    for s in spikes:
        y[s] += size
    return pd.Series(y, index=idx)


# ----------------------------------------------------------------------------- contract
# Rows are consecutive time steps of an online detector: a step's result depends on the steps before it.
EXPECTED_FAILED_CHECKS = {
    "check_methods_sample_order_invariance": "rows are consecutive time steps; shuffling them is another series",
    "check_methods_subset_invariance": "rows are consecutive time steps continuing the history; a batch that "
                                       "skips rows continues it from a different step",
}


@parametrize_with_checks([SpikeDetector()], expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_scikit_learn_common_checks(estimator, check):
    check(estimator)


def test_the_expected_failures_do_fail():
    """The recorded exceptions are real: each check fails on the detector (so the list cannot go stale)."""
    from sklearn.utils import estimator_checks

    for name in EXPECTED_FAILED_CHECKS:
        with pytest.raises(AssertionError):
            getattr(estimator_checks, name)(name, SpikeDetector())


def test_init_stores_params_only_and_clone():
    det = SpikeDetector(alpha=0.01, cooldown=3)
    assert det.get_params()["alpha"] == 0.01 and det.get_params()["cooldown"] == 3
    assert clone(det).get_params() == det.get_params()
    assert not [k for k in vars(det) if k.endswith("_")]
    assert "alpha=0.01" in repr(det)


def test_fit_returns_self_and_unfitted_errors():
    y = _daily(100)
    det = SpikeDetector()
    with pytest.raises(NotFittedError):
        det.predict(y)
    assert det.fit(y) is det
    assert det.period_ == 7 and det.step_ == pd.Timedelta(days=1) and det.n_features_in_ == 1
    assert {"history_", "result_", "z_crit_"} <= set(vars(det))
    # applying the detector never changes what fit learned
    learned = {k: v for k, v in vars(det).items() if k.endswith("_")}
    det.predict(_daily(130).iloc[100:])
    assert all(vars(det)[k] is v for k, v in learned.items())


@pytest.mark.parametrize("bad", [dict(method="magic"), dict(alpha=0.0), dict(period=0), dict(cusum_h=-1)])
def test_invalid_params_rejected_in_fit(bad):
    det = SpikeDetector(**bad)  # no validation in __init__
    with pytest.raises(ValueError):
        det.fit(_daily(60))


def test_refit_does_not_leak_state():
    a, b = _daily(300, seed=1), _daily(300, seed=2)
    det = SpikeDetector()
    first = det.fit(a).detect().copy()
    det.fit(b)
    pd.testing.assert_frame_equal(det.fit(a).detect(), first)


def test_each_column_is_its_own_series():
    a, b = _daily(300, seed=1, spikes=[250], size=40), _daily(300, seed=2)
    det = SpikeDetector().fit(pd.DataFrame({"a": a, "b": b}))
    alone = SpikeDetector().fit(a).detect()
    pd.testing.assert_frame_equal(det.detect()["a"], alone)
    pd.testing.assert_frame_equal(det.detect()["b"], SpikeDetector().fit(b).detect())
    assert det.fit_predict(pd.DataFrame({"a": a, "b": b})).shape == (300, 2)
    assert (det.fit_predict(pd.DataFrame({"a": a, "b": b}))[:, 0] == alone["alarm"].to_numpy()).all()
    with pytest.raises(ValueError, match="feature"):
        det.predict(a.iloc[-10:].rename("a"))  # one column for a two-series detector
    with pytest.raises(ValueError):
        SpikeDetector().fit(a.to_numpy())  # a 1-D array: one step of many series, or many steps of one?


# ----------------------------------------------------------------------------- behaviour
def test_planted_spikes_detected_across_all_three_methods():
    spikes = [40, 400, 800, 1000]  # EARS, ETS, Farrington, Farrington
    y = _daily(spikes=spikes, size=30)
    res = SpikeDetector().fit(y).detect()
    assert list(res.columns) == ["value", "expected", "lower", "upper", "score", "alarm", "method"]
    assert res["method"].iloc[40] == "ears" and res["method"].iloc[400] == "ets"
    assert res["method"].iloc[800] == "farrington"
    hits = [res["alarm"].iloc[s] for s in spikes]
    assert sum(hits) >= 3
    assert (res["score"].iloc[spikes] >= 1).sum() >= 3
    # few false alarms elsewhere: well under one a month
    others = res["alarm"].drop(res.index[spikes]).sum()
    assert others <= 12
    # band is a band around the expected value, never below 0 for counts
    ok = res["expected"].notna()
    assert (res.loc[ok, "upper"] >= res.loc[ok, "expected"]).all()
    assert (res.loc[ok, "lower"] <= res.loc[ok, "expected"]).all() and (res.loc[ok, "lower"] >= 0).all()
    assert set(res.loc[ok, "method"]) == {"ears", "ets", "farrington"}


def test_no_alarms_on_empty_or_tiny_counts():
    idx = pd.date_range("2024-01-01", periods=400, freq="D")
    rng = np.random.default_rng(3)
    y = pd.Series((rng.random(400) < 0.05).astype(float), index=idx)  # a complaint now and then
    assert SpikeDetector().fit(y).detect()["alarm"].sum() == 0
    assert SpikeDetector().fit(pd.Series(0.0, index=idx)).detect()["alarm"].sum() == 0


@pytest.mark.parametrize("n_past", [30, 200, 900])
def test_online_appending_future_never_changes_past(n_past):
    full = _daily(1000, seed=5, spikes=[150, 600, 950])
    past = full.iloc[:n_past]
    r_past = SpikeDetector().fit(past).detect()
    r_full = SpikeDetector().fit(full).detect().iloc[:n_past]
    pd.testing.assert_frame_equal(r_past, r_full)
    # continuing a fitted detector with new data gives the same as fitting on everything
    det = SpikeDetector().fit(past)
    cont = det.detect(full.iloc[n_past:])
    pd.testing.assert_frame_equal(cont, SpikeDetector().fit(full).detect().iloc[n_past:])


def test_online_property_subdaily_and_plain_arrays():
    rng = np.random.default_rng(7)
    idx = pd.date_range("2024-01-01", periods=3000, freq="5min")
    y = pd.Series(rng.poisson(20, 3000).astype(float), index=idx)
    y.iloc[2500:2510] += 300
    det = SpikeDetector().fit(y)
    assert det.period_ == 288
    res = det.detect()
    assert res["alarm"].iloc[2500:2510].sum() == 1  # one alarm per burst (cooldown)
    short = SpikeDetector().fit(y.iloc[:2000]).detect()
    pd.testing.assert_frame_equal(short, res.iloc[:2000])
    # plain numpy input (one column): period 1, still online
    column = y.to_numpy()[:, None]
    a = SpikeDetector().fit_predict(column)
    b = SpikeDetector().fit_predict(column[:2000])
    assert (a[:2000] == b).all()
    assert (SpikeDetector().fit(column[:2000]).predict(column[2000:]) == a[2000:]).all()


def test_score_samples_and_predict_on_training_series():
    y = _daily(200, spikes=[150], size=40)
    det = SpikeDetector().fit(y)
    assert det.predict(y)[150] == 1  # dated rows of the history keep the fit's result
    assert det.score_samples(y)[150] >= 1
    assert det.fit_predict(y)[150] == 1
    assert det.predict(y).dtype == np.int64 and det.predict(y).shape == (200,)


def test_irls_matches_statsmodels_quasi_poisson():
    import statsmodels.api as sm

    rng = np.random.default_rng(1)
    t = np.arange(800.0)
    X = _design(t, t % 7, True)
    y = rng.negative_binomial(3, 0.4, 800).astype(float)
    w = rng.uniform(0.2, 1, 800)
    beta, cov, phi = _poisson_irls(X, y, w=w)
    ref = sm.GLM(y, X, family=sm.families.Poisson(), var_weights=w).fit(scale="X2")
    assert np.allclose(beta, ref.params, atol=1e-6)
    assert phi == pytest.approx(ref.scale, rel=1e-6)
    assert np.allclose(cov, ref.cov_params(), atol=1e-8)


# ----------------------------------------------------------------------------- helpers
def test_detect_spikes_csv(tmp_path):
    y = _daily(120, spikes=[100], size=40)
    src = tmp_path / "in.csv"
    pd.DataFrame({"timestamp": y.index.strftime("%Y-%m-%d"), "value": y.to_numpy()}).to_csv(src, index=False)
    out = detect_spikes_csv(src, tmp_path / "out.csv")
    written = pd.read_csv(tmp_path / "out.csv")
    assert list(written.columns) == ["timestamp", "value", "score", "alarm"]
    assert len(written) == 120 and written["alarm"].iloc[100] == 1
    assert set(written["alarm"].unique()) <= {0, 1}
    assert np.allclose(written["score"], out["score"])
    pd.DataFrame({"ts": [1], "value": [2]}).to_csv(src, index=False)
    with pytest.raises(ValueError, match="timestamp"):
        detect_spikes_csv(src, tmp_path / "out.csv")


def test_detect_spikes_frame_long_format_with_missing_days():
    rows = []
    rng = np.random.default_rng(11)
    days = pd.date_range("2024-01-01", periods=300, freq="D")
    for district in ["鼓楼区", "龙亭区"]:
        for category in ["食品", "价格"]:
            counts = rng.poisson(4, len(days))
            if district == "龙亭区" and category == "食品":
                counts[250] += 40
            for d, c in zip(days, counts, strict=False):
                if c > 0:  # zero days are absent, as in a complaints table
                    rows.append((district, category, d, c))
    df = pd.DataFrame(rows, columns=["district", "category", "date", "count"])
    out = detect_spikes_frame(df)
    assert list(out.columns) == ["district", "category", "date", "count", "expected", "lower", "upper", "score",
                                 "alarm", "method"]
    assert len(out) == len(df)
    hit = out[(out["district"] == "龙亭区") & (out["category"] == "食品") & (out["date"] == days[250])]
    assert hit["alarm"].item() == 1
    full = detect_spikes_frame(df, complete=True, n_jobs=2)
    assert len(full) == 4 * 300 and (full["count"] >= 0).all()
    with pytest.raises(ValueError, match="count"):
        detect_spikes_frame(df.drop(columns="count"))


def test_docstring_example_runs():
    import doctest

    import risk_models.spikes as spikes_module

    result = doctest.testmod(spikes_module)
    assert result.attempted > 0 and result.failed == 0
