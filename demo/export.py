"""``bianjian demo --export DIR``: sample files of every source in every accepted format, from the warehouse.

They show source-system owners exactly what to send: CSV with the Chinese headers in UTF-8 (with BOM) and in
GBK, XLSX with the same headers, and JSON Lines with our English column names. Coded values are written the
way source systems write them (labels and department/county names); ``bianjian ingest`` maps them back, so
every exported file loads into any warehouse holding the same reference data — and into this one as
``unchanged``, because the 来源系统 / 来源记录编号 columns carry the rows' lineage.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from data_access.ingest.sources import SOURCES, Field, Source
from data_access.schema import Base, Department, HotlineCategory, HotlineTicket, Region

# Rows per sample file; the catalogue is written whole (up to CATALOG_ROWS) so samples that cite it load.
SAMPLE_ROWS = 200
CATALOG_ROWS = 20_000
FORMATS = ("csv", "gbk.csv", "xlsx", "jsonl")


def export_samples(engine: Engine, out_dir: str | Path, rows: int = SAMPLE_ROWS) -> list[Path]:
    """Write ``<source>.csv``, ``<source>_gbk.csv``, ``<source>.xlsx`` and ``<source>.jsonl`` per source."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with engine.connect() as conn:
        names = _reference_names(conn)
        tickets: list[str] | None = None
        for source in SOURCES:
            df = _sample(conn, source, CATALOG_ROWS if source.kind == "catalog" else rows, tickets)
            if source.name == "hotline":
                tickets = df["order_no"].tolist()
            labelled = pd.DataFrame({f.label: [_label(f, v, names) for v in df[f.column]]
                                     for f in source.fields if f.column in df})
            english = pd.DataFrame({f.column: [_plain(v) for v in df[f.column]]
                                    for f in source.fields if f.column in df})
            written += _write(out, source.name, labelled, english)
    return written


def _sample(conn, source: Source, limit: int, tickets: list[str] | None) -> pd.DataFrame:  # noqa: ANN001
    table = Base.metadata.tables[source.table]
    pk = list(table.primary_key.columns)[0]
    columns = [table.c[f.column] for f in source.fields if f.column in table.c]
    if source.name == "hotline_events":
        stmt = (select(HotlineTicket.order_no, *columns).join(HotlineTicket, HotlineTicket.ticket_id == table.c.ticket_id)
                .where(HotlineTicket.order_no.in_(tickets or [])).order_by(pk))
    else:
        stmt = select(*columns).order_by(pk.desc() if source.lineage else pk).limit(limit)
    result = conn.execute(stmt)
    return pd.DataFrame(result.all(), columns=list(result.keys()), dtype=object)


def _reference_names(conn) -> dict[str, dict[str, str]]:  # noqa: ANN001
    """Code → the name source systems write, for references whose names are unambiguous."""
    return {
        "county": dict(conn.execute(select(Region.region_code, Region.name)
                                    .where(Region.level.in_(["DISTRICT", "COUNTY", "ZONE"]))).all()),
        "department": dict(conn.execute(select(Department.dept_code, Department.name)).all()),
        "hotline_category": dict(conn.execute(select(HotlineCategory.cat_code, HotlineCategory.name)).all()),
    }


def _label(f: Field, value: object, names: dict[str, dict[str, str]]) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if f.ref in names:
        return names[f.ref].get(value, value)
    if isinstance(f.codes, dict):
        if f.multi:
            return "、".join(f.codes.get(v, v) for v in str(value).split(","))
        return f.codes.get(value, value)
    if f.multi:
        return "、".join(str(value).split(","))
    if isinstance(value, bool):
        return "是" if value else "否"
    return _plain(value)


def _plain(value: object) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _write(out: Path, name: str, labelled: pd.DataFrame, english: pd.DataFrame) -> list[Path]:
    paths = [out / f"{name}.csv", out / f"{name}_gbk.csv", out / f"{name}.xlsx", out / f"{name}.jsonl"]
    for path, encoding in ((paths[0], "utf-8-sig"), (paths[1], "gbk")):
        with path.open("w", encoding=encoding, newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(labelled.columns)
            writer.writerows([["" if v is None else v for v in row] for row in labelled.itertuples(index=False)])
    _write_xlsx(paths[2], labelled)
    with paths[3].open("w", encoding="utf-8") as fh:
        for record in english.to_dict(orient="records"):
            fh.write(json.dumps({k: v for k, v in record.items() if v is not None}, ensure_ascii=False) + "\n")
    return paths


def _write_xlsx(path: Path, df: pd.DataFrame) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("data")
    sheet.append(list(df.columns))
    for row in df.itertuples(index=False):
        sheet.append(list(row))
    book.save(path)
