"""The indicator library: every evaluation indicator declared once, with its formula over the warehouse.

An indicator is a ratio ``numerator ÷ denominator`` per month × unit. Units come in two peer groups that
are ranked separately (domain.md §5.3: counties and departments are never ranked together):

- ``COUNTY``: the 9 county-level divisions and 示范区, by ``region_code`` of the record;
- ``DEPARTMENT``: the city's departments and public utilities, by the responsible ``dept_code``
  (county governments are assessed in the COUNTY group instead).

A unit with no denominator in a month gets no row: it has "no data" (无数据), never a value of 0.
Each formula returns every month of the window in one grouped query, so a full rebuild costs a few
queries per indicator, not one per month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, and_, case, delete, func, insert, select

from data_access import codes, queries_evaluation, workdays
from data_access.reference import DEPT_CODE_BY_KEY
from data_access.schema import (
    CheckImpl,
    ComplaintFeature,
    HotlineTicket,
    Inspection,
    MonthlyIndicator,
    Penalty,
    RandomTask,
    RegItem,
    RiskLead,
    UrbanCase,
)
from data_access.sql_dates import day_of, month_of, year_of
from text_mining.reply_quality import score_replies

COUNTY, DEPARTMENT = "COUNTY", "DEPARTMENT"
GROUP_NAMES = {COUNTY: "区县", DEPARTMENT: "市直部门"}

# The units of each peer group, code → display name; built from ``codes`` so nothing is listed twice.
UNITS: dict[str, dict[str, str]] = {
    COUNTY: {c.code: c.name for c in codes.COUNTIES},
    DEPARTMENT: {DEPT_CODE_BY_KEY[d.key]: d.short_name for d in codes.CITY_DEPARTMENTS},
}
UNIT_GROUP_OF = {code: group for group, units in UNITS.items() for code in units}
# A county government's department code maps to its county, so its head sees the county's rank.
COUNTY_OF_GOVERNMENT = {DEPT_CODE_BY_KEY[f"GOV{c.code}"]: c.code for c in codes.COUNTIES}



def unit_of_department(dept_code: str) -> tuple[str, str] | None:
    """(group, unit code) under which a department is ranked, or None if it is not ranked."""
    if dept_code in COUNTY_OF_GOVERNMENT:
        return COUNTY, COUNTY_OF_GOVERNMENT[dept_code]
    return (DEPARTMENT, dept_code) if dept_code in UNITS[DEPARTMENT] else None


# Working days allowed between an inspection and its upload for the upload to count as timely.
SUBMIT_LIMIT_WORKDAYS = 5

ROW_COLUMNS = ["month", "unit_group", "unit_code", "numerator", "denominator"]


@dataclass(frozen=True)
class Window:
    """Months ``[start, end)``; ``end`` is capped at the data's as-of time, so deadlines still in the
    future never count as missed."""

    start: dt.datetime
    end: dt.datetime

    def months(self) -> list[str]:
        out, day = [], self.start.date().replace(day=1)
        while dt.datetime.combine(day, dt.time()) < self.end:
            out.append(f"{day:%Y-%m}")
            day = (day + dt.timedelta(days=32)).replace(day=1)
        return out


Formula = Callable[[Connection, Window], pd.DataFrame]


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str
    family: str  # the bulletin groups indicators by family (one XLSX sheet each)
    direction: str  # "higher" or "lower" is better
    target: float  # default target; weights.toml may override it
    groups: tuple[str, ...]
    definition: str  # the formula in words, for the docs and the bulletin's notes
    formula: Formula
    unit: str = "%"
    counted: bool = True  # the value is a share of counted cases (a Wilson interval applies); False: a mean score
    cumulative: bool = False  # the month's value already accumulates (year to date, state at month end)

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher"


# ----------------------------------------------------------------------------------------- SQL helpers


def _ratio(conn: Connection, window: Window, *, when, units: dict, num, where=()) -> pd.DataFrame:  # noqa: ANN001
    """Σnum ÷ count(rows) per month of ``when`` × unit, for each unit group's column in ``units``."""
    frames = []
    for group, column in units.items():
        month = month_of(when)
        stmt = (select(month.label("month"), column.label("unit_code"), func.sum(num), func.count())
                .where(when >= window.start, when < window.end, column.is_not(None), *where)
                .group_by(month, column))
        df = pd.DataFrame(conn.execute(stmt).all(), columns=["month", "unit_code", "numerator", "denominator"])
        df.insert(1, "unit_group", group)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)[ROW_COLUMNS]


def _flag(condition):  # noqa: ANN001, ANN202
    return case((condition, 1), else_=0)


def _per_unit(df: pd.DataFrame, units: dict[str, str], numerator: str, denominator: str) -> pd.DataFrame:
    """Σ``numerator`` and Σ``denominator`` of a frame with a ``month`` column, per month × unit, for each unit
    group's column in ``units`` (the pandas twin of :func:`_ratio`; rows without a unit are left out)."""
    frames = []
    for group, column in units.items():
        g = df.groupby(["month", column], as_index=False)[[numerator, denominator]].sum()
        frames.append(pd.DataFrame({"month": g["month"], "unit_group": group, "unit_code": g[column],
                                    "numerator": g[numerator], "denominator": g[denominator]}))
    return pd.concat(frames, ignore_index=True)[ROW_COLUMNS]


_T, _L, _U, _F = HotlineTicket, RiskLead, UrbanCase, ComplaintFeature
_TICKET_UNITS = {COUNTY: _T.region_code, DEPARTMENT: _T.main_dept_code}
_LEAD_UNITS = {COUNTY: _L.region_code, DEPARTMENT: _L.dept_code}
_URBAN_UNITS = {COUNTY: _U.region_code, DEPARTMENT: _U.dispose_dept_code}
_ANSWERED = ("满意", "基本满意", "不满意")


# -------------------------------------------------------------------------------------------- formulas


def hotline_sign_ontime(conn: Connection, w: Window) -> pd.DataFrame:
    return _ratio(conn, w, when=_T.sign_deadline, units=_TICKET_UNITS,
                  num=_flag(and_(_T.signed_at.is_not(None), _T.signed_at <= _T.sign_deadline)))


def hotline_finish_ontime(conn: Connection, w: Window) -> pd.DataFrame:
    """On-time completion against the deadline in force: an approved extension moves it (working days)."""
    plain = _ratio(conn, w, when=_T.handle_deadline, units=_TICKET_UNITS, where=[~queries_evaluation.extension_approved()],
                   num=_flag(and_(_T.finished_at.is_not(None), _T.finished_at <= _T.handle_deadline)))
    ext = queries_evaluation.extended_tickets(conn, w.end)
    ext = ext[(ext.deadline >= w.start) & (ext.deadline < w.end)]
    if ext.empty:
        return plain
    ext = ext.assign(month=ext.deadline.dt.strftime("%Y-%m"), denominator=1,
                     numerator=(ext.finished_at.notna() & (ext.finished_at <= ext.deadline)).astype(int))
    extended = _per_unit(ext, {COUNTY: "region_code", DEPARTMENT: "dept_code"}, "numerator", "denominator")
    both = pd.concat([plain, extended], ignore_index=True)
    both[["numerator", "denominator"]] = both[["numerator", "denominator"]].astype(float)
    return both.groupby(["month", "unit_group", "unit_code"], as_index=False)[["numerator", "denominator"]].sum()[
        ROW_COLUMNS]


def hotline_satisfaction(conn: Connection, w: Window) -> pd.DataFrame:
    return _ratio(conn, w, when=_T.finished_at, units=_TICKET_UNITS, where=[_T.satisfaction.in_(_ANSWERED)],
                  num=_flag(_T.satisfaction.in_(("满意", "基本满意"))))


def hotline_resolution(conn: Connection, w: Window) -> pd.DataFrame:
    return _ratio(conn, w, when=_T.finished_at, units=_TICKET_UNITS, where=[_T.is_solved.is_not(None)],
                  num=_flag(_T.is_solved.is_(True)))


def hotline_repeat(conn: Connection, w: Window) -> pd.DataFrame:
    return _ratio(conn, w, when=_T.accepted_at, units=_TICKET_UNITS, num=_flag(_T.is_repeat.is_(True)))


def hotline_return(conn: Connection, w: Window) -> pd.DataFrame:
    return _ratio(conn, w, when=_T.dispatched_at, units=_TICKET_UNITS, num=_flag(_T.return_count > 0))


def reply_quality(conn: Connection, w: Window) -> pd.DataFrame:
    frames = []
    for group, column in _TICKET_UNITS.items():
        month = month_of(_T.replied_at)
        stmt = (select(month, column, func.sum(_F.reply_quality), func.count())
                .join(_F, _F.ticket_id == _T.ticket_id)
                .where(_T.replied_at >= w.start, _T.replied_at < w.end, column.is_not(None),
                       _F.reply_quality.is_not(None))
                .group_by(month, column))
        df = pd.DataFrame(conn.execute(stmt).all(), columns=["month", "unit_code", "numerator", "denominator"])
        df.insert(1, "unit_group", group)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)[ROW_COLUMNS]


def lead_sign_ontime(conn: Connection, w: Window) -> pd.DataFrame:
    return _ratio(conn, w, when=_L.sign_deadline, units=_LEAD_UNITS,
                  num=_flag(and_(_L.signed_at.is_not(None), _L.signed_at <= _L.sign_deadline)))


def lead_feedback_ontime(conn: Connection, w: Window) -> pd.DataFrame:
    return _ratio(conn, w, when=_L.handle_deadline, units=_LEAD_UNITS,
                  num=_flag(and_(_L.feedback_at.is_not(None), _L.feedback_at <= _L.handle_deadline)))


def lead_close_rate(conn: Connection, w: Window) -> pd.DataFrame:
    return _ratio(conn, w, when=_L.handle_deadline, units=_LEAD_UNITS, num=_flag(_L.closed_at.is_not(None)))


def lead_feedback_quality(conn: Connection, w: Window) -> pd.DataFrame:
    """Mean text-mining quality of the feedback given in the month (relevance to the lead and
    completeness cues; timeliness is left out, 按时反馈率 measures it). Every lead's feedback is scored
    in one batch so a month's value does not depend on the rebuild window (the TF-IDF is fitted on the
    batch); leads are few, so scoring them here is cheap and needs no derived table."""
    rows = conn.execute(select(_L.region_code, _L.dept_code, _L.title, _L.reason, _L.feedback_text, _L.feedback_at)
                        .where(_L.feedback_at.is_not(None), _L.feedback_text.is_not(None))).all()
    if not rows:
        return pd.DataFrame(columns=ROW_COLUMNS)
    df = pd.DataFrame(rows, columns=["region", "dept", "title", "body", "reply", "at"])
    df["quality"] = score_replies(df, time_col=None)["quality"]
    df = df[(df["at"] >= w.start) & (df["at"] < w.end)]
    df["month"] = [f"{at:%Y-%m}" for at in df["at"]]
    return _per_unit(df.assign(n=1), {COUNTY: "region", DEPARTMENT: "dept"}, "quality", "n")


def _main_items(conn: Connection) -> pd.DataFrame:
    stmt = select(RegItem.item_code, RegItem.dept_code, RegItem.claimed, RegItem.valid_from, RegItem.valid_to).where(
        RegItem.item_level == "MAIN")
    return pd.DataFrame(conn.execute(stmt).all(), columns=["item_code", "dept_code", "claimed", "valid_from", "valid_to"])


def _month_end(month: str) -> dt.date:
    first = dt.date.fromisoformat(month + "-01")
    return (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def item_claim_rate(conn: Connection, w: Window) -> pd.DataFrame:
    items = _main_items(conn)
    rows = []
    for month in w.months():
        end = _month_end(month)
        live = items[(items.valid_from <= end) & (items.valid_to.isna() | (items.valid_to > end))]
        for dept, g in live.groupby("dept_code"):
            rows.append((month, DEPARTMENT, dept, int(g.claimed.sum()), len(g)))
    return pd.DataFrame(rows, columns=ROW_COLUMNS)


def item_coverage(conn: Connection, w: Window) -> pd.DataFrame:
    """Main items with a published inspection list that have behaviour data (an inspection or a penalty
    under the item or one of its sub items) year-to-date. The /catalog page shows these stored values."""
    main_of = func.coalesce(RegItem.parent_code, RegItem.item_code)
    listed = pd.DataFrame(conn.execute(
        select(main_of, RegItem.dept_code, CheckImpl.region_code).distinct()
        .join(CheckImpl, CheckImpl.item_code == RegItem.item_code)).all(), columns=["main", "dept", "region"])
    frames = []
    for table, day in ((Inspection, Inspection.check_date), (Penalty, Penalty.decided_at)):  # 行政检查 and 行政处罚
        year = year_of(day)
        frames.append(pd.DataFrame(conn.execute(
            select(main_of, table.region_code, year, func.min(day))
            .join(RegItem, RegItem.item_code == table.item_code)
            .where(day < w.end.date() + dt.timedelta(days=1))
            .group_by(main_of, table.region_code, year)).all(), columns=["main", "region", "year", "first"]))
    first = pd.concat(frames, ignore_index=True)
    first["first"] = pd.to_datetime(first["first"]).dt.date
    rows = []
    for month in w.months():
        end = min(_month_end(month), (w.end - dt.timedelta(microseconds=1)).date())
        seen = first[(first.year == month[:4]) & (first["first"] <= end)]
        dept_seen = set(seen["main"])
        for dept, g in listed.drop_duplicates(["main", "dept"]).groupby("dept"):
            rows.append((month, DEPARTMENT, dept, int(g["main"].isin(dept_seen).sum()), len(g)))
        region_seen = set(zip(seen["main"], seen["region"], strict=True))
        for region, g in listed.drop_duplicates(["main", "region"]).groupby("region"):
            hit = sum((m, region) in region_seen for m in g["main"])
            rows.append((month, COUNTY, region, hit, len(g)))
    return pd.DataFrame(rows, columns=ROW_COLUMNS)


def inspection_timely(conn: Connection, w: Window) -> pd.DataFrame:
    submitted_day = day_of(Inspection.submitted_at)
    stmt = (select(Inspection.check_date, submitted_day, Inspection.dept_code, Inspection.region_code, func.count())
            .where(Inspection.check_date >= w.start.date(), Inspection.check_date < w.end.date() + dt.timedelta(days=1))
            .group_by(Inspection.check_date, submitted_day, Inspection.dept_code, Inspection.region_code))
    df = pd.DataFrame(conn.execute(stmt).all(), columns=["check_date", "submitted", "dept", "region", "n"])
    if df.empty:
        return pd.DataFrame(columns=ROW_COLUMNS)
    df["check_date"] = pd.to_datetime(df["check_date"]).dt.date
    df = df[pd.to_datetime(df["check_date"]) < pd.Timestamp(w.end)]
    lag = {pair: workdays.workdays_between(pair[0], dt.date.fromisoformat(pair[1]))
           for pair in set(zip(df.check_date, df.submitted, strict=True))}
    df["timely"] = [lag[p] <= SUBMIT_LIMIT_WORKDAYS for p in zip(df.check_date, df.submitted, strict=True)]
    df["month"] = [f"{d:%Y-%m}" for d in df.check_date]
    df["hit"] = df["n"] * df["timely"]
    return _per_unit(df, {DEPARTMENT: "dept", COUNTY: "region"}, "hit", "n")


def random_completion(conn: Connection, w: Window) -> pd.DataFrame:
    """双随机 tasks of the month's plan year already started: objects checked ÷ objects sampled."""
    tasks = pd.DataFrame(conn.execute(select(
        RandomTask.lead_dept_code, RandomTask.plan_year, RandomTask.start_date, RandomTask.sampled_n,
        RandomTask.checked_n)).all(), columns=["dept", "year", "start", "sampled", "checked"])
    rows = []
    for month in w.months():
        live = tasks[(tasks.year == int(month[:4])) & (tasks.start <= _month_end(month))]
        for dept, g in live.groupby("dept"):
            rows.append((month, DEPARTMENT, dept, int(g.checked.sum()), int(g.sampled.sum())))
    return pd.DataFrame(rows, columns=ROW_COLUMNS)


def urban_close_ontime(conn: Connection, w: Window) -> pd.DataFrame:
    return _ratio(conn, w, when=_U.dispose_deadline, units=_URBAN_UNITS, where=[_U.status != "作废"],
                  num=_flag(and_(_U.closed_at.is_not(None), _U.disposed_at <= _U.dispose_deadline)))


def urban_rework(conn: Connection, w: Window) -> pd.DataFrame:
    return _ratio(conn, w, when=_U.closed_at, units=_URBAN_UNITS, where=[_U.status != "作废"],
                  num=_flag(_U.rework_count > 0))


# ----------------------------------------------------------------------------------------- the library

BOTH = (COUNTY, DEPARTMENT)
INDICATORS: tuple[Indicator, ...] = (
    Indicator("hotline_sign_ontime", "12345按时签收率", "12345热线", "higher", 0.95, BOTH,
              "签收时限落在当月的转办工单中，在时限内签收的比例", hotline_sign_ontime),
    Indicator("hotline_finish_ontime", "12345按时办结率", "12345热线", "higher", 0.95, BOTH,
              "办理时限（经批准延期的顺延相应工作日）落在当月的转办工单中，在时限内办结的比例", hotline_finish_ontime),
    Indicator("hotline_satisfaction", "12345满意率", "12345热线", "higher", 0.90, BOTH,
              "当月办结且回访有评价的工单中，满意与基本满意的比例", hotline_satisfaction),
    Indicator("hotline_resolution", "12345解决率", "12345热线", "higher", 0.85, BOTH,
              "当月办结且回访确认解决情况的工单中，已解决的比例", hotline_resolution),
    Indicator("hotline_repeat", "12345重复投诉率", "12345热线", "lower", 0.10, BOTH,
              "当月受理工单中，重复件（同一诉求30日内再次来电）的比例", hotline_repeat),
    Indicator("hotline_return", "12345退单率", "12345热线", "lower", 0.05, BOTH,
              "当月派单的工单中，发生退单的比例", hotline_return),
    Indicator("reply_quality", "答复质量", "12345热线", "higher", 0.70, BOTH,
              "当月答复工单的文本挖掘答复质量分（0–1）均值；尚无文本挖掘结果时为无数据", reply_quality, counted=False),
    Indicator("lead_sign_ontime", "风险线索按时签收率", "风险线索", "higher", 0.95, BOTH,
              "签收时限落在当月的风险线索中，在时限内签收的比例", lead_sign_ontime),
    Indicator("lead_feedback_ontime", "风险线索按时反馈率", "风险线索", "higher", 0.90, BOTH,
              "办理时限落在当月的风险线索中，在时限内反馈核查结果的比例", lead_feedback_ontime),
    Indicator("lead_close_rate", "风险线索办结率", "风险线索", "higher", 0.90, BOTH,
              "办理时限落在当月的风险线索中，已办结的比例", lead_close_rate),
    Indicator("lead_feedback_quality", "风险线索反馈质量", "风险线索", "higher", 0.50, BOTH,
              "当月反馈的风险线索中，反馈内容的文本挖掘质量分（与线索的相关度、核实/处置/依据等要素完整度，0–1）均值",
              lead_feedback_quality, counted=False),
    Indicator("item_claim_rate", "监管事项认领率", "监管事项", "higher", 0.98, (DEPARTMENT,),
              "月末有效的监管事项主项中，已认领的比例", item_claim_rate, cumulative=True),
    Indicator("item_coverage", "监管行为覆盖率", "监管事项", "higher", 0.40, BOTH,
              "已编制检查实施清单的主项中，本年度截至月末已有监管行为数据（检查或处罚）的比例", item_coverage,
              cumulative=True),
    Indicator("inspection_timely", "监管行为数据汇聚及时率", "监管行为", "higher", 0.90, BOTH,
              f"当月检查中，检查后{SUBMIT_LIMIT_WORKDAYS}个工作日内报送的比例", inspection_timely),
    Indicator("random_completion", "双随机抽查完成率", "双随机", "higher", 1.00, (DEPARTMENT,),
              "本年度已启动的双随机抽查任务中，已检查对象数 ÷ 抽取对象数", random_completion, cumulative=True),
    Indicator("urban_close_ontime", "数字城管按期结案率", "数字城管", "higher", 0.90, BOTH,
              "处置时限落在当月的案件（不含作废）中，按期处置并已结案的比例", urban_close_ontime),
    Indicator("urban_rework", "数字城管返工率", "数字城管", "lower", 0.05, BOTH,
              "当月结案的案件中，发生返工的比例", urban_rework),
)
INDICATOR_BY_KEY = {i.key: i for i in INDICATORS}
FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(i.family for i in INDICATORS))


def applicable(group: str) -> list[Indicator]:
    return [i for i in INDICATORS if group in i.groups]


# ------------------------------------------------------------------------------------------ computation


def compute(conn: Connection, window: Window, keys: list[str] | None = None) -> pd.DataFrame:
    """Values of the indicators (all, or ``keys``) per month × unit over ``window``.

    Returns columns month, unit_code, indicator_key, unit_group, numerator, denominator, value; only
    units of the peer groups the indicator applies to, and only rows with a positive denominator.
    """
    frames = []
    for ind in INDICATORS if keys is None else [INDICATOR_BY_KEY[k] for k in keys]:
        df = ind.formula(conn, window)
        df = df[df.unit_group.isin(ind.groups) & df.denominator.fillna(0).gt(0)]
        known = [code in UNITS[g] for g, code in zip(df.unit_group, df.unit_code, strict=True)]
        df = df.loc[pd.Series(known, index=df.index, dtype=bool)]
        if len(df):  # pandas deprecates concatenating empty frames
            frames.append(df.assign(indicator_key=ind.key))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*ROW_COLUMNS, "indicator_key"])
    out["numerator"] = out["numerator"].astype(float)
    out["denominator"] = out["denominator"].astype(float)
    out["value"] = out["numerator"] / out["denominator"]
    return out[["month", "unit_code", "indicator_key", "unit_group", "numerator", "denominator", "value"]]


def data_window(conn: Connection, months: list[str] | None = None) -> Window | None:
    """The window to compute: ``months`` (``YYYY-MM``), or every month of 12345 data; capped at the
    latest accepted order (the warehouse's as-of time). None on an empty warehouse."""
    first, last = conn.execute(select(func.min(_T.accepted_at), func.max(_T.accepted_at))).one()
    if last is None:
        return None
    as_of = last + dt.timedelta(seconds=1)
    if months:
        start = dt.datetime.fromisoformat(min(months) + "-01")
        end = dt.datetime.combine(_month_end(max(months)) + dt.timedelta(days=1), dt.time())
        return Window(start, min(end, as_of))
    return Window(dt.datetime.combine(first.date().replace(day=1), dt.time()), as_of)


def rebuild(conn: Connection, months: list[str] | None = None) -> int:
    """Recompute ``agg_indicator_month`` for ``months`` (default: all); idempotent (delete then insert)."""
    for month in months or []:
        parse_month(month)
    window = data_window(conn, months)
    target = delete(MonthlyIndicator)
    if months:
        target = target.where(MonthlyIndicator.month.in_(months))
    conn.execute(target)
    if window is None:
        return 0
    df = compute(conn, window)
    if months:
        df = df[df.month.isin(months)]
    records = df.astype(object).where(df.notna(), None).to_dict("records")
    if records:
        conn.execute(insert(MonthlyIndicator), records)
    return len(records)


def pipeline_step(conn: Connection) -> int:
    """Pipeline step ``indicators``: full idempotent rebuild of the monthly indicator mart."""
    return rebuild(conn)


def parse_month(text: str) -> dt.date:
    """First day of a ``YYYY-MM`` month; ValueError with a plain message otherwise."""
    try:
        if len(text) != 7:
            raise ValueError
        return dt.date.fromisoformat(text + "-01")
    except ValueError:
        raise ValueError(f"month must look like 2026-05, got {text!r}") from None


def months_back(month: str, n: int) -> str:
    """The month ``n`` months before ``month`` (``YYYY-MM``)."""
    first = parse_month(month)
    index = first.year * 12 + first.month - 1 - n
    return f"{index // 12}-{index % 12 + 1:02d}"


def _running_month(today: dt.date | None) -> str:
    return f"{today or dt.date.today():%Y-%m}"


def default_month(months: list[str], today: dt.date | None = None) -> str:
    """The month a ranking opens on: the latest month already over (the 月通报 ranks the month just ended);
    the running month only when no earlier month has values. ``months``: ``YYYY-MM``, oldest first."""
    running = _running_month(today)
    over = [m for m in months if m < running]
    return over[-1] if over else months[-1]


def month_options(months: list[str], today: dt.date | None = None) -> list[dict]:
    """Dropdown options, newest first; the running month is marked as not yet over (本月至今)."""
    running = _running_month(today)
    return [{"label": f"{m}（本月至今）" if m == running else m, "value": m} for m in reversed(months)]


def markdown_table() -> str:
    """The indicator table of docs/evaluation.md (a test keeps the doc equal to this)."""
    head = "| key | 指标 | 类别 | 方向 | 默认目标 | 适用 | 口径 |\n|---|---|---|---|---|---|---|\n"
    return head + "".join(
        f"| `{i.key}` | {i.name} | {i.family} | {'越高越好' if i.higher_is_better else '越低越好'} | "
        f"{i.target:.0%} | {'、'.join(GROUP_NAMES[g] for g in i.groups)} | {i.definition} |\n" for i in INDICATORS)
