"""Where the login may send the browser next: only a path on this site, never an open redirect."""

from __future__ import annotations


def safe_next(value: str | None, prefix: str) -> str:
    """``value`` if it is a same-origin relative path, else ``prefix``.

    Browsers drop tabs and newlines inside a URL and read ``\\`` as ``/``, so ``/<TAB>/example.org`` and
    ``/\\example.org`` mean ``//example.org``: any control character or backslash refuses the value outright,
    as do a scheme, a host, and a leading ``//``.
    """
    if not value or "\\" in value or any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or c in "\u2028\u2029"
                                          for c in value):
        return prefix
    # A path-absolute reference ("/x", never "//x") has no scheme and no host, whatever follows.
    return value if value.startswith("/") and not value.startswith("//") else prefix
