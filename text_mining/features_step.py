"""Pipeline step ``text_features``: one ``derived_complaint_feature`` row per 12345 order.

Incremental: it reads only orders with no row yet and writes tokens (segmented once, rjieba when available),
predicted category with confidence (:mod:`text_mining.warehouse_model`), department by the catalogue rules
with a triage flag (:func:`route_table` + :func:`text_mining.classifier.route`), keyword severity, the
registered business it names (:mod:`text_mining.register_links`) or else the unmatched business mention,
and reply quality for replied orders. The hot words and hot issues built on these rows are
:mod:`text_mining.hot_topics_step`.
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
from sqlalchemy import Connection, func, select

import settings
from data_access import bulk, codes
from data_access.reference import DEPT_CODE_BY_KEY, county_government_code
from data_access.schema import (
    ComplaintFeature,
    HotlineCategory,
    HotlineTicket,
    ModelBacktest,
    RegItem,
    Subject,
)
from data_access.workers import pool_options
from text_mining.classifier import route
from text_mining.register_links import build_register_index, link_register_names, unmatched_business_mentions
from text_mining.reply_quality import score_replies
from text_mining.review import GATE_FOLDS, curve_rows
from text_mining.severity import severity_level
from text_mining.tokenizer import tokenize
from text_mining.warehouse_model import GATE_ROWS, cached_or_trained

__all__ = ["route_table", "text_features"]

log = logging.getLogger(__name__)

LOCAL_KEY = "LOCAL"  # codes.HOTLINE_CATEGORIES: the county government where the matter happens handles it
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
    dataset = f"仓库12345工单，{card['cutoff']:%Y-%m-%d}前最新{min(card['n_train'], GATE_ROWS):,}件（{GATE_FOLDS}折交叉验证）"
    now = dt.datetime.now().replace(microsecond=0)
    run_id = f"text-review-{now:%Y%m%d%H%M%S}"
    conn.execute(ModelBacktest.__table__.insert(), [
        {"run_id": run_id, "run_at": now, "model": REVIEW_CURVE_MODEL, "dataset": dataset, **row}
        for row in curve_rows(card["gate"].curve_, card["gate"].confidence_threshold_,
                              card["gate"].target_accuracy, card["gate"].confidence_level)])


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


