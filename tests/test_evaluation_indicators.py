"""Every indicator formula on small hand-made rows in a fresh warehouse (SQLite, and PostgreSQL in CI).

The expected numerators and denominators below were counted by hand from the rows inserted here;
each test inserts inside a transaction that is rolled back, so tests do not see each other's rows.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from data_access import queries_evaluation
from data_access.reference import DEPT_CODE_BY_KEY
from data_access.schema import (
    CheckImpl,
    ComplaintFeature,
    HotlineEvent,
    HotlineTicket,
    Inspection,
    MonthlyIndicator,
    Penalty,
    RandomTask,
    RegItem,
    RiskLead,
    UrbanCase,
)
from data_access.scope import SYSTEM
from evaluation import indicators
from evaluation.indicators import Window
from tests.db_fixtures import initialised_warehouse

SCJG, CGJ = DEPT_CODE_BY_KEY["SCJG"], DEPT_CODE_BY_KEY["CGJ"]
LT, SH = "410202", "410203"  # 龙亭区, 顺河回族区
MARCH = Window(dt.datetime(2026, 3, 1), dt.datetime(2026, 4, 1))
FEBRUARY = Window(dt.datetime(2026, 2, 1), dt.datetime(2026, 3, 1))


def t(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2026-{day}").replace(hour=hour)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, tmp_path_factory):
    with initialised_warehouse(request.param, tmp_path_factory.mktemp("ind")) as eng:
        yield eng


@pytest.fixture
def conn(engine):
    with engine.connect() as connection:
        tx = connection.begin()
        yield connection
        tx.rollback()


LINEAGE = {"src_system": "test", "load_batch": "b1", "loaded_at": dt.datetime(2026, 4, 1)}


def _ticket(i: int, **kw) -> dict:
    row = {**LINEAGE, "ticket_id": i, "src_id": f"T{i}", "order_no": f"KF{i}", "channel": "电话", "appeal_type": "投诉",
           "category_code": "HC01", "title": "t", "content": "c", "region_code": LT, "handle_mode": "TRANSFER",
           "main_dept_code": SCJG, "accepted_at": t("03-01"), "dispatched_at": t("03-01", 11), "status": "已办结",
           "updated_at": t("03-30"), "sign_deadline": None, "signed_at": None, "handle_deadline": None,
           "replied_at": None, "finished_at": None, "satisfaction": None, "is_solved": None, "return_count": 0,
           "is_repeat": False}
    return row | kw


def insert_tickets(conn) -> None:
    conn.execute(insert(HotlineTicket), [
        _ticket(1, sign_deadline=t("03-05", 23), signed_at=t("03-05"), handle_deadline=t("03-15", 23),
                replied_at=t("03-13"), finished_at=t("03-14"), satisfaction="满意", is_solved=True),
        _ticket(2, sign_deadline=t("03-06", 23), signed_at=t("03-07"), handle_deadline=t("03-20", 23),
                replied_at=t("03-21"), finished_at=t("03-22"), satisfaction="不满意", is_solved=False),
        _ticket(3, sign_deadline=t("03-10", 23), handle_deadline=t("04-10", 23), return_count=1, is_repeat=True,
                status="待签收"),
        _ticket(4, region_code=SH, main_dept_code=CGJ, accepted_at=t("02-27"), dispatched_at=t("02-27", 11),
                sign_deadline=t("02-28", 23), signed_at=t("02-28"), handle_deadline=t("03-25", 23),
                replied_at=t("03-23"), finished_at=t("03-24"), satisfaction="未评价"),
        _ticket(5, handle_mode="DIRECT", main_dept_code=None, dispatched_at=None, accepted_at=t("03-02"),
                replied_at=t("03-02", 11), finished_at=t("03-02", 11), satisfaction="基本满意", is_solved=True),
    ])
    # ticket 4 was accepted in February: it must not count in March's repeat or return rates
    conn.execute(insert(ComplaintFeature), [
        {"ticket_id": 1, "reply_quality": 0.8, "computed_at": t("03-30")},
        {"ticket_id": 2, "reply_quality": 0.4, "computed_at": t("03-30")},
    ])


def _lead(i: int, **kw) -> dict:
    row = {"lead_id": i, "lead_key": f"k{i}", "kind": "spike", "level": "RED", "score": 1.0, "title": f"线索{i}",
           "reason": "r", "evidence": {}, "region_code": LT, "dept_code": SCJG, "status": "已签收",
           "created_at": t("03-01"), "updated_at": t("03-01"), "sign_deadline": None, "signed_at": None,
           "handle_deadline": None, "feedback_at": None, "closed_at": None, "feedback_text": None}
    return row | kw


def insert_leads(conn) -> None:
    conn.execute(insert(RiskLead), [
        # feedback quality: no word shared with the lead (relevance 0), so quality = completeness ÷ 2
        # (weights 0.4/0.4 renormalised without timeliness): cues 核实+整改 = 0.5 → 0.25
        _lead(1, sign_deadline=t("03-03", 23), signed_at=t("03-02"), handle_deadline=t("03-10", 23),
              feedback_at=t("03-09"), closed_at=t("03-11"), status="已办结", feedback_text="经核实，已责令整改。"),
        # all six cue groups = 1.0 → 0.5
        _lead(2, sign_deadline=t("03-04", 23), signed_at=t("03-05"), handle_deadline=t("03-12", 23),
              feedback_at=t("03-15"),
              feedback_text="您好，经核实已整改，依据《食品安全法》处理，下一步将继续跟踪，联系电话12345678。"),
        _lead(3, region_code=SH, dept_code=CGJ, sign_deadline=t("03-05", 23), handle_deadline=t("04-05", 23),
              status="已转办"),
    ])


def _item(code: str, parent: str | None, claimed: bool, valid_to: dt.date | None = None) -> dict:
    return {"item_code": code, "parent_code": parent, "item_level": "SUB" if parent else "MAIN", "name": code,
            "dept_code": SCJG, "item_category": "0", "claimed": claimed, "valid_from": dt.date(2024, 1, 1),
            "valid_to": valid_to}


def _impl(code: str, item: str, region: str) -> dict:
    return {"impl_code": code, "item_code": item, "impl_dept_code": SCJG, "region_code": region,
            "exercise_level": "4", "check_category": "1", "is_random": False}


def _inspection(i: int, item: str, dept: str, region: str, day: dt.date, submitted: dt.datetime) -> dict:
    return {**LINEAGE, "inspection_id": i, "src_id": f"I{i}", "check_action_code": f"JC{i}", "item_code": item,
            "dept_code": dept, "subject_uscc": "91410200MA00000000", "region_code": region, "check_form": "1",
            "check_category": "1", "check_source": "DAILY", "check_date": day, "submitted_at": submitted,
            "inspectors_n": 2, "result": "NO_PROBLEM", "has_problem": False, "followup": "NONE"}


def _penalty(i: int, item: str, region: str, day: dt.date) -> dict:
    return {**LINEAGE, "penalty_id": i, "src_id": f"P{i}", "decision_no": f"汴市监罚〔2026〕{i}号", "item_code": item,
            "dept_code": SCJG, "subject_uscc": "91410200MA00000000", "region_code": region, "case_source": "检查发现",
            "procedure": "一般程序", "penalty_types": "罚款", "fine_amount": 1000, "filed_at": day, "decided_at": day}


def insert_catalogue(conn) -> None:
    conn.execute(insert(RegItem), [
        _item("M1", None, True), _item("M2", None, True), _item("M3", None, False),
        _item("M4", None, False, valid_to=dt.date(2026, 2, 15)),  # expired: not in the catalogue any more
        _item("S1", "M1", False), _item("S2", "M2", True),  # sub-items do not count for the claim rate
    ])
    conn.execute(insert(CheckImpl), [_impl("C1", "S1", LT), _impl("C2", "S2", LT), _impl("C3", "S2", SH)])
    conn.execute(insert(Inspection), [
        _inspection(1, "S1", SCJG, LT, dt.date(2026, 1, 10), t("01-11")),  # covers M1 in 龙亭区 this year
        _inspection(2, "S2", SCJG, SH, dt.date(2025, 12, 20), dt.datetime(2025, 12, 21)),  # last year: no cover
        # timeliness in March (limit 5 working days, counted from the day after the check)
        _inspection(3, "S1", SCJG, LT, dt.date(2026, 3, 2), t("03-09")),  # 5 working days: timely
        _inspection(4, "S1", SCJG, LT, dt.date(2026, 3, 2), t("03-10")),  # 6 working days: late
        _inspection(5, "S2", CGJ, SH, dt.date(2026, 3, 20), t("03-27")),  # 5 working days: timely
    ])
    conn.execute(insert(Penalty), [
        _penalty(1, "S2", SH, dt.date(2026, 2, 10)),  # a penalty is behaviour data too: covers M2 in 顺河区
        _penalty(2, "S2", LT, dt.date(2026, 3, 5)),  # after February: M2 in 龙亭区 is still uncovered then
    ])


def _task(i: int, year: int, start: dt.date, sampled: int, checked: int) -> dict:
    return {**LINEAGE, "task_id": i, "src_id": f"R{i}", "task_code": f"SJ{i}", "name": "抽查", "lead_dept_code": SCJG,
            "item_code": "S1", "plan_year": year, "sample_ratio": 0.05, "population_n": 1000, "sampled_n": sampled,
            "checked_n": checked, "start_date": start, "end_date": dt.date(year, 11, 30)}


def _case(i: int, region: str, status: str, deadline: dt.datetime, disposed, closed, rework: int = 0) -> dict:  # noqa: ANN001
    return {**LINEAGE, "case_id": i, "src_id": f"U{i}", "case_no": f"CG{i}", "source": "监督员上报",
            "category_code": "E0101", "description": "d", "region_code": region, "dispose_dept_code": CGJ,
            "reported_at": deadline - dt.timedelta(hours=20), "dispose_deadline": deadline, "disposed_at": disposed,
            "closed_at": closed, "status": status, "rework_count": rework}


def insert_urban(conn) -> None:
    conn.execute(insert(UrbanCase), [
        _case(1, LT, "结案", t("03-05", 12), t("03-05", 10), t("03-06"), rework=1),  # on time, reworked
        _case(2, LT, "结案", t("03-06", 12), t("03-07"), t("03-08")),  # disposed late
        _case(3, LT, "作废", t("03-07", 12), None, None),  # void: never counted
        _case(4, SH, "核查", t("03-08", 12), t("03-08", 9), None),  # disposed in time but not closed
    ])


def values(conn, window: Window, key: str) -> dict[tuple[str, str], tuple[float, float]]:
    df = indicators.compute(conn, window, [key])
    assert set(df.month) <= set(window.months())
    return {(g, u): (n, d) for g, u, n, d in zip(df.unit_group, df.unit_code, df.numerator, df.denominator,
                                                 strict=True)}


C, D = "COUNTY", "DEPARTMENT"
CASES = [
    # (inserter, window, indicator, expected {(group, unit): (numerator, denominator)}; other units have no row)
    (insert_tickets, MARCH, "hotline_sign_ontime", {(C, LT): (1, 3), (D, SCJG): (1, 3)}),
    (insert_tickets, MARCH, "hotline_finish_ontime", {(C, LT): (1, 2), (C, SH): (1, 1), (D, SCJG): (1, 2),
                                                      (D, CGJ): (1, 1)}),
    (insert_tickets, MARCH, "hotline_satisfaction", {(C, LT): (2, 3), (D, SCJG): (1, 2)}),
    (insert_tickets, MARCH, "hotline_resolution", {(C, LT): (2, 3), (D, SCJG): (1, 2)}),
    (insert_tickets, MARCH, "hotline_repeat", {(C, LT): (1, 4), (D, SCJG): (1, 3)}),
    (insert_tickets, MARCH, "hotline_return", {(C, LT): (1, 3), (D, SCJG): (1, 3)}),
    (insert_tickets, MARCH, "reply_quality", {(C, LT): (1.2, 2), (D, SCJG): (1.2, 2)}),
    (insert_leads, MARCH, "lead_sign_ontime", {(C, LT): (1, 2), (D, SCJG): (1, 2), (C, SH): (0, 1), (D, CGJ): (0, 1)}),
    (insert_leads, MARCH, "lead_feedback_ontime", {(C, LT): (1, 2), (D, SCJG): (1, 2)}),
    (insert_leads, MARCH, "lead_close_rate", {(C, LT): (1, 2), (D, SCJG): (1, 2)}),
    (insert_leads, MARCH, "lead_feedback_quality", {(C, LT): (0.75, 2), (D, SCJG): (0.75, 2)}),
    (insert_catalogue, MARCH, "item_claim_rate", {(D, SCJG): (2, 3)}),
    (insert_catalogue, FEBRUARY, "item_coverage", {(D, SCJG): (2, 2), (C, LT): (1, 2), (C, SH): (1, 1)}),
    (insert_catalogue, MARCH, "inspection_timely", {(D, SCJG): (1, 2), (C, LT): (1, 2), (D, CGJ): (1, 1),
                                                    (C, SH): (1, 1)}),
    (insert_urban, MARCH, "urban_close_ontime", {(C, LT): (1, 2), (C, SH): (0, 1), (D, CGJ): (1, 3)}),
    (insert_urban, MARCH, "urban_rework", {(C, LT): (1, 2), (D, CGJ): (1, 2)}),
]


@pytest.mark.parametrize(("inserter", "window", "key", "expected"), CASES, ids=[c[2] for c in CASES])
def test_indicator_formula_matches_hand_count(conn, inserter, window, key, expected):
    inserter(conn)
    got = values(conn, window, key)
    assert got.keys() == expected.keys()
    for unit, (num, den) in expected.items():
        assert got[unit] == pytest.approx((num, den)), unit


def insert_extensions(conn) -> None:
    conn.execute(insert(HotlineTicket), [
        # recorded deadline Fri 13 March; approved 3 working days → due Wed 18 March 23:59:59: on time
        _ticket(6, handle_deadline=t("03-13", 23), finished_at=t("03-17"), extension_days=3),
        # same, but the extension was only requested, never approved: due 13 March, late
        _ticket(7, handle_deadline=t("03-13", 23), finished_at=t("03-17"), extension_days=3),
        # due Thu 30 April + 2 working days over 劳动节 (1–5 May off) → Thu 7 May: counts in May, on time
        _ticket(8, region_code=SH, main_dept_code=CGJ, handle_deadline=t("04-30", 23), finished_at=t("05-06"),
                extension_days=2),
    ])
    conn.execute(insert(HotlineEvent), [
        {**LINEAGE, "event_id": i, "src_id": f"E{i}", "ticket_id": ticket, "event": event, "at": t("03-12")}
        for i, (ticket, event) in enumerate([(6, "延期申请"), (6, "延期批准"), (7, "延期申请"), (8, "延期批准")], 1)])


def test_an_approved_extension_moves_the_completion_deadline(conn):
    insert_extensions(conn)
    assert values(conn, MARCH, "hotline_finish_ontime") == {(C, LT): (1, 2), (D, SCJG): (1, 2)}
    april = Window(dt.datetime(2026, 4, 1), dt.datetime(2026, 5, 1))
    may = Window(dt.datetime(2026, 5, 1), dt.datetime(2026, 6, 1))
    assert values(conn, april, "hotline_finish_ontime") == {}
    assert values(conn, may, "hotline_finish_ontime") == {(C, SH): (1, 1), (D, CGJ): (1, 1)}


def test_the_weekly_overdue_count_uses_the_same_deadline(conn):
    insert_extensions(conn)
    session = Session(bind=conn)
    weeks = {week: queries_evaluation.overdue_ticket_counts(session, SYSTEM, dt.datetime(*start),
                                                            dt.datetime(*end))
             for week, start, end in (("W11", (2026, 3, 9), (2026, 3, 16)), ("W12", (2026, 3, 16), (2026, 3, 23)))}
    rows = {w: df[["region_code", "dept_code", "due", "overdue"]].values.tolist() for w, df in weeks.items()}
    assert rows == {"W11": [[LT, SCJG, 1, 1]], "W12": [[LT, SCJG, 1, 0]]}  # ticket 7 late in W11; 6 moved to W12


def test_random_completion_counts_started_tasks_of_the_year(conn):
    conn.execute(insert(RandomTask), [
        _task(1, 2026, dt.date(2026, 3, 1), 100, 40),
        _task(2, 2026, dt.date(2026, 5, 1), 50, 0),  # not started by the end of March
        _task(3, 2025, dt.date(2025, 3, 1), 10, 10),  # another plan year
    ])
    assert values(conn, MARCH, "random_completion") == {(D, SCJG): (40, 100)}
    assert values(conn, FEBRUARY, "random_completion") == {}


def test_zero_is_a_value_and_no_denominator_is_no_data(conn):
    insert_tickets(conn)
    insert_leads(conn)
    df = indicators.compute(conn, MARCH, ["lead_sign_ontime", "hotline_sign_ontime"])
    lead = df[(df.indicator_key == "lead_sign_ontime") & (df.unit_code == SH)]
    assert lead["value"].tolist() == [0.0]  # one lead due, signed late: a real 0 %
    assert df[(df.indicator_key == "hotline_sign_ontime") & (df.unit_code == SH)].empty  # nothing due: 无数据


def test_reply_quality_without_text_mining_is_missing_not_zero(conn):
    insert_tickets(conn)
    conn.execute(ComplaintFeature.__table__.delete())
    assert values(conn, MARCH, "reply_quality") == {}


def test_deadlines_after_the_as_of_time_do_not_count_as_missed(conn):
    insert_tickets(conn)
    early = Window(dt.datetime(2026, 3, 1), dt.datetime(2026, 3, 6))  # data as of 5 March
    assert values(conn, early, "hotline_sign_ontime") == {(C, LT): (1, 1), (D, SCJG): (1, 1)}


def test_rebuild_is_idempotent_and_incremental(conn):
    insert_tickets(conn)
    first = indicators.rebuild(conn)
    rows = conn.execute(select(MonthlyIndicator.month, MonthlyIndicator.unit_code, MonthlyIndicator.indicator_key,
                               MonthlyIndicator.value).order_by(*MonthlyIndicator.__table__.primary_key)).all()
    assert first == len(rows) > 0
    assert indicators.rebuild(conn) == first
    assert indicators.rebuild(conn, ["2026-03"]) == sum(r.month == "2026-03" for r in rows)
    again = conn.execute(select(MonthlyIndicator.month, MonthlyIndicator.unit_code, MonthlyIndicator.indicator_key,
                                MonthlyIndicator.value).order_by(*MonthlyIndicator.__table__.primary_key)).all()
    assert again == rows
    # the data end with the last order accepted (2 March): only February's sign deadline has passed
    sign = {(r.month, r.unit_code): r.value for r in rows if r.indicator_key == "hotline_sign_ontime"}
    assert sign == {("2026-02", SH): 1.0, ("2026-02", CGJ): 1.0}


def test_rebuild_rejects_a_malformed_month(conn):
    with pytest.raises(ValueError, match="2026-05"):
        indicators.rebuild(conn, ["2026-5"])


def test_library_declares_each_indicator_once_with_sane_fields():
    keys = [i.key for i in indicators.INDICATORS]
    assert len(keys) == len(set(keys)) == 17
    for ind in indicators.INDICATORS:
        assert ind.direction in ("higher", "lower")
        assert 0 < ind.target <= 1
        assert set(ind.groups) <= set(indicators.UNITS) and ind.groups
    assert len(indicators.UNITS["COUNTY"]) == 10


def test_read_side_queries_on_this_backend(conn):
    from sqlalchemy.orm import Session

    from data_access import queries_evaluation
    from data_access.scope import SYSTEM, Scope
    from evaluation import scoring

    insert_tickets(conn)
    insert_leads(conn)
    indicators.rebuild(conn, ["2026-02"])
    session = Session(bind=conn)
    values = queries_evaluation.indicator_values(session, SYSTEM, first="2026-02", last="2026-02")
    assert set(values.month) == {"2026-02"} and len(values) > 0
    as_of = dt.datetime(2026, 3, 31)
    assert queries_evaluation.overdue_leads(session, SYSTEM, as_of)["lead_id"].tolist() == [3]  # unsigned since 5 March
    assert queries_evaluation.overdue_leads(session, Scope("h", "DEPT_HEAD", SCJG), as_of).empty
    counts = queries_evaluation.overdue_ticket_counts(session, SYSTEM, MARCH.start, MARCH.end)
    got = {(r.region_code, r.dept_code): (r.due, r.overdue) for r in counts.itertuples()}
    assert got == {(LT, SCJG): (2, 1), (SH, CGJ): (1, 0)}
    new = scoring.default_config().with_weights(C, {"hotline_sign_ontime": 2})
    scoring.save_config(session, Scope("root", "SYS_ADMIN"), new)
    assert scoring.load_config(session) == new


def test_rankings_open_on_the_month_just_ended_and_mark_the_running_one():
    """The 月通报 ranks the month that is over: on 6 December with data through the 5th, November; the running
    month is still offered, marked 本月至今; with values for the running month only, that month."""
    from evaluation.indicators import default_month, month_options

    today = dt.date(2026, 12, 6)
    months = ["2026-10", "2026-11", "2026-12"]
    assert default_month(months, today) == "2026-11"
    assert default_month(["2026-12"], today) == "2026-12"
    assert default_month(["2026-05", "2026-06"], today) == "2026-06"  # a warehouse that ends months ago
    assert month_options(months, today) == [{"label": "2026-12（本月至今）", "value": "2026-12"},
                                            {"label": "2026-11", "value": "2026-11"},
                                            {"label": "2026-10", "value": "2026-10"}]
