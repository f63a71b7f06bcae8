"""Chicago food-inspection benchmark (paper protocol) for EntityRiskModel.

Run: ``.venv/bin/python bench/bench_risk_chicago.py [--data ../shared/data/chicago_food]``.
Trains on ``Train == 1``, scores ``Test == 1`` and prints AUC, average precision, days earlier,
first-half share and top-20 % precision/recall, with and without ``Inspector_Assigned``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from risk_models import chicago
from risk_models.entity_risk import EntityRiskModel


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path,
                    default=Path(__file__).resolve().parents[2] / "shared" / "data" / "chicago_food")
    ap.add_argument("--estimators", default="hgb,logistic")
    ap.add_argument("--n-jobs", type=int, default=2)
    args = ap.parse_args()
    df = chicago.load_table(args.data)
    print("| model | inspector cluster | test AUC | avg. precision | days earlier (mean / median) | "
          "first-half share (model vs BAU) | found later | top-20 % precision / recall | IForest AUC | fit+score s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for est in args.estimators.split(","):
        for inspector in (True, False):
            t0 = time.perf_counter()
            r = chicago.evaluate(df, inspector=inspector, model=EntityRiskModel(estimator=est, n_jobs=args.n_jobs))
            secs = time.perf_counter() - t0
            print(f"| EntityRiskModel(estimator={est!r}) | {'with' if inspector else 'without'} | {r['auc']:.3f} | "
                  f"{r['average_precision']:.3f} | {r['days_earlier_mean']:.2f} / {r['days_earlier_median']:.0f} | "
                  f"{r['first_half_share_model']:.3f} vs {r['first_half_share_bau']:.3f} | {r['positives_found_later']} | "
                  f"{r['precision_top20']:.3f} / {r['recall_top20']:.3f} | {r['anomaly_auc']:.3f} | {secs:.0f} |", flush=True)


if __name__ == "__main__":
    main()
