"""Third round of classifier variants: dense views added to the sparse TF-IDF SVM, on the fixed dev split.

Run from the repository root::

    nice python bench/bench_text_classifier_dense.py [--data ../shared/data] [--only NAME ...]

Same dev split, models and scoring as ``bench_text_classifier_variants.py`` (first 2 inner folds of
outer fold 0's training part; uncalibrated; macro-F1 pooled over both validation folds). The
variants add knowledge that the sparse n-grams lack:

* ``cnsyn``: 75-d word vectors of 129,691 Chinese words shipped inside the ``cnsyn`` wheel
  (``cnsyn/query/words_tree_mini.m``, the data array of a pickled scikit-learn ``BallTree``);
* ``w2v`` / ``fasttext``: word vectors trained locally (gensim 4.4, not a project dependency) on title + body of the training fold
  and of the unlabelled ``messages_hot.csv`` + ``messages_replies.csv`` (messages whose title also
  occurs in the labelled file are left out);
* ``lsa``: truncated SVD of the word + char TF-IDF of the same texts;
* ``taxonomy``: per-label hits of the level-2/3 names of ``label_taxonomy.csv``.

A document vector is the idf-weighted mean of its words' vectors (title twice). Dense blocks are
standardised on the training fold and either appended to the sparse features with a weight
(``+``), or stacked: out-of-fold SVM decision scores (3-fold grouped inside the training fold) and
the dense block go into a logistic regression (``stack``), or blended: SVM scores + beta × the
log-probabilities of a logistic regression on the dense block. Word vectors are also used as a
sparse bag of word clusters (k-means, 500 clusters; cnsyn's synonym sets). Results (none beats the
default): docs/text_mining.md, "Third round of variants". The whole run takes ≈ 25 min on one core.
"""

from __future__ import annotations

import argparse
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_text_classifier_variants import DevSplit, svm  # noqa: E402

from text_mining.classifier import messages_to_text  # noqa: E402
from text_mining.tokenizer import tokenize  # noqa: E402

CNSYN_MODEL = "cnsyn/query/words_tree_mini.m"
CNSYN_DIR = None  # --cnsyn


def cnsyn_root() -> Path:
    """Folder holding ``cnsyn/``: ``--cnsyn`` (an unpacked wheel) or the installed package.

    The package itself cannot be imported on Linux (it loads ``query\\words_tree_mini.m`` with a
    Windows path at import time), so only its files are read.
    """
    if CNSYN_DIR:
        return Path(CNSYN_DIR)
    import importlib.util

    spec = importlib.util.find_spec("cnsyn")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("cnsyn variants need `pip install cnsyn==1.2.0` or --cnsyn DIR (unpacked wheel)")
    return Path(next(iter(spec.submodule_search_locations))).parent


def load_cnsyn_vectors(path: Path) -> dict[str, np.ndarray]:
    """{word: 75-d vector} from cnsyn's pickled BallTree, without scikit-learn's classes."""
    import joblib.numpy_pickle as npk

    class _Stub:  # stands in for BallTree, its metric and sklearn's newObj helper
        def __init__(self, *args, **kwargs):
            pass

        def __setstate__(self, state):
            self.state = state

    class _Unpickler(npk.NumpyUnpickler):
        def find_class(self, module, name):
            if module.startswith("sklearn"):
                return type(name, (_Stub,), {})
            return super().find_class(module, name)

    with open(path, "rb") as fh:
        obj = _Unpickler(str(path), fh, ensure_native_byte_order=True).load()
    emb = np.asarray(obj["model"].state[0], dtype=np.float32)
    return dict(zip(obj["words"], emb, strict=True))


def with_bigrams(tokens: list[str]) -> list[str]:
    """Tokens and their bigrams, as ``TfidfVectorizer(ngram_range=(1, 2))`` makes them."""
    return tokens + [a + " " + b for a, b in zip(tokens, tokens[1:], strict=False)]


def doc_vectors(docs, vectors: dict, idf: dict, dim: int) -> np.ndarray:
    out = np.zeros((len(docs), dim), dtype=np.float64)
    for i, doc in enumerate(docs):
        acc, tot = np.zeros(dim), 0.0
        for tok in doc:
            v = vectors.get(tok)
            if v is not None:
                w = idf.get(tok, 1.0)
                acc += w * v
                tot += w
        if tot:
            out[i] = acc / tot
    return out


class Dense:
    def __init__(self, dev: DevSplit, data: Path):
        self.dev, self.data = dev, data
        self.docs = [t * 2 + b for t, b in zip(dev.title, dev.body, strict=True)]
        labelled = pd.read_csv(data / "gov_messages" / "messages_labeled_train.csv")
        titles = set(labelled["title"].fillna(""))
        extra, self.unlabelled_raw = [], []
        for name in ("messages_hot.csv", "messages_replies.csv"):
            df = pd.read_csv(data / "gov_messages" / name)
            df = df[~df["title"].fillna("").str.replace(r"\s+", "", regex=True).isin(titles)]
            self.unlabelled_raw += list(messages_to_text(df[["title", "body"]], 2))
            extra += [tokenize(t) * 2 + tokenize(b) for t, b in
                      zip(df["title"].fillna(""), df["body"].fillna(""), strict=True)]
        self.unlabelled = extra
        print(f"# {len(self.unlabelled)} unlabelled messages", file=sys.stderr)

    def idf(self, k):
        tr, _ = self.dev.folds[k]
        vec = TfidfVectorizer(analyzer=lambda d: d, min_df=1).fit([self.docs[i] for i in tr])
        return dict(zip(vec.get_feature_names_out(), vec.idf_, strict=True))

    @cache  # noqa: B019
    def block(self, kind: str, **kw) -> tuple:
        out = []
        for k, (tr, va) in enumerate(self.dev.folds):
            if kind == "cnsyn":
                vectors = self._cnsyn_vectors()
                dim = 75
            elif kind in ("w2v", "fasttext"):
                vectors, dim = self._local_vectors(kind, k, **kw)
            elif kind == "lsa":
                out.append(self._lsa(k, **kw))
                continue
            elif kind == "taxonomy":
                out.append(self._taxonomy(k))
                continue
            idf = self.idf(k)
            d_tr = doc_vectors([self.docs[i] for i in tr], vectors, idf, dim)
            d_va = doc_vectors([self.docs[i] for i in va], vectors, idf, dim)
            out.append((d_tr, d_va))
        return tuple(out)

    @cache  # noqa: B019
    def sparse_block(self, kind: str) -> tuple:
        """Word or char TF-IDF as in the default, but idf/min_df counted on train fold + unlabelled."""
        raw_unl = self.unlabelled_raw
        out = []
        for tr, va in self.dev.folds:
            if kind == "word":
                docs = self.docs
                big = [docs[i] for i in tr] + self.unlabelled
                vec = TfidfVectorizer(analyzer=with_bigrams, min_df=2, sublinear_tf=True).fit(big)
                out.append((vec.transform([docs[i] for i in tr]), vec.transform([docs[i] for i in va])))
            else:
                texts = messages_to_text(self.dev.df[["title", "body"]], 2)
                vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), min_df=2, sublinear_tf=True)
                vec.fit([texts[i] for i in tr] + raw_unl)
                out.append((vec.transform([texts[i] for i in tr]), vec.transform([texts[i] for i in va])))
        return tuple(out)

    @cache  # noqa: B019
    def cluster_block(self, kind: str, n_clusters=500) -> tuple:
        """Sparse bag of word clusters: each token replaced by its cluster (k-means over word vectors
        of the corpus vocabulary, or cnsyn's synonym sets for ``kind="synsets"``), then TF-IDF."""
        from sklearn.cluster import MiniBatchKMeans

        out = []
        for k, (tr, va) in enumerate(self.dev.folds):
            if kind == "synsets":
                path = cnsyn_root() / "cnsyn/chinese_dictionary/sim_words.txt"
                assign = {}
                for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
                    for word in line.split():
                        assign.setdefault(word, []).append(f"s{n}")
            else:
                if kind == "cnsyn":
                    vectors = self._cnsyn_vectors()
                else:
                    vectors, _ = self._local_vectors(kind, k)
                vocab = sorted({t for i in tr for t in self.docs[i]} & set(vectors))
                mat = np.array([vectors[t] for t in vocab])
                mat /= np.linalg.norm(mat, axis=1, keepdims=True) + 1e-9
                km = MiniBatchKMeans(n_clusters, random_state=0, n_init=3, batch_size=4096).fit(mat)
                assign = {t: [f"c{c}"] for t, c in zip(vocab, km.labels_, strict=True)}
            if kind not in ("synsets",):
                # words of the validation fold unseen in training: nearest centroid
                for t in {t for i in va for t in self.docs[i]} - set(assign):
                    v = vectors.get(t)
                    if v is not None:
                        v = v / (np.linalg.norm(v) + 1e-9)
                        assign[t] = [f"c{int(km.predict(v[None, :].astype(mat.dtype))[0])}"]
            conv = [[c for t in d for c in assign.get(t, ())] for d in self.docs]
            vec = TfidfVectorizer(analyzer=lambda d: d, min_df=2, sublinear_tf=True)
            a = vec.fit_transform([conv[i] for i in tr])
            out.append((a, vec.transform([conv[i] for i in va])))
        return tuple(out)

    @cache  # noqa: B019
    def _cnsyn_vectors(self):
        path = cnsyn_root() / CNSYN_MODEL
        vec = load_cnsyn_vectors(path)
        vocab = {t for d in self.docs for t in d}
        hit = sum(1 for t in vocab if t in vec)
        toks = [t for d in self.docs for t in d]
        tok_hit = sum(1 for t in toks if t in vec)
        print(f"# cnsyn: {len(vec)} words; covers {hit}/{len(vocab)} types, "
              f"{tok_hit / len(toks):.1%} of tokens", file=sys.stderr)
        return vec

    def _local_vectors(self, kind, k, dim=100, epochs=10, sg=1):
        from gensim.models import FastText, Word2Vec

        tr, _ = self.dev.folds[k]
        sentences = [self.docs[i] for i in tr] + self.unlabelled
        cls = Word2Vec if kind == "w2v" else FastText
        model = cls(sentences, vector_size=dim, window=5, min_count=2, sg=sg, epochs=epochs,
                    workers=1, seed=0)
        if kind == "w2v":
            return {w: model.wv[w] for w in model.wv.index_to_key}, dim

        class _FT(dict):  # fastText gives a vector for every word, via its character n-grams
            def get(self, key, default=None):
                return model.wv[key]
        return _FT(), dim

    def _lsa(self, k, n_components=300):
        tr, va = self.dev.folds[k]
        texts_tr = [self.docs[i] for i in tr]
        vec_w = TfidfVectorizer(analyzer=lambda d: d, min_df=2, sublinear_tf=True)
        vec_w.fit(texts_tr + self.unlabelled)
        svd = TruncatedSVD(n_components, random_state=0).fit(vec_w.transform(texts_tr + self.unlabelled))
        return (svd.transform(vec_w.transform(texts_tr)),
                svd.transform(vec_w.transform([self.docs[i] for i in va])))

    def _taxonomy(self, k):
        tax = pd.read_csv(self.data / "gov_messages" / "label_taxonomy.csv")
        labels = sorted(tax["level1"].unique())
        terms = {}
        for _, row in tax.iterrows():
            for col in ("level2", "level3"):
                for tok in tokenize(str(row[col])):
                    if len(tok) >= 2:
                        terms.setdefault(tok, set()).add(labels.index(row["level1"]))
        tr, va = self.dev.folds[k]

        def feats(idx):
            m = np.zeros((len(idx), len(labels)))
            for r, i in enumerate(idx):
                for tok in set(self.docs[i]):
                    for lab in terms.get(tok, ()):
                        m[r, lab] += 1 / len(terms[tok])
            return np.log1p(m)
        return feats(tr), feats(va)


def scaled(block, weight):
    """Dense block standardised on the training fold, rows scaled to mean norm ``weight``."""
    out = []
    for d_tr, d_va in block:
        sc = StandardScaler().fit(d_tr)
        a, b = sc.transform(d_tr), sc.transform(d_va)
        norm = np.linalg.norm(a, axis=1).mean() or 1.0
        out.append((sparse.csr_matrix(a * weight / norm), sparse.csr_matrix(b * weight / norm)))
    return tuple(out)


def dense_only(C=1.0):
    return lambda x, y, xv, g: LogisticRegression(C=C, max_iter=2000).fit(x, y).predict(xv)


def stacked(dense_dim, C=1.0):
    """OOF SVM scores on the sparse columns + the last ``dense_dim`` (dense) -> logistic regression."""

    def fit_predict(x, y, xv, g):
        n = x.shape[1] - dense_dim
        xs, xd, xvs, xvd = x[:, :n], x[:, n:], xv[:, :n], xv[:, n:]
        if not dense_dim:
            xd, xvd = sparse.csr_matrix((x.shape[0], 0)), sparse.csr_matrix((xv.shape[0], 0))
        inner = StratifiedGroupKFold(3, shuffle=True, random_state=2)
        oof = cross_val_predict(LinearSVC(C=1.0, random_state=0), xs, y, cv=inner, groups=g,
                                method="decision_function")
        dec = LinearSVC(C=1.0, random_state=0).fit(xs, y).decision_function(xvs)
        meta_tr = np.hstack([oof, xd.toarray()])
        meta_va = np.hstack([dec, xvd.toarray()])
        return LogisticRegression(C=C, max_iter=3000).fit(meta_tr, y).predict(meta_va)

    return fit_predict


def blended(dense_dim, beta):
    """SVM decision scores on the sparse columns + beta × log-probabilities of a logistic
    regression on the dense columns (score-level blend, no meta-learner)."""

    def fit_predict(x, y, xv, g):
        n = x.shape[1] - dense_dim
        svc = LinearSVC(C=1.0, random_state=0).fit(x[:, :n], y)
        lr = LogisticRegression(max_iter=2000).fit(x[:, n:].toarray(), y)
        score = svc.decision_function(xv[:, :n]) + beta * lr.predict_log_proba(xv[:, n:].toarray())
        return svc.classes_[score.argmax(1)]

    return fit_predict


def pseudo_docs(dev, tax, weight=1.0):
    """Each taxonomy row (level2 + level3 names, tokenized) becomes one extra training message of its
    level-1 label with sample weight ``weight``; it is vectorised with the fold's own word + char
    vectorizers (``weight=0``: no extra rows, the reference)."""
    tax = tax[tax["level1"].isin(set(dev.y))]  # the taxonomy has 16 level-1 labels, the data 7
    raw = (tax["level2"].astype(str) + "。" + tax["level3"].astype(str)).tolist()
    labels = tax["level1"].to_numpy()
    words = [tokenize(t) for t in raw]
    state = {}

    def fit_predict(x, y, xv, g):
        k = state.setdefault("calls", 0) % len(dev.folds)  # score() calls once per fold, in order
        state["calls"] += 1
        tr, _ = dev.folds[k]
        if k not in state:
            tr, va = dev.folds[k]
            docs = [dev.title[i] * 2 + dev.body[i] for i in range(len(dev.df))]
            texts = messages_to_text(dev.df[["title", "body"]], 2)
            vw = TfidfVectorizer(analyzer=with_bigrams, min_df=2, sublinear_tf=True).fit([docs[i] for i in tr])
            vc = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), min_df=2, sublinear_tf=True)
            vc.fit([texts[i] for i in tr])
            feats = lambda ws, ts: sparse.hstack([vw.transform(ws), vc.transform(ts)]).tocsr()  # noqa: E731
            state[k] = (feats([docs[i] for i in tr], [texts[i] for i in tr]),
                        feats([docs[i] for i in va], [texts[i] for i in va]), feats(words, raw))
        x_tr, x_va, extra = state[k]
        if not weight:
            return LinearSVC(C=1.0, random_state=0).fit(x_tr, y).predict(x_va)
        xx = sparse.vstack([x_tr, extra]).tocsr()
        sw = np.concatenate([np.ones(len(y)), np.full(len(labels), weight)])
        return LinearSVC(C=1.0, random_state=0).fit(xx, np.concatenate([y, labels]), sample_weight=sw).predict(x_va)

    return fit_predict


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    p.add_argument("--only", nargs="*", default=None, help="run only variants whose name contains one of these")
    p.add_argument("--cnsyn", default=None, help="folder of an unpacked cnsyn 1.2.0 wheel")
    args = p.parse_args(argv)
    global CNSYN_DIR
    CNSYN_DIR = args.cnsyn
    data = Path(args.data)
    dev = DevSplit(data)
    dense = Dense(dev, data)
    w, c = dev.block("word"), dev.block("char")
    default = [(1, w), (1, c)]

    def run(name, blocks, fit_predict):
        if args.only and not name.startswith("current") and not any(o in name for o in args.only):
            return
        print(dev.score(name, blocks, fit_predict), flush=True)

    print("| variant | pooled macro-F1 | inner fold 1 / 2 | mean ± sd |")
    print("|---|---:|---:|---:|")
    run("current default: word 1-2 + char 1-2, title ×2, LinearSVC C=1", default, svm())
    run("stack: OOF SVM scores alone → logistic regression", default, stacked(0))
    if not args.only or any("idf" in o for o in args.only):
        run("idf and vocabulary fitted on training fold + unlabelled messages",
            [(1, dense.sparse_block("word")), (1, dense.sparse_block("char"))], svm())
    for kind in ("synsets", "cnsyn", "w2v"):
        if args.only and not any(f"clusters:{kind}" in o for o in args.only):
            continue
        blk = dense.cluster_block(kind)
        for weight in (0.3, 0.6):
            run(f"default + {weight} × bag of clusters:{kind}", [*default, (weight, blk)], svm())
    tax = pd.read_csv(data / "gov_messages" / "label_taxonomy.csv")
    if not args.only or any("pseudo" in o for o in args.only):
        run("same features, vectorizers refitted (reference for the next row)", default, pseudo_docs(dev, tax, 0.0))
        for weight in (0.1, 0.3, 1.0):
            run(f"taxonomy pseudo-documents (level2 + level3 per row), sample weight {weight}, added to training",
                default, pseudo_docs(dev, tax, weight))
    for kind, kw in (("cnsyn", {}), ("taxonomy", {}), ("lsa", {}), ("w2v", {}), ("fasttext", {})):
        if args.only and not any(kind in o for o in args.only):
            continue
        blk = dense.block(kind, **kw)
        run(f"{kind}: logistic regression on the dense block alone", [(1, scaled(blk, 1.0))], dense_only())
        for weight in (0.3, 0.6, 1.0):
            run(f"default + {weight} × {kind} block", [*default, (1, scaled(blk, weight))], svm())
        dim = blk[0][0].shape[1]
        for beta in (0.1, 0.25):
            run(f"blend: SVM scores + {beta} × log-proba of {kind} logistic regression",
                [*default, (1, scaled(blk, 1.0))], blended(dim, beta))
        run(f"stack: OOF SVM scores + {kind} block → logistic regression",
            [*default, (1, scaled(blk, 1.0))], stacked(dim))


if __name__ == "__main__":
    main()
