"""Selective routing, fourth round: training-label cleaning, calibration choices, near-duplicate transfer.

Run from the repository root::

    python bench/bench_text_routing_cleaning.py [--folds 0 1 2 3 4] [--scan] [--out A.pkl]
    python bench/bench_text_routing_cleaning.py --merge A.pkl B.pkl

Data: ``gov_messages/messages_labeled_train.csv`` (6,439 real messages), duplicates (same ``text_tokens``) in
one group. Every outer fold of ``StratifiedGroupKFold(5, shuffle=True, random_state=0)`` (fold 0 is the
"held-out fold 0" of docs/text_mining.md) is fitted on its training part and measured on its test part; the
test labels are never changed or read before the measurement. Reported per variant and fold: accuracy of all
test messages, accuracy of the routed messages at 85 % routed (the most confident 85 %), the largest share
routed at accuracy >= 0.98, AUC of right vs wrong; then mean and spread (min-max) over the folds.

Shipped reference (``shipped``): the union SVM (word + character TF-IDF, C=1) and the title SVM (C=0.5), each
calibrated with per-class Platt scaling on 3-fold decision values (``CalibratedClassifierCV(ensemble=False)``),
blended 0.8 / 0.2 — :class:`text_mining.classifier.ComplaintClassifier`'s probabilities.

Variants:

- **cleaning** (confident learning): 5-fold shuffled out-of-fold probabilities of the training messages (the
  shipped blend); a training message is a *label issue* when the probability of its given label is below
  ``q`` and the top probability (another class) is at least ``r`` (``clean q/r``), or by the confident-learning
  rule (``cl``: another class's probability reaches that class's mean self-confidence and beats the given
  label's below its own class threshold). Issues are dropped (``drop``) or fitted with weight 0.3 (``w0.3``)
  in the final models and their calibration.
- **calibration**: isotonic instead of sigmoid (``iso``); a multinomial temperature per model on the 3-fold
  decision values (softmax(s / T), T by log-loss) before blending (``temp``).
- **near-duplicate transfer** (``dup c``): a test message whose cosine to its nearest training message
  (union TF-IDF) is >= c takes that message's label with confidence 1.

``--scan`` instead fits the shipped pair of models once per fold and varies the title weight (0-0.4) and the
gate's rule (the shipped one, or the lower end of a 90 % Wilson interval of the held-out accuracy). ``--merge
A.pkl B.pkl`` prints the summary of runs that computed the folds in separate processes.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.optimize import minimize_scalar
from sklearn.calibration import _SigmoidCalibration
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_predict
from sklearn.svm import LinearSVC

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_text_routing_variants import _chars, _words, load  # noqa: E402 - the same features and data

OUTER = StratifiedGroupKFold(5, shuffle=True, random_state=0)
TARGET = 0.98
TITLE_WEIGHT = 0.2


# ------------------------------------------------------------------------------------------ one model


class Calibrated:
    """A LinearSVC calibrated on 3-fold (unshuffled, as CalibratedClassifierCV) decision values."""

    def __init__(self, x, y, C, weight=None, method="sigmoid"):
        self.classes = np.unique(y)
        cv = StratifiedKFold(3)
        enc = np.searchsorted(self.classes, y)
        scores = np.empty((len(y), len(self.classes)))
        for a, b in cv.split(x, enc):
            m = LinearSVC(C=C, random_state=0).fit(x[a], enc[a], sample_weight=None if weight is None else weight[a])
            scores[b] = m.decision_function(x[b])
        self.svm = LinearSVC(C=C, random_state=0).fit(x, enc, sample_weight=weight)
        self.method, self.C = method, C
        self.cal_scores, self.cal_y = scores, enc
        if method == "sigmoid":
            self.cals = [_SigmoidCalibration().fit(scores[:, k], (enc == k).astype(float), weight)
                         for k in range(len(self.classes))]
        elif method == "iso":
            self.cals = [IsotonicRegression(out_of_bounds="clip").fit(scores[:, k], (enc == k).astype(float), weight)
                         for k in range(len(self.classes))]
        else:  # temperature
            def nll(t):
                p = _softmax(scores / t)
                return -np.log(np.clip(p[np.arange(len(enc)), enc], 1e-12, None)).mean()
            self.T = minimize_scalar(nll, bounds=(0.01, 10), method="bounded").x

    def map(self, scores):
        if self.method == "temp":
            return _softmax(scores / self.T)
        p = np.column_stack([c.predict(scores[:, k]) for k, c in enumerate(self.cals)])
        s = p.sum(axis=1, keepdims=True)
        return np.where(s > 0, p / np.where(s > 0, s, 1), 1 / p.shape[1])

    def proba(self, x):
        return self.map(self.svm.decision_function(x))

    def oof(self, x, y, folds=5):
        """Held-out probabilities of the training messages: shuffled-fold decision values through the calibrators
        (as ComplaintClassifier's gate)."""
        enc = np.searchsorted(self.classes, y)
        s = cross_val_predict(LinearSVC(C=self.C, random_state=0), x, enc,
                              cv=StratifiedKFold(folds, shuffle=True, random_state=0), method="decision_function")
        return self.map(s)


def _softmax(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# ----------------------------------------------------------------------------------------- measures


def stats(p, correct_of):
    """Curve figures of probabilities ``p`` whose top class is right where ``correct_of(p)`` says."""
    return curve(p.max(axis=1), correct_of(p))


def curve(score, correct):
    order = np.argsort(-score, kind="stable")
    acc = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)
    n = len(order)
    ok = np.nonzero(acc >= TARGET)[0]
    return {"accuracy": correct.mean(), "acc@85": acc[round(0.85 * n) - 1],
            "cov@98": (ok.max() + 1) / n if len(ok) else 0.0, "auc": roc_auc_score(correct, score)}


def gate_threshold(score, correct, target=TARGET):
    """The shipped rule (review.py) on its grid 0.30, 0.32, ... 0.98."""
    grid = np.round(np.arange(0.30, 1.0, 0.02), 2)
    meets = np.array([correct[score >= t].mean() >= target if (score >= t).any() else True for t in grid])
    tail = np.logical_and.accumulate(meets[::-1])[::-1]
    return float(grid[tail].min()) if tail.any() else 1.0


def label_issues(p_oof, enc, rule):
    """Boolean mask of training messages whose given label the out-of-fold probabilities contradict."""
    given = p_oof[np.arange(len(enc)), enc]
    top, arg = p_oof.max(axis=1), p_oof.argmax(axis=1)
    if rule == "cl":  # confident learning (Northcutt et al.): per-class mean self-confidence thresholds
        t = np.array([p_oof[enc == k, k].mean() for k in range(p_oof.shape[1])])
        above = p_oof >= t
        above[np.arange(len(enc)), enc] = False
        masked = np.where(above, p_oof, -1)
        return (masked.max(axis=1) > given) & (given < t[enc])
    q, r = rule
    return (arg != enc) & (given < q) & (top >= r)


# ------------------------------------------------------------------------------------------ one fold


def fold_features(texts, tokens, title_tokens, titles, train, test):
    """Word + character TF-IDF of the whole message and of the title alone, fitted on ``train``:
    (message train, message test, title train, title test)."""
    w, c = _words(), _chars()
    u_tr = sparse.hstack([w.fit_transform([tokens[i] for i in train]), c.fit_transform([texts[i] for i in train])]).tocsr()
    u_te = sparse.hstack([w.transform([tokens[i] for i in test]), c.transform([texts[i] for i in test])]).tocsr()
    tw, tc = _words((1, 2), 1), _chars((1, 3), 2)
    t_tr = sparse.hstack([tw.fit_transform([title_tokens[i] for i in train]),
                          tc.fit_transform([titles[i] for i in train])]).tocsr()
    t_te = sparse.hstack([tw.transform([title_tokens[i] for i in test]), tc.transform([titles[i] for i in test])]).tocsr()
    return u_tr, u_te, t_tr, t_te


def run_fold(texts, tokens, title_tokens, titles, y, train, test) -> dict:
    y_tr, y_te = y[train], y[test]
    u_tr, u_te, t_tr, t_te = fold_features(texts, tokens, title_tokens, titles, train, test)
    classes = np.unique(y_tr)
    enc_tr = np.searchsorted(classes, y_tr)

    def correct_of(p):
        return classes[p.argmax(axis=1)] == y_te

    out, seconds = {}, {}

    def blend(weight=None, method="sigmoid", tw_=TITLE_WEIGHT):
        u = Calibrated(u_tr, y_tr, 1.0, weight, method)
        t = Calibrated(t_tr, y_tr, 0.5, weight, method)
        return u, t, (1 - tw_) * u.proba(u_te) + tw_ * t.proba(t_te)

    start = time.process_time()
    u, t, p = blend()
    seconds["shipped"] = time.process_time() - start
    out["shipped"] = stats(p, correct_of)
    out["union only"] = stats(u.proba(u_te), correct_of)
    p_oof = (1 - TITLE_WEIGHT) * u.oof(u_tr, y_tr) + TITLE_WEIGHT * t.oof(t_tr, y_tr)
    oof_correct = classes[p_oof.argmax(axis=1)] == y_tr
    thr = gate_threshold(p_oof.max(axis=1), oof_correct)
    routed = p.max(axis=1) >= thr
    out["shipped"] |= {"gate": thr, "gate routed": routed.mean(), "gate acc": correct_of(p)[routed].mean()}
    base_p = p

    # near-duplicate transfer on the shipped probabilities
    from sklearn.preprocessing import normalize
    sims = normalize(u_te) @ normalize(u_tr).T
    sims = sims.toarray()
    nn = sims.argmax(axis=1)
    nn_sim = sims[np.arange(len(test)), nn]
    for cut in (0.8, 0.9, 0.95):
        q = base_p.copy()
        hit = nn_sim >= cut
        q[hit] = 0
        q[hit, enc_tr[nn[hit]]] = 1.0
        out[f"dup {cut}"] = stats(q, correct_of) | {"dup share": hit.mean(),
                                                    "dup acc": (classes[enc_tr[nn[hit]]] == y_te[hit]).mean()
                                                    if hit.any() else np.nan}

    # calibration choices
    for method in ("iso", "temp"):
        start = time.process_time()
        _, _, p = blend(method=method)
        seconds[method] = time.process_time() - start
        out[method] = stats(p, correct_of)

    # training-label cleaning
    rules = {"clean 0.1/0.8": (0.1, 0.8), "clean 0.2/0.7": (0.2, 0.7), "clean 0.05/0.9": (0.05, 0.9), "cl": "cl"}
    for name, rule in rules.items():
        issues = label_issues(p_oof, enc_tr, rule)
        for mode in ("drop", "w0.3"):
            weight = np.where(issues, 0.0 if mode == "drop" else 0.3, 1.0)
            if mode == "drop":
                keep = ~issues
                u2 = Calibrated(u_tr[keep], y_tr[keep], 1.0)
                t2 = Calibrated(t_tr[keep], y_tr[keep], 0.5)
            else:
                u2 = Calibrated(u_tr, y_tr, 1.0, weight)
                t2 = Calibrated(t_tr, y_tr, 0.5, weight)
            p = (1 - TITLE_WEIGHT) * u2.proba(u_te) + TITLE_WEIGHT * t2.proba(t_te)
            out[f"{name} {mode}"] = stats(p, correct_of) | {"issues": issues.mean()}
    return {"rows": out, "seconds": seconds}


def scan_fold(texts, tokens, title_tokens, titles, y, train, test) -> dict:
    """``--scan``: the shipped pair of models once; the title weight and the gate's rule varied on their outputs.
    Gate rules: the shipped one, and the same on the lower end of a 90 % Wilson interval of the held-out
    accuracy (a threshold whose routed training messages could be below the target by chance is not taken)."""
    y_tr, y_te = y[train], y[test]
    u_tr, u_te, t_tr, t_te = fold_features(texts, tokens, title_tokens, titles, train, test)
    u, t = Calibrated(u_tr, y_tr, 1.0), Calibrated(t_tr, y_tr, 0.5)
    pu, pt, ou, ot = u.proba(u_te), t.proba(t_te), u.oof(u_tr, y_tr), t.oof(t_tr, y_tr)
    rows = {}
    for wt in (0.0, 0.1, 0.2, 0.3, 0.4):
        p, o = (1 - wt) * pu + wt * pt, (1 - wt) * ou + wt * ot
        correct = u.classes[p.argmax(axis=1)] == y_te
        o_correct = u.classes[o.argmax(axis=1)] == y_tr
        row = curve(p.max(axis=1), correct)
        for rule, z in (("gate", 0.0), ("gate wilson90", 1.2816)):
            thr = gate_threshold_z(o.max(axis=1), o_correct, z)
            routed = p.max(axis=1) >= thr
            row |= {f"{rule} t": thr, f"{rule} routed": routed.mean(), f"{rule} acc": correct[routed].mean()}
        rows[f"title {wt}"] = row
    return {"rows": rows, "seconds": {}}


def gate_threshold_z(score, correct, z, target=TARGET):
    """:func:`gate_threshold` with the accuracy replaced by the lower end of its Wilson interval (z = 0: plain)."""
    grid = np.round(np.arange(0.30, 1.0, 0.02), 2)
    meets = []
    for t in grid:
        n = int((score >= t).sum())
        if not n:
            meets.append(True)
            continue
        a = correct[score >= t].mean()
        low = (a + z * z / (2 * n) - z * np.sqrt(a * (1 - a) / n + z * z / (4 * n * n))) / (1 + z * z / n)
        meets.append(low >= target)
    tail = np.logical_and.accumulate(np.array(meets)[::-1])[::-1]
    return float(grid[tail].min()) if tail.any() else 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, nargs="*", default=[0, 1, 2, 3, 4])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/bench_text_routing_tokens.pkl"))
    parser.add_argument("--out", type=Path, help="pickle of the per-fold results")
    parser.add_argument("--scan", action="store_true", help="title weights and gate rules on the shipped models")
    parser.add_argument("--merge", type=Path, nargs="*", help="only print the summary of these --out pickles")
    args = parser.parse_args()
    if args.merge:
        summary({k: v for path in args.merge for k, v in pickle.loads(path.read_bytes()).items()})
        return
    df, texts, tokens, title_tokens, y, groups = load(args.data, args.cache)
    titles = df["title"].fillna("").astype(str).tolist()
    outer = list(OUTER.split(df, y, groups))
    results = {}
    for k in args.folds:
        train, test = outer[k]
        start = time.time()
        results[k] = (scan_fold if args.scan else run_fold)(texts, tokens, title_tokens, titles, y, train, test)
        print(f"fold {k}: {len(train)} train, {len(test)} test, {time.time() - start:.0f} s wall; "
              f"CPU s {({n: round(s, 1) for n, s in results[k]['seconds'].items()})}", flush=True)
        for name, r in results[k]["rows"].items():
            extra = " ".join(f"{key} {v:.3f}" for key, v in r.items() if key not in ("accuracy", "acc@85", "cov@98", "auc"))
            print(f"  {name:22s} acc {r['accuracy']:.4f} acc@85 {r['acc@85']:.4f} cov@98 {r['cov@98']:.1%} "
                  f"AUC {r['auc']:.3f} {extra}", flush=True)
        if args.out:
            args.out.write_bytes(pickle.dumps(results))
    summary(results)


def summary(results: dict) -> None:
    """Mean (min-max) over the folds of ``results`` (fold -> run_fold's result), and the shipped gate per fold."""
    names = list(results[min(results)]["rows"])
    print(f"\n### {len(results)} fold(s) {sorted(results)}: mean (min-max)\n")
    print("| variant | accuracy | acc @ 85 % | routed @ 0.98 | AUC | per fold acc @ 85 % | per fold routed @ 0.98 |")
    print("|---|---:|---:|---:|---:|---|---|")
    for name in names:
        vals = {m: np.array([results[k]["rows"][name][m] for k in sorted(results)])
                for m in ("accuracy", "acc@85", "cov@98", "auc")}
        cell = {m: f"{v.mean():.4f} ({v.min():.4f}-{v.max():.4f})" for m, v in vals.items()}
        cell["cov@98"] = f"{vals['cov@98'].mean():.1%} ({vals['cov@98'].min():.1%}-{vals['cov@98'].max():.1%})"
        print(f"| {name} | {cell['accuracy']} | {cell['acc@85']} | {cell['cov@98']} | {cell['auc']} | "
              f"{' '.join(f'{v:.3f}' for v in vals['acc@85'])} | {' '.join(f'{v:.1%}' for v in vals['cov@98'])} |")
    if "shipped" not in results[min(results)]["rows"]:  # --scan: the gates per fold
        print("\n| variant | gate: threshold / routed / accuracy per fold | Wilson 90 % gate: the same |\n|---|---|---|")
        for name in names:
            cells = [" ; ".join(f"{results[k]['rows'][name][f'{g} t']:.2f} / {results[k]['rows'][name][f'{g} routed']:.1%}"
                                f" / {results[k]['rows'][name][f'{g} acc']:.3f}" for k in sorted(results))
                     for g in ("gate", "gate wilson90")]
            print(f"| {name} | {cells[0]} | {cells[1]} |")
        return
    print("\n| fold | shipped gate: threshold | routed | accuracy of routed | near-duplicates (cosine >= 0.9): share, "
          "their nearest training message's label right |\n|---|---:|---:|---:|---:|")
    for k in sorted(results):
        r, d = results[k]["rows"]["shipped"], results[k]["rows"]["dup 0.9"]
        print(f"| {k} | {r['gate']:.2f} | {r['gate routed']:.1%} | {r['gate acc']:.4f} | "
              f"{d['dup share']:.1%}, {d['dup acc']:.3f} |")


if __name__ == "__main__":
    main()
