"""Axis settings shared by the analyst pages' charts, so time axes read the Chinese way.

Plotly labels a date axis in English on its own ("Nov 2026", "Mar 29"); these formats keep the numeric
forms Chinese readers use (2026-11, 2026-11-29), on the ticks and in the hover label.
"""

from __future__ import annotations

MONTH_AXIS = {"type": "date", "tickformat": "%Y-%m", "hoverformat": "%Y-%m"}
DAY_AXIS = {"type": "date", "tickformat": "%Y-%m-%d", "hoverformat": "%Y-%m-%d"}
