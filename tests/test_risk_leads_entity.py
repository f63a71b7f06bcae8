"""The entity-lead policy: the model's probability must be confirmed by the entity's own inspection record."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from risk_models.entity_leads import own_finding_rate_low, select_entity_leads


def test_own_finding_rate_low_is_the_beta_lower_bound():
    low = own_finding_rate_low(pd.Series([0, 7, 8, 14, 2]), pd.Series([0, 7, 8, 15, 4]))
    # k of k checks under a uniform prior: 0.05 ** (1 / (k + 1)); no checks: 0.05, i.e. no evidence
    assert low[1] == pytest.approx(0.05 ** (1 / 8)) and low[2] == pytest.approx(0.05 ** (1 / 9))
    assert low[0] == pytest.approx(0.05) and low[2] > 0.7 > low[1]
    assert low[3] > low[2] > low[4]


def test_select_entity_leads_needs_the_own_record_to_confirm_the_model():
    scored = pd.DataFrame({
        "uscc": ["many_complaints", "perfect_record", "short_record", "one_miss", "low_score"],
        "score": [0.997, 0.98, 0.99, 0.95, 0.85],
        "problems_prior": [2, 9, 3, 14, 20],
        "inspections_prior": [4, 9, 3, 15, 20],
    })
    scored["rank"] = np.arange(1, len(scored) + 1)
    chosen = select_entity_leads(scored)
    assert chosen["uscc"].tolist() == ["perfect_record", "one_miss"]
    assert (chosen["own_rate_low"] >= 0.7).all()
    # without the own-record condition every entity above the probability floor is a lead
    assert select_entity_leads(scored, min_own_rate=0.0)["uscc"].tolist() == scored["uscc"][:4].tolist()
    assert select_entity_leads(scored, top_k=1)["uscc"].tolist() == []
