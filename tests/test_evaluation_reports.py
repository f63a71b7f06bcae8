"""Monthly bulletin and weekly check on the demo warehouse: PDF text, XLSX sheets, DOCX, scoping, the
schedule and the ``bianjian report`` CLI."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner
from docx import Document as Docx
from openpyxl import load_workbook
from sqlalchemy import insert
from sqlalchemy.orm import Session

from bianjian_cli import cli
from data_access import queries_evaluation
from data_access.db import make_engine
from data_access.reference import DEPT_CODE_BY_KEY
from data_access.schema import RiskLead
from data_access.scope import SYSTEM, Scope
from evaluation import indicators, render, reports
from evaluation.indicators import FAMILIES
from tests.db_fixtures import app_warehouse

SCJG, CGJ = DEPT_CODE_BY_KEY["SCJG"], DEPT_CODE_BY_KEY["CGJ"]


def _lead(lead_id: int, dept: str, **kw) -> dict:
    base = {"sign_deadline": dt.datetime(2026, 5, 3), "signed_at": None, "handle_deadline": dt.datetime(2026, 7, 9),
            "feedback_at": None, "closed_at": None}
    return {"lead_id": lead_id, "lead_key": f"test-{lead_id}", "kind": "spike", "level": "RED", "score": 1.0,
            "title": f"测试线索{lead_id}", "reason": "r", "evidence": {}, "region_code": "410202", "dept_code": dept,
            "status": "已转办", "created_at": dt.datetime(2026, 5, 1), "updated_at": dt.datetime(2026, 5, 1)} | base | kw


@pytest.fixture(scope="module")
def warehouse_path(demo_db_path, tmp_path_factory):
    """A private copy of the demo warehouse with the indicator mart built."""
    path = tmp_path_factory.mktemp("reports") / "w.db"
    shutil.copy(demo_db_path, path)
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(insert(RiskLead), [_lead(900001, SCJG, sign_deadline=dt.datetime(2026, 6, 1)),
                                        _lead(900002, CGJ, signed_at=dt.datetime(2026, 5, 2),
                                              handle_deadline=dt.datetime(2026, 6, 10)),
                                        _lead(900003, SCJG, signed_at=dt.datetime(2026, 5, 2),
                                              handle_deadline=dt.datetime(2026, 6, 10),
                                              closed_at=dt.datetime(2026, 6, 20))])
        indicators.rebuild(conn)
    engine.dispose()
    return path


@pytest.fixture(scope="module")
def engine(warehouse_path):
    eng = make_engine(f"sqlite:///{warehouse_path}")
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def month(engine) -> str:
    with Session(engine) as session:
        return queries_evaluation.indicator_months(session)[-2]  # the last complete month


def font_files(pdf) -> dict[str, str | None]:
    """BaseFont → the embedded font-file key (FontFile/FontFile2/FontFile3) or None, over all pages."""
    out = {}
    for page in pypdf.PdfReader(pdf).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                d = descendant.get_object().get("/FontDescriptor")
                d = d.get_object() if d is not None else {}
                out[str(font["/BaseFont"])] = next((k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in d),
                                                   None)
    return out


def assert_cjk_font_embedded(pdf) -> None:
    fonts = font_files(pdf)
    cjk = {name: key for name, key in fonts.items() if "NotoSansCJK" in name}
    assert cjk and set(cjk.values()) == {"/FontFile2"}, fonts
    assert set(fonts) - set(cjk) <= {"/Helvetica"}, fonts  # nothing else but reportlab's unused default


def test_monthly_bulletin_renders_pdf_xlsx_and_docx(engine, month, tmp_path):
    with Session(engine) as session:
        doc = reports.monthly_bulletin(session, month, unit="410202")
    pdf, xlsx, docx = (render.write(doc, fmt, tmp_path / f"b.{fmt}") for fmt in render.FORMATS)

    text = "".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)
    for expected in ("月通报", "排名", "排名变化", "龙亭区", "示范区", "市城管局", "市市场监管局", "城市中位数",
                     "超期风险线索", "本单位：龙亭区"):
        assert expected in text, expected
    assert any("/Image" in str(p.get("/Resources", {}).get("/XObject", {}).values()) or p.images
               for p in pypdf.PdfReader(pdf).pages)  # the charts are in
    assert_cjk_font_embedded(pdf)

    sheets = load_workbook(xlsx).sheetnames
    assert set(FAMILIES) <= {s.split("-")[0] for s in sheets}  # one sheet per family and peer group
    assert {"综合排名-区县", "综合排名-市直部门", "超期线索", "本单位"} <= set(sheets)
    ranking = load_workbook(xlsx)["综合排名-区县"]
    header = [c.value for c in ranking[2]]
    assert header[:4] == ["排名", "单位", "综合得分", "排名变化"]
    assert ranking.max_row == 2 + 10  # title, header, ten county-level units

    word = Docx(docx)
    assert word.paragraphs[0].text.startswith("开封市互联网+监管分析评价月通报")
    assert any(t.cell(0, 0).text == "排名" for t in word.tables)


def test_bulletin_workbook_stores_numbers_as_numbers_under_full_headers(engine, month, tmp_path):
    with Session(engine) as session:
        doc = reports.monthly_bulletin(session, month, unit="410202")
    book = load_workbook(render.write(doc, "xlsx", tmp_path / "b.xlsx"))
    ranking = book["综合排名-区县"]
    header = [c.value for c in ranking[2]]
    rows = list(ranking.iter_rows(min_row=3))
    score = [r[header.index("综合得分")] for r in rows if r[header.index("综合得分")].value != render.MISSING]
    assert score and all(c.data_type == "n" and isinstance(c.value, int | float) and c.number_format == "0.0"
                         for c in score)
    assert all(r[header.index("排名")].number_format == "0" for r in rows if isinstance(r[0].value, int))
    rates = [c for row in book["12345热线-区县"].iter_rows(min_row=3) for c in row[1:] if c.value != render.MISSING]
    assert rates and all(c.data_type == "n" and 0 <= c.value <= 1.5 and c.number_format == "0.0%" for c in rates)
    assert not [c.coordinate for ws in book for row in ws.iter_rows() for c in row
                if isinstance(c.value, str) and c.value.replace(".", "").replace("%", "").isdigit()]
    # Every sheet's header row (under the title) names every column its rows use.
    for ws in book:
        if ws.max_row > 2:
            used = max(len([c for c in row if c.value is not None]) for row in ws.iter_rows(min_row=3))
            assert None not in [c.value for c in ws[2]][:used], ws.title


def test_pdf_keeps_headings_with_their_tables_and_says_when_no_lead_is_overdue(engine, month, tmp_path):
    with Session(engine) as session:
        doc = reports.monthly_bulletin(session, month)
    headings = {s.heading for s in doc.sections} | {t.title for s in doc.sections for t in s.tables}
    leads = next(t for s in doc.sections for t in s.tables if t.sheet == "超期线索")
    pdf = render.write(doc, "pdf", tmp_path / "b.pdf")
    pages = [[line.strip() for line in p.extract_text().splitlines() if line.strip()] for p in pypdf.PdfReader(pdf).pages]
    assert len(pages) > 3
    alone = [(i, lines[-1]) for i, lines in enumerate(pages) if lines[-1] in headings]
    assert alone == []  # no page ends on a heading or a table title
    # An empty overdue list prints one sentence instead of a bare header row.
    empty = render.Table(leads.title, leads.frame.iloc[0:0], sheet=leads.sheet, formats=leads.formats,
                         empty=leads.empty)
    doc.sections[-1].tables = [empty]
    text = "".join(p.extract_text() for p in pypdf.PdfReader(render.write(doc, "pdf", tmp_path / "e.pdf")).pages)
    assert "本期无超期线索" in text and "超期天数" not in text
    book = load_workbook(render.write(doc, "xlsx", tmp_path / "e.xlsx"))
    assert [c.value for c in book["超期线索"]["A"]] == ["超期风险线索清单", "本期无超期线索"]


def test_weekly_check_lists_overdue_work_and_worst_performers(engine, tmp_path):
    with Session(engine) as session:
        doc = reports.weekly_check(session, "2026-W25")
    path = render.write(doc, "pdf", tmp_path / "w.pdf")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    assert "周检查" in text and "超期工单" in text and "超期风险线索" in text
    assert "2026-06-15 至 2026-06-21" in text
    assert_cjk_font_embedded(path)


def test_overdue_leads_are_overdue_and_scoped(engine):
    as_of = dt.datetime(2026, 6, 30)
    with Session(engine) as session:
        everyone = queries_evaluation.overdue_leads(session, SYSTEM, as_of)
        head = queries_evaluation.overdue_leads(session, Scope("h", "DEPT_HEAD", SCJG), as_of)
        asked_other = queries_evaluation.overdue_leads(session, Scope("h", "DEPT_HEAD", SCJG), as_of, dept_code=CGJ)
    assert {900001, 900002} <= set(everyone.lead_id) and 900003 not in set(everyone.lead_id)
    assert 900001 in set(head.lead_id) and set(head.dept_code) == {SCJG}
    stage = dict(zip(everyone.lead_id, everyone.overdue_stage, strict=True))
    assert stage[900001] == "超期未签收" and stage[900002] == "超期未反馈"
    assert asked_other.empty  # a crafted request for another department gets nothing
    assert (everyone.overdue_since < as_of).all() and (everyone.overdue_days >= 0).all()


def test_indicator_detail_of_other_units_is_hidden_from_a_department_head(engine, month):
    with Session(engine) as session:
        v = queries_evaluation.indicator_values(session, Scope("h", "DEPT_HEAD", SCJG), first=month, last=month)
    assert v.value.notna().any()
    assert v[v.unit_code != SCJG].denominator.isna().all()
    assert v[v.unit_code == SCJG].denominator.notna().all()
    county_head = Scope("g", "DEPT_HEAD", DEPT_CODE_BY_KEY["GOV410221"])
    with Session(engine) as session:
        c = queries_evaluation.indicator_values(session, county_head, first=month, last=month, group="COUNTY")
    assert c[c.unit_code == "410221"].denominator.notna().all() and len(c[c.unit_code == "410221"])
    assert c[c.unit_code != "410221"].denominator.isna().all()


def test_a_department_head_gets_only_their_own_bulletin():
    head = Scope("h", "DEPT_HEAD", SCJG)
    assert reports.resolve_unit(head, None) == SCJG
    with pytest.raises(PermissionError):
        reports.resolve_unit(head, CGJ)
    county_head = Scope("g", "DEPT_HEAD", DEPT_CODE_BY_KEY["GOV410221"])
    assert reports.resolve_unit(county_head, None) == "410221"  # a county government is ranked as its county
    with pytest.raises(ValueError, match="unknown unit"):
        reports.resolve_unit(SYSTEM, "999999")


@pytest.mark.parametrize(("day", "expected"), [
    (dt.date(2026, 6, 1), ["bianjian-monthly-2026-05.pdf", "bianjian-monthly-2026-05.xlsx",
                           "bianjian-weekly-2026-W22.pdf"]),  # the 1st, and a Monday
    (dt.date(2026, 6, 2), []),
    (dt.date(2026, 6, 8), ["bianjian-weekly-2026-W23.pdf"]),
    (dt.date(2026, 1, 1), ["bianjian-monthly-2025-12.pdf", "bianjian-monthly-2025-12.xlsx"]),
])
def test_scheduled_reports(day, expected):
    assert [j.filename for j in reports.scheduled_reports(day)] == expected


@pytest.fixture
def runner(warehouse_path, tmp_path):
    with app_warehouse(tmp_path, url=f"sqlite:///{warehouse_path}"):
        yield CliRunner()


def test_cli_monthly_xlsx_for_a_unit(runner, month, tmp_path):
    out = tmp_path / "sub" / "bulletin.xlsx"
    result = runner.invoke(cli, ["report", "monthly", "--month", month, "--format", "xlsx", "--out", str(out),
                                 "--unit", CGJ])
    assert result.exit_code == 0, result.output
    assert out.exists() and "本单位" in load_workbook(out).sheetnames


@pytest.mark.parametrize(("args", "message"), [
    (["monthly", "--month", "2026-13"], "month must look like 2026-05"),
    (["monthly", "--month", "2019-01"], "no indicator values for 2019-01"),
    (["monthly", "--month", "2026-05", "--unit", "nope"], "unknown unit"),
    (["monthly", "--month", "2026-05", "--format", "html"], "'html' is not one of"),
    (["weekly", "--week", "2026-22"], "week must look like 2026-W05"),
])
def test_cli_refuses_bad_input_with_a_plain_message(runner, tmp_path, args, message):
    result = runner.invoke(cli, ["report", *args, "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_cli_scheduled_writes_what_is_due(runner, tmp_path):
    result = runner.invoke(cli, ["report", "scheduled", "--date", "2026-06-22", "--out-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bianjian-weekly-2026-W25.pdf"]


def test_worker_beat_task_writes_the_reports_due_that_day(runner, tmp_path, monkeypatch):
    from ops.celery_app import beat_schedule
    from ops.tasks import write_due_reports

    monkeypatch.setenv("BIANJIAN_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("BIANJIAN_REPORTS_DAILY_AT", "07:05")
    due = beat_schedule()["daily-due-reports"]
    assert due["task"] == write_due_reports.name and due["schedule"].hour == {7} and due["schedule"].minute == {5}
    assert write_due_reports("2026-06-23") == []  # a Tuesday that is not the 1st: nothing due
    written = write_due_reports("2026-06-01")  # a Monday and the 1st: May's bulletin and week 22's check
    assert sorted(Path(p).name for p in written) == ["bianjian-monthly-2026-05.pdf", "bianjian-monthly-2026-05.xlsx",
                                                      "bianjian-weekly-2026-W22.pdf"]
    assert all(Path(p).parent == tmp_path / "reports" and Path(p).stat().st_size > 1000 for p in written)


def test_pipeline_step_rebuilds_the_mart(runner):
    result = runner.invoke(cli, ["pipeline", "--step", "indicators"])
    assert result.exit_code == 0, result.output
    assert "indicators: ok" in result.output


def test_the_bulletin_names_the_warned_units_by_the_rule_it_states(engine, month):
    """说明 states the warning rule (indicators materially short of target); each ranking section names
    exactly the units that rule warns, with their count of such indicators — not a rule of its own."""
    from evaluation import scoring

    with Session(engine) as session:
        doc = reports.monthly_bulletin(session, month)
        values = scoring.ranking_values(session, SYSTEM)
        config = scoring.load_config(session)
    assert scoring.status_rule() in "".join(doc.sections[0].paragraphs)
    for section, group in zip(doc.sections[1:3], ("COUNTY", "DEPARTMENT"), strict=True):
        ranking = scoring.rank_units(values, config, group)
        now = ranking[ranking.month == month]
        sentence = section.paragraphs[-1]
        assert "连续" not in sentence
        for status, name in (("red", "红色预警"), ("yellow", "黄色预警")):
            part = next(p for p in sentence.rstrip("。").split("；") if p.startswith(name))
            expected = [f"{r.unit_name}（{r.shortfalls}项确有差距）" for r in now[now.status == status].itertuples()]
            assert part == f"{name}：" + ("、".join(expected) or "无")
