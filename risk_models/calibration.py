"""Lead levels that mean measured precision.

A lead's level is not its detector's raw score: it is the band of the estimated probability that a lead of
its kind is real, measured on the departments' verdicts (反馈 属实/部分属实/不属实 and 误报 dismissals) over
the last ``FEEDBACK_WINDOW_DAYS`` days once there are ``MIN_FEEDBACK`` of them, and otherwise on the latest
planted-truth backtest of the kind (``bianjian eval planted``, table ``derived_model_backtest``). The bands
are declared once, as precision targets, in ``LEVEL_TARGETS``; a kind with no measurement at all is capped
at ``UNCALIBRATED_LEVEL``, so no model is red before it has been shown to be right.

Evidence tiers: a detector may raise a lead on less evidence than it needs to be sure (a deteriorating entity at
its 2nd complaint, an unlicensed name at its 2nd report: ``EARLY_TIER``) and update the same lead when more
arrives (``FULL_TIER``). Precision is measured per kind × tier (backtest metric ``precision_<tier>``, feedback
by the tier in the lead's evidence), so an early lead appears at the level its evidence earns and rises
with it. A tier without a measurement of its own: the full tier stands on the kind's (backtests before tiers
measured that), an early one is capped at ``UNCALIBRATED_LEVEL`` and never above its kind.

A level is earned when the measured precision clears the level's target with posterior probability
``LEVEL_CONFIDENCE``: the lower ``1 - LEVEL_CONFIDENCE`` quantile of the Beta(1 + hits, 1 + misses) posterior
(uniform prior) must reach the target. Small samples therefore earn less than their rate: 16 right of 19
(84 %) is 橙, not 红 (the bound is 0.74), 41 of 50 (82 %) is 橙 too (0.76), 22 of 23 is 红 (0.88), and one lucky
lead is 黄 (0.45). The same rule holds for backtests and department feedback.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from scipy.stats import beta
from sqlalchemy import Connection, select, update

from data_access.codes import GENERATED_LEAD_KINDS, LEAD_LEVELS
from data_access.schema import ModelBacktest, RiskLead

# Level → the probability that a lead is real it stands for (the lowest a lead of that level may have).
# Below the lowest band a signal is only 蓝 (关注: listed for analysts, not a warning).
LEVEL_TARGETS = (("RED", 0.8), ("ORANGE", 0.6), ("YELLOW", 0.4))
# How sure the measurement must make us that a kind's precision meets a level's target: the posterior
# probability (Beta, uniform prior) that precision >= target. A one-sided 90 % bound, set on principle: on the
# tuning seeds (21-24, each left out in turn) every value from 0.5 to 0.95 gave the same red + orange
# precision, so they could not choose (docs/risk_leads.md § Small samples).
LEVEL_CONFIDENCE = 0.9
WATCH_LEVEL = "BLUE"
UNCALIBRATED_LEVEL = "YELLOW"  # the highest level of a kind nobody has measured yet
FEEDBACK_WINDOW_DAYS = 90
MIN_FEEDBACK = 20  # department verdicts on a kind before they override its backtest
CORRECT_RESULTS = ("属实", "部分属实")  # a lead worth checking; 不属实 and 误报 are not
DISMISSED_STATUS = "误报"
# Lead kind → the model name its planted backtest is stored under (risk_models.backtest.MODEL_OF_KIND).
BACKTEST_MODEL_OF_LEAD_KIND = {"spike": "SpikeDetector", "trend": "TrendDetector", "entity": "DeteriorationDetector",
                               "unlicensed": "UnlicensedRule"}
BACKTEST_DATASET_PREFIX = "演示仓库植入事件"
EARLY_TIER, FULL_TIER = "early", "full"  # evidence tiers, in order
TIER_NAMES = {EARLY_TIER: "早期证据", FULL_TIER: "充分证据"}
TIERED_KINDS = ("entity", "unlicensed")  # kinds whose leads carry an evidence tier (deterioration, unlicensed rule)
LEVEL_ORDER = [level for level, _ in LEVEL_TARGETS] + [WATCH_LEVEL]  # highest first


def highest(levels) -> str:
    """The highest of ``levels`` (红 > 橙 > 黄 > 蓝)."""
    return min(levels, key=LEVEL_ORDER.index)


def precision_key(kind: str, tier: str | None = None) -> str:
    """Key of a kind's (or a kind × tier's) measured precision in :func:`kind_precisions`."""
    return kind if tier is None else f"{kind}:{tier}"


def level_of(precision: float | None) -> str:
    """The highest level whose precision target ``precision`` (a credible lower bound) meets; ``None`` (never
    measured) is capped at ``UNCALIBRATED_LEVEL``."""
    if precision is None:
        return UNCALIBRATED_LEVEL
    for level, floor in LEVEL_TARGETS:
        if precision >= floor:
            return level
    return WATCH_LEVEL


@dataclass(frozen=True)
class KindPrecision:
    """How often leads of one kind were right, and on what evidence (``source``: feedback / backtest)."""

    kind: str
    hits: int
    n: int
    source: str
    window_days: int | None = None
    tier: str | None = None
    confidence: float = LEVEL_CONFIDENCE  # posterior probability with which a level's target must be met

    @property
    def lower(self) -> float:
        """The precision the leads reach with posterior probability ``confidence``: the lower
        ``1 - confidence`` quantile of Beta(1 + hits, 1 + misses)."""
        return float(beta.ppf(1 - self.confidence, self.hits + 1, self.n - self.hits + 1))

    @property
    def level(self) -> str:
        return level_of(self.lower)

    def basis(self) -> str:
        """One line for the lead page: what the level stands on, and why that level (in plain Chinese)."""
        rate = f"{self.hits / self.n:.0%}（{self.hits}/{self.n}）" if self.n else "—"
        same = f"同类{TIER_NAMES[self.tier]}线索" if self.tier else "同类线索"
        measured = (f"{same}近{self.window_days}天核查属实率 {rate}" if self.source == "feedback"
                    else f"{same}回测精确率 {rate}")
        line = f"{measured}，考虑样本量，有{self.confidence:.0%}的把握不低于 {self.lower:.0%}，{_verdict(self.level)}"
        return line if self.source == "feedback" else f"{line}（演示数据植入事件，尚无足够核查反馈）"


def _verdict(level: str) -> str:
    """Why a measured kind has ``level``: the target it meets and the next one it misses (e.g. 达到橙色要求
    （≥60%），未达红色要求（≥80%）)."""
    targets = dict(LEVEL_TARGETS)
    higher = LEVEL_ORDER[LEVEL_ORDER.index(level) - 1] if LEVEL_ORDER.index(level) else None
    missed = f"未达{LEAD_LEVELS[higher]}色要求（≥{targets[higher]:.0%}）" if higher else ""
    if level == WATCH_LEVEL:
        return f"{missed}，列为{LEAD_LEVELS[WATCH_LEVEL]}色（关注）"
    met = f"达到{LEAD_LEVELS[level]}色要求（≥{targets[level]:.0%}）"
    return f"{met}，{missed}" if missed else met


def feedback_precision(conn: Connection, as_of: dt.datetime | None = None, *,
                       window_days: int = FEEDBACK_WINDOW_DAYS) -> pd.DataFrame:
    """Department verdicts per lead kind × level over the window: ``kind, level, tier, n, hits, precision``
    (``tier``: the evidence tier the lead stood on, from its evidence; ``""`` for leads without one).

    A verdict is a feedback result (``feedback_at`` in the window) or a 误报 dismissal (``closed_at`` in
    the window); 属实 and 部分属实 count as right."""
    as_of = as_of or dt.datetime.now()
    since = as_of - dt.timedelta(days=window_days)
    r = RiskLead
    rows = conn.execute(select(r.kind, r.level, r.status, r.feedback_result, r.feedback_at, r.closed_at, r.evidence)
                        .where(((r.feedback_at >= since) & (r.feedback_at <= as_of) & r.feedback_result.is_not(None))
                               | ((r.status == DISMISSED_STATUS) & (r.closed_at >= since) & (r.closed_at <= as_of))))
    df = pd.DataFrame(rows.all(), columns=["kind", "level", "status", "result", "feedback_at", "closed_at",
                                           "evidence"])
    if df.empty:
        return pd.DataFrame(columns=["kind", "level", "tier", "n", "hits", "precision"])
    df["tier"] = [(e.get("tier") or "") if isinstance(e, dict) else "" for e in df["evidence"]]
    df["hit"] = df["result"].isin(CORRECT_RESULTS) & (df["status"] != DISMISSED_STATUS)
    out = df.groupby(["kind", "level", "tier"], as_index=False).agg(n=("hit", "size"), hits=("hit", "sum"))
    out["precision"] = out["hits"] / out["n"]
    return out


def tier_metric(tier: str) -> str:
    """The backtest metric holding a tier's lead precision."""
    return f"precision_{tier}"


def backtest_precision(conn: Connection) -> dict[str, KindPrecision]:
    """Lead precision per kind, and per kind × evidence tier (:func:`precision_key`), from the latest stored
    planted backtest of the kind (``n`` = its leads)."""
    b = ModelBacktest
    metrics = {"precision": None, **{tier_metric(t): t for t in TIER_NAMES}}
    rows = pd.DataFrame(conn.execute(select(b.model, b.metric, b.value, b.n, b.run_id, b.run_at, b.backtest_id).where(
        b.metric.in_(metrics), b.dataset.like(f"{BACKTEST_DATASET_PREFIX}%"),
        b.model.in_(BACKTEST_MODEL_OF_LEAD_KIND.values()))).all(),
        columns=["model", "metric", "value", "n", "run_id", "run_at", "backtest_id"])
    out = {}
    if rows.empty:
        return out
    last_run = rows.sort_values(["run_at", "backtest_id"]).groupby("model")["run_id"].last()
    latest = rows[rows["run_id"] == rows["model"].map(last_run)]
    kind_of = {model: kind for kind, model in BACKTEST_MODEL_OF_LEAD_KIND.items()}
    for r in latest.itertuples():
        if r.n:
            kind, tier, n = kind_of[r.model], metrics[r.metric], int(r.n)
            out[precision_key(kind, tier)] = KindPrecision(kind, round(float(r.value) * n), n, "backtest", tier=tier)
    return out


def kind_precisions(conn: Connection, as_of: dt.datetime | None = None) -> dict[str, KindPrecision]:
    """The precision each kind's level is set from: feedback when there are ``MIN_FEEDBACK`` verdicts in
    the window, else the latest backtest; kinds with neither are absent (capped at ``UNCALIBRATED_LEVEL``)."""
    out = backtest_precision(conn)
    fb = feedback_precision(conn, as_of)
    for kind, g in fb.groupby("kind"):
        n, hits = int(g["n"].sum()), int(g["hits"].sum())
        if n >= MIN_FEEDBACK:
            out[str(kind)] = KindPrecision(str(kind), hits, n, "feedback", FEEDBACK_WINDOW_DAYS)
    for (kind, tier), g in fb[fb["tier"] != ""].groupby(["kind", "tier"]):
        n, hits = int(g["n"].sum()), int(g["hits"].sum())
        if n >= MIN_FEEDBACK:
            out[precision_key(str(kind), str(tier))] = KindPrecision(str(kind), hits, n, "feedback",
                                                                     FEEDBACK_WINDOW_DAYS, tier=str(tier))
    return out


def precision_for(precisions: dict[str, KindPrecision], kind: str, tier: str | None = None) -> KindPrecision | None:
    """The measurement a lead of ``kind`` at evidence ``tier`` is levelled on: the tier's own, else (full
    tier or none) the kind's; ``None`` when there is none."""
    p = precisions.get(precision_key(kind, tier)) if tier else None
    if p is None and tier in (None, FULL_TIER):
        p = precisions.get(kind)
    return p


def level_for_kind(precisions: dict[str, KindPrecision], kind: str, tier: str | None = None) -> str:
    """The calibrated level of a lead of ``kind`` at evidence ``tier``; an early tier never measured is capped
    at ``UNCALIBRATED_LEVEL`` and at its kind's level."""
    p = precision_for(precisions, kind, tier)
    if p is not None:
        return p.level
    if kind in precisions:  # an early tier never measured: at most 黄, and not above its kind
        return max(precisions[kind].level, UNCALIBRATED_LEVEL, key=LEVEL_ORDER.index)
    return UNCALIBRATED_LEVEL


def relevel_open_leads(conn: Connection) -> int:
    """Pipeline step ``lead_levels``: set every lead still 待研判 (not yet dispatched, whose deadlines do
    not depend on its level) of a model or rule kind to its calibrated level (kind × evidence tier; a lead
    merging several signals on one entity, the highest of its parts'). Returns the number changed."""
    precisions = kind_precisions(conn)
    changed = 0
    for lead_id, kind, level, evidence in conn.execute(
            select(RiskLead.lead_id, RiskLead.kind, RiskLead.level, RiskLead.evidence)
            .where(RiskLead.kind.in_(GENERATED_LEAD_KINDS), RiskLead.status == "待研判")).all():
        new = lead_level(precisions, kind, evidence)
        if new != level:
            changed += conn.execute(update(RiskLead).where(RiskLead.lead_id == lead_id).values(level=new)).rowcount
    return changed


def lead_level(precisions: dict[str, KindPrecision], kind: str, evidence: dict | None) -> str:
    """A stored lead's calibrated level: its kind × tier (``evidence.tier``), or the highest of its parts'
    (``evidence.signals``: the signals on one entity merged into one lead, :mod:`risk_models.lead_writer`)."""
    evidence = evidence if isinstance(evidence, dict) else {}
    parts = evidence.get("signals") or {}
    if parts:
        return highest(level_for_kind(precisions, k, (p or {}).get("tier")) for k, p in parts.items())
    return level_for_kind(precisions, kind, evidence.get("tier"))


def level_basis(conn: Connection, kind: str, evidence: dict | None = None, *, level: str | None = None,
                status: str | None = None) -> str | None:
    """The lead page's one line on what a lead's level stands on; ``None`` for kinds the pipeline does not
    level (demo history, provincial leads). With the lead's stored ``level`` and ``status``: when today's
    calibration gives another level, the line says so (a dispatched lead keeps the level it was dispatched
    at; one still 待研判 moves at the next ``lead_levels`` run)."""
    if kind not in GENERATED_LEAD_KINDS:
        return None
    evidence = evidence if isinstance(evidence, dict) else {}
    precisions = kind_precisions(conn)
    parts = evidence.get("signals") or {kind: evidence}
    lines = []
    for k, part in parts.items():
        tier = (part or {}).get("tier")
        p = precision_for(precisions, k, tier)
        name = GENERATED_LEAD_KINDS.get(k, k)
        if p is None:
            lines.append(f"{name}：同类线索尚无核查反馈或回测结果，等级最高为黄色")
        else:
            lines.append(f"{name}：{p.basis()}")
    line = "等级依据：" + (lines[0].split("：", 1)[1] if len(lines) == 1 else "；".join(lines))
    now = lead_level(precisions, kind, evidence)
    if level is None or level == now:
        return line
    if status == "待研判":
        return f"{line}。按当前校准应为{LEAD_LEVELS[now]}色，下次流水线运行时更新"
    return f"{line}。本线索的{LEAD_LEVELS[level]}色是研判、转办时所定，此后不再变动（按当前校准为{LEAD_LEVELS[now]}色）"


def bands_text() -> str:
    """The level bands and the rule that earns them, in words, from ``LEVEL_TARGETS`` and ``LEVEL_CONFIDENCE``."""
    bands = "，".join(f"{LEAD_LEVELS[level]}色 ≥ {floor:.0%}" for level, floor in LEVEL_TARGETS)
    return (f"定级规则：按有{LEVEL_CONFIDENCE:.0%}把握能达到的属实率定级（核查或回测的条数越少，实测属实率须越高才能定为"
            f"同一等级）：{bands}，低于{LEVEL_TARGETS[-1][1]:.0%}为{LEAD_LEVELS[WATCH_LEVEL]}色（关注）")
