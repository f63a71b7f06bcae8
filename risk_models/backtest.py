"""Backtests of the lead generators against the demo's planted truth, and of the detectors on external
benchmarks (NAB, Chicago); every run is stored in ``derived_model_backtest`` for the model cards.

``truth_planted_event`` is read here and only here: the generators never see it.

Match rules (planted event → lead), as stated in docs/risk_leads.md:

* spike: a spike lead replayed over the whole history — an episode of the online SpikeDetector's alarms
  that passes :class:`risk_models.spike_leads.SpikeLeadRule`, one lead per episode as the pipeline writes it —
  same county × category, raised on a day in [start, end + 2 days]; delay = that day − start (the
  detector's raw alarm days and their precision are reported too, as ``alarm_days``/``alarm_precision``);
* trend: a rising-trend lead (last 26 weeks, as of the last day) for the same county × category;
* high_risk_entity (an entity deteriorating from a planted onset day): an entity lead, replayed night by
  night over the last ``ENTITY_REPLAY_DAYS``, names the entity on or after the onset; delay = its first
  flag day − onset. The risk-based inspection plan (the top ``inspection_share`` of live entities by risk
  score, :func:`plan_size`) is a ranking, not a lead: its recall over the entities planted risky throughout
  (kind ``latent_risk_entity``) is reported apart (``plan_recall``, at every share in ``ENTITY_SHARES``, the
  old fixed top 30, and with the credit/repeat rules' hits);
* unlicensed_operator: an unlicensed lead (replayed day by day over the history) in the same county whose
  name matches; delay = the day the rule first fired − start.

Recall = planted events matched by a lead ÷ planted events; precision = leads that match some planted event
÷ leads of those kinds (spike leads over the history, trend leads, entity leads, unlicensed leads): one unit,
leads matched to events. Credit/repeat/silent-source leads are not counted, they do not claim to find planted
events. The demo plants spikes, trends and unlicensed operators over a range of strengths, many below the
rules' thresholds (``detail.strength``), and recall is reported per strength bucket (``recall_by_strength``). Every lead of those kinds counts: a lead on an entity the demo did not
plant is a false positive even when its record looks as risky, since the demo records no risk for it.
"""

from __future__ import annotations

import datetime as dt
import uuid

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score
from sqlalchemy import Connection, Engine, insert, select

import settings
from data_access.queries_enterprise import plan_size
from data_access.schema import ModelBacktest, PlantedEvent
from risk_models import calibration, entity_leads, lead_reads, spike_leads
from risk_models.deterioration import DeteriorationDetector
from risk_models.rules import CreditRule, RepeatRule, UnlicensedRule
from risk_models.trends import detect_trends_frame
from text_mining.entities import normalize_business_name

SPIKE_GRACE_DAYS = 2
TREND_WEEKS = 26
# The risk-based inspection plan whose members count as detected: a share of the live register, so it grows
# with the city. 1 % is what a Henan-style 双随机 plan gives the high-risk grade in a year (D grade 1.5-3.5 %
# of firms, sampled at 30 %), and a quarter of the 3-5 % of entities spot-checked a year (docs/risk_leads.md).
# The declared default of the setting that sizes the plan users see (企业画像), so both count the same plan.
INSPECTION_SHARE = float(settings.SETTINGS_BY_NAME["inspection_plan_share"].default)
ENTITY_SHARES = (0.0025, 0.005, 0.01, 0.02)  # the sensitivity reported beside it
OLD_TOP_K = 30  # the fixed depth used before, kept in the output for comparison
# Nights of entity leads replayed: the demo's deteriorations start 30-120 days before its end
# (demo.hotline.ENTITY_ONSET_DAYS), so every one, and every false lead of the same period, is in the replay.
ENTITY_REPLAY_DAYS = 120


def _strength(kind: str, magnitude: float, detail: dict | None) -> float:
    """A planted event's strength (``detail.strength``; warehouses built before it was recorded: the same
    figure from the detail the generator always wrote)."""
    detail = detail or {}
    if "strength" in detail:
        return float(detail["strength"])
    if kind == "spike" and detail.get("extra_per_day"):
        return float(np.mean(detail["extra_per_day"]))
    if kind == "trend" and "rise_per_day" in detail:
        return float(detail["rise_per_day"]) / max(float(detail.get("baseline_per_day") or 0.0), 0.1)
    if kind == "unlicensed_operator" and "complaints" in detail:
        return float(detail["complaints"])
    return float(magnitude)


def _planted(conn: Connection) -> pd.DataFrame:
    df = pd.DataFrame(conn.execute(select(PlantedEvent.planted_id, PlantedEvent.kind, PlantedEvent.region_code,
                                          PlantedEvent.category_code, PlantedEvent.subject_uscc, PlantedEvent.name,
                                          PlantedEvent.dept_code, PlantedEvent.start_day, PlantedEvent.end_day,
                                          PlantedEvent.magnitude, PlantedEvent.detail)).all(),
                      columns=["planted_id", "kind", "region_code", "category_code", "subject_uscc", "name",
                               "dept_code", "start_day", "end_day", "magnitude", "detail"])
    df["start_day"], df["end_day"] = pd.to_datetime(df["start_day"]), pd.to_datetime(df["end_day"])
    df["strength"] = [_strength(k, m, d) for k, m, d in zip(df["kind"], df["magnitude"], df["detail"], strict=True)]
    return df


# Strength buckets of the detection curve (lower edges), per planted kind, in the unit the generator plants
# them: spikes in mean extra complaints a day (SpikeLeadRule needs 8 above the usual level within 3 days),
# trends in their 180-day rise as a multiple of the baseline, unlicensed operators in reports (the rule
# needs 3 in 30 days), deteriorating entities in extra complaints per 30 days.
STRENGTH_EDGES = {"spike": (0.0, 2.0, 4.0, 6.0), "trend": (0.0, 0.5, 1.0, 1.5),
                  "unlicensed_operator": (1.0, 2.0, 3.0, 5.0), "high_risk_entity": (0.0, 2.0, 3.0, 4.0, 6.0)}


def _bucket(kind: str, strength: float) -> str:
    edges = STRENGTH_EDGES[kind]
    i = max(int(np.searchsorted(edges, strength, side="right")) - 1, 0)
    return f"≥{edges[i]:g}" if i == len(edges) - 1 else f"{edges[i]:g}–{edges[i + 1]:g}"


# Materiality per planted kind, in the unit of its strength: the events the recall goal is about (docs/risk_leads.md):
# spikes of >= 4 extra complaints a day, trends rising >= 1.5x their baseline, unlicensed operators named in >= 3
# reports, entities deteriorating by >= 3 extra complaints a month. `material_recall` counts only these.
MATERIALITY = {"spike": 4.0, "trend": 1.5, "unlicensed_operator": 3.0, "high_risk_entity": 3.0}
EARLY, FULL = calibration.EARLY_TIER, calibration.FULL_TIER


def _tier_days(first_day, full_day) -> dict:
    """The day a lead first stood on each evidence tier: raised on ``first_day``, of the full tier from
    ``full_day`` (``None``: never)."""
    if full_day is not None and pd.Timestamp(full_day) <= pd.Timestamp(first_day):
        return {FULL: first_day}
    return {EARLY: first_day} if full_day is None else {EARLY: first_day, FULL: full_day}


def _event_tier_delays(onset: pd.Timestamp, leads: list[dict]) -> dict:
    """Per tier, days from ``onset`` to the first matching lead standing on it (``leads``: tier → day each)."""
    out: dict[str, int] = {}
    for days in leads:
        for tier, day in days.items():
            d = (pd.Timestamp(day) - onset).days
            out[tier] = min(out.get(tier, d), d)
    return out


def _by_strength(kind: str, detected: list[bool], strengths: list[float]) -> dict:
    """Recall per strength bucket: the detection curve."""
    out: dict[str, dict] = {}
    for label in [_bucket(kind, e) for e in STRENGTH_EDGES[kind]]:
        hits = [d for d, s in zip(detected, strengths, strict=True) if _bucket(kind, s) == label]
        out[label] = {"events": len(hits), "detected": int(sum(hits)),
                      "recall": float(np.mean(hits)) if hits else None}
    return out


def _summary(detected: list[bool], matched: list[bool], delays: list[float], *, kind: str,
             strengths: list[float], lead_tiers: list[list[str]] | None = None,
             tier_delays: list[dict] | None = None) -> dict:
    """A kind's figures. ``lead_tiers``: the evidence tiers each lead stood on, in order (default: the full
    tier only); ``tier_delays``: per detected event, tier → days from onset to its first lead on that tier."""
    lead_tiers = lead_tiers if lead_tiers is not None else [[FULL]] * len(matched)
    tier_delays = tier_delays if tier_delays is not None else [{FULL: int(d)} for d in delays]
    material = [d for d, st in zip(detected, strengths, strict=True) if st >= MATERIALITY[kind]]
    tiers = {}
    for tier in calibration.TIER_NAMES:
        hits = [m for m, ts in zip(matched, lead_tiers, strict=True) if tier in ts]
        if hits:
            tiers[tier] = {"leads": len(hits), "matched": int(sum(hits)), "precision": float(np.mean(hits))}
    return {"events": len(detected), "detected": int(sum(detected)),
            "recall": float(np.mean(detected)) if detected else None,
            "material_events": len(material), "material_detected": int(sum(material)),
            "material_recall": float(np.mean(material)) if material else None,
            "leads": len(matched), "matched_leads": int(sum(matched)),
            "precision": float(np.mean(matched)) if matched else None,
            "median_delay_days": float(np.median(delays)) if delays else None, "delays_days": [int(d) for d in delays],
            "tiers": tiers, "lead_tiers": lead_tiers, "lead_matched": [bool(m) for m in matched],
            "tier_delays": tier_delays, "recall_by_strength": _by_strength(kind, detected, strengths)}


def _spike_match(ev: pd.DataFrame, district: str, category: str, day: pd.Timestamp) -> bool:
    return bool(((ev["region_code"] == district) & (ev["category_code"] == category) & (ev["start_day"] <= day)
                 & (ev["end_day"] + pd.Timedelta(days=SPIKE_GRACE_DAYS) >= day)).any())


def backtest_spikes(planted: pd.DataFrame, spikes: pd.DataFrame, rule: spike_leads.SpikeLeadRule | None = None, *,
                    replayed: list[dict] | None = None) -> dict:
    """Spike leads replayed over the history (:class:`spike_leads.SpikeLeadRule` episodes, one lead each, raised
    on ``lead_day``) against planted spikes; the detector's raw alarm days are reported alongside. Each
    replayed lead, with whether it matched, is appended to ``replayed`` when given."""
    episodes = (rule or spike_leads.SpikeLeadRule()).episodes(spikes)
    ev = planted[planted["kind"] == "spike"]
    detected, delays = [], []
    for e in ev.itertuples():
        hit = episodes[(episodes["district"] == e.region_code) & (episodes["category"] == e.category_code)
                       & (episodes["lead_day"] >= e.start_day)
                       & (episodes["lead_day"] <= e.end_day + pd.Timedelta(days=SPIKE_GRACE_DAYS))]
        detected.append(not hit.empty)
        if not hit.empty:
            delays.append((hit["lead_day"].min() - e.start_day).days)
    matched = [_spike_match(ev, x.district, x.category, x.lead_day) for x in episodes.itertuples()]
    if replayed is not None:
        replayed += [{"kind": "spike", "region_code": x.district, "category_code": x.category, "day": x.lead_day.date(),
                      "matched": m} for x, m in zip(episodes.itertuples(), matched, strict=True)]
    out = _summary(detected, matched, delays, kind="spike", strengths=list(ev["strength"]))
    alarms = spikes[spikes["alarm"] == 1]
    alarm_matched = [_spike_match(ev, a.district, a.category, a.date) for a in alarms.itertuples()]
    out.update(alarm_days=len(alarms), alarm_precision=float(np.mean(alarm_matched)) if alarm_matched else None)
    return out


def backtest_trends(planted: pd.DataFrame, frame: pd.DataFrame, as_of: dt.date) -> dict:
    res = detect_trends_frame(frame, window=TREND_WEEKS)
    rising = res[res["rising"]]
    ev = planted[(planted["kind"] == "trend") & (planted["end_day"] >= pd.Timestamp(as_of) - pd.Timedelta(days=180))]
    keyed = res.set_index(["district", "category"])
    detected, testable = [], []
    for e in ev.itertuples():
        detected.append(bool(((rising["district"] == e.region_code) & (rising["category"] == e.category_code)).any()))
        key = (e.region_code, e.category_code)
        testable.append(bool(key in keyed.index and keyed.loc[key, "tested"]))
    matched = [bool(((ev["region_code"] == r.district) & (ev["category_code"] == r.category)).any())
               for r in rising.itertuples()]
    out = _summary(detected, matched, [], kind="trend", strengths=list(ev["strength"]))
    # Series with fewer complaints than the detector's own min_total in the window are never tested.
    out["testable_events"] = int(sum(testable))
    out["recall_testable"] = (float(np.mean([d for d, t in zip(detected, testable, strict=True) if t]))
                              if any(testable) else None)
    return out


def backtest_entities(conn: Connection, planted: pd.DataFrame, as_of: dt.date, *,
                      inspection_share: float = INSPECTION_SHARE,
                      detector: DeteriorationDetector | None = None) -> tuple[dict, dict]:
    tables = entity_leads.load_entity_tables(conn)
    model = entity_leads.fit_entity_model(tables, as_of + dt.timedelta(days=1))
    scored = entity_leads.score_entities(tables, model, as_of)
    detector = detector or DeteriorationDetector()
    # The lead unit: entity leads replayed night by night over the last ENTITY_REPLAY_DAYS (one per episode,
    # raised on its first flag day) against the planted deteriorations; found when a lead names the entity on
    # or after its onset, delay = that day - onset.
    days = [as_of - dt.timedelta(days=d) for d in range(ENTITY_REPLAY_DAYS - 1, -1, -1)]
    episodes = detector.episodes(detector.scan(tables.tickets, scored, days))
    ev = planted[planted["kind"] == "high_risk_entity"]
    onset = dict(zip(ev["subject_uscc"], ev["start_day"], strict=True))
    lead_day = pd.to_datetime(episodes["lead_day"])
    matched = [u in onset and d >= onset[u] for u, d in zip(episodes["uscc"], lead_day, strict=True)]
    lead_days = [_tier_days(d, f) for d, f in zip(lead_day, episodes["full_day"], strict=True)]
    detected, delays, tier_delays = [], [], []
    for e in ev.itertuples():
        hit = np.flatnonzero(((episodes["uscc"] == e.subject_uscc) & (lead_day >= e.start_day)).to_numpy())
        detected.append(len(hit) > 0)
        if len(hit):
            delays.append((lead_day.iloc[hit].min() - e.start_day).days)
            tier_delays.append(_event_tier_delays(e.start_day, [lead_days[i] for i in hit]))
    out = _summary(detected, matched, delays, kind="high_risk_entity", strengths=list(ev["strength"]),
                   lead_tiers=[list(d) for d in lead_days], tier_delays=tier_delays)
    # The inspection plan is a ranking, not a lead: its recall, over the entities planted risky throughout, is
    # reported on its own, and with the credit/repeat rules' hits (what a department would reach by acting on
    # plan and rules together).
    lead_set = set(episodes["uscc"])
    ruled = {s.subject_uscc for s in CreditRule().signals(conn, as_of) + RepeatRule().signals(conn, as_of)
             if s.subject_uscc}
    truth = list(planted.loc[planted["kind"] == "latent_risk_entity", "subject_uscc"])
    truth_set = set(truth)

    def in_plan(k: int) -> tuple[list[bool], int]:
        top = set(scored.head(k)["uscc"])
        return [u in top for u in truth], len(top & truth_set)

    top_k = plan_size(len(scored), inspection_share)
    planned, in_top = in_plan(top_k)
    planned30, in_top30 = in_plan(OLD_TOP_K)
    out.update(plan_events=len(truth), live_entities=len(scored), inspection_share=inspection_share, top_k=top_k,
               in_top_k=in_top,
               precision_at_k=in_top / top_k, plan_recall=float(np.mean(planned)) if truth else None,
               plan_or_rule_recall=float(np.mean([p or u in lead_set or u in ruled
                                                  for p, u in zip(planned, truth, strict=True)])) if truth else None,
               plan_recall_top30=float(np.mean(planned30)) if truth else None, in_top30=in_top30,
               plan_recall_by_share={str(sh): float(np.mean(in_plan(plan_size(len(scored), sh))[0])) if truth else None
                                     for sh in ENTITY_SHARES})
    # Time-based hold-out of the model itself: fit before the last 180 days, test on them.
    cut = as_of - dt.timedelta(days=179)
    held = entity_leads.fit_entity_model(tables, cut)
    test = tables.inspections[tables.inspections["day"] >= pd.Timestamp(cut)].reset_index(drop=True)
    X = entity_leads.entity_features(tables, test["uscc"], test["day"])
    y, p = test["has_problem"].astype(int).to_numpy(), held.risk_score(X)
    grade = X["credit_grade"].fillna(2.0).to_numpy()
    holdout = {"holdout_inspections": len(test), "holdout_positive_rate": float(y.mean()),
               "auc": float(roc_auc_score(y, p)), "average_precision": float(average_precision_score(y, p)),
               "auc_credit_grade_baseline": float(roc_auc_score(y, grade))}
    return out, holdout


def _same_name(a: str, b: str) -> bool:
    na, nb = normalize_business_name(a), normalize_business_name(b)
    return bool(na and nb and (na == nb or na in nb or nb in na))


def backtest_unlicensed(conn: Connection, planted: pd.DataFrame, start: dt.date, as_of: dt.date, *,
                        replayed: list[dict] | None = None) -> dict:
    found = UnlicensedRule().repeated_unregistered(conn, start, as_of)
    ev = planted[planted["kind"] == "unlicensed_operator"]
    lead_days = [_tier_days(a, b) for a, b in zip(found["first_day"], found["full_day"], strict=True)]
    detected, delays, tier_delays = [], [], []
    for e in ev.itertuples():
        same = [_same_name(m, e.name) for m in found["mention"]]
        hit = np.flatnonzero((found["region_code"] == e.region_code).to_numpy() & np.array(same, dtype=bool))
        detected.append(len(hit) > 0)
        if len(hit):
            delays.append((pd.Timestamp(found["first_day"].iloc[hit].min()) - e.start_day).days)
            tier_delays.append(_event_tier_delays(e.start_day, [lead_days[i] for i in hit]))
    matched = [any(r == f.region_code and _same_name(f.mention, n) for r, n in zip(ev["region_code"], ev["name"],
                                                                                    strict=True))
               for f in found.itertuples()]
    if replayed is not None:
        replayed += [{"kind": "unlicensed", "region_code": f.region_code, "name": f.mention,
                      "day": pd.Timestamp(f.first_day).date(), "tier": next(iter(days)), "matched": m}
                     for f, m, days in zip(found.itertuples(), matched, lead_days, strict=True)]
    return _summary(detected, matched, delays, kind="unlicensed_operator", strengths=list(ev["strength"]),
                    lead_tiers=[list(d) for d in lead_days], tier_delays=tier_delays)


def planted_backtest(engine: Engine, *, inspection_share: float = INSPECTION_SHARE, store: bool = True,
                     n_jobs: int = 2, demo_feedback: bool = False) -> dict:
    """Recall, precision and delay of every lead generator against ``truth_planted_event``; stored when
    ``store``. With ``demo_feedback`` the replayed past spike and unlicensed leads are written as closed
    leads carrying the verdict the planted truth implies (:func:`risk_models.demo_feedback.write`), so a new
    demo's learning loop has feedback to learn from. Returns a JSON-ready dict (overall and per kind)."""
    replayed: list[dict] = []
    with engine.connect() as conn:
        as_of = lead_reads.data_as_of(conn)
        if as_of is None:
            raise ValueError("no complaint counts in the warehouse: run `bianjian pipeline daily_counts` first")
        planted = _planted(conn)
        frame = lead_reads.daily_frame(conn, as_of)
        first_day = frame["date"].min().date()
        spikes = spike_leads.city_spikes(frame, n_jobs=n_jobs)
        kinds = {"spike": backtest_spikes(planted, spikes, replayed=replayed),
                 "trend": backtest_trends(planted, frame, as_of)}
        kinds["high_risk_entity"], holdout = backtest_entities(conn, planted, as_of,
                                                                       inspection_share=inspection_share)
        kinds["unlicensed_operator"] = backtest_unlicensed(conn, planted, first_day, as_of, replayed=replayed)
        series = frame.groupby(["district", "category"]).ngroups
        precisions = calibration.kind_precisions(conn)
        ranking = ranking_warnings(conn, planted, as_of)
    events = sum(k["events"] for k in kinds.values())
    leads_n = sum(k["leads"] for k in kinds.values())
    # Overall delay: events with an onset day (spike, entity and unlicensed detections); trends ramp up slowly.
    delays = (kinds["spike"]["delays_days"] + kinds["high_risk_entity"]["delays_days"]
              + kinds["unlicensed_operator"]["delays_days"])
    ent = kinds["high_risk_entity"]
    material = sum(k["material_events"] for k in kinds.values())
    result = {
        "as_of": as_of.isoformat(), "data": f"{first_day}–{as_of}，{series} 条区县×类别序列",
        "recall": sum(k["detected"] for k in kinds.values()) / events if events else None,
        "material_recall": sum(k["material_detected"] for k in kinds.values()) / material if material else None,
        "materiality": MATERIALITY,
        "precision": sum(k["matched_leads"] for k in kinds.values()) / leads_n if leads_n else None,
        "median_delay_days": float(np.median(delays)) if delays else None,
        "plan_recall": ent["plan_recall"],
        "recall_by_strength": {kind: k["recall_by_strength"] for kind, k in kinds.items()},
        **by_level(kinds, precisions),
        **warning_delays(kinds, precisions),
        "ranking_warnings": ranking,
        "kinds": kinds, "entity_model_holdout": holdout,
    }
    if store:
        store_planted(engine, result)
    if demo_feedback:
        from risk_models import demo_feedback as feedback

        result["demo_feedback_leads"] = feedback.write(engine, replayed, as_of)
    return result


LEAD_KIND_OF = {"spike": "spike", "trend": "trend", "high_risk_entity": "entity", "unlicensed_operator": "unlicensed"}


def by_level(kinds: dict, precisions: dict[str, calibration.KindPrecision]) -> dict:
    """Leads and their precision by the level they reach (the highest calibrated level of the evidence tiers
    they stood on, under the calibration in force in the warehouse before this run: department feedback,
    else the last stored backtest, else capped at 黄), and what each kind × tier's level stands on."""
    levels: dict[str, dict] = {}
    basis = {}
    for kind, k in kinds.items():
        lead_kind = LEAD_KIND_OF[kind]
        basis[kind] = {}
        for tier in calibration.TIER_NAMES if lead_kind in calibration.TIERED_KINDS else (FULL,):
            p = calibration.precision_for(precisions, lead_kind, tier)
            basis[kind][tier] = {"level": calibration.level_for_kind(precisions, lead_kind, tier),
                                 "source": p.source if p else None, "hits": p.hits if p else None,
                                 "n": p.n if p else None}
        for tiers, hit in zip(k["lead_tiers"], k["lead_matched"], strict=True):
            level = calibration.highest(calibration.level_for_kind(precisions, lead_kind, t) for t in tiers)
            row = levels.setdefault(level, {"leads": 0, "matched": 0})
            row["leads"] += 1
            row["matched"] += int(hit)
    for row in levels.values():
        row["precision"] = row["matched"] / row["leads"] if row["leads"] else None
    ordered = {lv: levels[lv] for lv, _ in (*calibration.LEVEL_TARGETS, (calibration.WATCH_LEVEL, 0)) if lv in levels}
    return {"by_level": ordered, "level_basis": basis}


WARNING_LEVELS = ("RED", "ORANGE")  # a lead at one of these levels is a warning, not only a lead


def warning_delays(kinds: dict, precisions: dict[str, calibration.KindPrecision]) -> dict:
    """Delay to the first 红/橙 lead (a lead may start lower and rise with its evidence): per kind and over
    the kinds with an onset day, under the calibration in force; ``detected_red_orange`` counts the events
    ever reached by a red or orange lead."""
    out, pooled = {}, []
    for kind, k in kinds.items():
        if kind == "trend":
            continue
        delays = []
        for tier_delays in k["tier_delays"]:
            warned = [d for t, d in tier_delays.items()
                      if calibration.level_for_kind(precisions, LEAD_KIND_OF[kind], t) in WARNING_LEVELS]
            if warned:
                delays.append(min(warned))
        pooled += delays
        out[kind] = {"detected_red_orange": len(delays),
                     "median_delay_days": float(np.median(delays)) if delays else None}
    return {"red_orange_delay": {"median_delay_days": float(np.median(pooled)) if pooled else None,
                                 "detected_red_orange": len(pooled), "kinds": out}}


RANKING_MONTHS = 12  # complete months the ranking check covers


def ranking_warnings(conn: Connection, planted: pd.DataFrame, as_of: dt.date) -> dict | None:
    """How the rankings' 黄/红 warnings (:func:`evaluation.scoring.rank_units`) meet the planted slow
    departments over the last ``RANKING_MONTHS`` complete months before ``as_of``: planted units warned in
    the last of them (and the share of months they were warned), unplanted units warned red per month.
    ``None`` when the mart is empty (run the pipeline's ``indicators`` step)."""
    from sqlalchemy.orm import Session

    from data_access.scope import SYSTEM
    from evaluation import scoring

    slow = set(planted.loc[planted["kind"] == "slow_department", "dept_code"])
    with Session(bind=conn) as session:
        config = scoring.load_config(session)
        frames = []
        for group in ("COUNTY", "DEPARTMENT"):
            values = scoring.ranking_values(session, SYSTEM, group=group)
            if not values.empty:
                frames.append(scoring.rank_units(values, config, group))
    if not frames:
        return None
    ranked = pd.concat(frames, ignore_index=True)
    complete = f"{as_of:%Y-%m}" if (as_of + dt.timedelta(days=1)).day == 1 else f"{as_of.replace(day=1) - dt.timedelta(days=1):%Y-%m}"
    months = sorted(m for m in ranked["month"].unique() if m <= complete)[-RANKING_MONTHS:]
    if not months:
        return None
    ranked = ranked[ranked["month"].isin(months)]
    warned = ranked["status"].isin(["yellow", "red"])
    last = ranked[(ranked["month"] == months[-1]) & warned]
    planted_rows = ranked[ranked["unit_code"].isin(slow)]
    unplanted = ranked[~ranked["unit_code"].isin(slow)]
    return {"planted_units": len(slow), "planted_warned": int(len(slow & set(last["unit_code"]))),
            "planted_warned_month_share": float(warned[planted_rows.index].mean()) if len(planted_rows) else None,
            "months": f"{months[0]}–{months[-1]}",
            "unplanted_red_per_month": int((unplanted["status"] == "red").sum()) / len(months),
            "unplanted_yellow_per_month": int((unplanted["status"] == "yellow").sum()) / len(months)}


MODEL_OF_KIND = {"spike": "SpikeDetector", "trend": "TrendDetector", "high_risk_entity": "DeteriorationDetector",
                 "unlicensed_operator": "UnlicensedRule"}
# The inspection plan's figures belong to the model that ranks it, not to the entity leads' detector.
PLAN_MODEL, PLAN_METRICS = "EntityRiskModel", ("plan_recall", "precision_at_k")


def store_rows(engine: Engine, rows: list[dict]) -> str:
    """Insert backtest rows (model, dataset, metric, value, n, note) under one new run id."""
    run_id, run_at = uuid.uuid4().hex[:16], dt.datetime.now().replace(microsecond=0)
    values = [{"run_id": run_id, "run_at": run_at, "n": None, "note": None, **r} for r in rows if r["value"] is not None]
    with engine.begin() as conn:
        if values:
            conn.execute(insert(ModelBacktest), values)
    return run_id


def store_planted(engine: Engine, result: dict) -> str:
    dataset = f"演示仓库植入事件 {result['data']}"
    rows = [{"model": "线索生成（全部）", "dataset": dataset, "metric": m, "value": result[m]}
            for m in ("recall", "material_recall", "precision", "median_delay_days")]
    for kind, k in result["kinds"].items():
        rows += [{"model": MODEL_OF_KIND[kind], "dataset": dataset, "metric": calibration.tier_metric(tier),
                  "value": t["precision"], "n": t["leads"]} for tier, t in k["tiers"].items()]
        for m in ("recall", "precision", "median_delay_days", "recall_testable", "plan_recall", "precision_at_k",
                  "alarm_precision"):
            if m in k:
                rows.append({"model": PLAN_MODEL if m in PLAN_METRICS else MODEL_OF_KIND[kind], "dataset": dataset,
                             "metric": m, "value": k[m],
                             "n": k["events"] if m.startswith("recall") else k["alarm_days"] if m == "alarm_precision"
                             else k["top_k"] if m == "precision_at_k" else k["plan_events"] if m == "plan_recall"
                             else k["leads"]})  # what the rate is over
    for m, v in result["entity_model_holdout"].items():
        if m not in ("holdout_inspections", "holdout_positive_rate"):
            rows.append({"model": "EntityRiskModel", "dataset": f"{dataset}；最近180天检查为时间外样本", "metric": m,
                         "value": v, "n": result["entity_model_holdout"]["holdout_inspections"]})
    return store_rows(engine, rows)


def external_backtest(engine: Engine | None, shared_data, *, store: bool = True) -> dict:
    """NAB (the production SpikeDetector's 0/1 alarms, standard profile, per file and the mean of the
    four Twitter files) and Chicago food inspections (the production entity model, without the
    inspector feature) on ``shared_data``; stored when ``store``."""
    from pathlib import Path

    from risk_models import chicago, nab

    root = Path(shared_data)
    per_file = nab.alarm_file_scores(root / "nab").set_index("file")["normalized_file_score"]
    twitter = [f for f in nab.TWITTER_FILES if f in per_file.index]
    twitter_mean = float(per_file[twitter].mean()) if twitter else float("nan")
    chi = chicago.evaluate(chicago.load_table(root / "chicago_food"), inspector=False,
                           model=entity_leads.production_entity_model())
    result = {"nab": {"files": len(per_file), "profile": "standard",
                      "normalized_file_score": {k: float(v) for k, v in per_file.items()},
                      "twitter_mean": twitter_mean, "twitter_files": len(twitter)},
              "chicago": {k: v for k, v in chi.items() if k != "features"}}
    if engine is not None and store:
        rows = [{"model": "SpikeDetector", "dataset": f"NAB v1.1 子集：{Path(key).stem}（标准配置，0/1告警）",
                 "metric": "nab_normalized_score", "value": float(value), "n": 1} for key, value in per_file.items()]
        if twitter:
            rows.append({"model": "SpikeDetector", "dataset": f"NAB v1.1 子集：{len(twitter)}条Twitter序列均值"
                                                              "（标准配置，0/1告警）",
                         "metric": "nab_normalized_score_mean", "value": twitter_mean, "n": len(twitter)})
        for m in ("auc", "average_precision", "days_earlier_mean", "first_half_share_model", "first_half_share_bau"):
            rows.append({"model": "EntityRiskModel", "dataset": "Chicago食品检查（2014年9-10月时间外样本，不含检查员特征）",
                         "metric": m, "value": float(chi[m]), "n": int(chi["n_test"])})
        store_rows(engine, rows)
    return result
