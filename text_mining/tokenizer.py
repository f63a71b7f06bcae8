"""Chinese tokenization for complaint text: jieba segmentation with a curated user dictionary.

Two interchangeable backends read the same dictionary files in ``text_mining/resources``:

- ``"rjieba"``: the Rust port of jieba (jieba-rs, via the ``rjieba`` binding), about 20x faster;
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
from pathlib import Path

__all__ = [
    "RESOURCES",
    "available_backends",
    "cut",
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
    kept = _KEPT
    if len(kept) > _KEPT_MAX:
        kept.clear()
    return [piece for tok in _segmenter(backend)(text) for piece in kept[tok]]


class _KeptPieces(dict):
    """token -> the pieces :func:`tokenize` keeps of it, computed on first sight.

    Filtering is a pure function of the token and the vocabulary is small, so memoising it turns
    the per-token regex work into one C-level dict lookup (it was most of the Python-side cost).
    """

    def __missing__(self, tok: str) -> tuple[str, ...]:
        pieces = self[tok] = _filter_token(tok)
        return pieces


_KEPT = _KeptPieces()
_KEPT_MAX = 500_000


def _filter_token(tok: str) -> tuple[str, ...]:
    if _HAN.search(tok):
        return () if tok in stopwords() else (tok,)
    return tuple(p.lower() for p in _ASCII_PIECES.findall(tok) if not p.isdigit())
