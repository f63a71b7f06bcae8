"""What a declared metric is, the context it is computed in, and how a surface marks a figure with it.

A ``Metric`` names one headline figure: its Chinese label, a one-sentence definition, the unit, the time
window and the clock the window reads, the roles that see it and how it honours a department head's
scope, the direction that is good, and the query function that computes it from a ``Context``. Every
surface (wall, 概览, pages, bulletins, ``bianjian metrics``) asks the registry for the value and the label,
and marks the figure in the page with ``data-metric`` so the consistency suite can find and check it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access import queries_evaluation
from data_access.schema import HotlineTicket, UnlicensedLead
from data_access.scope import ROLES, Scope
from evaluation.indicators import default_month

# Which clock a metric's window reads.
CLOCKS = {
    "data": "数据截至时间（最新一条12345工单的受理时间）",
    "unlicensed": "无证无照数据截至时间（最新一条无证无照线索的发现时间）",
    "now": "当前时间（线索由流水线实时生成，时限按实际时间计算）",
    "state": "当前状态（存量，不随 --as-of 回溯）",
    "month": "评价月份（数据截至时间之前最近一个完整月）",
}
GOOD_DIRECTIONS = {"up": "越高越好", "down": "越低越好", None: "不分好坏（升降仅表示变化）"}
ALL_ROLES = tuple(ROLES)


@dataclass(frozen=True)
class Context:
    """Who is asking and when: the clock (``now``) and the data's as-of time read at that clock."""

    session: Session
    scope: Scope
    now: dt.datetime
    data_as_of: dt.datetime | None
    unlicensed_as_of: dt.datetime | None
    month: str | None  # the ranking month (ranking_month)


def ranking_month(months: list[str], data_as_of: dt.datetime | None) -> str | None:
    """The one rule for "which month" on every ranking surface: the last month complete at the data's
    as-of time; the running month only when no earlier month has indicator values."""
    return default_month(months, data_as_of.date() if data_as_of else None) if months else None


def month_label(month: str, data_as_of: dt.datetime | None) -> str:
    """``2026-11``, or ``2026-12（本月至今）`` for the month the data is still running in."""
    running = f"{data_as_of or dt.datetime.now():%Y-%m}"
    return f"{month}（本月至今）" if month == running else month


def context(session: Session, scope: Scope, as_of: dt.date | None = None) -> Context:
    """A Context at the real clock, or pinned to the end of ``as_of``'s day (``--as-of``): the data's
    as-of time is then the latest 12345 order accepted by that moment."""
    now = dt.datetime.now().replace(microsecond=0) if as_of is None else dt.datetime.combine(as_of, dt.time(23, 59, 59))
    data_as_of = session.scalar(select(func.max(HotlineTicket.accepted_at)).where(HotlineTicket.accepted_at <= now))
    found = session.scalar(select(func.max(UnlicensedLead.found_at)).where(UnlicensedLead.found_at <= now))
    months = [m for m in queries_evaluation.indicator_months(session) if m <= f"{now:%Y-%m}"]
    return Context(session, scope, now, data_as_of, found, ranking_month(months, data_as_of))


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    definition: str
    unit: str
    window: str
    clock: str  # a key of CLOCKS
    scope: str  # how a department head's scope is honoured
    query: Callable[[Context], Any]
    good: str | None = None  # a key of GOOD_DIRECTIONS
    roles: tuple[str, ...] = ALL_ROLES
    surfaces: tuple[str, ...] = field(default_factory=tuple)  # where it is shown (docs/metrics.md)

    def __post_init__(self) -> None:
        if self.clock not in CLOCKS or self.good not in GOOD_DIRECTIONS:
            raise ValueError(f"metric {self.name}: unknown clock {self.clock!r} or direction {self.good!r}")

    def applies_to(self, scope: Scope) -> bool:
        return scope.role in self.roles

    def as_of(self, ctx: Context) -> str | None:
        """The moment the value describes, as shown beside it."""
        if self.clock == "month":
            return ctx.month
        moment = {"data": ctx.data_as_of, "unlicensed": ctx.unlicensed_as_of, "now": ctx.now,
                  "state": ctx.now}[self.clock]
        return None if moment is None else f"{moment:%Y-%m-%d %H:%M:%S}"


def display(metric: Metric, value: Any) -> str:
    """How a figure is written on every surface: thousands separators, ratios as percentages, — for none."""
    if value is None:
        return "—"
    if metric.unit == "比例":
        return f"{100 * value:.1f}%"
    if isinstance(value, float):
        return f"{value:.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def attrs(metric: Metric, text: str | None = None) -> dict[str, str]:
    """Keyword arguments that mark a Dash component as showing ``metric``: ``data-metric`` for the
    consistency suite and a hover title with the definition for the reader."""
    return {"data-metric": metric.name, "title": text or f"{metric.label}：{metric.definition}"}
