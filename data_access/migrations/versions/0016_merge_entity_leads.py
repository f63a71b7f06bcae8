"""risk leads: merge the open leads of one market entity into its one ``entity:<uscc>`` lead

Since 2026-12-07 the pipeline writes an entity's deterioration, credit and repeat signals to one lead keyed
``entity:<uscc>`` (risk_models/lead_writer.py). Leads written before stayed separate (``credit:<uscc>``,
``repeat:<uscc>`` beside ``entity:<uscc>``), and a lone open ``credit:<uscc>`` lead would be joined by a new
``entity:<uscc>`` lead at the entity's next signal. This revision merges, per entity, every open lead of those
keys into one lead:

* the lead that stays is the one furthest along the lifecycle (its dispatch, deadlines, department and feedback
  stand), the oldest among equals; it gets the key ``entity:<uscc>`` (``entity:<uscc>#<n>`` after closed leads
  of that key, numbered as the writer numbers them);
* its evidence holds every merged lead's signal under ``evidence.signals`` (kind → episode, tier, details,
  title, reason, score, level), its reason joins theirs, its score is the highest; a lead still 待研判 takes the
  highest level and the title of the signal that sets it, a dispatched one keeps its level and title (its
  deadlines were set from them);
* every timeline event of the merged leads moves to it, and a 合并 event records each merged lead's whole row
  (status, department, deadlines, dispatch and feedback fields), so nothing of their history is lost;
* the merged rows are then deleted.

Idempotent: a second run finds one open lead per entity, already keyed ``entity:<uscc>``, and changes nothing.
The downgrade changes nothing (the merge cannot be undone; the 合并 events keep what was merged).

Revision ID: 0016
Revises: 0015
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# As of this revision (risk_models.lead_writer): the kinds one entity's lead merges, in title order, and the
# statuses of closed leads. Lifecycle progress of open leads (dispatch.lifecycle), least advanced first.
ENTITY_KINDS = ("entity", "credit", "repeat")
CLOSED = ("已办结", "误报")
PROGRESS = ("待研判", "退回", "已转办", "已签收", "核查中", "已反馈")
LEVEL_ORDER = ("RED", "ORANGE", "YELLOW", "BLUE")  # highest first
ACTOR = "系统迁移"

lead = sa.table(
    "derived_risk_lead", *(sa.column(c) for c in (
        "lead_id", "lead_key", "kind", "level", "score", "title", "reason", "region_code", "category_code",
        "subject_uscc", "dept_code", "co_dept_codes", "status", "created_at", "updated_at", "signed_at",
        "sign_deadline", "handle_deadline", "feedback_at", "closed_at", "feedback_result", "feedback_text",
        "version", "dispatched_at", "feedback_actions", "supervise_level", "extension_days",
        "extension_request_days", "return_count", "joint_task_id")),
    sa.column("evidence", sa.JSON), sa.column("feedback_attachments", sa.JSON))
event = sa.table("derived_risk_lead_event", sa.column("lead_id"), sa.column("from_status"), sa.column("to_status"),
                 sa.column("actor"), sa.column("at"), sa.column("note"), sa.column("action"),
                 sa.column("detail", sa.JSON))


def upgrade() -> None:
    merge_entity_leads(op.get_bind())


def downgrade() -> None:
    pass


def merge_entity_leads(conn, now: dt.datetime | None = None) -> int:
    """Merge each entity's open entity/credit/repeat leads into one ``entity:<uscc>`` lead; returns the number
    of leads merged away or re-keyed."""
    now = now or dt.datetime.now().replace(microsecond=0)
    rows = conn.execute(sa.select(lead).where(lead.c.kind.in_(ENTITY_KINDS), lead.c.subject_uscc.is_not(None),
                                              lead.c.status.not_in(CLOSED)).order_by(lead.c.lead_id)).mappings().all()
    groups: dict[str, list[dict]] = {}
    for r in rows:
        u = r["subject_uscc"]
        if r["lead_key"].split("#", 1)[0] in {f"{k}:{u}" for k in ENTITY_KINDS}:  # not a county × category lead
            groups.setdefault(u, []).append(dict(r))
    changed = 0
    for uscc, group in groups.items():
        base = f"entity:{uscc}"
        if len(group) == 1 and group[0]["lead_key"].split("#", 1)[0] == base:
            continue
        keep = max(group, key=lambda r: (PROGRESS.index(r["status"]) if r["status"] in PROGRESS else 0, -r["lead_id"]))
        merged = sorted((r for r in group if r is not keep), key=lambda r: -r["lead_id"])
        values = _merged_fields(keep, merged)
        gone = [r["lead_id"] for r in merged]
        if gone:
            conn.execute(sa.update(event).where(event.c.lead_id.in_(gone)).values(lead_id=keep["lead_id"]))
            conn.execute(sa.insert(event).values(
                lead_id=keep["lead_id"], from_status=keep["status"], to_status=keep["status"], actor=ACTOR, at=now,
                action="merge", note="合并同一主体的重复线索：" + "、".join(
                    f"#{r['lead_id']}（{r['title']}，{r['status']}）" for r in merged),
                detail={"merged": [_plain(r) for r in merged]}))
            conn.execute(sa.delete(lead).where(lead.c.lead_id.in_(gone)))
        if keep["lead_key"].split("#", 1)[0] != base:
            values["lead_key"] = _free_key(conn, base, keep["lead_id"])
        conn.execute(sa.update(lead).where(lead.c.lead_id == keep["lead_id"]).values(
            **values, updated_at=now, version=keep["version"] + 1))
        changed += len(gone) + ("lead_key" in values)
    return changed


def _part(r: dict) -> dict[str, dict]:
    """The signals a stored lead holds, by kind: its ``evidence.signals``, or its own signal."""
    evidence = r["evidence"] if isinstance(r["evidence"], dict) else {}
    if evidence.get("signals"):
        return dict(evidence["signals"])
    own = {k: evidence[k] for k in ("episode", "tier", "signal") if k in evidence}
    return {r["kind"]: {**own, "title": r["title"], "reason": r["reason"], "score": r["score"], "level": r["level"]}}


def _merged_fields(keep: dict, merged: list[dict]) -> dict:
    held: dict[str, dict] = {}
    for r in [keep, *merged]:  # the lead that stays first, then the newest
        for kind, part in _part(r).items():
            held.setdefault(kind, part)
    order = [k for k in ENTITY_KINDS if k in held] + [k for k in held if k not in ENTITY_KINDS]
    evidence = keep["evidence"] if isinstance(keep["evidence"], dict) else {}
    entity = evidence.get("entity") or next((r["evidence"].get("entity") for r in merged
                                             if isinstance(r["evidence"], dict) and r["evidence"].get("entity")), None)
    out = {"evidence": {**{k: v for k, v in evidence.items() if k != "signals"}, "entity": entity,
                        "signals": {k: held[k] for k in order}},
           "reason": "；".join(held[k]["reason"] for k in order if held[k].get("reason")),
           "score": max(float(held[k].get("score") or 0) for k in order)}
    if keep["status"] == "待研判":  # not dispatched yet: the highest level among the parts leads
        levels = {k: held[k].get("level") if held[k].get("level") in LEVEL_ORDER else keep["level"] for k in order}
        out["level"] = min(levels.values(), key=LEVEL_ORDER.index)
        top = next(k for k in order if levels[k] == out["level"])
        out["kind"] = top if top in ENTITY_KINDS else keep["kind"]
        out["title"] = (held[top].get("title") or keep["title"])[:200]
    return out


def _free_key(conn, base: str, lead_id: int) -> str:
    """``base`` if no other lead holds it, else ``base#<n>`` after the closed leads of that key (the writer's
    numbering: one more than the leads of the key)."""
    taken = set(conn.execute(sa.select(lead.c.lead_key).where(
        (lead.c.lead_key == base) | lead.c.lead_key.like(f"{base}#%"), lead.c.lead_id != lead_id)).scalars())
    if not taken:
        return base
    n = len(taken) + 1
    while f"{base}#{n}" in taken:
        n += 1
    return f"{base}#{n}"


def _plain(r: dict) -> dict:
    """A lead row as JSON (times as ISO strings)."""
    return {k: v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v for k, v in r.items()}
