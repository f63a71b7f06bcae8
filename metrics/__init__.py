"""The metrics layer: every headline figure declared once, and read from here by every surface.

``compute(ctx)`` gives the JSON rows of ``bianjian metrics --json``; ``value(name, ctx)`` one figure;
``get(name)`` a declaration (label, definition, …); ``core.attrs`` marks a component showing it.
"""

from __future__ import annotations

from typing import Any

from metrics.core import Context, Metric, attrs, context, display, month_label, ranking_month
from metrics.declarations import METRIC_BY_NAME, METRICS

__all__ = ["METRICS", "Context", "Metric", "attrs", "compute", "context", "display", "get", "mark", "month_choices", "month_label",
           "ranking_month", "text", "value"]


def get(name: str) -> Metric:
    if name not in METRIC_BY_NAME:
        raise KeyError(f"undeclared metric {name!r}: declare it in metrics/declarations.py")
    return METRIC_BY_NAME[name]


def value(name: str, ctx: Context) -> Any:
    return get(name).query(ctx)


def text(name: str, ctx: Context) -> str:
    """The figure as every surface writes it (metrics.core.display)."""
    metric = get(name)
    return display(metric, metric.query(ctx))


def mark(name: str, text: str | None = None) -> dict[str, str]:
    """``data-metric`` and hover-title attributes for a component that shows metric ``name``."""
    return attrs(get(name), text)


def month_choices(ctx: Context, months: list[str]) -> tuple[list[dict], str | None]:
    """A ranking surface's month dropdown (newest first, the running month marked 本月至今) and the month it
    opens on (metric ``ranking_month``: the last complete month)."""
    return [{"label": month_label(m, ctx.data_as_of), "value": m} for m in reversed(months)], ctx.month


def compute(ctx: Context) -> list[dict]:
    """One row per metric the context's role sees: name, label, definition, value, unit, window, as_of."""
    return [{"name": m.name, "label": m.label, "definition": m.definition, "value": m.query(ctx), "unit": m.unit,
             "window": m.window, "as_of": m.as_of(ctx)} for m in METRICS if m.applies_to(ctx.scope)]
