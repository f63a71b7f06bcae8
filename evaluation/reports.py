"""The monthly bulletin (月通报) and the weekly check (周检查), and the schedule that produces them.

Both are assembled from stored indicator values and live lead/order state into a ``render.Document``
and written as PDF, XLSX or DOCX. The production worker calls ``scheduled_reports(as_of)`` every day
and ``run_job`` for each job it returns (cron equivalent: docs/evaluation.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from data_access import db, queries_evaluation
from data_access.codes import LEAD_LEVELS
from data_access.reference import DEPT_SHORT_NAME_BY_CODE
from data_access.scope import SYSTEM, Scope
from evaluation import charts, render, scoring
from evaluation.indicators import (
    FAMILIES,
    GROUP_NAMES,
    INDICATOR_BY_KEY,
    UNIT_GROUP_OF,
    UNITS,
    applicable,
    months_back,
    parse_month,
    unit_of_department,
)
from evaluation.render import Document, Section, Table

TREND_MONTHS = 12
LEAD_ROWS = 100  # leads listed in a document; the total is always stated


def pct(value: float | None) -> str:
    return "无数据" if value is None or pd.isna(value) else f"{value:.1%}"


def change_text(change: float | None) -> str:
    if change is None or pd.isna(change):
        return "新"
    return "—" if change == 0 else f"↑{change:.0f}" if change > 0 else f"↓{-change:.0f}"


def _month_end(month: str) -> dt.datetime:
    first = parse_month(month)
    return dt.datetime.combine((first + dt.timedelta(days=32)).replace(day=1), dt.time())


def resolve_unit(scope: Scope, unit: str | None) -> str | None:
    """The unit a bulletin is for: a department head's own unit, whatever they ask for."""
    if unit is not None and unit not in UNIT_GROUP_OF:
        raise ValueError(f"unknown unit {unit!r}: use a county code (e.g. 410202) or a city department's code")
    if scope.all_departments:
        return unit
    own = unit_of_department(scope.dept_code)
    if own is None:
        raise PermissionError("该部门不参与排名")
    if unit is not None and unit != own[1]:
        raise PermissionError("部门负责人只能获取本单位的通报")
    return own[1]


def _warned_units(ranking: pd.DataFrame) -> str:
    """One sentence naming the red and yellow units with their count of indicators materially short of
    target — the rule :func:`scoring.status_rule` states in 说明."""
    parts = []
    for status in ("red", "yellow"):
        rows = ranking[ranking.status == status]
        names = "、".join(f"{r.unit_name}（{r.shortfalls}项确有差距）" for r in rows.itertuples())
        parts.append(f"{scoring.STATUS_NAMES[status]}：{names or '无'}")
    return "；".join(parts) + "。"


def _ranking_table(ranking: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "排名": ranking["rank"].to_numpy(),
        "单位": ranking["unit_name"].to_numpy(),
        "综合得分": ranking["score"].to_numpy(),
        "排名变化": [change_text(c) if not pd.isna(r) else "" for c, r in zip(ranking["rank_change"], ranking["rank"], strict=True)],
        "参评指标数": ranking["indicators"].to_numpy(),
        "状态": ranking["status_name"].to_numpy(),
    })


RANKING_FORMATS = {"排名": "0", "综合得分": "0.0", "参评指标数": "0"}


def _family_table(values: pd.DataFrame, reference: pd.DataFrame, config: scoring.ScoringConfig, group: str,
                  family: str) -> pd.DataFrame | None:
    keys = [i.key for i in applicable(group) if i.family == family]
    if not keys:
        return None
    v = values[(values.unit_group == group) & values.indicator_key.isin(keys)]
    wide = v.pivot_table(index="unit_code", columns="indicator_key", values="value", aggfunc="first")
    wide = wide.reindex(index=list(UNITS[group]), columns=keys)
    frame = pd.DataFrame({"单位": [UNITS[group][c] for c in wide.index]})
    ref = reference[reference.unit_group == group].set_index("indicator_key")
    for key in keys:
        frame[INDICATOR_BY_KEY[key].name] = wide[key].to_numpy(dtype=float)
    extra = [("城市中位数", lambda k: ref["median"].get(k)), ("全市合计", lambda k: ref["pooled"].get(k)),
             ("目标", config.target)]
    rows = [{"单位": label, **{INDICATOR_BY_KEY[k].name: _number(fn(k)) for k in keys}} for label, fn in extra]
    return pd.concat([frame, pd.DataFrame(rows)], ignore_index=True)


def _number(value: object) -> float:
    return float("nan") if value is None or pd.isna(value) else float(value)


def _percent_formats(frame: pd.DataFrame, first: str = "单位") -> dict[str, str]:
    """Every column but the label column ``first`` is a rate printed as a percentage."""
    return {c: "0.0%" for c in frame.columns if c != first}


def _lead_table(leads: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "线索编号": leads["lead_id"], "标题": leads["title"],
        "等级": [LEAD_LEVELS.get(v, v) for v in leads["level"]],
        "责任单位": [DEPT_SHORT_NAME_BY_CODE.get(d, d or "") for d in leads["dept_code"]],
        "区县": [UNITS["COUNTY"].get(r, r or "") for r in leads["region_code"]],
        "超期环节": leads["overdue_stage"], "超期天数": leads["overdue_days"].astype(int),
    }).head(LEAD_ROWS)


def monthly_bulletin(session: Session, month: str, *, scope: Scope = SYSTEM, unit: str | None = None,
                     config: scoring.ScoringConfig | None = None) -> Document:
    """The 月通报 for ``month``: rankings with rank changes per peer group, indicator tables per family
    with city median and target, charts, and the overdue-lead list; with ``unit``, that unit's page."""
    parse_month(month)
    unit = resolve_unit(scope, unit)
    config = config or scoring.load_config(session)
    values = scoring.ranking_values(session, scope, first=months_back(month, TREND_MONTHS - 1), last=month)
    if not (values.month == month).any():
        raise ValueError(f"no indicator values for {month}; run `bianjian pipeline --step indicators` first")
    current = values[values.month == month]
    reference = scoring.city_reference(current)
    as_of = min(_month_end(month), dt.datetime.now())
    sections = [Section("一、说明", [
        f"本通报对 {len(UNITS['COUNTY'])} 个区县（含示范区）和 {len(UNITS['DEPARTMENT'])} 个市直部门（含公共事业单位）"
        f"分组排名。单项得分 = 实际值 ÷ 目标值（越低越好的指标取 目标值 ÷ 实际值），封顶 {config.cap:.0%}；"
        "综合得分为单项得分按权重加权平均 × 100，100 表示全部达标。",
        "某单位某指标当月无分母（无业务量）时记为“无数据”而非 0，其权重按该单位有数据的指标重新归一化。"
        + scoring.status_rule() + "得分相同名次并列（如 1、2、2、4）。城市参考线取各单位的中位数。",
    ])]
    rankings = {}
    for n, group in enumerate(UNITS, start=2):
        ranking = scoring.rank_units(values, config, group)
        rankings[group] = ranking
        now = ranking[ranking.month == month]
        section = Section(f"{'二三'[n - 2]}、{GROUP_NAMES[group]}综合排名")
        section.images.append(charts.ranking_bars(now, f"{month} {GROUP_NAMES[group]}综合得分"))
        section.tables.append(Table(f"{GROUP_NAMES[group]}综合排名（{month}）", _ranking_table(now),
                                    sheet=f"综合排名-{GROUP_NAMES[group]}", formats=RANKING_FORMATS))
        section.paragraphs.append(_warned_units(now))
        sections.append(section)
    detail = Section("四、分项指标")
    for family in FAMILIES:
        for group in UNITS:
            frame = _family_table(current, reference, config, group, family)
            if frame is not None:
                # One table per sheet: the two peer groups track different indicators, so a shared sheet
                # would put the second table's extra columns under the first table's empty header cells.
                detail.tables.append(Table(f"{family}（{GROUP_NAMES[group]}）", frame,
                                           sheet=f"{family}-{GROUP_NAMES[group]}",
                                           formats=_percent_formats(frame)))
    trend = scoring.city_reference(values)
    trend = trend[(trend.unit_group == "COUNTY")].pivot_table(index="month", columns="indicator_key", values="pooled")
    keys = [k for k in ("hotline_sign_ontime", "hotline_finish_ontime", "hotline_satisfaction", "urban_close_ontime")
            if k in trend.columns]
    if keys:
        detail.images.append(charts.trend_lines(trend[keys].rename(columns=lambda k: INDICATOR_BY_KEY[k].name),
                                                f"全市主要指标近{TREND_MONTHS}个月走势"))
    sections.append(detail)
    if unit is not None:
        sections.append(_unit_section(unit, month, rankings[UNIT_GROUP_OF[unit]], current, reference, config))
    sections.append(_lead_section("五、超期风险线索", session, scope, as_of, unit))
    title = f"开封市互联网+监管分析评价月通报（{month[:4]}年{int(month[5:])}月）"
    who = f"，{UNITS[UNIT_GROUP_OF[unit]][unit]}" if unit else ""
    return Document(title, f"数据截至 {as_of:%Y-%m-%d %H:%M}{who}", sections)


def _unit_section(unit: str, month: str, ranking: pd.DataFrame, current: pd.DataFrame, reference: pd.DataFrame,
                  config: scoring.ScoringConfig) -> Section:
    group = UNIT_GROUP_OF[unit]
    row = ranking[(ranking.month == month) & (ranking.unit_code == unit)].iloc[0]
    name = UNITS[group][unit]
    ranked = int(ranking[(ranking.month == month)]["rank"].notna().sum())
    place = "无数据" if pd.isna(row["rank"]) else f"第 {row['rank']:.0f} 名（共 {ranked} 个参评单位）"
    score = "无数据" if pd.isna(row["score"]) else f"{row['score']:.1f}"
    section = Section(f"本单位：{name}", [f"综合得分 {score}，{place}，排名变化 {change_text(row['rank_change'])}，"
                                          f"{row['status_name']}。"])
    mine = current[(current.unit_code == unit)].set_index("indicator_key")
    ref = reference[reference.unit_group == group].set_index("indicator_key")
    keys = [i.key for i in applicable(group)]
    frame = pd.DataFrame({
        "指标": [INDICATOR_BY_KEY[k].name for k in keys],
        "本单位": [_number(mine["value"].get(k)) for k in keys],
        "城市中位数": [_number(ref["median"].get(k)) for k in keys],
        "目标": [_number(config.target(k)) for k in keys],
    })
    section.tables.append(Table(f"{name} 各项指标", frame, sheet="本单位", formats=_percent_formats(frame, "指标")))
    trend = ranking[ranking.unit_code == unit].set_index("month")["score"]
    median = ranking.groupby("month")["score"].median()
    section.images.append(charts.trend_lines(pd.DataFrame({name: trend / 100, "中位数": median / 100}),
                                             f"{name} 近{TREND_MONTHS}个月综合得分与中位数"))
    return section


def _lead_section(heading: str, session: Session, scope: Scope, as_of: dt.datetime, unit: str | None) -> Section:
    group = UNIT_GROUP_OF.get(unit) if unit else None
    leads = queries_evaluation.overdue_leads(
        session, scope, as_of, region_code=unit if group == "COUNTY" else None,
        dept_code=unit if group == "DEPARTMENT" else None)
    section = Section(heading, [f"截至 {as_of:%Y-%m-%d %H:%M}，超期风险线索共 {len(leads)} 条"
                                + (f"，下表列出超期最久的 {LEAD_ROWS} 条。" if len(leads) > LEAD_ROWS else "。")])
    section.tables.append(Table("超期风险线索清单", _lead_table(leads), sheet="超期线索",
                                formats={"线索编号": "0", "超期天数": "0"}, empty="本期无超期线索"))
    return section


def parse_week(text: str) -> tuple[dt.date, dt.date]:
    """Monday and the following Monday of an ISO week ``YYYY-Www``; ValueError otherwise."""
    try:
        year, week = text.split("-W")
        monday = dt.date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        raise ValueError(f"week must look like 2026-W05, got {text!r}") from None
    return monday, monday + dt.timedelta(days=7)


def weekly_check(session: Session, week: str, *, scope: Scope = SYSTEM) -> Document:
    """The 周检查 for ISO week ``week``: overdue leads at the week's end, the units with the most 12345
    orders that missed their deadline during the week, and the latest red-flagged units."""
    monday, next_monday = parse_week(week)
    start, end = (dt.datetime.combine(d, dt.time()) for d in (monday, next_monday))
    as_of = min(end, dt.datetime.now())
    counts = queries_evaluation.overdue_ticket_counts(session, scope, start, end)
    worst = Section("一、本周超期工单最多的单位", [
        "统计办理时限落在本周的12345转办工单，未在时限内办结的记为超期。"])
    for group, column in (("COUNTY", "region_code"), ("DEPARTMENT", "dept_code")):
        g = counts[counts[column].isin(UNITS[group])].groupby(column)[["due", "overdue"]].sum()
        g = g[g.overdue > 0].sort_values(["overdue", "due"], ascending=[False, True]).head(5)
        worst.tables.append(Table(f"{GROUP_NAMES[group]}（超期件数前5）", pd.DataFrame({
            "单位": [UNITS[group][c] for c in g.index], "应办结": g["due"].astype(int).to_numpy(),
            "超期": g["overdue"].astype(int).to_numpy(), "超期率": (g.overdue / g.due).to_numpy(dtype=float),
        }), sheet="超期工单", formats={"应办结": "0", "超期": "0", "超期率": "0.0%"}, empty="本周无超期工单"))
    sections = [worst]
    months = queries_evaluation.indicator_months(session)
    latest = [m for m in months if _month_end(m) <= end]
    if latest:
        config = scoring.load_config(session)
        values = scoring.ranking_values(session, scope, first=months_back(latest[-1], 1), last=latest[-1])
        flagged = []
        for group in UNITS:
            r = scoring.rank_units(values, config, group)
            r = r[(r.month == latest[-1]) & r.status.isin(["red", "yellow"])]
            flagged += [(GROUP_NAMES[group], u, s, n) for u, s, n in zip(r.unit_name, r.score, r.status_name, strict=True)]
        sections.append(Section(f"二、{latest[-1]} 月度排名预警单位", tables=[Table("预警单位", pd.DataFrame(
            flagged, columns=["分组", "单位", "综合得分", "状态"]), sheet="预警单位", formats={"综合得分": "0.0"},
            empty="本期无预警单位")]))
    sections.append(_lead_section("三、超期风险线索", session, scope, as_of, None))
    sunday = next_monday - dt.timedelta(days=1)
    return Document(f"开封市互联网+监管周检查（{week}）", f"{monday:%Y-%m-%d} 至 {sunday:%Y-%m-%d}", sections)


# ---------------------------------------------------------------------------------------------- schedule


@dataclass(frozen=True)
class ReportJob:
    kind: str  # monthly / weekly
    period: str  # YYYY-MM or YYYY-Www
    fmt: str

    @property
    def filename(self) -> str:
        return f"bianjian-{self.kind}-{self.period}.{self.fmt}"


def scheduled_reports(as_of: dt.date) -> list[ReportJob]:
    """Reports due on ``as_of``: on the 1st, last month's bulletin (PDF and XLSX); on Mondays, last
    week's check (PDF). The worker runs this daily after the nightly pipeline."""
    jobs = []
    if as_of.day == 1:
        last = as_of - dt.timedelta(days=1)
        jobs += [ReportJob("monthly", f"{last:%Y-%m}", fmt) for fmt in ("pdf", "xlsx")]
    if as_of.isoweekday() == 1:
        year, week, _ = (as_of - dt.timedelta(days=7)).isocalendar()
        jobs.append(ReportJob("weekly", f"{year}-W{week:02d}", "pdf"))
    return jobs


def write_due_reports(as_of: dt.date, out_dir: Path) -> list[Path]:
    """Write every report due on ``as_of`` into ``out_dir``, each in its own transaction; the scheduled
    entry point of both ``bianjian report scheduled`` (cron) and the worker's beat task."""
    paths = []
    for job in scheduled_reports(as_of):
        try:
            with db.session_scope() as session:
                paths.append(run_job(session, job, out_dir))
        except ValueError as exc:
            raise ValueError(f"{job.filename}: {exc}") from exc
    return paths


def run_job(session: Session, job: ReportJob, out_dir: Path) -> Path:
    """Build and write one scheduled report into ``out_dir``; returns its path."""
    build = monthly_bulletin if job.kind == "monthly" else weekly_check
    return render.write(build(session, job.period), job.fmt, Path(out_dir) / job.filename)
