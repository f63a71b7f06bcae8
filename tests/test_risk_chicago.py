"""Chicago benchmark features added for issue #5 item 3: the heat-neighbour rate and its time rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def chicago(shared_data):
    from risk_models import chicago

    return chicago.load_table(shared_data / "chicago_food")


@pytest.mark.shared_data
def test_heat_neighbour_rate_uses_known_outcomes_before_the_rows_month_only(chicago):
    from risk_models.chicago import build_features

    rate = build_features(chicago, inspector=False)["heat_neighbour_rate"]
    month = chicago["Inspection_Date"].dt.to_period("M")
    target = month == pd.Period("2013-06", "M")
    flipped = chicago.copy()
    flipped.loc[month >= pd.Period("2013-06", "M"), "criticalFound"] ^= 1
    same = build_features(flipped, inspector=False)["heat_neighbour_rate"]
    pd.testing.assert_series_equal(same[target], rate[target])
    # the rows' own past does move it, so the check above can fail
    flipped.loc[month < pd.Period("2013-06", "M"), "criticalFound"] ^= 1
    moved = build_features(flipped, inspector=False)["heat_neighbour_rate"]
    assert (moved[target] != rate[target]).mean() > 0.9
    # a smoothed rate: inside (0, 1), and locations with more past violations score higher on average
    assert rate.between(0, 1, inclusive="neither").all()
    past = chicago["Train"] == 1
    hi = rate > rate[past].median()
    assert chicago.loc[past & hi, "criticalFound"].mean() > chicago.loc[past & ~hi, "criticalFound"].mean()


@pytest.mark.shared_data
def test_interaction_and_licence_count_columns(chicago):
    from risk_models.chicago import HEAT_COLUMNS, LICENCE_COLUMNS, build_features

    X = build_features(chicago, inspector=False)
    restaurant = chicago["Facility_Type"] == "Restaurant"
    for heat in HEAT_COLUMNS:
        col = X[f"Restaurant_x_{heat}"]
        assert (col[~restaurant] == 0).all()
        np.testing.assert_allclose(col[restaurant], np.log1p(chicago.loc[restaurant, heat]))
    np.testing.assert_array_equal(X["n_licences"], chicago[LICENCE_COLUMNS].sum(axis=1))
