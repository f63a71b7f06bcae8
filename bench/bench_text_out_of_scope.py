"""Out-of-scope messages: which signal tells a subject outside the 7 known categories from a known one.

Run from the repository root::

    nice python bench/bench_text_out_of_scope.py dev       # choose: inside outer fold 0's training part
    nice python bench/bench_text_out_of_scope.py heldout   # report: outer fold 0's test part + messages_hot.csv

Two tests, both on ``gov_messages``:

- **leave one category out**: the classifier and the signals are fitted without one of the 7 categories; its
  messages in the evaluation part are the out-of-scope ones, the other categories' messages there the
  in-scope ones (AUC per left-out category, and pooled). ``dev`` fits on 3 of the 4 inner folds of outer fold
  0's training part and evaluates on the fourth; ``heldout`` fits on outer fold 0's training part and
  evaluates on its test part.
- **messages_hot.csv** (``heldout`` only): its messages whose title names a subject outside the 7 categories
  (finance, police, land, telecom keywords — a keyword proxy, not hand labels) against outer fold 0's test
  part, the model fitted on all 7 categories of the training part.

Signals (higher = more out of scope): ``1 - top p`` (calibrated SVM), nearest-neighbour similarity in a
128-d SVD (the shipped gate) and in the full TF-IDF space (word block, union), the largest cosine to a class
centroid, the share of the message's TF-IDF norm outside the SVD subspace, an IsolationForest on the SVD
features, the share of the message's words unseen in training, and rank-averages of ``1 - top p`` with each.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.stats import rankdata
from sklearn.decomposition import TruncatedSVD
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import normalize

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_text_routing import DEV, OUTER, _calibrated, _vectorizers, load  # noqa: E402

from text_mining.classifier import messages_to_text  # noqa: E402
from text_mining.routing_backtest import OUT_OF_SCOPE_TITLES  # noqa: E402
from text_mining.tokenizer import tokenize  # noqa: E402

OUT_OF_SCOPE = re.compile(OUT_OF_SCOPE_TITLES)


def _top_mean(sims, k: int) -> np.ndarray:
    sims = sims.toarray() if sparse.issparse(sims) else sims
    return np.sort(sims, axis=1)[:, -k:].mean(axis=1)


def signals(texts_tr, tokens_tr, y_tr, texts_te, tokens_te) -> pd.DataFrame:
    words, chars = _vectorizers()
    w_tr, c_tr = words.fit_transform(tokens_tr), chars.fit_transform(texts_tr)
    w_te, c_te = words.transform(tokens_te), chars.transform(texts_te)
    u_tr = normalize(sparse.hstack([w_tr, c_tr]).tocsr())
    u_te = normalize(sparse.hstack([w_te, c_te]).tocsr())
    proba = _calibrated(u_tr, y_tr).predict_proba(u_te)
    out = pd.DataFrame({"low_p": 1 - proba.max(axis=1)})
    svd = TruncatedSVD(128, random_state=0).fit(u_tr)
    p_tr, p_te = svd.transform(u_tr), svd.transform(u_te)
    out["far_knn_svd"] = -_top_mean(normalize(p_te) @ normalize(p_tr).T, 5)
    out["far_knn_union"] = -_top_mean(u_te @ u_tr.T, 5)
    out["far_knn_word"] = -_top_mean(w_te @ w_tr.T, 5)
    classes = np.unique(y_tr)
    centroids = normalize(np.vstack([np.asarray(w_tr[y_tr == c].mean(axis=0)) for c in classes]))
    out["far_centroid_word"] = -(w_te @ centroids.T).max(axis=1)
    out["residual_svd"] = 1 - (p_te ** 2).sum(axis=1)  # rows of u_te have norm 1
    forest = IsolationForest(n_estimators=200, random_state=0).fit(normalize(p_tr))
    out["iforest_svd"] = -forest.score_samples(normalize(p_te))
    vocab = set(words.vocabulary_)
    out["oov_words"] = [np.mean([t not in vocab for t in toks]) if toks else 0.0 for toks in tokens_te]
    for name in [c for c in out.columns if c != "low_p"]:
        out[f"low_p+{name}"] = (rankdata(out["low_p"]) + rankdata(out[name])) / (2 * len(out))
    return out


def auc_table(parts: list[tuple[str, pd.DataFrame, np.ndarray]]) -> None:
    names = list(parts[0][1].columns)
    print("| signal | " + " | ".join(p[0] for p in parts) + " |")
    print("|---|" + "---:|" * len(parts))
    for name in names:
        print(f"| {name} | " + " | ".join(f"{roc_auc_score(pos, frame[name]):.3f}" for _, frame, pos in parts) + " |")


def leave_one_out(texts, tokens, y, train, test) -> list[tuple[str, pd.DataFrame, np.ndarray]]:
    parts, pooled, pooled_pos = [], [], []
    for category in np.unique(y):
        tr = train[y[train] != category]
        frame = signals([texts[i] for i in tr], [tokens[i] for i in tr], y[tr],
                        [texts[i] for i in test], [tokens[i] for i in test])
        pos = y[test] == category
        parts.append((category, frame, pos))
        pooled.append(frame.rank(pct=True))  # per left-out category scale: pool ranks, not raw values
        pooled_pos.append(pos)
        print(f"left out {category}: {pos.sum()} out-of-scope of {len(test)}", flush=True)
    parts.append(("pooled (ranks)", pd.concat(pooled, ignore_index=True), np.concatenate(pooled_pos)))
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["dev", "heldout"])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    args = parser.parse_args()
    df, texts, tokens, y, groups = load(args.data)
    train, test = next(OUTER.split(df, y, groups))
    if args.mode == "dev":
        inner = list(DEV.split(train, y[train], groups[train]))
        train, test = train[inner[0][0]], train[inner[0][1]]
    print(f"\n### leave one category out ({args.mode}: {len(train)} training, {len(test)} evaluated; AUC)\n")
    auc_table(leave_one_out(texts, tokens, y, train, test))
    if args.mode == "heldout":
        hot = pd.read_csv(args.data / "gov_messages" / "messages_hot.csv", dtype=str)
        hot_texts = messages_to_text(hot[["title", "body"]], 2)
        hot_tokens = [tokenize(t) for t in hot_texts]
        flagged = hot["title"].fillna("").str.contains(OUT_OF_SCOPE).to_numpy()
        frame = signals([texts[i] for i in train], [tokens[i] for i in train], y[train],
                        [texts[i] for i in test] + list(hot_texts), [tokens[i] for i in test] + hot_tokens)
        keep = np.r_[np.ones(len(test), bool), flagged]
        pos = np.r_[np.zeros(len(test), bool), np.ones(flagged.sum(), bool)]
        print(f"\n### messages_hot.csv: {flagged.sum()} out-of-scope titles vs {len(test)} held-out labelled (AUC)\n")
        auc_table([("hot out-of-scope vs held-out", frame[keep].reset_index(drop=True), pos),
                   ("hot out-of-scope vs rest of hot", frame.iloc[len(test):].reset_index(drop=True), flagged)])


if __name__ == "__main__":
    main()
