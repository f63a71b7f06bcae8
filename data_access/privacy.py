"""Masking of personal data for every role outside ``data_access.scope.PII_ROLES``.

Query functions that return complainants' names, phone numbers, ID numbers or free text apply these when
``not scope.sees_pii`` (``mask_columns`` does it for a DataFrame), so masking happens server-side before
anything reaches a browser::

    df = privacy.mask_columns(df, scope, names=["caller_name"], phones=["caller_phone"], texts=["content"])

Unmasked views and exports by PII roles are recorded with ``security.audit.record_pii_access``.
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

# Mainland mobile numbers (optionally +86/86-prefixed), landlines with a 0-led area code, 18- and 15-digit
# resident ID numbers, bank card numbers and e-mail addresses. Digit runs must not touch other digits, so
# order numbers and amounts inside longer digit strings are left alone.
_ID18 = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx](?![0-9A-Za-z])")
_ID15 = re.compile(r"(?<!\d)[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}[- ]?\d{7,8}(?!\d)")
_BANK_CARD = re.compile(r"(?<!\d)(?:62|4\d|5[1-5])\d{14,17}(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def _keep_ends(value: str, head: int, tail: int) -> str:
    if len(value) <= head + tail:
        return MASK * len(value)
    return value[:head] + MASK * (len(value) - head - tail) + value[len(value) - tail:]


def mask_phone(phone: str | None) -> str | None:
    """``13812341234`` → ``138****1234``; landlines keep the area code and last four digits."""
    if not phone:
        return phone
    digits = re.sub(r"\D", "", phone)
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
    replies); everything else, including the text's length class and punctuation, is left as written."""
    if not text:
        return text
    text = _ID18.sub(lambda m: mask_id_number(m.group()), text)
    text = _ID15.sub(lambda m: mask_id_number(m.group()), text)
    text = _BANK_CARD.sub(lambda m: _keep_ends(m.group(), 0, 4), text)
    text = _MOBILE.sub(lambda m: mask_phone(m.group()), text)
    text = _LANDLINE.sub(lambda m: mask_phone(m.group()), text)
    return _EMAIL.sub(lambda m: _mask_email(m.group()), text)


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
