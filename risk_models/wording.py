"""Statistics in the words an official reads in a lead's reason: 约十万分之三, not 3e-5; 0.0031, not 3.1e-03."""

from __future__ import annotations

import numpy as np

_DIGITS = "一二三四五六七八九"
_PARTS = ((100, "百分之"), (1_000, "千分之"), (10_000, "万分之"), (100_000, "十万分之"), (1_000_000, "百万分之"))


def chance_text(p: float) -> str:
    """A small probability as an official reads it: 约万分之三, 约百分之五, 低于百万分之一 (not 3e-5)."""
    if p < 1e-6:
        return "低于百万分之一"
    if p >= 0.095:
        return f"约为{p:.0%}"
    # the first part in which p rounds to at least one (3e-5 is 十万分之三); below 0.095 that is one to nine
    denominator, words = next(part for part in _PARTS if round(p * part[0]) >= 1 or part is _PARTS[-1])
    return f"约{words}{_DIGITS[max(round(p * denominator), 1) - 1]}"


def count_text(x: float) -> str:
    """An expected count with two significant digits and no exponent (0.0031, 0.26, 3.1)."""
    return "不足0.0001" if x < 0.0001 else np.format_float_positional(x, precision=2, unique=False, fractional=False,
                                                                       trim="-")
