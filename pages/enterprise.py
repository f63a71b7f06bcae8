"""企业画像: search the register by name or USCC; /enterprise/<uscc> shows one subject across every source.

Without a subject the page opens on the risk-based inspection plan (风险分级检查名单): the share of live
entities the entity model ranks highest (setting ``inspection_plan_share``), by county, scoped to a
department head's own department.

Other pages link here with the subject's USCC (complaint grid, credit lists, measures). The USCC check
digit (GB 32100) is shown as a flag, never used to refuse a code: real registered codes fail it.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html
from sqlalchemy.orm import Session

import security
import settings
from data_access import codes, db, queries_complaints, queries_enterprise
from data_access.scope import Scope
from security import audit
from ui import exports, filters, tables
from ui.filters import DROPDOWN_LABELS
from ui.levels import level_label

dash.register_page(__name__, path="/enterprise", path_template="/enterprise/<uscc>", name="企业画像", order=25)

PAGE = "enterprise"
SECTIONS: dict[str, tuple[str, dict[str, str]]] = {
    "complaints": ("投诉举报（12345 工单）", {"accepted_at": "受理时间", "order_no": "工单编号", "category": "诉求类别",
                                        "title": "标题", "caller_name": "来电人", "caller_phone": "联系电话",
                                        "status": "状态", "dept": "承办单位"}),
    "inspections": ("行政检查", {"check_date": "检查日期", "item": "监管事项", "dept": "检查部门", "source": "检查来源",
                              "result": "检查结果", "followup": "后续处置"}),
    "penalties": ("行政处罚", {"decided_at": "决定日期", "decision_no": "决定书文号", "dept": "处罚机关",
                            "penalty_types": "处罚种类", "fine_amount": "罚款（元）", "illegal_facts": "违法事实"}),
    "lists": ("信用名单", {"list_type": "名单", "reason": "列入事由", "dept": "决定机关", "in_date": "列入日期",
                       "out_date": "移出日期"}),
    "grades": ("信用风险分类", {"evaluated_on": "评定日期", "grade": "等级", "grade_label": "含义", "score": "分值"}),
    "measures": ("联合奖惩措施", {"applied_at": "实施日期", "measure": "措施", "scenario": "应用场景", "dept": "实施部门",
                            "result": "反馈状态"}),
    "leads": ("风险线索", {"lead_id": "编号", "level": "等级", "title": "线索", "status": "状态", "created_at": "生成时间"}),
}


PLAN_LABELS = {"rank": "排名", "name": "名称", "region": "区县", "industry": "行业", "dept": "监管部门",
               "score_pct": "问题概率", "complaints_90": "90日投诉", "inspections_prior": "检查", "problems_prior": "发现问题",
               "penalties_prior": "处罚", "credit_grade": "信用分类", "uscc": "统一社会信用代码"}
PLAN_FLEX = {"name": 4, "industry": 3, "dept": 2, "uscc": 4}


def plan_share() -> float:
    return float(settings.get("inspection_plan_share"))


def layout(uscc=None, q=None, region=None, **_query) -> html.Div:
    search_box = dbc.Row([
        dbc.Col(dbc.Input(id="enterprise-q", value=q or "", debounce=True, placeholder="输入企业名称或统一社会信用代码，回车检索",
                          maxLength=queries_complaints.SEARCH_MAX_CHARS), md=6),
        dbc.Col(html.Small("支持名称模糊匹配与信用代码前缀匹配，最多显示 50 条。", className="text-muted"), md=6),
    ], className="mb-2 align-items-center")
    # First views are drawn here, in the router's response, not by a second round of callbacks.
    body = [html.H3("企业画像"), search_box, html.Div(search(q), id="enterprise-results", className="mb-3"),
            dcc.Store(id="enterprise-uscc", data=uscc.strip().upper() if uscc else None)]
    if uscc:
        body.append(_profile(uscc.strip().upper()))
    else:
        body.append(_plan_section(region))
    return html.Div(body)


def _plan_section(region: str | None) -> html.Div:
    options = [{"label": c.name, "value": c.code} for c in codes.COUNTIES]
    regions = filters.parse_list(region, {o["value"] for o in options})
    picker = dbc.Row(dbc.Col([dbc.Label("区县"), dcc.Dropdown(labels=DROPDOWN_LABELS,
        id="enterprise-plan-region", multi=True, options=options, placeholder="全部区县", value=regions)], md=6),
        className="mb-2")
    return html.Div([picker, tables.card(
        "风险分级检查名单", html.Div(show_plan(regions), id="enterprise-plan"), page=PAGE, table="plan",
        note="问题概率：主体风险模型（由历次检查结果训练）估计的下次检查发现问题的概率；全市在营主体按其排序，"
             "靠前者列入名单，供双随机抽查和重点检查参考。检查、发现问题、处罚为历年累计；点击名称查看企业画像。")])


def plan_view(scope, regions: list[str]) -> tuple[pd.DataFrame, str]:  # noqa: ANN001
    """The plan's rows for display and a one-line summary (what share, of how many, as of when)."""
    with db.session_scope() as session:
        df, meta = queries_enterprise.inspection_plan(session, scope, share=plan_share(), regions=regions or None)
    if not meta["scored"]:
        return df, f"尚未运行主体风险评分（流水线步骤「{codes.label('pipeline_step', 'entity_leads')}」），暂无名单。"
    df["score_pct"] = df["score"].map(lambda v: f"{v:.0%}")
    df["credit_grade"] = [codes.grade_text(g) or "未评" for g in df["credit_grade"]]
    mine = "（本部门监管的主体）" if not scope.all_departments else ""
    where = "、".join(codes.COUNTY_BY_CODE[r].name for r in regions if r in codes.COUNTY_BY_CODE) if regions else ""
    summary = (f"评分截至 {meta['as_of']:%Y-%m-%d}：全市在营主体 {meta['scored']:,} 家，名单取前 "
               f"{plan_share():.1%} 共 {meta['size']:,} 家；{where or '全部区县'}{mine} {len(df):,} 家。")
    return df, summary


@callback(Output("enterprise-plan", "children"), Input("enterprise-plan-region", "value"), prevent_initial_call=True)
def show_plan(regions: list[str] | None):
    """The plan for the chosen counties (all when none); ``layout`` draws the first view with it."""
    df, summary = plan_view(security.current_scope(), regions or [])
    if df.empty:
        return html.P(summary, className="text-muted mb-0", id="enterprise-plan-summary")
    return html.Div([html.P(summary, className="mb-2", id="enterprise-plan-summary"),
                     tables.grid("enterprise-plan-grid", df, PLAN_LABELS, height=460, flex=PLAN_FLEX,
                                 links={"name": "/enterprise/{uscc}"})])


def _fact(label: str, value) -> html.Div:  # noqa: ANN001
    return html.Div([html.Span(f"{label}：", className="text-muted"), html.Span(str(value) if value not in (None, "")
                                                                            else "—")], className="me-4 mb-1")


def _risk_text(risk: dict | None) -> str:
    if risk is None:
        return "未评分（非在营主体，或尚未运行主体风险评分）"
    plan = "，列入风险分级检查名单" if risk["in_plan"] else ""
    return (f"下次检查发现问题概率 {risk['score']:.0%}（{risk['as_of']:%Y-%m-%d}，全市在营主体第 {risk['rank']:,} / "
            f"{risk['scored']:,} 位{plan}）")


def _profile(uscc: str) -> html.Div:
    scope = security.current_scope()
    with db.session_scope() as session:
        profile = queries_enterprise.subject_profile(session, scope, uscc)
        if profile is not None:
            audit.record_pii_view(session, scope, "hotline_ticket", profile["complaints"]["ticket_id"].tolist(),
                                  fields=queries_complaints.COMPLAINT_PII_FIELDS, purpose="complaint_analytics")
        risk = queries_enterprise.subject_risk(session, uscc, share=plan_share())
    if profile is None:
        return dbc.Alert(f"市场主体登记库中未找到统一社会信用代码 {uscc}。", color="warning", id="enterprise-missing")
    s = profile["subject"]
    valid = dbc.Badge("校验码通过" if s["uscc_valid"] else "校验码未通过（仍按登记收录）",
                      color="success" if s["uscc_valid"] else "warning", className="ms-2", id="enterprise-uscc-valid")
    grade = profile["grades"].head(1)
    grade_text = (f"{grade['grade'].iat[0]}（{grade['grade_label'].iat[0]}，{grade['evaluated_on'].iat[0]}）"
                  if not grade.empty else "未评定")
    facts = dbc.Card(dbc.CardBody([
        html.H4([s["name"], valid], id="enterprise-name"),
        html.Div([_fact("统一社会信用代码", s["uscc"]), _fact("主体类型", s["subject_type"]), _fact("登记状态", s["status"]),
                  _fact("区县", s["region"]), _fact("成立日期", s["reg_date"]), _fact("行业门类", s["industry"]),
                  _fact("法定代表人/经营者", s["legal_rep"]), _fact("住所", s["address"]),
                  _fact("食品经营许可", "有" if s["has_food_permit"] else "无"), _fact("信用风险分类", grade_text),
                  _fact("主体风险评分", _risk_text(risk))],
                 className="d-flex flex-wrap"),
        html.Div([dbc.Badge(f"{title} {len(profile[key]) if key != 'complaints' else profile['complaints_total']}",
                            color="light", text_color="dark", className="me-2") for key, (title, _) in SECTIONS.items()]),
    ]), className="mb-3")
    leads = profile["leads"].copy()
    leads["level"] = leads["level"].map(lambda lv: level_label(lv) if lv in codes.LEAD_LEVELS else lv)
    profile["leads"] = leads
    cards = [tables.card(f"{title}（{profile['complaints_total'] if key == 'complaints' else len(profile[key])}）",
                         tables.grid({"type": "enterprise-grid", "table": key}, profile[key], labels, height=260),
                         page=PAGE, table=key)
             for key, (title, labels) in SECTIONS.items()]
    return html.Div([facts, dbc.Row([dbc.Col(c, lg=6) for c in cards])])


@callback(Output("enterprise-results", "children"), Input("enterprise-q", "value"), prevent_initial_call=True)
def search(text: str | None):
    """Matching subjects, each linking to its profile (``layout`` draws the first view's with it)."""
    if not text or not text.strip():
        return None
    with db.session_scope() as session:
        df = queries_enterprise.search_subjects(session, text)
    if df.empty:
        return html.P("未找到匹配的市场主体。", className="text-muted")
    df["valid"] = df["uscc_valid"].map({True: "通过", False: "未通过"})
    return tables.grid("enterprise-results-grid", df, {"uscc": "统一社会信用代码", "name": "名称", "subject_type": "类型",
                                                       "region": "区县", "status": "状态", "valid": "校验码"},
                       height=280, links={"uscc": "/enterprise/{value}"})


def export_table(session: Session, scope: Scope, table: str, uscc: str | None):  # noqa: ANN201
    """One section of the profile, or the whole inspection plan (scoped like the page); complaint exports
    are masked per role and audited."""
    if table == "plan":
        df, _ = queries_enterprise.inspection_plan(session, scope, share=plan_share())
        df["credit_grade"] = [codes.grade_text(g) or "未评" for g in df["credit_grade"]]
        # the export keeps the probability as a number, in the percentage's place
        labels = {("score" if k == "score_pct" else k): ("下次检查发现问题概率" if k == "score_pct" else v)
                  for k, v in PLAN_LABELS.items()}
        return df[list(labels)].rename(columns=labels), "风险分级检查名单"
    profile = queries_enterprise.subject_profile(session, scope, uscc, limit=exports.row_limit()) if uscc else None
    if profile is None or table not in SECTIONS:
        return None
    df = profile[table]
    if table == "complaints":
        exports.record(session, scope, "hotline_ticket", df["ticket_id"].tolist(),
                       queries_complaints.COMPLAINT_PII_FIELDS, purpose="enterprise_export")
    labels = SECTIONS[table][1]
    return df[list(labels)].rename(columns=labels), f"企业画像_{uscc}_{SECTIONS[table][0]}"


export = exports.background_callback(PAGE, export_table, State("enterprise-uscc", "data"))
