"""The Dash background-callback manager, and who a background job works for.

Long work (a monthly bulletin, a big export) runs outside the request thread, so a web worker is never
tied up for minutes: in production on the Celery worker (``bianjian worker`` imports the app, which is how
it knows the background callbacks), locally in a diskcache-managed process. A page opts in with
``@callback(..., background=True)``; the manager is set once in ``create_app``.

A job has no request, so ``security.current_scope()`` cannot work inside it. Instead, on the request side
a ``custom_data`` hook copies the scope the server resolved from the session (plain values, never anything
the browser sent) into the callback context that Dash hands to the job; ``job_scope`` reads it there and
checks the user again in the warehouse.

Dash keys a job's result by the callback's source and arguments only, so two users (or two tables of one
page) clicking with equal inputs would read each other's file; our managers also key it by who asked.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict

import dash
from sqlalchemy import select
from sqlalchemy.orm import Session

import settings
from data_access import db
from data_access.schema import AppUser
from data_access.scope import Scope
from ops.celery_app import broker_url

SCOPE_NAMESPACE = "bianjian_scope"


class _KeyedByRequester:
    """A result key that also carries the requesting session and scope (built on the request side)."""

    def build_cache_key(self, fn, args, cache_args_to_ignore, triggered) -> str:  # noqa: ANN001
        from flask import g

        identity = g.get("bianjian_identity")
        requester = None if identity is None else (identity.session_id, asdict(identity.scope))
        key = super().build_cache_key(fn, args, cache_args_to_ignore, triggered)
        return hashlib.sha256(f"{key}|{requester!r}".encode()).hexdigest()


class _CeleryManager(_KeyedByRequester, dash.CeleryManager):
    pass


class _DiskcacheManager(_KeyedByRequester, dash.DiskcacheManager):
    pass


def manager() -> dash.CeleryManager | dash.DiskcacheManager:
    if broker_url():
        from ops.celery_app import celery

        return _CeleryManager(celery, expire=3600)
    import diskcache

    return _DiskcacheManager(diskcache.Cache(str(settings.var_dir() / "background")), expire=3600)


@dash.hooks.custom_data(SCOPE_NAMESPACE)
def requester_scope(_context: dict) -> dict | None:
    """Request side: the logged-in user's scope as plain values (None outside a login)."""
    from flask import g

    identity = g.get("bianjian_identity")
    return None if identity is None else asdict(identity.scope)


def job_scope(session: Session) -> Scope:
    """Inside a background job: the scope of the user whose request started it, if that user still exists,
    is enabled and has the same role and department; else PermissionError."""
    data = (dash.callback_context.custom_data or {}).get(SCOPE_NAMESPACE)
    if not data:
        raise PermissionError("后台任务缺少发起人的登录身份")
    scope = Scope(**data)
    user = session.scalar(select(AppUser).where(AppUser.username == scope.user))
    if user is None or user.disabled or (user.role, user.dept_code) != (scope.role, scope.dept_code):
        raise PermissionError("发起人的账号已停用或权限已变更")
    return scope


def _forget_inherited_connections() -> None:
    """A job process forked from a web or Celery process must not share its parent's database connections."""
    if db.engine.cache_info().currsize:
        db.engine().dispose(close=False)


os.register_at_fork(after_in_child=_forget_inherited_connections)
