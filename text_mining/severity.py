"""Severity of a complaint from keywords (``resources/severity_terms.txt``).

Levels: 0 none, 1 elevated (nuisance with harm: 噪音, 油烟...), 2 high (health/safety risk,
vulnerable people, wage arrears: 安全隐患, 欠薪...), 3 critical (life safety or mass incidents:
食物中毒, 爆炸, 火灾, 坍塌, 群体性, 燃气泄漏...). A message gets the highest level among the
terms it contains. Substring matching on the raw text (no segmentation), because the terms are
unambiguous compounds and a segmenter could split them.

A term directly preceded by a negation (没有/无/未/不是/防止/预防 ...) does not count, so
"没有发生火灾" or "预防火灾" stay below level 3.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

from text_mining.tokenizer import read_word_list

__all__ = ["SEVERITY_LABELS", "score_severity", "severity_level", "severity_terms"]

SEVERITY_LABELS = {0: "无", 1: "一般", 2: "较重", 3: "严重"}

_NEGATION = re.compile(r"(?:没有|没|无|未|不是|并非|防止|预防|避免|谨防|以防)(?:发生|出现|造成)?$")


@lru_cache(maxsize=1)
def severity_terms() -> dict[str, int]:
    """term -> level (1-3), as shipped in ``resources/severity_terms.txt``."""
    return {row[0]: int(row[1]) for row in read_word_list("severity_terms.txt")}


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    # Longest first so 食物中毒 wins over 中毒 at the same position.
    terms = sorted(severity_terms(), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, terms)))


def _matches(text: str) -> list[tuple[str, int]]:
    if not isinstance(text, str) or not text:
        return []
    levels = severity_terms()
    found = []
    for m in _pattern().finditer(text):
        if _NEGATION.search(text[max(0, m.start() - 6) : m.start()]):
            continue
        found.append((m.group(), levels[m.group()]))
    return found


def severity_level(text: str) -> int:
    """Highest severity level (0-3) of the non-negated terms in ``text``."""
    return max((lvl for _, lvl in _matches(text)), default=0)


def score_severity(df: pd.DataFrame, text_col: str = "text") -> pd.DataFrame:
    """Add severity columns to a DataFrame of complaints.

    Input: ``df[text_col]`` (str). Output: a copy of ``df`` plus
    ``severity`` (int 0-3), ``severity_label`` (无/一般/较重/严重) and
    ``severity_terms`` (str, matched terms joined by "、", highest level first).
    """
    if text_col not in df.columns:
        raise ValueError(f"score_severity needs column {text_col!r}")
    out = df.copy()
    matches = out[text_col].map(_matches)
    out["severity"] = matches.map(lambda ms: max((lvl for _, lvl in ms), default=0)).astype(int)
    out["severity_label"] = out["severity"].map(SEVERITY_LABELS)
    out["severity_terms"] = matches.map(
        lambda ms: "、".join(dict.fromkeys(t for t, _ in sorted(ms, key=lambda m: -m[1])))
    )
    return out
