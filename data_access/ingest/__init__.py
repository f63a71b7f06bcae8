"""Ingestion of the 一网统管 feeds: 12345, 数字城管, provincial leads, inspections, penalties, the market-entity
register, credit lists and the 监管事项 catalogue, from CSV (UTF-8/GBK), XLSX or JSON Lines files and HTTP pushes.

``sources`` declares each feed's columns; ``readers`` streams files in chunks; ``validate`` types and checks a
chunk; ``load`` runs one batch in one transaction (quarantine, upsert, history); ``cli`` is ``bianjian ingest``.
"""

from data_access.ingest.load import IngestResult, ingest_file, ingest_records
from data_access.ingest.readers import UnreadableFile

__all__ = ["IngestResult", "UnreadableFile", "ingest_file", "ingest_records"]
