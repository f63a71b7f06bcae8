"""Complaint classifier quality: nested, grouped cross-validation on gov_messages.

Run from the repository root::

    nice python bench/bench_text_classifier.py [--data ../shared/data] [--grid-c 1.0 0.5 2.0] [--jobs 1]

Outer loop: ``StratifiedGroupKFold(5, shuffle=True, random_state=0)`` over
``messages_labeled_train.csv`` with messages sharing the same ``text_tokens`` in one group, so no
duplicate lands in train and test at once. Inside each outer training part, ``C`` is chosen from
``--grid-c`` by an inner ``StratifiedGroupKFold(3, shuffle=True, random_state=1)``: the
classifier's own features (:func:`text_mining.classifier.text_features`) and an uncalibrated
``LinearSVC``, pooled inner macro-F1, first best in grid order. Then a full
``ComplaintClassifier(C=chosen)`` is fitted on the outer training part and scored on the outer
test part, which no choice has seen. Prints markdown tables: pooled and per-fold macro-F1, the
chosen ``C`` per fold, per-class F1 and how informative the confidence is.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.svm import LinearSVC

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from text_mining.classifier import ComplaintClassifier, messages_to_text, text_features  # noqa: E402

OUTER = StratifiedGroupKFold(5, shuffle=True, random_state=0)
INNER = StratifiedGroupKFold(3, shuffle=True, random_state=1)


def _choose_c(texts, y, groups, grid) -> tuple[float, dict[float, float]]:
    """C with the best pooled macro-F1 over the inner folds (first in grid order on ties)."""
    defaults = ComplaintClassifier()
    truth, preds = [], {c: [] for c in grid}
    for tr, va in INNER.split(texts, y, groups):
        features = text_features(defaults.word_ngram_range, defaults.char_ngram_range, defaults.min_df)
        x_tr, x_va = features.fit_transform(texts[tr]), features.transform(texts[va])
        truth.append(y[va])
        for c in grid:
            svm = LinearSVC(C=c, random_state=defaults.random_state).fit(x_tr, y[tr])
            preds[c].append(svm.predict(x_va))
    truth = np.concatenate(truth)
    scores = {c: f1_score(truth, np.concatenate(p), average="macro") for c, p in preds.items()}
    best = max(grid, key=lambda c: (scores[c], -grid.index(c)))
    return best, scores


def _outer_fold(k, tr, te, df, y, groups, grid):
    t0 = time.perf_counter()
    texts = messages_to_text(df[["title", "body"]])
    c, inner_scores = _choose_c(texts[tr], y[tr], groups[tr], grid)
    model = ComplaintClassifier(C=c).fit(df.iloc[tr][["title", "body"]], y[tr])
    proba = model.predict_proba(df.iloc[te][["title", "body"]])
    return {
        "fold": k,
        "test": te,
        "pred": model.classes_[proba.argmax(axis=1)],
        "confidence": proba.max(axis=1),
        "C": c,
        "inner": inner_scores,
        "seconds": time.perf_counter() - t0,
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    p.add_argument("--grid-c", type=float, nargs="+", default=[1.0, 0.5, 2.0])
    p.add_argument("--jobs", type=int, default=1, help="outer folds run in parallel")
    p.add_argument("--n", type=int, default=0, help="a random sample of n messages, for a smoke run (0 = all)")
    args = p.parse_args(argv)

    df = pd.read_csv(Path(args.data) / "gov_messages" / "messages_labeled_train.csv")
    if args.n:
        df = df.sample(args.n, random_state=0).reset_index(drop=True)
    y = df["label"].to_numpy()
    groups = pd.factorize(df["text_tokens"])[0]
    load_before = os.getloadavg()
    folds = Parallel(n_jobs=args.jobs)(
        delayed(_outer_fold)(k, tr, te, df, y, groups, args.grid_c)
        for k, (tr, te) in enumerate(OUTER.split(df, y, groups))
    )
    load_after = os.getloadavg()

    idx = np.concatenate([f["test"] for f in folds])
    pred = np.concatenate([f["pred"] for f in folds])
    conf = np.concatenate([f["confidence"] for f in folds])
    truth = y[idx]
    per_fold = [f1_score(y[f["test"]], f["pred"], average="macro") for f in folds]
    print(
        f"Nested grouped 5-fold CV on {len(df):,} messages ({len(set(groups)):,} groups), C grid "
        f"{args.grid_c}, load average {load_before[0]:.1f} / {load_before[1]:.1f} / {load_before[2]:.1f} "
        f"before and {load_after[0]:.1f} / {load_after[1]:.1f} / {load_after[2]:.1f} after\n"
    )
    print("| outer fold | chosen C | inner macro-F1 by C | test macro-F1 | test accuracy | s |")
    print("|---:|---:|---|---:|---:|---:|")
    for f, score in zip(folds, per_fold, strict=True):
        inner = ", ".join(f"{c:g}: {s:.4f}" for c, s in f["inner"].items())
        acc = accuracy_score(y[f["test"]], f["pred"])
        print(f"| {f['fold']} | {f['C']:g} | {inner} | {score:.4f} | {acc:.4f} | {f['seconds']:.0f} |")
    print(
        f"\nPooled macro-F1 **{f1_score(truth, pred, average='macro'):.4f}**, fold mean "
        f"{statistics.mean(per_fold):.4f} ± {statistics.stdev(per_fold):.4f}, accuracy "
        f"{accuracy_score(truth, pred):.4f}\n"
    )
    labels = sorted(set(y))
    prec, rec, f1, support = precision_recall_fscore_support(truth, pred, labels=labels)
    print("| class | F1 | precision | recall | messages |")
    print("|---|---:|---:|---:|---:|")
    for row in sorted(zip(labels, f1, prec, rec, support, strict=True), key=lambda r: -r[1]):
        print(f"| {row[0]} | {row[1]:.3f} | {row[2]:.3f} | {row[3]:.3f} | {row[4]} |")
    print("\n| threshold | share ≥ threshold | accuracy above | accuracy below |")
    print("|---:|---:|---:|---:|")
    correct = pred == truth
    for t in (0.5, 0.6, 0.7, 0.8):
        above = conf >= t
        print(f"| {t} | {above.mean():.1%} | {correct[above].mean():.1%} | {correct[~above].mean():.1%} |")


if __name__ == "__main__":
    main()
