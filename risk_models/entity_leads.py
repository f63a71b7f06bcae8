"""Entity leads: the features of a market entity as known before a day (complaints, inspections and findings,
penalties, credit lists and grades, licence age), the entity model fitted on past inspections, every live
entity scored and ranked (stored in ``derived_entity_risk``: the inspection plan), and leads on the entities
whose complaints deteriorate (:mod:`risk_models.deterioration`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, delete, func, select

from data_access import bulk, codes
from data_access.schema import (
    CreditGrade,
    CreditList,
    EntityRiskScore,
    HotlineTicket,
    Inspection,
    Penalty,
    Subject,
)
from risk_models import deterioration
from risk_models.deterioration import DeteriorationDetector
from risk_models.entity_risk import EntityRiskModel
from risk_models.lead_reads import complaints, subject_department
from risk_models.lead_writer import Signal

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


# Days replayed to date a lead's episode (its first flag day): nightly runs then name the same episode.
EPISODE_LOOKBACK_DAYS = 90


def entity_signals(conn: Connection, tables: EntityTables, scored: pd.DataFrame, as_of: dt.date, *,
                   detector: DeteriorationDetector | None = None) -> list[Signal]:
    """One lead per live entity whose complaints deteriorate as of ``as_of`` (:class:`DeteriorationDetector`:
    its recent count against its own history and its county × industry peers), with its record and its
    place in the risk ranking as evidence. The ranking itself is the inspection plan, not a lead."""
    detector = detector or DeteriorationDetector()
    days = [as_of - dt.timedelta(days=d) for d in range(EPISODE_LOOKBACK_DAYS - 1, -1, -1)]
    flags = detector.scan(tables.tickets, scored, days)
    episodes = detector.episodes(flags)
    current = episodes[pd.to_datetime(episodes["last_day"]) == pd.Timestamp(as_of)]
    today = {f.uscc: f for f in flags[pd.to_datetime(flags["day"]) == pd.Timestamp(as_of)].itertuples()}
    rows = {r.uscc: r for r in scored.drop_duplicates("uscc").itertuples()}
    out = []
    for e in current.itertuples():
        r, f = rows[e.uscc], today[e.uscc]
        out.append(Signal(
            key=f"entity:{e.uscc}", kind="entity", score=float(min(1.0, -np.log10(max(f.p_value, 1e-10)) / 10)),
            title=f"主体投诉骤增：{r.name}",
            reason=f"{deterioration.reason(r.name, f)}；其下次检查发现问题概率在全市在营主体中排第{r.rank}位（检查计划）",
            episode=str(e.lead_day), tier=e.tier, region_code=r.region_code, subject_uscc=e.uscc,
            dept_code=subject_department(r.industry_code, bool(r.has_food_permit)),
            evidence={"signal": {"model": "DeteriorationDetector", "window_days": int(f.window),
                                 "count": int(f.recent), "expected": float(f.expected),
                                 "own_per_30_days": float(f.own_per_30), "peer_per_30_days": float(f.peer_per_30),
                                 "p_value": float(f.p_value), "first_flag_day": e.lead_day,
                                 "full_tier_day": e.full_day, "as_of": as_of,
                                 "risk_rank": int(r.rank), "risk_score": float(r.score)},
                      "entity": entity_record(conn, r),
                      "complaints": complaints(conn, HotlineTicket.subject_uscc == e.uscc,
                                               start=as_of - dt.timedelta(days=364), end=as_of)}))
    return out


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
