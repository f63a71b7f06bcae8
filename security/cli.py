"""``bianjian users|kiosk|keys|audit``: user accounts, wall-display tokens, API keys and the audit chain.

Only click is imported at module level; each command imports what it needs when it runs.
"""

from __future__ import annotations

import getpass
import json
import sys

import click

from data_access.cli_engine import warehouse_engine


def _actor() -> str:
    return f"cli:{getpass.getuser()}"[:40]




def _session():
    from sqlalchemy.orm import Session

    return Session(warehouse_engine())


def _stamp(value) -> str:  # noqa: ANN001
    return f"{value:%Y-%m-%d %H:%M}" if value else "-"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


# ------------------------------------------------------------------------------------------------- users
@click.group()
def users() -> None:
    """Dashboard user accounts (passwords are stored as argon2id hashes)."""


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, help="LEADER, ANALYST, DEPT_HEAD, DATA_ADMIN, SYS_ADMIN or WALL.")
@click.option("--dept", "dept_key", help="Department key (e.g. SCJG); required for DEPT_HEAD.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def users_add(username: str, role: str, dept_key: str | None, password_stdin: bool) -> None:
    """Create a user.

    Example: echo 'S3cure-Pass!' | bianjian users add wang --role DEPT_HEAD --dept SCJG --password-stdin
    """
    from security import users as lib

    password = _read_password(password_stdin)
    with _session() as session, session.begin():
        try:
            user = lib.add_user(session, username, role.upper(), password, actor=_actor(), dept_key=dept_key)
        except lib.UserError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"created {user.username} ({user.role})")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def users_list(as_json: bool) -> None:
    """List users with role, department, state and last login."""
    from security import users as lib

    with _session() as session:
        for u in lib.list_users(session):
            row = {"username": u.username, "role": u.role, "dept_code": u.dept_code, "disabled": u.disabled,
                   "last_login_at": _stamp(u.last_login_at)}
            click.echo(json.dumps(row, ensure_ascii=False) if as_json else
                       f"{u.username}\t{u.role}\t{u.dept_code or '-'}\t{'disabled' if u.disabled else 'active'}"
                       f"\t{row['last_login_at']}")


@users.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Disable a user and end their sessions."""
    from security import users as lib

    with _session() as session, session.begin():
        try:
            lib.disable_user(session, username.lower(), actor=_actor())
        except lib.UserError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"disabled {username}")


@users.command("reset-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from the first line of stdin.")
def users_reset_password(username: str, password_stdin: bool) -> None:
    """Set a new password and end the user's sessions."""
    from security import users as lib

    password = _read_password(password_stdin)
    with _session() as session, session.begin():
        try:
            lib.reset_password(session, username.lower(), password, actor=_actor())
        except lib.UserError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"password of {username} reset")


# ------------------------------------------------------------------------------------------------- kiosk
@click.group()
def kiosk() -> None:
    """Wall-display tokens: open /wall?kiosk=TOKEN on the display to log it in as role WALL."""


@kiosk.command("create")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help='Print {"name": …, "token": …}.')
def kiosk_create(name: str, as_json: bool) -> None:
    """Issue a token for display NAME (printed once; only its hash is stored)."""
    from security import kiosk as lib

    with _session() as session, session.begin():
        try:
            token = lib.create(session, name, actor=_actor())
        except lib.KioskError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps({"name": name, "token": token}) if as_json else f"{token}\nopen: /wall?kiosk={token}")


@kiosk.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def kiosk_list(as_json: bool) -> None:
    """List displays with their state and last use."""
    from security import kiosk as lib

    with _session() as session:
        for k in lib.list_kiosks(session):
            row = {"name": k.name, "created_at": _stamp(k.created_at), "revoked": k.revoked_at is not None,
                   "last_used_at": _stamp(k.last_used_at)}
            click.echo(json.dumps(row) if as_json else
                       f"{k.name}\t{'revoked' if row['revoked'] else 'active'}\t{row['created_at']}"
                       f"\t{row['last_used_at']}")


@kiosk.command("revoke")
@click.argument("name")
def kiosk_revoke(name: str) -> None:
    """Revoke display NAME's token and end its sessions."""
    from security import kiosk as lib

    with _session() as session, session.begin():
        try:
            lib.revoke(session, name, actor=_actor())
        except lib.KioskError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"revoked {name}")


# -------------------------------------------------------------------------------------------------- keys
@click.group()
def keys() -> None:
    """API keys of source systems for /api/v1/ (header X-API-Key or Authorization: Bearer)."""


@keys.command("create")
@click.argument("system")
@click.option("--kinds", default=None, help="Comma-separated kinds the key may push, e.g. hotline,urban "
              "(default: the kinds registered to SYSTEM, else every kind but entity, credit and catalog).")
@click.option("--json", "as_json", is_flag=True, help='Print {"src_system": …, "key": …, "kinds": […]}.')
def keys_create(system: str, kinds: str | None, as_json: bool) -> None:
    """Issue a key for source SYSTEM scoped to --kinds (printed once; only its hash is stored)."""
    from security import api_keys as lib

    granted = [k.strip() for k in kinds.split(",") if k.strip()] if kinds is not None else None
    with _session() as session, session.begin():
        try:
            key = lib.create(session, system, actor=_actor(), kinds=granted)
        except lib.ApiKeyError as exc:
            raise click.ClickException(str(exc)) from exc
    scope = sorted(granted if granted is not None else lib.default_kinds(system))
    click.echo(json.dumps({"src_system": system, "key": key, "kinds": scope}) if as_json else key)


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def keys_list(as_json: bool) -> None:
    """List keys by source system, prefix, state and last use."""
    from security import api_keys as lib

    with _session() as session:
        for k in lib.list_keys(session):
            row = {"src_system": k.src_system, "prefix": k.key_prefix, "revoked": k.revoked_at is not None,
                   "created_at": _stamp(k.created_at), "last_used_at": _stamp(k.last_used_at),
                   "kinds": sorted(lib.kinds_of(k))}
            click.echo(json.dumps(row) if as_json else
                       f"{k.src_system}\t{k.key_prefix}\t{'revoked' if row['revoked'] else 'active'}"
                       f"\t{row['created_at']}\t{row['last_used_at']}\t{','.join(row['kinds'])}")


@keys.command("revoke")
@click.argument("prefix")
def keys_revoke(prefix: str) -> None:
    """Revoke the key whose PREFIX is shown by ``keys list``."""
    from security import api_keys as lib

    with _session() as session, session.begin():
        try:
            row = lib.revoke(session, prefix, actor=_actor())
        except lib.ApiKeyError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"revoked {prefix} ({row.src_system})")


# ------------------------------------------------------------------------------------------------- audit
@click.group()
def audit() -> None:
    """The hash-chained audit log."""


@audit.command("verify")
def audit_verify() -> None:
    """Recompute the chain; exit 1 naming the first tampered row, else print the row count and head hash.

    An intact log is checkpointed (signed row count and head in VAR_DIR) so that a later deletion of its last
    rows or a wipe is caught; copy the head hash somewhere else too (a ticket, the weekly report).
    """
    from security import audit as lib

    engine = warehouse_engine()
    problems = lib.verify(engine)
    if problems:
        for problem in problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"audit log tampered ({len(problems)} problems); first: {problems[0]}")
    n, head = lib.head(engine)
    lib.checkpoint(engine)
    click.echo(f"ok: {n} rows, head {head} (checkpoint: {lib.checkpoint_path(engine)})")
