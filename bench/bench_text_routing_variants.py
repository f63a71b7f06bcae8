"""Selective routing, second round: class-conditional thresholds, other base models, a title view, stacks.

Run from the repository root::

    nice -n 15 python bench/bench_text_routing_variants.py dev       # choose (inner folds only)
    nice -n 15 python bench/bench_text_routing_variants.py heldout   # report outer fold 0 (after choosing)

Data and splits as ``bench/bench_text_routing.py``: ``gov_messages/messages_labeled_train.csv``, duplicates
(same ``text_tokens``) grouped; ``dev`` pools the 4 validation folds of ``StratifiedGroupKFold(4, shuffle=True,
random_state=1)`` over outer fold 0's training part and never reads outer fold 0's test part.

Per fold every base learner gives decision scores on the validation messages (fitted on the whole training
part) and 3-fold cross-validated scores on the training messages (shuffled stratified folds, as the shipped
gate). Probabilities come from a calibrator fitted on the training messages' cross-validated scores: one-vs-rest
Platt scaling normalised (``ovr``, the shipped kind) or a multinomial logistic regression (``multi``); a stack is
a multinomial logistic regression on the cross-validated scores of several learners. The shipped model itself
(``shipped``: ``CalibratedClassifierCV`` on unshuffled folds) is refitted as the reference.

Ranking scores per probability model: the top probability, and **class-conditional** scores — the top
probability mapped per predicted class to the probability that the label is right, learnt on the training
messages' cross-validated probabilities (``|cls-lr``: logistic regression on the logit of the top probability,
one per predicted class; ``|cls-iso``: isotonic regression per class). A single threshold on a class-conditional
score is one threshold per predicted class.

Reported, pooled over the folds: accuracy, accuracy of the routed messages at 80 / 85 % routed, the largest
share routed at accuracy >= 0.98, AUC of right vs wrong, the area under the coverage / accuracy curve (mean
accuracy over all coverages, ``AUCC``), and the **gate**: the threshold chosen on each fold's training
messages (lowest from which every higher one keeps 0.98) applied to its validation messages (routed share and
accuracy).
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_predict
from sklearn.naive_bayes import ComplementNB
from sklearn.svm import LinearSVC

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from text_mining.classifier import messages_to_text  # noqa: E402
from text_mining.tokenizer import tokenize  # noqa: E402

OUTER = StratifiedGroupKFold(5, shuffle=True, random_state=0)
DEV = StratifiedGroupKFold(4, shuffle=True, random_state=1)
TARGET = 0.98


def _identity(x):
    return x


def _words(ngram=(1, 2), min_df=2):
    return TfidfVectorizer(tokenizer=_identity, preprocessor=_identity, token_pattern=None, lowercase=False,
                           ngram_range=ngram, min_df=min_df, sublinear_tf=True)


def _chars(ngram=(1, 2), min_df=2):
    return TfidfVectorizer(analyzer="char", ngram_range=ngram, min_df=min_df, sublinear_tf=True)


def load(data: Path, cache: Path):
    df = pd.read_csv(data / "gov_messages" / "messages_labeled_train.csv")
    if cache.is_file():
        texts, tokens, title_tokens = pickle.loads(cache.read_bytes())
    else:
        texts = messages_to_text(df[["title", "body"]], 2)
        tokens = [tokenize(t) for t in texts]
        title_tokens = [tokenize(t) for t in df["title"].fillna("").astype(str)]
        cache.write_bytes(pickle.dumps((texts, tokens, title_tokens)))
    return df, texts, tokens, title_tokens, df["label"].to_numpy(), pd.factorize(df["text_tokens"])[0]


def _softmax(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# ----------------------------------------------------------------------------------------- calibrators


def _ovr_platt(s_fit, y_fit, classes, s_apply):
    out = np.empty((s_apply.shape[0], len(classes)))
    for k, c in enumerate(classes):
        lr = LogisticRegression(C=1e4, max_iter=1000).fit(s_fit[:, [k]], (y_fit == c).astype(int))
        out[:, k] = lr.predict_proba(s_apply[:, [k]])[:, 1]
    return out / out.sum(axis=1, keepdims=True)


def _multi(s_fit, y_fit, classes, s_apply, C=1.0):
    lr = LogisticRegression(C=C, max_iter=2000).fit(s_fit, y_fit)
    assert list(lr.classes_) == list(classes)
    return lr.predict_proba(s_apply)


def calibrated(kind, s_oof, y_tr, classes, s_te):
    """(cross-fitted probabilities of the training messages, probabilities of the validation messages)."""
    fn = _ovr_platt if kind == "ovr" else _multi
    p_te = fn(s_oof, y_tr, classes, s_te)
    p_tr = np.empty((len(y_tr), len(classes)))
    for a, b in StratifiedKFold(3, shuffle=True, random_state=2).split(s_oof, y_tr):
        p_tr[b] = fn(s_oof[a], y_tr[a], classes, s_oof[b])
    return p_tr, p_te


# ----------------------------------------------------------------------------------------- one fold


def fold_scores(texts, tokens, title_tokens, titles, y, train, test) -> dict:
    """name -> (training messages' cross-validated scores, validation scores); plus the shipped model."""
    y_tr = y[train]
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    w, c = _words(), _chars()
    w_tr, w_te = w.fit_transform([tokens[i] for i in train]), w.transform([tokens[i] for i in test])
    c_tr, c_te = c.fit_transform([texts[i] for i in train]), c.transform([texts[i] for i in test])
    u_tr, u_te = sparse.hstack([w_tr, c_tr]).tocsr(), sparse.hstack([w_te, c_te]).tocsr()
    tw, tc = _words((1, 2), 1), _chars((1, 3), 2)
    t_tr = sparse.hstack([tw.fit_transform([title_tokens[i] for i in train]),
                          tc.fit_transform([titles[i] for i in train])]).tocsr()
    t_te = sparse.hstack([tw.transform([title_tokens[i] for i in test]),
                          tc.transform([titles[i] for i in test])]).tocsr()
    blocks = {"union": (u_tr, u_te), "word": (w_tr, w_te), "char": (c_tr, c_te), "title": (t_tr, t_te)}
    learners = {
        "svm_union": ("union", lambda: LinearSVC(C=1.0, random_state=0), "decision_function"),
        "svm_word": ("word", lambda: LinearSVC(C=1.0, random_state=0), "decision_function"),
        "svm_char": ("char", lambda: LinearSVC(C=1.0, random_state=0), "decision_function"),
        "svm_title": ("title", lambda: LinearSVC(C=0.5, random_state=0), "decision_function"),
        "lr30_union": ("union", lambda: LogisticRegression(C=30, max_iter=3000), "decision_function"),
        "lr30bal_union": ("union", lambda: LogisticRegression(C=30, max_iter=3000, class_weight="balanced"),
                          "decision_function"),
        "sgd_union": ("union", lambda: SGDClassifier(loss="modified_huber", alpha=1e-4, random_state=0),
                      "decision_function"),
        "cnb_word": ("word", lambda: ComplementNB(alpha=0.3), "predict_log_proba"),
    }
    out, seconds = {}, {}
    for name, (block, make, method) in learners.items():
        start = time.process_time()
        xtr, xte = blocks[block]
        s_oof = cross_val_predict(make(), xtr, y_tr, cv=cv, method=method)
        model = make().fit(xtr, y_tr)
        s_te = getattr(model, method)(xte)
        if method == "predict_log_proba":  # centre the log-probabilities per message
            s_oof, s_te = s_oof - s_oof.mean(axis=1, keepdims=True), s_te - s_te.mean(axis=1, keepdims=True)
        out[name] = (s_oof, s_te)
        seconds[name] = round(time.process_time() - start, 1)
    start = time.process_time()
    shipped = CalibratedClassifierCV(LinearSVC(C=1.0, random_state=0), method="sigmoid", cv=3,
                                     ensemble=False).fit(u_tr, y_tr)
    out["shipped"] = (None, shipped.predict_proba(u_te))
    seconds["shipped"] = round(time.process_time() - start, 1)
    return {"scores": out, "classes": shipped.classes_, "seconds": seconds}


# ------------------------------------------------------------------------------------- probability models


def probability_models(fold: dict, y_tr) -> dict:
    """name -> (cross-fitted training probabilities or None, validation probabilities)."""
    s, classes = fold["scores"], fold["classes"]
    models = {"shipped (CalibratedClassifierCV, unshuffled)": (None, s["shipped"][1])}
    for name in ("svm_union", "svm_word", "svm_char", "svm_title", "lr30_union", "lr30bal_union",
                 "sgd_union", "cnb_word"):
        for kind in ("ovr", "multi"):
            models[f"{name} {kind}"] = calibrated(kind, *s[name][:1], y_tr, classes, s[name][1])
    for name in ("lr30_union", "lr30bal_union"):
        models[f"{name} raw"] = (_softmax(s[name][0]), _softmax(s[name][1]))
    stacks = {
        "stack svm union+title": ["svm_union", "svm_title"],
        "stack svm word+char": ["svm_word", "svm_char"],
        "stack svm word+char+title": ["svm_word", "svm_char", "svm_title"],
        "stack svm union+word+char+title": ["svm_union", "svm_word", "svm_char", "svm_title"],
        "stack svm union+lr30": ["svm_union", "lr30_union"],
        "stack svm union+cnb": ["svm_union", "cnb_word"],
        "stack svm union+title+cnb": ["svm_union", "svm_title", "cnb_word"],
        "stack all": ["svm_union", "svm_word", "svm_char", "svm_title", "lr30_union", "sgd_union", "cnb_word"],
    }
    for name, parts in stacks.items():
        oof = np.hstack([s[p][0] for p in parts])
        te = np.hstack([s[p][1] for p in parts])
        models[name] = calibrated("multi", oof, y_tr, classes, te)
    av = [models["svm_union ovr"], models["lr30_union multi"]]
    models["mean svm_union ovr + lr30 multi"] = ((av[0][0] + av[1][0]) / 2, (av[0][1] + av[1][1]) / 2)
    av = [models["svm_union ovr"], models["svm_title ovr"]]
    for wt in (0.2, 0.35):
        models[f"svm_union ovr + {wt} svm_title ovr"] = ((1 - wt) * av[0][0] + wt * av[1][0],
                                                         (1 - wt) * av[0][1] + wt * av[1][1])
    return models


def _logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def class_conditional(kind, p_tr, y_tr, p_te, classes):
    """(training score, validation score): the top probability mapped per predicted class to P(label right)."""
    pred_tr, pred_te = p_tr.argmax(axis=1), p_te.argmax(axis=1)
    conf_tr, conf_te = p_tr.max(axis=1), p_te.max(axis=1)
    right = classes[pred_tr] == y_tr
    s_tr, s_te = conf_tr.copy(), conf_te.copy()
    for k in range(len(classes)):
        a, b = pred_tr == k, pred_te == k
        if a.sum() < 10 or right[a].all() or not right[a].any():
            continue
        if kind == "lr":
            m = LogisticRegression(C=1e4).fit(_logit(conf_tr[a])[:, None], right[a])
            s_tr[a] = m.predict_proba(_logit(conf_tr[a])[:, None])[:, 1]
            if b.any():
                s_te[b] = m.predict_proba(_logit(conf_te[b])[:, None])[:, 1]
        else:
            m = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(conf_tr[a], right[a])
            # tiny tie-break by the confidence itself keeps the order inside a flat step
            s_tr[a] = m.predict(conf_tr[a]) + 1e-4 * conf_tr[a]
            if b.any():
                s_te[b] = m.predict(conf_te[b]) + 1e-4 * conf_te[b]
    return s_tr, s_te


def gate_threshold(score, correct, target=TARGET):
    """The shipped rule on a finer grid: the lowest threshold of 0.300, 0.305, ... 0.995 from which every higher
    one keeps the training messages' routed accuracy >= target (a threshold routing nothing counts as meeting)."""
    grid = np.arange(0.30, 1.0, 0.005)
    meets = np.array([correct[score >= t].mean() >= target if (score >= t).any() else True for t in grid])
    tail = np.logical_and.accumulate(meets[::-1])[::-1]
    return float(grid[tail].min()) if tail.any() else np.inf


def curve_stats(score, correct):
    order = np.argsort(-score, kind="stable")
    acc = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)
    n = len(order)
    ok = np.nonzero(acc >= TARGET)[0]
    return {"accuracy": correct.mean(), "acc@80": acc[round(0.80 * n) - 1], "acc@85": acc[round(0.85 * n) - 1],
            "cov@98": (ok.max() + 1) / n if len(ok) else 0.0, "auc": roc_auc_score(correct, score),
            "aucc": acc.mean()}


def gate_folds(texts, tokens, y, splits, folds=(3, 5, 10)) -> None:
    """The shipped model's gate with its held-out probabilities from ``folds`` shuffled folds instead of 3: the
    final model sees all training messages, the fold models fewer, so fewer folds make the gate conservative."""
    rows = {k: ([], []) for k in folds}
    for train, test in splits:
        w, c = _words(), _chars()
        u_tr = sparse.hstack([w.fit_transform([tokens[i] for i in train]),
                              c.fit_transform([texts[i] for i in train])]).tocsr()
        u_te = sparse.hstack([w.transform([tokens[i] for i in test]), c.transform([texts[i] for i in test])]).tocsr()
        y_tr = y[train]
        model = CalibratedClassifierCV(LinearSVC(C=1.0, random_state=0), method="sigmoid", cv=3,
                                       ensemble=False).fit(u_tr, y_tr)
        p_te = model.predict_proba(u_te)
        correct_te = model.classes_[p_te.argmax(axis=1)] == y[test]
        fitted = model.calibrated_classifiers_[0]
        for k in folds:
            s_oof = cross_val_predict(LinearSVC(C=1.0, random_state=0), u_tr, y_tr, method="decision_function",
                                      cv=StratifiedKFold(k, shuffle=True, random_state=0))
            p_tr = np.column_stack([cal.predict(s_oof[:, j]) for j, cal in enumerate(fitted.calibrators)])
            p_tr /= p_tr.sum(axis=1, keepdims=True)
            t = gate_threshold(p_tr.max(axis=1), model.classes_[p_tr.argmax(axis=1)] == y_tr)
            rows[k][0].append(p_te.max(axis=1) >= t)
            rows[k][1].append(correct_te)
            print(f"{k} folds: threshold {t:.3f}", flush=True)
    print("| held-out probabilities of the gate | routed | accuracy of routed |\n|---|---:|---:|")
    for k, (routed, correct) in rows.items():
        routed, correct = np.concatenate(routed), np.concatenate(correct)
        print(f"| {k} shuffled folds | {routed.mean():.1%} | {correct[routed].mean():.4f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["dev", "heldout"])
    parser.add_argument("--gate-folds", action="store_true", help="only compare 3, 5 and 10 folds for the gate")
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/bench_text_routing_tokens.pkl"))
    parser.add_argument("--scores", type=Path, help="folder of per-fold score pickles (reused if they exist)")
    parser.add_argument("--only", type=int, nargs="*", help="compute only these folds' scores and stop")
    parser.add_argument("--save", type=Path, help="write the validation messages' labels and confidences to this CSV")
    args = parser.parse_args()
    df, texts, tokens, title_tokens, y, groups = load(args.data, args.cache)
    titles = df["title"].fillna("").astype(str).tolist()
    outer = list(OUTER.split(df, y, groups))
    if args.mode == "dev":
        train0, _ = outer[0]
        splits = [(train0[a], train0[b]) for a, b in DEV.split(train0, y[train0], groups[train0])]
    else:
        splits = outer[:1]
    if args.gate_folds:
        gate_folds(texts, tokens, y, splits)
        return
    folds = {}
    for k, (train, test) in enumerate(splits):
        cached = args.scores / f"{args.mode}{k}.pkl" if args.scores else None
        if cached and cached.is_file():
            folds[k] = pickle.loads(cached.read_bytes())
            continue
        if args.only is not None and k not in args.only:
            continue
        f = fold_scores(texts, tokens, title_tokens, titles, y, train, test)
        folds[k] = f
        print(f"fold {k}: {len(train)} train, {len(test)} validation; CPU s {f['seconds']}", flush=True)
        if cached:
            args.scores.mkdir(parents=True, exist_ok=True)
            cached.write_bytes(pickle.dumps(f))
    if args.only is not None:
        return
    splits = [splits[k] for k in sorted(folds)]  # the folds computed so far
    folds = [folds[k] for k in sorted(folds)]
    rows, saved = {}, []
    for (train, test), f in zip(splits, folds, strict=True):
        classes = f["classes"]
        models = probability_models(f, y[train])
        saved.append(pd.DataFrame({"row": test, "label": y[test]}).assign(**{
            f"{m}_{k}": v for m in ("shipped (CalibratedClassifierCV, unshuffled)", "svm_union ovr")
            for k, v in (("pred", classes[models[m][1].argmax(axis=1)]), ("p", models[m][1].max(axis=1)))}))
        for name, (p_tr, p_te) in models.items():
            variants = {"top p": (None if p_tr is None else p_tr.max(axis=1), p_te.max(axis=1))}
            if p_tr is not None:
                for kind in ("lr", "iso"):
                    variants[f"cls-{kind}"] = class_conditional(kind, p_tr, y[train], p_te, classes)
            for v, (s_tr, s_te) in variants.items():
                correct_te = classes[p_te.argmax(axis=1)] == y[test]
                r = rows.setdefault(f"{name} | {v}", {"score": [], "correct": [], "routed": []})
                r["score"].append(s_te)
                r["correct"].append(correct_te)
                if s_tr is not None:
                    t = gate_threshold(s_tr, classes[p_tr.argmax(axis=1)] == y[train])
                    r["routed"].append(s_te >= t)
    if args.save:
        pd.concat(saved).to_csv(args.save, index=False)
    print(f"\n### {args.mode}: pooled over {len(splits)} fold(s), {sum(len(t) for _, t in splits)} messages\n")
    print("| probabilities | score | accuracy | acc @ 80 % | acc @ 85 % | routed @ 0.98 | AUC | AUCC | "
          "gate: routed / accuracy |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for key, r in rows.items():
        score, correct = np.concatenate(r["score"]), np.concatenate(r["correct"])
        s = curve_stats(score, correct)
        gate = ""
        if r["routed"]:
            routed = np.concatenate(r["routed"])
            gate = f"{routed.mean():.1%} / {correct[routed].mean():.4f}"
        name, v = key.split(" | ")
        print(f"| {name} | {v} | {s['accuracy']:.4f} | {s['acc@80']:.4f} | {s['acc@85']:.4f} | {s['cov@98']:.1%} | "
              f"{s['auc']:.3f} | {s['aucc']:.4f} | {gate} |")


if __name__ == "__main__":
    main()
