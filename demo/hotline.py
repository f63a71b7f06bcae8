"""The demo's 12345 orders: volumes per day × county × category, the planted trends, spikes and unlicensed
operators (strong ones, then graded ones of every strength), and each order's handling, outcome, text and
state events.

``write_orders`` draws the orders with the generator's own random streams; ``write_graded_plants`` adds the
graded plants from streams of their own after every other step, so the rest of the warehouse is the same as
without them.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from data_access import codes, workdays
from data_access.reference import DEPT_CODE_BY_KEY, county_government_code
from data_access.schema import HotlineTicket
from demo import complaint_text, names, places
from demo.context import (
    DAY,
    HOUR,
    MINUTE,
    Context,
    WorkdayIndex,
    numbered,
    plant,
    random_times,
    random_township,
    to_py,
)

HOTLINE_PER_YEAR = 150_000  # orders a year at scale 1.0 (domain.md §7.3)
WEEKDAY_FACTOR = np.array([1.10, 1.05, 1.05, 1.05, 1.00, 0.78, 0.72])
HOLIDAY_FACTOR = 0.65
URBAN_FACTOR = 1.6  # urban residents call 12345 more often per head
HANDLE_DAYS = {"咨询": 5, "求助": 5, "投诉": 15, "举报": 15, "建议": 15, "表扬": 5, "其他": 10}


def _topic_tables() -> tuple[list, dict[str, list[int]]]:
    topics = list(complaint_text.TOPICS)
    by_category: dict[str, list[int]] = {}
    for i, t in enumerate(topics):
        by_category.setdefault(t.category, []).append(i)
    return topics, by_category


@dataclass
class Orders:
    """12345 orders before handling and text: parallel arrays in order of acceptance."""

    accepted: np.ndarray  # datetime64[s]
    county_codes: np.ndarray  # region code
    topic_of: np.ndarray  # index into complaint_text.TOPICS
    cat_of: np.ndarray  # index into codes.HOTLINE_CATEGORIES
    appeal: np.ndarray  # appeal type (codes.APPEAL_TYPES)
    subject_idx: np.ndarray  # row of ``subjects`` the order names, -1 for none
    unlicensed_names: dict[int, str] = field(default_factory=dict)  # order -> the unregistered business it names


def write_orders(ctx: Context, subjects: pd.DataFrame, slow: list[str]) -> np.ndarray:
    """12345 orders with the planted spikes, trends and unlicensed operators; returns the daily counts
    (day × county × category) drawn before the unlicensed reports were added."""
    topics, topics_by_cat = _topic_tables()
    days = np.arange(np.datetime64(ctx.start), np.datetime64(ctx.end) + DAY, DAY)
    lam = _expected_counts(ctx, days, topics, topics_by_cat)
    big_cats = np.argsort(-_category_weights())[:25]
    planted = _plant_trends(ctx, lam, big_cats)
    counts = ctx.np_rng.poisson(lam)
    planted += _plant_spikes(ctx, lam, counts, big_cats, days)
    orders = _orders_from_counts(ctx, counts, days, topics, topics_by_cat)
    orders.subject_idx = _named_subjects(ctx, subjects, topics, orders)
    reports = _plant_unlicensed(ctx, subjects, topics, days)
    if reports:
        orders = _with_unlicensed_reports(ctx, orders, reports, topics)
    planted.sort(key=lambda r: (r["kind"], r["region_code"], r["category_code"], str(r["start_day"])))
    plant(ctx, planted)
    _hotline_rows(ctx, ctx.np_rng, ctx.rnd, subjects, slow, orders)
    return counts


def _category_weights() -> np.ndarray:
    """Share of each 12345 category (codes.HOTLINE_CATEGORIES order)."""
    cat_w = np.array([c[1] for c in codes.HOTLINE_CATEGORIES], float)
    return cat_w / cat_w.sum()


def _expected_counts(ctx: Context, days: np.ndarray, topics: list, topics_by_cat: dict[str, list[int]]) -> np.ndarray:
    """Expected orders per day × county × category: volume × day factors × population × category × season."""
    county_w = np.array([c.population * (URBAN_FACTOR if c.urban else 1.0) for c in codes.COUNTIES], float)
    county_w /= county_w.sum()
    season = _category_seasonality(days, topics, topics_by_cat)
    per_day = HOTLINE_PER_YEAR * ctx.scale / 365
    return (per_day * _day_factors(days)[:, None, None] * county_w[None, :, None]
            * (_category_weights()[None, :] * season)[:, None, :])


def _category_seasonality(days: np.ndarray, topics: list, topics_by_cat: dict[str, list[int]]) -> np.ndarray:
    """Day × category multiplier: the weight-averaged monthly profile of the category's topics, mean 1."""
    cats = [c[0] for c in codes.HOTLINE_CATEGORIES]
    months = (days.astype("datetime64[M]").astype(int) % 12)
    season = np.ones((len(days), len(cats)))
    for k, cat in enumerate(cats):
        idx = topics_by_cat[cat]
        w = np.array([topics[i].weight for i in idx], float)
        profile = (np.array([topics[i].seasonality for i in idx], float) * w[:, None]).sum(0) / w.sum()
        season[:, k] = profile[months] / profile.mean()
    return season


def _day_factors(days: np.ndarray) -> np.ndarray:
    """Per day: weekday pattern, public holidays lower, and 8 % growth a year."""
    weekday = WEEKDAY_FACTOR[(days.astype("datetime64[D]").astype(int) + 3) % 7]
    holiday = np.array([0 if workdays.is_workday(d.astype(object)) or d.astype(object).weekday() >= 5 else 1
                        for d in days])
    day_factor = weekday * np.where(holiday == 1, HOLIDAY_FACTOR, 1.0)
    growth = 1.0 + 0.08 * np.arange(len(days)) / 365
    return day_factor * growth


def _plant_trends(ctx: Context, lam: np.ndarray, big_cats: np.ndarray) -> list[dict]:
    """Planted rising trends, added to ``lam``: over the last 180 days the rate climbs by 1.5× its baseline,
    and by at least 2 orders a day, so a trend stays visible in the small demo scales too."""
    rng = ctx.np_rng
    n_days = lam.shape[0]
    n_trend = max(3, round(8 * ctx.scale ** 0.3))
    planted = []
    ramp = np.clip((np.arange(n_days) - (n_days - 180)) / 180, 0, None)
    for ci, ki in zip(rng.choice(len(codes.COUNTIES), n_trend), rng.choice(big_cats, n_trend), strict=True):
        base = lam[: n_days - 180, ci, ki].mean()
        rise = max(2.0, 1.5 * base)
        lam[:, ci, ki] += ramp * rise
        planted.append({"kind": "trend", "region_code": codes.COUNTIES[ci].code,
                        "category_code": codes.hotline_category_code(ki), "start_day": ctx.end - dt.timedelta(days=179),
                        "end_day": ctx.end, "magnitude": float((base + rise) / max(base, 0.1)),
                        "detail": {"shape": "linear ramp over 180 days", "baseline_per_day": round(float(base), 2),
                                   "rise_per_day": round(float(rise), 2),
                                   "strength": round(float(rise / max(base, 0.1)), 2)}})
    return planted


def _plant_spikes(ctx: Context, lam: np.ndarray, counts: np.ndarray, big_cats: np.ndarray, days: np.ndarray) -> list[dict]:
    """Planted spikes, added to ``counts``: 3–6 days of extra complaints in one county × category, after a
    year of history."""
    rng = ctx.np_rng
    n_spike = max(6, round(30 * ctx.scale ** 0.5))
    spike_days = rng.integers(400, len(days) - 10, n_spike)
    planted = []
    for ci, ki, d0 in zip(rng.choice(len(codes.COUNTIES), n_spike), rng.choice(big_cats, n_spike), spike_days, strict=True):
        length = int(rng.integers(3, 7))
        base = lam[d0 - 28:d0, ci, ki].mean()
        extra_mean = max(6.0, 4.0 * base)
        extra = rng.poisson(extra_mean, size=length)
        counts[d0:d0 + length, ci, ki] += extra
        planted.append({"kind": "spike", "region_code": codes.COUNTIES[ci].code,
                        "category_code": codes.hotline_category_code(ki), "start_day": days[d0].astype(object),
                        "end_day": days[d0 + length - 1].astype(object), "magnitude": float(extra.mean() / max(base, 0.1)),
                        "detail": {"extra_per_day": extra.tolist(), "baseline_per_day": round(float(base), 2),
                                   "strength": round(float(extra.mean()), 2)}})
    return planted


def _orders_from_counts(ctx: Context, counts: np.ndarray, days: np.ndarray, topics: list,
                        topics_by_cat: dict[str, list[int]]) -> Orders:
    """One order per count, with its topic (within its category), appeal type (by topic) and moment."""
    rng = ctx.np_rng
    d_idx, c_idx, k_idx = np.nonzero(counts)
    reps = counts[d_idx, c_idx, k_idx]
    day_of = np.repeat(d_idx, reps)
    county_of = np.repeat(c_idx, reps)
    cat_of = np.repeat(k_idx, reps)
    topic_of = _draw_topics(rng, cat_of, topics, topics_by_cat)
    appeal = _draw_appeals(rng, topic_of, topics)
    accepted = random_times(rng, days[day_of])
    order = np.argsort(accepted, kind="stable")
    county_of, cat_of, topic_of, appeal, accepted = (a[order] for a in (county_of, cat_of, topic_of, appeal, accepted))
    return Orders(accepted=accepted, county_codes=np.array([c.code for c in codes.COUNTIES])[county_of],
                  topic_of=topic_of, cat_of=cat_of, appeal=appeal, subject_idx=np.full(len(accepted), -1))


def _draw_topics(rng: np.random.Generator, cat_of: np.ndarray, topics: list,
                 topics_by_cat: dict[str, list[int]]) -> np.ndarray:
    """A topic per order, by the topics' weights within the order's category."""
    topic_of = np.empty(len(cat_of), dtype=int)
    for k, (cat, _, _) in enumerate(codes.HOTLINE_CATEGORIES):
        mask = cat_of == k
        idx = topics_by_cat[cat]
        w = np.array([topics[i].weight for i in idx], float)
        topic_of[mask] = rng.choice(idx, size=int(mask.sum()), p=w / w.sum())
    return topic_of


def _draw_appeals(rng: np.random.Generator, topic_of: np.ndarray, topics: list) -> np.ndarray:
    """An appeal type per order, by its topic's appeal weights."""
    appeal = np.empty(len(topic_of), dtype=object)
    for t_i in np.unique(topic_of):
        mask = topic_of == t_i
        aw = topics[t_i].appeal_weights
        keys = list(aw)
        p = np.array([aw[k] for k in keys], float)
        appeal[mask] = rng.choice(keys, size=int(mask.sum()), p=p / p.sum())
    return appeal


def _named_subjects(ctx: Context, subjects: pd.DataFrame, topics: list, orders: Orders) -> np.ndarray:
    """The registered business each order names (row of ``subjects``, -1 for none): one of the order's county
    and topic's industry, drawn by latent risk, so planted high-risk entities are named often."""
    rng, rnd = ctx.np_rng, ctx.rnd
    n = len(orders.accepted)
    live = subjects[subjects.status == "存续"]
    pools: dict[tuple[str, str], np.ndarray] = {
        key: grp.index.to_numpy() for key, grp in live.groupby(["region_code", "industry_code"])}
    risk_weight = np.exp(np.clip(subjects["latent_risk"].to_numpy(), -3, 5))
    subject_idx = np.full(n, -1)
    names_business = np.array([t.names_business for t in topics])[orders.topic_of] & (rng.random(n) < 0.65)
    for i in np.flatnonzero(names_business):
        inds = topics[orders.topic_of[i]].industries or ("F",)
        pool = pools.get((orders.county_codes[i], inds[rnd.randrange(len(inds))]))
        if pool is not None and len(pool):
            w = risk_weight[pool]
            subject_idx[i] = pool[np.searchsorted(np.cumsum(w), rnd.random() * w.sum())]
    return subject_idx


def _plant_unlicensed(ctx: Context, subjects: pd.DataFrame, topics: list,
                      days: np.ndarray) -> list[tuple[np.ndarray, int, int, str]]:
    """Planted unlicensed operators: a name absent from the register, reported 3–7 times within two weeks in
    one county. Writes their truth rows; returns (days, county index, topic index, name) of the reports."""
    rng, rnd = ctx.np_rng, ctx.rnd
    n_days = len(days)
    n_unl = max(4, round(25 * ctx.scale ** 0.5))
    unl_topics = [i for i, t in enumerate(topics) if t.names_business and "H" in (t.industries or ())]
    registered = set(subjects["name"])
    reports = []
    for _ in range(n_unl):
        ci = int(rng.integers(len(codes.COUNTIES)))
        county = codes.COUNTIES[ci].code
        name = names.business_name(rnd, "H", county, "92")
        for _ in range(20):
            if name not in registered:
                break
            name = names.business_name(rnd, "H", county, "92")
        if name in registered:
            name = numbered(name, registered)
        registered.add(name)
        d0 = int(rng.integers(200, n_days - 20))
        k = int(rng.integers(3, 8))
        t_i = unl_topics[rnd.randrange(len(unl_topics))]
        when = days[np.minimum(d0 + np.sort(rng.integers(0, 14, k)), n_days - 1)]
        reports.append((when, ci, t_i, name))
        plant(ctx, [{"kind": "unlicensed_operator", "region_code": county, "name": name,
                      "category_code": codes.HOTLINE_CATEGORY_CODE_BY_NAME[topics[t_i].category],
                      "start_day": when[0].astype(object), "end_day": when[-1].astype(object), "magnitude": float(k),
                      "detail": {"complaints": k, "strength": k}}])
    return reports


def _with_unlicensed_reports(ctx: Context, orders: Orders, reports: list[tuple[np.ndarray, int, int, str]],
                             topics: list) -> Orders:
    """``orders`` plus the unlicensed operators' reports (举报 of their topic), in order of acceptance."""
    cats = [c[0] for c in codes.HOTLINE_CATEGORIES]
    add_days = np.concatenate([r[0] for r in reports])
    add_county = np.concatenate([[r[1]] * len(r[0]) for r in reports])
    add_topic = np.concatenate([[r[2]] * len(r[0]) for r in reports])
    add_names = [r[3] for r in reports for _ in r[0]]
    base_n = len(orders.accepted)
    accepted = np.concatenate([orders.accepted, random_times(ctx.np_rng, add_days)])
    county_codes = np.concatenate([orders.county_codes, np.array([c.code for c in codes.COUNTIES])[add_county]])
    topic_of = np.concatenate([orders.topic_of, add_topic])
    cat_of = np.concatenate([orders.cat_of, [cats.index(topics[t].category) for t in add_topic]])
    appeal = np.concatenate([orders.appeal, np.array(["举报"] * len(add_topic), dtype=object)])
    subject_idx = np.concatenate([orders.subject_idx, np.full(len(add_topic), -1)])
    order = np.argsort(accepted, kind="stable")
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    return Orders(accepted=accepted[order], county_codes=county_codes[order], topic_of=topic_of[order],
                  cat_of=cat_of[order], appeal=appeal[order], subject_idx=subject_idx[order],
                  unlicensed_names={int(inverse[base_n + j]): nm for j, nm in enumerate(add_names)})


@dataclass
class Handling:
    """How each order was handled: department, deadlines and the moments it reached (NaT: not yet, or never)."""

    main_dept: np.ndarray
    direct: np.ndarray  # answered by the call centre itself, never dispatched
    is_slow: np.ndarray  # handled by a planted slow department
    dispatched: np.ndarray
    sign_deadline: np.ndarray
    signed: np.ndarray
    handle_deadline: np.ndarray
    replied: np.ndarray
    finished: np.ndarray
    overdue: np.ndarray
    status: np.ndarray


@dataclass
class Outcome:
    """The caller's verdict on each finished order and the rework it caused."""

    satisfaction: np.ndarray
    solved: np.ndarray
    returns: np.ndarray
    redo: np.ndarray


def _hotline_rows(ctx: Context, rng: np.random.Generator, rnd: random.Random, subjects: pd.DataFrame,
                  slow: list[str], orders: Orders) -> None:
    """Handling, text and events of ``orders`` (sorted by acceptance), written after any orders already
    written (ids continue)."""
    topics, _ = _topic_tables()
    handling = _handling(ctx, rng, orders, slow)
    outcome = _outcome(rng, handling)
    severe = rng.random(len(orders.accepted)) < 0.004
    texts = _order_texts(rnd, topics, subjects, orders, handling, severe)
    is_repeat = _repeat_calls(orders)
    df = _ticket_frame(ctx, rng, rnd, topics, orders, handling, outcome, severe, texts, is_repeat)
    ctx.write("fact_hotline_ticket", df)
    _hotline_events(ctx, df)


def _handling(ctx: Context, rng: np.random.Generator, orders: Orders, slow: list[str]) -> Handling:
    """Department, dispatch, sign-off, reply and closure of each order, against its working-day deadlines;
    slow departments sign late and overrun far more often. Moments after the demo's end are NaT."""
    accepted, county_codes, appeal = orders.accepted, orders.county_codes, orders.appeal
    n = len(accepted)
    dept_for_cat = [key for _, _, key in codes.HOTLINE_CATEGORIES]
    dept_key = np.array(dept_for_cat, dtype=object)[orders.cat_of]
    main_dept = np.array([county_government_code(county_codes[i]) if dept_key[i] == "LOCAL" else DEPT_CODE_BY_KEY[dept_key[i]]
                          for i in range(n)], dtype=object)
    direct = rng.random(n) < np.where(appeal == "咨询", 0.25, 0.03)
    is_slow = np.isin(main_dept, slow)
    dispatched = accepted + (rng.integers(5, 120, n) * MINUTE).astype("timedelta64[s]")
    wd = WorkdayIndex(ctx.start, ctx.end + dt.timedelta(days=120))
    sign_deadline = wd.add(dispatched, np.ones(n, int))
    sign_hours = rng.lognormal(np.where(is_slow, np.log(26), np.log(3)), 0.9)
    signed = dispatched + (sign_hours * 3600).astype("timedelta64[s]")
    limit = np.array([HANDLE_DAYS.get(a, 10) for a in appeal])
    handle_deadline = wd.add(dispatched, limit)
    span = (handle_deadline - dispatched).astype(float)
    overdue = rng.random(n) < np.where(is_slow, 0.22, 0.025)
    fraction = np.where(overdue, 1 + rng.gamma(1.5, 0.25, n), rng.beta(2.2, 3.0, n))
    replied = dispatched + (span * fraction).astype("timedelta64[s]")
    finished = replied + (rng.integers(12, 72, n) * HOUR).astype("timedelta64[s]")
    replied = np.where(direct, accepted + 600 * np.timedelta64(1, "s"), replied)
    finished = np.where(direct, accepted + 900 * np.timedelta64(1, "s"), finished)
    as_of = ctx.as_of.astype("datetime64[s]")
    nat = np.datetime64("NaT", "s")
    for arr in (dispatched, signed, sign_deadline, handle_deadline):
        arr[direct] = nat
    signed = np.where(signed <= as_of, signed, nat)
    replied = np.where(replied <= as_of, replied, nat)
    finished = np.where(finished <= as_of, finished, nat)
    status = np.where(~np.isnat(finished), "已办结", np.where(~np.isnat(replied), "待回访",
                      np.where(~np.isnat(signed), "办理中", "待签收")))
    return Handling(main_dept=main_dept, direct=direct, is_slow=is_slow, dispatched=dispatched,
                    sign_deadline=sign_deadline, signed=signed, handle_deadline=handle_deadline, replied=replied,
                    finished=finished, overdue=overdue, status=status)


def _outcome(rng: np.random.Generator, h: Handling) -> Outcome:
    """Satisfaction and solved flags of finished orders (worse for slow departments), returns and redos."""
    n = len(h.finished)
    sat_p = np.where(h.is_slow[:, None], [[0.45, 0.25, 0.22, 0.08]], [[0.70, 0.18, 0.07, 0.05]])
    u = rng.random(n)
    sat_idx = (u[:, None] > np.cumsum(sat_p, axis=1)).sum(1)
    satisfaction = np.array(codes.SATISFACTION, dtype=object)[np.minimum(sat_idx, 3)]
    satisfaction[np.isnat(h.finished)] = None
    solved = np.where(satisfaction == None, None, (satisfaction != "不满意") & (rng.random(n) < 0.93))  # noqa: E711
    returns = (rng.random(n) < np.where(h.is_slow, 0.09, 0.03)).astype(int)
    returns[h.direct] = 0
    redo = ((satisfaction == "不满意") & (rng.random(n) < 0.5)).astype(int)
    return Outcome(satisfaction=satisfaction, solved=solved, returns=returns, redo=redo)


# Reply quality (good, fair, poor) by whether the department is slow
_REPLY_QUALITY = {False: (0.55, 0.35, 0.10), True: (0.2, 0.4, 0.4)}


def _reply_quality(rnd: random.Random, slow: bool) -> str:
    qp = _REPLY_QUALITY[slow]
    return "good" if rnd.random() < qp[0] else "fair" if rnd.random() < qp[1] / (1 - qp[0]) else "poor"


def _order_texts(rnd: random.Random, topics: list, subjects: pd.DataFrame, orders: Orders, h: Handling,
                 severe: np.ndarray) -> dict[str, list]:
    """Title, content, address, caller, phone, reply and named subject's code of each order."""
    out: dict[str, list] = {k: [] for k in ("title", "content", "address", "caller_name", "caller_phone",
                                             "reply_content", "subject_uscc")}
    dept_names = {DEPT_CODE_BY_KEY[d.key]: d.name for d in codes.DEPARTMENTS}
    # plain lists: indexing numpy arrays element by element costs more than the text itself
    topic_l, county_l, subject_l = orders.topic_of.tolist(), orders.county_codes.tolist(), orders.subject_idx.tolist()
    severe_l, appeal_l = severe.tolist(), orders.appeal.tolist()
    no_reply = (np.isnat(h.replied) | h.direct).tolist()
    slow_l, main_l = h.is_slow.tolist(), h.main_dept.tolist()
    subj_names, subj_codes = subjects["name"].to_numpy().tolist(), subjects["uscc"].to_numpy().tolist()
    subj_addr = subjects["address"].to_numpy().tolist()
    for i in range(len(topic_l)):
        topic = topics[topic_l[i]]
        county = county_l[i]
        business = orders.unlicensed_names.get(i)
        address = None
        s_i = subject_l[i]
        if business is None and s_i >= 0:
            business = subj_names[s_i]
            address = subj_addr[s_i]
            out["subject_uscc"].append(subj_codes[s_i])
        else:
            out["subject_uscc"].append(None)
        if address is None:
            address = places.address_parts(rnd, county, None, topic.addr_kind)[0]
        if severe_l[i] and topic.names_business:
            title, content = complaint_text.compose_severe(rnd, topic, county, business, address)
        else:
            title, content = complaint_text.compose_hotline(rnd, topic, county, business, address,
                                                            appeal_type=appeal_l[i])
        out["title"].append(title)
        out["content"].append(content)
        out["address"].append(address)
        out["caller_name"].append(names.person_name(rnd))
        out["caller_phone"].append(names.phone(rnd))
        out["reply_content"].append(None if no_reply[i] else complaint_text.compose_reply(
            rnd, topic, dept_names[main_l[i]], _reply_quality(rnd, slow_l[i])))
    return out


def _repeat_calls(orders: Orders) -> np.ndarray:
    """Repeat calls: orders naming the same registered business as an order at most 30 days earlier."""
    county_codes, topic_of, subject_idx = orders.county_codes, orders.topic_of, orders.subject_idx
    frame = pd.DataFrame({"county": county_codes, "topic": topic_of, "subject": subject_idx, "t": orders.accepted})
    key = np.where(subject_idx >= 0, "S" + subject_idx.astype(str), "T" + county_codes + topic_of.astype(str))
    frame["key"] = key
    prev = frame.groupby("key")["t"].shift(1)
    return ((frame["t"] - prev) <= pd.Timedelta(days=30)).to_numpy() & (subject_idx >= 0)


def _ticket_frame(ctx: Context, rng: np.random.Generator, rnd: random.Random, topics: list, orders: Orders,
                  h: Handling, outcome: Outcome, severe: np.ndarray, texts: dict[str, list],
                  is_repeat: np.ndarray) -> pd.DataFrame:
    """The fact_hotline_ticket rows (fresh ids); draws channel, township
    and extensions."""
    n = len(orders.accepted)
    ids = ctx.new_ids("fact_hotline_ticket", n)
    accepted_dt = to_py(orders.accepted)
    order_no = [f"KF{a:%Y%m%d}{i:07d}" for a, i in zip(accepted_dt, ids, strict=True)]
    township = [random_township(rnd, c).code for c in orders.county_codes]
    updated = np.where(~np.isnat(h.finished), h.finished, np.where(~np.isnat(h.replied), h.replied,
                       np.where(~np.isnat(h.signed), h.signed, orders.accepted)))
    return pd.DataFrame({
        "ticket_id": ids, "src_id": order_no, "order_no": order_no,
        "channel": rng.choice(codes.CHANNELS, n, p=[0.62, 0.08, 0.12, 0.05, 0.02, 0.04, 0.03, 0.02, 0.02]),
        "appeal_type": orders.appeal, "category_code": [codes.hotline_category_code(k) for k in orders.cat_of],
        "topic": [topics[t].key for t in orders.topic_of], "title": texts["title"], "content": texts["content"],
        "caller_name": texts["caller_name"], "caller_phone": texts["caller_phone"], "region_code": orders.county_codes,
        "township_code": township, "address": texts["address"], "is_urgent": severe,
        "handle_mode": np.where(h.direct, "DIRECT", "TRANSFER"), "main_dept_code": np.where(h.direct, None, h.main_dept),
        "accepted_at": accepted_dt, "dispatched_at": to_py(h.dispatched), "sign_deadline": to_py(h.sign_deadline),
        "signed_at": to_py(h.signed), "handle_deadline": to_py(h.handle_deadline), "replied_at": to_py(h.replied),
        "finished_at": to_py(h.finished), "status": h.status, "reply_content": texts["reply_content"],
        "return_count": outcome.returns, "redo_count": outcome.redo,
        "extension_days": np.where(h.overdue & (rng.random(n) < 0.3), 5, 0), "is_repeat": is_repeat,
        "satisfaction": outcome.satisfaction, "is_solved": outcome.solved, "subject_uscc": texts["subject_uscc"],
        "updated_at": to_py(updated),
    })


def _hotline_events(ctx: Context, t: pd.DataFrame) -> None:
    """The state events of every order: 受理, 派单, 签收, 退单, 答复, 回访, 办结 as far as each got."""
    parts = []
    for event, col, actor in (("受理", "accepted_at", None), ("派单", "dispatched_at", None),
                              ("签收", "signed_at", "main_dept_code"), ("答复", "replied_at", "main_dept_code"),
                              ("办结", "finished_at", None)):
        sub = t[t[col].notna()]
        parts.append(pd.DataFrame({"ticket_id": sub["ticket_id"], "event": event, "at": sub[col],
                                   "actor_dept_code": sub[actor] if actor else None}))
    ret = t[(t["return_count"] > 0) & t["signed_at"].notna()]
    parts.append(pd.DataFrame({"ticket_id": ret["ticket_id"], "event": "退单",
                               "at": ret["dispatched_at"] + pd.Timedelta(minutes=30),
                               "actor_dept_code": ret["main_dept_code"], "note": "非本单位职责，申请改派"}))
    ev = pd.concat(parts, ignore_index=True).sort_values(["ticket_id", "at"], kind="stable")
    ev.insert(0, "event_id", ctx.new_ids("fact_hotline_event", len(ev)))
    ev["src_id"] = "EV" + ev["event_id"].astype(str)
    if "note" not in ev:
        ev["note"] = None
    ctx.write("fact_hotline_event", ev)


# Strengths of the planted events added over a range, many below what the lead rules need, so the backtest
# draws a detection curve instead of a pass mark: spikes by their mean extra complaints a day (the strong
# plants above add at least 6), unlicensed operators by their number of reports (the rule needs 3), trends
# by their rise over 180 days as a multiple of the series' baseline (the strong plants rise by at least 1.5x).
GRADED_SPIKE_PER_DAY = (1.0, 2.0, 3.0, 4.0, 5.0)
GRADED_UNLICENSED_REPORTS = (1, 2, 3, 4)
GRADED_TREND_RISE = (0.25, 0.5, 0.75, 1.0)
# Deteriorating entities: from a start day in the last ENTITY_ONSET_DAYS before the end, a registered business
# is named in extra complaints at GRADED_ENTITY_PER_30_DAYS a month (30 days), in turn. A typical entity is
# named in less than one complaint a year (the demo draws 0.09 a year for a live entity at scale 0.05), so
# the strength is the extra count, not a multiple of a baseline that is mostly zero; the truth row records
# the entity's own baseline beside it.
GRADED_ENTITY_PER_30_DAYS = (1.0, 2.0, 3.0, 4.0, 6.0)
ENTITY_ONSET_DAYS = (30, 120)  # the onset lies 30-120 days before the end: every event has a month to show


def write_graded_plants(ctx: Context, subjects: pd.DataFrame, slow: list[str], counts: np.ndarray, seed: int) -> None:
    """Planted spikes, trends and unlicensed operators of graded strength, as extra 12345 orders.

    Drawn from their own generators after every other step, so the rest of the warehouse is the same as
    without them; each lands on a county × category no other plant uses.
    """
    rng, rnd = np.random.default_rng([seed, 20]), random.Random(seed * 1_000_003 + 20)
    topics, topics_by_cat = _topic_tables()
    days = np.arange(np.datetime64(ctx.start), np.datetime64(ctx.end) + DAY, DAY)
    slots = _free_slots(ctx, rng, counts)
    extra = _GradedOrders()
    _graded_spikes(ctx, rng, counts, days, slots, extra)
    _graded_trends(ctx, rng, counts, slots, extra)
    reports = _graded_unlicensed(ctx, rng, rnd, subjects, topics, days, extra)
    orders = _graded_orders(rng, extra, reports, days, topics, topics_by_cat)
    plant(ctx, extra.planted)
    _hotline_rows(ctx, rng, rnd, subjects, slow, orders)
    _deteriorating_entities(ctx, subjects, slow, seed)


@dataclass
class _GradedOrders:
    """The graded plants' extra orders (day, county and category index of each) and their truth rows."""

    day_of: list[int] = field(default_factory=list)
    county_of: list[int] = field(default_factory=list)
    cat_of: list[int] = field(default_factory=list)
    planted: list[dict] = field(default_factory=list)

    def add(self, ci: int, ki: int, when: np.ndarray) -> None:
        self.day_of.extend(when.tolist())
        self.county_of.extend([ci] * len(when))
        self.cat_of.extend([ki] * len(when))


def _free_slots(ctx: Context, rng: np.random.Generator, counts: np.ndarray) -> Iterator[tuple[int, int]]:
    """County × category slots (of the 25 busiest categories) no plant uses yet, in random order."""
    county_codes = [c.code for c in codes.COUNTIES]
    taken = {(r.region_code, r.category_code) for r in ctx.conn.exec_driver_sql(
        "SELECT region_code, category_code FROM truth_planted_event WHERE category_code IS NOT NULL")}
    big_cats = np.argsort(-counts.sum(axis=(0, 1)))[:25]
    free = [(ci, ki) for ci in range(len(county_codes)) for ki in big_cats
            if (county_codes[ci], codes.hotline_category_code(int(ki))) not in taken]
    pick = rng.permutation(len(free))
    return iter(free[i] for i in pick)


def _graded_spikes(ctx: Context, rng: np.random.Generator, counts: np.ndarray, days: np.ndarray,
                   slots: Iterator[tuple[int, int]], extra: _GradedOrders) -> None:
    """Spikes of 3–6 days at GRADED_SPIKE_PER_DAY extra complaints a day, in turn."""
    n_days = len(days)
    for j in range(max(6, round(30 * ctx.scale ** 0.5))):
        ci, ki = next(slots)
        strength = GRADED_SPIKE_PER_DAY[j % len(GRADED_SPIKE_PER_DAY)]
        d0, length = int(rng.integers(400, n_days - 10)), int(rng.integers(3, 7))
        added = rng.poisson(strength, size=length)
        extra.add(ci, ki, np.repeat(np.arange(d0, d0 + length), added))
        extra.planted.append({
            "kind": "spike", "region_code": codes.COUNTIES[ci].code, "category_code": codes.hotline_category_code(ki),
            "start_day": days[d0].astype(object), "end_day": days[d0 + length - 1].astype(object),
            "magnitude": float(added.mean() / max(counts[d0 - 28:d0, ci, ki].mean(), 0.1)),
            "detail": {"extra_per_day": added.tolist(), "strength": float(strength), "graded": True,
                       "baseline_per_day": round(float(counts[d0 - 28:d0, ci, ki].mean()), 2)}})


def _graded_trends(ctx: Context, rng: np.random.Generator, counts: np.ndarray, slots: Iterator[tuple[int, int]],
                   extra: _GradedOrders) -> None:
    """Trends rising over the last 180 days by GRADED_TREND_RISE × the series' baseline, in turn."""
    n_days = counts.shape[0]
    ramp = np.clip((np.arange(n_days) - (n_days - 180)) / 180, 0, None)
    for j in range(max(3, round(8 * ctx.scale ** 0.3))):
        ci, ki = next(slots)
        strength = GRADED_TREND_RISE[j % len(GRADED_TREND_RISE)]
        base = float(counts[: n_days - 180, ci, ki].mean())
        added = rng.poisson(ramp * strength * max(base, 0.5))
        extra.add(ci, ki, np.repeat(np.arange(n_days), added))
        extra.planted.append({
            "kind": "trend", "region_code": codes.COUNTIES[ci].code, "category_code": codes.hotline_category_code(ki),
            "start_day": ctx.end - dt.timedelta(days=179), "end_day": ctx.end, "magnitude": 1.0 + strength,
            "detail": {"shape": "linear ramp over 180 days", "baseline_per_day": round(base, 2),
                       "rise_per_day": round(strength * max(base, 0.5), 2), "strength": strength, "graded": True}})


def _graded_unlicensed(ctx: Context, rng: np.random.Generator, rnd: random.Random, subjects: pd.DataFrame,
                       topics: list, days: np.ndarray, extra: _GradedOrders) -> list[tuple[np.ndarray, int, int, str]]:
    """Unlicensed operators named in GRADED_UNLICENSED_REPORTS reports, in turn; returns (day indices, county
    index, topic index, name) of the reports."""
    n_days = len(days)
    county_codes = [c.code for c in codes.COUNTIES]
    unl_topics = [i for i, t in enumerate(topics) if t.names_business and "H" in (t.industries or ())]
    registered = set(subjects["name"]) | set(ctx.conn.exec_driver_sql(
        "SELECT name FROM truth_planted_event WHERE name IS NOT NULL").scalars())
    reports = []
    for j in range(max(4, round(25 * ctx.scale ** 0.5))):
        ci = int(rng.integers(len(county_codes)))
        name = names.business_name(rnd, "H", county_codes[ci], "92")
        if name in registered:
            name = numbered(name, registered)
        registered.add(name)
        k = GRADED_UNLICENSED_REPORTS[j % len(GRADED_UNLICENSED_REPORTS)]
        d0 = int(rng.integers(200, n_days - 20))
        when = np.minimum(d0 + np.sort(rng.integers(0, 14, k)), n_days - 1)
        t_i = unl_topics[rnd.randrange(len(unl_topics))]
        reports.append((when, ci, t_i, name))
        extra.planted.append({
            "kind": "unlicensed_operator", "region_code": county_codes[ci], "name": name,
            "category_code": codes.HOTLINE_CATEGORY_CODE_BY_NAME[topics[t_i].category],
            "start_day": days[when[0]].astype(object), "end_day": days[when[-1]].astype(object),
            "magnitude": float(k), "detail": {"complaints": k, "strength": k, "graded": True}})
    return reports


def _graded_orders(rng: np.random.Generator, extra: _GradedOrders, reports: list[tuple[np.ndarray, int, int, str]],
                   days: np.ndarray, topics: list, topics_by_cat: dict[str, list[int]]) -> Orders:
    """The graded plants' orders with topic within category and appeal by topic (as the main orders), then
    the unlicensed reports (举报 of their topic), in order of acceptance."""
    cats = [c[0] for c in codes.HOTLINE_CATEGORIES]
    day_of, county_of, cat_of = extra.day_of, extra.county_of, extra.cat_of
    topic_of = []
    for ki in cat_of:
        idx = topics_by_cat[cats[ki]]
        w = np.array([topics[i].weight for i in idx], float)
        topic_of.append(idx[int(rng.choice(len(idx), p=w / w.sum()))])
    appeal = []
    for t_i in topic_of:
        aw = topics[t_i].appeal_weights
        keys = list(aw)
        p = np.array([aw[k] for k in keys], float)
        appeal.append(keys[int(rng.choice(len(keys), p=p / p.sum()))])
    names_of = {}
    for when, ci, t_i, name in reports:
        for d in when.tolist():
            names_of[len(day_of)] = name
            day_of.append(d)
            county_of.append(ci)
            cat_of.append(cats.index(topics[t_i].category))
            topic_of.append(t_i)
            appeal.append("举报")
    accepted = random_times(rng, days[np.array(day_of, dtype=int)])
    order = np.argsort(accepted, kind="stable")
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    county_codes = np.array([c.code for c in codes.COUNTIES])
    return Orders(accepted=accepted[order], county_codes=county_codes[np.array(county_of)[order]],
                  topic_of=np.array(topic_of)[order], cat_of=np.array(cat_of)[order],
                  appeal=np.array(appeal, dtype=object)[order], subject_idx=np.full(len(order), -1),
                  unlicensed_names={int(inverse[i]): v for i, v in names_of.items()})


def _deteriorating_entities(ctx: Context, subjects: pd.DataFrame, slow: list[str], seed: int) -> None:
    """Planted high-risk entities as dated deterioration events: a live business (catering or retail, not one
    planted with a high latent risk) named from its onset day to the end in extra complaints (投诉 of a topic
    naming its industry) at GRADED_ENTITY_PER_30_DAYS a month, in turn. From a generator of their own, after
    the graded plants, so every other row is unchanged."""
    rng, rnd = np.random.default_rng([seed, 21]), random.Random(seed * 1_000_003 + 21)
    topics, _ = _topic_tables()
    end = np.datetime64(ctx.end)
    eligible = np.flatnonzero((subjects["status"] == "存续").to_numpy() & subjects["industry_code"].isin(["H", "F"])
                              .to_numpy() & ~subjects["planted_high_risk"].to_numpy())
    chosen = rng.choice(eligible, size=min(max(5, round(60 * ctx.scale ** 0.5)), len(eligible)), replace=False)
    cats = [c[0] for c in codes.HOTLINE_CATEGORIES]
    day_of, subject_of, topic_of, planted = [], [], [], []
    for j, s_i in enumerate(chosen.tolist()):
        strength = GRADED_ENTITY_PER_30_DAYS[j % len(GRADED_ENTITY_PER_30_DAYS)]
        onset = end - int(rng.integers(ENTITY_ONSET_DAYS[0], ENTITY_ONSET_DAYS[1] + 1))
        span = int((end - onset).astype(int)) + 1
        k = int(rng.poisson(strength * span / 30))
        industry = subjects.at[s_i, "industry_code"]
        fits = [i for i, t in enumerate(topics) if t.names_business and industry in (t.industries or ("F",))]
        day_of += (onset + np.sort(rng.integers(0, span, k))).tolist()
        subject_of += [s_i] * k
        topic_of += [fits[rnd.randrange(len(fits))] for _ in range(k)]
        uscc = subjects.at[s_i, "uscc"]
        first = dt.datetime.combine(onset.astype(object), dt.time())
        before = ctx.conn.execute(select(func.count()).where(
            HotlineTicket.subject_uscc == uscc, HotlineTicket.accepted_at >= first - dt.timedelta(days=365),
            HotlineTicket.accepted_at < first)).scalar_one()
        planted.append({"kind": "high_risk_entity", "region_code": subjects.at[s_i, "region_code"], "subject_uscc": uscc,
                        "name": subjects.at[s_i, "name"], "start_day": onset.astype(object), "end_day": ctx.end,
                        "magnitude": strength,
                        "detail": {"strength": strength, "shape": "extra complaints from the onset day to the end",
                                   "complaints": k, "baseline_per_30_days": round(before * 30 / 365, 3),
                                   "industry_code": industry, "graded": True}})
    plant(ctx, planted)
    if not day_of:
        return
    accepted = random_times(rng, np.array(day_of, dtype="datetime64[D]"))
    order = np.argsort(accepted, kind="stable")
    topic_arr = np.array(topic_of)[order]
    orders = Orders(accepted=accepted[order],
                    county_codes=subjects["region_code"].to_numpy()[np.array(subject_of)[order]],
                    topic_of=topic_arr, cat_of=np.array([cats.index(topics[t].category) for t in topic_arr]),
                    appeal=np.array(["投诉"] * len(order), dtype=object), subject_idx=np.array(subject_of)[order])
    _hotline_rows(ctx, rng, rnd, subjects, slow, orders)
