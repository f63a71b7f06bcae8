"""Lead deadlines in Chinese working days (调休 included), from the ``lead_sign_days`` and
``lead_handle_days`` settings. A deadline is the end of its last working day; the state a running deadline
is in at an instant (超期, 临期, …) is ``data_access.deadline_states``, below this layer, so the lead
queries compute it without importing dispatch."""

from __future__ import annotations

import datetime as dt

import settings
from data_access import codes
from data_access.workdays import add_workdays


def sign_days() -> int:
    """Working days a department has to sign a dispatched lead off."""
    return _non_negative_int(settings.get("lead_sign_days"), "BIANJIAN_LEAD_SIGN_DAYS")


def handle_days(level: str) -> int:
    """Working days to handle a lead of ``level`` (RED/ORANGE/YELLOW/BLUE), counted from dispatch."""
    table = _handle_table(settings.get("lead_handle_days"))
    if level not in table:
        raise ValueError(f"BIANJIAN_LEAD_HANDLE_DAYS has no entry for level {level!r}")
    return table[level]


def sign_deadline(dispatched_at: dt.datetime) -> dt.datetime:
    return add_workdays(dispatched_at, sign_days())


def handle_deadline(dispatched_at: dt.datetime, level: str) -> dt.datetime:
    return add_workdays(dispatched_at, handle_days(level))


def _handle_table(text: str) -> dict[str, int]:
    table = {}
    for item in text.split(","):
        level, sep, days = item.partition("=")
        level = level.strip().upper()
        if not sep or level not in codes.LEAD_LEVELS:
            raise ValueError(f"BIANJIAN_LEAD_HANDLE_DAYS: bad entry {item!r}; expected e.g. RED=3,ORANGE=5,YELLOW=10,BLUE=15")
        table[level] = _non_negative_int(days, "BIANJIAN_LEAD_HANDLE_DAYS")
    return table


def _non_negative_int(text: str, env: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"{env}: {text!r} is not a whole number of working days") from None
    if value < 0:
        raise ValueError(f"{env}: working days must be >= 0, got {value}")
    return value
