"""Every CSV and XLSX file the product writes goes through here, so no cell can run as a formula (OWASP
"CSV injection"): complaint text such as ``=HYPERLINK("http://x", "点击")`` or ``@SUM(1+1)*cmd|' /C calc'!A0``
must reach the spreadsheet as the text it is.

* CSV: a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
  apostrophe (Excel and WPS then show it as text), unless the whole cell is a plain number such as ``-12.5``.
* XLSX: cells are typed, and only formula-typed cells run; every text cell is written as text, with its value
  unchanged. Numbers (negative ones included) stay numbers.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise(value: Any) -> Any:
    """``value`` made safe for a CSV cell: text that a spreadsheet would evaluate gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_text(df: pd.DataFrame) -> str:
    """``df`` as CSV with every text cell (and header) neutralised; UTF-8 with BOM so Excel on Windows reads
    the Chinese headers."""
    safe = df.rename(columns=neutralise)
    for column in safe.columns:
        if pd.api.types.is_object_dtype(safe[column]) or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    return "\ufeff" + safe.to_csv(index=False)


def write_csv_rows(fh, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:  # noqa: ANN001
    """Rows to an open text file with the csv module, every cell neutralised (for exports not made of frames)."""
    import csv

    writer = csv.writer(fh)
    writer.writerow([neutralise(h) for h in header])
    writer.writerows([neutralise(v) for v in row] for row in rows)


def as_text_cells(worksheet) -> None:  # noqa: ANN001
    """Turn every formula-typed cell of an openpyxl worksheet back into text (openpyxl types any string
    starting with ``=`` as a formula)."""
    for row in worksheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def xlsx_bytes(df: pd.DataFrame, sheet_name: str = "data") -> bytes:
    """``df`` as an XLSX workbook: numbers and dates typed as such, every text cell text, no formulas."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        df.to_excel(writer, index=False, sheet_name=sheet_name)
        as_text_cells(writer.sheets[sheet_name])
    return buffer.getvalue()
