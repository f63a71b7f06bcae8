"""Hot-issue discovery: cluster complaints about the same place/business/group, rank by heat.

1. :func:`cluster_messages` represents each message by word TF-IDF (jieba tokens with the
   Kaifeng user dictionary; ``analyzer="char"`` uses character 2-3-gram shingles instead) of
   ``title x2 + body``; terms in more than ``max_df`` of messages are dropped, so city masks
   and boiler-plate do not link unrelated messages. On messages_hot.csv word features separate
   one known issue far better than char shingles (mean in-issue cosine 0.36 vs 0.13, random
   pairs' 99th percentile 0.06 vs 0.02; see docs/text_mining.md). Messages are merged by average-linkage
   agglomerative clustering on cosine distance. Pairs filed more than ``window_days`` apart get
   distance 1, so a cluster is one issue in one time window; so do pairs whose titles name different
   streets or residential compounds (:func:`named_places`: 新华街道车辆违停 and 州桥街道车辆违停
   are two issues, however alike their wording). Memory is O(n^2): meant for one
   city's complaints over a few months (≈ 10k messages); split larger inputs by period.
2. :func:`hot_issues` summarises clusters and ranks them by a heat index::

       heat = w_volume   * log1p(n_users)              # distinct reporters (or messages)
            + w_engagement * log1p(likes + dislikes)  # public support, where the data has likes
            + w_duration * log1p(span_days / 7 + 1)   # how many weeks it has been going on
            + w_severity * severity                   # max keyword severity 0-3

   The weights are parameters; with ``w_engagement=0`` the index does not use likes at all.
   Before ranking, :func:`merge_clusters` joins the clusters of one place/entity and subject across wording
   and time, and attaches lone messages (often the most liked) to their issue.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity
from sklearn.preprocessing import normalize

from text_mining.entities import COMMUNITY_SUFFIXES, extract_entities
from text_mining.severity import severity_level
from text_mining.tokenizer import gazetteer, tokenize

__all__ = ["cluster_messages", "hot_issues", "hot_issues_csv", "issue_table", "merge_clusters", "message_text",
           "named_places", "shared_place"]

_COMMUNITY_TAIL = "(?:" + "|".join(COMMUNITY_SUFFIXES) + ")+$"  # 阳光花园小区 and 阳光花园 are one compound
_ENTITY_CHARS = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]+")  # a place or entity name: no spaces or punctuation
# Place names that say only which city or county (the benchmark's masks A市, A5区, K9县, 西地省 and Kaifeng's
# counties): two issues in one county are not the same issue because of it.
_PLACE_MASK = "|".join([r"[A-Z]\d*[市区县省]", "西地省", "开封市", "开封",
                        *sorted(gazetteer()["district"], key=len, reverse=True)])


def named_places(titles: pd.Series) -> pd.Series:
    """The places each title names that exclude one another: Kaifeng streets and townships (gazetteer) and
    residential compounds (小区/家属院/社区/花园/…, named without those words: 阳光花园小区 is 阳光). Two
    messages that both name such places, none of them the same (one name containing the other counts as the
    same: 丽发新城 in a mis-cut 搅拌站丽发新城, 两湖 in 两湖街道), are about different issues (新华街道车辆违停
    vs 州桥街道车辆违停). Roads and counties are left out (one issue's messages often name several), and so are
    businesses: names cut from real titles (配套幼儿园, 设置医院) split real issues on messages_hot.csv."""
    found = extract_entities(pd.DataFrame({"id": np.arange(len(titles)), "text": titles.fillna("").astype(str).to_numpy()}))
    found = found[found["entity_type"].isin(["town", "community"])]
    names = found["canonical"].str.replace(_COMMUNITY_TAIL, "", regex=True)
    places = names[names.str.len() >= 2].groupby(found["id"]).agg(frozenset).to_dict()
    return pd.Series([places.get(i, frozenset()) for i in range(len(titles))], index=titles.index)


def _conflicts(df: pd.DataFrame, columns: Sequence[str], groups: np.ndarray | None = None) -> np.ndarray | None:
    """:func:`_place_conflicts` of each of ``columns`` present in ``df``, or-ed: messages (or groups) that name
    different places, or different registered subjects, are never one issue. None when none names anything."""
    found = [c for c in (_place_conflicts(df[col], groups) for col in columns if col in df) if c is not None]
    return np.logical_or.reduce(found) if found else None


def _place_conflicts(places: pd.Series, groups: np.ndarray | None = None) -> np.ndarray | None:
    """Boolean matrix over messages (or over ``groups`` of them: cluster ids 0..k-1, a group naming every place
    its messages name): True where both name places and none of one's is the same as one of the other's (equal,
    or one containing the other). None when no message names a place."""
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, names in enumerate(places):
        for name in names:
            rows.append(i)
            cols.append(vocab.setdefault(name, len(vocab)))
    if not vocab:
        return None
    incidence = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(places), len(vocab)))
    if groups is not None:
        incidence = sparse.csr_matrix((np.ones(len(groups)), (groups, np.arange(len(groups)))),
                                      shape=(int(groups.max()) + 1, len(groups))) @ incidence
    same = sparse.csr_matrix([[a in b or b in a for b in vocab] for a in vocab], dtype=float)
    named = np.asarray(incidence.sum(axis=1)).ravel() > 0
    return named[:, None] & named[None, :] & ~((incidence @ same @ incidence.T).toarray() > 0)


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
    exclusive_cols: Sequence[str] = (),
) -> pd.DataFrame:
    """Assign a ``cluster_id`` (int, 0..k-1, by first message) to every message.

    Input columns: ``text_col`` (str) and optionally ``time_col`` (datetime or string; rows
    without a time are clustered by text only) and ``exclusive_cols`` (columns of frozensets of names that
    exclude one another, as from :func:`named_places`: messages naming different places are never one
    cluster). Returns a copy of ``df`` plus ``cluster_id``.
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
    conflicts = _conflicts(df, exclusive_cols)
    if conflicts is not None:
        dist[conflicts] = 1.0
    np.fill_diagonal(dist, 0.0)
    labels = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=1.0 - min_similarity
    ).fit_predict(dist)
    # Stable ids: number clusters by their first row.
    order = {lab: k for k, lab in enumerate(dict.fromkeys(labels))}
    out["cluster_id"] = [order[lab] for lab in labels]
    return out


def merge_clusters(df: pd.DataFrame, *, title_col: str = "title", cluster_col: str = "cluster_id",
                   min_size: int = 2, min_similarity: float = 0.3, attach_similarity: float = 0.35,
                   exclusive_cols: Sequence[str] = ()) -> pd.Series:
    """Issue id per message: clusters about the same place/entity and subject merged across wording and time.

    Word clusters split one issue when people word it differently or report it months apart (丽发新城's
    搅拌站 over 14 clusters of messages_hot.csv, 58车贷 over 4). Titles name the place or entity, so each
    cluster is represented by the centroid of its titles' character 2-4-grams (TF-IDF, masks such as
    ``A市``/``A5区`` and county names removed, n-grams in more than 2 % of titles dropped); clusters of at least
    ``min_size`` messages are merged by average linkage at centroid cosine ``min_similarity``, with no time
    limit. A message left alone (a widely liked one worded unlike the others) joins the merged issue whose
    centroid it is most similar to when that cosine reaches ``attach_similarity``. With ``exclusive_cols``
    (see :func:`cluster_messages`) clusters naming different places neither merge nor take each other's lone
    messages. Returns a Series of issue ids (0..k-1, numbered by first message) aligned with ``df``.
    """
    clusters = df[cluster_col].to_numpy()
    k = int(clusters.max()) + 1 if len(clusters) else 0
    if k < 2:
        return pd.Series(np.zeros(len(df), dtype=int), index=df.index)
    titles = df[title_col].fillna("").astype(str).str.replace(_PLACE_MASK, "", regex=True)
    try:
        X = TfidfVectorizer(analyzer="char", ngram_range=(2, 4), sublinear_tf=True, max_df=0.02 if len(df) >= 100 else 1.0,
                            min_df=2 if len(df) >= 100 else 1).fit_transform(titles)
    except ValueError:  # no n-gram left: nothing to merge on
        return pd.Series(clusters, index=df.index)
    members = sparse.csr_matrix((np.ones(len(clusters)), (clusters, np.arange(len(clusters)))), shape=(k, len(clusters)))
    centroids = normalize(members @ X)
    big = np.flatnonzero(np.asarray(members.sum(axis=1)).ravel() >= min_size)
    conflicts = _conflicts(df, exclusive_cols, clusters)
    issue = np.arange(k) + k  # clusters that merge with nothing keep an id of their own
    if len(big) >= 2:
        dist = np.clip(1.0 - (centroids[big] @ centroids[big].T).toarray(), 0.0, 1.0)
        if conflicts is not None:
            dist[conflicts[np.ix_(big, big)]] = 1.0
        np.fill_diagonal(dist, 0.0)
        issue[big] = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                             distance_threshold=1.0 - min_similarity).fit_predict(dist)
    elif len(big) == 1:
        issue[big] = 0
    if len(big):
        merged = normalize(sparse.csr_matrix((np.ones(len(big)), (issue[big], big)), shape=(issue[big].max() + 1, k))
                           @ members @ X)
        small = np.setdiff1d(np.arange(k), big)
        if len(small):
            sim = (centroids[small] @ merged.T).toarray()
            if conflicts is not None:  # a lone message may not join an issue of another place
                for j in range(sim.shape[1]):
                    sim[conflicts[np.ix_(small, big[issue[big] == j])].any(axis=1), j] = -1.0
            best = sim.argmax(axis=1)
            close = sim[np.arange(len(small)), best] >= attach_similarity
            issue[small[close]] = best[close]
    labels = issue[clusters]
    order = {lab: n for n, lab in enumerate(dict.fromkeys(labels))}
    return pd.Series([order[lab] for lab in labels], index=df.index)


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
    subject_col: str | None = None,
    window_days: float = 60,
    min_similarity: float = 0.2,
    analyzer: str = "word",
    min_size: int = 2,
    merge: bool = True,
    w_volume: float = 1.0,
    w_engagement: float = 0.5,
    w_duration: float = 0.25,
    w_severity: float = 0.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cluster complaints and rank clusters by heat.

    Input: ``df`` with ``id_col``, ``title_col``, ``body_col``, ``time_col`` and optional
    ``user_col``, ``likes_col``, ``dislikes_col`` (set a name to None, or leave the column out,
    to ignore it). Messages whose titles name different places (:func:`named_places`) are never one issue,
    nor are messages linked to different registered subjects by ``subject_col`` (e.g. the warehouse's
    ``subject_uscc``: 8 orders about five shops' unpaid wages are five issues, not one titled after the first
    shop); names cut from free text are not used for that (they split real issues, :func:`named_places`).

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
    data["_places"] = named_places(data[title_col] if title_col in data else data["text"])
    exclusive = ["_places"]
    if subject_col is not None and subject_col in data:
        data["_subjects"] = [frozenset([s]) if isinstance(s, str) and s else frozenset() for s in data[subject_col]]
        exclusive.append("_subjects")
    data = cluster_messages(
        data,
        text_col="text",
        time_col=time_col,
        window_days=window_days,
        min_similarity=min_similarity,
        analyzer=analyzer,
        exclusive_cols=exclusive,
    )
    if merge:
        data["cluster_id"] = merge_clusters(data, title_col=title_col if title_col in data else "text",
                                            min_size=min_size, exclusive_cols=exclusive)
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
            + w_duration * np.log1p(span / 7 + 1)
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
    messages = data.drop(columns=["_time", "_likes", "_dislikes", "_user", "_severity", "_places"])
    return issues, messages


def shared_place(titles: list[str]) -> str:
    """The place or entity an issue's titles share: the longest run of 3-8 characters (city and county masks
    removed) found in at least 80 % as many titles as the most shared run, itself in at least half of them and
    at least two (伊景园滨河苑 rather than its more frequent tail 滨河苑); '' when there is none."""
    cleaned = [re.sub(_PLACE_MASK, " ", t or "") for t in titles]
    need = max(2, (len(cleaned) + 1) // 2)
    counts: Counter[str] = Counter()
    for n in range(3, 9):
        counts.update(g for t in cleaned for g in {t[i:i + n] for i in range(len(t) - n + 1)}
                      if _ENTITY_CHARS.fullmatch(g))
    shared = {g: c for g, c in counts.items() if c >= need}
    if not shared:
        return ""
    most = max(shared.values())
    return max((g for g, c in shared.items() if c >= 0.8 * most), key=lambda g: (len(g), shared[g], g))


def _subject_word(term: str, place: str) -> bool:
    """A word that says what the issue is about: Han, two characters or more, not a piece of the place name
    and not the remnant of a masked county (区丽发, 县恒大)."""
    return (len(term) >= 2 and bool(re.search(r"[\u4e00-\u9fff]", term)) and term[0] not in "市区县省"
            and not any(term[i:i + 2] in place for i in range(len(term) - 1)))


def issue_table(issues: pd.DataFrame, messages: pd.DataFrame, *, id_col: str = "id", title_col: str = "title",
                top: int | None = None) -> pd.DataFrame:
    """The analyst's table of :func:`hot_issues` output: rank, heat, messages, reporters, place (the entity the
    titles share), subject (the issue's three most distinctive words not in the place), first, last, ids
    (space-separated message ids)."""
    issues = issues.head(top) if top else issues
    cols = ["rank", "heat", "messages", "reporters", "place", "subject", "first", "last", "ids"]
    if issues.empty:
        return pd.DataFrame(columns=cols)
    texts = messages["text"].fillna("").tolist()
    vec = TfidfVectorizer(tokenizer=tokenize, token_pattern=None, lowercase=False, sublinear_tf=True,
                          max_df=0.05 if len(texts) >= 100 else 1.0)
    X = vec.fit_transform(texts)
    terms = vec.get_feature_names_out()
    rows = []
    for issue in issues.itertuples():
        mask = messages["cluster_id"].to_numpy() == issue.cluster_id
        place = shared_place(messages.loc[mask, title_col].fillna("").astype(str).tolist()) if title_col in messages else ""
        weight = np.asarray(X[mask].sum(axis=0)).ravel()
        words = [terms[i] for i in np.argsort(-weight)[:20] if weight[i] > 0 and _subject_word(terms[i], place)]
        rows.append((int(issue.rank), round(float(issue.heat), 3), int(issue.n_messages), int(issue.n_users), place,
                     " ".join(words[:3]), issue.first_time, issue.last_time,
                     " ".join(map(str, messages.loc[mask, id_col].tolist()))))
    return pd.DataFrame(rows, columns=cols)


def hot_issues_csv(input_csv, output_csv, *, top: int | None = None) -> pd.DataFrame:  # noqa: ANN001
    """``bianjian text hot-issues``: :func:`hot_issues` on a CSV (id, title, time; optional body, user, likes,
    dislikes), written as :func:`issue_table`. Raises FileNotFoundError / ValueError with a one-line reason."""
    path = Path(input_csv)
    if not path.is_file():
        raise FileNotFoundError(f"input file not found: {path}")
    df = pd.read_csv(path, dtype={"id": str, "user": str, "title": str, "body": str})
    missing = [c for c in ("id", "title", "time") if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(map(str, df.columns))}")
    if pd.to_datetime(df["time"], errors="coerce").isna().all() and len(df):
        raise ValueError(f"{path}: no readable time in column 'time' (expected e.g. 2019-08-19 11:34:04)")
    issues, messages = hot_issues(df)
    table = issue_table(issues, messages, top=top)
    Path(output_csv).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(output_csv, index=False)
    return table
