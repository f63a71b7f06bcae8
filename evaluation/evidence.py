"""The evidence behind a ranking warning: is a unit's indicator below target beyond doubt and by a margin?

A month's rate on a few dozen cases swings by several points by chance, so "composite below 100" warned
most units every month. Here an indicator counts against a unit only when its rate over the last
``EVIDENCE_MONTHS`` months (numerators and denominators summed, so a busy month weighs more) rests on at
least ``MIN_CASES`` cases and its 95 % Wilson interval lies wholly more than ``MARGIN`` (relative) on the
wrong side of the target: for 按时办结率 (target 95 %) the interval's upper end must be under 85.5 %. Six
months, not three: a slow department with a dozen orders a month (the scale-0.05 demo's 民政局) has too few
cases in three for a 10 % shortfall to be beyond chance.
Indicators that are means of text-mining scores (``Indicator.counted`` false) are not counts of cases and
never count; year-to-date and month-end indicators (``Indicator.cumulative``) are judged on their latest
month alone.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import norm

from evaluation.indicators import INDICATOR_BY_KEY, months_back

EVIDENCE_MONTHS = 6
MIN_CASES = 20
MARGIN = 0.10
CONFIDENCE = 0.95
RED_SHORTFALLS = 2  # indicators materially short for 红 (one is 黄)
MIN_INDICATOR_SHARE = 1 / 3  # of its group's weighted indicators a unit needs scored to be ranked; fewer: 参评不足


def min_indicators(weighted: int) -> int:
    """Scored indicators a unit needs to be ranked among a group with ``weighted`` weighted indicators."""
    return math.ceil(MIN_INDICATOR_SHARE * weighted)


def rule_sentence() -> str:
    """The warning rule in one sentence, for the 排名 page and the bulletin."""
    return (f"预警规则：某项指标近{EVIDENCE_MONTHS}个月合计至少{MIN_CASES}件，且其95%置信区间整体比目标差{MARGIN:.0%}以上，"
            f"即为确有差距；1项确有差距为黄色预警，{RED_SHORTFALLS}项及以上为红色预警；"
            "参评指标不足本组计分指标三分之一的单位为参评不足，不参与排名。")


def wilson(k: np.ndarray, n: np.ndarray, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided Wilson score interval of k successes in n trials (NaN where n = 0)."""
    k, n = np.asarray(k, float), np.asarray(n, float)
    z = norm.ppf(0.5 + confidence / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.clip(k / n, 0, 1)
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half


def pooled_bounds(values: pd.DataFrame) -> pd.DataFrame:
    """``values`` plus ``cases``, ``low`` and ``high``: the Wilson interval of each unit × indicator's rate
    pooled over the ``EVIDENCE_MONTHS`` months ending at the row's month (months absent from ``values``
    add nothing). Rows of mean-score indicators, and rows on fewer than ``MIN_CASES`` cases, get NaN
    bounds: no evidence."""
    out = values.copy()
    if out.empty:
        return out.assign(cases=pd.Series(dtype=float), low=pd.Series(dtype=float), high=pd.Series(dtype=float))
    counted = out.dropna(subset=["numerator", "denominator"])
    pooled = []
    for back in range(EVIDENCE_MONTHS):
        part = counted[["month", "unit_code", "indicator_key", "numerator", "denominator"]].copy()
        part["month"] = [months_back(m, -back) for m in part["month"]]  # counts towards the windows after it
        if back:  # summing a cumulative indicator's months would count the same cases again
            part = part[[not INDICATOR_BY_KEY[k].cumulative for k in part["indicator_key"]]]
        pooled.append(part)
    sums = (pd.concat(pooled).groupby(["month", "unit_code", "indicator_key"], as_index=False)[["numerator", "denominator"]]
            .sum().rename(columns={"numerator": "k", "denominator": "cases"}))
    out = out.merge(sums, on=["month", "unit_code", "indicator_key"], how="left")
    low, high = wilson(out["k"], out["cases"])
    scored = np.array([INDICATOR_BY_KEY[k].counted for k in out["indicator_key"]], bool)
    scored &= out["cases"].fillna(0).to_numpy() >= MIN_CASES  # too few cases: no evidence either way
    out["low"], out["high"] = np.where(scored, low, np.nan), np.where(scored, high, np.nan)
    return out.drop(columns="k")


def materially_short(rows: pd.DataFrame, targets: pd.Series) -> pd.Series:
    """Per row (with ``low``/``high`` from :func:`pooled_bounds`): the interval lies wholly beyond the
    target by ``MARGIN`` on the wrong side."""
    higher = np.array([INDICATOR_BY_KEY[k].higher_is_better for k in rows["indicator_key"]], bool)
    t = targets.to_numpy(float)
    below = np.where(higher, rows["high"].to_numpy(float) < t * (1 - MARGIN),
                     rows["low"].to_numpy(float) > t * (1 + MARGIN))
    return pd.Series(below, index=rows.index)
