"""Tokenizer benchmark: ``text_mining.tokenizer.tokenize`` (rjieba fast path) vs plain ``jieba.lcut``.

Run from the repository root::

    nice python bench/bench_text_tokenizer.py [--data ../shared/data] [--n 3000] [--rounds 7]

Like with like: every variant is called once per message on the same strings (title + "。" + body
of ``gov_messages/messages_labeled_train.csv``) in one process, after one untimed warm-up pass of
each. The variants then alternate within each round (the order rotates from round to round), so
a change in machine load hits all of them alike; a round's speed-up is the baseline's time over
the variant's time in that round, and the tables give medians over rounds, both for wall time and
for this process's CPU time (the CPU ratio is the one other jobs on a shared machine disturb least).

Agreement is the token-multiset overlap summed over documents, Σ |A ∩ B| / Σ max(|A|, |B|);
"exact docs" is the share of documents with identical token lists. ``tokenize`` drops stop words,
punctuation and numbers, so it is compared with ``jieba.lcut`` output passed through the same
filter, and with the reference pure-Python backend (``tokenize(..., backend="jieba")``).
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import jieba
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from text_mining.tokenizer import cut, filter_tokens, tokenize  # noqa: E402

BASELINE = "jieba.lcut (default dict, no filter)"


def _load_texts(data: Path, n: int) -> list[str]:
    df = pd.read_csv(data / "gov_messages" / "messages_labeled_train.csv")
    texts = (df["title"].fillna("") + "。" + df["body"].fillna("")).tolist()
    return texts[:n] if n else texts


def _timed(fn, texts) -> tuple[float, float]:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for text in texts:
        fn(text)
    return time.perf_counter() - wall0, time.process_time() - cpu0


def _rounds(variants: dict, texts: list[str], rounds: int) -> dict[str, list[tuple[float, float]]]:
    names = list(variants)
    for fn in variants.values():
        for text in texts:
            fn(text)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            times[name].append(_timed(variants[name], texts))
    return times


def _cut_and_hash(text: str) -> list[int]:
    return list(map(hash, cut(text, "rjieba")))


# Runs of characters outside jieba's Han-block class (CJK ideographs, letters, digits, "+#&._%-"):
# jieba segments each block on its own, so one space in place of such a run keeps the segmentation
# and the kept tokens, and only the tokens of the run itself reach Python as a single " ".
_BETWEEN_BLOCKS = re.compile(r"[^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaffA-Za-z0-9+#&._%\-]+")


def _pre_cleaned_tokenize(text: str) -> list[str]:
    return tokenize(_BETWEEN_BLOCKS.sub(" ", text), "rjieba")


def _agreement(a, b) -> tuple[float, float]:
    inter = total = exact = 0
    for x, y in zip(a, b, strict=True):
        inter += sum((Counter(x) & Counter(y)).values())
        total += max(len(x), len(y))
        exact += x == y
    return inter / max(total, 1), exact / max(len(a), 1)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    p.add_argument("--n", type=int, default=3000, help="number of messages (0 = all)")
    p.add_argument("--rounds", type=int, default=7)
    args = p.parse_args(argv)

    texts = _load_texts(Path(args.data), args.n)
    chars = sum(map(len, texts))
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    variants = {
        BASELINE: jieba.lcut,
        "cut, backend=rjieba (user dict, no filter)": lambda t: cut(t, "rjieba"),
        "tokenize, backend=rjieba (user dict + filter)": lambda t: tokenize(t, "rjieba"),
        # Not a tokenizer: the floor under any filter that looks each fresh token string up in a set or dict
        # (hashing is most of such a look-up), measured so that the filter's share can be judged.
        "cut, backend=rjieba, + hash() of every token (floor of a per-token look-up)": _cut_and_hash,
        # Not a tokenizer either: issue #25's direction 1, fewer tokens reaching Python by collapsing
        # punctuation and whitespace between Han blocks before cutting (same output as tokenize).
        "re.sub(runs between Han blocks -> ' ') + tokenize, backend=rjieba": _pre_cleaned_tokenize,
    }
    load_before = os.getloadavg()
    times = _rounds(variants, texts, args.rounds)
    load_after = os.getloadavg()

    print(
        f"Tokenizer throughput on {len(texts):,} gov_messages texts ({chars:,} chars), {args.rounds} "
        f"alternating rounds, Python {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {load_before[0]:.1f} / {load_before[1]:.1f} / "
        f"{load_before[2]:.1f} before and {load_after[0]:.1f} / {load_after[1]:.1f} / "
        f"{load_after[2]:.1f} after\n"
    )
    print("| variant | median wall s | k chars/s (wall) | speed-up, wall | median CPU s | speed-up, CPU |")
    print("|---|---:|---:|---:|---:|---:|")
    base = times[BASELINE]
    for name, runs in times.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        up_wall = statistics.median(b[0] / r[0] for b, r in zip(base, runs, strict=True))
        up_cpu = statistics.median(b[1] / r[1] for b, r in zip(base, runs, strict=True))
        print(
            f"| {name} | {wall:.3f} | {chars / wall / 1000:,.0f} | {up_wall:.1f}x | {cpu:.3f} | {up_cpu:.1f}x |"
        )
    ranges = {
        name: (
            min(b[1] / r[1] for b, r in zip(base, runs, strict=True)),
            max(b[1] / r[1] for b, r in zip(base, runs, strict=True)),
        )
        for name, runs in times.items()
        if name != BASELINE
    }
    print(
        "\nPer-round CPU speed-up range: "
        + "; ".join(f"{n}: {lo:.1f}x-{hi:.1f}x" for n, (lo, hi) in ranges.items())
    )

    fast = [tokenize(t, "rjieba") for t in texts]
    pairs = {
        "pre-cleaned + tokenize vs tokenize (rjieba)": ([_pre_cleaned_tokenize(t) for t in texts], fast),
        "tokenize rjieba vs tokenize jieba (same user dict, same filter)": (
            fast,
            [tokenize(t, "jieba") for t in texts],
        ),
        "tokenize rjieba vs jieba.lcut default dict + same filter": (
            fast,
            [filter_tokens(jieba.lcut(t)) for t in texts],
        ),
        "cut rjieba vs cut jieba (same user dict, raw tokens)": (
            [cut(t, "rjieba") for t in texts],
            [cut(t, "jieba") for t in texts],
        ),
    }
    print("\n| agreement | token agreement | exact docs |")
    print("|---|---:|---:|")
    for label, (a, b) in pairs.items():
        tok, docs = _agreement(a, b)
        print(f"| {label} | {tok:.2%} | {docs:.2%} |")


if __name__ == "__main__":
    main()
