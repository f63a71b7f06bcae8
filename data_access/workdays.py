"""Chinese working-day calendar with public holidays and 调休 make-up working days.

Deadlines of 12345 orders and risk leads count working days (domain.md §3.2). The calendar comes from
the ``chinesecalendar`` package (State Council holiday notices, shipped in the wheel, no network); the
warehouse keeps a copy in ``dim_workday`` so SQL and pages agree with Python.
"""

from __future__ import annotations

import datetime as dt
import functools

import chinese_calendar

_FIRST, _LAST = dt.date(2004, 1, 1), max(chinese_calendar.holidays)


def supported_range() -> tuple[dt.date, dt.date]:
    return _FIRST, _LAST


@functools.lru_cache(maxsize=65536)
def is_workday(day: dt.date) -> bool:
    """Working day on the official calendar; beyond the published years, Monday–Friday."""
    if _FIRST <= day <= _LAST:
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


def holiday_name(day: dt.date) -> str | None:
    if not (_FIRST <= day <= _LAST):
        return None
    on_holiday, name = chinese_calendar.get_holiday_detail(day)
    return _HOLIDAY_NAMES.get(name) if name else None


def is_makeup_workday(day: dt.date) -> bool:
    """A weekend day that is a working day (调休补班)."""
    return day.weekday() >= 5 and is_workday(day)


_HOLIDAY_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def add_workdays(start: dt.datetime, days: int) -> dt.datetime:
    """The deadline ``days`` working days after ``start``: counting starts the day after (domain.md §3.2),
    and the deadline is the end (23:59:59) of the last counted working day."""
    if days < 0:
        raise ValueError("days must be >= 0")
    day = start.date()
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_workday(day):
            counted += 1
    if days == 0:
        return start
    return dt.datetime.combine(day, dt.time(23, 59, 59))


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]."""
    n, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        n += is_workday(day)
    return n


def calendar_rows(first: dt.date, last: dt.date) -> list[dict]:
    """Rows for ``dim_workday`` covering [first, last]."""
    rows, day = [], first
    while day <= last:
        rows.append({"day": day, "is_workday": is_workday(day), "holiday_name": holiday_name(day),
                     "is_makeup_workday": is_makeup_workday(day)})
        day += dt.timedelta(days=1)
    return rows
