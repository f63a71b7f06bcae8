"""Selective routing measured on real messages: the complaint classifier's held-out coverage / accuracy curve.

Data: ``gov_messages/messages_labeled_train.csv`` (TipDM 2020 problem C, real citizen messages; see its
README). The split is the one every classifier measurement in docs/text_mining.md reports as "held-out fold
0": fold 0 of ``StratifiedGroupKFold(5, shuffle=True, random_state=0)`` with duplicate messages (same
``text_tokens``) in one group. :class:`~text_mining.classifier.ComplaintClassifier` is fitted on the other
80 % — its review gate chooses the threshold there, on cross-validated probabilities — and routes the 20 % it
never saw; the gate alone is also measured on the other four folds, each with a model fitted without it.
:func:`backtest_rows` turns the result into 模型卡 rows (``bianjian eval routing`` stores them).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold

from text_mining.classifier import ComplaintClassifier
from text_mining.review import coverage_curve, curve_rows

__all__ = ["MODEL_NAME", "OUT_OF_SCOPE_TITLES", "backtest_rows", "held_out_split", "routing_backtest"]

MODEL_NAME = "ComplaintClassifier"  # derived_model_backtest.model (codes.MODEL_NAMES gives its Chinese name)
LABELLED = "messages_labeled_train.csv"
HOT = "messages_hot.csv"
# Titles naming a subject outside the 7 categories (finance, police, telecom, land): a keyword proxy for
# out-of-scope messages in the unlabelled hot-issue file, not hand labels.
OUT_OF_SCOPE_TITLES = "车贷|集资|诈骗|派出所|公安|警察|宽带|电信|银行|信用卡|贷款|土地|征地|宅基地"


FOLDS = 5  # grouped outer folds of the labelled file; fold 0 is "held-out fold 0"


def held_out_split(df: pd.DataFrame, fold: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, held-out rows) of the labelled file: grouped fold ``fold`` of :data:`FOLDS` (fold 0 is the
    split of docs/text_mining.md's "held-out fold 0")."""
    groups = pd.factorize(df["text_tokens"])[0]
    splits = StratifiedGroupKFold(FOLDS, shuffle=True, random_state=0).split(df, df["label"], groups)
    return next(split for k, split in enumerate(splits) if k == fold)


def routing_backtest(data_dir: str | Path, folds: int = FOLDS) -> dict:
    """Fit on the training part of ``data_dir/gov_messages``'s labelled file, route its held-out part.

    Returns ``dataset`` (named for the model card), ``n_train``, ``n_test``, ``fit_seconds`` (CPU),
    ``accuracy`` and ``macro_f1`` of every held-out message, ``threshold`` (the gate's, chosen on the
    training part), ``target_accuracy``, ``confidence_level`` (of the gate's bound), ``routed_share`` /
    ``routed_accuracy`` at that threshold, the ``unfamiliar`` share, ``curve``
    (:func:`text_mining.review.coverage_curve` of the held-out part) — all of held-out fold 0 — and ``folds``:
    the gate on each of the first ``folds`` grouped folds (fold, n_test, threshold, routed_share,
    routed_accuracy), fold 0 first; every fold is a model fitted on the other folds.
    """
    path = Path(data_dir) / "gov_messages" / LABELLED
    if not path.is_file():
        raise FileNotFoundError(f"labelled messages not found: {path}")
    df = pd.read_csv(path, dtype={"title": str, "body": str, "label": str, "text_tokens": str})
    train, test = held_out_split(df)
    start = time.process_time()
    model = ComplaintClassifier().fit(df.iloc[train][["title", "body"]], df["label"].iloc[train])
    fit_seconds = time.process_time() - start
    review = model.predict_with_review(df.iloc[test][["title", "body"]])
    truth = df["label"].iloc[test].to_numpy()
    correct = review["label"].to_numpy() == truth
    routed = ~review["needs_review"].to_numpy()
    familiar = ~review["review_reason"].isin(["unfamiliar", "no_text"]).to_numpy()  # routable whatever the confidence
    gate = model.review_gate_
    per_fold = [_gate_on_fold(0, test, gate.confidence_threshold_, routed, correct)]
    for fold in range(1, min(folds, FOLDS)):
        other_train, other_test = held_out_split(df, fold)
        other = ComplaintClassifier().fit(df.iloc[other_train][["title", "body"]], df["label"].iloc[other_train])
        decided = other.predict_with_review(df.iloc[other_test][["title", "body"]])
        per_fold.append(_gate_on_fold(fold, other_test, other.review_gate_.confidence_threshold_,
                                      ~decided["needs_review"].to_numpy(),
                                      decided["label"].to_numpy() == df["label"].iloc[other_test].to_numpy()))
    return {
        "dataset": f"真实留言（泰迪杯2020 C题 {LABELLED}）：分组留出第0折{len(test):,}条，训练{len(train):,}条",
        "n_train": len(train), "n_test": len(test), "fit_seconds": round(fit_seconds, 1),
        "accuracy": float(correct.mean()), "macro_f1": float(f1_score(truth, review["label"], average="macro")),
        "threshold": gate.confidence_threshold_, "target_accuracy": gate.target_accuracy,
        "confidence_level": gate.confidence_level,
        "routed_share": float(routed.mean()), "routed_accuracy": float(correct[routed].mean()) if routed.any() else None,
        "unfamiliar": float((review["review_reason"] == "unfamiliar").mean()),
        "curve": coverage_curve(review["confidence"].to_numpy(), correct, familiar),
        **_out_of_scope(model, Path(data_dir) / "gov_messages" / HOT, review),
        "folds": per_fold,
    }


def _gate_on_fold(fold: int, test: np.ndarray, threshold: float, routed: np.ndarray, correct: np.ndarray) -> dict:
    return {"fold": fold, "n_test": len(test), "threshold": threshold, "routed_share": float(routed.mean()),
            "routed_accuracy": float(correct[routed].mean()) if routed.any() else None}


def _out_of_scope(model: ComplaintClassifier, hot_path: Path, held_out: pd.DataFrame) -> dict:
    """How the gate treats the hot-issue file's out-of-scope titles (:data:`OUT_OF_SCOPE_TITLES`): share
    flagged out of scope (``unfamiliar``) and share sent to review for any reason, against the rest of the
    file and the held-out labelled messages; AUC of the novelty score against the held-out messages."""
    if not hot_path.is_file():
        return {}
    hot = pd.read_csv(hot_path, dtype=str)
    review = model.predict_with_review(hot[["title", "body"]])
    outside = hot["title"].fillna("").str.contains(OUT_OF_SCOPE_TITLES).to_numpy()
    flagged = (review["review_reason"] == "unfamiliar").to_numpy()
    sent = review["needs_review"].to_numpy()
    scores = np.r_[review["novelty"].to_numpy()[outside], held_out["novelty"].to_numpy()]
    truth = np.r_[np.ones(outside.sum()), np.zeros(len(held_out))]
    return {"out_of_scope_n": int(outside.sum()), "out_of_scope_flagged": float(flagged[outside].mean()),
            "out_of_scope_review": float(sent[outside].mean()), "hot_rest_flagged": float(flagged[~outside].mean()),
            "hot_rest_review": float(sent[~outside].mean()),
            "held_out_flagged": float((held_out["review_reason"] == "unfamiliar").mean()),
            "out_of_scope_auc": float(roc_auc_score(truth, scores))}


def backtest_rows(result: dict) -> list[dict]:
    """模型卡 rows (model, dataset, metric, value, n, note) of :func:`routing_backtest`'s result: the held-out
    curve (:func:`text_mining.review.curve_rows`, the threshold measured as the gate chose it), accuracy and
    macro-F1 of all held-out messages, and the gate's routed share and accuracy on each measured fold
    (``fold_routed_share`` / ``fold_routed_accuracy``, the fold and its threshold in the note)."""
    rows = curve_rows(result["curve"], result["threshold"], result["target_accuracy"], result["confidence_level"])
    for fold in result["folds"]:
        note = f"分组留出第{fold['fold']}折{fold['n_test']:,}条，阈值{fold['threshold']:.2f}（在该折训练部分选定）"
        rows += [{"metric": "fold_routed_share", "value": fold["routed_share"], "n": fold["n_test"], "note": note},
                 {"metric": "fold_routed_accuracy", "value": fold["routed_accuracy"], "n": fold["n_test"],
                  "note": note}]
    rows += [{"metric": "accuracy", "value": result["accuracy"], "n": result["n_test"], "note": "全部留出留言"},
             {"metric": "macro_f1", "value": result["macro_f1"], "n": result["n_test"], "note": "全部留出留言"}]
    if "out_of_scope_n" in result:
        note = f"{HOT}中标题含车贷、集资、派出所、宽带、土地等7类以外主题的留言（关键词代理，非人工标注）"
        rows += [{"metric": "out_of_scope_flagged", "value": result["out_of_scope_flagged"],
                  "n": result["out_of_scope_n"], "note": note},
                 {"metric": "out_of_scope_review", "value": result["out_of_scope_review"],
                  "n": result["out_of_scope_n"], "note": note},
                 {"metric": "out_of_scope_auc", "value": result["out_of_scope_auc"], "n": result["out_of_scope_n"],
                  "note": "对照：全部留出留言"},
                 {"metric": "in_scope_flagged", "value": result["held_out_flagged"], "n": result["n_test"],
                  "note": "全部留出留言"}]
    return [{"model": MODEL_NAME, "dataset": result["dataset"], **row} for row in rows]
