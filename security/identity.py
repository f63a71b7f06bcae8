"""The identity of the current request, set by the request guard (web.guard) on ``flask.g``."""

from __future__ import annotations

from flask import g, has_request_context

from data_access.scope import Scope
from security.sessions import Identity


class NotAuthenticated(PermissionError):
    """Raised when code that needs a logged-in user runs without one (e.g. outside a request)."""


def current_identity() -> Identity | None:
    return g.get("bianjian_identity") if has_request_context() else None


def current_scope() -> Scope:
    identity = current_identity()
    if identity is None:
        raise NotAuthenticated("no logged-in user in this context")
    return identity.scope
