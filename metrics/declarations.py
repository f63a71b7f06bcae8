"""Every headline figure the product shows, declared once (see metrics.core for what a declaration holds).

The query functions here only combine data_access query functions and evaluation's scoring; surfaces
never compute a declared figure themselves. docs/metrics.md is generated from this list
(``bianjian metrics --doc``) and a test keeps it equal.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from data_access import codes, queries_leads, queries_overview, queries_unlicensed, queries_wall
from evaluation import scoring
from evaluation.indicators import COUNTY, DEPARTMENT, months_back, unit_of_department
from metrics.core import Context, Metric
from metrics.windows import DEFAULT_PERIOD, PERIODS, day_window, period_start

OVERVIEW_DAYS = 30  # 概览's flows: the last 30 days against the 30 before
LEAD_WINDOW_DAYS = 90  # the wall's funnel and on-time rate
HANDLING = codes.LEAD_OPEN_STATUSES  # 已转办、已签收、核查中
UNCLOSED = tuple(s for s in codes.LEAD_STATUSES if s not in queries_wall.CLOSED_LEAD_STATUSES)
DEPT_SCOPE = "部门负责人只计本部门牵头的线索"
CITY_SCOPE = "全市（不分部门，各角色相同）"
SURFACE_NAMES = {"wall": "大屏", "home": "概览", "inbox": "部门待办", "rankings": "排名", "my_department": "本部门",
                 "unlicensed": "无证无照", "bulletin": "月通报", "catalog": "监管事项"}


# ------------------------------------------------------------------------------------------ windows


def overview_end(ctx: Context, key: str) -> dt.datetime | None:
    """Where a 概览 flow's window ends: leads by the clock (the pipeline creates them in real time), every
    other source at the data's as-of time."""
    return ctx.now if key == "leads" else ctx.data_as_of


def overview(ctx: Context, key: str, back: int = 0) -> int | None:
    end = overview_end(ctx, key)
    if end is None:
        return None
    return queries_overview.overview_count(ctx.session, ctx.scope, key, *day_window(end, OVERVIEW_DAYS, back))


def overview_previous(ctx: Context, key: str) -> int | None:
    """The previous period's count, for 环比; None where it is not comparable. Leads are counted by when the
    pipeline created them, so a period before the pipeline's first run has only the few leads entered by
    hand or imported, and its first run creates the backlog of every open signal at once (a fresh demo read
    +1,612 %)."""
    if key == "leads":
        first_run = queries_wall.first_pipeline_run(ctx.session)
        if first_run is None or first_run > day_window(ctx.now, OVERVIEW_DAYS, 1)[0]:
            return None
    return overview(ctx, key, 1)


def overview_daily(ctx: Context, key: str) -> pd.Series:
    """The sparkline: daily counts over the same window (they sum to the metric)."""
    end = overview_end(ctx, key)
    if end is None:
        return pd.Series(dtype=int)
    return queries_overview.overview_daily(ctx.session, ctx.scope, key, *day_window(end, OVERVIEW_DAYS))


# ------------------------------------------------------------------------------------------ queries


def _complaints_today(ctx: Context) -> int | None:
    if ctx.data_as_of is None:
        return None
    midnight = dt.datetime.combine(ctx.data_as_of.date(), dt.time())
    return queries_wall.complaints_between(ctx.session, midnight, ctx.data_as_of + dt.timedelta(seconds=1))


def _complaints_previous_day(ctx: Context) -> int | None:
    if ctx.data_as_of is None:
        return None
    midnight = dt.datetime.combine(ctx.data_as_of.date(), dt.time()) - dt.timedelta(days=1)
    return queries_wall.complaints_between(ctx.session, midnight,
                                           ctx.data_as_of - dt.timedelta(days=1) + dt.timedelta(seconds=1))


def _leads(statuses: tuple[str, ...], level: str | None = None):  # noqa: ANN202
    return lambda ctx: queries_overview.lead_count(ctx.session, ctx.scope, statuses,
                                                   levels=(level,) if level else None)


def _lead_window_start(ctx: Context) -> dt.datetime:
    return day_window(ctx.now, LEAD_WINDOW_DAYS)[0]


def _leads_generated(ctx: Context) -> int:
    funnel = queries_leads.dispatch_funnel(ctx.session, ctx.scope, since=_lead_window_start(ctx),
                                           until=ctx.now + dt.timedelta(seconds=1))
    return int(funnel.loc[funnel["stage"] == "生成", "n"].iloc[0])


def _ontime_rate(ctx: Context) -> float | None:
    perf = queries_leads.dept_lead_performance(ctx.session, ctx.scope, ctx.now, since=_lead_window_start(ctx))
    fed_back = int(perf["fed_back"].sum())
    return round(float(perf["fed_back_on_time"].sum() / fed_back), 4) if fed_back else None


def unit_ranking(ctx: Context, group: str, month: str | None = None) -> pd.DataFrame:
    """Units of ``group`` ranked in ``month`` (the ranking month by default): the one ranking every surface
    shows — scores, ranks, rank changes and statuses all from evaluation.scoring.rank_units."""
    month = month or ctx.month
    if month is None:
        return pd.DataFrame(columns=["month", "unit_code", "unit_name", "score", "rank", "rank_change", "status",
                                     "status_name"])
    values = scoring.ranking_values(ctx.session, ctx.scope, first=months_back(month, 1), last=month, group=group)
    ranked = scoring.rank_units(values, scoring.load_config(ctx.session), group)
    return ranked[ranked["month"] == month].reset_index(drop=True)


def _ranking(group: str):  # noqa: ANN202
    def query(ctx: Context) -> list[dict] | None:
        if ctx.month is None:
            return None
        return [{"unit_code": r.unit_code, "unit_name": r.unit_name, "rank": None if pd.isna(r.rank) else int(r.rank),
                 "score": None if pd.isna(r.score) else float(r.score), "status": r.status_name}
                for r in unit_ranking(ctx, group).itertuples()]
    return query


def own_unit_row(ctx: Context) -> pd.Series | None:
    """The asking department's own row of its ranking (None when it is not ranked or has no month)."""
    own = unit_of_department(ctx.scope.dept_code) if ctx.scope.dept_code else None
    if own is None or ctx.month is None:
        return None
    ranked = unit_ranking(ctx, own[0])
    mine = ranked[ranked["unit_code"] == own[1]]
    return mine.iloc[0] if len(mine) else None


def _own(field: str):  # noqa: ANN202
    def query(ctx: Context):  # noqa: ANN202
        row = own_unit_row(ctx)
        if row is None or pd.isna(row[field]):
            return None
        return {"rank": lambda v: int(v), "score": float, "status_name": str}[field](row[field])
    return query


def unlicensed_period_start(ctx: Context) -> dt.datetime | None:
    return period_start(DEFAULT_PERIOD, ctx.unlicensed_as_of)


def _unlicensed_found(column: str):  # noqa: ANN202
    def query(ctx: Context) -> int | None:
        if ctx.unlicensed_as_of is None:
            return None
        routing = queries_unlicensed.unlicensed_routing(ctx.session, ctx.scope, start=unlicensed_period_start(ctx))
        return int(routing[column].sum())
    return query


# ------------------------------------------------------------------------------------- declarations

_LEVEL_NAMES = codes.LEAD_LEVELS
UNCLOSED_TEXT = "、".join(UNCLOSED)
_PERIOD_LABEL = PERIODS[DEFAULT_PERIOD][0]

METRICS: tuple[Metric, ...] = (
    Metric("complaints_today", "今日诉求量", "数据截至时间所在当日零时起至数据截至时间受理的12345工单数。", "件",
           "数据截至日当日", "data", CITY_SCOPE, _complaints_today, surfaces=("wall",)),
    Metric("complaints_previous_day", "前一日同时段诉求量",
           "数据截至日前一日零时起至前一日同一时刻受理的12345工单数（与今日诉求量比较）。", "件", "前一日同时段", "data",
           CITY_SCOPE, _complaints_previous_day, surfaces=("wall",)),
    Metric("leads_unclosed", "全部在办风险线索",
           f"尚未办结的风险线索数，含{UNCLOSED_TEXT}（不含已办结、误报）。", "条", "当前存量", "state", DEPT_SCOPE,
           _leads(UNCLOSED), surfaces=("wall", "home")),
    *(Metric(f"leads_unclosed_{lv.lower()}", f"全部在办风险线索（{name}）",
             f"等级为{name}色、尚未办结的风险线索数（含{UNCLOSED_TEXT}）。", "条", "当前存量", "state", DEPT_SCOPE,
             _leads(UNCLOSED, lv), surfaces=("wall",)) for lv, name in _LEVEL_NAMES.items()),
    Metric("leads_triage", "待研判风险线索", "状态为待研判（含退回后待重新研判）的风险线索数。", "条", "当前存量", "state",
           DEPT_SCOPE, _leads(("待研判",)), surfaces=("home",)),
    Metric("leads_handling", "处置中风险线索", "已转办、已签收或核查中（部门尚未反馈）的风险线索数。", "条", "当前存量",
           "state", DEPT_SCOPE, _leads(HANDLING), surfaces=("home",)),
    Metric("leads_awaiting_close", "待办结风险线索", "部门已反馈、待分析员审核办结的风险线索数。", "条", "当前存量",
           "state", DEPT_SCOPE, _leads(("已反馈",)), surfaces=("home",)),
    Metric("leads_overdue", "超期风险线索",
           "处置中且已过签收或办理时限至少一个工作日的风险线索数（期限当日为今日到期，不计超期）。", "条", "当前存量",
           "now", DEPT_SCOPE, lambda ctx: len(queries_leads.overdue_leads(ctx.session, ctx.scope, ctx.now)),
           good="down", surfaces=("wall", "home")),
    Metric("leads_due_today", "今日到期风险线索", "处置中且签收或办理时限在今日截止的风险线索数。", "条", "当前存量", "now",
           DEPT_SCOPE, lambda ctx: len(queries_leads.due_today_leads(ctx.session, ctx.scope, ctx.now)),
           surfaces=("home",)),
    Metric("lead_feedback_on_time_rate", "线索按时反馈率（近90天）",
           "近90天转办的风险线索中，已反馈且在办理时限内反馈的占已反馈的比例。", "比例", "近90天（按转办时间）", "now",
           DEPT_SCOPE, _ontime_rate, good="up", surfaces=("wall",)),
    Metric("leads_generated_90d", "近90天生成风险线索", "近90天（含今日）生成的风险线索数，即大屏处置漏斗的“生成”。",
           "条", "近90天（按生成时间）", "now", DEPT_SCOPE, _leads_generated, surfaces=("wall",)),
    Metric("complaints_30d", "近30天12345诉求", "数据截至日及此前共30天受理的12345工单数。", "件", "近30天", "data",
           "部门负责人只计本部门主办的工单", lambda ctx: overview(ctx, "complaints"), surfaces=("home",)),
    Metric("leads_new_30d", "近30天新增风险线索", "今日及此前共30天生成的风险线索数（含流水线今日生成的线索）。", "条",
           "近30天（按生成时间）", "now", DEPT_SCOPE, lambda ctx: overview(ctx, "leads"), surfaces=("home",)),
    Metric("inspections_30d", "近30天行政检查", "数据截至日及此前共30天实施的行政检查次数。", "次", "近30天", "data",
           "部门负责人只计本部门实施的检查", lambda ctx: overview(ctx, "inspections"), good="up", surfaces=("home",)),
    Metric("penalties_30d", "近30天行政处罚", "数据截至日及此前共30天作出的行政处罚决定数。", "件", "近30天", "data",
           "部门负责人只计本部门作出的处罚", lambda ctx: overview(ctx, "penalties"), surfaces=("home",)),
    Metric("unlicensed_30d", "近30天无证无照线索", "数据截至日及此前共30天发现的无证无照经营线索数。", "条", "近30天",
           "data", "部门负责人只计本部门负责的线索", lambda ctx: overview(ctx, "unlicensed"), surfaces=("home",)),
    Metric("credit_in_30d", "近30天新列入信用名单", "数据截至日及此前共30天列入信用名单的主体数。", "个", "近30天",
           "data", "部门负责人只计本部门决定列入的", lambda ctx: overview(ctx, "credit_in"), surfaces=("home",)),
    Metric("inbox_items", "部门待办", "已转办、已签收、核查中或已反馈待办结的风险线索，部门负责人另含本部门协办且分工未完成的联合监管线索。",
           "条", "当前存量", "state", "部门负责人只计本部门牵头或协办的线索", lambda ctx: len(queries_leads.inbox(ctx.session, ctx.scope, ctx.now)),
           roles=("DEPT_HEAD", "ANALYST"), surfaces=("home", "inbox")),
    Metric("ranking_month", "评价月份", "排名、本部门、监管事项、月通报与大屏默认显示的月份：数据截至时间之前最近一个完整月。",
           "月", "最近完整月", "month", CITY_SCOPE, lambda ctx: ctx.month,
           surfaces=("wall", "rankings", "my_department", "catalog", "bulletin")),
    Metric("department_ranking", "市直部门评价排名", "各市直部门在评价月份的综合得分（100 = 全部达标）、名次与预警状态。",
           "分", "评价月份", "month", CITY_SCOPE, _ranking(DEPARTMENT), good="up",
           surfaces=("wall", "rankings", "bulletin")),
    Metric("county_ranking", "区县评价排名", "各区县在评价月份的综合得分（100 = 全部达标）、名次与预警状态。", "分", "评价月份",
           "month", CITY_SCOPE, _ranking(COUNTY), good="up", surfaces=("rankings", "bulletin")),
    Metric("own_unit_rank", "本单位名次", "本单位在评价月份同组（区县或市直部门）中的综合得分名次。", "名", "评价月份",
           "month", "只计本单位", _own("rank"), good="down", roles=("DEPT_HEAD",), surfaces=("my_department",)),
    Metric("own_unit_score", "本单位综合得分", "本单位在评价月份的综合得分（100 = 全部达标）。", "分", "评价月份", "month",
           "只计本单位", _own("score"), good="up", roles=("DEPT_HEAD",), surfaces=("my_department", "bulletin")),
    Metric("own_unit_status", "本单位预警状态", "本单位在评价月份的预警状态（正常、黄色预警或红色预警），由评价模块的预警规则统一判定，规则原文显示在本部门与排名页。", "",
           "评价月份", "month", "只计本单位", _own("status_name"), roles=("DEPT_HEAD",),
           surfaces=("my_department", "bulletin")),
    Metric("unlicensed_found_year", f"{_PERIOD_LABEL}发现无证无照线索",
           f"无证无照数据截至日及此前一年内（{_PERIOD_LABEL}）发现的无证无照经营线索数。", "条", _PERIOD_LABEL, "unlicensed",
           "部门负责人只计本部门负责的线索", _unlicensed_found("n"), surfaces=("unlicensed",)),
    Metric("unlicensed_found_year_open", f"{_PERIOD_LABEL}发现且未销号",
           f"{_PERIOD_LABEL}发现的无证无照线索中尚未销号的条数。", "条", _PERIOD_LABEL, "unlicensed",
           "部门负责人只计本部门负责的线索", _unlicensed_found("open_n"), good="down", surfaces=("unlicensed",)),
    Metric("unlicensed_open_stock", "未销号存量", "无论何时发现、至今尚未销号的无证无照线索数（趋势图“月末未销号”的最新值）。",
           "条", "当前存量", "state", "部门负责人只计本部门负责的线索",
           lambda ctx: queries_unlicensed.unlicensed_open_count(ctx.session, ctx.scope), good="down",
           surfaces=("unlicensed",)),
)
METRIC_BY_NAME = {m.name: m for m in METRICS}
if len(METRIC_BY_NAME) != len(METRICS):
    raise ValueError("duplicate metric names")
