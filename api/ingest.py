"""``POST /api/v1/ingest/KIND``: a source system pushes a JSON array of records of one KIND.

The body is one batch: validated, quarantined and upserted exactly as a file is (``data_access.ingest``),
with every record's 来源系统 set to the system that owns the API key; a KIND the key is not scoped to is
refused with 403. ``?dry_run=1`` validates and counts
without keeping anything. The response is the batch outcome plus the first rejected records' reasons.
"""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request
from sqlalchemy import select

import settings
from data_access import codes, db
from data_access.ingest import UnreadableFile, ingest_records
from data_access.schema import IngestQuarantine
from security import api_keys

log = logging.getLogger(__name__)
blueprint = Blueprint("api_ingest", __name__, url_prefix="/api/v1/ingest")
# Rejected records echoed back in a response; the rest are in the quarantine table.
REJECTED_SHOWN = 100


@blueprint.post("/<kind>")
def push(kind: str):
    """Load the pushed records; 200 with counts, or 4xx with a message in Chinese and English."""
    try:
        src_system = api_keys.request_src_system()
    except PermissionError:
        return _error(401, "未认证的来源系统 / no authenticated source system")
    if kind not in codes.INGEST_KINDS:
        return _error(404, f"未知的数据类型 / unknown kind {kind!r}; expected one of {', '.join(codes.INGEST_KINDS)}")
    if kind not in api_keys.request_kinds():
        log.warning("API key of %s refused for kind %s", src_system, kind)
        return _error(403, f"该密钥无权推送此类数据 / this key may not push {kind!r}; it may push "
                           f"{', '.join(sorted(api_keys.request_kinds())) or 'nothing'}")
    body = request.get_json(silent=True)
    if not isinstance(body, list):
        return _error(400, "请求体应为JSON数组 / the body must be a JSON array of records")
    limit = int(settings.get("ingest_api_max_records"))
    if len(body) > limit:
        return _error(413, f"单次最多{limit}条记录 / at most {limit} records per request")
    dry_run = request.args.get("dry_run", "").lower() in ("1", "true", "yes")
    try:
        result = ingest_records(db.engine(), kind, body, src_system=src_system,
                                origin=f"api:{src_system}@{request.remote_addr}", dry_run=dry_run)
    except UnreadableFile as exc:
        return _error(422, str(exc))
    payload = result.as_dict()
    payload["rejected"] = [] if dry_run else _rejected(result.batch_id)
    return jsonify(payload)


def _rejected(batch_id: str) -> list[dict]:
    with db.session_scope() as session:
        rows = session.execute(select(IngestQuarantine.line_no, IngestQuarantine.reasons)
                               .where(IngestQuarantine.batch_id == batch_id)
                               .order_by(IngestQuarantine.line_no).limit(REJECTED_SHOWN)).all()
    # line_no counts records from 1; the sender thinks in array indexes from 0.
    return [{"index": line - 1, "reasons": reasons} for line, reasons in rows]


def _error(status: int, message: str):
    response = jsonify({"error": message})
    response.status_code = status
    return response
