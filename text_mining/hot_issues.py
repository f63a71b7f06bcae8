"""Hot-issue discovery: cluster complaints about the same place/business/group, rank by heat.

1. :func:`cluster_messages` represents each message by word TF-IDF (jieba tokens with the
   Kaifeng user dictionary; ``analyzer="char"`` uses character 2-3-gram shingles instead) of
   ``title x2 + body``; terms in more than ``max_df`` of messages are dropped, so city masks
   and boiler-plate do not link unrelated messages. On messages_hot.csv word features separate
   one known issue far better than char shingles (mean in-issue cosine 0.36 vs 0.13, random
   pairs' 99th percentile 0.06 vs 0.02; see docs/text_mining.md). Messages are merged by average-linkage
   agglomerative clustering on cosine distance. Pairs filed more than ``window_days`` apart get
   distance 1, so a cluster is one issue in one time window. Memory is O(n^2): meant for one
   city's complaints over a few months (≈ 10k messages); split larger inputs by period.
2. :func:`hot_issues` summarises clusters and ranks them by a heat index::

       heat = w_volume   * log1p(n_users)              # distinct complainants (or messages)
            + w_engagement * log1p(likes + dislikes)  # public support, repeat calls
            + w_intensity * log1p(n_messages / (span_days / 7 + 1))  # messages per week
            + w_severity * severity                   # max keyword severity 0-3

   The weights are parameters; with ``w_engagement=0`` the index does not use likes at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from text_mining.severity import severity_level
from text_mining.tokenizer import tokenize

__all__ = ["cluster_messages", "hot_issues", "message_text"]


def message_text(
    df: pd.DataFrame, title_col: str = "title", body_col: str = "body", title_repeat: int = 2
) -> pd.Series:
    """``title`` repeated ``title_repeat`` times + ``body`` (missing parts as empty strings)."""
    title = df[title_col].fillna("").astype(str) if title_col in df else pd.Series("", index=df.index)
    body = df[body_col].fillna("").astype(str) if body_col in df else pd.Series("", index=df.index)
    return (title + "。") * title_repeat + body


def cluster_messages(
    df: pd.DataFrame,
    *,
    text_col: str = "text",
    time_col: str | None = "time",
    window_days: float = 60,
    min_similarity: float = 0.2,
    max_df: float = 0.05,
    analyzer: str = "word",
) -> pd.DataFrame:
    """Assign a ``cluster_id`` (int, 0..k-1, by first message) to every message.

    Input columns: ``text_col`` (str) and optionally ``time_col`` (datetime or string; rows
    without a time are clustered by text only). Returns a copy of ``df`` plus ``cluster_id``.
    """
    if text_col not in df.columns:
        raise ValueError(f"cluster_messages needs column {text_col!r}")
    out = df.copy()
    n = len(df)
    if n == 0:
        out["cluster_id"] = pd.Series(dtype=int)
        return out
    if n == 1:
        out["cluster_id"] = 0
        return out
    texts = df[text_col].fillna("").astype(str).tolist()
    max_df_eff = max_df if n * max_df >= 2 else 1.0
    if analyzer == "word":
        vec = TfidfVectorizer(
            tokenizer=tokenize, token_pattern=None, lowercase=False, sublinear_tf=True, max_df=max_df_eff
        )
    elif analyzer == "char":
        vec = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True, max_df=max_df_eff)
    else:
        raise ValueError(f"analyzer must be 'word' or 'char', got {analyzer!r}")
    try:
        X = vec.fit_transform(texts)
        dist = 1.0 - cosine_similarity(X)
    except ValueError:  # empty vocabulary: nothing to link on
        dist = np.ones((n, n))
    np.clip(dist, 0.0, 1.0, out=dist)
    if time_col is not None and time_col in df.columns:
        t = pd.to_datetime(df[time_col], errors="coerce").to_numpy().astype("datetime64[s]").astype("float64")
        days = np.abs(t[:, None] - t[None, :]) / 86400.0
        far = np.nan_to_num(days, nan=0.0) > window_days
        dist[far] = 1.0
    np.fill_diagonal(dist, 0.0)
    labels = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=1.0 - min_similarity
    ).fit_predict(dist)
    # Stable ids: number clusters by their first row.
    order = {lab: k for k, lab in enumerate(dict.fromkeys(labels))}
    out["cluster_id"] = [order[lab] for lab in labels]
    return out


def hot_issues(
    df: pd.DataFrame,
    *,
    id_col: str = "id",
    title_col: str = "title",
    body_col: str = "body",
    time_col: str = "time",
    user_col: str | None = "user",
    likes_col: str | None = "likes",
    dislikes_col: str | None = "dislikes",
    window_days: float = 60,
    min_similarity: float = 0.2,
    analyzer: str = "word",
    min_size: int = 2,
    w_volume: float = 1.0,
    w_engagement: float = 0.5,
    w_intensity: float = 0.5,
    w_severity: float = 0.3,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cluster complaints and rank clusters by heat.

    Input: ``df`` with ``id_col``, ``title_col``, ``body_col``, ``time_col`` and optional
    ``user_col``, ``likes_col``, ``dislikes_col`` (set a name to None, or leave the column out,
    to ignore it).

    Returns ``(issues, messages)``:

    - ``issues``: one row per cluster with at least ``min_size`` messages, sorted by ``heat``:
      ``rank`` (1 = hottest), ``cluster_id``, ``heat``, ``n_messages``, ``n_users``, ``likes``,
      ``dislikes``, ``first_time``, ``last_time``, ``span_days``, ``severity`` (0-3),
      ``title`` (title of the most-liked, then earliest, message), ``message_ids`` (list);
    - ``messages``: ``df`` plus ``text`` and ``cluster_id``.
    """
    missing = [c for c in (id_col, time_col) if c not in df.columns]
    if missing:
        raise ValueError(f"hot_issues needs column(s) {missing}")
    data = df.copy()
    data["text"] = message_text(data, title_col, body_col)
    data = cluster_messages(
        data,
        text_col="text",
        time_col=time_col,
        window_days=window_days,
        min_similarity=min_similarity,
        analyzer=analyzer,
    )
    data["_time"] = pd.to_datetime(data[time_col], errors="coerce")
    data["_likes"] = data[likes_col].fillna(0).astype(float) if likes_col and likes_col in data else 0.0
    data["_dislikes"] = (
        data[dislikes_col].fillna(0).astype(float) if dislikes_col and dislikes_col in data else 0.0
    )
    data["_user"] = data[user_col] if user_col and user_col in data else data[id_col]
    data["_severity"] = data["text"].map(severity_level)

    rows = []
    for cid, g in data.groupby("cluster_id", sort=False):
        if len(g) < min_size:
            continue
        span = (
            (g["_time"].max() - g["_time"].min()) / pd.Timedelta(days=1) if g["_time"].notna().any() else 0.0
        )
        span = 0.0 if pd.isna(span) else float(span)
        lead = g.sort_values(["_likes", "_time"], ascending=[False, True]).iloc[0]
        n_users = int(g["_user"].nunique())
        likes, dislikes = float(g["_likes"].sum()), float(g["_dislikes"].sum())
        severity = int(g["_severity"].max())
        heat = (
            w_volume * np.log1p(n_users)
            + w_engagement * np.log1p(likes + dislikes)
            + w_intensity * np.log1p(len(g) / (span / 7 + 1))
            + w_severity * severity
        )
        rows.append(
            {
                "cluster_id": int(cid),
                "heat": float(heat),
                "n_messages": len(g),
                "n_users": n_users,
                "likes": likes,
                "dislikes": dislikes,
                "first_time": g["_time"].min(),
                "last_time": g["_time"].max(),
                "span_days": span,
                "severity": severity,
                "title": lead[title_col] if title_col in g else "",
                "message_ids": g[id_col].tolist(),
            }
        )
    issues = pd.DataFrame(rows)
    if issues.empty:
        issues = pd.DataFrame(
            columns=[
                "rank",
                "cluster_id",
                "heat",
                "n_messages",
                "n_users",
                "likes",
                "dislikes",
                "first_time",
                "last_time",
                "span_days",
                "severity",
                "title",
                "message_ids",
            ]
        )
    else:
        issues = issues.sort_values(["heat", "cluster_id"], ascending=[False, True]).reset_index(drop=True)
        issues.insert(0, "rank", np.arange(1, len(issues) + 1))
    messages = data.drop(columns=["_time", "_likes", "_dislikes", "_user", "_severity"])
    return issues, messages
