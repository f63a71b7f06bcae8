"""Cross-seed calibration for the planted backtest: pool the lead precision (per kind and per kind × evidence
tier) that ``bianjian eval planted`` stored in the tuning warehouses, and store it in a held-out warehouse, so
that warehouse's ``eval planted --no-store`` reports ``by_level`` and the delay to the first 红/橙 lead under
levels measured on other seeds — what a deployment calibrated on past data would show.

``.venv/bin/python bench/bench_lead_calibration.py --from sqlite:///var/bt/s21/eval.db sqlite:///var/bt/s22/eval.db
--to sqlite:///var/bt/s11/eval.db``; prints the pooled figures it stored.
"""

from __future__ import annotations

import argparse

from data_access.db import make_engine
from risk_models import backtest, calibration


def pooled(urls: list[str]) -> dict[tuple[str, str], tuple[int, int]]:
    """(model, metric) → (hits, leads) summed over the latest stored planted backtest of each warehouse."""
    out: dict[tuple[str, str], tuple[int, int]] = {}
    for url in urls:
        engine = make_engine(url)
        with engine.connect() as conn:
            measured = calibration.backtest_precision(conn)
        engine.dispose()
        for p in measured.values():
            model = calibration.BACKTEST_MODEL_OF_LEAD_KIND[p.kind]
            metric = calibration.tier_metric(p.tier) if p.tier else "precision"
            hits, n = out.get((model, metric), (0, 0))
            out[model, metric] = (hits + p.hits, n + p.n)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="sources", nargs="+", required=True, help="tuning warehouses (URLs)")
    parser.add_argument("--to", dest="target", required=True, help="warehouse to calibrate (URL)")
    args = parser.parse_args()
    rows = [{"model": model, "dataset": f"{calibration.BACKTEST_DATASET_PREFIX}（调参种子合并）", "metric": metric,
             "value": hits / n, "n": n} for (model, metric), (hits, n) in pooled(args.sources).items() if n]
    backtest.store_rows(make_engine(args.target), rows)
    for r in sorted(rows, key=lambda r: (r["model"], r["metric"])):
        print(f"{r['model']:24} {r['metric']:16} {r['value']:.3f} n={r['n']}")


if __name__ == "__main__":
    main()
