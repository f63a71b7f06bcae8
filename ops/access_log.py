"""Access logs without query strings: a wall's ``?kiosk=TOKEN`` (and any other secret a URL carries) must not
be written to the gunicorn or development-server log.

gunicorn logs ``ACCESS_LOG_FORMAT`` (method, path without the query, protocol); the development server's
request lines go through :class:`QueryStringRedactor` on the ``werkzeug`` logger.
"""

from __future__ import annotations

import logging
import re

ACCESS_LOG_FORMAT = '%(t)s %(h)s pid=%(p)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
_QUERY = re.compile(r"\?[^ \"]*")


def strip_query(text: str) -> str:
    """``GET /wall?kiosk=bjk_x HTTP/1.1`` → ``GET /wall HTTP/1.1``."""
    return _QUERY.sub("", text)


class QueryStringRedactor(logging.Filter):
    """Removes query strings from the request line werkzeug's development server logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args and isinstance(record.args[0], str):
            record.args = (strip_query(record.args[0]), *record.args[1:])
        elif isinstance(record.msg, str):
            record.msg = strip_query(record.msg)
        return True


def install_dev_server_filter() -> None:
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, QueryStringRedactor) for f in logger.filters):
        logger.addFilter(QueryStringRedactor())
