"""Pipeline step ``hot_topics``: recent hot words and hot issues from the text features.

It rewrites the recent weeks of ``derived_hot_word`` (week × county × category, week × county, and the whole
city) and re-clusters the sliding window of ``derived_hot_issue``; it does nothing when no feature row was
added since its last run (:mod:`text_mining.features_step` writes them).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pandas as pd
from sqlalchemy import Connection, delete, func, select, update

import settings
from data_access import bulk
from data_access.schema import (
    ComplaintFeature,
    HotIssue,
    HotlineTicket,
    HotWord,
    Setting,
)
from data_access.workers import pool_options
from text_mining import hot_issues as hot_issue_clusters
from text_mining.hotwords import hot_words, topical_tokens

__all__ = ["hot_topics"]


HOT_WORDS_PER_CELL = 20
# Terms in more than this share of the window's orders are 12345 boiler-plate that the word list
# (hotwords.boilerplate_terms: 来电, 部门, 尽快, 处理, 号楼, 单元...) misses; a category's own words stay below it.
HOT_WORD_MAX_DF = 0.1
WATERMARK_KEY = "text_hot_topics_features"  # app_setting: feature rows (count:max id) hot_topics last saw


def hot_topics(conn: Connection) -> int:
    """Recompute recent hot words and hot issues when features changed; returns rows written."""
    f = ComplaintFeature
    count, top = conn.execute(select(func.count(), func.max(f.ticket_id))).one()
    mark = f"{count}:{top}"
    if count == 0 or conn.execute(select(Setting.value).where(Setting.key == WATERMARK_KEY)).scalar() == mark:
        return 0
    newest = conn.execute(select(func.max(HotlineTicket.accepted_at))
                          .join(f, f.ticket_id == HotlineTicket.ticket_id)).scalar()
    newest, now = _as_datetime(newest), dt.datetime.now().replace(microsecond=0)
    days = int(settings.get("text_hot_issue_days"))
    window = _window_orders(conn, newest - dt.timedelta(days=days))
    blocks = [(key, block) for key, block in window.groupby(["region_code", "category_code"], sort=True)
              if len(block) >= 2]
    workers = min(int(settings.get("text_workers")), len(blocks))
    if workers > 1:
        # Clustering is pure CPU work per county × category block: workers cluster while this process
        # computes the hot words.
        shares = [blocks[k::workers] for k in range(workers)]  # blocks come sorted; deal them round-robin
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), **pool_options()) as pool:
            futures = [pool.submit(_cluster_blocks, [(key, b[_CLUSTER_COLUMNS]) for key, b in share], days)
                       for share in shares]
            written = _hot_words(conn, newest, now)
            clusters = dict(item for fut in futures for item in fut.result())
    else:
        written = _hot_words(conn, newest, now)
        clusters = dict(_cluster_blocks([(key, b[_CLUSTER_COLUMNS]) for key, b in blocks], days))
    written += _save_hot_issues(conn, window, dict(blocks), clusters, newest, now, days)
    conn.execute(delete(Setting).where(Setting.key == WATERMARK_KEY))
    conn.execute(Setting.__table__.insert().values(key=WATERMARK_KEY, value=mark))
    return written


def _as_datetime(value) -> dt.datetime:  # noqa: ANN001
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def _week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _hot_words(conn: Connection, newest: dt.datetime, now: dt.datetime) -> int:
    """Rewrite the last ``text_hot_word_weeks`` weeks; the weeks before them feed the burst baseline."""
    weeks = int(settings.get("text_hot_word_weeks"))
    baseline = 3
    first = _week_start(newest.date()) - dt.timedelta(weeks=weeks - 1)
    t, f = HotlineTicket, ComplaintFeature
    rows = conn.execute(select(t.accepted_at, t.region_code, t.category_code, f.tokens)
                        .join(f, f.ticket_id == t.ticket_id)
                        .where(t.accepted_at >= dt.datetime.combine(first - dt.timedelta(weeks=baseline), dt.time()),
                               f.tokens.is_not(None))).all()
    conn.execute(delete(HotWord).where(HotWord.period_start >= first))
    if not rows:
        return 0
    df = pd.DataFrame(rows, columns=["accepted_at", "region_code", "category_code", "tokens"])
    docs = topical_tokens([tokens.split() for tokens in df["tokens"]], max_share=HOT_WORD_MAX_DF)
    df["tokens"] = [" ".join(doc) for doc in docs]
    days = pd.to_datetime(df["accepted_at"]).dt.normalize()
    df["period"] = (days - pd.to_timedelta(days.dt.weekday, unit="D")).dt.date
    params = {"period_col": "period", "tokens_col": "tokens", "text_col": None, "top_k": HOT_WORDS_PER_CELL,
              "baseline_periods": baseline}
    cells = hot_words(df, group_cols=["region_code", "category_code"], **params)
    counties = hot_words(df, group_cols=["region_code"], **params).assign(category_code=None)
    city = hot_words(df, **params).assign(region_code=None, category_code=None)
    out = pd.concat([cells, counties, city], ignore_index=True)
    out = out[out["period"] >= first].rename(columns={"period": "period_start"})
    out = out[out["term"].str.len() <= 40].assign(computed_at=now)
    return bulk.insert_frame(conn, HotWord.__table__, out[[
        "period_start", "region_code", "category_code", "term", "weight", "doc_count", "n_docs", "burst_ratio",
        "is_emerging", "computed_at"]])


def _route_together(conn: Connection, members: list[int]) -> int:
    """One issue, one routing: the orders of a hot issue go to the department most of them were routed to;
    an order the model had routed elsewhere is moved and flagged for 人工分拨 (``needs_triage``), so a person
    confirms. Returns the number of orders moved."""
    f = ComplaintFeature
    routed = pd.DataFrame(conn.execute(select(f.ticket_id, f.routed_dept_code).where(f.ticket_id.in_(members))).all(),
                          columns=["ticket_id", "dept"])
    counts = routed["dept"].dropna().value_counts()
    if counts.empty or len(counts) == 1 and counts.iat[0] == len(routed):
        return 0
    majority = sorted(counts[counts == counts.max()].index)[0]  # ties: the lowest code, so reruns agree
    moved = routed.loc[routed["dept"] != majority, "ticket_id"].tolist()
    conn.execute(update(f).where(f.ticket_id.in_(moved)).values(routed_dept_code=majority, needs_triage=True))
    return len(moved)


def _shared_value(values: pd.Series) -> str | None:
    """The most frequent value when at least two orders share it (a cluster of different shops has no place)."""
    counts = values.dropna().value_counts()
    return str(counts.index[0]) if len(counts) and counts.iat[0] >= 2 else None


_CLUSTER_COLUMNS = ["ticket_id", "title", "content", "accepted_at", "caller_phone", "subject_uscc"]


def _window_orders(conn: Connection, start: dt.datetime) -> pd.DataFrame:
    t, f = HotlineTicket, ComplaintFeature
    cols = [t.ticket_id, t.title, t.content, t.accepted_at, t.caller_phone, t.address, t.region_code,
            t.category_code, t.subject_uscc, f.business_mention, f.severity, f.hot_issue_id]
    df = pd.DataFrame(conn.execute(select(*cols).join(f, f.ticket_id == t.ticket_id)
                                   .where(t.accepted_at >= start)).all(), columns=[c.key for c in cols])
    df["accepted_at"] = pd.to_datetime(df["accepted_at"])
    return df


def _cluster_blocks(blocks: list[tuple[tuple[str, str], pd.DataFrame]], days: int
                    ) -> list[tuple[tuple[str, str], pd.DataFrame]]:
    """Ranked hot issues of each county × category block (runs in a worker process)."""
    return [(key, hot_issue_clusters.hot_issues(
        block, id_col="ticket_id", title_col="title", body_col="content", time_col="accepted_at",
        user_col="caller_phone", likes_col=None, dislikes_col=None, subject_col="subject_uscc", window_days=days,
        min_size=2)[0])
        for key, block in blocks]


def _save_hot_issues(conn: Connection, window: pd.DataFrame, blocks: dict, clusters: dict,
                     newest: dt.datetime, now: dt.datetime, days: int) -> int:
    """Write the window's clusters as hot issues and point their orders at them.

    A cluster keeps the id of the issue most of its orders had before (so an issue's id is stable while
    it grows); orders in the window outside any cluster lose theirs; issues nobody points to are deleted.
    """
    t, f = HotlineTicket, ComplaintFeature
    if window.empty:
        return 0
    start = newest - dt.timedelta(days=days)
    issues = []
    claimed: set[int] = set()
    for region, category in sorted(clusters):  # the same ids whatever the number of workers
        ranked, block = clusters[(region, category)], blocks[(region, category)]
        for issue in ranked.itertuples():
            members = block[block["ticket_id"].isin(issue.message_ids)]
            previous = members["hot_issue_id"].dropna().astype(int)
            previous = previous[~previous.isin(claimed)]
            issue_id = int(previous.mode().iat[0]) if len(previous) else None
            if issue_id is not None:
                claimed.add(issue_id)
            recent = (members["accepted_at"] > newest - dt.timedelta(days=7)).sum()
            prior = ((members["accepted_at"] <= newest - dt.timedelta(days=7))
                     & (members["accepted_at"] > newest - dt.timedelta(days=14))).sum()
            place = _shared_value(members["business_mention"]) or _shared_value(members["address"])
            issues.append({
                "hot_issue_id": issue_id, "members": members["ticket_id"].tolist(), "title": str(issue.title)[:200],
                "place": place[:200] if place else None, "region_code": region,
                "category_code": category, "first_seen": issue.first_time.to_pydatetime(),
                "last_seen": issue.last_time.to_pydatetime(), "n_tickets": int(issue.n_messages),
                "n_callers": int(issue.n_users), "growth": round(float((recent + 1) / (prior + 1)), 4),
                "heat": round(float(issue.heat), 4), "severity": int(issue.severity), "computed_at": now})
    conn.execute(update(f).where(f.ticket_id.in_(select(t.ticket_id).where(t.accepted_at >= start)))
                 .values(hot_issue_id=None))
    for issue in issues:
        members = issue.pop("members")
        issue_id = issue.pop("hot_issue_id")
        if issue_id is None:
            issue_id = conn.execute(HotIssue.__table__.insert().values(**issue)
                                    .returning(HotIssue.hot_issue_id)).scalar_one()
        else:
            conn.execute(update(HotIssue).where(HotIssue.hot_issue_id == issue_id).values(**issue))
        conn.execute(update(f).where(f.ticket_id.in_(members)).values(hot_issue_id=issue_id))
        _route_together(conn, members)
    conn.execute(delete(HotIssue).where(HotIssue.hot_issue_id.not_in(
        select(f.hot_issue_id).where(f.hot_issue_id.is_not(None)))))
    return len(issues)
