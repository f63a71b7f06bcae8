"""The pipeline steps that write model leads (``spike_leads``, ``trend_leads``, ``entity_leads``); each reads the
warehouse *as of* the last day with complaints (data up to that day only) and runs after ``daily_counts``.
Rule leads are :mod:`risk_models.rules`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection

from risk_models import spike_bands
from risk_models.entity_leads import (
    entity_signals,
    fit_entity_model,
    load_entity_tables,
    score_entities,
    write_entity_scores,
)
from risk_models.lead_reads import daily_frame, data_as_of
from risk_models.lead_writer import LeadWriter
from risk_models.spike_leads import UPPER_FLOOR, city_spikes, complaint_detector, spike_signals
from risk_models.trend_leads import trend_signals


def spikes_step(conn: Connection) -> int:
    """Pipeline step ``spike_leads``: online spike alarms of the last 7 days → leads; then the model's band of
    the city-wide series and of every series with a spike lead → ``derived_spike_band``
    (:mod:`risk_models.spike_bands`). Returns the leads written."""
    as_of = data_as_of(conn)
    if as_of is None:
        return 0
    frame = daily_frame(conn, as_of)
    result = city_spikes(frame)
    written = LeadWriter().write(conn, spike_signals(conn, result, as_of))
    spike_bands.store(conn, frame, result, as_of, detector=complaint_detector(), upper_floor=UPPER_FLOOR)
    return written


def trends_step(conn: Connection) -> int:
    """Pipeline step ``trend_leads``: significant rising trends over the last 26 weeks → leads."""
    as_of = data_as_of(conn)
    if as_of is None:
        return 0
    return LeadWriter().write(conn, trend_signals(conn, daily_frame(conn, as_of), as_of))


def entities_step(conn: Connection) -> int:
    """Pipeline step ``entity_leads``: fit on past inspections, score live entities (stored ranked: the
    inspection plan), lead the entities whose complaints deteriorate."""
    as_of = data_as_of(conn)
    tables = load_entity_tables(conn)
    if as_of is None or tables.inspections["has_problem"].nunique() < 2:
        return 0
    model = fit_entity_model(tables, as_of + dt.timedelta(days=1))
    scored = score_entities(tables, model, as_of)
    write_entity_scores(conn, scored, as_of)
    return LeadWriter().write(conn, entity_signals(conn, tables, scored, as_of))
