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
    tier: str | None = None  # evidence tier (calibration.EARLY_TIER / FULL_TIER) for kinds that have tiers
    evidence: dict[str, Any] = field(default_factory=dict)
    region_code: str | None = None
    category_code: str | None = None
    subject_uscc: str | None = None
    dept_code: str | None = None
    co_dept_codes: str | None = None


# Kinds whose signals name one market entity: all of an entity's signals are one lead (key
# ``entity:<uscc>``) holding each kind's signal in ``evidence.signals``; the first listed leads the title.
ENTITY_KINDS = ("entity", "credit", "repeat")


def lead_key(s: Signal) -> str:
    """The lead a signal goes to: one per entity for the entity kinds, else the signal's own key."""
    return f"entity:{s.subject_uscc}" if s.kind in ENTITY_KINDS and s.subject_uscc else s.key


class LeadWriter:
    """Writes signals as leads at their calibrated level (:mod:`risk_models.calibration`: how often leads of
    that kind and evidence tier proved right, not the signal's raw score); dedupes by ``lead_key``. The
    signals on one entity (entity, credit, repeat: ``ENTITY_KINDS``) are merged into one lead whose level is
    the highest of theirs; a new signal of a kind replaces that kind's part and leaves the others.

    Parameters
    ----------
    precisions : dict of kind → :class:`calibration.KindPrecision`, optional
        The measured precision per kind (and kind × tier); read from the warehouse (feedback, else the stored
        backtest) when omitted.
    """

    def __init__(self, *, precisions: dict[str, calibration.KindPrecision] | None = None):
        self.precisions = precisions

    def write(self, conn: Connection, signals: list[Signal], *, now: dt.datetime | None = None) -> int:
        """Insert new leads and update open ones; returns the number of leads inserted or updated."""
        now = now or dt.datetime.now().replace(microsecond=0)
        if not signals:
            return 0
        precisions = self.precisions if self.precisions is not None else calibration.kind_precisions(conn, now)
        family = _stored_leads(conn, signals)
        written = 0
        for s in signals:
            key = lead_key(s)
            known = family.setdefault(key, [])
            latest = known[-1] if known else None
            # the key's open lead, wherever it sits among them (migration 0016 re-keys an older lead to the key)
            at = next((i for i in range(len(known) - 1, -1, -1) if known[i].status not in CLOSED_STATUSES), None)
            open_lead = known[at] if at is not None else None
            if latest is not None and open_lead is None and _episode(latest, s) == s.episode:
                continue  # this occurrence was already handled and closed
            fields = self._fields(s, open_lead, precisions)
            if open_lead is not None:
                if self._update(conn, open_lead, fields, s.reason, now):
                    known[at] = _StoredLead(**{**vars(open_lead), **fields, "version": open_lead.version + 1,
                                               "level": fields["level"] if open_lead.status == "待研判"
                                               else open_lead.level})
                    written += 1
                continue
            new_key = key if latest is None else _next_key(key, known)
            lead_id = conn.execute(insert(RiskLead).values(
                lead_key=new_key, **fields,
                region_code=s.region_code, category_code=s.category_code, subject_uscc=s.subject_uscc,
                dept_code=s.dept_code, co_dept_codes=s.co_dept_codes, status="待研判", created_at=now, updated_at=now,
                version=1)).inserted_primary_key[0]
            known.append(_StoredLead(lead_id=lead_id, lead_key=new_key, status="待研判", version=1, **fields))
            written += 1
        return written

    @staticmethod
    def _fields(s: Signal, open_lead, precisions) -> dict:
        """kind, level, score, title, reason and evidence of the lead ``s`` goes to (merged with the signals
        ``open_lead`` already holds when it is an entity lead)."""
        evidence = _plain({**s.evidence, "episode": s.episode, **({"tier": s.tier} if s.tier else {})})
        if s.kind not in ENTITY_KINDS or not s.subject_uscc:
            return {"kind": s.kind, "level": calibration.level_for_kind(precisions, s.kind, s.tier),
                    "score": round(float(s.score), 4), "title": s.title[:200], "reason": s.reason, "evidence": evidence}
        held = dict(((open_lead.evidence or {}).get("signals") or {}) if open_lead is not None else {})
        if open_lead is not None and not held:  # a lead written before merging: its own signal
            held[open_lead.kind] = {**_part(open_lead.evidence or {}), "title": open_lead.title,
                                    "reason": open_lead.reason, "score": open_lead.score}
        held[s.kind] = {**_part(evidence), "title": s.title[:200], "reason": s.reason, "score": round(float(s.score), 4)}
        order = [k for k in ENTITY_KINDS if k in held]
        for k in order:
            held[k]["level"] = calibration.level_for_kind(precisions, k, held[k].get("tier"))
        level = calibration.highest(held[k]["level"] for k in order)
        lead = next(k for k in order if held[k]["level"] == level)
        main = evidence if lead == s.kind else (open_lead.evidence or {})
        return {"kind": lead, "level": level, "score": max(float(held[k].get("score") or 0) for k in order),
                "title": held[lead].get("title") or s.title[:200],
                "reason": "；".join(held[k]["reason"] for k in order if held[k].get("reason")),
                # the leading signal's complaints and record, so re-runs of the other rules change nothing
                "evidence": _plain({**{k: v for k, v in main.items() if k != "signals"},
                                    "entity": main.get("entity") or evidence.get("entity"),
                                    "signals": {k: held[k] for k in order}})}

    @staticmethod
    def _update(conn, latest: _StoredLead, fields: dict, note: str, now) -> bool:
        """Write ``fields`` onto the open lead ``latest``; False when nothing changed or someone acted on it."""
        if (latest.kind, latest.score, latest.reason, latest.evidence, latest.title) == (
                fields["kind"], fields["score"], fields["reason"], fields["evidence"], fields["title"]):
            return False
        values = {k: v for k, v in fields.items() if k != "level"} | {"updated_at": now, "version": latest.version + 1}
        if latest.status == "待研判":  # a dispatched lead keeps the level its deadlines were set from
            values["level"] = fields["level"]
        done = conn.execute(update(RiskLead).where(RiskLead.lead_id == latest.lead_id,
                                                   RiskLead.version == latest.version).values(**values))
        if done.rowcount != 1:
            return False  # someone acted on the lead meanwhile; the next run updates it
        conn.execute(insert(RiskLeadEvent).values(
            lead_id=latest.lead_id, from_status=latest.status, to_status=latest.status, actor=ACTOR, at=now,
            note=f"更新：{note}", action="update", detail={"score": fields["score"]}))
        return True


@dataclass
class _StoredLead:
    """What :meth:`LeadWriter.write` knows of a stored lead: read once per call, kept current as it writes."""

    lead_id: int
    lead_key: str
    kind: str
    level: str
    status: str
    version: int
    evidence: dict | None
    title: str
    reason: str
    score: float


def _stored_leads(conn: Connection, signals: list[Signal]) -> dict[str, list[_StoredLead]]:
    """The stored leads the signals may go to, by lead key without its ``#n`` suffix, oldest first: one read for
    the whole batch (a lookup per signal scanned the lead-key index, the ``#n`` pattern being a LIKE)."""
    kinds = {s.kind for s in signals}
    if kinds & set(ENTITY_KINDS):  # a merged entity lead carries the kind of whichever signal leads it
        kinds |= set(ENTITY_KINDS)
    family: dict[str, list[_StoredLead]] = {}
    for row in conn.execute(select(RiskLead.lead_id, RiskLead.lead_key, RiskLead.kind, RiskLead.level, RiskLead.status,
                                   RiskLead.version, RiskLead.evidence, RiskLead.title, RiskLead.reason, RiskLead.score)
                            .where(RiskLead.kind.in_(sorted(kinds))).order_by(RiskLead.lead_id)):
        family.setdefault(row.lead_key.split("#", 1)[0], []).append(_StoredLead(**row._mapping))
    return family


def _next_key(key: str, known: list[_StoredLead]) -> str:
    """The key of a new lead after the closed ones of ``key``: ``key#<n>``, n one more than their number (the
    first free one after it, where merged leads were deleted by migration 0016)."""
    taken, n = {lead.lead_key for lead in known}, len(known) + 1
    while f"{key}#{n}" in taken:
        n += 1
    return f"{key}#{n}"


def _part(evidence: dict) -> dict:
    """What a merged entity lead keeps of one kind's signal besides its title, reason and score: its episode,
    evidence tier and the signal's details."""
    return {k: evidence[k] for k in ("episode", "tier", "signal") if k in evidence}


def _episode(lead, s: Signal) -> str | None:
    """The episode of ``s``'s kind a stored lead was about (merged entity leads hold one per kind)."""
    evidence = lead.evidence or {}
    held = (evidence.get("signals") or {}).get(s.kind)
    if held is not None:
        return held.get("episode")
    return evidence.get("episode") if lead.kind == s.kind else None


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
