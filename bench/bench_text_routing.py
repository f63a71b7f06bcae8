"""Selective routing on real messages: which score ranks the classifier's errors best.

Run from the repository root::

    nice python bench/bench_text_routing.py dev       # choose: inner folds of outer fold 0's training part
    nice python bench/bench_text_routing.py heldout   # report: outer fold 0's test part, and grouped 5-fold

Data: ``gov_messages/messages_labeled_train.csv`` (6,439 messages), duplicates (same ``text_tokens``) grouped.
``dev`` never reads outer fold 0's test part: it pools the 4 validation folds of
``StratifiedGroupKFold(4, shuffle=True, random_state=1)`` over outer fold 0's training part (the fixed dev
split of every earlier classifier choice, all 4 folds instead of 2 for a steadier curve). ``heldout`` fits on
the training part of each outer fold and predicts its test part.

Models (each a LinearSVC calibrated with Platt scaling on 3-fold decision values, as shipped): ``union``
(word + character TF-IDF in one SVM: the shipped model), ``word`` and ``char`` alone, ``ens`` (mean of the
word and character models' probabilities), ``ens3`` (mean of all three). Ranking scores: top probability,
margin between the two top probabilities, agreement of the word and character models, and the share of the
nearest training messages that carry the predicted label. Reported per score: accuracy of the routed
messages at 85 % coverage, coverage at accuracy 0.98, AUC of right vs wrong.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from text_mining.classifier import messages_to_text  # noqa: E402
from text_mining.tokenizer import tokenize  # noqa: E402

OUTER = StratifiedGroupKFold(5, shuffle=True, random_state=0)
DEV = StratifiedGroupKFold(4, shuffle=True, random_state=1)


def _identity(x):
    return x


def _vectorizers():
    words = TfidfVectorizer(tokenizer=_identity, preprocessor=_identity, token_pattern=None, lowercase=False,
                            ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    return words, chars


def _calibrated(x, y):
    return CalibratedClassifierCV(LinearSVC(C=1.0, random_state=0), method="sigmoid", cv=3, ensemble=False).fit(x, y)


def fit_predict(texts, tokens, y, train, test) -> tuple[pd.DataFrame, dict]:
    """Signals of every test message from models fitted on ``train``; and fit seconds per model."""
    words, chars = _vectorizers()
    w_tr = words.fit_transform([tokens[i] for i in train])
    w_te = words.transform([tokens[i] for i in test])
    c_tr = chars.fit_transform([texts[i] for i in train])
    c_te = chars.transform([texts[i] for i in test])
    u_tr, u_te = sparse.hstack([w_tr, c_tr]).tocsr(), sparse.hstack([w_te, c_te]).tocsr()
    y_tr = y[train]
    seconds, proba = {}, {}
    for name, (xtr, xte) in {"union": (u_tr, u_te), "word": (w_tr, w_te), "char": (c_tr, c_te)}.items():
        start = time.process_time()
        model = _calibrated(xtr, y_tr)
        seconds[name] = time.process_time() - start
        proba[name] = model.predict_proba(xte)
        classes = model.classes_
    proba["ens"] = (proba["word"] + proba["char"]) / 2
    proba["ens3"] = (proba["word"] + proba["char"] + proba["union"]) / 3
    out = pd.DataFrame({"row": test, "label": y[test], "length": [len(texts[i]) for i in test]})
    for name, p in proba.items():
        top2 = np.sort(p, axis=1)[:, -2:]
        out[f"{name}_pred"] = classes[p.argmax(axis=1)]
        out[f"{name}_p"] = top2[:, 1]
        out[f"{name}_margin"] = top2[:, 1] - top2[:, 0]
    out["agree"] = (out["word_pred"] == out["char_pred"]).astype(float)
    # Nearest training messages (cosine in a 128-d SVD of the union features): share with the predicted label.
    svd = TruncatedSVD(128, random_state=0).fit(u_tr)
    ref, q = normalize(svd.transform(u_tr)), normalize(svd.transform(u_te))
    sims = q @ ref.T
    nn = np.argpartition(-sims, 10, axis=1)[:, :10]
    for name in ("union", "ens"):
        pred = out[f"{name}_pred"].to_numpy()
        out[f"{name}_knn"] = (y_tr[nn] == pred[:, None]).mean(axis=1)
    out["similarity"] = np.sort(sims, axis=1)[:, -5:].mean(axis=1)
    return out, seconds


def curve_stats(score: np.ndarray, correct: np.ndarray) -> dict:
    order = np.argsort(-score, kind="stable")
    acc = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)
    n85 = int(round(0.85 * len(order)))
    ok = np.nonzero(acc >= 0.98)[0]
    return {"acc@85": acc[n85 - 1], "cov@98": (ok.max() + 1) / len(order) if len(ok) else 0.0,
            "acc@80": acc[int(round(0.80 * len(order))) - 1], "auc": roc_auc_score(correct, score)}


def scores(frame: pd.DataFrame) -> dict[str, tuple[str, np.ndarray]]:
    """name -> (model whose labels are routed, ranking score)."""
    out = {}
    for m in ("union", "word", "char", "ens", "ens3"):
        out[f"{m}: top p"] = (m, frame[f"{m}_p"].to_numpy())
        out[f"{m}: margin"] = (m, frame[f"{m}_margin"].to_numpy())
    for m in ("union", "ens", "ens3"):
        out[f"{m}: top p, disagreeing last"] = (m, frame[f"{m}_p"].to_numpy() + frame["agree"].to_numpy())
        out[f"{m}: margin, disagreeing last"] = (m, frame[f"{m}_margin"].to_numpy() + frame["agree"].to_numpy())
    for m in ("union", "ens"):
        out[f"{m}: top p x kNN share"] = (m, frame[f"{m}_p"].to_numpy() * (0.5 + frame[f"{m}_knn"].to_numpy()))
    return out


def stacked(frame: pd.DataFrame, model: str) -> np.ndarray:
    """Probability that ``model``'s label is right from all the signals, by a logistic regression fitted on the
    other folds' messages (cross-fitted: no message is scored by a model that saw it)."""
    knn = f"{model}_knn" if f"{model}_knn" in frame else "ens_knn"
    cols = [f"{model}_p", f"{model}_margin", "agree", knn, "similarity", "union_p", "word_p", "char_p"]
    x = frame[cols].to_numpy()
    x = np.column_stack([x, np.log1p(frame["length"].to_numpy())])
    correct = (frame[f"{model}_pred"] == frame["label"]).to_numpy()
    out = np.empty(len(frame))
    for k in frame["fold"].unique():
        test = (frame["fold"] == k).to_numpy()
        lr = LogisticRegression(C=1.0, max_iter=1000).fit(x[~test], correct[~test])
        out[test] = lr.predict_proba(x[test])[:, 1]
    return out


def report(frame: pd.DataFrame, title: str) -> None:
    print(f"\n### {title} ({len(frame)} messages)\n")
    print("| routed labels: ranking score | accuracy | acc @ 80 % | acc @ 85 % | coverage @ 0.98 | AUC |")
    print("|---|---:|---:|---:|---:|---:|")
    ranked = scores(frame)
    if frame["fold"].nunique() > 1:
        for m in ("union", "ens", "ens3"):
            ranked[f"{m}: stacked correctness model"] = (m, stacked(frame, m))
    for name, (model, score) in ranked.items():
        correct = (frame[f"{model}_pred"] == frame["label"]).to_numpy()
        s = curve_stats(score, correct)
        print(f"| {name} | {correct.mean():.4f} | {s['acc@80']:.4f} | {s['acc@85']:.4f} | {s['cov@98']:.3f} | "
              f"{s['auc']:.3f} |")


def load(data: Path):
    df = pd.read_csv(data / "gov_messages" / "messages_labeled_train.csv")
    texts = messages_to_text(df[["title", "body"]], 2)
    tokens = [tokenize(t) for t in texts]
    return df, texts, tokens, df["label"].to_numpy(), pd.factorize(df["text_tokens"])[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["dev", "heldout"])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    parser.add_argument("--save", type=Path, help="write the per-message signals to this CSV")
    parser.add_argument("--folds", type=int, default=None, help="heldout: only the first N outer folds")
    args = parser.parse_args()
    df, texts, tokens, y, groups = load(args.data)
    frames, fit_seconds = [], []
    outer = list(OUTER.split(df, y, groups))
    if args.mode == "dev":
        train0, _ = outer[0]
        splits = [(train0[a], train0[b]) for a, b in DEV.split(train0, y[train0], groups[train0])]
    else:
        splits = outer[:args.folds]
    for k, (train, test) in enumerate(splits):
        frame, seconds = fit_predict(texts, tokens, y, train, test)
        frames.append(frame.assign(fold=k))
        fit_seconds.append(seconds)
        print(f"fold {k}: {len(train)} train, {len(test)} test, fit CPU s {seconds}", flush=True)
    pooled = pd.concat(frames, ignore_index=True)
    if args.save:
        pooled.to_csv(args.save, index=False)
    report(pooled, f"{args.mode}: pooled")
    if args.mode == "heldout" and len(frames) > 1:
        report(frames[0], "heldout: outer fold 0 only (never used by dev)")


if __name__ == "__main__":
    main()
