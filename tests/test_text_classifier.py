"""ComplaintClassifier: estimator contract, behaviour, CSV helpers, routing, gov_messages floor."""

from __future__ import annotations

import doctest
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.utils.estimator_checks import parametrize_with_checks

import text_mining.classifier as classifier_module
from text_mining.classifier import ComplaintClassifier, classify_csv, messages_to_text, route, train_from_csv

# The estimator takes message texts. Three generic checks assume numeric feature matrices:
EXPECTED_FAILED_CHECKS = {
    "check_estimators_nan_inf": "a missing cell is an empty text field (titles/bodies are often missing), not an error",
    "check_fit1d": "1-D input is the documented input: a sequence of message strings",
    "check_fit2d_predict1d": "1-D input is the documented input: a sequence of message strings",
}


@parametrize_with_checks(
    [ComplaintClassifier(min_df=1, calibration_cv=2)],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_ensemble_members_average_their_probabilities():
    X, y = TRAIN[["title", "body"]], TRAIN["label"]
    clf = ComplaintClassifier(min_df=1, calibration_cv=2, members=("word", "char")).fit(X, y)
    union, voting = clf.pipeline_.named_steps["features"], clf.pipeline_.named_steps["clf"]
    features = union.transform(messages_to_text(X))
    probas = [member.predict_proba(features) for member in voting.estimators_]
    assert len(probas) == 2 and np.allclose(clf.predict_proba(list(messages_to_text(X))), np.mean(probas, axis=0))
    # With titles the title model is blended in, with weight title_weight.
    titles = clf.title_pipeline_.predict_proba(X["title"].fillna("").to_numpy(dtype=object))
    assert np.allclose(clf.predict_proba(X), 0.8 * np.mean(probas, axis=0) + 0.2 * titles)
    assert not np.allclose(titles, np.mean(probas, axis=0))  # a model of its own
    assert ComplaintClassifier(min_df=1, calibration_cv=2, title_weight=0).fit(X, y).title_pipeline_ is None
    n_word = len(union.transformer_list[0][1].vocabulary_)
    blocks = [member.named_steps["block"].transform(features).shape[1] for member in voting.estimators_]
    assert blocks == [n_word, features.shape[1] - n_word]  # each member sees its own block only
    with pytest.raises(ValueError, match="members"):
        ComplaintClassifier(members=("words",)).fit(X, y)


def test_docstring_example_runs():
    result = doctest.testmod(classifier_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


TRAIN = pd.DataFrame(
    {
        "title": [
            "饭店后厨卫生差",
            "超市卖过期食品",
            "餐馆食物中毒",
            "商场虚假宣传",
            "夜市饭店价格欺诈",
            "公司拖欠工资",
            "工地欠薪不给",
            "社保断缴",
            "养老保险转移",
            "劳动合同不签",
            "道路破损坑洼",
            "小区违章建筑",
            "路灯不亮",
            "下水道堵塞",
            "楼房墙体开裂",
        ],
        "body": [
            "马道街饭店后厨老鼠乱窜",
            "",
            "吃完饭上吐下泻",
            "保健品宣传能治病",
            "宰客",
            "三个月没发工资",
            "农民工工资拖欠",
            "单位不交社保",
            "跨省转移养老保险",
            "",
            "汴京路坑洼积水",
            "楼顶私搭乱建",
            "生产后街路灯坏了",
            "污水外溢",
            None,
        ],
        "label": ["商贸旅游"] * 5 + ["劳动和社会保障"] * 5 + ["城乡建设"] * 5,
    }
)


@pytest.fixture(scope="module")
def fitted():
    return ComplaintClassifier(min_df=1, calibration_cv=2).fit(TRAIN[["title", "body"]], TRAIN["label"])


def test_predict_and_confidence(fitted):
    new = pd.DataFrame(
        {"title": ["老板拖欠工资不发", "饭店食物中毒", "路灯坏了没人修"], "body": ["", None, ""]}
    )
    assert list(fitted.predict(new)) == ["劳动和社会保障", "商贸旅游", "城乡建设"]
    proba = fitted.predict_proba(new)
    assert proba.shape == (3, 3) and np.allclose(proba.sum(axis=1), 1)
    conf = fitted.predict_with_confidence(new)
    assert list(conf.columns) == ["label", "confidence"]
    assert ((conf["confidence"] > 1 / 3) & (conf["confidence"] <= 1)).all()
    assert set(fitted.classes_) == {"商贸旅游", "劳动和社会保障", "城乡建设"}


def test_accepts_list_of_strings_and_pickles(fitted):
    texts = ["公司拖欠农民工工资", "超市卖过期食品"]
    model = ComplaintClassifier(min_df=1, calibration_cv=2).fit(list(messages_to_text(TRAIN)), TRAIN["label"])
    assert list(model.predict(texts)) == ["劳动和社会保障", "商贸旅游"]
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_allclose(
        again.predict_proba(TRAIN[["title", "body"]]), fitted.predict_proba(TRAIN[["title", "body"]])
    )


def test_constructor_stores_params_only():
    est = ComplaintClassifier(C=0.3, min_df=5)
    assert est.get_params()["C"] == 0.3 and est.get_params()["min_df"] == 5
    assert not [k for k in vars(clone(est)) if k.endswith("_")]


def test_messages_to_text():
    df = pd.DataFrame({"title": ["标题", None], "body": [None, "正文"]})
    assert list(messages_to_text(df, title_repeat=2)) == ["标题。标题。", "。。正文"]
    assert list(messages_to_text(["a", None])) == ["a", ""]


def test_train_and_classify_csv(tmp_path):
    train_csv, model_path = tmp_path / "train.csv", tmp_path / "m" / "model.joblib"
    TRAIN.to_csv(train_csv, index=False)
    model = train_from_csv(train_csv, model_path, min_df=1, calibration_cv=2)
    assert model_path.is_file() and len(model.classes_) == 3
    new_csv, out_csv = tmp_path / "new.csv", tmp_path / "out.csv"
    pd.DataFrame({"id": ["a1", "a2"], "title": ["工资拖欠", "饭店卫生差"], "body": ["", ""]}).to_csv(
        new_csv, index=False
    )
    out = classify_csv(model_path, new_csv, out_csv)
    written = pd.read_csv(out_csv)
    assert list(written.columns) == ["id", "label", "confidence", "needs_review", "review_reason"]
    assert list(written["id"]) == ["a1", "a2"] and list(out["label"]) == ["劳动和社会保障", "商贸旅游"]


def test_csv_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"title": ["a"], "text": ["b"]}).to_csv(bad, index=False)
    with pytest.raises(ValueError, match="missing column.*label"):
        train_from_csv(bad, tmp_path / "m.joblib")
    with pytest.raises(FileNotFoundError, match="input file not found"):
        train_from_csv(tmp_path / "nope.csv", tmp_path / "m.joblib")
    with pytest.raises(FileNotFoundError, match="model file not found"):
        classify_csv(tmp_path / "nope.joblib", bad, tmp_path / "o.csv")
    one = tmp_path / "one.csv"
    pd.DataFrame({"title": ["a", "b"], "label": ["x", "x"]}).to_csv(one, index=False)
    with pytest.raises(ValueError, match="two distinct labels"):
        train_from_csv(one, tmp_path / "m.joblib")


MAPPING = pd.DataFrame(
    {"category": ["商贸旅游", "劳动和社会保障"], "department": ["市市场监管局", "市人社局"]}
)


@pytest.mark.parametrize(
    ("label", "confidence", "department", "triage"),
    [
        ("商贸旅游", 0.9, "市市场监管局", False),
        ("劳动和社会保障", 0.59, "市人社局", True),
        ("劳动和社会保障", 0.6, "市人社局", False),
        ("城乡建设", 0.99, "人工分拨", True),  # no mapping
    ],
)
def test_route(label, confidence, department, triage):
    out = route(
        pd.DataFrame({"id": [1], "label": [label], "confidence": [confidence]}), MAPPING, threshold=0.6
    )
    assert out.loc[0, "department"] == department
    assert out.loc[0, "needs_triage"] == triage
    assert out.loc[0, "confidence"] == confidence and out.loc[0, "id"] == 1


def test_route_validates():
    preds = pd.DataFrame({"label": ["a"], "confidence": [1.0]})
    with pytest.raises(ValueError, match="department"):
        route(preds, pd.DataFrame({"category": ["a"]}))
    with pytest.raises(ValueError, match="several departments"):
        route(preds, pd.DataFrame({"category": ["a", "a"], "department": ["x", "y"]}))
    with pytest.raises(ValueError, match="confidence"):
        route(pd.DataFrame({"label": ["a"]}), MAPPING)


@pytest.mark.shared_data
@pytest.mark.slow
def test_macro_f1_floor_on_gov_messages(shared_data):
    """Held-out macro-F1 on messages_labeled_train.csv, one split to stay within ~3 min on 2 cores.

    The split is fold 0 of StratifiedGroupKFold(5, shuffle=True, random_state=0) with duplicate
    messages (same ``text_tokens``) grouped, so no duplicate straddles train and test. Measured:
    0.922 on this fold; the 5-fold estimates are in docs/text_mining.md. Floor: 0.90.
    """
    df = pd.read_csv(shared_data / "gov_messages" / "messages_labeled_train.csv")
    groups = pd.factorize(df["text_tokens"])[0]
    train, test = next(StratifiedGroupKFold(5, shuffle=True, random_state=0).split(df, df["label"], groups))
    model = ComplaintClassifier().fit(df.iloc[train][["title", "body"]], df["label"].iloc[train])
    pred = model.predict(df.iloc[test][["title", "body"]])
    score = f1_score(df["label"].iloc[test], pred, average="macro")
    assert score >= 0.90, score
    conf = model.predict_with_confidence(df.iloc[test][["title", "body"]])["confidence"]
    correct = pred == df["label"].iloc[test].to_numpy()
    assert conf[correct].mean() > conf[~correct].mean()  # confidence is informative
    # Selective routing on the held-out fold: the gate's threshold is the lowest at which the 95 % lower bound of
    # the training part's cross-validated accuracy of routed messages reaches 0.98; measured 0.82, 71.0 % routed
    # at 0.991 on this fold (docs/text_mining.md § Fifth round). The gate must keep its promise of 0.98.
    review = model.predict_with_review(df.iloc[test][["title", "body"]])
    routed = ~review["needs_review"].to_numpy()
    assert routed.mean() >= 0.65 and correct[routed].mean() >= 0.98, (routed.mean(), correct[routed].mean())
    assert (review["review_reason"] == "unfamiliar").mean() <= 0.05
