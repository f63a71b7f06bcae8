"""Quality of the text pipeline's output, measured against the warehouse's own ground truth.

- category: the pipeline's model (:func:`text_mining.warehouse_model.make_category_model`) trained on
  orders accepted before the last ``holdout_months`` months and scored on those months (no leakage:
  the test orders are later than every training order);
- routing: share of transferred orders whose routed department equals the operator's ``main_dept_code``,
  once with the predicted category (what the step writes) and once with the operator's category
  (the rules alone);
- linking: precision and recall of ``linked_subject_uscc`` against ``fact_hotline_ticket.subject_uscc``,
  and the links on orders without a true subject / to a different subject than the true one;
- unlicensed: share of planted unlicensed operators (``truth_planted_event``, evaluation only) whose
  name's core is in an unmatched business mention.

Run after the ``text_features`` step.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score
from sqlalchemy import Connection, func, select

from data_access.schema import ComplaintFeature, HotlineTicket, PlantedEvent
from text_mining.classifier import route
from text_mining.entities import normalize_business_name
from text_mining.features_step import _route_keys, route_table
from text_mining.warehouse_model import make_category_model

__all__ = ["quality_report"]


def quality_report(conn: Connection, holdout_months: int = 3) -> dict[str, float]:
    """All quality numbers of docs/text_pipeline.md as one flat dict."""
    t, f = HotlineTicket, ComplaintFeature
    df = pd.DataFrame(conn.execute(
        select(t.ticket_id, t.accepted_at, t.category_code, t.region_code, t.main_dept_code, t.subject_uscc,
               f.tokens, f.routed_dept_code, f.linked_subject_uscc, f.business_mention)
        .join(f, f.ticket_id == t.ticket_id)).all(),
        columns=["ticket_id", "accepted_at", "category", "region", "main_dept", "subject", "tokens", "routed",
                 "linked", "mention"])
    df["accepted_at"] = pd.to_datetime(df["accepted_at"])
    split = (df["accepted_at"].max().to_period("M") - holdout_months + 1).to_timestamp()
    train, test = df[df["accepted_at"] < split], df[df["accepted_at"] >= split]
    model = make_category_model().fit(train["tokens"], train["category"])
    predicted = model.predict(test["tokens"])
    out = {"train_orders": len(train), "test_orders": len(test), "test_from": split.date().isoformat(),
           "category_accuracy": accuracy_score(test["category"], predicted),
           "category_macro_f1": f1_score(test["category"], predicted, average="macro",
                                         labels=np.unique(test["category"]))}

    transferred = df[df["main_dept"].notna()]
    out["routing_agreement"] = float((transferred["routed"] == transferred["main_dept"]).mean())
    rules = route(pd.DataFrame({"key": _route_keys(transferred["category"], transferred["region"]),
                                "confidence": 1.0}), route_table(conn), category_col="key", default_department="")
    out["routing_agreement_true_category"] = float((rules["department"].to_numpy() == transferred["main_dept"]
                                                    .to_numpy()).mean())

    linked = df[df["linked"].notna()]
    named = df[df["subject"].notna()]
    out["linking_precision"] = float((linked["linked"] == linked["subject"]).mean()) if len(linked) else float("nan")
    out["linking_recall"] = float((named["linked"] == named["subject"]).mean()) if len(named) else float("nan")
    out["linked_orders"], out["named_orders"] = len(linked), len(named)
    # Links on orders without ground truth are not all wrong: the demo sometimes invents a shop name that
    # is also registered in the county. A link to a different subject than the named one is wrong for sure.
    out["linked_without_truth"] = int(linked["subject"].isna().sum())
    out["linked_wrong_subject"] = int((linked["subject"].notna() & (linked["linked"] != linked["subject"])).sum())

    planted = conn.execute(select(PlantedEvent.name).where(PlantedEvent.kind == "unlicensed_operator")).scalars().all()
    unmatched = set(df.loc[df["linked"].isna(), "mention"].dropna())
    out["unlicensed_planted"] = len(planted)
    out["unlicensed_recall"] = (sum(_found(name, unmatched) for name in planted) / len(planted)
                                if planted else float("nan"))
    triaged = conn.execute(select(func.count()).where(f.needs_triage.is_(True))).scalar_one()
    out["triage_share"] = triaged / len(df)
    return out


def _found(name: str, mentions: set[str]) -> bool:
    """A planted name counts as found when an unmatched mention holds its core: extraction drops the
    county in front ("龙亭区小贾拉面馆" → "小贾拉面馆") and may keep a word before it ("原单位益民小吃店")."""
    core = normalize_business_name(name)
    return any(core in mention for mention in mentions)
