"""Chinese tokenization for complaint text: jieba segmentation with a curated user dictionary.

Two interchangeable backends read the same dictionary files in ``text_mining/resources``:

- ``"rjieba"``: the Rust port of jieba (jieba-rs, via the ``rjieba`` binding), 15-20x faster;
- ``"jieba"``: the reference pure-Python jieba, used when ``rjieba`` is not importable.

``backend="auto"`` picks rjieba when available. Both backends get the same user words with the
same explicit frequency, so they segment the same way (≥ 99 % token agreement, see
``bench/bench_text_tokenizer.py`` and ``docs/text_mining.md``).

:func:`tokenize` is a plain module-level function so it pickles by reference and can be passed
to ``TfidfVectorizer(tokenizer=tokenize, token_pattern=None)``; the segmenter it uses is built
lazily once per process.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import lru_cache
from itertools import chain
from pathlib import Path

__all__ = [
    "RESOURCES",
    "available_backends",
    "cut",
    "filter_tokens",
    "gazetteer",
    "read_word_list",
    "stopwords",
    "tokenize",
    "user_words",
]

RESOURCES = Path(__file__).resolve().parent / "resources"

# An explicit, high frequency keeps every curated term whole in both backends; leaving it to
# each backend's ``suggest_freq`` would make them disagree on borderline words.
USER_WORD_FREQ = 20_000

GAZETTEER_FILES = {
    "district": "places_districts.txt",
    "town": "places_towns.txt",
    "road": "places_roads.txt",
    "community": "places_communities.txt",
    "landmark": "places_landmarks.txt",
}

_HAN = re.compile(r"[\u4e00-\u9fff]")
# Non-Han tokens are re-split into letter runs and digit runs: the two backends group
# punctuation inside numbers, dates and URLs differently ("2017.04.24", "baidu.com").
_ASCII_PIECES = re.compile(r"[A-Za-z]+|[0-9]+")
# A kept token is a Han word or lower-case letters; any other character in the fast path's
# output means a non-Han token went through unfiltered (or a Han word such as "B超" holds it).
_UNFILTERED = re.compile(r"[^\u4e00-\u9fffa-z]")


def read_word_list(name: str) -> list[list[str]]:
    """Rows of a resource file: tab-separated fields, ``#`` comments and blank lines skipped."""
    rows = []
    for line in (RESOURCES / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            rows.append(line.split("\t"))
    return rows


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, dict[str, str]]:
    """Kaifeng place names by kind (district, town, road, community, landmark).

    Each kind maps a surface name to its canonical name (aliases such as 顺河区 → 顺河回族区).
    """
    out: dict[str, dict[str, str]] = {}
    for kind, fname in GAZETTEER_FILES.items():
        out[kind] = {row[0]: (row[1] if len(row) > 1 else row[0]) for row in read_word_list(fname)}
    return out


@lru_cache(maxsize=1)
def user_words() -> tuple[tuple[str, str], ...]:
    """All (word, part-of-speech tag) pairs added to the segmenter: regulatory terms + places."""
    words = {row[0]: (row[1] if len(row) > 1 else "n") for row in read_word_list("regulatory_terms.txt")}
    for kind in GAZETTEER_FILES:
        for name in gazetteer()[kind]:
            words.setdefault(name, "ns")
    return tuple(sorted(words.items()))


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Chinese stop words shipped in ``resources/stopwords.txt``."""
    return frozenset(row[0] for row in read_word_list("stopwords.txt"))


def available_backends() -> list[str]:
    """Backends importable in this environment, fastest first."""
    names = []
    try:
        import rjieba  # noqa: F401

        names.append("rjieba")
    except ImportError:
        pass
    names.append("jieba")
    return names


@lru_cache(maxsize=4)
def _segmenter(backend: str) -> Callable[[str], list[str]]:
    if backend == "auto":
        backend = available_backends()[0]
    if backend == "rjieba":
        import rjieba

        seg = rjieba.Jieba()
        for word, tag in user_words():
            seg.add_word(word, USER_WORD_FREQ, tag)
        return seg.cut
    if backend == "jieba":
        import jieba

        jieba.setLogLevel(logging.WARNING)
        seg = jieba.Tokenizer()
        seg.initialize()
        for word, tag in user_words():
            seg.add_word(word, USER_WORD_FREQ, tag)
        return seg.lcut
    raise ValueError(f"unknown tokenizer backend {backend!r}; expected 'auto', 'rjieba' or 'jieba'")


def cut(text: str, backend: str = "auto") -> list[str]:
    """Raw segmentation (precise mode, HMM on) with the user dictionary; punctuation kept."""
    if not isinstance(text, str) or not text:
        return []
    return _segmenter(backend)(text)


def tokenize(text: str, backend: str = "auto") -> list[str]:
    """Content tokens of ``text``: segmented, stop words, punctuation and bare numbers removed.

    Latin letters are lower-cased; non-Han tokens are split into letter runs (digit runs are
    dropped). Suitable as ``TfidfVectorizer(tokenizer=tokenize, token_pattern=None)``.
    """
    if not isinstance(text, str) or not text:
        return []
    tokens = _segmenter(backend)(text)
    table = _replacements()
    # Fast path without Python work per token: tokens found in the small replacement table
    # (stop words, non-Han tokens seen before) become their kept piece or "", all others pass
    # through, which is right for every Han word that is not a stop word and for lower-case
    # letter runs. A passed token with any other character shows in the joined output.
    kept = list(filter(None, map(table.get, tokens, tokens)))
    if _UNFILTERED.search("".join(kept)) is None:
        return kept
    # Such a token is a Han word like "B超" (kept whole: nothing to do) or a non-Han token seen
    # for the first time; filtering it once adds it to the table unless it keeps several pieces.
    odd = {tok for tok in kept if _UNFILTERED.search(tok) and _PIECES[tok] != (tok,)}
    if not odd:
        return kept
    if any(len(_PIECES[tok]) > 1 for tok in odd):
        return filter_tokens(kept)
    table = _replacements()
    return list(filter(None, map(table.get, kept, kept)))


def filter_tokens(tokens: list[str]) -> list[str]:
    """The content pieces :func:`tokenize` keeps of already segmented ``tokens``."""
    if len(_PIECES) > _MEMO_MAX:
        _PIECES.clear()
        _replacements.cache_clear()
    return list(chain.from_iterable(map(_PIECES.__getitem__, tokens)))


@lru_cache(maxsize=1)
def _replacements() -> dict[str, str]:
    """Stop word -> "" and, once seen, non-Han token -> its one kept piece ("" when dropped).

    Small (no ordinary Han word is in it), so looking every token up stays in the CPU cache;
    the full per-token memo is several times larger and its lookups miss the cache.
    """
    return dict.fromkeys(stopwords(), "")


def _filter_token(tok: str) -> tuple[str, ...]:
    """The pieces :func:`tokenize` keeps of one segmented token."""
    if _HAN.search(tok):
        return () if tok in stopwords() else (tok,)
    pieces = tuple(p.lower() for p in _ASCII_PIECES.findall(tok) if not p.isdigit())
    if len(pieces) <= 1:
        _replacements()[tok] = pieces[0] if pieces else ""
    return pieces


class _PiecesMemo(dict):
    """token -> the pieces :func:`tokenize` keeps of it, computed on first sight."""

    def __missing__(self, tok: str) -> tuple[str, ...]:
        pieces = self[tok] = _filter_token(tok)
        return pieces


_PIECES = _PiecesMemo()
_MEMO_MAX = 500_000
