"""Hot-issue evaluation on gov_messages/messages_hot.csv (附件3): heat ranking vs. likes.

Run from the repository root::

    python bench/bench_text_hot_issues.py [--data ../shared/data]

For the default heat index and a likes-free one (``w_engagement=0``) prints, as markdown: the
number of clusters (>= 2 messages), the largest cluster, the overlap of the top-k clusters by
heat with the top-k clusters by summed likes (k = 5, 10, 20), the Spearman correlation of heat
and summed likes over all clusters, the run time, and the top-10 issues.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from text_mining.hot_issues import hot_issues  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    args = p.parse_args(argv)
    df = pd.read_csv(Path(args.data) / "gov_messages" / "messages_hot.csv")

    print(f"messages_hot.csv: {len(df):,} messages, {int(df['likes'].sum()):,} likes\n")
    print(
        "| heat index | clusters | largest | overlap@5 | overlap@10 | overlap@20 | Spearman(heat, likes) | s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    tops = {}
    for label, kwargs in [("default", {}), ("likes-free (w_engagement=0)", {"w_engagement": 0.0})]:
        t0 = time.perf_counter()
        issues, _ = hot_issues(df, **kwargs)
        sec = time.perf_counter() - t0
        by_likes = issues.sort_values(["likes", "cluster_id"], ascending=[False, True])
        overlaps = [
            len(set(issues.head(k)["cluster_id"]) & set(by_likes.head(k)["cluster_id"])) for k in (5, 10, 20)
        ]
        rho = spearmanr(issues["heat"], issues["likes"]).statistic
        print(
            f"| {label} | {len(issues)} | {issues['n_messages'].max()} | {overlaps[0]}/5 | {overlaps[1]}/10 "
            f"| {overlaps[2]}/20 | {rho:.2f} | {sec:.0f} |"
        )
        tops[label] = issues
    for label, issues in tops.items():
        print(f"\nTop 10, {label}:\n")
        print("| rank | heat | messages | users | likes | span days | severity | title |")
        print("|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in issues.head(10).itertuples():
            print(
                f"| {r.rank} | {r.heat:.2f} | {r.n_messages} | {r.n_users} | {int(r.likes)} | {r.span_days:.0f} "
                f"| {r.severity} | {r.title} |"
            )


if __name__ == "__main__":
    main()
