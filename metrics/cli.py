"""``bianjian metrics``: every declared figure, as a person reads it or as JSON lines for other systems."""

from __future__ import annotations

import datetime as dt
import json

import click


@click.command("metrics")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line per metric.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="End windows on this day (default: now). Stocks (在办, 待办) are always current.")
@click.option("--role", default="SYS_ADMIN", show_default=True, help="Whose view: LEADER, ANALYST, DEPT_HEAD, …")
@click.option("--dept", default=None, help="With --role DEPT_HEAD: the department (key such as SCJG, or its code).")
@click.option("--doc", is_flag=True, help="Print docs/metrics.md (generated from the declarations) and exit.")
def metrics_command(as_json: bool, as_of: dt.datetime | None, role: str, dept: str | None, doc: bool) -> None:
    """The figures the wall, 概览, pages and bulletins show, with their labels and definitions (docs/metrics.md)."""
    if doc:
        from metrics.docs import markdown

        click.echo(markdown(), nl=False)
        return
    import metrics
    from data_access import db
    from data_access.reference import DEPT_CODE_BY_KEY, DEPT_SHORT_NAME_BY_CODE
    from data_access.scope import ROLES, Scope

    if role not in ROLES:
        raise click.UsageError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    code = DEPT_CODE_BY_KEY.get(dept, dept) if dept else None
    if code is not None and code not in DEPT_SHORT_NAME_BY_CODE:
        raise click.UsageError(f"unknown department {dept!r}; give a key such as SCJG or an 18-digit code")
    try:
        scope = Scope(user="cli", role=role, dept_code=code)
    except ValueError:
        raise click.UsageError("--role DEPT_HEAD needs --dept") from None
    with db.session_scope() as session:
        rows = metrics.compute(metrics.context(session, scope, as_of.date() if as_of else None))
    for row in rows:
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        elif isinstance(row["value"], list):
            click.echo(f"{row['label']}（{row['as_of']}）: " + "；".join(
                f"{u['rank'] or '—'} {u['unit_name']} {u['score'] if u['score'] is not None else '无数据'} {u['status']}"
                for u in row["value"]))
        else:
            shown = metrics.display(metrics.get(row["name"]), row["value"])
            click.echo(f"{row['label']}: {shown} {row['unit'] if row['unit'] not in ('比例', '月') else ''}"
                       f"（{row['window']}，截至 {row['as_of']}）")
