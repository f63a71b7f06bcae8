"""Pipeline steps ``text_features`` and ``hot_topics``: text mining of 12345 orders into the warehouse.

``text_features`` is incremental: it reads only orders with no ``derived_complaint_feature`` row yet and
writes one row each: tokens (segmented once, rjieba when available), predicted category with confidence
(:mod:`text_mining.warehouse_model`), department by the catalogue rules with a triage flag
(:func:`route_table` + :func:`text_mining.classifier.route`), keyword severity, the registered business
it names (:mod:`text_mining.register_links`) or else the unmatched business mention, and reply quality
for replied orders.

``hot_topics`` rewrites the recent weeks of ``derived_hot_word`` (week × county × category, week ×
county, and the whole city) and re-clusters the sliding window of ``derived_hot_issue``; it does nothing when no
feature row was added since its last run.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import nullcontext
from functools import lru_cache
from itertools import compress

import joblib
import numpy as np
import pandas as pd
from sqlalchemy import Connection, delete, func, select, update

import settings
from data_access import bulk, codes
from data_access.reference import DEPT_CODE_BY_KEY, county_government_code
from data_access.schema import (
    ComplaintFeature,
    HotIssue,
    HotlineCategory,
    HotlineTicket,
    HotWord,
    ModelBacktest,
    RegItem,
    Setting,
    Subject,
)
from data_access.workers import pool_options
from text_mining import hot_issues as hot_issue_clusters
from text_mining.classifier import route
from text_mining.hotwords import hot_words, topical_tokens
from text_mining.register_links import build_register_index, link_register_names, unmatched_business_mentions
from text_mining.reply_quality import score_replies
from text_mining.review import curve_rows
from text_mining.severity import severity_level
from text_mining.tokenizer import tokenize
from text_mining.warehouse_model import GATE_ROWS, cached_or_trained

__all__ = ["hot_topics", "route_table", "text_features"]

log = logging.getLogger(__name__)

LOCAL_KEY = "LOCAL"  # codes.HOTLINE_CATEGORIES: the county government where the matter happens handles it
HOT_WORDS_PER_CELL = 20
# Terms in more than this share of the window's orders are 12345 boiler-plate that the word list
# (hotwords.boilerplate_terms: 来电, 部门, 尽快, 处理, 号楼, 单元...) misses; a category's own words stay below it.
HOT_WORD_MAX_DF = 0.1
WATERMARK_KEY = "text_hot_topics_features"  # app_setting: feature rows (count:max id) hot_topics last saw
FEATURE_COLUMNS = ["ticket_id", "tokens", "predicted_category_code", "category_confidence", "routed_dept_code",
                   "needs_triage", "severity", "business_mention", "linked_subject_uscc", "reply_quality",
                   "computed_at"]


# ------------------------------------------------------------------------------------------ features


def text_features(conn: Connection, batch_rows: int | None = None) -> int:
    """Fill ``derived_complaint_feature`` for every order that has no row yet; returns rows written.

    Orders go ``batch_rows`` at a time through segmentation, scoring and classification; reply
    relevance's idf is over a batch, so the batch size is part of the result.
    """
    batch_rows = batch_rows or int(settings.get("text_batch_rows"))
    t, f = HotlineTicket, ComplaintFeature
    new_ids = conn.execute(select(t.ticket_id).outerjoin(f, f.ticket_id == t.ticket_id)
                           .where(f.ticket_id.is_(None)).order_by(t.ticket_id)).scalars().all()
    if not new_ids:
        return 0
    batches = [_load_batch(conn, new_ids[start:start + batch_rows]) for start in range(0, len(new_ids), batch_rows)]
    workers = min(int(settings.get("text_workers")), len(batches))
    # The text work runs batch by batch in worker processes, queued so that they never wait for this
    # process: segmentation and scores first, while this process scans the batches for registered names;
    # then business-mention extraction on the orders with no registered name, while this process trains
    # (or loads) the category model; then classification, while this process writes finished batches.
    # spawn, not fork: a forked child would inherit (and could close) the open database connection.
    with (ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), **pool_options())
          if workers > 1 else nullcontext()) as pool:
        scored = [_submit(pool, _text_scores, batch) for batch in batches]
        named = _registered_names(conn, batches)
        mentioned = [_submit(pool, _unmatched_mentions, batch, found) for batch, found in zip(batches, named, strict=True)]
        scores = [s.result() for s in scored]
        model, card = cached_or_trained(conn, lambda cutoff, limit: _training_tokens(conn, scores, cutoff, limit))
        log.info("category model %s (cutoff %s, %d training orders, %s)", card["path"], card["cutoff"],
                 card["n_train"], "trained now" if card["trained"] else "from the cache")
        if card["trained"]:
            _record_review_curve(conn, card)
        classify, with_model = ((_categories, {"model": model, "gate": card["gate"]}) if pool is None
                                else (_categories_with_saved_model, card["path"]))
        categorised = [_submit(pool, classify, with_model, part["tokens"].tolist()) for part in scores]
        rules = route_table(conn)
        now = dt.datetime.now().replace(microsecond=0)
        written = 0
        for part, found, mentions, categories in zip(scores, named, mentioned, categorised, strict=True):
            feats = part.join(_with_mentions(found, part["ticket_id"], mentions.result()))
            feats["predicted_category_code"], feats["category_confidence"], review = categories.result()
            # Triage (人工分拨) when no rule routes the category, or the review gate says a person must look:
            # the same gate `bianjian text classify` applies (text_mining.review).
            routed = route(feats.assign(route_key=_route_keys(feats["predicted_category_code"], feats["region_code"])),
                           rules, threshold=0.0, category_col="route_key", confidence_col="category_confidence",
                           default_department="")
            feats["routed_dept_code"] = routed["department"].replace("", None)
            feats["needs_triage"] = routed["needs_triage"].astype(bool).to_numpy() | review
            feats["computed_at"] = now
            written += bulk.insert_frame(conn, ComplaintFeature.__table__, feats[FEATURE_COLUMNS])
    return written


def _submit(pool: ProcessPoolExecutor | None, fn, *args) -> Future:  # noqa: ANN001
    """``pool.submit(fn, *args)``; with no pool, the call made here and now as a finished future."""
    if pool is not None:
        return pool.submit(fn, *args)
    done: Future = Future()
    done.set_result(fn(*args))
    return done


def _load_batch(conn: Connection, ids: list[int]) -> pd.DataFrame:
    t, f = HotlineTicket, ComplaintFeature
    cols = [t.ticket_id, t.title, t.content, t.region_code, t.accepted_at, t.replied_at, t.reply_content]
    # An id range plus the anti-join, not IN (...): 20k bound parameters exceed SQLite's limit.
    stmt = (select(*cols).outerjoin(f, f.ticket_id == t.ticket_id)
            .where(t.ticket_id.between(ids[0], ids[-1]), f.ticket_id.is_(None)).order_by(t.ticket_id))
    return pd.DataFrame(conn.execute(stmt).all(), columns=[c.key for c in cols])


def _text(df: pd.DataFrame) -> list[str]:
    return (df["title"].fillna("") + "。" + df["content"].fillna("")).tolist()


def _text_scores(df: pd.DataFrame) -> pd.DataFrame:
    """ticket_id, region_code, tokens, severity and reply_quality of a batch (runs in a worker process)."""
    text = _text(df)
    tokens = [tokenize(x) for x in text]  # segmented once per order: stored, and reused by reply relevance
    out = pd.DataFrame({"ticket_id": df["ticket_id"], "region_code": df["region_code"]})
    out["tokens"] = [" ".join(x) for x in tokens]
    out["severity"] = [severity_level(x) for x in text]
    out["reply_quality"] = _reply_quality(df, tokens)
    return out


def _registered_names(conn: Connection, batches: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """Per batch, linked_subject_uscc and business_mention of the orders naming a registered business
    (both None for the others), against the register as it is now."""
    subjects = pd.DataFrame(conn.execute(select(Subject.uscc, Subject.name, Subject.region_code)).all(),
                            columns=["uscc", "name", "region_code"])
    index = build_register_index(subjects["name"].tolist(), subjects["region_code"].tolist())
    uscc_of = subjects["uscc"].tolist()
    out = []
    for df in batches:
        rows, surfaces = link_register_names(index, _text(df), df["region_code"].tolist())
        out.append(pd.DataFrame({"linked_subject_uscc": [uscc_of[r] if r is not None else None for r in rows],
                                 "business_mention": surfaces}, index=df.index))
    return out


def _unmatched_mentions(df: pd.DataFrame, found: pd.DataFrame) -> dict[int, str]:
    """ticket_id → first business mention of the batch's orders that name no registered business
    (runs in a worker process)."""
    unlinked = found["business_mention"].isna().to_numpy()
    text = list(compress(_text(df), unlinked))
    return unmatched_business_mentions(df["ticket_id"][unlinked].tolist(), text)


def _with_mentions(found: pd.DataFrame, ids: pd.Series, mentions: dict[int, str]) -> pd.DataFrame:
    """``found`` with the unmatched mention where no registered name was found, cut to the column's 200."""
    mention = [s if s is not None else mentions.get(tid) for s, tid in zip(found["business_mention"], ids, strict=True)]
    return found.assign(business_mention=pd.Series(mention, index=found.index).str.slice(0, 200))


def _reply_quality(df: pd.DataFrame, tokens: list[list[str]]) -> pd.Series:
    """Reply quality of the replied orders of a batch (NaN for the others); ``tokens`` are each order's."""
    replied = df["reply_content"].notna() & (df["reply_content"].fillna("") != "")
    quality = pd.Series(np.nan, index=df.index)
    if replied.any():
        sub = df.loc[replied].rename(columns={"content": "body", "reply_content": "reply", "accepted_at": "time",
                                              "replied_at": "reply_time"})
        sub_tokens = list(compress(tokens, replied.tolist()))
        quality.loc[replied] = score_replies(sub, complaint_tokens=sub_tokens)["quality"].round(4).to_numpy()
    return quality


def _categories(card: dict, tokens: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Most probable category of each token string, its probability (rounded as stored) and whether the
    model card's review gate sends the order to a person."""
    model = card["model"]
    features = model.named_steps["tfidf"].transform(tokens)
    proba = model.named_steps["clf"].predict_proba(features)
    best = proba.argmax(axis=1)
    review = card["gate"].decide(proba, features)["needs_review"].to_numpy()
    return model.classes_[best], proba[np.arange(len(best)), best].round(4), review


@lru_cache(maxsize=1)
def _saved_model(path: str) -> dict:
    return joblib.load(path)


def _categories_with_saved_model(path: str, tokens: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_categories` with the model saved at ``path`` (runs in a worker process, which loads it once)."""
    return _categories(_saved_model(path), tokens)


REVIEW_CURVE_MODEL = "工单分类与分拨"


def _record_review_curve(conn: Connection, card: dict) -> None:
    """Store the freshly trained category model's held-out coverage / accuracy curve for 模型卡."""
    dataset = f"仓库12345工单，{card['cutoff']:%Y-%m-%d}前最新{min(card['n_train'], GATE_ROWS):,}件（3折交叉验证）"
    now = dt.datetime.now().replace(microsecond=0)
    run_id = f"text-review-{now:%Y%m%d%H%M%S}"
    conn.execute(ModelBacktest.__table__.insert(), [
        {"run_id": run_id, "run_at": now, "model": REVIEW_CURVE_MODEL, "dataset": dataset, **row}
        for row in curve_rows(card["gate"].curve_, card["gate"].confidence_threshold_,
                                 card["gate"].target_accuracy)])


def _training_tokens(conn: Connection, scores: list[pd.DataFrame], cutoff: dt.date, limit: int
                     ) -> tuple[list[str], list[str]]:
    """Tokens and operator categories of the newest ``limit`` orders accepted before ``cutoff``: stored
    tokens for orders done in earlier runs, this run's (``scores``) for the rest."""
    t, f = HotlineTicket, ComplaintFeature
    rows = conn.execute(select(t.ticket_id, t.category_code, f.tokens).outerjoin(f, f.ticket_id == t.ticket_id)
                        .where(t.accepted_at < dt.datetime.combine(cutoff, dt.time()))
                        .order_by(t.accepted_at.desc()).limit(limit)).all()
    fresh = {tid: tok for part in scores for tid, tok in zip(part["ticket_id"].tolist(), part["tokens"].tolist(), strict=True)}
    tokens, labels = [], []
    for tid, category, stored in rows:
        tok = stored if stored is not None else fresh.get(tid)
        if tok is not None:
            tokens.append(tok)
            labels.append(category)
    return tokens, labels


def route_table(conn: Connection) -> pd.DataFrame:
    """Routing rules as ``category`` → ``department`` rows for :func:`text_mining.classifier.route`.

    A category whose default handler is LOCAL goes to the government of the county where the matter
    happens (key ``CAT@county``); otherwise to the department owning most catalogue items
    (``dim_reg_item.hotline_category_code``) for it, else to its default department.
    """
    owners = conn.execute(select(RegItem.hotline_category_code, RegItem.dept_code, func.count())
                          .where(RegItem.hotline_category_code.is_not(None), RegItem.valid_to.is_(None))
                          .group_by(RegItem.hotline_category_code, RegItem.dept_code)).all()
    owner: dict[str, tuple[int, str]] = {}
    for cat, dept, n in owners:
        if cat not in owner or (n, dept) > owner[cat]:
            owner[cat] = (n, dept)
    rows = []
    for cat, default_key in conn.execute(select(HotlineCategory.cat_code, HotlineCategory.default_dept_key)):
        if default_key == LOCAL_KEY:
            rows += [(f"{cat}@{c.code}", county_government_code(c.code)) for c in codes.COUNTIES]
        elif cat in owner:
            rows.append((cat, owner[cat][1]))
        elif default_key in DEPT_CODE_BY_KEY:
            rows.append((cat, DEPT_CODE_BY_KEY[default_key]))
    return pd.DataFrame(rows, columns=["category", "department"])


def _route_keys(categories: pd.Series, regions: pd.Series) -> pd.Series:
    local = set(codes.HOTLINE_CATEGORY_CODE_BY_NAME[name] for name, _, key in codes.HOTLINE_CATEGORIES
                if key == LOCAL_KEY)
    return pd.Series([f"{c}@{r}" if c in local else c for c, r in zip(categories, regions, strict=True)],
                     index=categories.index)


# ---------------------------------------------------------------------------------------- hot topics


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


_CLUSTER_COLUMNS = ["ticket_id", "title", "content", "accepted_at", "caller_phone"]


def _window_orders(conn: Connection, start: dt.datetime) -> pd.DataFrame:
    t, f = HotlineTicket, ComplaintFeature
    cols = [t.ticket_id, t.title, t.content, t.accepted_at, t.caller_phone, t.address, t.region_code,
            t.category_code, f.business_mention, f.severity, f.hot_issue_id]
    df = pd.DataFrame(conn.execute(select(*cols).join(f, f.ticket_id == t.ticket_id)
                                   .where(t.accepted_at >= start)).all(), columns=[c.key for c in cols])
    df["accepted_at"] = pd.to_datetime(df["accepted_at"])
    return df


def _cluster_blocks(blocks: list[tuple[tuple[str, str], pd.DataFrame]], days: int
                    ) -> list[tuple[tuple[str, str], pd.DataFrame]]:
    """Ranked hot issues of each county × category block (runs in a worker process)."""
    return [(key, hot_issue_clusters.hot_issues(
        block, id_col="ticket_id", title_col="title", body_col="content", time_col="accepted_at",
        user_col="caller_phone", likes_col=None, dislikes_col=None, window_days=days, min_size=2)[0])
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
