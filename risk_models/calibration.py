"""Lead levels that mean measured precision.

A lead's level is not its detector's raw score: it is the band of the estimated probability that a lead of
its kind is real, measured on the departments' verdicts (反馈 属实/部分属实/不属实 and 误报 dismissals) over
the last ``FEEDBACK_WINDOW_DAYS`` days once there are ``MIN_FEEDBACK`` of them, and otherwise on the latest
planted-truth backtest of the kind (``bianjian eval planted``, table ``derived_model_backtest``). The bands
are declared once, as precision targets, in ``LEVEL_TARGETS``; a kind with no measurement at all is capped
at ``UNCALIBRATED_LEVEL``, so no model is red before it has been shown to be right.

The estimate is the Beta(1, 1) posterior mean ``(hits + 1) / (n + 2)``: 9 correct of 9 reads 0.91, 3 of 7
reads 0.44, so a handful of lucky leads cannot make a kind red.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, select, update

from data_access.codes import GENERATED_LEAD_KINDS, LEAD_LEVELS
from data_access.schema import ModelBacktest, RiskLead

# Level → the probability that a lead is real it stands for (the lowest a lead of that level may have).
# Below the lowest band a signal is only 蓝 (关注: listed for analysts, not a warning).
LEVEL_TARGETS = (("RED", 0.8), ("ORANGE", 0.6), ("YELLOW", 0.4))
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


def level_of(probability: float | None) -> str:
    """The level whose precision target ``probability`` meets; ``None`` (never measured) is capped."""
    if probability is None:
        return UNCALIBRATED_LEVEL
    for level, floor in LEVEL_TARGETS:
        if probability >= floor:
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

    @property
    def probability(self) -> float:
        return (self.hits + 1) / (self.n + 2)

    @property
    def level(self) -> str:
        return level_of(self.probability)

    def basis(self) -> str:
        """One line for the lead page: what the level stands on."""
        rate = f"{self.hits / self.n:.0%}（{self.hits}/{self.n}）" if self.n else "—"
        if self.source == "feedback":
            return f"同类线索近{self.window_days}天核查属实率 {rate}"
        return f"同类线索回测精确率 {rate}（演示数据植入事件，尚无足够核查反馈）"


def feedback_precision(conn: Connection, as_of: dt.datetime | None = None, *,
                       window_days: int = FEEDBACK_WINDOW_DAYS) -> pd.DataFrame:
    """Department verdicts per lead kind × level over the window: ``kind, level, n, hits, precision``.

    A verdict is a feedback result (``feedback_at`` in the window) or a 误报 dismissal (``closed_at`` in
    the window); 属实 and 部分属实 count as right."""
    as_of = as_of or dt.datetime.now()
    since = as_of - dt.timedelta(days=window_days)
    r = RiskLead
    rows = conn.execute(select(r.kind, r.level, r.status, r.feedback_result, r.feedback_at, r.closed_at)
                        .where(((r.feedback_at >= since) & (r.feedback_at <= as_of) & r.feedback_result.is_not(None))
                               | ((r.status == DISMISSED_STATUS) & (r.closed_at >= since) & (r.closed_at <= as_of))))
    df = pd.DataFrame(rows.all(), columns=["kind", "level", "status", "result", "feedback_at", "closed_at"])
    if df.empty:
        return pd.DataFrame(columns=["kind", "level", "n", "hits", "precision"])
    df["hit"] = df["result"].isin(CORRECT_RESULTS) & (df["status"] != DISMISSED_STATUS)
    out = df.groupby(["kind", "level"], as_index=False).agg(n=("hit", "size"), hits=("hit", "sum"))
    out["precision"] = out["hits"] / out["n"]
    return out


def backtest_precision(conn: Connection) -> dict[str, KindPrecision]:
    """Lead precision per kind from the latest stored planted backtest (``n`` = its leads)."""
    b = ModelBacktest
    rows = pd.DataFrame(conn.execute(select(b.model, b.value, b.n, b.run_at, b.backtest_id).where(
        b.metric == "precision", b.dataset.like(f"{BACKTEST_DATASET_PREFIX}%"),
        b.model.in_(BACKTEST_MODEL_OF_LEAD_KIND.values()))).all(),
        columns=["model", "value", "n", "run_at", "backtest_id"])
    out = {}
    if rows.empty:
        return out
    latest = rows.sort_values(["run_at", "backtest_id"]).groupby("model").tail(1).set_index("model")
    for kind, model in BACKTEST_MODEL_OF_LEAD_KIND.items():
        if model in latest.index and latest.loc[model, "n"]:
            n = int(latest.loc[model, "n"])
            out[kind] = KindPrecision(kind, round(float(latest.loc[model, "value"]) * n), n, "backtest")
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
    return out


def level_for_kind(precisions: dict[str, KindPrecision], kind: str) -> str:
    p = precisions.get(kind)
    return p.level if p else UNCALIBRATED_LEVEL


def relevel_open_leads(conn: Connection) -> int:
    """Pipeline step ``lead_levels``: set every lead still 待研判 (not yet dispatched, whose deadlines do
    not depend on its level) of a model or rule kind to its kind's calibrated level. Returns the number
    changed."""
    precisions = kind_precisions(conn)
    changed = 0
    for kind in GENERATED_LEAD_KINDS:
        level = level_for_kind(precisions, kind)
        changed += conn.execute(update(RiskLead).where(RiskLead.kind == kind, RiskLead.status == "待研判",
                                                       RiskLead.level != level).values(level=level)).rowcount
    return changed


def level_basis(conn: Connection, kind: str) -> str | None:
    """The lead page's one line on what a lead's level stands on; ``None`` for kinds the pipeline does not
    level (demo history, provincial leads)."""
    if kind not in GENERATED_LEAD_KINDS:
        return None
    p = kind_precisions(conn).get(kind)
    if p is None:
        return "同类线索尚无核查反馈或回测结果，等级最高为黄色"
    return f"等级依据：{p.basis()}"


def bands_text() -> str:
    """The level bands in words, from ``LEVEL_TARGETS``."""
    bands = "，".join(f"{LEAD_LEVELS[level]} ≥ {floor:.0%}" for level, floor in LEVEL_TARGETS)
    return f"{bands}，低于{LEVEL_TARGETS[-1][1]:.0%}为{LEAD_LEVELS[WATCH_LEVEL]}（关注）"
