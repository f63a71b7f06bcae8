"""Which role may reach which page, and which page a Dash callback belongs to.

A page declares its audience in ``dash.register_page(__name__, ..., roles=("LEADER", "ANALYST"))``;
without ``roles`` every logged-in role except WALL may see it. A callback belongs to the page whose
component-id prefix its outputs carry: the module name plus ``-`` (``complaints-daily`` →
pages/complaints.py), or the page's ``id_prefix=`` kwarg. Outputs with the shell's ``app-`` prefix
belong to app.py and are open to every logged-in role; outputs matching nothing are refused, so a page
that forgets the convention fails closed (and tests/test_security_web.py says which callback).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import dash
from dash import html
from dash._pages import _path_to_page

from data_access import db
from data_access.scope import ROLES
from security import audit
from security.identity import current_identity

log = logging.getLogger(__name__)

DEFAULT_PAGE_ROLES: tuple[str, ...] = tuple(r for r in ROLES if r != "WALL")
SHELL_PREFIX = "app-"
PAGES_CONTENT_ID = "_pages_content"  # Dash Pages' routing callback renders the page for a pathname
PAGES_LOCATION_ID = "_pages_location"
SHELL = {"module": "app", "roles": tuple(ROLES)}


def page_roles(page: dict[str, Any]) -> tuple[str, ...]:
    roles = tuple(page.get("roles", DEFAULT_PAGE_ROLES))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValueError(f"page {page['module']} declares unknown roles {unknown}")
    return roles


def can_see(role: str, page: dict[str, Any]) -> bool:
    return role in page_roles(page)


def visible_pages(role: str) -> list[dict[str, Any]]:
    """The registered pages ``role`` may open, in registry order (for navigation)."""
    return [p for p in dash.page_registry.values() if can_see(role, p)]


def page_for_path(app: dash.Dash, path: str) -> dict[str, Any] | None:
    """The page Dash would render for ``path`` (same matching as Dash Pages), or None."""
    page, _ = _path_to_page(app.strip_relative_path(path or "/"))
    return page or None


def guard_layouts() -> None:
    """Make every registered page's layout check the role itself (defence in depth behind the request guard).

    Idempotent and cheap, so the request guard calls it on every callback request: pages registered after
    start-up (tests, plugins) are covered too.
    """
    for page in dash.page_registry.values():
        if not getattr(page.get("layout"), "bianjian_guarded", False):
            page["layout"] = _guarded_layout(page, page.get("layout", ""))


def _guarded_layout(page: dict[str, Any], layout: Any):
    def guarded(**kwargs: Any) -> Any:
        identity = current_identity()
        if identity is None or not can_see(identity.scope.role, page):
            actor = identity.scope.user if identity else "anonymous"
            log.warning("layout of %s refused to %s", page["path"], actor)
            with db.session_scope() as session:
                audit.record(session, actor[:40], "access_denied", "page", page["path"][:120],
                             {"reason": "the page layout refused this role"})
            return html.Div([html.H3("无权访问"), html.P("您的角色无权查看此页面。")], id="app-layout-refused")
        return layout(**kwargs) if callable(layout) else layout

    if callable(layout):
        functools.update_wrapper(guarded, layout)
    guarded.bianjian_guarded = True
    return guarded


def id_prefix(page: dict[str, Any]) -> str:
    return page.get("id_prefix") or page["module"].split(".")[-1] + "-"


def _component_key(component_id: Any) -> str | None:
    if isinstance(component_id, str):
        return component_id
    if isinstance(component_id, dict) and isinstance(component_id.get("type"), str):
        return component_id["type"]  # pattern-matching ids carry the prefix in "type"
    return None


def page_for_component(component_id: Any) -> dict[str, Any] | None:
    """The page (or ``SHELL``) owning a component id, by the longest matching prefix; None if no owner."""
    key = _component_key(component_id)
    if key is None:
        return None
    if key.startswith(SHELL_PREFIX) or (key.startswith("_pages_") and key != PAGES_CONTENT_ID):
        return SHELL
    owners = [p for p in dash.page_registry.values() if key.startswith(id_prefix(p))]
    return max(owners, key=lambda p: len(id_prefix(p))) if owners else None


def _flatten(specs: Any) -> list[dict[str, Any]]:
    if isinstance(specs, dict):
        return [specs]
    if isinstance(specs, list):
        return [s for item in specs for s in _flatten(item)]
    return []


def authorize_callback(app: dash.Dash, role: str, body: Any) -> str | None:
    """None if ``role`` may run the callback in this ``/_dash-update-component`` body, else the reason (in
    Chinese: it is recorded in the audit log that 审计日志 shows)."""
    if not isinstance(body, dict):
        return "页面操作请求格式错误"
    outputs = _flatten(body.get("outputs"))
    if not outputs:
        return "页面操作请求没有输出"
    for output in outputs:
        component_id = output.get("id")
        if component_id == PAGES_CONTENT_ID:
            pathname = next((i.get("value") for i in _flatten(body.get("inputs"))
                             if i.get("id") == PAGES_LOCATION_ID and i.get("property") == "pathname"), None)
            page = page_for_path(app, pathname if isinstance(pathname, str) else "/")
            if page is None and role == "WALL":
                return "大屏只能打开大屏页面"
            if page is not None and not can_see(role, page):
                return f"{ROLES[role]}无权打开「{page['name']}」"
            continue
        page = page_for_component(component_id)
        if page is None:
            return f"页面操作的输出 {component_id!r} 不属于任何页面"
        if not can_see(role, page):
            return f"{ROLES[role]}无权使用「{page.get('name', page['module'])}」的页面操作"
    return None
