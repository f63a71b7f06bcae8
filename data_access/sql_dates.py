"""Calendar parts of date and time columns as ISO text (``2026``, ``2026-11``, ``2026-11-29``) in SQL.

One construct per part, rendered for whichever dialect runs the statement: ``strftime`` on SQLite,
``to_char`` on PostgreSQL. Casting the column to text and cutting it would depend on PostgreSQL's
``DateStyle`` setting (ISO only by default). The format is written into the SQL, not bound, so the same
expression in SELECT and GROUP BY is the same text to PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class _CalendarPart(FunctionElement):
    type = String()
    inherit_cache = True
    sqlite_format = ""
    postgresql_format = ""


class year_of(_CalendarPart):  # noqa: N801 - reads as a SQL function
    """``YYYY`` of a date/datetime column."""

    name = "year_of"
    inherit_cache = True
    sqlite_format, postgresql_format = "%Y", "YYYY"


class month_of(_CalendarPart):  # noqa: N801
    """``YYYY-MM`` of a date/datetime column."""

    name = "month_of"
    inherit_cache = True
    sqlite_format, postgresql_format = "%Y-%m", "YYYY-MM"


class day_of(_CalendarPart):  # noqa: N801
    """``YYYY-MM-DD`` of a date/datetime column."""

    name = "day_of"
    inherit_cache = True
    sqlite_format, postgresql_format = "%Y-%m-%d", "YYYY-MM-DD"


def _strftime(element, compiler, **kw) -> str:  # noqa: ANN001
    (column,) = element.clauses
    return f"strftime('{element.sqlite_format}', {compiler.process(column, **kw)})"


def _to_char(element, compiler, **kw) -> str:  # noqa: ANN001
    (column,) = element.clauses
    return f"to_char({compiler.process(column, **kw)}, '{element.postgresql_format}')"


for _part in (year_of, month_of, day_of):
    compiles(_part)(_strftime)
    compiles(_part, "postgresql")(_to_char)
