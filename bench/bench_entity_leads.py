"""Entity-lead policy against the demo's truth: how many leads, how many on planted entities, and — with
``--latent`` — how many on entities the generator made as risky as the planted ones.

Run on a demo warehouse (``bianjian demo`` then ``bianjian pipeline --step daily_counts``):
``.venv/bin/python bench/bench_entity_leads.py sqlite:///var/demo.db --latent``; prints a markdown table, one
row per ``min_own_rate`` of :func:`risk_models.entity_leads.select_entity_leads` (0 = no own-record condition).

``--latent`` re-draws the demo's market entities (same seed, scale and end, read from ``app_setting``) to get
the generator's latent risk, which the warehouse does not store. It is a diagnostic of the truth definition
only: nothing here feeds a model or a rule. Columns: ``planted`` (the backtest's truth), ``latent>=3`` (live
entities whose latent risk reaches the boost the generator gives planted ones, ``PLANTED_RISK_BOOST``, or
that were planted) and an oracle row (the 20 live entities of highest latent risk).

A second table gives the backtest's entity recall against the size of the risk-based inspection plan (a share
of live entities, ``backtest.ENTITY_SHARES``, and the old fixed top 30): planted entities in the plan of the
model's ranking, and the entity recall ``eval planted`` counts (plan, entity leads or credit/repeat rules);
with ``--latent`` also planted entities in a plan of the same size ranked by latent risk (a ceiling no model
of the observable record can beat on average).
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

OWN_RATES = (0.0, 0.5, 0.6, 0.7, 0.8)


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
    ap.add_argument("--latent", action="store_true", help="also count leads on entities of planted-level risk")
    args = ap.parse_args()
    engine = make_engine(args.url)
    with engine.connect() as conn:
        as_of = lead_reads.data_as_of(conn)
        truth = set(conn.execute(select(PlantedEvent.subject_uscc).where(
            PlantedEvent.kind == "high_risk_entity")).scalars())
        demo = dict(conn.execute(select(Setting.key, Setting.value)).all())
        tables = entity_leads.load_entity_tables(conn)
        ruled = {x.subject_uscc for x in CreditRule().signals(conn, as_of) + RepeatRule().signals(conn, as_of)
                 if x.subject_uscc}
    scored = entity_leads.score_entities(tables, entity_leads.fit_entity_model(tables, as_of + dt.timedelta(days=1)), as_of)
    scored["planted"] = scored["uscc"].isin(truth)
    header = "| min own rate | leads | on planted | precision (planted) |"
    if args.latent:
        lat = latent_risk(float(demo["demo_scale"]), int(demo["demo_seed"]), dt.date.fromisoformat(demo["demo_end"]))
        scored["latent"] = scored["uscc"].map(lat.set_index("uscc")["latent_risk"])
        if set(lat["uscc"]) != set(tables.subjects["uscc"]):
            raise SystemExit("the re-drawn entities do not match this warehouse")
        scored["wide"] = scored["planted"] | (scored["latent"] >= generator.PLANTED_RISK_BOOST)
        header += " on latent>=3 | precision (latent>=3) |"
    print(f"as of {as_of}; {len(scored)} live entities, {len(truth)} planted"
          + (f", {int(scored['wide'].sum())} planted or latent >= {generator.PLANTED_RISK_BOOST}" if args.latent else ""))
    print(header)
    print("|" + "---|" * header.count(" |"))

    def row(label: str, chosen: pd.DataFrame) -> str:
        n, p = len(chosen), int(chosen["planted"].sum())
        out = f"| {label} | {n} | {p} | {p / n if n else float('nan'):.2f} |"
        if args.latent:
            w = int(chosen["wide"].sum())
            out += f" {w} | {w / n if n else float('nan'):.2f} |"
        return out

    for rate in OWN_RATES:
        print(row(f"{rate:.1f}", entity_leads.select_entity_leads(scored, min_own_rate=rate)))
    if args.latent:
        print(row("oracle: top 20 by latent risk", scored.nlargest(20, "latent")))
    print_plan_recall(scored, truth, ruled | set(entity_leads.select_entity_leads(scored)["uscc"]), args.latent)


def print_plan_recall(scored: pd.DataFrame, truth: set[str], flagged: set[str], latent: bool) -> None:
    """Entity recall against the inspection plan's size; ``flagged`` = entity leads and credit/repeat rules."""
    print()
    header = "| plan | entities | planted in plan | recall (eval planted) |" + (" planted in plan by latent |"
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
