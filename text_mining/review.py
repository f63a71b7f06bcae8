"""Selective routing: which classified messages a person must route (人工分拨) instead of the model.

A message goes to review when the classifier is unsure (its calibrated top probability is below a
threshold) or when it looks outside the known categories (finance, police, land or telecom complaints get
labels of the 7 known categories, often confidently, so a low probability alone misses them).
:class:`ReviewGate` learns both cut-offs from held-out predictions:

- **similarity** of a message to the training messages: mean cosine of its ``n_neighbors`` nearest
  training messages, in the classifier's own TF-IDF space (``space="tfidf"``) or in an
  ``n_components``-dimensional SVD projection of it (``space="svd"``, compact and fast at city scale).
- **novelty**: the mean of two held-out percentiles — how low the message's top probability is and how
  far it is from the training messages, each against the held-out training messages. Messages more novel
  than all but ``novelty_quantile`` of the held-out training messages are *out of scope*. On
  leave-one-category-out tests this combination separates an unseen category better than either part
  (docs/text_mining.md).
- **confidence threshold** (:func:`choose_threshold`): the lowest top probability at which the held-out
  messages that are routed automatically (confident and in scope) reach ``target_accuracy`` with
  ``confidence_level``: the one-sided Clopper-Pearson lower bound of their accuracy is at least the target. On
  the five grouped held-out folds of the real messages the accuracy itself (the rule before) kept 0.98 on one
  fold of five (0.972-0.990); the 95 % bound keeps it on all five (0.980-0.991) for 4.8 points of routing
  (docs/text_mining.md § Fifth round).

``curve_`` keeps the held-out coverage / accuracy trade-off for the model card. One gate is used by
``bianjian text classify`` (:class:`text_mining.classifier.ComplaintClassifier`, TF-IDF space) and by the
pipeline's category model (SVD space), so both send the same kind of order to 人工分拨.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.stats import beta
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize

__all__ = ["GATE_FOLDS", "REVIEW_REASONS", "ReviewGate", "choose_threshold", "coverage_curve", "curve_rows"]

# Why an order needs a person, as the CLI and the pipeline write it.
REVIEW_REASONS = {"low_confidence": "置信度低", "unfamiliar": "超出已知类别", "no_text": "无可分类文本"}
CURVE_THRESHOLDS = np.round(np.arange(0.30, 1.0, 0.02), 2)
# Shuffled stratified folds of the held-out probabilities every gate learns from (``bianjian text classify``'s
# and the pipeline's). The fold models see (k-1)/k of the training messages and the final model all of them, so
# few folds make the gate conservative: on the dev split of the real messages 3 folds routed 73.9 % at 0.982,
# 5 folds 75.4 % at 0.981 (docs/text_mining.md, bench/bench_text_routing_variants.py). On the pipeline's 30,000
# gate orders 5 folds cost 7.9 CPU s against 4.5 for 3 (docs/benchmarks.md, 2026-12-07 fourth session).
GATE_FOLDS = 5
_CHUNK = 2048  # rows per block of the nearest-neighbour search (bounds the dense similarity block)


class ReviewGate:
    """Learns and applies the review decision from held-out probabilities and training features.

    Parameters: ``target_accuracy`` (declared accuracy of the automatically routed messages), ``confidence_level``
    (of the lower bound that must reach it; 0: the held-out accuracy itself),
    ``novelty_quantile`` (share of held-out training messages flagged out of scope), ``n_neighbors``,
    ``space`` (``"tfidf"`` or ``"svd"``: where the similarity is measured), ``n_components`` (SVD size),
    ``max_reference`` (training rows kept for the search), ``random_state``.
    """

    def __init__(self, *, target_accuracy: float = 0.98, confidence_level: float = 0.95, novelty_quantile: float = 0.02,
                 n_neighbors: int = 5, space: str = "svd", n_components: int = 128, max_reference: int = 20_000,
                 random_state: int = 0):
        self.target_accuracy = target_accuracy
        self.confidence_level = confidence_level
        self.novelty_quantile = novelty_quantile
        self.n_neighbors = n_neighbors
        self.space = space
        self.n_components = n_components
        self.max_reference = max_reference
        self.random_state = random_state

    # ---------------------------------------------------------------------------------------- fitting

    def fit(self, features, oof_proba: np.ndarray, y, classes, has_text=None) -> ReviewGate:  # noqa: ANN001
        """``features``: the training messages' feature rows (sparse); ``oof_proba``: their held-out
        (cross-validated) class probabilities, columns in the order of ``classes``; ``y``: true labels;
        ``has_text``: which messages have any text (default: the rows with a non-zero feature)."""
        if self.space not in ("tfidf", "svd"):
            raise ValueError(f"space must be 'tfidf' or 'svd', got {self.space!r}")
        rng = np.random.default_rng(self.random_state)
        n = features.shape[0]
        if self.space == "svd":
            k = max(1, min(self.n_components, features.shape[1] - 1, n - 1))
            self.svd_ = TruncatedSVD(k, random_state=self.random_state).fit(features)
        projected = self._project(features)
        keep = np.sort(rng.choice(n, self.max_reference, replace=False)) if n > self.max_reference else np.arange(n)
        self.reference_ = projected[keep]
        # Held-out similarity of each training message: its neighbours among the *other* reference rows.
        own = np.full(n, -1)
        own[keep] = np.arange(len(keep))
        oof_similarity = self._similarity(projected, exclude=own)
        confidence = oof_proba.max(axis=1)
        correct = np.asarray(classes)[oof_proba.argmax(axis=1)] == np.asarray(y)
        # Held-out distributions the novelty percentiles are taken against.
        self.confidence_ref_ = np.sort(confidence).astype(np.float32)
        self.similarity_ref_ = np.sort(oof_similarity).astype(np.float32)
        self.novelty_cutoff_ = float(np.quantile(self._novelty(confidence, oof_similarity), 1 - self.novelty_quantile))
        familiar = (self._novelty(confidence, oof_similarity) <= self.novelty_cutoff_) & _has_text(features, has_text)
        self.curve_ = coverage_curve(confidence, correct, familiar)
        self.confidence_threshold_ = choose_threshold(confidence, correct, familiar, self.target_accuracy,
                                                      self.confidence_level)
        return self

    # ------------------------------------------------------------------------------------------- use

    def similarity(self, features) -> np.ndarray:  # noqa: ANN001
        """Mean cosine of each row's nearest training messages (1 = like many training messages)."""
        return self._similarity(self._project(features))

    def decide(self, proba: np.ndarray, features, has_text=None) -> pd.DataFrame:  # noqa: ANN001
        """``confidence``, ``similarity``, ``novelty`` (0-1), ``needs_review`` (bool) and ``review_reason`` (key
        of :data:`REVIEW_REASONS`, '' when routed automatically). A message without text (``has_text`` False;
        default: a row without a non-zero feature) gets the model's prior, often confidently, so it goes to
        review as ``no_text``; then out of scope wins over low confidence."""
        confidence = proba.max(axis=1)
        similarity = self.similarity(features)
        novelty = self._novelty(confidence, similarity)
        empty = ~_has_text(features, has_text)
        unfamiliar = novelty > self.novelty_cutoff_
        unsure = confidence < self.confidence_threshold_
        reason = np.select([empty, unfamiliar, unsure], ["no_text", "unfamiliar", "low_confidence"], "")
        return pd.DataFrame({"confidence": confidence, "similarity": similarity, "novelty": novelty,
                             "needs_review": empty | unfamiliar | unsure, "review_reason": reason})

    # ------------------------------------------------------------------------------------- internals

    def _novelty(self, confidence: np.ndarray, similarity: np.ndarray) -> np.ndarray:
        """Mean of the shares of held-out training messages more confident than, and more similar than, each
        message (0 = as ordinary as the most ordinary, 1 = beyond all of them on both)."""
        n = len(self.confidence_ref_)
        unsure = 1 - np.searchsorted(self.confidence_ref_, confidence, side="right") / n
        far = 1 - np.searchsorted(self.similarity_ref_, similarity, side="right") / n
        return (unsure + far) / 2

    def _project(self, features):  # noqa: ANN001, ANN202
        if self.space == "tfidf":
            return normalize(sparse.csr_matrix(features, dtype=np.float32))
        return normalize(self.svd_.transform(features)).astype(np.float32)

    def _similarity(self, projected, exclude: np.ndarray | None = None) -> np.ndarray:  # noqa: ANN001
        k = min(self.n_neighbors, self.reference_.shape[0] - (exclude is not None))
        out = np.empty(projected.shape[0], dtype=np.float64)
        for start in range(0, projected.shape[0], _CHUNK):
            block = projected[start:start + _CHUNK] @ self.reference_.T
            block = block.toarray() if sparse.issparse(block) else block
            if exclude is not None:
                rows = np.arange(block.shape[0])
                own = exclude[start:start + _CHUNK]
                block[rows[own >= 0], own[own >= 0]] = -np.inf
            top = np.partition(block, block.shape[1] - k, axis=1)[:, -k:]
            out[start:start + _CHUNK] = top.mean(axis=1)
        return out


def _has_text(features, has_text=None) -> np.ndarray:  # noqa: ANN001
    """``has_text`` as a boolean array if given, else True for the rows with at least one non-zero feature."""
    if has_text is not None:
        return np.asarray(has_text, dtype=bool)
    if sparse.issparse(features):
        return np.diff(sparse.csr_matrix(features).indptr) > 0
    return np.asarray(features).any(axis=1)


def choose_threshold(confidence: np.ndarray, correct: np.ndarray, familiar: np.ndarray, target: float,
                     confidence_level: float, grid: np.ndarray = CURVE_THRESHOLDS) -> float:
    """The lowest threshold of ``grid`` at which the routed held-out messages (familiar, confidence >= t) reach
    ``target`` with ``confidence_level``: the one-sided Clopper-Pearson lower bound of their accuracy is at least
    ``target`` (``confidence_level`` 0: the accuracy itself). The promise is about all routed messages, so a
    higher threshold whose few messages cannot show the target does not veto a lower one that does. 1.0 when no
    threshold does."""
    passing = [float(t) for t in grid if _clears(correct[familiar & (confidence >= t)], target, confidence_level)]
    return min(passing) if passing else 1.0


def _clears(routed_correct: np.ndarray, target: float, confidence_level: float) -> bool:
    n = len(routed_correct)
    return n > 0 and _lower_bound(int(routed_correct.sum()), n, confidence_level) >= target


def _lower_bound(k: int, n: int, confidence_level: float) -> float:
    """One-sided Clopper-Pearson lower bound of a binomial proportion k / n (the proportion when the level is 0)."""
    if confidence_level <= 0 or k == 0:
        return k / n
    return float(beta.ppf(1 - confidence_level, k, n - k + 1))


def coverage_curve(confidence: np.ndarray, correct: np.ndarray, familiar: np.ndarray) -> pd.DataFrame:
    """Coverage (share routed automatically) and accuracy of the routed messages per confidence threshold of
    :data:`CURVE_THRESHOLDS` (unfamiliar messages always go to review). Columns: threshold, coverage,
    accuracy (NaN when nothing is routed), routed."""
    rows = []
    for t in CURVE_THRESHOLDS:
        routed = familiar & (confidence >= t)
        n = int(routed.sum())
        rows.append((float(t), n / len(correct), float(correct[routed].mean()) if n else np.nan, n))
    return pd.DataFrame(rows, columns=["threshold", "coverage", "accuracy", "routed"])


def curve_rows(curve: pd.DataFrame, threshold: float, target_accuracy: float, confidence_level: float) -> list[dict]:
    """A :func:`coverage_curve` as model-card rows (metric, value, n, note): the gate's threshold (its note says
    the target and how the gate holds it), the share routed automatically at it and their accuracy, and one
    ``routed_share@T`` / ``routed_accuracy@T`` pair per threshold T
    (``data_access.queries_model_cards.review_curve`` reads them back)."""
    chosen = curve[curve["threshold"] == threshold]
    how = (f"训练样本交叉验证准确率的{confidence_level:.0%}单侧置信下界达到目标" if confidence_level > 0
           else "训练样本交叉验证准确率达到目标")
    rows = [{"metric": "review_threshold", "value": threshold, "n": None,
             "note": f"目标：自动分拨准确率≥{target_accuracy:.0%}；阈值取{how}的最低值"}]
    if len(chosen):
        point = chosen.iloc[0]
        rows += [{"metric": "routed_share", "value": float(point["coverage"]), "n": int(point["routed"]), "note": None},
                 {"metric": "routed_accuracy", "value": float(point["accuracy"]), "n": int(point["routed"]),
                  "note": None}]
    for point in curve.dropna(subset=["accuracy"]).itertuples():
        rows += [{"metric": f"routed_share@{point.threshold:.2f}", "value": float(point.coverage),
                  "n": int(point.routed), "note": None},
                 {"metric": f"routed_accuracy@{point.threshold:.2f}", "value": float(point.accuracy),
                  "n": int(point.routed), "note": None}]
    return rows
