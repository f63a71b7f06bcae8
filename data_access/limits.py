"""Input limits for every field a user types, declared once.

Pages read these for ``maxLength`` and the live ``123/500`` count under a text box; the library functions
the pages and the CLI call (``dispatch.lifecycle.transition``, ``security.users``, ``security.kiosk``,
``security.api_keys``) enforce them, so a crafted callback request cannot store more than the form allows.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TextLimit:
    label: str  # the field's Chinese name, used in the refusal message
    max_chars: int


TEXT_LIMITS: dict[str, TextLimit] = {
    "lead_note": TextLimit("核查情况 / 理由", 1000),  # a lead action's note: reason, feedback text
    "lead_attachments": TextLimit("附件清单", 2000),  # the attachment box, one file name or path a line
    "username": TextLimit("用户名", 40),
    "password": TextLimit("密码", 128),
    "kiosk_name": TextLimit("大屏名称", 30),
    "key_system": TextLimit("来源系统", 32),
    "search": TextLimit("检索词", 50),  # full-text and name search (投诉分析, 企业画像): a LIKE pattern, cut there
}
MAX_ATTACHMENTS = 20  # attachment lines on one feedback
MAX_ATTACHMENT_CHARS = 260  # one attachment's file name or path (Windows MAX_PATH)


def max_chars(field: str) -> int:
    return TEXT_LIMITS[field].max_chars


def too_long(field: str, value: str | None) -> str | None:
    """The Chinese refusal when ``value`` is longer than ``field`` allows, else None."""
    limit = TEXT_LIMITS[field]
    n = len(value or "")
    return f"{limit.label}最多{limit.max_chars}个字，当前{n}个字" if n > limit.max_chars else None


WEIGHT_MAX = 1000  # a ranking weight typed on 排名


def parse_number(text: object, label: str, low: float, high: float) -> float:
    """``text`` as a decimal number in [low, high]; ValueError with a Chinese message otherwise (a number
    box would hand the server None for ``-5`` and the value would silently become something else)."""
    raw = str(text).strip() if text is not None else ""
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:  # NaN and inf fail too
        raise ValueError(f"{label}须为 {low:g}–{high:g} 之间的数，收到“{raw[:20]}”")
    return value


def parse_whole_number(text: object, label: str, low: int, high: int) -> int:
    """``text`` as a whole number in [low, high]; ValueError with a Chinese message otherwise."""
    raw = str(text).strip() if text is not None else ""
    if not raw.lstrip("-").isdigit() or not low <= int(raw) <= high:
        raise ValueError(f"{label}须为 {low}–{high} 之间的整数，收到“{raw[:20]}”")
    return int(raw)
