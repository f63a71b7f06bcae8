"""Data quality and freshness queries on real loads, and the 数据质量 page's callback."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import plotly
import pytest
from sqlalchemy.orm import Session

from data_access import quality
from data_access.ingest import UnreadableFile, ingest_file
from data_access.scope import Scope
from tests.db_fixtures import app_warehouse, sqlite_engine
from tests.test_ingest_files import HOTLINE_HEADER, _ticket, _write_csv, empty_warehouse_path  # noqa: F401


@pytest.fixture(scope="module")
def loaded(empty_warehouse_path, tmp_path_factory):  # noqa: F811
    """Two hotline loads (one with a bad row), one failed load, and two inspections with known lags."""
    workdir = tmp_path_factory.mktemp("quality")
    shutil.copy(empty_warehouse_path, workdir / "q.db")
    engine = sqlite_engine(workdir / "q.db")
    ingest_file(engine, "hotline", _write_csv(workdir / "a.csv", HOTLINE_HEADER,
                                              [_ticket("Q1"), _ticket("Q2", 诉求类型="吐槽")]))
    ingest_file(engine, "hotline", _write_csv(workdir / "b.csv", HOTLINE_HEADER, [_ticket("Q3")]))
    (workdir / "bad.csv").write_bytes(b"\xff\xfe\x00garbage" * 50)
    with pytest.raises(UnreadableFile):
        ingest_file(engine, "hotline", workdir / "bad.csv")
    catalog = _write_csv(workdir / "items.csv", ["事项编码", "事项层级", "事项名称", "监管部门", "事项类别", "生效日期"],
                         [["41020099999901", "SUB", "对食品销售者的监督检查", "市市场监管局", "行政检查", "2024-01-01"]])
    ingest_file(engine, "catalog", catalog)
    header = ["检查行为编号", "监管事项目录编码", "实施机构", "行政相对人编码", "所属区县", "检查形式", "检查类别", "检查来源",
              "检查时间", "报送时间", "检查人数", "检查结果", "后续处置"]
    base = ["41020099999901", "开封市市场监督管理局", "92410204MA00000000", "鼓楼区", "日常检查", "现场检查", "日常巡查"]
    ingest_file(engine, "inspection", _write_csv(workdir / "insp.csv", header, [
        ["J1", *base, "2025-03-01", "2025-03-02 10:00:00", "2", "未发现问题", "无"],
        ["J2", *base, "2025-03-01", "2025-03-20 10:00:00", "2", "未发现问题", "无"]]))
    yield engine
    engine.dispose()


def test_freshness_counts_batches_rows_and_failures(loaded):
    with Session(loaded) as session:
        fresh = quality.source_freshness(session, dt.datetime.now()).set_index("source_kind")
    hotline = fresh.loc["hotline"]
    assert (hotline.batches, hotline.failed_batches, hotline.received, hotline.quarantined) == (2, 1, 3, 1)
    assert hotline.quarantine_rate == pytest.approx(1 / 3)
    assert hotline.rows_in_warehouse == 2 and hotline.days_since_load < 0.1


def test_silent_sources_follow_the_setting(loaded, monkeypatch):
    with Session(loaded) as session:
        assert quality.silent_sources(session, dt.datetime.now()).empty
        later = quality.silent_sources(session, dt.datetime.now() + dt.timedelta(days=5))
        monkeypatch.setenv("BIANJIAN_SILENT_SOURCE_DAYS", "10")
        assert quality.silent_sources(session, dt.datetime.now() + dt.timedelta(days=5)).empty
    assert set(later["source_kind"]) == {"hotline", "catalog", "inspection"}
    assert (later["days_since_load"] > 4.9).all()


def test_reasons_lag_and_rows_per_day(loaded):
    now = dt.datetime.now()
    with Session(loaded) as session:
        reasons = quality.quarantine_reasons(session, now - dt.timedelta(days=1))
        per_day = quality.rows_per_day(session, now.date(), now.date())
        batches = quality.recent_batches(session)
    assert reasons.to_dict("records") == [{"source_kind": "hotline", "reason": "诉求类型", "n": 1}]
    assert per_day.set_index("source_kind").loc["hotline", "received"] == 3
    assert list(batches["status"]).count("failed") == 1


def test_reporting_timeliness_and_scope(loaded):
    with Session(loaded) as session:
        everyone = quality.reporting_timeliness(session, Scope("leader", "LEADER"), dt.date(2025, 3, 1),
                                                dt.date(2025, 3, 31))
        other = quality.reporting_timeliness(session, Scope("head", "DEPT_HEAD", dept_code="x"),
                                             dt.date(2025, 3, 1), dt.date(2025, 3, 31))
    row = everyone.iloc[0]
    assert (row.dept_name, row.inspections, row.timely, row.timely_rate) == ("开封市市场监督管理局", 2, 1, 0.5)
    assert row.median_lag_days == pytest.approx((1 + 10 / 24 + 19 + 10 / 24) / 2)
    assert other.empty


@pytest.fixture(scope="module")
def app_on(loaded, tmp_path_factory):
    from data_access import db
    from security import users

    with app_warehouse(tmp_path_factory.mktemp("quality_app"), url=str(loaded.url)):
        users.create_demo_users(db.engine())
        from app import create_app

        yield create_app()


def test_page_is_for_data_admins_system_admins_and_leaders(app_on):
    from security import testing, users

    for username, role, _dept, password in users.DEMO_USERS:
        client = app_on.server.test_client()
        testing.log_in(client, username, password)
        status = client.get("/data-quality").status_code
        assert (status == 200) == (role in ("DATA_ADMIN", "SYS_ADMIN", "LEADER")), (role, status)


def test_page_callback_renders_every_panel(app_on, loaded, monkeypatch):
    from pages import data_quality

    monkeypatch.setattr("security.current_scope", lambda: Scope("admin", "DATA_ADMIN"))
    cards, freshness, figure, reasons, lag, timely, batches = data_quality.refresh("365")
    text = json.dumps([cards, freshness, reasons, timely, batches], cls=plotly.utils.PlotlyJSONEncoder,
                      ensure_ascii=False)
    assert "12345热线" in text and "失败" in text and "诉求类型" in text
    assert any(trace.name == "12345热线" for trace in figure.data)
    with Session(loaded) as session:
        lag = quality.load_lag(session, dt.datetime(2025, 3, 31), days=120)
    assert set(lag["source_kind"]) == {"hotline", "inspection"}


def test_page_explains_a_warehouse_without_loads(tmp_path):
    """A warehouse filled by ``bianjian demo`` (or just created) has no ingest batches: the page says how data
    arrives instead of an empty table and a chart with bare axes."""
    from data_access import warehouse
    from pages import data_quality

    engine = sqlite_engine(tmp_path / "empty.db")
    warehouse.init(engine)
    now = dt.datetime.now()
    with Session(engine) as session:
        fresh = quality.source_freshness(session, now)
        daily = quality.rows_per_day(session, now.date() - dt.timedelta(days=30), now.date())
    engine.dispose()
    panel = data_quality._freshness_table(fresh)
    assert panel.id == "data-quality-no-loads" and "bianjian ingest" in str(panel.children)  # the command is a Code element
    figure = data_quality._daily_figure(daily)
    assert not figure.data and figure.layout.annotations[0].text == "所选区间内暂无接收记录"
