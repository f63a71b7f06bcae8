"""TrendDetector: Mann-Kendall / Sen slope, BH control, the estimator contract, batch helper."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from risk_models.trends import TrendDetector, detect_trends_frame, mann_kendall


@parametrize_with_checks([TrendDetector(min_total=0.0)])
def test_scikit_learn_common_checks(estimator, check):
    check(estimator)


def test_mann_kendall_known_values():
    r = mann_kendall([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    assert r["s"] == 45 and r["tau"] == pytest.approx(1.0)
    assert r["slope"] == pytest.approx(1.0) and r["slope_low"] == pytest.approx(1.0)
    assert r["p_value"] < 1e-4
    flat = mann_kendall([5] * 20)
    assert flat["s"] == 0 and flat["p_value"] == pytest.approx(0.5)
    with_ties = mann_kendall([1, 1, 2, 2, 3, 3])
    assert with_ties["var_s"] < 6 * 5 * 17 / 18  # tie correction reduces the variance


def test_q_values_are_statsmodels_benjamini_hochberg_over_the_tested_series():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(0)
    X = np.vstack([rng.poisson(np.linspace(10, 10 + 10 * k / 40, 30)) for k in range(40)] + [np.zeros(30)])
    res = TrendDetector().fit(X).results_
    tested = res[res["tested"]]
    assert len(tested) == 40 and not res.iloc[-1]["tested"]
    assert np.allclose(tested["q_value"], multipletests(tested["p_value"], method="fdr_bh")[1])


def test_fdr_control_on_null_series_and_power_on_rising():
    rng = np.random.default_rng(1)
    Y = pd.DataFrame({f"null{i}": rng.poisson(20, 52) for i in range(200)})
    for i in range(5):
        Y[f"up{i}"] = rng.poisson(np.linspace(10, 40, 52))
    det = TrendDetector()
    assert clone(det).get_params() == det.get_params()
    labels = det.fit_predict(Y.T)  # rows = series
    res = det.results_.set_index("series")
    assert res.loc[[f"up{i}" for i in range(5)], "rising"].all()
    assert res.filter(like="null", axis=0)["rising"].sum() <= 2
    assert (res["slope_low"] <= res["slope"]).all() and (res["slope"] <= res["slope_high"]).all()
    assert labels.tolist() == res["rising"].astype(int).tolist()


@pytest.mark.parametrize("params", [{"alpha": 0}, {"alpha": 1.5}, {"conf_level": "high"}, {"window": 2}])
def test_bad_parameters_are_refused_at_fit(params):
    with pytest.raises(ValueError):
        TrendDetector(**params).fit(np.ones((3, 10)))


def test_falling_and_tiny_series_are_not_rising():
    Y = pd.DataFrame({"down": np.linspace(40, 10, 30), "tiny": [0] * 29 + [1]})
    res = TrendDetector().fit(Y.T).results_.set_index("series")
    assert not res.loc["down", "rising"] and not res.loc["tiny", "tested"]


def test_detect_trends_frame():
    rng = np.random.default_rng(2)
    days = pd.date_range("2024-01-01", "2024-12-29", freq="D")
    rows = []
    for district in ["A", "B"]:
        for cat in ["x", "y"]:
            lam = np.linspace(1, 8, len(days)) if (district, cat) == ("A", "x") else np.full(len(days), 3.0)
            rows += [(district, cat, d, c) for d, c in zip(days, rng.poisson(lam), strict=False) if c > 0]
    df = pd.DataFrame(rows, columns=["district", "category", "date", "count"])
    out = detect_trends_frame(df)
    assert list(out.columns[:2]) == ["district", "category"] and len(out) == 4
    assert out.set_index(["district", "category"]).loc[("A", "x"), "rising"]
    assert out["rising"].sum() == 1
    assert (out["n"] == 26).all()
