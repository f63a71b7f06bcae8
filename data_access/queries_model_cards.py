"""Read-side queries of 模型卡: the stored backtests (table ``derived_model_backtest``, written by
``bianjian eval``) and the review gate's coverage / accuracy curve. Nothing here computes a figure.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.schema import ModelBacktest


def backtest_results(session: Session) -> pd.DataFrame:
    """Every stored backtest row (written by ``bianjian eval``), oldest run first, as stored.

    An empty frame when nothing is stored; the page then says so instead of inventing numbers.
    """
    b = ModelBacktest
    stmt = select(b.model, b.dataset, b.metric, b.value, b.n, b.run_id, b.run_at, b.note).order_by(
        b.run_at, b.backtest_id)
    return pd.DataFrame(session.execute(stmt).mappings().all())


def review_curve(session: Session) -> pd.DataFrame:
    """The latest stored coverage / accuracy curve of each model with a review gate (rows
    ``routed_share@T`` / ``routed_accuracy@T`` of ``derived_model_backtest``, text_mining.review.curve_rows).

    Columns: model, dataset (what it was measured on), run_at, threshold, coverage (share routed
    automatically), accuracy (of those), n.
    """
    b = ModelBacktest
    rows = pd.DataFrame(session.execute(select(b.model, b.dataset, b.run_id, b.run_at, b.metric, b.value, b.n)
                                        .where(b.metric.like("routed\\_%@%", escape="\\"))).all(),
                        columns=["model", "dataset", "run_id", "run_at", "metric", "value", "n"])
    columns = ["model", "dataset", "run_at", "threshold", "coverage", "accuracy", "n"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    latest = rows.sort_values("run_at").groupby("model")["run_id"].last()
    rows = rows[rows["run_id"].isin(latest)]
    parts = rows["metric"].str.extract(r"routed_(share|accuracy)@([0-9.]+)")
    rows = rows.assign(kind=parts[0], threshold=parts[1].astype(float))
    wide = rows.pivot_table(index=["model", "dataset", "run_at", "threshold"], columns="kind",
                            values="value").reset_index()
    n = rows[rows["kind"] == "share"].set_index(["model", "threshold"])["n"]
    wide["n"] = [n.get((m, t)) for m, t in zip(wide["model"], wide["threshold"], strict=True)]
    return wide.rename(columns={"share": "coverage"})[columns].sort_values(["model", "threshold"]).reset_index(drop=True)
