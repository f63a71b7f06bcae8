"""Text boxes with a declared maximum (data_access.limits) and a live ``123/1000`` count under them.

The box refuses typing past the maximum (``maxLength``); the server enforces the same limit, so the count
is a help, not the guard. Ids are pattern-matching dicts ``{"type": TEXT, "form": form, "name": name}`` so
one clientside callback counts every box on every page and a page's callback reads its form's boxes with
``State({"type": TEXT, "form": form, "name": ALL}, "value")``.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import MATCH, Input, Output, State, clientside_callback, html

from data_access import limits

TEXT = "app-counted-text"  # app-: shared by every page (security.access.SHELL_PREFIX)
COUNT = "app-counted-count"


def counted_text(form: str, name: str, limit: str, *, rows: int = 3, **kwargs) -> html.Div:
    """A textarea limited to ``limits.TEXT_LIMITS[limit]`` with its live count below it."""
    maximum = limits.max_chars(limit)
    return html.Div([
        dbc.Textarea(id={"type": TEXT, "form": form, "name": name}, rows=rows, maxLength=maximum, **kwargs),
        html.Div(f"0/{maximum}", id={"type": COUNT, "form": form, "name": name},
                 className="small text-muted text-end"),
    ])


def values_by_name(values: list, ids: list[dict]) -> dict[str, object]:
    """``{name: value}`` from a pattern-matching State's values and ids (both read with ``ALL``)."""
    return {i["name"]: v for i, v in zip(ids, values, strict=True)}


clientside_callback(
    """function(value, maximum) { return String((value || "").length) + "/" + String(maximum); }""",
    Output({"type": COUNT, "form": MATCH, "name": MATCH}, "children"),
    Input({"type": TEXT, "form": MATCH, "name": MATCH}, "value"),
    State({"type": TEXT, "form": MATCH, "name": MATCH}, "maxLength"))
