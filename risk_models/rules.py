"""Rule leads: credit risk with new complaints, unlicensed operators named in complaints, repeated or
unresolved complaints, and data sources that went silent.

Each rule is a small class whose constructor holds its thresholds and whose ``signals(conn, as_of)``
returns :class:`risk_models.lead_writer.Signal` objects from data up to ``as_of``; ``rules_step`` is the
pipeline step that writes them all.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from data_access import codes, quality
from data_access.ingest.sources import KIND_NAMES
from data_access.queries_text import unlinked_business_mentions
from data_access.reference import DEPT_CODE_BY_KEY
from data_access.schema import ComplaintFeature, CreditGrade, CreditList, HotlineTicket, Subject
from risk_models import calibration
from risk_models.lead_reads import category_departments, complaints, data_as_of, names, subject_department
from risk_models.lead_writer import LeadWriter, Signal
from text_mining.entities import extract_entities, link_entities, normalize_business_name, not_an_operator


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


class CreditRule:
    """信用风险: an entity graded ``grades`` or on a ``lists`` credit list that is named in at least
    ``min_complaints`` complaints in the last ``days`` days."""

    def __init__(self, *, grades=("D",), lists=("SERIOUS",), days=30, min_complaints=1):
        self.grades = grades
        self.lists = lists
        self.days = days
        self.min_complaints = min_complaints

    def signals(self, conn: Connection, as_of: dt.date) -> list[Signal]:
        start = as_of - dt.timedelta(days=self.days - 1)
        t = HotlineTicket
        named = dict(conn.execute(select(t.subject_uscc, func.count()).where(
            t.subject_uscc.is_not(None), t.accepted_at >= _day_start(start),
            t.accepted_at < _day_start(as_of + dt.timedelta(days=1))).group_by(t.subject_uscc)).all())
        named = {u: n for u, n in named.items() if n >= self.min_complaints}
        if not named:
            return []
        latest = (select(CreditGrade.subject_uscc, func.max(CreditGrade.evaluated_on).label("on"))
                  .where(CreditGrade.evaluated_on <= as_of, CreditGrade.subject_uscc.in_(named))
                  .group_by(CreditGrade.subject_uscc).subquery())
        grade = dict(conn.execute(select(CreditGrade.subject_uscc, CreditGrade.grade).join(
            latest, (CreditGrade.subject_uscc == latest.c.subject_uscc) & (CreditGrade.evaluated_on == latest.c.on))).all())
        listed: dict[str, list[str]] = {}
        for uscc, list_type in conn.execute(select(CreditList.subject_uscc, CreditList.list_type).where(
                CreditList.subject_uscc.in_(named), CreditList.list_type.in_(self.lists), CreditList.in_date <= as_of,
                (CreditList.out_date.is_(None)) | (CreditList.out_date > as_of))):
            listed.setdefault(uscc, []).append(codes.CREDIT_LIST_TYPES.get(list_type, list_type))
        hits = sorted(u for u in named if grade.get(u) in self.grades or u in listed)
        subjects = {r.uscc: r for r in conn.execute(
            select(Subject.uscc, Subject.name, Subject.region_code, Subject.industry_code,
                   Subject.has_food_permit).where(Subject.uscc.in_(hits)))}
        out = []
        for u in hits:
            s = subjects.get(u)
            why = []
            if grade.get(u) in self.grades:
                why.append(f"信用风险分类{grade[u]}类")
            if u in listed:
                why.append(f"列入{'、'.join(sorted(set(listed[u])))}")
            name = s.name if s else u
            out.append(Signal(
                key=f"credit:{u}", kind="credit", score=min(0.95, 0.55 + 0.1 * (len(why) - 1) + 0.05 * (named[u] - 1)),
                title=f"信用风险主体被投诉：{name}", episode=f"{as_of:%Y-%m}",
                reason=f"{name}{'，'.join(why)}，近{self.days}日又被投诉{named[u]}件",
                region_code=s.region_code if s else None, subject_uscc=u,
                dept_code=subject_department(s.industry_code, bool(s.has_food_permit)) if s
                else DEPT_CODE_BY_KEY[codes.DEFAULT_SUBJECT_DEPT_KEY],
                evidence={"signal": {"rule": "credit", "grade": grade.get(u), "lists": sorted(set(listed.get(u, []))),
                                     "complaints_recent": named[u], "days": self.days},
                          "entity": {"名称": name, "统一社会信用代码": u, "信用风险分类": grade.get(u) or "未评",
                                     "在列信用名单": "、".join(sorted(set(listed.get(u, [])))) or "无"},
                          "complaints": complaints(conn, HotlineTicket.subject_uscc == u, start=start, end=as_of)}))
        return out


def business_mentions(conn: Connection, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Business names in complaints accepted in [start, end] that the register-name pass did not link.

    Step ``text_features`` has already looked every order's text up in the register (registered names and
    their cores, one pass per text) and kept the business name of each order it could not link; those are
    read back here. Orders the step has not processed yet are extracted here. These are candidates only:
    :func:`registered_names` checks the few repeated ones against the register by fuzzy matching, which
    would cost minutes per window at city scale if done for every mention.
    Columns: ticket_id, day, region_code, mention, name_key.
    """
    cols = ["ticket_id", "day", "region_code", "mention", "name_key"]
    t, f = HotlineTicket, ComplaintFeature
    in_window = (t.accepted_at >= _day_start(start), t.accepted_at < _day_start(end + dt.timedelta(days=1)))
    unseen = pd.DataFrame(conn.execute(select(t.ticket_id, t.accepted_at, t.region_code, t.title, t.content)
                                       .outerjoin(f, f.ticket_id == t.ticket_id)
                                       .where(*in_window, f.ticket_id.is_(None))).all(),
                          columns=["id", "accepted_at", "region_code", "title", "content"])
    frames = [unlinked_business_mentions(conn, start, end)]
    if not unseen.empty:
        unseen["text"] = unseen["title"].fillna("") + "。" + unseen["content"].fillna("")
        ments = extract_entities(unseen, text_col="text", id_col="id")
        ments = ments[ments["entity_type"] == "business"].drop_duplicates("id")
        info = unseen.set_index("id")
        frames.append(pd.DataFrame({"ticket_id": ments["id"].to_numpy(),
                                    "day": pd.to_datetime(ments["id"].map(info["accepted_at"])).dt.normalize(),
                                    "region_code": ments["id"].map(info["region_code"]).to_numpy(),
                                    "mention": ments["mention"].to_numpy()}))
    frames = [fr for fr in frames if not fr.empty]
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)
    out["name_key"] = out["mention"].map(normalize_business_name)
    return out[cols]


def registered_names(conn: Connection, found: pd.DataFrame, *, score_cutoff: float = 80.0) -> pd.Series:
    """Which ``found`` names (columns region_code, mention) match a registered subject after all, by fuzzy
    matching against the register of their counties (an abbreviated or slightly different registered name)."""
    if found.empty:
        return pd.Series(dtype=bool)
    regions = {c.code: c.name for c in codes.COUNTIES}
    register = pd.DataFrame(conn.execute(select(Subject.uscc, Subject.name, Subject.region_code).where(
        Subject.region_code.in_(found["region_code"].unique().tolist()))).all(),
        columns=["entity_id", "name", "region_code"])
    register["district"] = register["region_code"].map(regions)
    probe = pd.DataFrame({"mention": found["mention"].to_numpy(), "entity_type": "business",
                          "district": found["region_code"].map(regions).to_numpy()})
    linked = link_entities(probe, register[["entity_id", "name", "district"]], score_cutoff=score_cutoff)
    return pd.Series(~linked["unlicensed_candidate"].to_numpy(), index=found.index)


def _first_reaching(days_: np.ndarray, k: int, days: int) -> pd.Timestamp | None:
    """The first day on which ``k`` of the sorted ``days_`` fall within ``days`` days, or ``None``."""
    for j in range(k - 1, len(days_)):
        if days_[j] - days_[j - k + 1] <= pd.Timedelta(days=days - 1):
            return pd.Timestamp(days_[j])
    return None


def repeated_names(mentions: pd.DataFrame, *, min_reports: int, days: int,
                   full_reports: int | None = None) -> pd.DataFrame:
    """Unlicensed candidates named in ≥ ``min_reports`` complaints in one county within ``days`` days.

    One row per (region_code, name_key) with ``first_day`` (the day the count first reached
    ``min_reports``: when the lead would have been raised online), ``full_day`` (the day it first reached
    ``full_reports`` within ``days`` days: the full evidence tier; ``None`` if never), ``reports`` and
    ``ticket_ids`` in the ``days`` up to the last report.
    """
    cand = mentions.drop_duplicates(["ticket_id", "name_key"])
    rows = []
    for (region, key), g in cand.sort_values("day").groupby(["region_code", "name_key"]):
        days_ = g["day"].to_numpy()
        first = _first_reaching(days_, min_reports, days)
        if first is None:
            continue
        full = _first_reaching(days_, full_reports or min_reports, days)
        last = g["day"].max()
        recent = g[g["day"] > last - pd.Timedelta(days=days)]
        rows.append({"region_code": region, "name_key": key, "mention": g["mention"].mode().iloc[0],
                     "first_day": first.date(), "full_day": full.date() if full is not None else None,
                     "last_day": last.date(), "reports": len(recent), "ticket_ids": recent["ticket_id"].tolist()})
    return pd.DataFrame(rows, columns=["region_code", "name_key", "mention", "first_day", "full_day", "last_day",
                                       "reports", "ticket_ids"])


class UnlicensedRule:
    """无照经营: a business name from complaint text that is not in the register (text_mining.entities),
    named in ≥ ``min_reports`` complaints in one county within ``days`` days: an early-tier lead at 2 reports,
    the full tier from ``full_reports`` = 3 (:mod:`risk_models.calibration`, evidence tiers). Routed to 市场监管.
    Names that cannot be an unlicensed operator's are skipped (:func:`text_mining.entities.not_an_operator`:
    a company legal form, a public institution or its canteen, no 字号)."""

    def __init__(self, *, min_reports=2, full_reports=3, days=30, score_cutoff=80.0):
        self.min_reports = min_reports
        self.full_reports = full_reports
        self.days = days
        self.score_cutoff = score_cutoff

    def repeated_unregistered(self, conn: Connection, start: dt.date, end: dt.date) -> pd.DataFrame:
        """Names from complaints accepted in [start, end] that pass the rule (``repeated_names`` columns):
        repeated enough in one county, and matching no registered subject even by fuzzy matching."""
        mentions = business_mentions(conn, start, end)
        mentions = mentions[mentions["mention"].map(not_an_operator).isna()]
        found = repeated_names(mentions, min_reports=self.min_reports, days=self.days, full_reports=self.full_reports)
        return found[~registered_names(conn, found, score_cutoff=self.score_cutoff)]

    def signals(self, conn: Connection, as_of: dt.date) -> list[Signal]:
        start = as_of - dt.timedelta(days=self.days - 1)
        found = self.repeated_unregistered(conn, start, as_of)
        regions, _ = names(conn)
        out = []
        for r in found.itertuples():
            rname = regions.get(r.region_code, r.region_code)
            out.append(Signal(
                key=f"unlicensed:{r.region_code}:{r.name_key}", kind="unlicensed",
                score=min(0.95, 0.5 + 0.1 * (r.reports - self.min_reports)),
                tier=calibration.FULL_TIER if r.full_day is not None else calibration.EARLY_TIER,
                title=f"疑似无照经营：{rname}{r.mention}", episode=r.first_day.isoformat(),
                reason=(f"近{self.days}日{rname}有{r.reports}件诉求提到“{r.mention}”，"
                        f"市场主体登记库中未找到匹配主体，疑似无照经营"),
                region_code=r.region_code, dept_code=DEPT_CODE_BY_KEY["SCJG"],
                evidence={"signal": {"rule": "unlicensed", "name": r.mention, "reports": r.reports,
                                     "first_day": r.first_day, "days": self.days},
                          "complaints": complaints(conn, HotlineTicket.ticket_id.in_(r.ticket_ids), start=start,
                                                   end=as_of)}))
        return out


class RepeatRule:
    """重复/未解决投诉: the same entity named in ≥ ``min_repeats`` complaints within ``days`` days, or
    ≥ ``min_unresolved`` complaints about it (or, unnamed, about one county × category) that were
    re-done (重办) and still rated 不满意."""

    def __init__(self, *, min_repeats=3, days=30, min_unresolved=2):
        self.min_repeats = min_repeats
        self.days = days
        self.min_unresolved = min_unresolved

    def signals(self, conn: Connection, as_of: dt.date) -> list[Signal]:
        start = as_of - dt.timedelta(days=self.days - 1)
        t = HotlineTicket
        df = pd.DataFrame(conn.execute(select(t.ticket_id, t.subject_uscc, t.region_code, t.category_code,
                                              t.satisfaction, t.redo_count).where(
            t.accepted_at >= _day_start(start), t.accepted_at < _day_start(as_of + dt.timedelta(days=1)))).all(),
            columns=["ticket_id", "subject_uscc", "region_code", "category_code", "satisfaction", "redo_count"])
        if df.empty:
            return []
        df["unresolved"] = (df["satisfaction"] == "不满意") & (df["redo_count"] > 0)
        regions, cats = names(conn)
        subj = {r.uscc: r for r in conn.execute(select(Subject.uscc, Subject.name, Subject.region_code,
                                                       Subject.industry_code, Subject.has_food_permit).where(
            Subject.uscc.in_(df["subject_uscc"].dropna().unique().tolist())))}
        out = []
        named = df[df["subject_uscc"].notna()]
        for u, g in named.groupby("subject_uscc"):
            n, bad = len(g), int(g["unresolved"].sum())
            if n < self.min_repeats and bad < self.min_unresolved:
                continue
            s = subj.get(u)
            name = s.name if s else u
            out.append(self._signal(conn, f"repeat:{u}", name, n, bad, as_of, start, HotlineTicket.subject_uscc == u,
                                    region=s.region_code if s else g["region_code"].iloc[0], uscc=u,
                                    dept=subject_department(s.industry_code, bool(s.has_food_permit)) if s else None))
        for (region, cat), g in df[df["subject_uscc"].isna() & df["unresolved"]].groupby(["region_code", "category_code"]):
            if len(g) < self.min_unresolved:
                continue
            dept, co = category_departments(conn, cat, region)
            out.append(self._signal(conn, f"repeat:{region}:{cat}", f"{regions.get(region, region)}{cats.get(cat, cat)}",
                                    len(g), len(g), as_of, start, HotlineTicket.ticket_id.in_(g["ticket_id"].tolist()),
                                    region=region, category=cat, dept=dept, co=co))
        return out

    def _signal(self, conn, key, what, n, bad, as_of, start, condition, *, region, uscc=None, category=None,
                dept=None, co=None) -> Signal:
        parts = [f"近{self.days}日{what}相关诉求{n}件"] + ([f"其中{bad}件经重办仍不满意"] if bad else [])
        return Signal(
            key=key, kind="repeat", score=min(0.95, 0.45 + 0.05 * (n - self.min_repeats) + 0.1 * bad),
            title=f"重复投诉：{what}", episode=f"{as_of:%Y-%m}", reason="，".join(parts),
            region_code=region, category_code=category, subject_uscc=uscc, dept_code=dept, co_dept_codes=co,
            evidence={"signal": {"rule": "repeat", "complaints": n, "unresolved": bad, "days": self.days},
                      "complaints": complaints(conn, condition, start=start, end=as_of)})


class SilentSourceRule:
    """数据中断: a data source with no load for more than ``days`` days (data_access.quality.silent_sources;
    None: the ``silent_source_days`` setting). Routed to 政务服务和大数据管理局, which runs the exchange."""

    def __init__(self, *, days=None):
        self.days = days

    def signals(self, conn: Connection, now: dt.datetime) -> list[Signal]:
        session = Session(bind=conn)
        silent = quality.silent_sources(session, now, self.days)
        out = []
        for r in silent.itertuples():
            last, days = pd.Timestamp(r.last_load_at), int(r.days_since_load)  # whole days: stable re-runs
            name = KIND_NAMES.get(r.source_kind, r.source_kind)
            system = codes.label("source_system", r.src_system)
            out.append(Signal(
                key=f"silent_source:{r.source_kind}:{r.src_system}", kind="silent_source",
                score=min(0.95, 0.5 + 0.01 * days),
                title=f"数据源中断：{name}（{system}）", episode=last.isoformat(),
                reason=f"数据源{name}（来源系统：{system}）自{last:%Y-%m-%d %H:%M}起已{days}天未报送数据",
                dept_code=DEPT_CODE_BY_KEY["ZWFW"],
                evidence={"signal": {"rule": "silent_source", "source_kind": r.source_kind, "src_system": r.src_system,
                                     "last_load_at": last.isoformat(), "days_since_load": days},
                          "loads": quality.last_loads(session, r.source_kind, r.src_system)}))
        return out


def rule_signals(conn: Connection, as_of: dt.date, now: dt.datetime) -> list[Signal]:
    """All rule leads with the production thresholds (the rules' defaults)."""
    return (CreditRule().signals(conn, as_of) + UnlicensedRule().signals(conn, as_of)
            + RepeatRule().signals(conn, as_of) + SilentSourceRule().signals(conn, now))


def rules_step(conn: Connection) -> int:
    """Pipeline step ``rule_leads``: credit, unlicensed, repeat and silent-source rules → leads."""
    as_of = data_as_of(conn)
    if as_of is None:
        return 0
    now = dt.datetime.now().replace(microsecond=0)
    return LeadWriter().write(conn, rule_signals(conn, as_of, now), now=now)
