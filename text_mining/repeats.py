"""Repeat complaints: the same caller (or place) raising the same issue again within N days.

Two complaints are linked when they share every value of ``keys`` (e.g. the caller's phone, or
caller + place), the later one was filed at most ``window_days`` after the earlier one and, when
``text_col`` is given, their character-bigram TF-IDF cosine is at least ``min_similarity``
("same issue"). Linked complaints form chains; each chain is one ``repeat_group``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

__all__ = ["find_repeats"]


def find_repeats(
    df: pd.DataFrame,
    *,
    keys: Sequence[str] = ("caller",),
    time_col: str = "time",
    window_days: float = 30,
    text_col: str | None = "text",
    min_similarity: float = 0.5,
) -> pd.DataFrame:
    """Flag repeat complaints.

    Parameters
    ----------
    df : DataFrame
        One row per complaint with the ``keys`` columns, ``time_col`` (datetime or parseable
        string) and optionally ``text_col``. Rows with a missing key or time are never repeats.
    keys : sequence of str
        Columns that must be equal (caller id, place, business...).
    window_days : float
        Maximum gap in days between a complaint and the earlier one it repeats.
    text_col : str or None
        Text used to decide "same issue"; ``None`` links on keys and time alone.
    min_similarity : float
        Minimum cosine similarity (char 1-2-gram TF-IDF) of two texts to count as the same issue.

    Returns
    -------
    DataFrame
        A copy of ``df`` (same index and order) plus ``repeat_group`` (int, -1 for complaints
        with no repeat), ``is_repeat`` (bool: it repeats an earlier complaint), ``previous_index``
        (index label of the earlier complaint it repeats, or NA), ``days_since_previous``
        (float or NaN) and ``group_size`` (int, 1 for singletons).
    """
    keys = list(keys)
    needed = keys + [time_col] + ([text_col] if text_col else [])
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"find_repeats needs column(s) {', '.join(missing)}")
    if window_days < 0:
        raise ValueError("window_days must be >= 0")

    times = pd.to_datetime(df[time_col], errors="coerce")
    positions = np.arange(len(df))
    parent = positions.copy()
    prev_pos = np.full(len(df), -1)
    gap_days = np.full(len(df), np.nan)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    valid = df[keys].notna().all(axis=1).to_numpy() & times.notna().to_numpy()
    frame = pd.DataFrame({"_pos": positions[valid], "_t": times[valid].to_numpy()})
    for k in keys:
        frame[k] = df[k].to_numpy()[valid]
    for _, grp in frame.groupby(keys, sort=False):
        if len(grp) < 2:
            continue
        grp = grp.sort_values(["_t", "_pos"])
        pos = grp["_pos"].to_numpy()
        t = grp["_t"].to_numpy()
        sim = _similarity(df[text_col].to_numpy()[pos]) if text_col else None
        for j in range(1, len(pos)):
            for i in range(j - 1, -1, -1):
                days = (t[j] - t[i]) / np.timedelta64(1, "D")
                if days > window_days:
                    break
                if sim is not None and sim[i, j] < min_similarity:
                    continue
                prev_pos[pos[j]] = pos[i]
                gap_days[pos[j]] = days
                parent[find(pos[j])] = find(pos[i])
                break

    roots = np.array([find(i) for i in positions])
    sizes = pd.Series(roots).map(pd.Series(roots).value_counts()).to_numpy()
    group_ids = pd.Series(np.where(sizes > 1, roots, -1))
    dense = {r: g for g, r in enumerate(sorted(set(group_ids) - {-1}))}
    out = df.copy()
    out["repeat_group"] = group_ids.map(lambda r: dense.get(r, -1)).to_numpy()
    out["is_repeat"] = prev_pos >= 0
    out["previous_index"] = pd.array([df.index[p] if p >= 0 else pd.NA for p in prev_pos], dtype=object)
    out["days_since_previous"] = gap_days
    out["group_size"] = sizes.astype(int)
    return out


def _similarity(texts: np.ndarray) -> np.ndarray:
    texts = ["" if not isinstance(t, str) else t for t in texts]
    if not any(texts):
        return np.ones((len(texts), len(texts)))
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)
    return cosine_similarity(vec.fit_transform(texts))
