"""Tokenizer benchmark: text_mining.tokenizer (rjieba and jieba backends) vs plain ``jieba.lcut``.

Run from the repository root::

    python bench/bench_text_tokenizer.py [--data ../shared/data] [--n 3000] [--repeats 5]

All variants run side by side in one process on the same texts (title + "。" + body of
``gov_messages/messages_labeled_train.csv``); each timing is the median of ``--repeats`` runs
after one warm-up call. Prints a markdown table to stdout.

Agreement is the token-multiset overlap between two outputs, summed over documents:
Σ |A ∩ B| / Σ max(|A|, |B|); "exact docs" is the share of documents with identical token lists.
"""

from __future__ import annotations

import argparse
import logging
import platform
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import jieba
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from text_mining.tokenizer import cut, tokenize  # noqa: E402


def _time(fn, texts, repeats):
    fn(texts[0])
    runs = []
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = [fn(t) for t in texts]
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs), out


def _agreement(a, b):
    inter = total = exact = 0
    for x, y in zip(a, b, strict=True):
        cx, cy = Counter(x), Counter(y)
        inter += sum((cx & cy).values())
        total += max(len(x), len(y))
        exact += x == y
    return inter / max(total, 1), exact / max(len(a), 1)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    p.add_argument("--n", type=int, default=3000, help="number of messages (0 = all)")
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)

    df = pd.read_csv(Path(args.data) / "gov_messages" / "messages_labeled_train.csv")
    texts = (df["title"].fillna("") + "。" + df["body"].fillna("")).tolist()
    if args.n:
        texts = texts[: args.n]
    chars = sum(map(len, texts))

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    variants = {
        "jieba.lcut (default dict, baseline)": jieba.lcut,
        "cut, backend=jieba (user dict)": lambda t: cut(t, "jieba"),
        "cut, backend=rjieba (user dict)": lambda t: cut(t, "rjieba"),
        "tokenize, backend=jieba (user dict + filter)": lambda t: tokenize(t, "jieba"),
        "tokenize, backend=rjieba (user dict + filter)": lambda t: tokenize(t, "rjieba"),
    }
    results = {name: _time(fn, texts, args.repeats) for name, fn in variants.items()}
    base = results["jieba.lcut (default dict, baseline)"][0]

    print(
        f"Tokenizer throughput on {len(texts):,} gov_messages texts ({chars:,} chars), "
        f"median of {args.repeats} runs, Python {platform.python_version()}, {platform.machine()}\n"
    )
    print("| variant | median s | k chars/s | speed-up vs jieba.lcut |")
    print("|---|---:|---:|---:|")
    for name, (sec, _) in results.items():
        print(f"| {name} | {sec:.3f} | {chars / sec / 1000:,.0f} | {base / sec:.1f}x |")

    pairs = [
        (
            "cut: rjieba vs jieba (same user dict)",
            "cut, backend=rjieba (user dict)",
            "cut, backend=jieba (user dict)",
        ),
        (
            "tokenize: rjieba vs jieba (same user dict)",
            "tokenize, backend=rjieba (user dict + filter)",
            "tokenize, backend=jieba (user dict + filter)",
        ),
        (
            "cut rjieba+user dict vs jieba.lcut default dict",
            "cut, backend=rjieba (user dict)",
            "jieba.lcut (default dict, baseline)",
        ),
    ]
    print("\n| agreement | token agreement | exact docs |")
    print("|---|---:|---:|")
    for label, a, b in pairs:
        tok, docs = _agreement(results[a][1], results[b][1])
        print(f"| {label} | {tok:.2%} | {docs:.2%} |")


if __name__ == "__main__":
    main()
