"""The risk-based inspection plan against the demo's truth: the entities planted risky throughout (kind
``latent_risk_entity``) in a plan of each size — a share of the live register (``backtest.ENTITY_SHARES``) and
the old fixed top 30 — and the recall counting the credit/repeat rules' hits too.

Run on a demo warehouse (``bianjian demo`` then ``bianjian pipeline --step daily_counts``):
``.venv/bin/python bench/bench_entity_leads.py sqlite:///var/demo.db --latent``; prints a markdown table.

``--latent`` re-draws the demo's market entities (same seed, scale and end, read from ``app_setting``) to get
the generator's latent risk, which the warehouse does not store, and adds the planted entities in a plan of the
same size ranked by latent risk (a ceiling no model of the observable record can beat on average). It is a
diagnostic of the truth definition only: nothing here feeds a model or a rule. Entity *leads* (deterioration,
:mod:`risk_models.deterioration`) are scored by ``bianjian eval planted``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random

import numpy as np
import pandas as pd
from sqlalchemy import select

from data_access import warehouse
from data_access.db import make_engine
from data_access.schema import PlantedEvent, Setting
from demo import generator
from demo.context import Context
from risk_models import backtest, entity_leads, lead_reads
from risk_models.rules import CreditRule, RepeatRule


def latent_risk(scale: float, seed: int, end: dt.date) -> pd.DataFrame:
    """``uscc, latent_risk`` as ``generator.generate`` draws them (its first two steps, in memory)."""
    engine = make_engine("sqlite://")
    warehouse.init(engine)
    with engine.begin() as conn:
        ctx = Context(conn=conn, np_rng=np.random.default_rng(seed), rnd=random.Random(seed), scale=scale,
                      start=end - dt.timedelta(days=365 * generator.YEARS - 1), end=end,
                      batch=f"demo-{seed}-{end:%Y%m%d}",
                      loaded_at=dt.datetime.combine(end + dt.timedelta(days=1), dt.time(2, 0)),
                      progress=lambda _m: None, counts={})
        generator._catalog(ctx, seed)
        subjects = generator._subjects(ctx)
    return subjects[["uscc", "latent_risk"]].drop_duplicates("uscc")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url", help="database URL of a demo warehouse")
    ap.add_argument("--latent", action="store_true", help="also rank a plan of the same size by latent risk")
    args = ap.parse_args()
    engine = make_engine(args.url)
    with engine.connect() as conn:
        as_of = lead_reads.data_as_of(conn)
        truth = set(conn.execute(select(PlantedEvent.subject_uscc).where(
            PlantedEvent.kind == "latent_risk_entity")).scalars())
        demo = dict(conn.execute(select(Setting.key, Setting.value)).all())
        tables = entity_leads.load_entity_tables(conn)
        ruled = {x.subject_uscc for x in CreditRule().signals(conn, as_of) + RepeatRule().signals(conn, as_of)
                 if x.subject_uscc}
    scored = entity_leads.score_entities(tables, entity_leads.fit_entity_model(tables, as_of + dt.timedelta(days=1)), as_of)
    if args.latent:
        lat = latent_risk(float(demo["demo_scale"]), int(demo["demo_seed"]), dt.date.fromisoformat(demo["demo_end"]))
        if set(lat["uscc"]) != set(tables.subjects["uscc"]):
            raise SystemExit("the re-drawn entities do not match this warehouse")
        scored["latent"] = scored["uscc"].map(lat.set_index("uscc")["latent_risk"])
    print(f"as of {as_of}; {len(scored)} live entities, {len(truth)} planted risky throughout")
    print_plan_recall(scored, truth, ruled, args.latent)


def print_plan_recall(scored: pd.DataFrame, truth: set[str], flagged: set[str], latent: bool) -> None:
    """Plan recall against the plan's size; ``flagged`` = the credit/repeat rules' entities."""
    print()
    header = "| plan | entities | planted in plan | recall with the rules |" + (" planted in plan by latent |"
                                                                             if latent else "")
    print(header)
    print("|" + "---|" * header.count(" |"))
    by_latent = scored.sort_values("latent", ascending=False)["uscc"] if latent else None
    plans = [(f"top {backtest.OLD_TOP_K} (old)", backtest.OLD_TOP_K)]
    plans += [(f"{share:.2%}", backtest.plan_size(len(scored), share)) for share in backtest.ENTITY_SHARES]
    for label, k in plans:
        top = set(scored["uscc"].head(k))
        out = f"| {label} | {k} | {len(top & truth)} | {len((top | flagged) & truth) / len(truth):.2f} |"
        if latent:
            out += f" {len(set(by_latent.head(k)) & truth)} |"
        print(out)


if __name__ == "__main__":
    main()
