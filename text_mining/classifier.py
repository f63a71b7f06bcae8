"""Complaint classifier: message title + body -> first-level category, with a confidence.

One scikit-learn estimator, :class:`ComplaintClassifier`: word TF-IDF (jieba tokens with the
regulatory user dictionary, uni+bigrams) and character TF-IDF (1-2-grams) on the same text
(:func:`text_features`), then a linear SVM on both blocks (``members=("union",)``), fitted on all training
messages and calibrated with Platt scaling (sigmoid) on ``calibration_cv``-fold cross-validated decision
values; for DataFrame input with titles, blended (``title_weight``) with a second calibrated SVM on the
title alone, which ranks the errors better for the review gate (docs/text_mining.md § Third round). The
confidence of a prediction is its largest class probability. ``members=("word", "char")``
averages the calibrated probabilities of one SVM per block instead; for selective routing it ranked the
errors no better (``bench/bench_text_routing.py``, docs/text_mining.md), so it is not the default. Alternatives measured on inner
folds (docs/text_mining.md) did not beat it: char 1-3-grams, a separate title block, balanced
class weights, logistic regression, SGD, complement naive Bayes, and score-averaging ensembles of
them; averaging the per-fold calibrated SVMs (``ensemble=True``) lost 0.5 macro-F1 points. Nor
did NB-SVM, other ``min_df``/title weights/n-gram ranges, block weights, chi2 selection, an RBF
SVM, a kNN vote, a title-only model for messages without a body, self-training on the unlabelled
messages, or per-class score offsets tuned for macro-F1. Nor did dense views appended, stacked or
blended (``bench/bench_text_classifier_dense.py``): the word vectors and synonym sets shipped in the
``cnsyn`` wheel, word2vec/fastText/LSA learnt on our own messages, and the label taxonomy.

Also here: :func:`train_from_csv` / :func:`classify_csv` (called by ``bianjian text``) and
:func:`route`, which maps a predicted category to a department and flags low-confidence cases
for manual triage.
"""

from __future__ import annotations

import copy
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import VotingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import LinearSVC
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from data_access import artifacts
from text_mining.review import GATE_FOLDS, ReviewGate
from text_mining.tokenizer import tokenize

__all__ = [
    "ComplaintClassifier",
    "classify_csv",
    "load_model",
    "messages_to_text",
    "route",
    "text_features",
    "train_from_csv",
]

TRAIN_COLUMNS = ("title", "body", "label")
MEMBERS = ("union", "word", "char")  # the feature blocks a member SVM of the ensemble can see
CLASSIFY_COLUMNS = ("id", "title", "body")
TITLE_C = 0.5  # the title model's SVM (bench/bench_text_routing_variants.py)


def messages_to_text(X, title_repeat: int = 2) -> np.ndarray:
    """One string per message.

    ``X`` is a DataFrame with ``title`` and ``body`` columns (either may be missing/empty), a 1-D
    sequence of strings, or any 2-D array (its cells are joined with spaces). The title is
    repeated ``title_repeat`` times because it is short and dense in signal.
    """
    if isinstance(X, pd.DataFrame) and {"title", "body"} & set(X.columns):
        title = X["title"].fillna("").astype(str) if "title" in X else pd.Series("", index=X.index)
        body = X["body"].fillna("").astype(str) if "body" in X else pd.Series("", index=X.index)
        sep = "。"
        text = (title + sep) * max(title_repeat, 1) + body if title_repeat else body
        return text.to_numpy(dtype=object)
    if sparse.issparse(X):
        raise TypeError("sparse input is not supported: ComplaintClassifier expects message texts")
    arr = np.asarray(X, dtype=object)
    if arr.ndim == 1:
        return np.array(["" if v is None or v != v else str(v) for v in arr], dtype=object)
    if arr.ndim == 2:
        if arr.shape[1] == 0:
            raise ValueError(f"0 feature(s) (shape={arr.shape}) while a minimum of 1 is required.")
        return np.array([" ".join(map(str, row)) for row in arr], dtype=object)
    raise ValueError(f"expected a DataFrame, 1-D or 2-D input, got an array with {arr.ndim} dimensions")


def text_features(
    word_ngram_range=(1, 2), char_ngram_range=(1, 2), min_df=2, *, use_words=True
) -> FeatureUnion:
    """Unfitted features of :class:`ComplaintClassifier`: word TF-IDF (:func:`tokenize`) + char TF-IDF.

    Both sublinear tf; ``use_words=False`` drops the word block (texts without any word token).
    Shared with ``bench/bench_text_classifier.py``, which tunes ``C`` on exactly these features.
    """
    words = TfidfVectorizer(
        tokenizer=tokenize,
        token_pattern=None,
        lowercase=False,
        ngram_range=tuple(word_ngram_range),
        min_df=min_df,
        sublinear_tf=True,
    )
    chars = TfidfVectorizer(
        analyzer="char", ngram_range=tuple(char_ngram_range), min_df=min_df, sublinear_tf=True
    )
    return FeatureUnion([("word", words if use_words else "drop"), ("char", chars)])


def _n_columns(X) -> int | None:
    """Number of columns of 2-D input, None for a 1-D sequence of texts."""
    if isinstance(X, pd.DataFrame):
        return X.shape[1]
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) == 2:
        return shape[1]
    if isinstance(X, list | tuple) and X and isinstance(X[0], list | tuple | np.ndarray):
        return len(X[0])
    return None


def _has_text(X) -> np.ndarray:
    """Which messages have any text besides the separator :func:`messages_to_text` puts after the title (the
    character features see it even in an empty message, so the feature rows cannot tell)."""
    return np.array([bool(t.replace("。", "").strip()) for t in messages_to_text(X, title_repeat=1)], dtype=bool)


def _titles(X) -> np.ndarray | None:
    """The titles of a DataFrame with a ``title`` column (missing = empty); None for other input."""
    if isinstance(X, pd.DataFrame) and "title" in X.columns:
        return X["title"].fillna("").astype(str).to_numpy(dtype=object)
    return None


def _title_features(min_df: int) -> FeatureUnion:
    """Features of the title model: word 1-2-grams (every one) and character 1-3-grams of the title alone."""
    words = TfidfVectorizer(tokenizer=tokenize, token_pattern=None, lowercase=False, ngram_range=(1, 2), min_df=1,
                            sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=min_df, sublinear_tf=True)
    return FeatureUnion([("word", words), ("char", chars)])


def _held_out_calibrated(calibrated: CalibratedClassifierCV, block, encoded, cv, C: float, random_state: int):  # noqa: ANN001, ANN201
    """Cross-validated decision values of a LinearSVC on ``block`` mapped through ``calibrated``'s calibrators."""
    scores = cross_val_predict(LinearSVC(C=C, random_state=random_state), block, encoded, cv=cv,
                               method="decision_function")
    fitted = calibrated.calibrated_classifiers_[0]
    mapped = copy.copy(fitted)
    mapped.estimator = _GivenScores()
    mapped.estimator.classes_ = fitted.estimator.classes_
    return mapped.predict_proba(scores)


class _GivenScores(ClassifierMixin, BaseEstimator):
    """Stands in for the fitted SVM inside a calibrated classifier: its "decision values" are the input,
    so held-out decision values go through the very calibrators the model uses."""

    def decision_function(self, scores: np.ndarray) -> np.ndarray:
        return scores


def _columns(X, start: int, stop: int | None):  # noqa: ANN001, ANN202
    """Columns ``start:stop`` of a feature matrix: one block of the word + character features."""
    return X[:, start:stop]


class ComplaintClassifier(ClassifierMixin, BaseEstimator):
    """Classify complaint messages (title + body) into categories.

    Parameters
    ----------
    word_ngram_range : tuple of int, default=(1, 2)
        n-gram range over jieba tokens.
    char_ngram_range : tuple of int, default=(1, 2)
        n-gram range over characters.
    min_df : int, default=2
        Minimum document frequency for both vectorizers.
    title_repeat : int, default=2
        How many times the title is repeated in front of the body.
    C : float, default=1.0
        Inverse regularisation of the linear SVM.
    calibration_cv : int, default=3
        Folds of :class:`~sklearn.calibration.CalibratedClassifierCV` (sigmoid, ``ensemble=False``)
        around the SVM; reduced to the smallest class count when a class is rarer than that.
    members : tuple of str, default=("union",)
        One calibrated SVM per member, on the word block (``"word"``), the character block (``"char"``) or
        both (``"union"``); probabilities are their mean.
    review_accuracy : float, default=0.98
        Declared accuracy of the messages routed without review: the review gate's confidence
        threshold is the lowest at which the cross-validated training messages reach it.
    title_weight : float, default=0.2
        Weight of a second calibrated SVM on the title alone (word 1-2-grams, character 1-3-grams) in the
        probabilities, when ``X`` is a DataFrame with a ``title`` column (0 = no title model). It ranks the
        errors better for the review gate (docs/text_mining.md § Third round).
    random_state : int, default=0
        Seed for the linear models.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Category labels.
    pipeline_ : sklearn.pipeline.Pipeline
        The fitted features + calibrated SVM pipeline.
    title_pipeline_ : sklearn.pipeline.Pipeline or None
        The title model (title features + calibrated SVM), None without one.
    review_gate_ : text_mining.review.ReviewGate
        Which messages need a person (low confidence, or unlike the training messages), with the
        held-out coverage / accuracy curve in ``review_gate_.curve_``.

    See Also
    --------
    route : map predicted categories to departments with a triage flag.

    Notes
    -----
    Stratified 5-fold cross-validation on ``gov_messages/messages_labeled_train.csv`` (6,439
    messages, 7 classes) gives the macro-F1 reported in ``docs/text_mining.md``.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"title": ["饭店卫生差", "拖欠工资", "饭店食物中毒", "工地欠薪"] * 3,
    ...                   "body": ["", "", "", ""] * 3})
    >>> y = ["商贸旅游", "劳动和社会保障", "商贸旅游", "劳动和社会保障"] * 3
    >>> clf = ComplaintClassifier(min_df=1, calibration_cv=2).fit(X, y)
    >>> print(clf.predict(pd.DataFrame({"title": ["老板拖欠工资"], "body": [""]}))[0])
    劳动和社会保障
    """

    def __init__(
        self,
        *,
        word_ngram_range=(1, 2),
        char_ngram_range=(1, 2),
        min_df=2,
        title_repeat=2,
        C=1.0,
        calibration_cv=3,
        members=("union",),
        review_accuracy=0.98,
        title_weight=0.2,
        random_state=0,
    ):
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.min_df = min_df
        self.title_repeat = title_repeat
        self.C = C
        self.calibration_cv = calibration_cv
        self.members = members
        self.review_accuracy = review_accuracy
        self.title_weight = title_weight
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags

    def _classifier(self, n_word: int, calibration_cv: int):  # noqa: ANN202
        """The model on the fitted features (word block = the first ``n_word`` columns): the mean probability of
        one calibrated SVM per member of ``members``."""
        if calibration_cv < 2:
            # A class with a single message cannot be calibrated by cross-validation; logistic
            # regression gives probabilities directly.
            return LogisticRegression(C=self.C * 10, max_iter=1000, random_state=self.random_state)
        blocks = {"union": (0, None), "word": (0, n_word), "char": (n_word, None)}
        members = [m for m in self.members if m != "word" or n_word] or ["union"]  # no word block: no word model
        return VotingClassifier([
            (m, Pipeline([("block", FunctionTransformer(_columns, kw_args={"start": blocks[m][0], "stop": blocks[m][1]},
                                                        accept_sparse=True)),
                          ("svm", CalibratedClassifierCV(LinearSVC(C=self.C, random_state=self.random_state),
                                                         method="sigmoid", cv=calibration_cv, ensemble=False))]))
            for m in members], voting="soft")

    def fit(self, X, y):
        """Fit on messages ``X`` (see :func:`messages_to_text`) and labels ``y``."""
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        texts = messages_to_text(X, self.title_repeat)
        y = column_or_1d(y, warn=True)
        if len(y) != len(texts):
            raise ValueError(f"y must be 1-D with {len(texts)} labels, got shape {y.shape}")
        if len(texts) < 2:
            raise ValueError(f"n_samples={len(texts)}: need at least 2 messages to fit")
        check_classification_targets(y)
        if len(np.unique(y)) < 2:
            raise ValueError("need messages of at least 2 classes to fit; got 1 class")
        # Inputs with no word token at all (codes, numbers only) still train on characters.
        use_words = any(tokenize(t) for t in texts)
        # Cross-validated calibration needs >= 2 messages per class and fold; with rarer
        # classes fewer folds are used, and with a singleton class logistic regression instead.
        min_count = int(np.unique(y, return_counts=True)[1].min())
        folds = min(self.calibration_cv, min_count)
        unknown = set(self.members) - set(MEMBERS)
        if unknown or not self.members:
            raise ValueError(f"members must be a non-empty subset of {MEMBERS}; got {self.members!r}")
        union = text_features(self.word_ngram_range, self.char_ngram_range, self.min_df, use_words=use_words)
        features = union.fit_transform(texts)  # segmented once, reused below
        n_word = len(union.transformer_list[0][1].vocabulary_) if use_words else 0
        pipeline = Pipeline([("features", union), ("clf", self._classifier(n_word, folds).fit(features, y))])
        self.pipeline_ = pipeline
        title_block = self._fit_title_model(_titles(X), y, folds)
        held_out = self._held_out_proba(features, y, min(GATE_FOLDS, min_count) if folds >= 2 else folds, title_block)
        self.review_gate_ = ReviewGate(
            target_accuracy=self.review_accuracy, space="tfidf", random_state=self.random_state
        ).fit(features, held_out, y, pipeline.classes_, _has_text(X))
        n = _n_columns(X)
        if n is not None:
            self.n_features_in_ = n
        elif hasattr(self, "n_features_in_"):
            del self.n_features_in_
        self.classes_ = self.pipeline_.classes_
        return self

    def _fit_title_model(self, titles, y, folds: int):  # noqa: ANN001, ANN202
        """Fit ``title_pipeline_`` (a calibrated SVM on the titles alone) when ``title_weight`` > 0 and the input has
        titles; returns its training feature rows, or None (and ``title_pipeline_`` None) without a title model."""
        self.title_pipeline_ = None
        if not self.title_weight or folds < 2 or titles is None or not any(t.strip() for t in titles):
            return None
        view = _title_features(self.min_df)
        try:
            block = view.fit_transform(titles)
        except ValueError:  # no title n-gram in the vocabulary (too few, too rare titles): no title model
            return None
        svm = CalibratedClassifierCV(LinearSVC(C=TITLE_C, random_state=self.random_state), method="sigmoid",
                                     cv=folds, ensemble=False).fit(block, y)
        self.title_pipeline_ = Pipeline([("features", view), ("svm", svm)])
        return block

    def _with_title(self, proba: np.ndarray, X) -> np.ndarray:  # noqa: ANN001
        """``proba`` blended with the title model's probabilities (weight ``title_weight``) when there is a title
        model and ``X`` has titles."""
        model, titles = getattr(self, "title_pipeline_", None), _titles(X)
        if model is None or titles is None:
            return proba
        return (1 - self.title_weight) * proba + self.title_weight * model.predict_proba(titles)

    def _held_out_proba(self, features, y, folds: int, title_block=None) -> np.ndarray:  # noqa: ANN001
        """Cross-validated class probabilities of the training messages, for the review gate: the SVMs'
        decision values on ``folds`` (:data:`GATE_FOLDS`) shuffled stratified folds mapped through the fitted
        calibrators, the title model's blended in as in :meth:`predict_proba`. With a singleton class (no
        folds) the in-sample probabilities."""
        clf = self.pipeline_.named_steps["clf"]
        if folds < 2:
            return clf.predict_proba(features)
        # Shuffled folds: the unshuffled ones cut a file sorted by label and time into blocks, and their
        # held-out accuracy (0.885 on gov_messages) understated the final model's (0.925), which set the
        # threshold at 0.90 and routed 63 % instead of 77 % at the same accuracy.
        cv = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
        encoded = clf.le_.transform(y)
        proba = np.mean([_held_out_calibrated(member.named_steps["svm"], member.named_steps["block"].transform(features),
                                              encoded, cv, self.C, self.random_state) for member in clf.estimators_],
                        axis=0)
        if self.title_pipeline_ is None or title_block is None:
            return proba
        title = _held_out_calibrated(self.title_pipeline_.named_steps["svm"], title_block, encoded, cv, TITLE_C,
                                     self.random_state)
        return (1 - self.title_weight) * proba + self.title_weight * title

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``."""
        check_is_fitted(self)
        self._check_n_features(X)
        return self._with_title(self.pipeline_.predict_proba(messages_to_text(X, self.title_repeat)), X)

    def _check_n_features(self, X) -> None:
        """Tabular input (one column per text field) must keep the columns seen in fit."""
        n = _n_columns(X)
        expected = getattr(self, "n_features_in_", None)
        if n is not None and expected is not None and n != expected:
            raise ValueError(
                f"X has {n} features, but {type(self).__name__} is expecting {expected} features as input"
            )

    def predict(self, X) -> np.ndarray:
        """Most probable category per message."""
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def predict_with_confidence(self, X) -> pd.DataFrame:
        """DataFrame with columns ``label`` and ``confidence`` (max class probability)."""
        proba = self.predict_proba(X)
        idx = np.argmax(proba, axis=1)
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(
            {"label": self.classes_[idx], "confidence": proba[np.arange(len(idx)), idx]}, index=index
        )

    def predict_with_review(self, X) -> pd.DataFrame:
        """``label``, ``confidence``, ``similarity`` (to the training messages), ``novelty``, ``needs_review``
        and ``review_reason``: the review gate's decision (:mod:`text_mining.review`)."""
        check_is_fitted(self)
        self._check_n_features(X)
        features = self.pipeline_.named_steps["features"].transform(messages_to_text(X, self.title_repeat))
        proba = self._with_title(self.pipeline_.named_steps["clf"].predict_proba(features), X)
        out = self.review_gate_.decide(proba, features, _has_text(X))
        out.insert(0, "label", self.classes_[np.argmax(proba, axis=1)])
        if isinstance(X, pd.DataFrame):
            out.index = X.index
        return out


def _read_csv_with(
    path: str | Path, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"input file not found: {path}")
    df = pd.read_csv(path, dtype={c: str for c in required + optional if c != "label"} | {"label": str})
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(
            f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(map(str, df.columns))}"
        )
    for col in optional:
        if col not in df.columns:
            df[col] = ""
    return df


def train_from_csv(input_csv: str | Path, model_path: str | Path, **params) -> ComplaintClassifier:
    """Train a :class:`ComplaintClassifier` on a CSV and save it with joblib.

    ``input_csv`` needs columns ``title``, ``label`` and optionally ``body`` (may be empty);
    rows without a label are dropped. ``params`` go to the estimator. Returns the fitted model.
    """
    df = _read_csv_with(input_csv, ("title", "label"), ("body",))
    df = df[df["label"].notna() & (df["label"].str.strip() != "")]
    if df["label"].nunique() < 2:
        raise ValueError(
            f"{input_csv}: need at least two distinct labels to train, found {df['label'].nunique()}"
        )
    model = ComplaintClassifier(**params).fit(df[["title", "body"]], df["label"].str.strip())
    artifacts.dump(model, model_path)
    return model


def load_model(model_path: str | Path) -> ComplaintClassifier:
    """Load a model saved by :func:`train_from_csv`."""
    model_path = Path(model_path)
    if not model_path.is_file():
        raise FileNotFoundError(f"model file not found: {model_path}")
    model = joblib.load(model_path)
    if not isinstance(model, ComplaintClassifier):
        raise ValueError(f"{model_path} does not hold a ComplaintClassifier (got {type(model).__name__})")
    if not hasattr(getattr(model, "review_gate_", None), "novelty_cutoff_"):
        raise ValueError(f"{model_path} was trained before models had a review gate; retrain it with `bianjian text train`")
    return model


def classify_csv(model_path: str | Path, input_csv: str | Path, output_csv: str | Path) -> pd.DataFrame:
    """Classify messages of ``input_csv`` (columns ``id``, ``title``, ``body``; body may be empty).

    Writes and returns ``output_csv`` with columns ``id``, ``label``, ``confidence`` (0-1),
    ``needs_review`` (bool: a person routes it — the review gate's decision, :mod:`text_mining.review`)
    and ``review_reason`` (``low_confidence``, ``unfamiliar`` — outside the known categories — or empty).
    """
    model = load_model(model_path)
    df = _read_csv_with(input_csv, ("id", "title"), ("body",))
    pred = model.predict_with_review(df[["title", "body"]])
    out = pd.DataFrame({"id": df["id"], "label": pred["label"], "confidence": pred["confidence"].round(4),
                        "needs_review": pred["needs_review"], "review_reason": pred["review_reason"]})
    Path(output_csv).parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(output_csv, index=False)
    return out


def route(
    predictions: pd.DataFrame,
    mapping: pd.DataFrame,
    *,
    threshold: float = 0.6,
    category_col: str = "label",
    confidence_col: str = "confidence",
    default_department: str = "人工分拨",
) -> pd.DataFrame:
    """Route classified complaints to departments.

    Parameters
    ----------
    predictions : DataFrame
        One row per complaint with ``category_col`` (predicted category) and ``confidence_col``.
        Other columns (e.g. ``id``) are kept.
    mapping : DataFrame
        Columns ``category`` and ``department`` (one department per category).
    threshold : float
        Complaints whose confidence is below it, or whose category has no mapping, get
        ``needs_triage = True``.
    default_department : str
        Department given to unmapped categories.

    Returns
    -------
    DataFrame
        ``predictions`` plus ``department`` (str), ``confidence`` (float) and ``needs_triage`` (bool).
    """
    for col in ("category", "department"):
        if col not in mapping.columns:
            raise ValueError(f"mapping needs columns 'category' and 'department'; missing {col!r}")
    for col in (category_col, confidence_col):
        if col not in predictions.columns:
            raise ValueError(f"predictions need column {col!r}")
    if mapping["category"].duplicated().any():
        dups = sorted(mapping.loc[mapping["category"].duplicated(), "category"].astype(str).unique())
        raise ValueError(f"mapping has several departments for: {', '.join(dups)}")
    lookup = dict(zip(mapping["category"], mapping["department"], strict=True))
    out = predictions.copy()
    dept = out[category_col].map(lookup)
    conf = out[confidence_col].astype(float)
    out["department"] = dept.fillna(default_department)
    out["confidence"] = conf
    out["needs_triage"] = dept.isna() | (conf < threshold)
    return out
