"""Masking of personal data for every role outside ``data_access.scope.PII_ROLES``.

Query functions that return complainants' names, phone numbers, ID numbers or free text apply these when
``not scope.sees_pii`` (``mask_columns`` does it for a DataFrame), so masking happens server-side before
anything reaches a browser::

    df = privacy.mask_columns(df, scope, names=["caller_name"], phones=["caller_phone"], texts=["content"])

Unmasked views and exports by PII roles are recorded by the page or export that shows them
(``security.audit.record_pii_view`` / ``record_pii_access``), not by the read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import pandas as pd

    from data_access.scope import Scope

MASK = "*"
T = TypeVar("T")

# What counts as personal data in free text (docs/security.md, "Masking rules"): mainland mobile numbers
# (optionally +86/0086), landlines with a 0-led area code (also in brackets), 18-digit ID numbers (X check
# digit) and 15-digit ones, bank card numbers (16–19 digits led by 3–6 or 9, the card issuers' ranges) and
# e-mail addresses — written with ASCII or full-width characters, and with one space, hyphen, dot or
# middle dot between any two digits (139.1234.5678, 1381 2345 678, 6222 0212 3456 7890 123).
# Left alone: dates, amounts, times, and order numbers (an ID number right after a letter is taken for part
# of a code such as KF200001011234567; 16+-digit runs led by 1, 2, 7 or 8 are not cards: date-based order
# numbers start with the year); a unified social credit code (USCC) is a company's public registration
# number and its letters keep it from reading as an ID.
_SEP = r"[ \-.·]?"
_HALF_WIDTH = {**{0xFF10 + i: ord("0") + i for i in range(10)}, **{0xFF21 + i: ord("A") + i for i in range(26)},
               **{0xFF41 + i: ord("a") + i for i in range(26)}, ord("＠"): "@", ord("．"): ".", ord("－"): "-",
               ord("（"): "(", ord("）"): ")", ord("＋"): "+", ord("＿"): "_", 0x3000: " "}
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_ID18_DIGITS = re.compile(r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9X]")
_ID15 = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?!\d)")
_LANDLINE_RUN = re.compile(rf"(?<![\d+])(?=((?:\(0\d{{2,3}}\)|0(?:{_SEP}\d){{2,3}}){_SEP}[1-9](?:{_SEP}\d){{6,7}}(?!\d)))")
# Every kind needs an @ or ten digits (a landline with its area code is the shortest): most texts stop here.
_CANDIDATE = re.compile(r"@|\d(?:[ \-.·()]{0,2}\d){9}")
_DECIMAL = re.compile(r"\d+\.\d{1,2}")  # an amount such as 130000000.00, not a number written with dots
# Digit runs with separators, tried at every start (a run that is not an ID may still hold a phone number).
_ID18_RUN = re.compile(rf"(?<![0-9A-Za-z])(?=(\d(?:{_SEP}\d){{16}}{_SEP}[\dXx])(?![\dXx]))")
_CARD_RUN = re.compile(rf"(?<!\d)(?=([3-69](?:{_SEP}\d){{15,18}}(?!\d)))")
_MOBILE_RUN = re.compile(rf"(?<![\d+])(?=((?:(?:\+|00)86{_SEP})?1{_SEP}[3-9](?:{_SEP}\d){{9}}(?!\d)))")


def _keep_ends(value: str, head: int, tail: int) -> str:
    if len(value) <= head + tail:
        return MASK * len(value)
    return value[:head] + MASK * (len(value) - head - tail) + value[len(value) - tail:]


def mask_phone(phone: str | None) -> str | None:
    """``13812341234`` → ``138****1234``; landlines keep the area code and last four digits."""
    if not phone:
        return phone
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("0086") and len(digits) == 15:
        digits = digits[4:]
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) == 11 and digits.startswith("1"):
        return _keep_ends(digits, 3, 4)
    if digits.startswith("0") and len(digits) >= 10:
        area = 3 if digits[1] in "12" else 4  # 010, 02x are three-digit area codes
        return digits[:area] + "-" + _keep_ends(digits[area:], 0, 4)
    return _keep_ends(digits, 0, 4) if len(digits) > 4 else MASK * len(digits)


def mask_name(name: str | None) -> str | None:
    """``张三丰`` → ``张**``: the family name stays (it is what a caller is addressed by), the rest is masked."""
    if not name:
        return name
    name = name.strip()
    return name[0] + MASK * (len(name) - 1) if len(name) > 1 else MASK


def mask_id_number(id_number: str | None) -> str | None:
    """``410202199001011234`` → ``410***********1234``: the province/city prefix and last four remain."""
    if not id_number:
        return id_number
    return _keep_ends(id_number.strip(), 3, 4)


def _mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return local[:1] + MASK * max(len(local) - 1, 1) + "@" + domain


def redact_text(text: str | None) -> str | None:
    """Mask ID numbers, bank cards, phone numbers and e-mail addresses inside free text (complaint content,
    replies); everything else, punctuation and full-width characters included, is left as written."""
    if not text:
        return text
    probe = text.translate(_HALF_WIDTH)  # same length as ``text``: spans found in it index the original
    if not _CANDIDATE.search(probe):
        return text
    spans: list[tuple[int, int, str]] = []
    for start, end, masked in _findings(probe):
        if all(end <= s or start >= e for s, e, _ in spans):
            spans.append((start, end, masked))
    out, pos = [], 0
    for start, end, masked in sorted(spans):
        out += [text[pos:start], masked]
        pos = end
    return "".join(out) + text[pos:]


def _findings(probe: str):  # noqa: ANN202
    """(start, end, masked text) of every piece of personal data, most specific kind first."""
    for m in _EMAIL.finditer(probe):
        yield m.start(), m.end(), _mask_email(m.group())
    for m in _ID18_RUN.finditer(probe):
        run = m.group(1)
        if _ID18_DIGITS.fullmatch(re.sub(r"[^\dXx]", "", run).upper()):
            yield m.start(1), m.end(1), mask_id_number(run)
    for m in _ID15.finditer(probe):
        yield m.start(), m.end(), mask_id_number(m.group())
    for m in _CARD_RUN.finditer(probe):
        if not _DECIMAL.fullmatch(m.group(1)):
            yield m.start(1), m.end(1), _keep_ends(re.sub(r"\D", "", m.group(1)), 0, 4)
    for m in _MOBILE_RUN.finditer(probe):
        if not _DECIMAL.fullmatch(m.group(1)):
            yield m.start(1), m.end(1), mask_phone(m.group(1))
    for m in _LANDLINE_RUN.finditer(probe):
        if not _DECIMAL.fullmatch(m.group(1)):
            yield m.start(1), m.end(1), mask_phone(m.group(1))


def mask_columns(df: pd.DataFrame, scope: Scope, *, names: Sequence[str] = (), phones: Sequence[str] = (),
                 id_numbers: Sequence[str] = (), texts: Sequence[str] = ()) -> pd.DataFrame:
    """A copy of ``df`` with the given columns masked, unless ``scope`` may see personal data."""
    if scope.sees_pii:
        return df
    df = df.copy()
    for columns, mask in ((names, mask_name), (phones, mask_phone), (id_numbers, mask_id_number),
                          (texts, _redact_nested)):
        for column in columns:
            df[column] = df[column].map(mask, na_action="ignore")
    return df


def redact(value: T, scope: Scope | None) -> T:
    """``value`` with personal data masked in every string it holds — a string, or the strings nested in
    dicts, lists and tuples (a lead's evidence JSON, a timeline) — unless ``scope`` may see personal data.
    The one entry point for free text (complaint content, titles, reasons, notes, evidence) on its way to
    a page, a file or a job's output; ``None`` (no known viewer) masks."""
    if scope is not None and scope.sees_pii:
        return value
    return _redact_nested(value)


def _redact_nested(value):  # noqa: ANN001, ANN202
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: _redact_nested(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_nested(v) for v in value)
    return value
