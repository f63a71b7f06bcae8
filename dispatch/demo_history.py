"""A year of past risk leads for the demo, made by applying real lifecycle transitions.

Each lead (kind ``history``, lead_key ``demo:history:<n>``) gets a simulated timeline — triage, dispatch,
sign-off, checking, extensions, 督办, feedback, 重办, closure, 退回 and 误报, co-departments' joint parts —
and every step whose moment falls before the end of ``end`` is applied through
``dispatch.lifecycle.transition``, so events always obey the state machine and recent leads are caught
mid-way (open, due soon or overdue). Departments planted as slow (``truth_planted_event`` kind
``slow_department``) each get about 10% of the leads and sign and handle late far more often, so
rankings have something true to find.
"""

from __future__ import annotations

import datetime as dt
import math
import random

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from data_access import codes
from data_access.reference import DEPT_CODE_BY_KEY, DEPT_SHORT_NAME_BY_CODE
from data_access.schema import HotlineTicket, PlantedEvent, RiskLead
from data_access.scope import Scope
from dispatch import deadlines
from dispatch.lifecycle import transition
from risk_models.calibration import UNCALIBRATED_LEVEL
from risk_models.lead_reads import complaints

# (12345 category, lead department key, possible co-department keys)
THEMES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("食品安全", "SCJG", ("WJW", "CGJ")), ("消费维权", "SCJG", ("SWJ",)), ("市场监管", "SCJG", ("GAJ",)),
    ("市容市貌", "CGJ", ("ZJJ",)), ("城市管理", "CGJ", ("GAJ", "SCJG")), ("劳动保障", "RSJ", ("ZJJ",)),
    ("污染防控", "STHJ", ("CGJ", "ZJJ")), ("公路管理", "JTYS", ("GAJ",)), ("农村管理", "NYNC", ("SCJG",)),
    ("社会福利", "MZJ", ("WJW",)), ("消防安全", "XFZD", ("YJJ", "SCJG")), ("教育管理", "JTJ", ("SCJG", "WJW")),
    ("旅游服务", "WGLY", ("SCJG", "GAJ")), ("设施管理", "ZJJ", ("CGJ",)), ("城乡规划", "ZRZY", ("ZJJ",)), ("卫生健康", "WJW", ("SCJG",)),
)
LEVEL_WEIGHTS = {"RED": 0.1, "ORANGE": 0.25, "YELLOW": 0.4, "BLUE": 0.25}
# Leads created in the last CURRENT_DAYS may still be open when the demo ends (every older one is played to
# closure): no model's measured precision stands behind a drawn level, so like every lead of a kind without
# calibration they are at most 黄 (risk_models.calibration) and the wall shows no red or orange that nothing
# backs; older leads keep the drawn mix the closed history, the funnel and the rankings' deadlines need.
CURRENT_DAYS = 30
ABOVE_UNCALIBRATED = tuple(list(codes.LEAD_LEVELS)[:list(codes.LEAD_LEVELS).index(UNCALIBRATED_LEVEL)])
ANALYSTS = ("研判员李静", "研判员王磊", "研判员赵敏")
LEADER = "指挥中心张主任"
SLOW_SHARE = 0.10  # of all history leads, per planted slow department
RETURN_REASONS = ("不属于本部门职责范围，建议转属地政府", "线索指向的经营主体不在本部门监管名录", "地址不详，无法确定管辖")
DISMISS_REASONS = ("经研判为重复线索", "投诉集中源于同一事件，已处理完毕", "数据异常（节假日补录）导致的误报")
FEEDBACK_TEXT = {"属实": "经现场核查，反映问题属实，已依法处置并跟踪整改。", "部分属实": "经核查部分属实，已责令整改。",
                 "不属实": "经现场核查，未发现反映的问题。"}


def generate_history(conn: Connection, seed: int, end: dt.date, *, n: int = 400) -> int:
    """Write ``n`` past leads with their timelines into ``conn``'s open transaction; returns ``n``."""
    rnd = random.Random(seed * 1_000_003 + 6)
    horizon = dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
    slow = list(conn.execute(select(PlantedEvent.dept_code).where(PlantedEvent.kind == "slow_department")
                             .order_by(PlantedEvent.planted_id)).scalars())
    by_dept = {DEPT_CODE_BY_KEY[key]: (cat, key, co) for cat, key, co in THEMES}
    session = Session(bind=conn)
    try:
        for i in range(n):
            if slow and rnd.random() < SLOW_SHARE * len(slow):
                dept = slow[rnd.randrange(len(slow))]
                cat, _, co = by_dept.get(dept, ("城市管理", "", ()))
            else:
                cat, key, co = THEMES[rnd.randrange(len(THEMES))]
                dept = DEPT_CODE_BY_KEY[key]
            # the last 15% are recent, so open states, 临期 and 超期 exist at the end of the demo; the very
            # last ones arrived in the final day and still wait for triage or sign-off
            age_days = (rnd.uniform(0, 1.2) if i >= n * 0.97 else rnd.uniform(0, 20) if i >= n * 0.85
                        else rnd.uniform(0, 365))
            created = (horizon - dt.timedelta(days=age_days)).replace(minute=0, second=0, microsecond=0)
            lead_id, drawn = _insert_lead(session, rnd, i, created, cat, dept, current=age_days <= CURRENT_DAYS)
            _play(session, rnd, lead_id, drawn, created, dept, [DEPT_CODE_BY_KEY[k] for k in co], dept in slow,
                  horizon)
        session.flush()
    finally:
        session.close()
    return n


def _insert_lead(session: Session, rnd: random.Random, i: int, created: dt.datetime, cat: str, dept: str, *,
                 current: bool) -> tuple[int, str]:
    """The new lead's id and its drawn level (the stored one is capped when ``current``)."""
    county = codes.COUNTIES[rnd.randrange(len(codes.COUNTIES))]
    drawn = rnd.choices(list(LEVEL_WEIGHTS), weights=list(LEVEL_WEIGHTS.values()))[0]
    level = UNCALIBRATED_LEVEL if current and drawn in ABOVE_UNCALIBRATED else drawn
    series = _spike_series(rnd, created.date())
    category_code = codes.HOTLINE_CATEGORY_CODE_BY_NAME.get(cat)
    evidence = {"series": series}
    if category_code:  # real complaints of the county and category over the series' two weeks (none: no table)
        evidence["complaints"] = complaints(
            session.connection(), HotlineTicket.region_code == county.code, HotlineTicket.category_code == category_code,
            start=created.date() - dt.timedelta(days=13), end=created.date())
    lead_id = session.execute(insert(RiskLead).values(
        lead_key=f"demo:history:{i}", kind="history", level=level, score=round(rnd.uniform(0.3, 0.99), 3),
        title=f"{county.name}{cat}投诉异常升高", reason=spike_reason(county.name, cat, series),
        evidence=evidence, region_code=county.code, category_code=category_code, dept_code=dept, status="待研判",
        created_at=created, updated_at=created, version=1).returning(RiskLead.lead_id)).scalar_one()
    return lead_id, drawn


def _spike_series(rnd: random.Random, last_day: dt.date) -> list[dict]:
    """Two weeks of daily counts with a forecast band; in the last week some days break through the band's
    upper edge (by 10–150%), as a spike lead's chart shows."""
    base = rnd.uniform(1.5, 8)
    series = []
    for d in range(14):
        expected = base * rnd.uniform(0.8, 1.2)
        upper = expected * 1.6 + 1
        spike = d >= 7 and (d == 13 or rnd.random() < 0.5)
        observed = math.ceil(upper * rnd.uniform(1.1, 2.5)) if spike else round(expected * rnd.uniform(0.6, 1.3))
        series.append({"day": (last_day - dt.timedelta(days=13 - d)).isoformat(), "n": observed,
                       "expected": round(expected, 2), "lower": round(expected * 0.5, 2), "upper": round(upper, 2)})
    return series


def spike_reason(county: str, category: str, series: list[dict]) -> str:
    """The reason text, computed from the numbers the lead page's chart draws: the last 7 days' total and
    the day furthest above the band's upper edge (the wording of risk_models.spike_leads.spike_signals)."""
    week = series[-7:]
    peak = max(week, key=lambda p: p["n"] / p["upper"])
    return (f"近7日{county}{category}投诉{sum(p['n'] for p in week)}件，"
            f"{dt.date.fromisoformat(peak['day']):%m月%d日}当日{peak['n']}件，"
            f"为预测上限（{peak['upper']:.1f}件）的{peak['n'] / peak['upper']:.1f}倍")


def _play(session: Session, rnd: random.Random, lead_id: int, drawn_level: str, created: dt.datetime, dept: str,
          co_pool: list[str], slow: bool, horizon: dt.datetime) -> None:
    """Simulate one lead's life and apply each step that happened before ``horizon``; its pace follows the
    drawn level's time limit, so capping a current lead's stored level leaves every demo's story unchanged."""
    analyst = Scope(ANALYSTS[rnd.randrange(len(ANALYSTS))], "ANALYST")
    t = created

    def step(after_hours: float, action: str, scope: Scope, **payload) -> bool:
        nonlocal t
        t = (t + dt.timedelta(hours=after_hours)).replace(microsecond=0)
        if t >= horizon:
            return False
        transition(session, lead_id, action, scope, at=t, **payload)
        return True

    def head(code: str) -> Scope:
        return Scope(f"{DEPT_SHORT_NAME_BY_CODE.get(code, '部门')}负责人", "DEPT_HEAD", code)

    if rnd.random() < 0.08:
        step(rnd.uniform(1, 30), "dismiss", analyst, note=rnd.choice(DISMISS_REASONS))
        return
    if rnd.random() < 0.10:  # first sent to the wrong department, returned, re-dispatched
        wrong = DEPT_CODE_BY_KEY[rnd.choice(("CGJ", "SCJG", "ZJJ", "GOV410202"))]
        wrong = wrong if wrong != dept else DEPT_CODE_BY_KEY["GOV410203"]
        if not (step(rnd.uniform(1, 24), "dispatch", analyst, dept_code=wrong)
                and step(rnd.uniform(1, 20), "return", head(wrong), note=rnd.choice(RETURN_REASONS))):
            return
    co = rnd.sample(co_pool, k=min(len(co_pool), rnd.randint(1, 2))) if rnd.random() < 0.15 else []
    if not step(rnd.uniform(0.5, 30), "dispatch", analyst, dept_code=dept, co_dept_codes=co):
        return
    allowed_days = deadlines.handle_days(drawn_level)
    late_sign = rnd.random() < (0.45 if slow else 0.05)
    if not step(rnd.uniform(26, 90) if late_sign else rnd.uniform(0.5, 16), "sign", head(dept)):
        return
    if not step(rnd.uniform(0.5, 20), "start", head(dept)):
        return
    late = rnd.random() < (0.6 if slow else 0.08)
    handle_hours = allowed_days * 24 * 1.4 * (rnd.uniform(1.15, 2.5) if late else rnd.uniform(0.15, 0.8))
    if rnd.random() < (0.3 if slow else 0.06):
        level = codes.LEAD_SUPERVISE_LEVELS[rnd.randrange(2)]
        if not step(handle_hours * 0.4, "escalate", analyst if rnd.random() < 0.5 else Scope(LEADER, "LEADER"),
                    level=level):
            return
        handle_hours *= 0.6
    if rnd.random() < 0.10:
        days = rnd.randint(2, 5)
        if not (step(4, "request_extension", head(dept), days=days, note="需等待检验检测结果")
                and (step(rnd.uniform(2, 20), "approve_extension", analyst) if rnd.random() < 0.7
                     else step(rnd.uniform(2, 20), "deny_extension", analyst, note="理由不充分，请按期办结"))):
            return
    for co_dept in co:
        if not step(handle_hours * rnd.uniform(0.1, 0.4) / max(1, len(co)), "complete_part", head(co_dept)):
            return
    result = rnd.choices(codes.LEAD_FEEDBACK_RESULTS, weights=(0.55, 0.25, 0.2))[0]
    actions = [] if result == "不属实" else rnd.sample(codes.LEAD_FEEDBACK_ACTIONS[:5], k=rnd.randint(1, 2))
    feedback = {"result": result, "actions": actions, "note": FEEDBACK_TEXT[result],
                "attachments": [f"现场检查记录_{lead_id}.pdf"] if result != "不属实" else []}
    if not step(max(1.0, handle_hours * 0.6), "feedback", head(dept), **feedback):
        return
    if rnd.random() < 0.05:
        if not (step(rnd.uniform(4, 30), "redo", analyst, note="反馈未说明整改结果，请补充")
                and step(rnd.uniform(20, 60), "feedback", head(dept), **feedback)):
            return
    step(rnd.uniform(2, 48), "close", analyst)
