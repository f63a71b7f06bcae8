"""Calibrated supervised enterprise risk score, with an IsolationForest anomaly score beside it.

``EntityRiskModel`` takes any table of numeric and categorical columns (missing values
allowed), learns P(adverse outcome) with calibrated classifiers and, as a secondary,
unsupervised signal, an IsolationForest anomaly score on the same preprocessed features
(ADBench / PyOD: a robust default; show it only next to the supervised score).
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import LabelEncoder, OneHotEncoder, StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d, validate_data

from data_access import artifacts

__all__ = ["EntityRiskModel", "fit_csv", "score_csv", "load_model"]


class EntityRiskModel(ClassifierMixin, BaseEstimator):
    """Calibrated risk classifier for enterprises (or any entity) from a mixed-type table.

    Parameters
    ----------
    estimator : {"hgb", "logistic", "ensemble"}, default="hgb"
        ``"logistic"``: standardised L2 logistic regression; ``"hgb"``:
        HistGradientBoostingClassifier; ``"ensemble"``: the mean of both calibrated
        probabilities.
    C : float, default=0.1
        Inverse L2 strength of the logistic regression.
    learning_rate, max_iter, max_leaf_nodes, min_samples_leaf, l2_regularization
        HistGradientBoosting hyper-parameters (defaults: 0.03, 300, 8, 50, 1.0): shallow, slow
        trees that do not overfit a few thousand positives.
    calibration : {"sigmoid", "isotonic"}, default="sigmoid"
        Method of ``CalibratedClassifierCV``.
    cv : int, default=3
        Folds of the calibration cross-fit.
    anomaly_estimators : int, default=100
        Trees of the IsolationForest behind :meth:`anomaly_score`.
    max_categories : int, default=50
        One-hot levels kept per categorical column (rarer levels are grouped).
    random_state : int, default=0
    n_jobs : int, default=1
        Used by the calibration cross-fit (keep <= 2 on the shared machine).

    Attributes
    ----------
    classes_ : ndarray
    numeric_columns_, categorical_columns_ : list of str
    calibrated_ : list of CalibratedClassifierCV
    n_iter_ : int
        Iterations of the (first) underlying classifier.
    anomaly_ : Pipeline (preprocessor + IsolationForest)
    n_features_in_, feature_names_in_

    See Also
    --------
    fit_csv, score_csv : file-level wrappers used by ``bianjian risk fit/score``.

    Notes
    -----
    Numeric columns: median imputation with missing-indicator columns, then standardisation.
    Categorical (object, category, bool, string) columns: constant imputation
    (``"__missing__"``) and one-hot encoding that ignores unseen levels.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"past": rng.integers(0, 3, 400), "kind": rng.choice(["a", "b"], 400)})
    >>> y = (rng.random(400) < 0.1 + 0.2 * X["past"]).astype(int)
    >>> model = EntityRiskModel(estimator="logistic").fit(X, y)
    >>> model.predict_proba(X).shape
    (400, 2)
    """

    _parameter_constraints: dict = {
        "estimator": [StrOptions({"ensemble", "logistic", "hgb"})],
        "C": [Interval(Real, 0, None, closed="neither")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "max_leaf_nodes": [Interval(Integral, 2, None, closed="left")],
        "min_samples_leaf": [Interval(Integral, 1, None, closed="left")],
        "l2_regularization": [Interval(Real, 0, None, closed="left")],
        "calibration": [StrOptions({"sigmoid", "isotonic"})],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "anomaly_estimators": [Interval(Integral, 1, None, closed="left")],
        "max_categories": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        estimator="hgb",
        C=0.1,
        learning_rate=0.03,
        max_iter=300,
        max_leaf_nodes=8,
        min_samples_leaf=50,
        l2_regularization=1.0,
        calibration="sigmoid",
        cv=3,
        anomaly_estimators=100,
        max_categories=50,
        random_state=0,
        n_jobs=1,
    ):
        self.estimator = estimator
        self.C = C
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.calibration = calibration
        self.cv = cv
        self.anomaly_estimators = anomaly_estimators
        self.max_categories = max_categories
        self.random_state = random_state
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True  # string columns are categorical features
        return tags

    # ------------------------------------------------------------------ helpers
    def _frame(self, X, reset):
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=reset, skip_check_array=True)
            return X
        arr = check_array(X, dtype=None, ensure_all_finite="allow-nan")
        validate_data(self, arr, reset=reset, skip_check_array=True)
        return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])

    def _preprocessor(self, X: pd.DataFrame) -> ColumnTransformer:
        cat = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c])]
        num = [c for c in X.columns if c not in cat]
        self.numeric_columns_, self.categorical_columns_ = num, cat
        parts = []
        if num:
            parts.append(("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True,
                                                             keep_empty_features=True), StandardScaler()), num))
        if cat:
            parts.append(("cat", make_pipeline(
                SimpleImputer(strategy="constant", fill_value="__missing__", keep_empty_features=True),
                OneHotEncoder(handle_unknown="ignore", max_categories=self.max_categories, sparse_output=False),
            ), cat))
        return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)

    @staticmethod
    def _as_str(X: pd.DataFrame, cat) -> pd.DataFrame:
        if not cat:
            return X
        X = X.copy()
        for c in cat:
            X[c] = X[c].astype(object).where(X[c].notna(), np.nan).map(lambda v: v if v is np.nan else str(v))
        return X

    # ------------------------------------------------------------------ API
    def fit(self, X, y):
        """Fit the calibrated classifier(s) and the IsolationForest; returns ``self``."""
        self._validate_params()
        X = self._frame(X, reset=True)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
        self._le = LabelEncoder().fit(y)
        self.classes_ = self._le.classes_
        if len(self.classes_) < 2:
            raise ValueError(f"y contains only one class ({self.classes_[0]!r}); EntityRiskModel needs two or more")
        yy = self._le.transform(y)
        pre = self._preprocessor(X)
        X = self._as_str(X, self.categorical_columns_)
        models = []
        if self.estimator in ("ensemble", "logistic"):
            models.append(LogisticRegression(C=self.C, max_iter=2000))
        if self.estimator in ("ensemble", "hgb"):
            models.append(HistGradientBoostingClassifier(
                learning_rate=self.learning_rate, max_iter=self.max_iter, max_leaf_nodes=self.max_leaf_nodes,
                min_samples_leaf=self.min_samples_leaf, l2_regularization=self.l2_regularization,
                random_state=self.random_state,
            ))
        cv = min(self.cv, int(np.bincount(yy).min())) if np.bincount(yy).min() >= 2 else None
        self.calibrated_ = []
        for m in models:
            pipe = Pipeline([("pre", clone(pre)), ("clf", m)])
            if cv is None:
                self.calibrated_.append(pipe.fit(X, yy))
            else:
                self.calibrated_.append(
                    CalibratedClassifierCV(pipe, method=self.calibration, cv=cv, n_jobs=self.n_jobs).fit(X, yy)
                )
        self.n_iter_ = int(max(np.max(getattr(_final(m), "n_iter_", 0)) for m in self.calibrated_))
        self.anomaly_ = Pipeline([
            ("pre", clone(pre)),
            ("iforest", IsolationForest(n_estimators=self.anomaly_estimators, random_state=self.random_state)),
        ]).fit(X)
        return self

    def _prep(self, X):
        check_is_fitted(self)
        X = self._frame(X, reset=False)
        return self._as_str(X, self.categorical_columns_)

    def predict_proba(self, X):
        """Calibrated class probabilities, columns ordered as ``classes_``."""
        X = self._prep(X)
        return np.mean([m.predict_proba(X) for m in self.calibrated_], axis=0)

    def predict(self, X):
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def risk_score(self, X):
        """P(positive class), the last entry of ``classes_`` (e.g. 1 = violation found)."""
        return self.predict_proba(X)[:, -1]

    def anomaly_score(self, X):
        """IsolationForest anomaly score in (0, 1]; higher is more unusual (0.5 ~ ordinary)."""
        X = self._prep(X)
        return -self.anomaly_.score_samples(X)


def _final(model):
    """The first fitted classifier inside a (calibrated) pipeline, for ``n_iter_``."""
    if isinstance(model, CalibratedClassifierCV):
        model = model.calibrated_classifiers_[0].estimator
    return model.named_steps["clf"] if isinstance(model, Pipeline) else model


# ---------------------------------------------------------------------- file-level API
def fit_csv(input_csv, label_column: str, id_column: str, model_path, *, model: EntityRiskModel | None = None):
    """Fit on a CSV (every column except label and id is a feature) and save with joblib (atomically)."""

    df = pd.read_csv(input_csv)
    for col, what in ((label_column, "label"), (id_column, "id")):
        if col not in df.columns:
            raise ValueError(f"{what} column {col!r} not in input CSV (columns: {', '.join(df.columns)})")
    if label_column == id_column:
        raise ValueError("label and id columns must differ")
    y = df[label_column]
    if y.isna().any():
        raise ValueError(f"label column {label_column!r} has missing values")
    features = [c for c in df.columns if c not in (label_column, id_column)]
    if not features:
        raise ValueError("no feature columns left besides label and id")
    est = (model or EntityRiskModel()).fit(df[features], y)
    bundle = {"model": est, "features": features, "id_column": id_column, "label_column": label_column,
              "format": "bianjian.entity_risk/1"}
    artifacts.dump(bundle, model_path)
    return est


def load_model(model_path) -> dict:
    import joblib

    try:
        bundle = joblib.load(model_path)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means "not our model file"
        raise ValueError(f"{model_path} is not a readable entity-risk model file ({exc.__class__.__name__})") from exc
    if not isinstance(bundle, dict) or bundle.get("format") != "bianjian.entity_risk/1":
        raise ValueError(f"{model_path} is not an entity-risk model file")
    return bundle


def score_csv(model_path, input_csv, output_csv, *, with_anomaly: bool = False) -> pd.DataFrame:
    """Score a CSV with a saved model; writes ``<id column>,score`` (plus ``anomaly_score``)."""
    bundle = load_model(model_path)
    df = pd.read_csv(input_csv)
    id_col = bundle["id_column"]
    missing = [c for c in [id_col] + bundle["features"] if c not in df.columns]
    if missing:
        raise ValueError(f"input CSV lacks column(s) the model was trained on: {', '.join(missing)}")
    X = df[bundle["features"]]
    out = pd.DataFrame({id_col: df[id_col], "score": bundle["model"].risk_score(X)})
    if with_anomaly:
        out["anomaly_score"] = bundle["model"].anomaly_score(X)
    out.to_csv(output_csv, index=False)
    return out
