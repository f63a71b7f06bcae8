"""The state of a running lead deadline at an instant (超期 / 已到期 / 今日到期 / 临期 / 正常), on the working-day
calendar: one definition for the lead queries' SQL (``queries_leads.deadline_state_expr``), the pages' rule
text and ``dispatch``, which sets the deadlines (``dispatch.deadlines``).

A deadline is the end of its last working day. 超期 counts from the first working day past the deadline,
so an overdue lead is always at least one working day late (never "超期0个工作日"); on its last day a
lead reads 今日到期, and between a passed deadline and the next working day (a weekend) 已到期."""

from __future__ import annotations

import datetime as dt

from data_access.workdays import add_workdays, is_workday

DUE_SOON_WORKDAYS = 1  # 临期: at most this many working days left
# Every state a running deadline can be in, most urgent first (one source for pages and counts).
DEADLINE_STATES = ("超期", "已到期", "今日到期", "临期", "正常")
DEADLINE_STATE_RULE = ("超期自期限后的第一个工作日起计；期限当日显示“今日到期”；期限已过但尚未到下一个工作日显示“已到期”；"
                       f"剩余不超过{DUE_SOON_WORKDAYS}个工作日为“临期”。")


def due_soon_cutoff(as_of: dt.datetime) -> dt.datetime:
    """Deadlines at or before this moment (and not yet passed) are 临期."""
    return add_workdays(as_of, DUE_SOON_WORKDAYS)


def overdue_cutoff(as_of: dt.datetime) -> dt.datetime:
    """Deadlines before this moment are 超期: midnight starting the last working day on or before
    ``as_of``'s day, so at least one whole working day has begun since the deadline's day."""
    day = as_of.date()
    while not is_workday(day):
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time())


def day_start(as_of: dt.datetime, days: int = 0) -> dt.datetime:
    """Midnight starting ``as_of``'s day (plus ``days``)."""
    return dt.datetime.combine(as_of.date() + dt.timedelta(days=days), dt.time())


def deadline_state(deadline: dt.datetime | None, as_of: dt.datetime) -> str | None:
    """One of DEADLINE_STATES for a running deadline (see the module docstring); None when nothing runs."""
    if deadline is None:
        return None
    if deadline < overdue_cutoff(as_of):
        return "超期"
    if deadline < day_start(as_of):
        return "已到期"
    if deadline < day_start(as_of, 1):
        return "今日到期"
    return "临期" if deadline <= due_soon_cutoff(as_of) else "正常"
