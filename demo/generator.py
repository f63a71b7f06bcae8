"""Deterministic synthetic Kaifeng warehouse: `bianjian demo --scale S --seed N [--end DATE]`.

Scale 1.0 is the whole city over three years ending yesterday (~450k market entities, ~150k 12345
orders/yr, ~100k 数字城管 cases/yr, ~200k inspections/yr, ~10k penalties/yr). Volumes, mixes and code lists
follow domain.md; text comes from our own templates (``complaint_text``). Known events are *planted*
— complaint spikes, rising trends, high-risk entities, unlicensed operators, slow departments — and written
to ``truth_planted_event`` so models and rankings can be scored against them.

Everything is vectorised with numpy except text composition; ids are assigned here, so the same seed
writes identical rows to SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from data_access import codes, uscc, workdays
from data_access.bulk import insert_frame
from data_access.reference import DEPT_CODE_BY_KEY, county_government_code, urban_category_code
from demo import complaint_text, names, places
from demo.catalog import build_catalog
from demo.exchange import SOURCE_BY_TABLE, SRC_SYSTEM, Exchange
from dispatch.demo_history import generate_history

DAY = np.timedelta64(1, "D")
HOUR = np.timedelta64(1, "h")
MINUTE = np.timedelta64(1, "m")

# Per-year volumes at scale 1.0 (domain.md §7.3)
ENTITIES = 450_000
HOTLINE_PER_YEAR = 150_000
URBAN_PER_YEAR = 100_000
INSPECTIONS_PER_YEAR = 200_000
PROVINCIAL_PER_YEAR = 3_000
YEARS = 3
# Latent risk added to planted high-risk entities (their truth row's magnitude).
PLANTED_RISK_BOOST = 3.0

SUBJECT_TYPE_MIX = {"91": 0.27, "92": 0.70, "93": 0.03}
WEEKDAY_FACTOR = np.array([1.10, 1.05, 1.05, 1.05, 1.00, 0.78, 0.72])
HOLIDAY_FACTOR = 0.65
URBAN_FACTOR = 1.6  # urban residents call 12345 more often per head
HANDLE_DAYS = {"咨询": 5, "求助": 5, "投诉": 15, "举报": 15, "建议": 15, "表扬": 5, "其他": 10}
SLOW_DEPARTMENTS = 2

# Inspecting department by industry (GB/T 4754 section) when not the market regulator
INSPECTOR_BY_INDUSTRY = {"Q": "WJW", "P": "JTJ", "E": "ZJJ", "C": "STHJ", "G": "JTYS", "A": "NYNC", "R": "WGLY"}


TOWNSHIPS_BY_COUNTY: dict[str, list[codes.Township]] = {}
for _t in codes.TOWNSHIPS:
    TOWNSHIPS_BY_COUNTY.setdefault(_t.county_code, []).append(_t)


def _random_township(rnd: random.Random, county_code: str) -> codes.Township:
    towns = TOWNSHIPS_BY_COUNTY[county_code]
    return towns[rnd.randrange(len(towns))]


@dataclass
class Context:
    """State shared by the generation steps."""

    conn: Connection
    np_rng: np.random.Generator
    rnd: random.Random
    scale: float
    start: dt.date
    end: dt.date
    batch: str
    loaded_at: dt.datetime
    progress: Callable[[str], None]
    counts: dict[str, int]
    exchange: Exchange | None = None  # None: every row in one load (``batch`` at ``loaded_at``)

    @property
    def as_of(self) -> np.datetime64:
        """The moment the data describe: the end of ``end``."""
        return np.datetime64(dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time()))

    def write(self, table: str, df: pd.DataFrame, lineage: bool = True) -> None:
        if lineage and self.exchange is not None and table in SOURCE_BY_TABLE:
            df = self.exchange.stamp(self.conn, table, df)
        elif lineage:
            df = df.assign(src_system=SRC_SYSTEM, load_batch=self.batch, loaded_at=self.loaded_at)
        self.counts[table] = self.counts.get(table, 0) + insert_frame(self.conn, table, df)


# The generator's stages in order, as it reports them to ``progress`` (the CLI's progress bar counts them).
STAGES = ("监管事项目录", "市场主体", "12345工单", "数字城管", "检查与处罚", "信用", "无证无照、联合监管、省级线索",
          "线索转办历史", "数据交换记录")


def generate(conn: Connection, *, scale: float, seed: int, end: dt.date,
             progress: Callable[[str], None] = lambda _msg: None) -> dict[str, int]:
    """Write the demo warehouse into ``conn``'s database (one transaction owned by the caller)."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    start = end - dt.timedelta(days=365 * YEARS - 1)
    ctx = Context(conn=conn, np_rng=np.random.default_rng(seed), rnd=random.Random(seed), scale=scale,
                  start=start, end=end, batch=f"demo-{seed}-{end:%Y%m%d}",
                  loaded_at=dt.datetime.combine(end + dt.timedelta(days=1), dt.time(2, 0)),
                  progress=progress, counts={}, exchange=Exchange(start, end, seed))
    progress(STAGES[0])
    items = _catalog(ctx, seed)
    progress(STAGES[1])
    subjects = _subjects(ctx)
    slow = _slow_departments(ctx)
    progress(STAGES[2])
    hotline_counts = _hotline(ctx, subjects, slow)
    progress(STAGES[3])
    urban = _urban(ctx)
    progress(STAGES[4])
    _inspections(ctx, subjects, items, slow)
    progress(STAGES[5])
    _credit(ctx, subjects)
    progress(STAGES[6])
    _unlicensed(ctx, urban)
    _joint_tasks(ctx)
    _provincial(ctx, subjects)
    _graded_plants(ctx, subjects, slow, hotline_counts, seed)
    progress(STAGES[7])
    ctx.counts["derived_risk_lead"] = generate_history(conn, seed, end, n=max(200, round(2000 * scale)))
    progress(STAGES[8])
    ctx.counts["app_load_batch"] = ctx.exchange.record(conn)
    return ctx.counts


# ------------------------------------------------------------------------------------------ time helpers


class WorkdayIndex:
    """Vectorised working-day arithmetic over the demo period (numpy searchsorted on a cumulative count)."""

    def __init__(self, first: dt.date, last: dt.date) -> None:
        self.first = np.datetime64(first, "D")
        days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        self.cum = np.cumsum([workdays.is_workday(d) for d in days])

    def add(self, moments: np.ndarray, n: np.ndarray) -> np.ndarray:
        """End of the n-th working day after each moment (n ≥ 1)."""
        idx = (moments.astype("datetime64[D]") - self.first).astype(int)
        target = self.cum[idx] + n
        day_idx = np.searchsorted(self.cum, target)
        return self.first + day_idx.astype("timedelta64[D]") + np.timedelta64(86399, "s")


def _random_times(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """Office-hours-weighted moments on the given days."""
    hour_weights = np.array([1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 15, 12, 9, 10, 13, 14, 13, 11, 8, 6, 5, 4, 3, 2], float)
    hours = rng.choice(24, size=len(days), p=hour_weights / hour_weights.sum())
    seconds = rng.integers(0, 3600, size=len(days))
    return days.astype("datetime64[s]") + hours * np.timedelta64(3600, "s") + seconds * np.timedelta64(1, "s")


def _to_py(arr: np.ndarray) -> pd.Series:
    return pd.Series(pd.to_datetime(arr))


# --------------------------------------------------------------------------------------- catalogue


def _catalog(ctx: Context, seed: int) -> pd.DataFrame:
    items, impls = build_catalog(seed, ctx.scale, ctx.start)
    ctx.write("dim_reg_item", items, lineage=False)
    ctx.write("dim_check_impl", impls, lineage=False)
    return items


# ---------------------------------------------------------------------------------------- subjects


def _subjects(ctx: Context) -> pd.DataFrame:
    rng, rnd = ctx.np_rng, ctx.rnd
    n = max(500, round(ENTITIES * ctx.scale))
    counties = [c.code for c in codes.COUNTIES]
    county_p = np.array([c.population * (1.3 if c.urban else 1.0) for c in codes.COUNTIES], float)
    county = rng.choice(counties, size=n, p=county_p / county_p.sum())
    types = rng.choice(list(SUBJECT_TYPE_MIX), size=n, p=list(SUBJECT_TYPE_MIX.values()))
    ind_codes = [i[0] for i in codes.INDUSTRIES]
    ind_p = np.array([i[2] for i in codes.INDUSTRIES])
    industry = rng.choice(ind_codes, size=n, p=ind_p / ind_p.sum())
    industry[types == "93"] = "A"
    age_days = rng.gamma(1.6, 1400, size=n).astype(int)
    reg_date = np.datetime64(ctx.end) - age_days.astype("timedelta64[D]")
    status = rng.choice(codes.SUBJECT_STATUSES, size=n, p=[0.9, 0.03, 0.06, 0.01])
    # Latent risk drives complaints, inspection findings and credit: the signal the entity model must learn.
    industry_risk = {"H": 0.9, "F": 0.2, "Q": 0.6, "C": 0.5, "E": 0.5, "P": 0.3, "A": 0.0}
    latent = (np.vectorize(lambda c: industry_risk.get(c, 0.1))(industry) + rng.normal(0, 0.8, n)
              - np.minimum(age_days, 3650) / 3650 * 0.5 + (types == "92") * 0.2)
    n_high = max(5, round(60 * ctx.scale ** 0.5))
    eligible = np.flatnonzero((status == "存续") & np.isin(industry, ["H", "F"]))
    high = rng.choice(eligible, size=min(n_high, len(eligible)), replace=False)
    latent[high] += PLANTED_RISK_BOOST

    rows_name, rows_addr, rows_town, rows_uscc, rows_rep = [], [], [], [], []
    seen: set[str] = set()
    codes_seen: set[str] = set()
    for i in range(n):
        c = county[i]
        town = _random_township(rnd, c)
        name = names.business_name(rnd, industry[i], c, types[i])
        for _ in range(3):  # the template name space fills up at city scale: re-draw a few times,
            if name not in seen:
                break
            name = names.business_name(rnd, industry[i], c, types[i])
        if name in seen:  # then number the branch, as registers do for same-name outlets
            name = _numbered(name, seen)
        seen.add(name)
        rows_name.append(name)
        rows_town.append(town.code)
        rows_addr.append(places.random_address(rnd, c, town.name))
        rows_rep.append(names.person_name(rnd))
        region = c if c != "410290" else "410202"
        code = None
        while code is None or code in codes_seen:  # a register's codes are unique
            body = f"{rnd.randrange(36 ** 8):08d}"[-8:] if types[i] != "91" else _ma_body(rnd)
            code = uscc.make(types[i], region, body)
            if rnd.random() < 0.003:  # real registers hold codes failing the check: keep and flag them
                code = code[:17] + uscc.CHARSET[(uscc.CHARSET.index(code[17]) + 1) % 31]
        codes_seen.add(code)
        rows_uscc.append(code)
    df = pd.DataFrame({
        "subject_id": np.arange(1, n + 1), "uscc": rows_uscc, "name": rows_name, "subject_type": types,
        "industry_code": industry, "status": status, "region_code": county, "township_code": rows_town,
        "address": rows_addr, "legal_rep": rows_rep, "reg_date": _to_py(reg_date).dt.date,
        "has_food_permit": (industry == "H") | ((industry == "F") & (rng.random(n) < 0.4)),
    })
    df["uscc_valid"] = [uscc.is_valid(c) for c in rows_uscc]
    df["src_id"] = "SUBJ" + df["subject_id"].astype(str)
    ctx.write("dim_subject", df)
    df["latent_risk"] = latent
    df["planted_high_risk"] = False
    df.loc[high, "planted_high_risk"] = True
    _plant(ctx, [{"kind": "high_risk_entity", "region_code": df.at[i, "region_code"], "subject_uscc": df.at[i, "uscc"],
                  "name": df.at[i, "name"], "start_day": ctx.start, "end_day": ctx.end, "magnitude": PLANTED_RISK_BOOST,
                  "detail": {"industry_code": df.at[i, "industry_code"]}} for i in high])
    return df


_DIGITS = "零一二三四五六七八九"


def _chinese_number(n: int) -> str:
    """2 → 二, 12 → 十二, 20 → 二十 (branch ordinals as registers write them); 100 and above stay digits."""
    if n < 10:
        return _DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")
    return str(n)


def _numbered(name: str, taken: set[str]) -> str:
    """A same-name outlet's registered name: 汴京烟酒店第二分店, 开封市某某有限公司第二分公司."""
    branch = "分公司" if name.endswith("公司") else "分店"
    n = 2
    while f"{name}第{_chinese_number(n)}{branch}" in taken:
        n += 1
    return f"{name}第{_chinese_number(n)}{branch}"


def _ma_body(rnd: random.Random) -> str:
    """Post-2015 enterprise bodies look like MA + 6 characters of the USCC charset."""
    return "MA" + "".join(rnd.choice(uscc.CHARSET[:-1]) for _ in range(6))




def _plant(ctx: Context, rows: list[dict]) -> None:
    if not rows:
        return
    df = pd.DataFrame(rows)
    start = ctx.counts.get("truth_planted_event", 0) + 1
    df.insert(0, "planted_id", np.arange(start, start + len(df)))
    for col in ("region_code", "category_code", "subject_uscc", "dept_code", "name"):
        if col not in df:
            df[col] = None
    ctx.write("truth_planted_event", df, lineage=False)


# ------------------------------------------------------------------------------------ slow departments


def _slow_departments(ctx: Context) -> list[str]:
    candidates = ["CGJ", "ZJJ", "RSJ", "STHJ", "JTYS", "NYNC", "MZJ"]
    keys = ctx.np_rng.choice(candidates, size=SLOW_DEPARTMENTS, replace=False).tolist()
    _plant(ctx, [{"kind": "slow_department", "dept_code": DEPT_CODE_BY_KEY[k], "name": codes.DEPARTMENT_BY_KEY[k].name,
                  "start_day": ctx.start, "end_day": ctx.end, "magnitude": 5.0, "detail": {"dept_key": k}}
                 for k in keys])
    return [DEPT_CODE_BY_KEY[k] for k in keys]


# --------------------------------------------------------------------------------------------- 12345


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


def _hotline(ctx: Context, subjects: pd.DataFrame, slow: list[str]) -> np.ndarray:
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
    _plant(ctx, planted)
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
    accepted = _random_times(rng, days[day_of])
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
            name = _numbered(name, registered)
        registered.add(name)
        d0 = int(rng.integers(200, n_days - 20))
        k = int(rng.integers(3, 8))
        t_i = unl_topics[rnd.randrange(len(unl_topics))]
        when = days[np.minimum(d0 + np.sort(rng.integers(0, 14, k)), n_days - 1)]
        reports.append((when, ci, t_i, name))
        _plant(ctx, [{"kind": "unlicensed_operator", "region_code": county, "name": name,
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
    accepted = np.concatenate([orders.accepted, _random_times(ctx.np_rng, add_days)])
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
    """Repeat calls: the same subject named in the same county within 30 days of the previous order."""
    county_codes, topic_of, subject_idx = orders.county_codes, orders.topic_of, orders.subject_idx
    frame = pd.DataFrame({"county": county_codes, "topic": topic_of, "subject": subject_idx, "t": orders.accepted})
    key = np.where(subject_idx >= 0, "S" + subject_idx.astype(str), "T" + county_codes + topic_of.astype(str))
    frame["key"] = key
    prev = frame.groupby("key")["t"].shift(1)
    return ((frame["t"] - prev) <= pd.Timedelta(days=30)).to_numpy() & (subject_idx >= 0)


def _ticket_frame(ctx: Context, rng: np.random.Generator, rnd: random.Random, topics: list, orders: Orders,
                  h: Handling, outcome: Outcome, severe: np.ndarray, texts: dict[str, list],
                  is_repeat: np.ndarray) -> pd.DataFrame:
    """The fact_hotline_ticket rows (ids continue after those already written); draws channel, township
    and extensions."""
    n = len(orders.accepted)
    first = ctx.counts.get("fact_hotline_ticket", 0) + 1
    ids = np.arange(first, first + n)
    accepted_dt = _to_py(orders.accepted)
    order_no = [f"KF{a:%Y%m%d}{i:07d}" for a, i in zip(accepted_dt, ids, strict=True)]
    township = [_random_township(rnd, c).code for c in orders.county_codes]
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
        "accepted_at": accepted_dt, "dispatched_at": _to_py(h.dispatched), "sign_deadline": _to_py(h.sign_deadline),
        "signed_at": _to_py(h.signed), "handle_deadline": _to_py(h.handle_deadline), "replied_at": _to_py(h.replied),
        "finished_at": _to_py(h.finished), "status": h.status, "reply_content": texts["reply_content"],
        "return_count": outcome.returns, "redo_count": outcome.redo,
        "extension_days": np.where(h.overdue & (rng.random(n) < 0.3), 5, 0), "is_repeat": is_repeat,
        "satisfaction": outcome.satisfaction, "is_solved": outcome.solved, "subject_uscc": texts["subject_uscc"],
        "updated_at": _to_py(updated),
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
    first = ctx.counts.get("fact_hotline_event", 0) + 1
    ev.insert(0, "event_id", np.arange(first, first + len(ev)))
    ev["src_id"] = "EV" + ev["event_id"].astype(str)
    if "note" not in ev:
        ev["note"] = None
    ctx.write("fact_hotline_event", ev)


# ----------------------------------------------------------------------------- graded (weaker) plants

# Strengths of the planted events added over a range, many below what the lead rules need, so the backtest
# draws a detection curve instead of a pass mark: spikes by their mean extra complaints a day (the strong
# plants above add at least 6), unlicensed operators by their number of reports (the rule needs 3), trends
# by their rise over 180 days as a multiple of the series' baseline (the strong plants rise by at least 1.5x).
GRADED_SPIKE_PER_DAY = (1.0, 2.0, 3.0, 4.0, 5.0)
GRADED_UNLICENSED_REPORTS = (1, 2, 3, 4)
GRADED_TREND_RISE = (0.25, 0.5, 0.75, 1.0)


def _graded_plants(ctx: Context, subjects: pd.DataFrame, slow: list[str], counts: np.ndarray, seed: int) -> None:
    """Planted spikes, trends and unlicensed operators of graded strength, as extra 12345 orders.

    Drawn from their own generators after every other step, so the rest of the warehouse is the same as
    without them; each lands on a county × category no other plant uses.
    """
    rng, rnd = np.random.default_rng([seed, 20]), random.Random(seed * 1_000_003 + 20)
    topics, topics_by_cat = _topic_tables()
    cats = [c[0] for c in codes.HOTLINE_CATEGORIES]
    days = np.arange(np.datetime64(ctx.start), np.datetime64(ctx.end) + DAY, DAY)
    n_days = len(days)
    county_codes = [c.code for c in codes.COUNTIES]
    taken = {(r.region_code, r.category_code) for r in ctx.conn.exec_driver_sql(
        "SELECT region_code, category_code FROM truth_planted_event WHERE category_code IS NOT NULL")}
    big_cats = np.argsort(-counts.sum(axis=(0, 1)))[:25]
    free = [(ci, ki) for ci in range(len(county_codes)) for ki in big_cats
            if (county_codes[ci], codes.hotline_category_code(int(ki))) not in taken]
    pick = rng.permutation(len(free))
    slots = iter(free[i] for i in pick)
    day_of, county_of, cat_of, names_of, planted = [], [], [], {}, []

    def add(ci: int, ki: int, when: np.ndarray) -> None:
        day_of.extend(when.tolist())
        county_of.extend([ci] * len(when))
        cat_of.extend([ki] * len(when))

    n_spike = max(6, round(30 * ctx.scale ** 0.5))
    for j in range(n_spike):
        ci, ki = next(slots)
        strength = GRADED_SPIKE_PER_DAY[j % len(GRADED_SPIKE_PER_DAY)]
        d0, length = int(rng.integers(400, n_days - 10)), int(rng.integers(3, 7))
        extra = rng.poisson(strength, size=length)
        add(ci, ki, np.repeat(np.arange(d0, d0 + length), extra))
        planted.append({"kind": "spike", "region_code": county_codes[ci], "category_code": codes.hotline_category_code(ki),
                        "start_day": days[d0].astype(object), "end_day": days[d0 + length - 1].astype(object),
                        "magnitude": float(extra.mean() / max(counts[d0 - 28:d0, ci, ki].mean(), 0.1)),
                        "detail": {"extra_per_day": extra.tolist(), "strength": float(strength), "graded": True,
                                   "baseline_per_day": round(float(counts[d0 - 28:d0, ci, ki].mean()), 2)}})
    n_trend = max(3, round(8 * ctx.scale ** 0.3))
    ramp = np.clip((np.arange(n_days) - (n_days - 180)) / 180, 0, None)
    for j in range(n_trend):
        ci, ki = next(slots)
        strength = GRADED_TREND_RISE[j % len(GRADED_TREND_RISE)]
        base = float(counts[: n_days - 180, ci, ki].mean())
        extra = rng.poisson(ramp * strength * max(base, 0.5))
        add(ci, ki, np.repeat(np.arange(n_days), extra))
        planted.append({"kind": "trend", "region_code": county_codes[ci], "category_code": codes.hotline_category_code(ki),
                        "start_day": ctx.end - dt.timedelta(days=179), "end_day": ctx.end, "magnitude": 1.0 + strength,
                        "detail": {"shape": "linear ramp over 180 days", "baseline_per_day": round(base, 2),
                                   "rise_per_day": round(strength * max(base, 0.5), 2), "strength": strength,
                                   "graded": True}})
    n_unl = max(4, round(25 * ctx.scale ** 0.5))
    unl_topics = [i for i, t in enumerate(topics) if t.names_business and "H" in (t.industries or ())]
    registered = set(subjects["name"]) | set(ctx.conn.exec_driver_sql(
        "SELECT name FROM truth_planted_event WHERE name IS NOT NULL").scalars())
    unl_rows = []
    for j in range(n_unl):
        ci = int(rng.integers(len(county_codes)))
        name = names.business_name(rnd, "H", county_codes[ci], "92")
        if name in registered:
            name = _numbered(name, registered)
        registered.add(name)
        k = GRADED_UNLICENSED_REPORTS[j % len(GRADED_UNLICENSED_REPORTS)]
        d0 = int(rng.integers(200, n_days - 20))
        when = np.minimum(d0 + np.sort(rng.integers(0, 14, k)), n_days - 1)
        t_i = unl_topics[rnd.randrange(len(unl_topics))]
        unl_rows.append((when, ci, t_i, name))
        planted.append({"kind": "unlicensed_operator", "region_code": county_codes[ci], "name": name,
                        "category_code": codes.HOTLINE_CATEGORY_CODE_BY_NAME[topics[t_i].category],
                        "start_day": days[when[0]].astype(object), "end_day": days[when[-1]].astype(object),
                        "magnitude": float(k), "detail": {"complaints": k, "strength": k, "graded": True}})
    # topic within category, appeal by topic (as the main orders); unlicensed reports are 举报 of their topic
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
    for when, ci, t_i, name in unl_rows:
        for d in when.tolist():
            names_of[len(day_of)] = name
            day_of.append(d)
            county_of.append(ci)
            cat_of.append(cats.index(topics[t_i].category))
            topic_of.append(t_i)
            appeal.append("举报")
    accepted = _random_times(rng, days[np.array(day_of, dtype=int)])
    order = np.argsort(accepted, kind="stable")
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    _plant(ctx, planted)
    _hotline_rows(ctx, rng, rnd, subjects, slow, Orders(
        accepted=accepted[order], county_codes=np.array(county_codes)[np.array(county_of)[order]],
        topic_of=np.array(topic_of)[order], cat_of=np.array(cat_of)[order],
        appeal=np.array(appeal, dtype=object)[order], subject_idx=np.full(len(order), -1),
        unlicensed_names={int(inverse[i]): v for i, v in names_of.items()}))


# ---------------------------------------------------------------------------------------------- 数字城管


def _urban(ctx: Context) -> pd.DataFrame:
    rng, rnd = ctx.np_rng, ctx.rnd
    n = max(300, round(URBAN_PER_YEAR * YEARS * ctx.scale))
    cats = [(kind, major, major_name, minor, hours, dept, urban_category_code(kind, major, j))
            for kind, major, major_name, minors, hours, dept in codes.URBAN_CATEGORIES for j, minor in enumerate(minors)]
    w = np.array([(6.0 if c[0] == "事件" else 1.0) * (3 if c[3] in ("非法小广告", "暴露垃圾", "占道经营") else 1) for c in cats])
    cat_i = rng.choice(len(cats), n, p=w / w.sum())
    cw = np.array([c.population * (1.0 if c.urban else 0.15) for c in codes.COUNTIES])
    county_i = rng.choice(len(codes.COUNTIES), n, p=cw / cw.sum())
    day = np.datetime64(ctx.start) + rng.integers(0, (ctx.end - ctx.start).days + 1, n) * DAY
    reported = np.sort(_random_times(rng, day))
    # dispose limits are working hours; ~1.5 clock hours per working hour
    limit_s = np.array([cats[i][4] for i in cat_i]) * 1.5 * 3600
    dispatched = reported + (rng.integers(10, 240, n) * MINUTE)
    deadline = dispatched + limit_s.astype("timedelta64[s]")
    late = rng.random(n) < 0.12
    disposed = dispatched + (limit_s * np.where(late, 1.5 + rng.random(n), rng.beta(2, 3, n))).astype(
        "timedelta64[s]")
    closed = disposed + (rng.integers(1, 48, n) * HOUR)
    as_of = ctx.as_of.astype("datetime64[s]")
    nat = np.datetime64("NaT", "s")
    disposed = np.where(disposed <= as_of, disposed, nat)
    closed = np.where(closed <= as_of, closed, nat)
    void = rng.random(n) < 0.04
    status = np.where(void, "作废", np.where(~np.isnat(closed), "结案", np.where(~np.isnat(disposed), "核查", "派遣")))
    county_codes = np.array([c.code for c in codes.COUNTIES])[county_i]
    desc, addr, town = [], [], []
    for i in range(n):
        c = cats[cat_i[i]]
        tw = _random_township(rnd, county_codes[i])
        a = places.random_address(rnd, county_codes[i], tw.name)
        addr.append(a)
        town.append(tw.code)
        desc.append(complaint_text.compose_urban(rnd, c[0], c[2], c[3], a))
    ids = np.arange(1, n + 1)
    rep = _to_py(reported)
    case_no = [f"CG{r:%Y%m%d}{i:07d}" for r, i in zip(rep, ids, strict=True)]
    df = pd.DataFrame({
        "case_id": ids, "src_id": case_no, "case_no": case_no,
        "source": rng.choice(codes.URBAN_SOURCES, n, p=[0.80, 0.06, 0.07, 0.04, 0.01, 0.02]),
        "category_code": [cats[i][6] for i in cat_i], "description": desc, "region_code": county_codes,
        "township_code": town, "address": addr, "dispose_dept_code": [DEPT_CODE_BY_KEY[cats[i][5]] for i in cat_i],
        "reported_at": rep, "dispatched_at": _to_py(np.where(void, nat, dispatched)),
        "dispose_deadline": _to_py(np.where(void, nat, deadline)), "disposed_at": _to_py(np.where(void, nat, disposed)),
        "closed_at": _to_py(np.where(void, nat, closed)), "status": status,
        "rework_count": (rng.random(n) < 0.04).astype(int), "is_overdue": late & ~void,
    })
    ctx.write("fact_urban_case", df)
    df["minor_name"] = [cats[i][3] for i in cat_i]
    return df


# ------------------------------------------------------------------------------- inspections, penalties


def _inspections(ctx: Context, subjects: pd.DataFrame, items: pd.DataFrame, slow: list[str]) -> None:
    rng = ctx.np_rng
    n = max(600, round(INSPECTIONS_PER_YEAR * YEARS * ctx.scale))
    live = subjects[subjects.status == "存续"].reset_index(drop=True)
    latent = live["latent_risk"].to_numpy()
    w = np.exp(0.6 * np.clip(latent, -3, 5))
    s_i = rng.choice(len(live), n, p=w / w.sum())
    industry = live["industry_code"].to_numpy()[s_i]
    dept_key = np.array([INSPECTOR_BY_INDUSTRY.get(x, "SCJG") if rng.random() < 0.35 else "SCJG" for x in industry])
    check_items = items[(items.item_category == "0") & (items.item_level == "SUB")]
    items_by_dept = {k: g["item_code"].to_numpy() for k, g in check_items.groupby("dept_code")}
    dept = np.array([DEPT_CODE_BY_KEY[k] for k in dept_key], dtype=object)
    item_code = np.array([rng.choice(items_by_dept[d]) for d in dept], dtype=object)
    day = np.sort(np.datetime64(ctx.start) + rng.integers(0, (ctx.end - ctx.start).days + 1, n) * DAY)
    source = rng.choice(list(codes.CHECK_SOURCES), n, p=[0.45, 0.25, 0.15, 0.05, 0.02, 0.08])
    p_problem = 1 / (1 + np.exp(-(latent[s_i] * 1.1 - 1.6)))
    has_problem = rng.random(n) < p_problem
    result_codes = [r[0] for r in codes.INSPECTION_RESULTS]
    problem_codes = [r[0] for r in codes.INSPECTION_RESULTS if r[2]]
    result = np.where(has_problem, rng.choice(problem_codes, n, p=[0.45, 0.15, 0.15, 0.1, 0.05, 0.1]),
                      rng.choice(["NO_PROBLEM", "NOT_OPERATING", "CLOSED"], n, p=[0.94, 0.04, 0.02]))
    assert set(result) <= set(result_codes)
    followup = np.where(result == "TRANSFERRED", "CASE", np.where(result == "CORRECTED", "RECTIFY",
                        np.where(has_problem & (rng.random(n) < 0.15), "CASE", "NONE")))
    lag_days = rng.gamma(np.where(np.isin(dept, slow), 4.0, 1.2), 2.0).astype(int)
    submitted = day.astype("datetime64[s]") + lag_days * DAY + rng.integers(8, 18, n) * HOUR
    ids = np.arange(1, n + 1)
    codes_ = [f"JC{d:%Y%m%d}{i:07d}" for d, i in zip(_to_py(day), ids, strict=True)]
    # 双随机 tasks per department and year; RANDOM-source checks belong to one of them
    years = day.astype("datetime64[Y]").astype(int) + 1970
    tasks = []
    task_of = np.full(n, None, dtype=object)
    tid = 0
    rand_mask = source == "RANDOM"
    for (d, y), grp in pd.DataFrame({"d": dept[rand_mask], "y": years[rand_mask],
                                     "i": np.flatnonzero(rand_mask)}).groupby(["d", "y"]):
        k = max(1, len(grp) // 150)
        for j, chunk in enumerate(np.array_split(grp["i"].to_numpy(), k)):
            tid += 1
            task_of[chunk] = tid
            population = int(len(chunk) / 0.05)
            planned = int(len(chunk) * rng.uniform(1.0, 1.12))
            tasks.append({"task_id": tid, "src_id": f"RT{tid}", "task_code": f"SJ{y}{tid:05d}",
                          "name": f"{y}年度{codes.DEPARTMENT_BY_KEY[_key_of(d)].short_name}双随机抽查任务（第{j + 1}批）",
                          "lead_dept_code": d, "co_dept_codes": None, "item_code": item_code[chunk[0]],
                          "plan_year": int(y), "sample_ratio": 0.05, "population_n": population,
                          "sampled_n": planned, "checked_n": len(chunk),
                          "start_date": dt.date(int(y), 3, 1), "end_date": dt.date(int(y), 11, 30),
                          "published_at": dt.date(int(y), 12, 20) if dt.date(int(y), 12, 20) <= ctx.end else None})
    ctx.write("fact_random_task", pd.DataFrame(tasks))
    df = pd.DataFrame({
        "inspection_id": ids, "src_id": codes_, "check_action_code": codes_, "item_code": item_code,
        "impl_code": None, "task_id": pd.array(task_of, dtype="Int64"), "dept_code": dept,
        "subject_uscc": live["uscc"].to_numpy()[s_i], "region_code": live["region_code"].to_numpy()[s_i],
        "check_form": np.where(source == "SPECIAL", "2", "1"), "check_category": np.where(rng.random(n) < 0.85, "1", "2"),
        "check_source": source, "check_date": _to_py(day).dt.date, "submitted_at": _to_py(submitted),
        "inspectors_n": rng.choice([2, 2, 2, 3, 4], n), "result": result, "has_problem": has_problem,
        "followup": followup,
    })
    ctx.write("fact_inspection", df)
    # penalties from the checks that opened a case
    case = df[df.followup == "CASE"].reset_index(drop=True)
    m = len(case)
    filed = pd.to_datetime(case["check_date"]) + pd.to_timedelta(rng.integers(1, 20, m), unit="D")
    decided = filed + pd.to_timedelta(rng.integers(10, 90, m), unit="D")
    keep = decided.dt.date <= ctx.end
    fines = np.round(rng.lognormal(np.log(3000), 1.1, m), -1)
    pen = pd.DataFrame({
        "penalty_id": np.arange(1, m + 1), "item_code": case["item_code"], "dept_code": case["dept_code"],
        "subject_uscc": case["subject_uscc"], "region_code": case["region_code"],
        "case_source": rng.choice(codes.CASE_SOURCES, m, p=[0.55, 0.2, 0.05, 0.05, 0.02, 0.05, 0.06, 0.02]),
        "procedure": rng.choice(codes.PENALTY_PROCEDURES, m, p=[0.3, 0.65, 0.05]),
        "penalty_types": rng.choice(["警告", "罚款", "警告,罚款", "罚款,没收违法所得", "责令停产停业,罚款"], m,
                                    p=[0.25, 0.45, 0.15, 0.12, 0.03]),
        "illegal_facts": None, "fine_amount": fines, "filed_at": filed.dt.date, "decided_at": decided.dt.date,
        "closed_at": (decided + pd.to_timedelta(rng.integers(5, 60, m), unit="D")).dt.date,
        "related_check_code": case["check_action_code"], "is_major_case": fines > 50_000,
    })[keep.to_numpy()]
    pen["closed_at"] = [c if c <= ctx.end else None for c in pen["closed_at"]]
    pen["decision_no"] = [f"汴{_short(d)}罚〔{y}〕{i}号" for d, y, i in
                          zip(pen["dept_code"], pd.to_datetime(pen["decided_at"]).dt.year, pen["penalty_id"], strict=True)]
    pen["src_id"] = pen["decision_no"]
    ctx.write("fact_penalty", pen)


def _key_of(dept_code: str) -> str:
    return next(k for k, v in DEPT_CODE_BY_KEY.items() if v == dept_code)


def _short(dept_code: str) -> str:
    return codes.DEPARTMENT_BY_KEY[_key_of(dept_code)].short_name.removeprefix("市")[:2]


# ------------------------------------------------------------------------------------------------ credit


def _credit(ctx: Context, subjects: pd.DataFrame) -> None:
    rng = ctx.np_rng
    n = len(subjects)
    latent = subjects["latent_risk"].to_numpy()
    rank = latent.argsort().argsort() / n
    grade = np.select([rank < 0.30, rank < 0.80, rank < 0.95], ["A", "B", "C"], "D")
    eval_day = dt.date(ctx.end.year - 1, 12, 31)
    ctx.write("fact_credit_grade", pd.DataFrame({
        "grade_id": np.arange(1, n + 1), "src_id": "CG" + subjects["subject_id"].astype(str),
        "subject_uscc": subjects["uscc"], "grade": grade, "score": np.round(100 - rank * 100, 1),
        "evaluated_on": eval_day}))
    lists = []
    p = {"ABNORMAL": 0.06 * (0.5 + rank), "SERIOUS": 0.004 * (rank > 0.9) * 10, "REDLIST": 0.03 * (rank < 0.3),
         "KEY_SUPERVISION": 0.02 * (rank > 0.95) * 5}
    reasons = {"ABNORMAL": ("未按期报送年度报告", "通过登记的住所无法联系", "未按规定公示即时信息"),
               "SERIOUS": ("被列入经营异常名录届满3年仍未移出", "食品安全严重违法"),
               "REDLIST": ("连续三年守合同重信用",), "KEY_SUPERVISION": ("多次投诉举报且检查发现问题",)}
    scjg = DEPT_CODE_BY_KEY["SCJG"]
    span = (ctx.end - ctx.start).days
    for list_type, prob in p.items():
        mask = rng.random(n) < prob
        k = int(mask.sum())
        in_days = rng.integers(0, span, k)
        in_date = [ctx.start + dt.timedelta(days=int(d)) for d in in_days]
        out = [d + dt.timedelta(days=int(x)) if r < 0.35 and d + dt.timedelta(days=int(x)) <= ctx.end else None
               for d, x, r in zip(in_date, rng.integers(30, 400, k), rng.random(k), strict=True)]
        lists.append(pd.DataFrame({"subject_uscc": subjects["uscc"].to_numpy()[mask], "list_type": list_type,
                                   "reason": rng.choice(reasons[list_type], k), "decided_by_dept_code": scjg,
                                   "in_date": in_date, "out_date": out}))
    cl = pd.concat(lists, ignore_index=True)
    cl.insert(0, "list_entry_id", np.arange(1, len(cl) + 1))
    cl["src_id"] = "CL" + cl["list_entry_id"].astype(str)
    ctx.write("fact_credit_list", cl)
    # joint reward / punishment measures for listed subjects
    targets = cl[cl.list_type.isin(["SERIOUS", "REDLIST"])]
    rows = []
    for r in targets.itertuples():
        pool = ("P01", "P02", "P03", "P04") if r.list_type == "SERIOUS" else ("R01", "R02", "R03")
        for code in rng.choice(pool, size=int(rng.integers(1, 3)), replace=False):
            applied = r.in_date + dt.timedelta(days=int(rng.integers(5, 90)))
            if applied > ctx.end:
                continue
            rows.append({"measure_code": code, "subject_uscc": r.subject_uscc,
                         "applied_by_dept_code": DEPT_CODE_BY_KEY[str(rng.choice(["SCJG", "FGW", "ZWFW", "ZJJ"]))],
                         "scenario": str(rng.choice(["招投标", "政府采购", "行政审批", "评优评先", "日常监管"])),
                         "applied_at": applied, "result": str(rng.choice(["已实施", "已实施", "已反馈", "未反馈"]))})
    jm = pd.DataFrame(rows)
    if not jm.empty:
        jm.insert(0, "measure_id", np.arange(1, len(jm) + 1))
        jm["src_id"] = "JM" + jm["measure_id"].astype(str)
        ctx.write("fact_joint_measure", jm)


# ---------------------------------------------------------------------- unlicensed, joint tasks, province


def _unlicensed(ctx: Context, urban: pd.DataFrame) -> None:
    rng, rnd = ctx.np_rng, ctx.rnd
    src = urban[urban.minor_name.isin(["无照经营游商", "占道经营"])].reset_index(drop=True)
    # 60 % of those cases, spread evenly over the three years (the cases are in time order; the first 60 %
    # stopped the leads more than a year before the demo's end); no random draw, so later steps are unchanged
    m = min(len(src), max(20, round(len(src) * 0.6)))
    src = src.iloc[(np.arange(m) * len(src)) // m].reset_index(drop=True)
    kind = rng.choice(codes.UNLICENSED_KINDS, m, p=[0.6, 0.25, 0.15])
    # 无照 → market regulator; 无证 / 无证无照 → the permit-issuing department (国务院令第684号 art. 5–7)
    permit_dept = rng.choice(["SCJG", "WJW", "WGLY", "JTYS"], m, p=[0.6, 0.15, 0.15, 0.1])
    resp = np.where(kind == "无照", DEPT_CODE_BY_KEY["SCJG"], [DEPT_CODE_BY_KEY[k] for k in permit_dept])
    found = pd.to_datetime(src["reported_at"])
    done = rng.random(m) < 0.75
    closed = found + pd.to_timedelta(rng.integers(2, 40, m), unit="D")
    closed = closed.where(done & (closed <= pd.Timestamp(ctx.end)), pd.NaT)
    status = np.where(closed.notna(), rng.choice(["不属实", "属实-引导办照", "属实-责令改正", "属实-立案查处", "已取缔", "销号"],
                      m, p=[0.15, 0.3, 0.25, 0.1, 0.1, 0.1]), rng.choice(["待分流", "待核查"], m))
    ind = rng.choice(["H", "F", "O"], m)
    df = pd.DataFrame({
        "lead_id": np.arange(1, m + 1), "source": "数字城管", "kind": kind,
        "suspect_name": [names.business_name(rnd, i, c, "92") for i, c in zip(ind, src["region_code"], strict=True)],
        "industry_code": ind, "region_code": src["region_code"], "address": src["address"], "resp_dept_code": resp,
        "status": status, "found_at": found, "closed_at": closed, "related_ticket_id": None,
    })
    df["lead_no"] = [f"WZ{f:%Y%m%d}{i:06d}" for f, i in zip(df["found_at"], df["lead_id"], strict=True)]
    df["src_id"] = df["lead_no"]
    ctx.write("fact_unlicensed_lead", df)


def _joint_tasks(ctx: Context) -> None:
    rng = ctx.np_rng
    n = max(10, round(300 * ctx.scale ** 0.5))
    themes = ("校园周边食品安全联合检查", "燃气安全联合执法", "建筑工地扬尘联合督查", "景区市场秩序联合整治",
              "养老机构安全联合检查", "成品油市场联合检查", "校外培训机构联合治理", "餐饮油烟联合整治")
    partners = {0: ("SCJG", "JTJ", "WJW"), 1: ("CGJ", "YJJ", "XFZD"), 2: ("ZJJ", "STHJ", "CGJ"), 3: ("WGLY", "SCJG", "GAJ"),
                4: ("MZJ", "XFZD", "WJW"), 5: ("SWJ", "SCJG", "YJJ"), 6: ("JTJ", "SCJG", "XFZD"), 7: ("STHJ", "CGJ", "SCJG")}
    tasks, parts = [], []
    pid = 0
    span = (ctx.end - ctx.start).days
    for tid in range(1, n + 1):
        th = int(rng.integers(len(themes)))
        start = ctx.start + dt.timedelta(days=int(rng.integers(0, span)))
        end = start + dt.timedelta(days=int(rng.integers(7, 60)))
        county = codes.COUNTIES[int(rng.integers(len(codes.COUNTIES)))]
        status = "已完成" if end < ctx.end - dt.timedelta(days=10) else "进行中"
        tasks.append({"task_id": tid, "src_id": f"LH{tid}", "name": f"{county.name}{themes[th]}",
                      "lead_dept_code": DEPT_CODE_BY_KEY[partners[th][0]], "region_code": county.code,
                      "planned_start": start, "planned_end": end, "status": status})
        for key in partners[th]:
            pid += 1
            done = status == "已完成" or rng.random() < 0.4
            parts.append({"part_id": pid, "src_id": f"LHP{pid}", "task_id": tid, "dept_code": DEPT_CODE_BY_KEY[key],
                          "duty": f"负责{codes.DEPARTMENT_BY_KEY[key].short_name}职责范围内的检查",
                          "status": "已完成" if done else "进行中",
                          "done_at": dt.datetime.combine(min(end, ctx.end), dt.time(17)) if done else None})
    ctx.write("fact_joint_task", pd.DataFrame(tasks))
    ctx.write("fact_joint_task_part", pd.DataFrame(parts))


def _provincial(ctx: Context, subjects: pd.DataFrame) -> None:
    rng, rnd = ctx.np_rng, ctx.rnd
    n = max(30, round(PROVINCIAL_PER_YEAR * YEARS * ctx.scale))
    topics = [t for t in complaint_text.TOPICS if t.names_business]
    idx = rng.choice(len(subjects), n)
    day = np.sort(np.datetime64(ctx.start) + rng.integers(0, (ctx.end - ctx.start).days + 1, n) * DAY)
    pushed = _random_times(rng, day)
    rows = []
    for i in range(n):
        s = subjects.iloc[idx[i]]
        topic = topics[rnd.randrange(len(topics))]
        title, content = complaint_text.compose_hotline(rnd, topic, s["region_code"], s["name"], s["address"])
        rows.append({"title": title, "content": content, "region_code": s["region_code"],
                     "dept_code": DEPT_CODE_BY_KEY["SCJG"], "subject_uscc": s["uscc"]})
    df = pd.DataFrame(rows)
    df.insert(0, "prov_lead_id", np.arange(1, n + 1))
    df["pushed_at"] = _to_py(pushed)
    df["feedback_deadline"] = df["pushed_at"] + pd.Timedelta(days=15)
    df["status"] = np.where(df["feedback_deadline"] < pd.Timestamp(ctx.end), "已反馈", "处理中")
    df["lead_no"] = [f"HN{p:%Y%m%d}{i:06d}" for p, i in zip(df["pushed_at"], df["prov_lead_id"], strict=True)]
    df["src_id"] = df["lead_no"]
    ctx.write("fact_provincial_lead", df)
