"""The text-mining pipeline steps on a copy of the shared demo warehouse (and once on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from data_access import migrate, queries_complaints, queries_model_cards, queries_text, warehouse
from data_access.db import make_engine
from data_access.schema import Base, ComplaintFeature, HotIssue, HotlineTicket, HotWord, PlantedEvent, Subject
from data_access.scope import Scope
from demo.load import load_demo
from pipeline.runner import run_steps
from pipeline.steps import STEP_BY_NAME
from tests.db_fixtures import postgres_database, sqlite_engine
from text_mining import hotwords, warehouse_model
from text_mining.classifier import route
from text_mining.entities import normalize_business_name
from text_mining.features_step import _route_keys, route_table, text_features
from text_mining.hot_topics_step import hot_topics
from text_mining.pipeline_quality import quality_report
from text_mining.register_links import build_register_index, link_register_names, unmatched_business_mentions
from text_mining.reply_quality import score_replies
from text_mining.severity import severity_level
from text_mining.tokenizer import gazetteer, tokenize

TEXT_TABLES = {"derived_hot_word", "derived_hot_issue"}


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("var")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BIANJIAN_VAR_DIR", str(path))
        yield path


@pytest.fixture(scope="module")
def mined(demo_db_path, tmp_path_factory, var_dir):
    """A private copy of the demo warehouse after one run of both steps, with what each step wrote."""
    path = tmp_path_factory.mktemp("text") / "mined.db"
    shutil.copy(demo_db_path, path)
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        features = text_features(conn)
    with engine.begin() as conn:
        topics = hot_topics(conn)
    yield engine, features, topics
    engine.dispose()


def _count(engine, model) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def test_features_for_every_order_and_a_rerun_does_nothing(mined):
    engine, features, topics = mined
    tickets = _count(engine, HotlineTicket)
    assert features == tickets == _count(engine, ComplaintFeature)
    assert topics > 0
    words, issues = _count(engine, HotWord), _count(engine, HotIssue)
    assert words > 0 and issues > 0
    with engine.begin() as conn:
        assert text_features(conn) == 0
        assert hot_topics(conn) == 0
    assert (_count(engine, ComplaintFeature), _count(engine, HotWord), _count(engine, HotIssue)) == (
        tickets, words, issues)
    with engine.connect() as conn:
        empty_tokens = conn.execute(select(func.count()).where(
            (ComplaintFeature.tokens.is_(None)) | (ComplaintFeature.tokens == ""))).scalar_one()
        categorised = conn.execute(select(func.count()).where(
            ComplaintFeature.predicted_category_code.is_not(None))).scalar_one()
        members = conn.execute(select(func.count()).where(ComplaintFeature.hot_issue_id.is_not(None))).scalar_one()
    assert empty_tokens == 0 and categorised == tickets
    assert members >= 2 * issues  # every issue has at least two orders
    with Session(engine) as session:  # the trained model's held-out routing curve, for 模型卡
        curve = queries_model_cards.review_curve(session)
    assert set(curve["model"]) == {"工单分类与分拨"} and curve["dataset"].str.startswith("仓库12345工单").all()
    assert curve["coverage"].is_monotonic_decreasing and len(curve) > 10


def test_new_orders_are_the_only_ones_processed(mined):
    engine, _, _ = mined
    with engine.begin() as conn:
        before = dict(conn.execute(select(ComplaintFeature.ticket_id, ComplaintFeature.computed_at)).all())
        template = conn.execute(select(HotlineTicket).order_by(HotlineTicket.ticket_id.desc()).limit(3)).mappings().all()
        top = max(before)
        rows = []
        for k, row in enumerate(template, start=1):
            row = {c: v for c, v in row.items() if c != "ticket_id"}
            row.update(order_no=f"KFTEST{k:06d}", src_id=f"KFTEST{k:06d}", accepted_at=row["accepted_at"]
                       + dt.timedelta(hours=1), title=row["title"] + "（再次反映）")
            rows.append(row)
        conn.execute(insert(HotlineTicket), rows)
    with engine.begin() as conn:
        assert text_features(conn) == 3
    with engine.begin() as conn:
        assert hot_topics(conn) > 0
        after = dict(conn.execute(select(ComplaintFeature.ticket_id, ComplaintFeature.computed_at)).all())
    assert len(after) == len(before) + 3
    assert all(after[tid] == when for tid, when in before.items())  # old rows untouched
    assert sorted(set(after) - set(before))[0] > top


FEATURE_VALUES = ["ticket_id", "tokens", "predicted_category_code", "category_confidence", "routed_dept_code",
                  "needs_triage", "severity", "business_mention", "linked_subject_uscc", "reply_quality"]


def _plain_features(conn, batch_rows: int) -> pd.DataFrame:  # noqa: ANN001
    """The feature rows computed the plain way, order by order and text by text, each consumer segmenting
    for itself: what the step's batched, shared-token, multi-process path must reproduce exactly."""
    t = HotlineTicket
    orders = pd.DataFrame(conn.execute(select(t.ticket_id, t.title, t.content, t.region_code, t.accepted_at,
                                              t.replied_at, t.reply_content).order_by(t.ticket_id)).all())
    text = (orders["title"].fillna("") + "。" + orders["content"].fillna("")).tolist()
    out = pd.DataFrame({"ticket_id": orders["ticket_id"], "tokens": [" ".join(tokenize(x)) for x in text],
                        "severity": [severity_level(x) for x in text]})
    subjects = conn.execute(select(Subject.uscc, Subject.name, Subject.region_code)).all()
    index = build_register_index([s.name for s in subjects], [s.region_code for s in subjects])
    rows, surfaces = link_register_names(index, text, orders["region_code"].tolist())
    out["linked_subject_uscc"] = [subjects[r].uscc if r is not None else None for r in rows]
    mentions = unmatched_business_mentions(orders["ticket_id"].tolist(), text)
    out["business_mention"] = [s if s is not None else mentions.get(tid) for s, tid in zip(surfaces, out["ticket_id"],
                                                                                           strict=True)]
    out["reply_quality"] = None
    for start in range(0, len(orders), batch_rows):  # reply relevance's idf is over one batch
        batch = orders.iloc[start:start + batch_rows]
        replied = batch[batch["reply_content"].fillna("") != ""]
        scored = score_replies(replied.rename(columns={"content": "body", "reply_content": "reply",
                                                       "accepted_at": "time", "replied_at": "reply_time"}))
        out.loc[replied.index, "reply_quality"] = scored["quality"].round(4).to_numpy()
    model, card = warehouse_model.cached_or_trained(conn, None)  # the model the step trained and saved
    assert card["trained"] is False
    proba = model.predict_proba(out["tokens"])
    out["predicted_category_code"] = model.classes_[proba.argmax(axis=1)]
    out["category_confidence"] = proba.max(axis=1).round(4)
    routed = route(out.assign(key=_route_keys(out["predicted_category_code"], orders["region_code"])),
                   route_table(conn), threshold=0.0, category_col="key", confidence_col="category_confidence",
                   default_department="")
    out["routed_dept_code"] = routed["department"].replace("", None)
    review = card["gate"].decide(proba, model.named_steps["tfidf"].transform(out["tokens"]))["needs_review"]
    out["needs_triage"] = routed["needs_triage"].to_numpy() | review.to_numpy()
    return out


def _feature_rows(conn) -> pd.DataFrame:  # noqa: ANN001
    return pd.DataFrame(conn.execute(select(*[getattr(ComplaintFeature, c) for c in FEATURE_VALUES])
                                     .order_by(ComplaintFeature.ticket_id)).all(), columns=FEATURE_VALUES)


@pytest.mark.parametrize("workers", [1, 2])
def test_optimised_path_writes_the_plain_rows(demo_db_path, tmp_path, var_dir, monkeypatch, workers):
    """Several batches, with and without worker processes: the same rows as the plain computation."""
    monkeypatch.setenv("BIANJIAN_TEXT_WORKERS", str(workers))
    path = tmp_path / "plain.db"
    shutil.copy(demo_db_path, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            written = text_features(conn, batch_rows=1500)
        with engine.connect() as conn:
            got, want = _feature_rows(conn), _plain_features(conn, batch_rows=1500)
    finally:
        engine.dispose()
    assert written == len(got) == len(want) > 3 * 1500
    want = want[FEATURE_VALUES].astype(got.dtypes.to_dict())
    assert got["reply_quality"].notna().sum() > 1000 and got["business_mention"].notna().sum() > 100
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_quality_on_the_demo_warehouse(mined):
    """The numbers docs/text_pipeline.md reports, held to floors well below what they measure."""
    engine, _, _ = mined
    with engine.connect() as conn:
        q = quality_report(conn)
    assert q["test_orders"] > 100 and q["train_orders"] > q["test_orders"]
    assert q["category_accuracy"] > 0.9 and q["category_macro_f1"] > 0.8
    assert q["routing_agreement"] > 0.9
    assert q["linking_recall"] > 0.95 and q["linking_precision"] > 0.9
    assert q["unlicensed_recall"] >= 0.5
    assert 0 < q["triage_share"] < 0.2


def test_linking_finds_named_registered_businesses(mined):
    engine, _, _ = mined
    with engine.connect() as conn:
        named = conn.execute(select(HotlineTicket.subject_uscc, ComplaintFeature.linked_subject_uscc)
                             .join(ComplaintFeature, ComplaintFeature.ticket_id == HotlineTicket.ticket_id)
                             .where(HotlineTicket.subject_uscc.is_not(None))).all()
    assert len(named) > 50
    assert sum(gold == got for gold, got in named) / len(named) > 0.95


def test_analyst_and_text_queries_read_the_step_output(mined):
    engine, _, _ = mined
    scope = Scope(user="test-analyst", role="ANALYST")
    with Session(engine) as session:
        assert queries_complaints.text_mining_ran(session)
        issues = queries_complaints.hot_issues(session, scope)
        words = hotwords.selection_hot_words(queries_complaints.selection_tokens(session, scope))
        ranked = queries_text.top_hot_issues(session, scope, limit=5)
        week = queries_text.hot_words_for(session, limit=10)
    assert len(issues) > 0 and issues["n"].min() >= 2
    assert len(words) > 0
    assert len(ranked) > 0 and ranked["heat"].is_monotonic_decreasing
    # 投诉分析 and the wall name an issue alike: the issue's own title, not one of its orders' titles
    both = issues.merge(ranked, on="hot_issue_id", suffixes=("_page", "_wall"))
    assert len(both) > 0 and (both["title_page"] == both["title_wall"]).all()
    assert len(week) > 0 and set(week.columns) >= {"term", "doc_count", "burst_ratio", "is_emerging"}
    places = {name for names in gazetteer().values() for name in names}
    assert not set(week["term"]) & (places | {"来电", "部门"})  # no places, no 12345 boiler-plate


def test_hot_issues_keep_registered_subjects_apart(mined):
    """An issue titled after one business counts that business's orders: orders linked to different registered
    subjects are never clustered together (the fresh demo: 130 of 722 issues mixed subjects before, 3 of 653
    after — average linkage can still join two through an unlinked order)."""
    engine, _, _ = mined
    t, f = HotlineTicket, ComplaintFeature
    with engine.connect() as conn:
        rows = conn.execute(select(f.hot_issue_id, t.subject_uscc).join(t, t.ticket_id == f.ticket_id)
                            .where(f.hot_issue_id.is_not(None), t.subject_uscc.is_not(None))).all()
    subjects = pd.DataFrame(rows, columns=["issue", "uscc"]).groupby("issue")["uscc"].nunique()
    assert len(subjects) > 10 and (subjects > 1).mean() <= 0.02, subjects[subjects > 1]


BOILERPLATE = {"来电", "部门", "尽快", "处理", "解决", "市民", "号楼", "单元"}


def test_every_hot_word_list_is_topical(mined):
    """The pipeline's table and an analyst's selection go through one filter: no 12345 boiler-plate."""
    engine, _, _ = mined
    scope = Scope(user="test-analyst", role="ANALYST")
    with Session(engine) as session:
        stored = pd.DataFrame(session.execute(select(HotWord.term, HotWord.region_code, HotWord.category_code)).all(),
                              columns=["term", "region_code", "category_code"])
        everything = hotwords.selection_hot_words(queries_complaints.selection_tokens(session, scope))
        noise = hotwords.selection_hot_words(queries_complaints.selection_tokens(session, scope, text="噪音"))
        noise_orders = session.scalar(select(func.count()).where(HotlineTicket.title.like("%噪音%")
                                                                | HotlineTicket.content.like("%噪音%")))
    assert not set(stored["term"]) & BOILERPLATE
    assert not set(everything["word"]) & BOILERPLATE and not set(noise["word"]) & BOILERPLATE
    assert len(everything) > 0 and everything["n"].is_monotonic_decreasing
    # Under a filter the words are the subset's own: different from the whole selection's, and each counted
    # at most once per matching order.
    assert noise_orders > 0 and list(noise["word"][:5]) != list(everything["word"][:5])
    assert noise["n"].max() <= noise_orders
    # County rows (category NULL) exist beside the county × category cells and the city.
    counties = stored[stored["region_code"].notna() & stored["category_code"].isna()]
    assert counties["region_code"].nunique() > 1


def test_hot_words_around_falls_back_to_the_county_then_the_city(mined):
    engine, _, _ = mined
    with Session(engine) as session:
        cell = session.execute(select(HotWord.period_start, HotWord.region_code, HotWord.category_code)
                               .where(HotWord.category_code.is_not(None)).order_by(HotWord.period_start.desc())
                               .limit(1)).one()
        day = cell.period_start + dt.timedelta(days=3)  # hot_word_week(day) is that week
        words, region, category = queries_text.hot_words_around(
            session, day=day, region_code=cell.region_code, category_code=cell.category_code)
        assert (region, category) == (cell.region_code, cell.category_code) and len(words) > 0
        words, region, category = queries_text.hot_words_around(
            session, day=day, region_code=cell.region_code, category_code="NO-SUCH")
        assert (region, category) == (cell.region_code, None) and len(words) > 0
        words, region, category = queries_text.hot_words_around(session, day=day, region_code=None, category_code=None)
        assert (region, category) == (None, None) and len(words) > 0


def test_hot_word_week_shows_a_week_with_data():
    monday = dt.date(2026, 11, 30)
    assert queries_text.hot_word_week(dt.date(2026, 12, 6)) == monday  # Sunday: this week
    assert queries_text.hot_word_week(dt.date(2026, 12, 7)) == monday  # Monday: the full week before
    assert queries_text.hot_word_week(dt.date(2026, 12, 10)) == dt.date(2026, 12, 7)


def test_unlinked_mentions_hold_the_planted_unlicensed_operators(mined):
    engine, _, _ = mined
    with engine.connect() as conn:
        planted = conn.execute(select(PlantedEvent.name, PlantedEvent.start_day, PlantedEvent.end_day)
                               .where(PlantedEvent.kind == "unlicensed_operator")).all()
        mentions = queries_text.unlinked_business_mentions(conn, dt.date(2020, 1, 1), dt.date(2030, 1, 1))
        _, first, last = planted[0]
        window = queries_text.unlinked_business_mentions(conn, first, last)
    assert len(mentions) > 0 and mentions["mention"].notna().all()
    cores = [normalize_business_name(n) for n, _, _ in planted]
    assert sum(any(c in m for m in mentions["mention"]) for c in cores) >= len(cores) / 2
    assert window["day"].between(pd.Timestamp(first), pd.Timestamp(last)).all()


def test_cached_model_is_reused_until_stale(mined, monkeypatch):
    engine, _, _ = mined

    def must_not_train(cutoff, limit):  # noqa: ANN001
        raise AssertionError("a fresh cached model should have been reused")

    with engine.connect() as conn:
        _, card = warehouse_model.cached_or_trained(conn, must_not_train)
        assert card["trained"] is False and card["n_train"] > 0
        monkeypatch.setenv("BIANJIAN_TEXT_MODEL_MAX_AGE_DAYS", "-1")  # every cached model is now stale
        with pytest.raises(AssertionError, match="reused"):
            warehouse_model.cached_or_trained(conn, must_not_train)


def _text_table_diffs(engine) -> list:  # noqa: ANN001
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    flat = [d for item in diffs for d in (item if isinstance(item, list) else [item])]
    return [d for d in flat if any(getattr(getattr(p, "table", p), "name", None) in TEXT_TABLES
                                   or p in TEXT_TABLES for p in d[1:])]


def test_sqlite_migration_matches_models(tmp_path):
    engine = sqlite_engine(tmp_path / "m.db")
    migrate.upgrade(engine)
    assert TEXT_TABLES <= migrate.current_tables(engine)
    assert _text_table_diffs(engine) == []
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_derived_hot_issue_heat")
    assert _text_table_diffs(engine), "the comparison must be able to fail"
    engine.dispose()


@pytest.mark.postgres
def test_postgres_migration_and_steps(var_dir):
    with postgres_database() as url:
        engine = make_engine(url)
        try:
            warehouse.init(engine)
            assert _text_table_diffs(engine) == []
            load_demo(engine, scale=0.003, seed=3, end=dt.date(2026, 6, 30))
            results = run_steps(engine, [STEP_BY_NAME["text_features"], STEP_BY_NAME["hot_topics"]])
            assert [r.status for r in results] == ["ok", "ok"], [r.message for r in results]
            assert results[0].rows_written == _count(engine, HotlineTicket) == _count(engine, ComplaintFeature)
            assert _count(engine, HotWord) > 0 and _count(engine, HotIssue) > 0
            again = run_steps(engine, [STEP_BY_NAME["text_features"], STEP_BY_NAME["hot_topics"]])
            assert [r.rows_written for r in again] == [0, 0]
        finally:
            engine.dispose()


def test_one_issue_one_routing(mined):
    """Orders of one hot issue go to one department; orders moved to it are flagged for 人工分拨."""
    engine, _, _ = mined
    with engine.connect() as conn:
        rows = pd.DataFrame(conn.execute(select(ComplaintFeature.hot_issue_id, ComplaintFeature.routed_dept_code,
                                                ComplaintFeature.needs_triage)
                                         .where(ComplaintFeature.hot_issue_id.is_not(None))).all(),
                            columns=["issue", "dept", "triage"])
    assert len(rows) > 0
    assert (rows.groupby("issue")["dept"].nunique(dropna=False) == 1).all()
