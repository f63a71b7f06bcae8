"""docs/ingest.md holds the column tables generated from the declared maps, and documents every public piece."""

from __future__ import annotations

from pathlib import Path

import settings
from data_access import codes, quality
from data_access.ingest.docs import BEGIN, END, generated_block
from data_access.ingest.sources import SOURCES

DOC = Path(__file__).resolve().parents[1] / "docs" / "ingest.md"


def test_generated_tables_match_the_maps():
    text = DOC.read_text(encoding="utf-8")
    block = text[text.index(BEGIN):text.index(END) + len(END)]
    assert block == generated_block(), "run: python -m data_access.ingest.docs docs/ingest.md"


def test_every_header_appears_in_the_doc():
    text = DOC.read_text(encoding="utf-8")
    for source in SOURCES:
        for f in source.fields:
            assert f"| {f.label} |" in text and f"`{f.column}`" in text, (source.name, f.column)


def test_kinds_functions_and_settings_are_documented():
    text = DOC.read_text(encoding="utf-8")
    for kind in codes.INGEST_KINDS:
        assert kind in text
    for name in ("source_freshness", "silent_sources", "rows_per_day", "quarantine_reasons", "load_lag",
                 "reporting_timeliness", "recent_batches"):
        assert callable(getattr(quality, name)) and f"`{name}(" in text
    for name in ("ingest_chunk_rows", "ingest_api_max_records", "silent_source_days", "report_timely_days"):
        assert settings.SETTINGS_BY_NAME[name].env in text
