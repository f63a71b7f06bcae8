"""Classifier variants on the fixed dev split, one change at a time against the default model.

Run from the repository root::

    nice python bench/bench_text_classifier_variants.py [--data ../shared/data]

The dev split is the one every design choice of ``text_mining.classifier`` was explored on: the
first 2 folds of ``StratifiedGroupKFold(4, shuffle=True, random_state=1)`` over the training part
of outer fold 0 of ``bench/bench_text_classifier.py`` (its test part is never touched). Models are
uncalibrated; the score is macro-F1 pooled over both validation folds, then per fold and their
mean ± sd. Messages are tokenized once; each feature block is fitted on the training fold only.
Prints one markdown row per variant (the table in docs/text_mining.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.feature_selection import SelectKBest, chi2
from sklearn.linear_model import RidgeClassifier
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict
from sklearn.svm import LinearSVC

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_text_classifier import OUTER  # noqa: E402  (this script's folder is on sys.path)

from text_mining.classifier import messages_to_text  # noqa: E402
from text_mining.tokenizer import tokenize  # noqa: E402

DEV = StratifiedGroupKFold(4, shuffle=True, random_state=1)


def _identity(x):
    return x


class DevSplit:
    """Messages of the dev split, tokenized once, and cached TF-IDF blocks per fold."""

    def __init__(self, data: Path):
        df = pd.read_csv(data / "gov_messages" / "messages_labeled_train.csv")
        y, groups = df["label"].to_numpy(), pd.factorize(df["text_tokens"])[0]
        train, _ = next(OUTER.split(df, y, groups))
        self.df = df.iloc[train].reset_index(drop=True)
        self.y, self.groups = y[train], groups[train]
        self.folds = list(DEV.split(self.df, self.y, self.groups))[:2]
        self.title = [tokenize(t) for t in self.df["title"].fillna("")]
        self.body = [tokenize(t) for t in self.df["body"].fillna("")]

    @cache  # noqa: B019 - one instance per run
    def block(self, kind: str, ngram=(1, 2), min_df=2, title_repeat=2) -> tuple:
        """Per fold, (train, validation) TF-IDF of words or characters, fitted on the train fold."""
        if kind == "word":
            docs = [t * title_repeat + b for t, b in zip(self.title, self.body, strict=True)]
            make = lambda: TfidfVectorizer(  # noqa: E731
                tokenizer=_identity, preprocessor=_identity, token_pattern=None, lowercase=False,
                ngram_range=ngram, min_df=min_df, sublinear_tf=True)
        else:
            docs = messages_to_text(self.df[["title", "body"]], title_repeat)
            make = lambda: TfidfVectorizer(analyzer="char", ngram_range=ngram, min_df=min_df, sublinear_tf=True)  # noqa: E731
        out = []
        for tr, va in self.folds:
            vec = make()
            out.append((vec.fit_transform([docs[i] for i in tr]), vec.transform([docs[i] for i in va])))
        return tuple(out)

    def score(self, name: str, blocks: list, fit_predict) -> str:
        preds = []
        for k, (tr, _) in enumerate(self.folds):
            x_tr = sparse.hstack([w * b[k][0] for w, b in blocks]).tocsr()
            x_va = sparse.hstack([w * b[k][1] for w, b in blocks]).tocsr()
            preds.append(fit_predict(x_tr, self.y[tr], x_va, self.groups[tr]))
        per = [f1_score(self.y[va], p, average="macro") for (_, va), p in zip(self.folds, preds, strict=True)]
        truth = np.concatenate([self.y[va] for _, va in self.folds])
        pooled = f1_score(truth, np.concatenate(preds), average="macro")
        return (f"| {name} | {pooled:.4f} | {per[0]:.4f} / {per[1]:.4f} | "
                f"{statistics.mean(per):.4f} ± {statistics.stdev(per):.4f} |")


def svm(C=1.0, **kw):
    return lambda x, y, xv, g: LinearSVC(C=C, random_state=0, **kw).fit(x, y).predict(xv)


def nbsvm(C):
    """One-vs-rest linear SVMs on features scaled by the binarised log-count ratio of each class."""

    def fit_predict(x, y, xv, g):
        classes, binary, scores = np.unique(y), (x > 0).astype(np.float64), []
        for c in classes:
            pos = y == c
            p = 1 + np.asarray(binary[pos].sum(axis=0)).ravel()
            q = 1 + np.asarray(binary[~pos].sum(axis=0)).ravel()
            scale = sparse.diags(np.log((p / p.sum()) / (q / q.sum())))
            model = LinearSVC(C=C, random_state=0).fit(x @ scale, pos)
            scores.append(model.decision_function(xv @ scale))
        return classes[np.argmax(np.column_stack(scores), axis=1)]

    return fit_predict


def chi2_svm(k):
    def fit_predict(x, y, xv, g):
        sel = SelectKBest(chi2, k=k).fit(x, y)
        return LinearSVC(C=1.0, random_state=0).fit(sel.transform(x), y).predict(sel.transform(xv))

    return fit_predict


def ridge(x, y, xv, g):
    return RidgeClassifier(alpha=1.0, solver="sparse_cg").fit(x, y).predict(xv)


OFFSET_GRID = np.linspace(-0.3, 0.3, 13)


def tuned_offsets(x, y, xv, g):
    """Per-class offsets on the SVM scores, chosen by coordinate ascent on inner-CV macro-F1."""
    model = LinearSVC(C=1.0, random_state=0).fit(x, y)
    inner = StratifiedGroupKFold(3, shuffle=True, random_state=2)
    dec = cross_val_predict(LinearSVC(C=1.0, random_state=0), x, y, cv=inner, groups=g,
                            method="decision_function")
    classes, offsets = model.classes_, np.zeros(len(model.classes_))
    best = f1_score(y, classes[dec.argmax(1)], average="macro")
    for _ in range(2):
        for c in range(len(classes)):
            for v in OFFSET_GRID:
                trial = offsets.copy()
                trial[c] = v
                score = f1_score(y, classes[(dec + trial).argmax(1)], average="macro")
                if score > best + 1e-9:
                    best, offsets = score, trial
    return classes[(model.decision_function(xv) + offsets).argmax(1)]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    args = p.parse_args(argv)
    dev = DevSplit(Path(args.data))
    w, c = dev.block("word"), dev.block("char")
    default = [(1, w), (1, c)]
    variants = [
        ("current default: word 1-2 + char 1-2, title ×2, LinearSVC C=1", default, svm()),
        ("NB-SVM (binarised log-count ratio, one-vs-rest) C=0.3", default, nbsvm(0.3)),
        ("NB-SVM (binarised log-count ratio, one-vs-rest) C=1.0", default, nbsvm(1.0)),
        ("word block weight 0.7", [(0.7, w), (1, c)], svm()),
        ("word block weight 1.4", [(1.4, w), (1, c)], svm()),
        ("min_df 1", [(1, dev.block("word", min_df=1)), (1, dev.block("char", min_df=1))], svm()),
        ("min_df 3", [(1, dev.block("word", min_df=3)), (1, dev.block("char", min_df=3))], svm()),
        ("title ×1", [(1, dev.block("word", title_repeat=1)), (1, dev.block("char", title_repeat=1))], svm()),
        ("title ×3", [(1, dev.block("word", title_repeat=3)), (1, dev.block("char", title_repeat=3))], svm()),
        ("word 1-3", [(1, dev.block("word", ngram=(1, 3))), (1, c)], svm()),
        ("word + char 2-4", [(1, w), (1, dev.block("char", ngram=(2, 4)))], svm()),
        ("word + char 1-2 + 0.7 × char 3-4", [*default, (0.7, dev.block("char", ngram=(3, 4)))], svm()),
        ("hinge loss C=0.5", default, svm(0.5, loss="hinge", max_iter=5000)),
        ("L1 penalty C=1", default, svm(1.0, penalty="l1", dual=False)),
        ("ridge classifier alpha=1", default, ridge),
        ("chi2 top 20000 features", default, chi2_svm(20_000)),
        ("chi2 top 50000 features", default, chi2_svm(50_000)),
        ("per-class score offsets tuned for macro-F1 on inner CV", default, tuned_offsets),
    ]
    print("| variant | pooled macro-F1 | inner fold 1 / 2 | mean ± sd |")
    print("|---|---:|---:|---:|")
    for name, blocks, fit_predict in variants:
        print(dev.score(name, blocks, fit_predict), flush=True)


if __name__ == "__main__":
    main()
