"""Risk-lead generation: model signals (spikes, trends, entity risk) and rule signals → ``derived_risk_lead``.

Each signal generator reads the warehouse *as of* the last day with complaints (data up to that day only)
and returns :class:`Signal` objects; :class:`LeadWriter` turns them into leads: level from the kind's
measured precision (:mod:`risk_models.calibration`), dedupe
by ``lead_key`` against open leads (an open lead is updated in place and gets an "更新" event; a closed one
is followed by a new lead ``<key>#<n>`` only when the signal's episode is new). Demo history leads
(kind ``history``) and provincial leads are never touched. The pipeline steps at the bottom run after
``daily_counts``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import beta
from sqlalchemy import Connection, delete, func, insert, select, update

from data_access import bulk, codes, queries
from data_access.reference import DEPT_CODE_BY_KEY, county_government_code
from data_access.schema import (
    CreditGrade,
    CreditList,
    DailyComplaintCount,
    EntityRiskScore,
    HotlineCategory,
    HotlineTicket,
    Inspection,
    Penalty,
    RegItem,
    RiskLead,
    RiskLeadEvent,
    Subject,
)
from risk_models import calibration, spike_bands
from risk_models.entity_risk import EntityRiskModel
from risk_models.spikes import SpikeDetector, detect_spikes_frame
from risk_models.trends import TrendDetector, detect_trends_frame

CLOSED_STATUSES = ("已办结", "误报")
ACTOR = "风险线索模型"
TOP_COMPLAINTS = 10  # complaints (latest first) kept in a lead's evidence
SERIES_DAYS = 56  # days of the daily series (with forecast band) kept in a spike lead's evidence
# Lowest forecast upper bound a spike lead divides by (a quiet series' band can sit near 0); the evidence
# series and the stored band (derived_spike_band) use the same floor, so the reason's 预测上限 is the value the
# chart shows.
UPPER_FLOOR = 0.5


@dataclass
class Signal:
    """One candidate lead. ``key`` names the target (dedupe); ``episode`` names this occurrence of it."""

    key: str
    kind: str
    score: float  # in [0, 1]; orders leads within a level (the level is the kind's measured precision)
    title: str
    reason: str
    episode: str
    evidence: dict[str, Any] = field(default_factory=dict)
    region_code: str | None = None
    category_code: str | None = None
    subject_uscc: str | None = None
    dept_code: str | None = None
    co_dept_codes: str | None = None


# The kinds of lead the pipeline's model and rule steps write (the demo's ``history`` and imported
# ``provincial`` leads are not theirs and keep their levels).
GENERATED_KINDS = tuple(codes.GENERATED_LEAD_KINDS)


class LeadWriter:
    """Writes signals as leads at their kind's calibrated level (:mod:`risk_models.calibration`: how often
    leads of that kind proved right, not the signal's raw score); dedupes by ``lead_key``.

    Parameters
    ----------
    precisions : dict of kind → :class:`calibration.KindPrecision`, optional
        The measured precision per kind; read from the warehouse (feedback, else the stored backtest) when
        omitted.
    """

    def __init__(self, *, precisions: dict[str, calibration.KindPrecision] | None = None):
        self.precisions = precisions

    def write(self, conn: Connection, signals: list[Signal], *, now: dt.datetime | None = None) -> int:
        """Insert new leads and update open ones; returns the number of leads inserted or updated."""
        now = now or dt.datetime.now().replace(microsecond=0)
        if not signals:
            return 0
        precisions = self.precisions if self.precisions is not None else calibration.kind_precisions(conn, now)
        kinds = sorted({s.kind for s in signals})
        family: dict[str, list] = {}
        for row in conn.execute(select(RiskLead.lead_id, RiskLead.lead_key, RiskLead.status, RiskLead.version)
                                .where(RiskLead.kind.in_(kinds)).order_by(RiskLead.lead_id)):
            family.setdefault(row.lead_key.split("#", 1)[0], []).append(row)
        written = 0
        for s in signals:
            evidence = _plain({**s.evidence, "episode": s.episode})
            score = round(float(s.score), 4)
            known = family.get(s.key, [])
            latest = known[-1] if known else None
            if latest is not None and latest.status not in CLOSED_STATUSES:
                written += self._update(conn, latest, s, score, evidence, now,
                                        calibration.level_for_kind(precisions, s.kind))
                continue
            if latest is not None:
                old = conn.execute(select(RiskLead.evidence).where(RiskLead.lead_id == latest.lead_id)).scalar_one()
                if (old or {}).get("episode") == s.episode:
                    continue  # this occurrence was already handled and closed
            key = s.key if latest is None else f"{s.key}#{len(known) + 1}"
            conn.execute(insert(RiskLead).values(
                lead_key=key, kind=s.kind, level=calibration.level_for_kind(precisions, s.kind), score=score,
                title=s.title[:200],
                reason=s.reason, evidence=evidence, region_code=s.region_code, category_code=s.category_code,
                subject_uscc=s.subject_uscc, dept_code=s.dept_code, co_dept_codes=s.co_dept_codes,
                status="待研判", created_at=now, updated_at=now, version=1))
            written += 1
        return written

    def _update(self, conn, latest, s: Signal, score, evidence, now, level: str) -> int:
        cur = conn.execute(select(RiskLead.score, RiskLead.reason, RiskLead.evidence)
                           .where(RiskLead.lead_id == latest.lead_id)).one()
        if cur.score == score and cur.reason == s.reason and cur.evidence == evidence:
            return 0
        values = {"score": score, "reason": s.reason, "evidence": evidence, "title": s.title[:200],
                  "updated_at": now, "version": latest.version + 1}
        if latest.status == "待研判":  # a dispatched lead keeps the level its deadlines were set from
            values["level"] = level
        done = conn.execute(update(RiskLead).where(RiskLead.lead_id == latest.lead_id,
                                                   RiskLead.version == latest.version).values(**values))
        if done.rowcount != 1:
            return 0  # someone acted on the lead meanwhile; the next run updates it
        conn.execute(insert(RiskLeadEvent).values(
            lead_id=latest.lead_id, from_status=latest.status, to_status=latest.status, actor=ACTOR, at=now,
            note=f"更新：{s.reason}", action="update", detail={"score": score}))
        return 1


def _plain(obj: Any) -> Any:
    """JSON-safe copy (numpy scalars, dates, NaN → None), so stored and fresh evidence compare equal."""
    def default(o):
        if isinstance(o, np.integer):
            return int(o)
        if isinstance(o, np.floating):
            return None if np.isnan(o) else round(float(o), 4)
        if isinstance(o, (dt.date, dt.datetime, pd.Timestamp)):
            return o.isoformat()
        raise TypeError(type(o))

    def clean(o):
        if isinstance(o, float):
            return None if np.isnan(o) else round(o, 4)
        if isinstance(o, dict):
            return {str(k): clean(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [clean(v) for v in o]
        return o

    return clean(json.loads(json.dumps(obj, default=default, ensure_ascii=False)))


# ------------------------------------------------------------------------------------------ warehouse reads


def data_as_of(conn: Connection) -> dt.date | None:
    """The last day with complaint counts: every signal is computed from data up to this day."""
    return conn.execute(select(func.max(DailyComplaintCount.day))).scalar_one()


def daily_frame(conn: Connection, as_of: dt.date | None = None) -> pd.DataFrame:
    """``district, category, date, count`` up to ``as_of``; every series starts at the first day of the
    warehouse (zero-filled), so a series is not judged on a truncated history."""
    stmt = select(DailyComplaintCount.region_code, DailyComplaintCount.category_code, DailyComplaintCount.day,
                  DailyComplaintCount.n)
    if as_of is not None:
        stmt = stmt.where(DailyComplaintCount.day <= as_of)
    df = queries.frame(conn, stmt, ["district", "category", "date", "count"])
    if df.empty:
        return df
    df["date"] = pd.to_datetime(df["date"])
    starts = df.groupby(["district", "category"], as_index=False).size()[["district", "category"]]
    starts["date"], starts["count"] = df["date"].min(), 0
    return pd.concat([df, starts], ignore_index=True)


def names(conn: Connection) -> tuple[dict[str, str], dict[str, str]]:
    """Region and category names by code."""
    regions = {c.code: c.name for c in codes.COUNTIES}
    cats = dict(conn.execute(select(HotlineCategory.cat_code, HotlineCategory.name)).all())
    return regions, cats


def category_departments(conn: Connection, category_code: str, region_code: str | None) -> tuple[str, str | None]:
    """Responsible department (and co-departments) of a 12345 category by the catalogue rule 谁主管谁监管:
    the departments of the claimed items in force linked to the category (most items first); without any,
    the category's default department (LOCAL → the county government)."""
    rows = conn.execute(select(RegItem.dept_code, func.count()).where(
        RegItem.hotline_category_code == category_code, RegItem.valid_to.is_(None), RegItem.claimed.is_(True))
        .group_by(RegItem.dept_code).order_by(func.count().desc(), RegItem.dept_code)).all()
    if rows:
        depts = [r[0] for r in rows]
        return depts[0], ",".join(depts[1:]) or None
    key = conn.execute(select(HotlineCategory.default_dept_key)
                       .where(HotlineCategory.cat_code == category_code)).scalar_one_or_none()
    if key == "LOCAL" and region_code:
        return county_government_code(region_code), None
    return DEPT_CODE_BY_KEY.get(key or "", DEPT_CODE_BY_KEY[codes.DEFAULT_SUBJECT_DEPT_KEY]), None


def subject_department(industry_code: str | None, has_food_permit: bool) -> str:
    """Supervising department of an entity: food permit → 市场监管, else by industry (codes.INDUSTRY_DEPT_KEYS)."""
    key = codes.DEFAULT_SUBJECT_DEPT_KEY if has_food_permit else codes.INDUSTRY_DEPT_KEYS.get(
        industry_code or "", codes.DEFAULT_SUBJECT_DEPT_KEY)
    return DEPT_CODE_BY_KEY[key]


def complaints(conn: Connection, *conditions, start: dt.date, end: dt.date, limit: int = TOP_COMPLAINTS) -> list[dict]:
    """The latest complaints matching ``conditions`` accepted in [start, end] (evidence rows)."""
    t = HotlineTicket
    rows = conn.execute(select(t.ticket_id, t.order_no, t.accepted_at, t.title, t.content).where(
        *conditions, t.accepted_at >= dt.datetime.combine(start, dt.time()),
        t.accepted_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
        .order_by(t.accepted_at.desc(), t.ticket_id.desc()).limit(limit)).all()
    return [{"ticket_id": r.ticket_id, "order_no": r.order_no, "accepted_at": r.accepted_at.isoformat(sep=" "),
             "title": r.title, "content": r.content[:200]} for r in rows]


# -------------------------------------------------------------------------------------------------- spikes


SPIKE_COLUMNS = ["district", "category", "date", "count", "expected", "lower", "upper", "score", "alarm", "method"]


# An alarm on a county × category series needs at least this many complaints that day. The detector's
# generic default (3, kept for the NAB benchmark, where 5 costs Twitter_volume_UPS 57.2 -> 33.8) marked 34-44
# alarm days on the scale-0.05 demos (seeds 11/12/13) at alarm-day precision 0.25-0.32, mostly days of 3-4
# complaints in quiet series; at 5 there were 10-12 at precision 0.67-0.92 and the same spike leads, 4 of 28
# a day or two later (docs/risk_leads.md).
COMPLAINT_MIN_COUNT = 5.0


def complaint_detector() -> SpikeDetector:
    """The spike detector the pipeline and the backtest run on complaint counts."""
    return SpikeDetector(min_count=COMPLAINT_MIN_COUNT)


def city_spikes(frame: pd.DataFrame, *, detector: SpikeDetector | None = None, n_jobs: int = 2) -> pd.DataFrame:
    """Online spike detection (:func:`complaint_detector`) over every county × category series
    (``daily_frame`` output), every day.

    Series whose largest daily count is below the detector's ``min_count`` cannot alarm and are skipped.
    """
    det = detector or complaint_detector()
    if frame.empty:
        return pd.DataFrame(columns=SPIKE_COLUMNS)
    peak = frame.groupby(["district", "category"])["count"].transform("max")
    eligible = frame[peak >= det.min_count]
    if eligible.empty:
        return pd.DataFrame(columns=SPIKE_COLUMNS)
    return detect_spikes_frame(eligible, detector=det, complete=True, n_jobs=n_jobs)


class SpikeLeadRule:
    """When detector alarms become a spike lead: the complaints above the series' usual level (the mean
    of the ``baseline_days`` before the alarm), summed from an alarm day over at most ``confirm_days``
    days, must reach ``min_excess``. A lone day of three complaints in a quiet series alarms the detector
    but asks nothing of a department; a burst that keeps coming does. The lead is raised on the day the
    sum gets there (``lead_day``: at most ``confirm_days - 1`` days after the alarm). Alarms less than
    ``gap_days`` apart form one episode, i.e. one lead."""

    def __init__(self, *, min_excess=8.0, confirm_days=3, baseline_days=28, gap_days=7):
        self.min_excess = min_excess
        self.confirm_days = confirm_days
        self.baseline_days = baseline_days
        self.gap_days = gap_days

    def episodes(self, result: pd.DataFrame) -> pd.DataFrame:
        """Lead episodes in ``city_spikes`` output (every day up to the data's last day): one row per
        episode that qualifies, with ``first_alarm``, ``lead_day``, ``last_alarm``, ``baseline`` and
        ``excess`` (the sum on ``lead_day``). Each row uses data up to its ``lead_day`` only."""
        rows = []
        for (region, cat), g in result[result["alarm"] == 1].groupby(["district", "category"]):
            series = result[(result["district"] == region) & (result["category"] == cat)].set_index("date")["count"]
            days = list(g["date"].sort_values())
            episodes, current = [], [days[0]]
            for d in days[1:]:
                if (d - current[-1]).days < self.gap_days:
                    current.append(d)
                else:
                    episodes.append(current)
                    current = [d]
            episodes.append(current)
            for alarms in episodes:
                for a in alarms:
                    base = series[(series.index >= a - pd.Timedelta(days=self.baseline_days)) & (series.index < a)]
                    level = float(base.mean()) if len(base) else 0.0
                    window = series[(series.index >= a) & (series.index < a + pd.Timedelta(days=self.confirm_days))]
                    excess = (window - level).cumsum()
                    reached = excess[excess >= self.min_excess]
                    if not reached.empty:
                        rows.append({"district": region, "category": cat, "first_alarm": alarms[0],
                                     "lead_day": reached.index[0], "last_alarm": alarms[-1], "baseline": level,
                                     "excess": float(reached.iloc[0])})
                        break
        return pd.DataFrame(rows, columns=["district", "category", "first_alarm", "lead_day", "last_alarm",
                                           "baseline", "excess"])


def spike_signals(conn: Connection, result: pd.DataFrame, as_of: dt.date, *, lookback_days: int = 7,
                  rule: SpikeLeadRule | None = None) -> list[Signal]:
    """One signal per series with a lead episode (:class:`SpikeLeadRule`) raised or still alarming in the
    ``lookback_days`` up to ``as_of``; ``result`` must hold no day after ``as_of``."""
    regions, cats = names(conn)
    start = pd.Timestamp(as_of) - pd.Timedelta(days=lookback_days - 1)
    episodes = (rule or SpikeLeadRule()).episodes(result[result["date"] <= pd.Timestamp(as_of)])
    episodes = episodes[episodes[["lead_day", "last_alarm"]].max(axis=1) >= start]
    out = []
    for e in episodes.itertuples():
        region, cat = e.district, e.category
        g = result[(result["district"] == region) & (result["category"] == cat)
                   & (result["date"] >= min(start, e.first_alarm)) & (result["date"] <= pd.Timestamp(as_of))]
        alarms = g[(g["alarm"] == 1) & (g["date"] >= e.first_alarm)]
        peak = alarms.loc[alarms["count"].idxmax()]
        upper = _floored_upper(peak["upper"]) if np.isfinite(peak["upper"]) else UPPER_FLOOR
        ratio = float(peak["count"]) / upper
        n_recent = int(g.loc[g["date"] >= start, "count"].sum())
        series = result[(result["district"] == region) & (result["category"] == cat)
                        & (result["date"] > pd.Timestamp(as_of) - pd.Timedelta(days=SERIES_DAYS))]
        rname, cname = regions.get(region, region), cats.get(cat, cat)
        dept, co = category_departments(conn, cat, region)
        first = e.first_alarm.date()
        out.append(Signal(
            key=f"spike:{region}:{cat}", kind="spike", score=1 - 0.5 / max(ratio, 1.0),
            title=f"{rname}{cname}投诉激增",
            reason=(f"近{lookback_days}日{rname}{cname}投诉{n_recent}件，{peak['date']:%m月%d日}当日{int(peak['count'])}件，"
                    f"为预测上限（{upper:.1f}件）的{ratio:.1f}倍"),
            episode=first.isoformat(), region_code=region, category_code=cat, dept_code=dept, co_dept_codes=co,
            evidence={
                "signal": {"model": "SpikeDetector", "method": peak["method"], "first_alarm_day": first,
                           "alarm_days": [d.date() for d in alarms["date"]], "peak_day": peak["date"].date(),
                           "peak": int(peak["count"]), "expected": float(peak["expected"]), "upper": upper,
                           "ratio": ratio, "count_recent": n_recent, "lookback_days": lookback_days,
                           "lead_day": e.lead_day.date(), "baseline": e.baseline, "excess": e.excess},
                "series": [{"day": r.date.date(), "n": int(r.count), "expected": r.expected, "lower": r.lower,
                            "upper": _floored_upper(r.upper), "alarm": int(r.alarm)} for r in series.itertuples()],
                "complaints": complaints(conn, HotlineTicket.region_code == region,
                                         HotlineTicket.category_code == cat, start=start.date(), end=as_of)}))
    return out


def _floored_upper(upper: float) -> float:
    """``upper`` raised to ``UPPER_FLOOR``; a missing forecast (warm-up days) stays missing."""
    return max(float(upper), UPPER_FLOOR) if np.isfinite(upper) else float("nan")


# -------------------------------------------------------------------------------------------------- trends


def trend_signals(conn: Connection, frame: pd.DataFrame, as_of: dt.date, *, weeks: int = 26,
                  detector: TrendDetector | None = None) -> list[Signal]:
    """One signal per county × category with a significant rising trend over the last ``weeks`` complete
    weeks (Mann-Kendall + Sen slope, Benjamini-Hochberg across all series)."""
    if frame.empty:
        return []
    res = detect_trends_frame(frame, window=weeks, detector=detector)
    regions, cats = names(conn)
    weekly = frame.assign(week=frame["date"].dt.to_period("W")).groupby(["district", "category", "week"])["count"].sum()
    quarter = f"{as_of.year}Q{(as_of.month - 1) // 3 + 1}"
    out = []
    for r in res[res["rising"]].itertuples():
        rname, cname = regions.get(r.district, r.district), cats.get(r.category, r.category)
        w = weekly.loc[(r.district, r.category)]
        w = w.reindex(pd.period_range(end=pd.Period(as_of, "W") - 1, periods=weeks, freq="W"), fill_value=0)
        dept, co = category_departments(conn, r.category, r.district)
        growth = r.slope * weeks / max(r.level, 1.0)
        out.append(Signal(
            key=f"trend:{r.district}:{r.category}", kind="trend", score=1 - 0.5 / max(1.0 + growth, 1.0),
            title=f"{rname}{cname}投诉持续上升",
            reason=(f"近{weeks}周{rname}{cname}投诉量持续上升：每周增加{r.slope:.1f}件（95%置信区间"
                    f"{r.slope_low:.1f}～{r.slope_high:.1f}件），{weeks}周累计增幅约{growth:.0%}，"
                    f"多重检验校正后q={r.q_value:.3f}"),
            episode=quarter, region_code=r.district, category_code=r.category, dept_code=dept, co_dept_codes=co,
            evidence={
                "signal": {"model": "TrendDetector", "weeks": weeks, "slope": r.slope, "slope_low": r.slope_low,
                           "slope_high": r.slope_high, "q_value": r.q_value, "p_value": r.p_value,
                           "relative_slope": r.relative_slope},
                "series": [{"day": p.start_time.date(), "n": int(v)} for p, v in w.items()],
                "complaints": complaints(conn, HotlineTicket.region_code == r.district,
                                         HotlineTicket.category_code == r.category,
                                         start=as_of - dt.timedelta(days=27), end=as_of)}))
    return out


# ----------------------------------------------------------------------------------------------- entities

ENTITY_FEATURES = ["complaints_90", "complaints_365", "inspections_prior", "problems_prior", "problem_rate_prior",
                   "days_since_inspection", "last_had_problem", "penalties_prior", "penalties_365",
                   "abnormal_list", "serious_list", "credit_grade", "licence_age_days", "industry_code",
                   "subject_type", "has_food_permit"]
_GRADE_ORDINAL = {"A": 1.0, "B": 2.0, "C": 3.0, "D": 4.0}
_GRADE_LETTER = {v: k for k, v in _GRADE_ORDINAL.items()}


@dataclass
class EntityTables:
    """The warehouse rows the entity features are built from (read once)."""

    subjects: pd.DataFrame
    tickets: pd.DataFrame
    inspections: pd.DataFrame
    penalties: pd.DataFrame
    lists: pd.DataFrame
    grades: pd.DataFrame


def load_entity_tables(conn: Connection) -> EntityTables:
    def frame(stmt, columns):
        return pd.DataFrame(conn.execute(stmt).all(), columns=columns)

    s = frame(select(Subject.uscc, Subject.name, Subject.region_code, Subject.industry_code, Subject.subject_type,
                     Subject.status, Subject.reg_date, Subject.has_food_permit),
              ["uscc", "name", "region_code", "industry_code", "subject_type", "status", "reg_date", "has_food_permit"])
    t = frame(select(HotlineTicket.subject_uscc, func.date(HotlineTicket.accepted_at))
              .where(HotlineTicket.subject_uscc.is_not(None)), ["uscc", "day"])
    i = frame(select(Inspection.inspection_id, Inspection.subject_uscc, Inspection.check_date, Inspection.has_problem),
              ["inspection_id", "uscc", "day", "has_problem"])
    p = frame(select(Penalty.subject_uscc, Penalty.decided_at), ["uscc", "day"])
    cl = frame(select(CreditList.subject_uscc, CreditList.list_type, CreditList.in_date, CreditList.out_date),
               ["uscc", "list_type", "in_date", "out_date"])
    g = frame(select(CreditGrade.subject_uscc, CreditGrade.grade, CreditGrade.evaluated_on), ["uscc", "grade", "day"])
    for df, cols in ((s, ["reg_date"]), (t, ["day"]), (i, ["day"]), (p, ["day"]), (cl, ["in_date", "out_date"]),
                     (g, ["day"])):
        for c in cols:
            df[c] = pd.to_datetime(df[c])
    i["has_problem"] = i["has_problem"].astype(bool)
    return EntityTables(s, t, i, p, cl, g)


class _Events:
    """Events of one kind per entity, sorted, for vectorised "how many before day d" queries."""

    _SPAN = 1_000_000  # > any day number

    def __init__(self, keys: pd.Series, days: pd.Series, index: dict[str, int]):
        k = keys.map(index).fillna(-1).to_numpy(np.int64)
        d = (days.to_numpy("datetime64[D]").astype(np.int64))
        order = np.argsort(k * self._SPAN + d, kind="stable")
        self.order = order
        self.comp = (k * self._SPAN + d)[order]

    def before(self, qk: np.ndarray, qd: np.ndarray, window: int | None = None) -> np.ndarray:
        """Per query: number of events with day in [d - window, d) (all before d when window is None)."""
        hi = np.searchsorted(self.comp, qk * self._SPAN + qd, "left")
        lo = np.searchsorted(self.comp, qk * self._SPAN + (qd - window if window else 0), "left")
        return hi - lo

    def last_index(self, qk: np.ndarray, qd: np.ndarray) -> np.ndarray:
        """Position (in the original rows) of the last event before d, or -1."""
        pos = np.searchsorted(self.comp, qk * self._SPAN + qd, "left") - 1
        ok = (pos >= 0) & (self.comp[np.maximum(pos, 0)] // self._SPAN == qk)
        return np.where(ok, self.order[np.maximum(pos, 0)], -1)


def entity_features(tables: EntityTables, uscc: pd.Series, day: pd.Series) -> pd.DataFrame:
    """Features of entity ``uscc[i]`` as known strictly before ``day[i]`` (no look-ahead)."""
    index = {u: j for j, u in enumerate(tables.subjects["uscc"])}
    qk = uscc.map(index).fillna(-2).to_numpy(np.int64)
    qd = pd.to_datetime(day).to_numpy("datetime64[D]").astype(np.int64)
    tk = _Events(tables.tickets["uscc"], tables.tickets["day"], index)
    ins = tables.inspections
    ik = _Events(ins["uscc"], ins["day"], index)
    prob = ins[ins["has_problem"]]
    pk = _Events(prob["uscc"], prob["day"], index)
    pen = _Events(tables.penalties["uscc"], tables.penalties["day"], index)
    out = pd.DataFrame(index=range(len(qk)))
    out["complaints_90"] = tk.before(qk, qd, 90)
    out["complaints_365"] = tk.before(qk, qd, 365)
    out["inspections_prior"] = ik.before(qk, qd)
    out["problems_prior"] = pk.before(qk, qd)
    out["problem_rate_prior"] = out["problems_prior"] / out["inspections_prior"].where(out["inspections_prior"] > 0)
    last = ik.last_index(qk, qd)
    last_day = ins["day"].to_numpy("datetime64[D]").astype(np.int64)
    out["days_since_inspection"] = np.where(last >= 0, qd - last_day[np.maximum(last, 0)], np.nan)
    out["last_had_problem"] = np.where(last >= 0, ins["has_problem"].to_numpy()[np.maximum(last, 0)], np.nan)
    out["penalties_prior"] = pen.before(qk, qd)
    out["penalties_365"] = pen.before(qk, qd, 365)
    for list_type, col in (("ABNORMAL", "abnormal_list"), ("SERIOUS", "serious_list")):
        cl = tables.lists[tables.lists["list_type"] == list_type]
        entered = _Events(cl["uscc"], cl["in_date"], index).before(qk, qd)
        left = cl[cl["out_date"].notna()]
        exited = _Events(left["uscc"], left["out_date"], index).before(qk, qd)
        out[col] = (entered - exited > 0).astype(int)
    gr = tables.grades
    g_last = _Events(gr["uscc"], gr["day"], index).last_index(qk, qd)
    grade = gr["grade"].map(_GRADE_ORDINAL).to_numpy(float)
    out["credit_grade"] = np.where(g_last >= 0, grade[np.maximum(g_last, 0)], np.nan)
    # one register row per code (several source systems may report the same subject)
    subj = tables.subjects.drop_duplicates("uscc", keep="last").set_index("uscc")
    reg = subj["reg_date"].reindex(uscc.to_numpy()).to_numpy("datetime64[D]").astype("datetime64[D]")
    age = (qd - reg.astype(np.int64)).astype(float)
    out["licence_age_days"] = np.where(pd.isna(reg), np.nan, age)
    out["industry_code"] = subj["industry_code"].reindex(uscc.to_numpy()).to_numpy(object)
    out["subject_type"] = subj["subject_type"].reindex(uscc.to_numpy()).to_numpy(object)
    out["has_food_permit"] = subj["has_food_permit"].reindex(uscc.to_numpy()).fillna(False).astype(int).to_numpy()
    return out[ENTITY_FEATURES]


def production_entity_model() -> EntityRiskModel:
    """The entity model the pipeline uses: calibrated L2 logistic regression, the reference's primary model
    (risk_models.md §5). The HGB challenger took ~250 s instead of ~8 s on 6k inspections on the shared
    2-core machine without ranking the planted entities better."""
    return EntityRiskModel(estimator="logistic")


def fit_entity_model(tables: EntityTables, before: dt.date, *, model: EntityRiskModel | None = None) -> EntityRiskModel:
    """Fit on every inspection dated before ``before``; label ``has_problem``, features as of its date."""
    ins = tables.inspections[tables.inspections["day"] < pd.Timestamp(before)]
    X = entity_features(tables, ins["uscc"].reset_index(drop=True), ins["day"].reset_index(drop=True))
    return (model or production_entity_model()).fit(X, ins["has_problem"].astype(int).to_numpy())


def score_entities(tables: EntityTables, model: EntityRiskModel, as_of: dt.date) -> pd.DataFrame:
    """Risk score of every live (存续) entity with data up to ``as_of``; highest first, with ``rank``."""
    live = tables.subjects[tables.subjects["status"] == "存续"].reset_index(drop=True)
    X = entity_features(tables, live["uscc"], pd.Series([pd.Timestamp(as_of) + pd.Timedelta(days=1)] * len(live)))
    out = pd.concat([live, X.drop(columns=["industry_code", "subject_type", "has_food_permit"])], axis=1)
    out["score"] = model.risk_score(X)
    out = out.sort_values(["score", "uscc"], ascending=[False, True]).reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out


def entity_record(conn: Connection, row) -> dict:
    """Plain-Chinese record summary of an entity for a lead's evidence."""
    grade = _GRADE_LETTER.get(row.credit_grade, "未评")
    lists = conn.execute(select(CreditList.list_type).where(
        CreditList.subject_uscc == row.uscc, CreditList.out_date.is_(None))).scalars().all()
    return {"名称": row.name, "统一社会信用代码": row.uscc, "所属区县": codes.COUNTY_BY_CODE[row.region_code].name
            if row.region_code in codes.COUNTY_BY_CODE else row.region_code,
            "行业": dict((c, n) for c, n, _ in codes.INDUSTRIES).get(row.industry_code, row.industry_code),
            "近90日被投诉": int(row.complaints_90), "近365日被投诉": int(row.complaints_365),
            "既往检查": int(row.inspections_prior), "发现问题": int(row.problems_prior),
            "行政处罚": int(row.penalties_prior), "信用风险分类": grade,
            "在列信用名单": "、".join(codes.CREDIT_LIST_TYPES.get(x, x) for x in sorted(set(lists))) or "无"}


def own_finding_rate_low(problems: pd.Series, inspections: pd.Series, *, confidence: float = 0.95) -> np.ndarray:
    """One-sided lower confidence bound of an entity's own finding rate from its past inspections alone
    (Beta posterior under a uniform prior; 0 without inspections): 8 findings in 8 checks give 0.72."""
    k = problems.to_numpy(float)
    n = inspections.to_numpy(float)
    return beta.ppf(1 - confidence, k + 1, n - k + 1)


def select_entity_leads(scored: pd.DataFrame, *, top_k: int = 20, min_score: float = 0.9,
                        min_own_rate: float = 0.7) -> pd.DataFrame:
    """The ``top_k`` highest-scored live entities whose calibrated probability of a finding at the next
    inspection reaches ``min_score`` and whose own inspection record confirms it: the lower 95 % bound of
    its own finding rate (:func:`own_finding_rate_low`) reaches ``min_own_rate``. The model pools every
    entity (a kindergarten in a small county × industry pool draws many complaints whatever its record);
    a lead asks a department to act on this entity, so its own record must carry the claim. The full
    ranking still serves 双随机 targeting. Adds the bound as ``own_rate_low``."""
    out = scored.assign(own_rate_low=own_finding_rate_low(scored["problems_prior"], scored["inspections_prior"]))
    return out[(out["rank"] <= top_k) & (out["score"] >= min_score) & (out["own_rate_low"] >= min_own_rate)]


def entity_signals(conn: Connection, scored: pd.DataFrame, as_of: dt.date) -> list[Signal]:
    """One lead per entity chosen by :func:`select_entity_leads`, with its record as evidence."""
    out = []
    for r in select_entity_leads(scored).itertuples():
        record = entity_record(conn, r)
        out.append(Signal(
            key=f"entity:{r.uscc}", kind="entity", score=float(r.score), title=f"高风险主体：{r.name}",
            reason=(f"{r.name}下次检查发现问题的估计概率为{r.score:.0%}（全市在营主体第{r.rank}位）；"
                    f"既往检查{int(r.inspections_prior)}次、发现问题{int(r.problems_prior)}次（按其自身记录，发现问题率"
                    f"不低于{r.own_rate_low:.0%}，置信度95%），近90日被投诉{int(r.complaints_90)}件，"
                    f"行政处罚{int(r.penalties_prior)}次，信用风险分类{record['信用风险分类']}"),
            episode=f"{as_of.year}Q{(as_of.month - 1) // 3 + 1}", region_code=r.region_code, subject_uscc=r.uscc,
            dept_code=subject_department(r.industry_code, bool(r.has_food_permit)),
            evidence={"signal": {"model": "EntityRiskModel", "score": float(r.score), "rank": int(r.rank),
                                 "own_finding_rate_low": float(r.own_rate_low), "as_of": as_of},
                      "entity": record,
                      "complaints": complaints(conn, HotlineTicket.subject_uscc == r.uscc,
                                               start=as_of - dt.timedelta(days=364), end=as_of)}))
    return out


# --------------------------------------------------------------------------------------- pipeline steps


def spikes_step(conn: Connection) -> int:
    """Pipeline step ``spike_leads``: online spike alarms of the last 7 days → leads; then the model's band of
    the city-wide series and of every series with a spike lead → ``derived_spike_band``
    (:mod:`risk_models.spike_bands`). Returns the leads written."""
    as_of = data_as_of(conn)
    if as_of is None:
        return 0
    frame = daily_frame(conn, as_of)
    result = city_spikes(frame)
    written = LeadWriter().write(conn, spike_signals(conn, result, as_of))
    spike_bands.store(conn, frame, result, as_of, detector=complaint_detector(), upper_floor=UPPER_FLOOR)
    return written


def trends_step(conn: Connection) -> int:
    """Pipeline step ``trend_leads``: significant rising trends over the last 26 weeks → leads."""
    as_of = data_as_of(conn)
    if as_of is None:
        return 0
    return LeadWriter().write(conn, trend_signals(conn, daily_frame(conn, as_of), as_of))


def write_entity_scores(conn: Connection, scored: pd.DataFrame, as_of: dt.date) -> int:
    """Replace ``derived_entity_risk`` with ``scored`` (every live entity, ranked): the inspection plan and
    the profile page read it."""
    scored = scored.drop_duplicates("uscc", keep="first")  # the register may hold a subject per source system
    industry = scored["industry_code"].fillna("")
    depts = {(i, f): subject_department(i, f) for i in industry.unique() for f in (False, True)}
    rows = pd.DataFrame({
        "uscc": scored["uscc"], "name": scored["name"], "industry_code": industry,
        "as_of": [as_of] * len(scored), "score": scored["score"].astype(float), "rank": scored["rank"].astype(int),
        "region_code": scored["region_code"],
        "dept_code": [depts[i, bool(f)] for i, f in zip(industry, scored["has_food_permit"], strict=True)],
        "complaints_90": scored["complaints_90"].astype(int), "inspections_prior": scored["inspections_prior"].astype(int),
        "problems_prior": scored["problems_prior"].astype(int), "penalties_prior": scored["penalties_prior"].astype(int),
        "credit_grade": scored["credit_grade"].map(_GRADE_LETTER),
        "computed_at": pd.Timestamp(dt.datetime.now().replace(microsecond=0))})
    conn.execute(delete(EntityRiskScore))
    return bulk.insert_frame(conn, EntityRiskScore.__table__, rows)


def entities_step(conn: Connection) -> int:
    """Pipeline step ``entity_leads``: fit on past inspections, score live entities (stored ranked: the
    inspection plan), lead the riskiest."""
    as_of = data_as_of(conn)
    tables = load_entity_tables(conn)
    if as_of is None or tables.inspections["has_problem"].nunique() < 2:
        return 0
    model = fit_entity_model(tables, as_of + dt.timedelta(days=1))
    scored = score_entities(tables, model, as_of)
    write_entity_scores(conn, scored, as_of)
    return LeadWriter().write(conn, entity_signals(conn, scored, as_of))
