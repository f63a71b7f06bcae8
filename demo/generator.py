"""Deterministic synthetic Kaifeng warehouse: `bianjian demo --scale S --seed N [--end DATE]`.

Scale 1.0 is the whole city over three years ending yesterday (~450k market entities, ~150k 12345
orders/yr, ~100k 数字城管 cases/yr, ~200k inspections/yr, ~10k penalties/yr). Volumes, mixes and code lists
follow domain.md; text comes from our own templates (``complaint_text``). Known events are *planted*
— complaint spikes, rising trends, high-risk entities, unlicensed operators, slow departments — and written
to ``truth_planted_event`` so models and rankings can be scored against them.

Everything is vectorised with numpy except text composition; ids are assigned here, so the same seed
writes identical rows to SQLite and PostgreSQL. This module runs the steps in order and writes the register,
数字城管, inspections, credit and the smaller sources; the 12345 orders and their plants are ``demo.hotline``,
what every step shares (``Context``, planted-truth rows, time helpers) is ``demo.context``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from data_access import codes, uscc
from data_access.reference import DEPT_CODE_BY_KEY, urban_category_code
from demo import complaint_text, names, places
from demo.catalog import build_catalog
from demo.context import DAY, HOUR, MINUTE, Context, numbered, plant, random_times, random_township, to_py
from demo.exchange import Exchange
from demo.hotline import write_graded_plants, write_orders
from dispatch.demo_history import generate_history

# Per-year volumes at scale 1.0 (domain.md §7.3)
ENTITIES = 450_000
URBAN_PER_YEAR = 100_000
INSPECTIONS_PER_YEAR = 200_000
PROVINCIAL_PER_YEAR = 3_000
YEARS = 3
# Latent risk added to planted high-risk entities (their truth row's magnitude).
PLANTED_RISK_BOOST = 3.0

SUBJECT_TYPE_MIX = {"91": 0.27, "92": 0.70, "93": 0.03}
SLOW_DEPARTMENTS = 2

# Inspecting department by industry (GB/T 4754 section) when not the market regulator
INSPECTOR_BY_INDUSTRY = {"Q": "WJW", "P": "JTJ", "E": "ZJJ", "C": "STHJ", "G": "JTYS", "A": "NYNC", "R": "WGLY"}


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
    hotline_counts = write_orders(ctx, subjects, slow)
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
    write_graded_plants(ctx, subjects, slow, hotline_counts, seed)
    progress(STAGES[7])
    ctx.counts["derived_risk_lead"] = generate_history(conn, seed, end, n=max(200, round(2000 * scale)))
    progress(STAGES[8])
    ctx.counts["app_load_batch"] = ctx.exchange.record(conn)
    return ctx.counts


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
        town = random_township(rnd, c)
        name = names.business_name(rnd, industry[i], c, types[i])
        for _ in range(3):  # the template name space fills up at city scale: re-draw a few times,
            if name not in seen:
                break
            name = names.business_name(rnd, industry[i], c, types[i])
        if name in seen:  # then number the branch, as registers do for same-name outlets
            name = numbered(name, seen)
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
        "address": rows_addr, "legal_rep": rows_rep, "reg_date": to_py(reg_date).dt.date,
        "has_food_permit": (industry == "H") | ((industry == "F") & (rng.random(n) < 0.4)),
    })
    df["uscc_valid"] = [uscc.is_valid(c) for c in rows_uscc]
    df["src_id"] = "SUBJ" + df["subject_id"].astype(str)
    ctx.write("dim_subject", df)
    df["latent_risk"] = latent
    df["planted_high_risk"] = False
    df.loc[high, "planted_high_risk"] = True
    plant(ctx, [{"kind": "latent_risk_entity", "region_code": df.at[i, "region_code"], "subject_uscc": df.at[i, "uscc"],
                  "name": df.at[i, "name"], "start_day": ctx.start, "end_day": ctx.end, "magnitude": PLANTED_RISK_BOOST,
                  "detail": {"industry_code": df.at[i, "industry_code"]}} for i in high])
    return df


def _ma_body(rnd: random.Random) -> str:
    """Post-2015 enterprise bodies look like MA + 6 characters of the USCC charset."""
    return "MA" + "".join(rnd.choice(uscc.CHARSET[:-1]) for _ in range(6))


# ------------------------------------------------------------------------------------ slow departments


def _slow_departments(ctx: Context) -> list[str]:
    candidates = ["CGJ", "ZJJ", "RSJ", "STHJ", "JTYS", "NYNC", "MZJ"]
    keys = ctx.np_rng.choice(candidates, size=SLOW_DEPARTMENTS, replace=False).tolist()
    plant(ctx, [{"kind": "slow_department", "dept_code": DEPT_CODE_BY_KEY[k], "name": codes.DEPARTMENT_BY_KEY[k].name,
                  "start_day": ctx.start, "end_day": ctx.end, "magnitude": 5.0, "detail": {"dept_key": k}}
                 for k in keys])
    return [DEPT_CODE_BY_KEY[k] for k in keys]


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
    reported = np.sort(random_times(rng, day))
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
        tw = random_township(rnd, county_codes[i])
        a = places.random_address(rnd, county_codes[i], tw.name)
        addr.append(a)
        town.append(tw.code)
        desc.append(complaint_text.compose_urban(rnd, c[0], c[2], c[3], a))
    ids = np.arange(1, n + 1)
    rep = to_py(reported)
    case_no = [f"CG{r:%Y%m%d}{i:07d}" for r, i in zip(rep, ids, strict=True)]
    df = pd.DataFrame({
        "case_id": ids, "src_id": case_no, "case_no": case_no,
        "source": rng.choice(codes.URBAN_SOURCES, n, p=[0.80, 0.06, 0.07, 0.04, 0.01, 0.02]),
        "category_code": [cats[i][6] for i in cat_i], "description": desc, "region_code": county_codes,
        "township_code": town, "address": addr, "dispose_dept_code": [DEPT_CODE_BY_KEY[cats[i][5]] for i in cat_i],
        "reported_at": rep, "dispatched_at": to_py(np.where(void, nat, dispatched)),
        "dispose_deadline": to_py(np.where(void, nat, deadline)), "disposed_at": to_py(np.where(void, nat, disposed)),
        "closed_at": to_py(np.where(void, nat, closed)), "status": status,
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
    codes_ = [f"JC{d:%Y%m%d}{i:07d}" for d, i in zip(to_py(day), ids, strict=True)]
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
        "check_source": source, "check_date": to_py(day).dt.date, "submitted_at": to_py(submitted),
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
    pushed = random_times(rng, day)
    rows = []
    for i in range(n):
        s = subjects.iloc[idx[i]]
        topic = topics[rnd.randrange(len(topics))]
        title, content = complaint_text.compose_hotline(rnd, topic, s["region_code"], s["name"], s["address"])
        rows.append({"title": title, "content": content, "region_code": s["region_code"],
                     "dept_code": DEPT_CODE_BY_KEY["SCJG"], "subject_uscc": s["uscc"]})
    df = pd.DataFrame(rows)
    df.insert(0, "prov_lead_id", np.arange(1, n + 1))
    df["pushed_at"] = to_py(pushed)
    df["feedback_deadline"] = df["pushed_at"] + pd.Timedelta(days=15)
    df["status"] = np.where(df["feedback_deadline"] < pd.Timestamp(ctx.end), "已反馈", "处理中")
    df["lead_no"] = [f"HN{p:%Y%m%d}{i:06d}" for p, i in zip(df["pushed_at"], df["prov_lead_id"], strict=True)]
    df["src_id"] = df["lead_no"]
    ctx.write("fact_provincial_lead", df)
