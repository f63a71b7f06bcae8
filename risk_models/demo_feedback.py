"""The demo's past model leads with the departments' verdicts, so the learning loop has something to learn.

``bianjian eval planted --demo-feedback`` replays the spike and unlicensed-operator rules over the demo's
history (the same replay the backtest scores) and writes each lead raised before the last
``LIVE_DAYS`` days as a closed lead: one that matched a planted event was checked and found 属实 (已办结),
one that did not was found 不属实 and dismissed (误报). The verdict is the planted truth, as a department's
on-site check would be; nothing else is invented. Rows already written (same ``lead_key``) are kept.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, insert, select

from data_access import codes
from data_access.schema import RiskLead
from risk_models import calibration, lead_reads

LIVE_DAYS = 7  # the pipeline's own lookback: leads this recent are the live ones, not history
CHECK_DAYS = 5  # days from a lead to its verdict
FEEDBACK = {True: ("已办结", "属实", "经现场核查，反映问题属实，已依法处置。"),
            False: ("误报", "不属实", "经现场核查，未发现反映的问题，按误报处理。")}


def write(engine: Engine, replayed: list[dict], as_of: dt.date) -> int:
    """Write the replayed leads raised at least ``LIVE_DAYS`` days before ``as_of``; returns how many new."""
    cutoff = as_of - dt.timedelta(days=LIVE_DAYS)
    with engine.begin() as conn:
        regions, cats = lead_reads.names(conn)
        precisions = calibration.kind_precisions(conn)
        known = set(conn.execute(select(RiskLead.lead_key).where(RiskLead.lead_key.like("replay:%"))).scalars())
        rows = []
        for r in replayed:
            if r["day"] > cutoff:
                continue
            target = r.get("category_code") or r.get("name")
            key = f"replay:{r['kind']}:{r['region_code']}:{target}:{r['day']:%Y%m%d}"
            if key in known:
                continue
            known.add(key)
            status, result, text = FEEDBACK[bool(r["matched"])]
            region = regions.get(r["region_code"], r["region_code"])
            if r["kind"] == "spike":
                title = f"{region}{cats.get(target, target)}投诉激增"
                dept, co = lead_reads.category_departments(conn, target, r["region_code"])
            else:
                title = f"疑似无照经营：{region}{target}"
                dept, co = lead_reads.subject_department(None, True), None
            raised = dt.datetime.combine(r["day"], dt.time(6))
            done = raised + dt.timedelta(days=CHECK_DAYS)
            rows.append({"lead_key": key, "kind": r["kind"],
                         "level": calibration.level_for_kind(precisions, r["kind"], r.get("tier")), "score": 0.5,
                         "title": title[:200],
                         "reason": f"{codes.GENERATED_LEAD_KINDS[r['kind']]}线索（演示数据按规则回放的历史线索）",
                         "evidence": {"replay": True, "day": r["day"].isoformat(),
                                      **({"tier": r["tier"]} if r.get("tier") else {})}, "region_code": r["region_code"],
                         "category_code": r.get("category_code"), "dept_code": dept, "co_dept_codes": co,
                         "status": status, "created_at": raised, "updated_at": done, "feedback_at": done,
                         "closed_at": done, "feedback_result": result, "feedback_text": text, "version": 1})
        if rows:
            conn.execute(insert(RiskLead), rows)
    return len(rows)
