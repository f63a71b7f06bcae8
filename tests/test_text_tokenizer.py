"""Tokenizer: user dictionary, stop words, backend agreement, pickling."""

from __future__ import annotations

import pickle
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from text_mining.tokenizer import (
    available_backends,
    cut,
    filter_tokens,
    gazetteer,
    stopwords,
    tokenize,
    user_words,
)

BACKENDS = available_backends()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("鼓楼区马道街一家饭店发生食物中毒", ["鼓楼区", "马道街", "食物中毒"]),
        ("市场监管局查处无证经营和占道经营", ["市场监管局", "无证经营", "占道经营"]),
        ("顺河回族区康平家园小区燃气泄漏", ["顺河回族区", "康平家园", "燃气泄漏"]),
        ("公司拖欠工资，申请劳动仲裁", ["拖欠工资", "劳动仲裁"]),
    ],
)
def test_user_dictionary_terms_stay_whole(backend, text, expected):
    tokens = cut(text, backend)
    for word in expected:
        assert word in tokens


@pytest.mark.parametrize("backend", BACKENDS)
def test_tokenize_drops_stop_words_punctuation_and_numbers(backend):
    tokens = tokenize("我们的小区在2019年12月停水了！请问 www.Example.com 怎么办？", backend)
    assert "的" not in tokens and "我们" not in tokens and "！" not in tokens
    assert "2019" not in tokens and "12" not in tokens
    assert "停水" in tokens
    assert "example" in tokens  # Latin letters lower-cased, URL split into letter runs


@pytest.mark.parametrize("value", [None, "", float("nan"), 3])
def test_tokenize_non_text_is_empty(value):
    assert tokenize(value) == []
    assert cut(value) == []


def test_resources_load():
    assert "的" in stopwords()
    words = dict(user_words())
    assert words["食品安全"] == "sp" and words["马道街"] == "ns"
    assert gazetteer()["district"]["顺河区"] == "顺河回族区"
    assert {"district", "town", "road", "community", "landmark"} <= set(gazetteer())


def test_unknown_backend_raises():
    with pytest.raises(ValueError, match="unknown tokenizer backend"):
        cut("测试", backend="nope")


def test_tokenize_pickles_inside_vectorizer():
    vec = TfidfVectorizer(tokenizer=tokenize, token_pattern=None, lowercase=False)
    vec.fit(["开封市鼓楼区饭店食物中毒", "城管 占道经营"])
    again = pickle.loads(pickle.dumps(vec))
    assert list(again.get_feature_names_out()) == list(vec.get_feature_names_out())
    assert pickle.loads(pickle.dumps(tokenize)) is tokenize


@pytest.mark.skipif(len(BACKENDS) < 2, reason="needs both rjieba and jieba")
@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    st.text(
        alphabet="开封市鼓楼区马道街饭店食物中毒城管占道经营小区物业停水投诉的了在是，。！ab12.", max_size=60
    )
)
def test_backends_agree_after_filtering(text):
    assert tokenize(text, "rjieba") == tokenize(text, "jieba")


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.text(max_size=80))
def test_tokenize_properties(text):
    tokens = tokenize(text)
    assert all(tok and tok not in stopwords() for tok in tokens)
    assert all(not tok.isdigit() for tok in tokens)
    assert all(not tok.isspace() for tok in tokens)


def test_auto_backend_is_fastest_available():
    assert BACKENDS[-1] == "jieba"
    text = "开封市鼓楼区马道街饭店油烟扰民"
    assert cut(text, "auto") == cut(text, BACKENDS[0])


def _documented_filter(tokens):
    """The rule of docs/text_mining.md, token by token: the oracle for the C-level fast path."""
    out = []
    for tok in tokens:
        if re.search(r"[\u4e00-\u9fff]", tok):
            out += [] if tok in stopwords() else [tok]
        else:
            out += [p.lower() for p in re.findall(r"[A-Za-z]+|[0-9]+", tok) if not p.isdigit()]
    return out


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    st.text(
        alphabet="开封市鼓楼区饭店B超卡拉OK停水的了是我们，。！、（）A3区Ab.cD-x_12 3％ＡΩ①\n",
        max_size=50,
    )
)
def test_tokenize_follows_the_documented_filter(backend, text):
    tokens = cut(text, backend)
    assert tokenize(text, backend) == _documented_filter(tokens) == filter_tokens(tokens)


def test_tokens_seen_again_are_filtered_the_same():
    text = "A3区ABC饭店B超www.Example.com卡拉OK，2019年"
    first = tokenize(text)
    assert tokenize(text) == first == _documented_filter(cut(text))
    assert "B超" in first and "abc" in first and "example" in first


def _real_texts(n: int = 4000) -> list[str]:
    """Real complaint and reply texts from gov_messages when the shared data is there, else the demo's."""
    import random

    import pandas as pd

    from tests.conftest import SHARED_DATA

    folder = SHARED_DATA / "gov_messages"
    if folder.is_dir():
        train = pd.read_csv(folder / "messages_labeled_train.csv", nrows=n)
        replies = pd.read_csv(folder / "messages_replies.csv", nrows=n // 4)
        texts = (train["title"].fillna("") + "。" + train["body"].fillna("")).tolist()
        return texts + replies.select_dtypes(object).stack().astype(str).tolist()
    from demo import complaint_text as ct

    rnd = random.Random(3)
    return [" ".join(ct.compose_hotline(rnd, rnd.choice(ct.TOPICS), "410204")) for _ in range(n)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_fast_path_equals_the_documented_filter_on_real_texts(backend):
    """The C-level fast path cannot drift from the rule: cold (empty memos) and warm, on real messages."""
    from text_mining import tokenizer

    texts = _real_texts(1500 if backend == "rjieba" else 150)  # the reference jieba is 20x slower
    expected = [_documented_filter(cut(t, backend)) for t in texts]
    tokenizer._PIECES.clear()
    tokenizer._replacements.cache_clear()
    assert [tokenize(t, backend) for t in texts] == expected
    assert [tokenize(t, backend) for t in texts] == expected
    assert sum(map(len, expected)) > 30 * len(texts)
