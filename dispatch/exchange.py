"""Exchange with the provincial 互联网+监管 system: import its pushed leads as risk leads, export our
dispatched leads and their feedback."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import Connection, insert, literal, or_, select
from sqlalchemy.orm import Session

from data_access import privacy, spreadsheet
from data_access.schema import Department, ProvincialLead, RiskLead
from data_access.scope import Scope

PROVINCIAL_LEVEL = "YELLOW"  # handled in 10 working days, inside the province's usual 15 calendar days
PROVINCIAL_CLOSED = ("已反馈", "已办结")
EXPORT_FIELDS = ("lead_key", "provincial_lead_no", "kind", "level", "title", "reason", "dept_code", "dept_name",
                 "co_dept_codes", "status", "dispatched_at", "sign_deadline", "signed_at", "handle_deadline",
                 "extension_days", "supervise_level", "feedback_at", "feedback_result", "feedback_actions",
                 "feedback_text", "feedback_attachments", "closed_at")

# Fields that can quote complaints (personal data): masked unless the exporting scope may see it.
_FREE_TEXT = ("title", "reason", "feedback_text", "feedback_actions")


def import_provincial_leads(conn: Connection, *, now: dt.datetime | None = None) -> int:
    """Copy open provincial leads (``fact_provincial_lead`` not yet 已反馈/已办结) into
    ``derived_risk_lead`` as kind ``provincial``, status 待研判, with the province's suggested department;
    lead_key ``provincial:<lead_no>`` makes re-runs add only new ones. Returns rows inserted."""
    now = now or dt.datetime.now().replace(microsecond=0)
    known = select(RiskLead.lead_key).where(RiskLead.kind == "provincial")
    rows = conn.execute(select(ProvincialLead).where(
        ProvincialLead.status.not_in(PROVINCIAL_CLOSED),
        (literal("provincial:") + ProvincialLead.lead_no).not_in(known)).order_by(ProvincialLead.pushed_at)).all()
    values = [{
        "lead_key": f"provincial:{p.lead_no}", "kind": "provincial", "level": PROVINCIAL_LEVEL, "score": 0.5,
        "title": p.title[:200],
        "reason": f"省互联网+监管系统下发线索（编号 {p.lead_no}）"
                  + (f"，要求 {p.feedback_deadline:%Y-%m-%d} 前反馈" if p.feedback_deadline else ""),
        "evidence": {"provincial": {"lead_no": p.lead_no, "pushed_at": p.pushed_at.isoformat(sep=" "),
                                    "feedback_deadline": p.feedback_deadline.isoformat(sep=" ")
                                    if p.feedback_deadline else None},
                     "complaints": [{"order_no": p.lead_no, "accepted_at": p.pushed_at.isoformat(sep=" "),
                                     "title": p.title, "content": p.content}],
                     **({"entity": {"uscc": p.subject_uscc}} if p.subject_uscc else {})},
        "region_code": p.region_code, "subject_uscc": p.subject_uscc, "dept_code": p.dept_code,
        "status": "待研判", "created_at": now, "updated_at": now, "version": 1}
        for p in rows]
    if values:
        conn.execute(insert(RiskLead), values)
    return len(values)


def export_records(session: Session, scope: Scope, *, since: dt.datetime | None = None) -> list[dict]:
    """Dispatched leads and their feedback, for the provincial system: every lead dispatched, fed back or
    closed at or after ``since`` (all dispatched leads without it), oldest dispatch first. Free text is
    masked for scopes without personal-data rights (the CLI exports as SYSTEM)."""
    stmt = (select(RiskLead, Department.short_name).outerjoin(Department, Department.dept_code == RiskLead.dept_code)
            .where(RiskLead.dispatched_at.is_not(None)))
    if since is not None:
        stmt = stmt.where(or_(RiskLead.dispatched_at >= since, RiskLead.feedback_at >= since,
                              RiskLead.closed_at >= since))
    stmt = scope.restrict(stmt, RiskLead.dept_code).order_by(RiskLead.dispatched_at, RiskLead.lead_id)
    out = []
    for lead, dept_name in session.execute(stmt):
        record = {f: getattr(lead, f, None) for f in EXPORT_FIELDS}
        record["dept_name"] = dept_name
        record["provincial_lead_no"] = lead.lead_key.split(":", 1)[1] if lead.kind == "provincial" else None
        record.update(privacy.redact({k: record[k] for k in _FREE_TEXT}, scope))
        out.append({k: v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v for k, v in record.items()})
    return out


def write_export(records: list[dict], path: Path, fmt: str) -> None:
    """JSON (a UTF-8 array) or CSV (UTF-8 with BOM so Excel opens it; attachments joined by '|'; no cell can
    run as a formula: data_access.spreadsheet)."""
    if fmt == "json":
        path.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
    elif fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            spreadsheet.write_csv_rows(fh, EXPORT_FIELDS, (
                [r[f] if f != "feedback_attachments" else "|".join(r[f] or []) for f in EXPORT_FIELDS] for r in records))
    else:
        raise ValueError(f"unknown export format {fmt!r}; use json or csv")
