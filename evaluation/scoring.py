"""Composite scores, monthly ranks, rank changes and persistence colours from stored indicator values.

Scoring follows Boston's CityScore: an indicator scores actual ÷ target (target ÷ actual when lower is
better), capped at ``cap``; a unit's composite is the weighted mean of its indicator scores × 100, so
100 means "on target everywhere". Missing data is never zero: a unit without a denominator for an
indicator simply has no score for it, and the weights are re-normalised over the indicators it has.
Ties share a rank ("1, 2, 2, 4"). The 黄/红 warning is not "composite below 100": it asks for evidence
that a unit is materially and persistently short of target (:mod:`evaluation.evidence`, :func:`status_rule`);
a unit with too few indicators is 参评不足 and not ranked among the others.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from data_access import queries_evaluation
from data_access.scope import SYSTEM, Scope
from evaluation import evidence
from evaluation.indicators import INDICATOR_BY_KEY, UNITS, months_back
from security import audit

DEFAULT_WEIGHTS_PATH = Path(__file__).with_name("weights.toml")
STATUS_NAMES = {"green": "正常", "yellow": "黄色预警", "red": "红色预警", "insufficient": "参评不足", "nodata": "无数据"}
# An indicator row's own colour says whether that indicator met its target, never a unit's warning words:
# red is the ranking's evidence of a material, persistent shortfall (evidence.materially_short).
INDICATOR_STATUS_NAMES = {"green": "达标", "yellow": "未达标", "red": "明显未达标", "nodata": "无数据"}


class WeightsError(ValueError):
    """The weights TOML is invalid; the message says where and why."""


@dataclass(frozen=True)
class ScoringConfig:
    weights: dict[str, dict[str, float]]  # unit group → indicator key → relative weight
    targets: dict[str, float] = field(default_factory=dict)  # overrides of the library's defaults
    cap: float = 1.2

    def target(self, key: str) -> float:
        return self.targets.get(key, INDICATOR_BY_KEY[key].target)

    def with_weights(self, group: str, weights: dict[str, float]) -> ScoringConfig:
        """A copy with ``group``'s weights replaced (the what-if); validated like the TOML."""
        new = replace(self, weights={**self.weights, group: dict(weights)})
        validate(new)
        return new


# ------------------------------------------------------------------------------------------ TOML I/O


def parse_config(text: str) -> ScoringConfig:
    """Parse and validate weights TOML; raises WeightsError with a plain message."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WeightsError(f"权重配置不是有效的 TOML: {exc}") from None
    unknown = set(data) - {"scoring", "weights", "targets"}
    if unknown:
        raise WeightsError(f"未知的配置段: {', '.join(sorted(unknown))}")
    scoring = data.get("scoring", {})
    # warn_below (composite below it was a bad month) is no longer a rule; configurations saved with it load.
    unknown = set(scoring) - {"cap", "warn_below"}
    if unknown:
        raise WeightsError(f"[scoring] 中未知的键: {', '.join(sorted(unknown))}")
    weights = data.get("weights")
    if not isinstance(weights, dict) or not weights:
        raise WeightsError("缺少 [weights.COUNTY] / [weights.DEPARTMENT] 权重")
    config = ScoringConfig(
        weights={g: dict(w) if isinstance(w, dict) else w for g, w in weights.items()},
        targets=dict(data.get("targets", {})),
        cap=scoring.get("cap", 1.2),
    )
    validate(config)
    return config


def _is_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def validate(config: ScoringConfig) -> None:
    """Every group known and present, every weight a non-negative number of an indicator that applies
    to the group, at least one positive weight per group, targets in (0, 1], cap ≥ 1."""
    for group in UNITS:
        if group not in config.weights:
            raise WeightsError(f"缺少分组 {group} 的权重")
    for group, weights in config.weights.items():
        if group not in UNITS:
            raise WeightsError(f"未知的分组 {group!r}（可选: {', '.join(UNITS)}）")
        if not isinstance(weights, dict):
            raise WeightsError(f"[weights.{group}] 必须是键值表")
        for key, w in weights.items():
            ind = INDICATOR_BY_KEY.get(key)
            if ind is None:
                raise WeightsError(f"[weights.{group}] 中未知的指标 {key!r}")
            if group not in ind.groups:
                raise WeightsError(f"指标 {key}（{ind.name}）不适用于分组 {group}")
            if not _is_number(w) or w < 0:
                raise WeightsError(f"[weights.{group}] {key} 的权重必须是非负数，得到 {w!r}")
        if not any(w > 0 for w in weights.values()):
            raise WeightsError(f"分组 {group} 至少需要一个正权重")
    for key, t in config.targets.items():
        if key not in INDICATOR_BY_KEY:
            raise WeightsError(f"[targets] 中未知的指标 {key!r}")
        if not _is_number(t) or not 0 < t <= 1:
            raise WeightsError(f"[targets] {key} 的目标值必须在 (0, 1] 之间，得到 {t!r}")
    if not _is_number(config.cap) or config.cap < 1:
        raise WeightsError(f"[scoring] cap 必须是 ≥ 1 的数，得到 {config.cap!r}")


def dump_config(config: ScoringConfig) -> str:
    """TOML text of ``config`` (what the 排名 page stores when an administrator saves)."""
    lines = ["[scoring]", f"cap = {config.cap!r}", ""]
    for group, weights in config.weights.items():
        lines.append(f"[weights.{group}]")
        lines += [f"{k} = {float(w)!r}" for k, w in weights.items()]
        lines.append("")
    lines.append("[targets]")
    lines += [f"{k} = {float(t)!r}" for k, t in config.targets.items()]
    return "\n".join(lines) + "\n"


def default_config() -> ScoringConfig:
    return parse_config(DEFAULT_WEIGHTS_PATH.read_text(encoding="utf-8"))


def load_config(session: Session) -> ScoringConfig:
    """The administrator-saved configuration, else the default weights.toml."""
    text = queries_evaluation.stored_weights_text(session)
    return parse_config(text) if text else default_config()


def save_config(session: Session, scope: Scope, config: ScoringConfig) -> str:
    """Store ``config`` as the weights in force; only a system administrator may (checked here, on
    the server, whatever the page shows); the change is audited. Returns the stored TOML."""
    if scope.role != "SYS_ADMIN":
        raise PermissionError("只有系统管理员可以保存评价权重")
    validate(config)
    text = dump_config(config)
    queries_evaluation.store_weights_text(session, text)
    audit.record(session, scope.user, "evaluation.weights.save", "app_setting", queries_evaluation.WEIGHTS_SETTING_KEY,
                 {"weights": config.weights, "targets": config.targets, "cap": config.cap})
    return text


# ------------------------------------------------------------------------------------------- scoring


def indicator_scores(values: pd.DataFrame, config: ScoringConfig) -> pd.DataFrame:
    """``values`` (agg_indicator_month rows) plus target, score (capped) and below_target."""
    df = values.copy()
    df["target"] = [config.target(k) for k in df.indicator_key]
    higher = np.array([INDICATOR_BY_KEY[k].higher_is_better for k in df.indicator_key], bool)
    value = df["value"].astype(float).to_numpy()
    target = df["target"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(higher, value / target, np.where(value == 0, config.cap, target / value))
    df["score"] = np.clip(raw, 0, config.cap)
    df["below_target"] = np.where(higher, value < target, value > target)
    return df


def ranking_values(session: Session, scope: Scope, *, first: str | None = None, last: str | None = None,
                   group: str | None = None) -> pd.DataFrame:
    """Stored indicator values for months ``first``..``last`` with the evidence of each (``cases``, ``low``,
    ``high``: :func:`evidence.pooled_bounds` over the months before as well), computed before a department
    head's view blanks other units' counts, so every role sees the same warnings."""
    start = months_back(first, evidence.EVIDENCE_MONTHS - 1) if first else None
    values = evidence.pooled_bounds(queries_evaluation.indicator_values(session, SYSTEM, first=start, last=last,
                                                                        group=group))
    if first:
        values = values[values.month >= first].reset_index(drop=True)
    return queries_evaluation.blank_other_units(values, scope)


def rank_units(values: pd.DataFrame, config: ScoringConfig, group: str) -> pd.DataFrame:
    """Composite score, rank, rank change and warning status of every unit of ``group`` in every month
    present in ``values`` (from :func:`ranking_values`; plain stored values get their evidence from the
    months they hold).

    Returns columns month, unit_code, unit_name, score (NaN = 无数据), indicators (how many scored),
    shortfalls (indicators materially short of target, :func:`evidence.materially_short`), rank (ties share
    the best rank; NaN when no data or 参评不足), prev_rank, rank_change (positive = moved up), status
    (green/yellow/red/insufficient/nodata, :func:`status_rule`) and status_name.
    """
    if group not in UNITS:
        raise ValueError(f"unknown unit group {group!r}")
    weights = {k: w for k, w in config.weights[group].items() if w > 0}
    v = values[(values.unit_group == group) & values.indicator_key.isin(weights) & values.value.notna()]
    if "high" not in v:
        v = evidence.pooled_bounds(v)
    scored = indicator_scores(v, config)
    scored["w"] = scored.indicator_key.map(weights).astype(float)
    scored["ws"] = scored["w"] * scored["score"]
    scored["short"] = evidence.materially_short(scored, scored["target"]).astype(int)
    agg = scored.groupby(["month", "unit_code"]).agg(ws=("ws", "sum"), w=("w", "sum"), indicators=("w", "size"),
                                                     shortfalls=("short", "sum"))
    months = sorted(set(values.month[values.unit_group == group]))
    grid = pd.MultiIndex.from_product([months, list(UNITS[group])], names=["month", "unit_code"])
    out = agg.reindex(grid).reset_index()
    out["score"] = (100 * out["ws"] / out["w"]).round(1)
    out["indicators"] = out["indicators"].fillna(0).astype(int)
    out["shortfalls"] = out["shortfalls"].fillna(0).astype(int)
    out["unit_name"] = out.unit_code.map(UNITS[group])
    rated = out["indicators"] >= evidence.min_indicators(len(weights))
    out["rank"] = out["score"].where(rated).groupby(out["month"]).rank(method="min", ascending=False)
    prev = out[["month", "unit_code", "rank"]].rename(columns={"month": "next", "rank": "prev_rank"})
    prev["next"] = [months_back(m, -1) for m in prev["next"]]
    out = out.merge(prev, left_on=["month", "unit_code"], right_on=["next", "unit_code"], how="left")
    out["rank_change"] = out["prev_rank"] - out["rank"]
    out["status"] = np.select(
        [out["score"].isna(), ~rated, out["shortfalls"] >= evidence.RED_SHORTFALLS, out["shortfalls"] >= 1],
        ["nodata", "insufficient", "red", "yellow"], "green")
    out["status_name"] = out.status.map(STATUS_NAMES)
    cols = ["month", "unit_code", "unit_name", "score", "indicators", "shortfalls", "rank", "prev_rank",
            "rank_change", "status", "status_name"]
    return out[cols].sort_values(["month", "rank", "unit_code"], na_position="last").reset_index(drop=True)


def status_rule() -> str:
    """The unit status rule of ``rank_units`` in one sentence, shown wherever a unit's status is shown."""
    return evidence.rule_sentence()


def indicator_status(values: pd.DataFrame, config: ScoringConfig) -> pd.DataFrame:
    """Per unit × indicator × month: score, below_target and a colour by the same evidence as the ranking:
    red when materially short of target (:func:`evidence.materially_short`), yellow when only this month's
    value is below target, else green."""
    v = values[values.value.notna()]
    if "high" not in v:
        v = evidence.pooled_bounds(v)
    scored = indicator_scores(v, config)
    short = evidence.materially_short(scored, scored["target"])
    scored["status"] = np.where(short, "red", np.where(scored["below_target"], "yellow", "green"))
    return scored


def city_reference(values: pd.DataFrame) -> pd.DataFrame:
    """Per month × group × indicator: the median over units (the reference line — unit rates are
    skewed, so the median, not the mean), the pooled city rate Σnumerator ÷ Σdenominator, and the
    number of units with data."""
    v = values[values.value.notna()]
    g = v.groupby(["month", "unit_group", "indicator_key"])
    out = g.agg(median=("value", "median"), numerator=("numerator", "sum"), denominator=("denominator", "sum"),
                units=("value", "size")).reset_index()
    out["pooled"] = out["numerator"] / out["denominator"]
    return out.drop(columns=["numerator", "denominator"])


def pool_months(values: pd.DataFrame, label: str) -> pd.DataFrame:
    """Sum numerators and denominators over all months of ``values`` into one period ``label`` (a
    quarter or a year is scored like a month, without averaging rates of unequal volume)."""
    g = values.groupby(["unit_group", "unit_code", "indicator_key"], as_index=False)[["numerator", "denominator"]].sum()
    g = g[g.denominator > 0]
    g["value"] = g["numerator"] / g["denominator"]
    g["month"] = label
    return g[["month", "unit_code", "indicator_key", "unit_group", "numerator", "denominator", "value"]]
