"""Selective routing, fifth round: a gate that keeps its declared accuracy, and review signals beyond the top
probability — over all five outer folds.

Run from the repository root::

    python bench/bench_text_routing_gate.py compute --folds 0 1 2 --dir DIR     # per-fold arrays -> DIR/fold_K.pkl
    python bench/bench_text_routing_gate.py report --dir DIR                    # gate rules and review signals

Data and folds as ``bench/bench_text_routing_cleaning.py`` (``gov_messages/messages_labeled_train.csv``, outer
``StratifiedGroupKFold(5, shuffle=True, random_state=0)``; fold 0 is "held-out fold 0"). ``compute`` fits, on
each outer fold's training part, the shipped models (union SVM and title SVM, per-class Platt on 3-fold decision
values, blended 0.8 / 0.2), the word-only and character-only SVMs, and keeps for the test part and for the
training part (the review gate's held-out probabilities: decision values on 5 shuffled folds through the fitted
calibrators) every model's probabilities, the 10 nearest training messages (cosine, union TF-IDF; leave-one-out
for the training part) and the shipped gate's out-of-scope flags (:class:`text_mining.review.ReviewGate`).

``report`` uses nothing of a test part but to measure it:

- **gate rules** (:func:`text_mining.review.choose_threshold` on the training part's held-out probabilities,
  applied to the test part): threshold, routed share and accuracy of the routed messages per fold, for the
  rule ``confidence`` = 0 (the accuracy itself, the rule before this round) and one-sided bounds at 0.90, 0.95
  and 0.99;
- **review signals** ranking the test messages (accuracy at 85 % routed, largest share routed at >= 0.98, AUC
  of right vs wrong, and the gate of the rule shipped on this score): the top probability (shipped); the same
  with the word, character and title models' disagreement with the label sent last; the mean of the models'
  probabilities; an **error model** (logistic regression, or gradient boosting, on top probability, margin,
  agreement of the word / character / title models with the label, the title model's probability of the label,
  the kNN similarity and the kNN share of the label, text length) fitted on the training part's held-out
  values; per-class thresholds (the probability that a label is right, a logistic regression on the top
  probability per predicted class).
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_text_routing_cleaning import OUTER, Calibrated, curve, fold_features  # noqa: E402
from bench.bench_text_routing_variants import load  # noqa: E402
from text_mining.review import ReviewGate, choose_threshold, coverage_curve  # noqa: E402

TITLE_WEIGHT = 0.2
K = 10  # neighbours kept per message


def neighbours(a, b, exclude_self: bool):
    """Indices and cosines of the K nearest rows of ``b`` for each row of ``a`` (union TF-IDF)."""
    a, b = normalize(a), normalize(b)
    idx = np.empty((a.shape[0], K), dtype=np.int32)
    sim = np.empty((a.shape[0], K))
    for s in range(0, a.shape[0], 1024):
        block = (a[s:s + 1024] @ b.T).toarray()
        if exclude_self:
            block[np.arange(block.shape[0]), np.arange(s, s + block.shape[0])] = -np.inf
        top = np.argpartition(-block, K, axis=1)[:, :K]
        order = np.argsort(-np.take_along_axis(block, top, axis=1), axis=1)
        idx[s:s + 1024] = np.take_along_axis(top, order, axis=1)
        sim[s:s + 1024] = np.take_along_axis(block, idx[s:s + 1024], axis=1)
    return idx, sim


def compute_fold(df, texts, tokens, title_tokens, y, train, test) -> dict:
    titles = df["title"].fillna("").astype(str).tolist()
    u_tr, u_te, t_tr, t_te = fold_features(texts, tokens, title_tokens, titles, train, test)
    n_word = u_tr.shape[1] - fold_features_chars(texts, train)
    y_tr, y_te = y[train], y[test]
    out = {"y_tr": y_tr, "y_te": y_te, "len_tr": np.array([len(texts[i]) for i in train]),
           "len_te": np.array([len(texts[i]) for i in test])}
    for name, (x_tr, x_te, c) in {"union": (u_tr, u_te, 1.0), "title": (t_tr, t_te, 0.5),
                                  "word": (u_tr[:, :n_word], u_te[:, :n_word], 1.0),
                                  "char": (u_tr[:, n_word:], u_te[:, n_word:], 1.0)}.items():
        m = Calibrated(x_tr, y_tr, c)
        out[f"p_{name}"], out[f"o_{name}"] = m.proba(x_te), m.oof(x_tr, y_tr)
        out["classes"] = m.classes
    out["nn_te"], out["nns_te"] = neighbours(u_te, u_tr, False)
    out["nn_tr"], out["nns_tr"] = neighbours(u_tr, u_tr, True)
    has_text = (df["title"].fillna("").str.strip() != "") | (df["body"].fillna("").str.strip() != "")
    has_text = has_text.to_numpy()
    blend_o = (1 - TITLE_WEIGHT) * out["o_union"] + TITLE_WEIGHT * out["o_title"]
    blend_p = (1 - TITLE_WEIGHT) * out["p_union"] + TITLE_WEIGHT * out["p_title"]
    gate = ReviewGate(space="tfidf").fit(u_tr, blend_o, y_tr, out["classes"], has_text[train])
    decided = gate.decide(blend_p, u_te, has_text[test])
    out["familiar_te"] = ~decided["review_reason"].isin(["unfamiliar", "no_text"]).to_numpy()
    # the gate's own held-out familiarity of the training messages (similarity leaving each message out)
    similarity = gate._similarity(gate._project(u_tr), exclude=np.arange(len(train)))
    out["familiar_tr"] = (gate._novelty(blend_o.max(axis=1), similarity) <= gate.novelty_cutoff_) & has_text[train]
    out["gate_t"] = gate.confidence_threshold_
    return out


def fold_features_chars(texts, train) -> int:
    """Width of the character block of :func:`fold_features`'s union features (fitted on ``train``)."""
    from bench.bench_text_routing_variants import _chars
    return len(_chars().fit([texts[i] for i in train]).vocabulary_)


# -------------------------------------------------------------------------------------------- report


def signals(f: dict, part: str) -> dict:
    """Per-message review features of the test (``te``, final models) or training (``tr``, held-out) part."""
    p = {m: f[f"{'p' if part == 'te' else 'o'}_{m}"] for m in ("union", "title", "word", "char")}
    blend = (1 - TITLE_WEIGHT) * p["union"] + TITLE_WEIGHT * p["title"]
    label = blend.argmax(axis=1)
    srt = np.sort(blend, axis=1)
    enc_tr = np.searchsorted(f["classes"], f["y_tr"])
    nn, nns = f[f"nn_{part}"], f[f"nns_{part}"]
    share = (enc_tr[nn] == label[:, None]).mean(axis=1)
    rows = np.arange(len(label))
    return {"blend": blend, "label": label, "top": srt[:, -1], "margin": srt[:, -1] - srt[:, -2],
            "agree_word": p["word"].argmax(axis=1) == label, "agree_char": p["char"].argmax(axis=1) == label,
            "agree_title": p["title"].argmax(axis=1) == label, "title_p": p["title"][rows, label],
            "word_p": p["word"][rows, label], "char_p": p["char"][rows, label],
            "sim5": nns[:, :5].mean(axis=1), "share10": share, "loglen": np.log1p(f[f"len_{part}"]),
            "mean4": np.mean([p[m] for m in p], axis=0).max(axis=1)}


FEATURES = ("top", "margin", "agree_word", "agree_char", "agree_title", "title_p", "word_p", "char_p", "sim5",
            "share10", "loglen")


def scores(f: dict) -> dict:
    """name -> (held-out score of the training part, score of the test part, labels right on each)."""
    tr, te = signals(f, "tr"), signals(f, "te")
    c_tr = f["classes"][tr["label"]] == f["y_tr"]
    c_te = f["classes"][te["label"]] == f["y_te"]
    out = {"top p (shipped)": (tr["top"], te["top"])}
    for m in ("word", "char", "title"):
        out[f"top p, {m} disagreeing last"] = (tr["top"] - 1 + tr[f"agree_{m}"], te["top"] - 1 + te[f"agree_{m}"])
    all3 = lambda s: s["agree_word"] & s["agree_char"] & s["agree_title"]  # noqa: E731
    out["top p, any disagreeing last"] = (tr["top"] - 1 + all3(tr), te["top"] - 1 + all3(te))
    out["mean of 4 models' top p"] = (tr["mean4"], te["mean4"])
    X_tr = np.column_stack([tr[k] for k in FEATURES]).astype(float)
    X_te = np.column_stack([te[k] for k in FEATURES]).astype(float)
    lr = LogisticRegression(C=1.0, max_iter=2000).fit(_logit_cols(X_tr), c_tr)
    out["error model: logistic"] = (_cross_fit(lambda: LogisticRegression(C=1.0, max_iter=2000), _logit_cols(X_tr), c_tr),
                                    lr.predict_proba(_logit_cols(X_te))[:, 1])
    gb = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, max_leaf_nodes=15, random_state=0)
    out["error model: boosting"] = (_cross_fit(lambda: HistGradientBoostingClassifier(
        max_iter=150, learning_rate=0.05, max_leaf_nodes=15, random_state=0), X_tr, c_tr),
        gb.fit(X_tr, c_tr).predict_proba(X_te)[:, 1])
    # per-class thresholds: P(right | top p, predicted class), one logistic map per predicted class
    pc_tr, pc_te = np.empty(len(c_tr)), np.empty(len(c_te))
    for k in range(len(f["classes"])):
        a, b = tr["label"] == k, te["label"] == k
        z = _logit(tr["top"][a])[:, None]
        if a.sum() < 20 or c_tr[a].all() or not c_tr[a].any():
            pc_tr[a], pc_te[b] = tr["top"][a], te["top"][b]
            continue
        m = LogisticRegression(C=1e4, max_iter=1000).fit(z, c_tr[a])
        pc_tr[a] = m.predict_proba(z)[:, 1]
        pc_te[b] = m.predict_proba(_logit(te["top"][b])[:, None])[:, 1]
    out["per-class thresholds"] = (pc_tr, pc_te)
    return {k: (s_tr, s_te, c_tr, c_te) for k, (s_tr, s_te) in out.items()}


def _logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _logit_cols(X):
    X = X.copy()
    for j, k in enumerate(FEATURES):
        if k in ("top", "title_p", "word_p", "char_p", "share10"):
            X[:, j] = _logit(np.clip(X[:, j], 0.01, 0.99))
    return X


def _cross_fit(make, X, y, folds=5):
    """Held-out predictions of the error model on the training part (for its gate threshold)."""
    from sklearn.model_selection import StratifiedKFold
    out = np.empty(len(y))
    for a, b in StratifiedKFold(folds, shuffle=True, random_state=0).split(X, y):
        out[b] = make().fit(X[a], y[a]).predict_proba(X[b])[:, 1]
    return out


def tail_rule(confidence, correct, familiar, target=0.98):
    """The rule before this round: the lowest grid threshold from which every higher one's held-out accuracy
    reaches the target."""
    curve_ = coverage_curve(confidence, correct, familiar)
    meets = (curve_["accuracy"].fillna(1.0) >= target).to_numpy()
    tail = np.logical_and.accumulate(meets[::-1])[::-1]
    return float(curve_["threshold"][tail].min()) if tail.any() else 1.0


def report(folds: dict, gates_only: bool = False) -> None:
    ks = sorted(folds)
    print(f"## gate rules on the shipped score, folds {ks}\n")
    print("| rule | " + " | ".join(f"fold {k}: t / routed / acc" for k in ks) + " | mean routed | min acc |")
    print("|---" * (len(ks) + 3) + "|")
    for conf in ("before", 0.0, 0.9, 0.95, 0.99, "0.95 on a 0.01 grid"):
        cells, routed_all, acc_all = [], [], []
        for k in ks:
            f = folds[k]
            tr, te = signals(f, "tr"), signals(f, "te")
            c_tr = f["classes"][tr["label"]] == f["y_tr"]
            c_te = f["classes"][te["label"]] == f["y_te"]
            if conf == "before":
                t = tail_rule(tr["top"], c_tr, f["familiar_tr"])
            elif isinstance(conf, str):
                t = choose_threshold(tr["top"], c_tr, f["familiar_tr"], 0.98, 0.95, grid=np.arange(0.30, 0.995, 0.01))
            else:
                t = choose_threshold(tr["top"], c_tr, f["familiar_tr"], 0.98, conf)
            routed = f["familiar_te"] & (te["top"] >= t)
            cells.append(f"{t:.3f} / {routed.mean():.1%} / {c_te[routed].mean():.4f}")
            routed_all.append(routed.mean())
            acc_all.append(c_te[routed].mean())
        print(f"| confidence {conf} | " + " | ".join(cells) + f" | {np.mean(routed_all):.1%} | {min(acc_all):.4f} |")
    if gates_only:
        return
    print(f"\n## review signals, folds {ks}: mean (min-max); gate = bound rule 0.95 on the score\n")
    print("| score | acc @ 85 % | routed @ 0.98 | AUC | per fold acc @ 85 % | per fold routed @ 0.98 | gate routed / min acc |")
    print("|---|---:|---:|---:|---|---|---|")
    per = {k: scores(folds[k]) for k in ks}
    for name in per[ks[0]]:
        r = [curve(per[k][name][1], per[k][name][3]) for k in ks]
        a85 = np.array([x["acc@85"] for x in r])
        c98 = np.array([x["cov@98"] for x in r])
        auc = np.array([x["auc"] for x in r])
        g_routed, g_acc = [], []
        for k in ks:
            s_tr, s_te, c_tr, c_te = per[k][name]
            t = choose_threshold(s_tr, c_tr, folds[k]["familiar_tr"], 0.98, 0.95, grid=np.quantile(s_tr, np.linspace(0, 0.995, 400)))
            routed = folds[k]["familiar_te"] & (s_te >= t)
            g_routed.append(routed.mean())
            g_acc.append(c_te[routed].mean() if routed.any() else np.nan)
        print(f"| {name} | {a85.mean():.4f} ({a85.min():.4f}-{a85.max():.4f}) | {c98.mean():.1%} ({c98.min():.1%}-"
              f"{c98.max():.1%}) | {auc.mean():.3f} | {' '.join(f'{v:.3f}' for v in a85)} | "
              f"{' '.join(f'{v:.1%}' for v in c98)} | {np.mean(g_routed):.1%} / {np.nanmin(g_acc):.4f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("compute", "report"))
    parser.add_argument("--folds", type=int, nargs="*", default=[0, 1, 2, 3, 4])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    parser.add_argument("--gates-only", action="store_true", help="report: only the gate rules")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/bench_text_routing_tokens.pkl"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    if args.mode == "report":
        report({k: pickle.loads((args.dir / f"fold_{k}.pkl").read_bytes()) for k in args.folds
                if (args.dir / f"fold_{k}.pkl").is_file()}, args.gates_only)
        return
    df, texts, tokens, title_tokens, y, groups = load(args.data, args.cache)
    outer = list(OUTER.split(df, y, groups))
    for k in args.folds:
        start, cpu = time.time(), time.process_time()
        train, test = outer[k]
        result = compute_fold(df, texts, tokens, title_tokens, y, train, test)
        (args.dir / f"fold_{k}.pkl").write_bytes(pickle.dumps(result))
        print(f"fold {k}: {time.time() - start:.0f} s wall, {time.process_time() - cpu:.0f} CPU s", flush=True)


if __name__ == "__main__":
    main()
