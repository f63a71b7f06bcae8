"""A ``/_dash-update-component`` request must have exactly the shape of the callback it names.

Dash finds the callback by the body's ``output`` key and hands it the ``inputs`` and ``state`` values *by
position*; our guards (the role check of the page router, department checks in callbacks) read them by
``id`` and ``property``. A request whose items are relabelled, permuted, duplicated, added or dropped makes
the two disagree — the guard checks one value while the callback uses another. So before any guard runs,
every item must be exactly the declared dependency at its position: same id (a pattern-matching id must
match its pattern, with one value per ``MATCH`` key), same property, same count; outputs likewise, and
``changedPropIds`` may only name inputs of the request.
"""

from __future__ import annotations

import json
from typing import Any

import dash

WILDCARDS = frozenset({"ALL", "MATCH", "ALLSMALLER"})
MULTI_VALUED = frozenset({"ALL", "ALLSMALLER"})  # dash-renderer sends a list of items for these
_SCALARS = (str, int, float, bool)


class ShapeError(ValueError):
    """The request does not match its callback's declaration; the message says where."""


def _parse_id(component_id: str) -> str | dict[str, Any]:
    return json.loads(component_id) if component_id.startswith("{") else component_id


def _split_prop_id(prop_id: str) -> tuple[str | dict[str, Any], str]:
    """``"id.prop"`` / ``'{"type":…}.prop'`` → (id, prop), as dash-renderer parses callback keys."""
    if prop_id.startswith("{"):
        end = prop_id.rindex("}.")
        return json.loads(prop_id[:end + 1]), prop_id[end + 2:]
    component_id, prop = prop_id.rsplit(".", 1)
    return component_id, prop


def declared_outputs(key: str) -> list[dict[str, Any]]:
    """The outputs of the callback registered under ``key`` (Dash's callback id)."""
    specs = key[2:-2].split("...") if key.startswith("..") else [key]
    return [dict(zip(("id", "property"), _split_prop_id(spec), strict=True)) for spec in specs]


def runs_on_server(callback: dict[str, Any]) -> bool:
    """False for clientside callbacks: the browser runs them, so no request may name them."""
    return "callback" in callback


def declared(callback: dict[str, Any], part: str) -> list[dict[str, Any]]:
    """The declared ``inputs`` or ``state`` of a ``callback_map`` entry, pattern-matching ids parsed."""
    return [{"id": _parse_id(d["id"]), "property": d["property"]} for d in callback[part]]


def wildcard(value: Any) -> str | None:
    if isinstance(value, list) and len(value) == 1 and value[0] in WILDCARDS:
        return value[0]
    return None


def is_multi_valued(declared_id: Any) -> bool:
    return isinstance(declared_id, dict) and any(wildcard(v) in MULTI_VALUED for v in declared_id.values())


class _Matcher:
    """Checks concrete items against declared dependencies, remembering the value bound to each MATCH key."""

    def __init__(self) -> None:
        self.matched: dict[str, Any] = {}

    def item(self, where: str, spec: dict[str, Any], item: Any, extra_keys: frozenset[str]) -> None:
        if not isinstance(item, dict) or not {"id", "property"} <= item.keys() \
                or item.keys() - {"id", "property"} - extra_keys:
            raise ShapeError(f"{where}: malformed item")
        if item["property"] != spec["property"]:
            raise ShapeError(f"{where}: property {item['property']!r} where {spec['property']!r} is declared")
        self._id(where, spec["id"], item["id"])

    def _id(self, where: str, pattern: Any, component_id: Any) -> None:
        if isinstance(pattern, str):
            if component_id != pattern:
                raise ShapeError(f"{where}: id {component_id!r} where {pattern!r} is declared")
            return
        if not isinstance(component_id, dict) or component_id.keys() != pattern.keys():
            raise ShapeError(f"{where}: id {component_id!r} does not match the pattern {pattern!r}")
        for name, expected in pattern.items():
            value, kind = component_id[name], wildcard(expected)
            if kind is None:
                if value != expected or type(value) is not type(expected):
                    raise ShapeError(f"{where}: id {component_id!r} does not match the pattern {pattern!r}")
                continue
            if not isinstance(value, _SCALARS):
                raise ShapeError(f"{where}: id {component_id!r} has a non-scalar value for {name!r}")
            if kind == "MATCH":
                bound = self.matched.setdefault(name, value)
                if bound != value:
                    raise ShapeError(f"{where}: MATCH key {name!r} is {value!r} here but {bound!r} elsewhere")

    def dependency(self, where: str, spec: dict[str, Any], value: Any, extra_keys: frozenset[str]) -> list[dict]:
        """The concrete items sent for one declared dependency (a list for ALL/ALLSMALLER ids)."""
        if is_multi_valued(spec["id"]):
            if not isinstance(value, list):
                raise ShapeError(f"{where}: a list of items is expected for a pattern-matching id")
            for n, item in enumerate(value):
                self.item(f"{where}[{n}]", spec, item, extra_keys)
            ids = [json.dumps(i["id"], sort_keys=True) for i in value]
            if len(set(ids)) != len(ids):
                raise ShapeError(f"{where}: the same component is sent twice")
            return value
        self.item(where, spec, value, extra_keys)
        return [value]


def _as_list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ShapeError(f"{where} must be a list")
    return value


def check(app: dash.Dash, body: Any) -> None:
    """Raise :class:`ShapeError` unless ``body`` is a well-formed request for one of ``app``'s callbacks."""
    if not isinstance(body, dict):
        raise ShapeError("the request body is not a JSON object")
    key = body.get("output")
    callback = app.callback_map.get(key) if isinstance(key, str) else None
    if callback is None:
        raise ShapeError(f"no callback is registered for output {str(key)[:80]!r}")
    if not runs_on_server(callback):
        raise ShapeError(f"the callback for {key[:80]!r} runs in the browser, not on the server")
    matcher = _Matcher()

    outputs = [] if callback.get("no_output") else declared_outputs(key)
    sent_outputs = body.get("outputs")
    if len(outputs) != 1 or key.startswith(".."):
        sent_outputs = _as_list(sent_outputs, "outputs")
    else:
        sent_outputs = [sent_outputs]
    if len(sent_outputs) != len(outputs):
        raise ShapeError(f"{len(sent_outputs)} outputs sent, {len(outputs)} declared")
    for n, (spec, value) in enumerate(zip(outputs, sent_outputs, strict=True)):
        matcher.dependency(f"outputs[{n}]", spec, value, frozenset())

    triggers: list[tuple[Any, str]] = []
    for part in ("inputs", "state"):
        declared_items = declared(callback, part)
        sent = _as_list(body.get(part), part)
        if len(sent) != len(declared_items):
            raise ShapeError(f"{len(sent)} {part} sent, {len(declared_items)} declared")
        for n, (spec, value) in enumerate(zip(declared_items, sent, strict=True)):
            items = matcher.dependency(f"{part}[{n}]", spec, value, frozenset({"value"}))
            if part == "inputs":
                triggers.extend((i["id"], i["property"]) for i in items)

    for prop_id in _as_list(body.get("changedPropIds"), "changedPropIds"):
        try:
            parsed = _split_prop_id(prop_id) if isinstance(prop_id, str) else None
        except ValueError:
            parsed = None
        if parsed not in triggers:
            raise ShapeError(f"changedPropIds names {str(prop_id)[:80]!r}, which is not an input of this request")


def problem(app: dash.Dash, body: Any) -> str | None:
    """None if ``body`` matches its callback's declaration, else the reason (for the refusal and the log)."""
    try:
        check(app, body)
    except ShapeError as exc:
        return f"callback request does not match its declaration: {exc}"
    return None
