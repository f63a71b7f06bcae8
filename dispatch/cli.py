"""``bianjian leads``: list leads, apply a lifecycle action, exchange with the provincial system."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from data_access.cli_engine import warehouse_engine

ROLE_CHOICES = ("ANALYST", "DEPT_HEAD", "LEADER")


def _dept_code(key: str | None) -> str | None:
    from data_access.reference import DEPT_CODE_BY_KEY

    if key is None:
        return None
    if key not in DEPT_CODE_BY_KEY:
        raise click.BadParameter(f"unknown department key {key!r} (e.g. SCJG, CGJ, GOV410202)", param_hint="--dept")
    return DEPT_CODE_BY_KEY[key]




@click.group("leads")
def leads() -> None:
    """Risk leads: triage, dispatch, feedback and exchange with the provincial system."""


@leads.command("list")
@click.option("--status", "statuses", multiple=True, help="Only these statuses (repeatable), e.g. 已转办.")
@click.option("--dept", "dept", default=None, help="Lead department key, e.g. SCJG.")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_cmd(statuses: tuple[str, ...], dept: str | None, limit: int, as_json: bool) -> None:
    """List leads, newest first, with department, running deadline and 临期/超期 state.

    Example: bianjian leads list --status 已转办 --dept SCJG --json
    """
    from sqlalchemy.orm import Session

    from data_access import codes, queries_leads
    from data_access.scope import SYSTEM

    bad = [s for s in statuses if s not in codes.LEAD_STATUSES]
    if bad:
        raise click.BadParameter(f"unknown status {bad}; one of {', '.join(codes.LEAD_STATUSES)}", param_hint="--status")
    with Session(warehouse_engine()) as session:
        df = queries_leads.list_leads(session, SYSTEM, as_of=dt.datetime.now(), statuses=list(statuses) or None,
                                      dept_code=_dept_code(dept), limit=limit)
    for row in df.to_dict("records"):
        row = {k: (None if v != v else v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v)
               for k, v in row.items()}
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            click.echo(f"{row['lead_id']}\t{row['status']}\t{codes.LEAD_LEVELS[row['level']]}\t"
                       f"{row['dept_name'] or '-'}\t{row['deadline'] or '-'}\t{row['deadline_state'] or ''}\t{row['title']}")


@leads.command("transition")
@click.argument("lead_id", type=int)
@click.argument("action")
@click.option("--actor", required=True, help="Who acts (recorded in the timeline and audit log).")
@click.option("--role", type=click.Choice(ROLE_CHOICES), default="ANALYST", show_default=True)
@click.option("--actor-dept", default=None, help="The actor's department key (required for DEPT_HEAD).")
@click.option("--note", default=None, help="Reason or feedback text.")
@click.option("--dept", default=None, help="转办: lead department key.")
@click.option("--co-dept", "co_depts", multiple=True, help="转办: co-department key (repeatable).")
@click.option("--result", default=None, help="反馈: 属实 / 部分属实 / 不属实.")
@click.option("--measure", "measures", multiple=True, help="反馈: action taken, e.g. 责令整改 (repeatable).")
@click.option("--attachment", "attachments", multiple=True, help="反馈: attachment file name or path (repeatable).")
@click.option("--days", type=int, default=None, help="延期申请: working days requested.")
@click.option("--level", default=None, help="督办: 一般督办 / 重点督办 / 挂牌督办.")
def transition_cmd(lead_id: int, action: str, actor: str, role: str, actor_dept: str | None, note: str | None,
                   dept: str | None, co_depts: tuple[str, ...], result: str | None, measures: tuple[str, ...],
                   attachments: tuple[str, ...], days: int | None, level: str | None) -> None:
    """Apply ACTION (key or Chinese label, e.g. dispatch / 转办, sign / 签收) to lead LEAD_ID.

    Example: bianjian leads transition 42 转办 --actor 王磊 --dept SCJG --co-dept WJW
    """
    from sqlalchemy.orm import Session

    from data_access.scope import Scope
    from dispatch.lifecycle import LeadError, transition

    try:
        scope = Scope(actor, role, _dept_code(actor_dept))
    except ValueError as exc:
        raise click.UsageError("DEPT_HEAD needs --actor-dept") from exc
    with Session(warehouse_engine()) as session:
        try:
            with session.begin():
                lead = transition(session, lead_id, action, scope, note=note, dept_code=_dept_code(dept),
                                  co_dept_codes=[_dept_code(c) for c in co_depts], result=result, actions=measures,
                                  attachments=attachments, days=days, level=level)
        except LeadError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"{lead.lead_id}\t{lead.status}\tversion={lead.version}")


@leads.command("export")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True)
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Only leads dispatched, fed back or closed on or after this day.")
def export_cmd(fmt: str, out: Path, since: dt.datetime | None) -> None:
    """Export dispatched leads and their feedback for the provincial 互联网+监管 system.

    Example: bianjian leads export --format csv --out leads.csv --since 2026-01-01
    """
    from sqlalchemy.orm import Session

    from data_access.scope import SYSTEM
    from dispatch.exchange import export_records, write_export

    with Session(warehouse_engine()) as session:
        records = export_records(session, SYSTEM, since=since)
    write_export(records, out, fmt)
    click.echo(f"{len(records)} leads → {out}")


@leads.command("import-provincial")
def import_provincial_cmd() -> None:
    """Import open provincial leads (fact_provincial_lead) as risk leads to triage; re-runs add only new ones."""
    from dispatch.exchange import import_provincial_leads

    with warehouse_engine().begin() as conn:
        n = import_provincial_leads(conn)
    click.echo(f"{n} provincial leads imported")
