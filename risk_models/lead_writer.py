"""Writing signals as risk leads (``derived_risk_lead``): a :class:`Signal` is one candidate lead from a model or a
rule; :class:`LeadWriter` writes it at its kind's calibrated level (:mod:`risk_models.calibration`) and dedupes
by ``lead_key`` against open leads (an open lead is updated in place and gets an "更新" event; a closed one
is followed by a new lead ``<key>#<n>`` only when the signal's episode is new). Demo history leads (kind
``history``) and provincial leads are never touched.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, insert, select, update

from data_access.schema import RiskLead, RiskLeadEvent
from risk_models import calibration

CLOSED_STATUSES = ("已办结", "误报")
ACTOR = "风险线索模型"


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
