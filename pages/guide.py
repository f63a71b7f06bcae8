"""使用说明: a short in-app guide per role; the reader's own role is shown first and expanded."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

import security
from data_access.scope import ROLES
from ui import exports

dash.register_page(__name__, path="/guide", name="使用说明", order=95)

# Role → (what the role is for, steps). Page names match the navigation bar.
GUIDES: dict[str, tuple[str, tuple[str, ...]]] = {
    "LEADER": ("掌握全市监管态势，督办重点线索。", (
        "「概览」看近 30 天各类业务量及环比（▲上升 ▼下降），页首标明数据截至时间。",
        "「投诉分析」点击区县或类别柱形即联动筛选其他图表，网址随之变化，可复制发给同事。",
        "「信用监管」「无证无照」「监管事项」分别查看信用分类、684号令分流和事项覆盖情况。",
        "「风险线索」可对重点线索提级督办；线索等级同时以形状和文字标示（▲红 ◆橙 ●黄 ■蓝）。",
    )),
    "ANALYST": ("研判投诉和风险线索，转办给责任部门。分析员可看到未脱敏的个人信息，每次查看和导出都记入审计日志。", (
        "「投诉分析」用全文检索（标题与正文）定位工单，表格在服务器端分页；热点问题和热词来自文本挖掘结果。",
        "「企业画像」首页为风险分级检查名单（主体风险模型排序靠前的在营主体，可按区县筛选、导出），"
        "供双随机抽查和重点检查参考；按名称或统一社会信用代码检索，汇总投诉、检查、处罚、信用名单、联合奖惩和风险线索，"
        "并显示该主体的风险评分与全市排名。",
        "「风险线索」研判后转办，填写牵头和协办部门；误报、退回须填写理由。",
        f"任何表格可导出 CSV/Excel（单次最多 {exports.row_limit():,} 行）；图表右上角相机按钮可保存 PNG。",
    )),
    "DEPT_HEAD": ("查看并办理本部门的线索与投诉；数据按部门自动限定。", (
        "「部门待办」查看本部门待签收、临期和超期线索，按时签收和反馈。",
        "「企业画像」首页的风险分级检查名单只列本部门监管的主体，可据此安排检查。",
        "「投诉分析」「无证无照」「监管事项」只显示本部门承办或负责的数据；个人信息已脱敏。",
        "「监管事项」点击本部门柱形，逐项核对认领、实施清单和监管行为覆盖。",
    )),
    "DATA_ADMIN": ("保障数据按时、完整、准确地汇入。", (
        "「数据质量」查看各来源最近一次导入、隔离行及原因。",
        "各分析页页首的「数据截至」时间若明显滞后，先检查对应来源的导入。",
        "「模型卡」显示风险模型已存储的回测结果（由数据管理员运行回测命令写入，见说明文档）；"
        "无结果时显示「暂无回测结果」。",
    )),
    "SYS_ADMIN": ("管理用户、角色、大屏令牌和接口密钥，核查审计日志。", (
        "「用户与密钥」新增用户并指定角色；部门负责人须绑定部门。",
        "「审计日志」可按操作类型查询个人信息的查看、导出等操作。",
    )),
    "WALL": ("大屏只读展示，由大屏令牌登录，自动刷新和轮播，无需操作。", (
        "大屏地址由系统管理员生成令牌后提供；令牌撤销后大屏立即退出。",
        "风险等级同时以形状、文字和颜色标示，远处也能辨认。",
    )),
}


def layout(**_query) -> html.Div:
    own = security.current_scope().role
    order = [own, *(r for r in ROLES if r != own)]
    items = [dbc.AccordionItem([html.P(GUIDES[role][0]), html.Ol([html.Li(step) for step in GUIDES[role][1]])],
                               title=f"{ROLES[role]}{'（当前角色）' if role == own else ''}", item_id=role)
             for role in order]
    return html.Div([
        html.H3("使用说明"),
        html.P(["按角色说明常用操作。其他页面：", dcc.Link("概览", href="/"), "。"], className="text-muted"),
        dbc.Accordion(items, active_item=own, id="guide-roles"),
    ])
