"""Chicago food-inspection benchmark (paper protocol) for EntityRiskModel.

Run: ``OMP_NUM_THREADS=1 nice .venv/bin/python bench/bench_risk_chicago.py [--cv] [--models chosen,hgb]``
(on a loaded machine the gradient boosting's OpenMP threads spin against each other: one thread
ran the same CV more than ten times faster at load average 21-29).

Default: trains on ``Train == 1``, scores ``Test == 1`` and prints AUC, average precision, days
earlier, first-half share and top-20 % precision/recall, with and without ``Inspector_Assigned``.
``--cv``: the model choice instead, by time-ordered validation inside the training period only
(``chicago.temporal_folds``); the test split is not read.
"""

from __future__ import annotations

import argparse
import os
import time
from functools import partial
from pathlib import Path

from risk_models import chicago
from risk_models.entity_risk import EntityRiskModel


def _load_note() -> str:
    return "load average " + " / ".join(f"{v:.1f}" for v in os.getloadavg())


def _models(names, n_jobs) -> dict:
    """``chosen``: the configuration picked by ``--cv`` (``chicago.MODEL_PARAMS``); otherwise an estimator name."""
    params = {n: (chicago.MODEL_PARAMS if n == "chosen" else {"estimator": n}) for n in names}
    return {", ".join(f"{k}={v!r}" for k, v in p.items()): partial(EntityRiskModel, **p, n_jobs=n_jobs)
            for p in params.values()}


def run_test(df, models) -> None:
    print("| model | inspector cluster | test AUC | avg. precision | days earlier (mean / median) | "
          "first-half share (model vs BAU) | found later | top-20 % precision / recall | IForest AUC | fit+score s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, make in models.items():
        for inspector in (True, False):
            t0 = time.perf_counter()
            r = chicago.evaluate(df, inspector=inspector, model=make())
            secs = time.perf_counter() - t0
            print(f"| EntityRiskModel({label}) | {'with' if inspector else 'without'} | {r['auc']:.3f} | "
                  f"{r['average_precision']:.3f} | {r['days_earlier_mean']:.2f} / {r['days_earlier_median']:.0f} | "
                  f"{r['first_half_share_model']:.3f} vs {r['first_half_share_bau']:.3f} | {r['positives_found_later']} | "
                  f"{r['precision_top20']:.3f} / {r['recall_top20']:.3f} | {r['anomaly_auc']:.3f} | {secs:.0f} |", flush=True)


def run_cv(df, models) -> None:
    print("| model | inspector cluster | CV AUC per fold (mean) | CV days earlier per fold (mean) | fit+score s |")
    print("|---|---|---|---|---|")
    for label, make in models.items():
        for inspector in (True, False):
            t0 = time.perf_counter()
            r = chicago.cross_validate(df, inspector=inspector, model_factory=make)
            secs = time.perf_counter() - t0
            aucs = " ".join(f"{f['auc']:.3f}" for f in r["folds"])
            days = " ".join(f"{f['days_earlier_mean']:.2f}" for f in r["folds"])
            print(f"| EntityRiskModel({label}) | {'with' if inspector else 'without'} | {aucs} "
                  f"(**{r['auc']:.3f}**) | {days} (**{r['days_earlier_mean']:.2f}**) | {secs:.0f} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path,
                    default=Path(__file__).resolve().parents[2] / "shared" / "data" / "chicago_food")
    ap.add_argument("--models", default="chosen,hgb,logistic",
                    help="comma-separated: chosen (chicago.MODEL_PARAMS) or an estimator name")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--cv", action="store_true", help="validation inside the training period only")
    args = ap.parse_args()
    df = chicago.load_table(args.data)
    print(f"<!-- {_load_note()} at start -->")
    (run_cv if args.cv else run_test)(df, _models(args.models.split(","), args.n_jobs))
    print(f"<!-- {_load_note()} at end -->")


if __name__ == "__main__":
    main()
