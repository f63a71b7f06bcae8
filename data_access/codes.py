"""Code lists and reference dimensions: the one source of truth for regions, departments and categories.

Everything here is fact taken from ``shared/reference/domain.md`` and ``kaifeng_places.md`` (GB/T 2260
region codes, 2023 statistical township codes, Kaifeng's 12345 level-1 category list with its January
volumes, GB/T 30428 数字城管 classes). ``bianjian init`` loads these tuples into the ``dim_*`` tables.
"""

from __future__ import annotations

from dataclasses import dataclass

CITY_CODE = "410200"
CITY_NAME = "开封市"
TIMEZONE = "Asia/Shanghai"
# The same zone as a POSIX rule (UTC+8; no daylight saving since 1991), which needs no tz database on the
# server: the process clock is set from it (data_access.clock); the browser's wall clock adds the offset to UTC.
UTC_OFFSET_HOURS = 8
TIMEZONE_POSIX = f"CST-{UTC_OFFSET_HOURS}"

# --------------------------------------------------------------------------------------------- regions


@dataclass(frozen=True)
class County:
    code: str
    name: str
    level: str  # DISTRICT / COUNTY / ZONE
    population: int  # residents, used to size demo volumes (七普 where known, else estimate)
    urban: bool  # urban districts get 数字城管 coverage and more hotline orders per head
    province_direct: bool = False
    is_virtual: bool = False


# 示范区 has no GB/T 2260 code: it gets the virtual code 410290 (domain.md §7.1).
COUNTIES: tuple[County, ...] = (
    County("410202", "龙亭区", "DISTRICT", 300_000, True),
    County("410203", "顺河回族区", "DISTRICT", 290_000, True),
    County("410204", "鼓楼区", "DISTRICT", 136_167, True),
    County("410205", "禹王台区", "DISTRICT", 210_000, True),
    County("410212", "祥符区", "DISTRICT", 650_000, False),
    County("410221", "杞县", "COUNTY", 900_000, False),
    County("410222", "通许县", "COUNTY", 500_000, False),
    County("410223", "尉氏县", "COUNTY", 800_000, False),
    County("410225", "兰考县", "COUNTY", 650_000, False, province_direct=True),
    County("410290", "示范区", "ZONE", 400_000, True, is_virtual=True),
)
COUNTY_BY_CODE = {c.code: c for c in COUNTIES}

# Township-level units: 9-digit statistical codes (2023 版统计用区划代码). The 示范区's streets are mapped
# away from 龙亭区 to the virtual zone, as the zone administers them (kaifeng_places.md §1.2).
_TOWNSHIPS_RAW: dict[str, str] = {
    "410202": "001北书店街道 002午朝门街道 003大兴街道 005北道门街道 201北郊乡 202柳园口乡",
    "410290": "006城西街道 007梁苑街道 008金明池街道 009西湖街道 010金耀街道 100杏花营镇 204水稻乡 400杏花营农场",
    "410203": "001清平街道 002铁塔街道 003曹门街道 004宋门街道 005工业街道 006苹果园街道 200东郊乡 201土柏岗乡",
    "410204": "001相国寺街道 002新华街道 003卧龙街道 004州桥街道 005西司门街道 006南苑街道 007五一街道 008仙人庄街道",
    "410205": "001三里堡街道 002新门关街道 003繁塔街道 004官坊街道 005菜市街道 200南郊乡 201汪屯乡",
    "410212": "001城东街道 101陈留镇 102仇楼镇 103八里湾镇 104曲兴镇 106朱仙镇 107罗王镇 200半坡店乡 203刘店乡 "
    "204袁坊乡 205杜良乡 206兴隆乡 208西姜寨乡 210万隆乡 211范村乡",
    "410221": "001金城街道 101五里河镇 102傅集镇 103圉镇镇 104高阳镇 105葛岗镇 106阳堌镇 107邢口镇 200裴村店乡 "
    "202宗店乡 203板木乡 204竹林乡 205官庄乡 206湖岗乡 207苏木乡 208沙沃乡 209平城乡 210泥沟乡 211柿园乡 "
    "212西寨乡 213城郊乡",
    "410222": "001咸平街道 002许城街道 101竖岗镇 102玉皇庙镇 103四所楼镇 104朱砂镇 105长智镇 200冯庄乡 201孙营乡 "
    "202大岗李乡 203邸阁乡 204练城乡 205厉庄乡",
    "410223": "001两湖街道 101洧川镇 102朱曲镇 103蔡庄镇 104永兴镇 105张市镇 106十八里镇 107水坡镇 108大营镇 "
    "109庄头镇 200邢庄乡 205门楼任乡 206大桥乡 207南曹乡 208小陈乡",
    "410225": "001兰阳街道 002桐乡街道 003惠安街道 101堌阳镇 102南彰镇 103考城镇 104红庙镇 105谷营镇 106东坝头镇 "
    "107小宋镇 108仪封镇 201三义寨乡 206孟寨乡 207许河乡 208葡萄架乡 209阎楼乡",
}


@dataclass(frozen=True)
class Township:
    code: str  # 9 digits; 示范区 units keep their real 龙亭区 statistical code
    name: str
    county_code: str
    level: str  # STREET / TOWN / TOWNSHIP


def _township_level(suffix: str) -> str:
    n = int(suffix)
    return "STREET" if n < 100 else "TOWN" if n < 200 else "TOWNSHIP"


TOWNSHIPS: tuple[Township, ...] = tuple(
    Township(
        ("410202" if county == "410290" else county) + item[:3], item[3:], county, _township_level(item[:3])
    )
    for county, items in _TOWNSHIPS_RAW.items()
    for item in items.split()
)

# ----------------------------------------------------------------------------------------- departments


@dataclass(frozen=True)
class Department:
    key: str  # short stable key used in code and config
    name: str
    short_name: str
    kind: str  # BUREAU 市直部门 / GOV 区县政府 / UTILITY 公共事业企业 / VERTICAL 垂管
    seq: int  # used to build the department's synthetic 机关 USCC


CITY_DEPARTMENTS: tuple[Department, ...] = (
    Department("SCJG", "开封市市场监督管理局", "市市场监管局", "BUREAU", 1),
    Department("CGJ", "开封市城市管理局", "市城管局", "BUREAU", 2),
    Department("RSJ", "开封市人力资源和社会保障局", "市人社局", "BUREAU", 3),
    Department("ZJJ", "开封市住房和城乡建设局", "市住建局", "BUREAU", 4),
    Department("STHJ", "开封市生态环境局", "市生态环境局", "BUREAU", 5),
    Department("JTJ", "开封市教育体育局", "市教体局", "BUREAU", 6),
    Department("WJW", "开封市卫生健康委员会", "市卫健委", "BUREAU", 7),
    Department("JTYS", "开封市交通运输局", "市交通局", "BUREAU", 8),
    Department("GAJ", "开封市公安局", "市公安局", "BUREAU", 9),
    Department("WGLY", "开封市文化广电和旅游局", "市文广旅局", "BUREAU", 10),
    Department("ZRZY", "开封市自然资源和规划局", "市自然资源和规划局", "BUREAU", 11),
    Department("NYNC", "开封市农业农村局", "市农业农村局", "BUREAU", 12),
    Department("YJJ", "开封市应急管理局", "市应急局", "BUREAU", 13),
    Department("MZJ", "开封市民政局", "市民政局", "BUREAU", 14),
    Department("SWJ", "开封市商务局", "市商务局", "BUREAU", 15),
    Department("YBJ", "开封市医疗保障局", "市医保局", "BUREAU", 16),
    Department("SLJ", "开封市水利局", "市水利局", "BUREAU", 17),
    Department("FGW", "开封市发展和改革委员会", "市发改委", "BUREAU", 18),
    Department("ZWFW", "开封市政务服务和大数据管理局", "市政务服务和大数据局", "BUREAU", 19),
    Department("XFZD", "开封市消防救援支队", "市消防救援支队", "VERTICAL", 20),
    Department("SWU", "国家税务总局开封市税务局", "市税务局", "VERTICAL", 21),
    Department("GSGS", "开封市供水总公司", "供水公司", "UTILITY", 22),
    Department("RQGS", "开封市燃气公司", "燃气公司", "UTILITY", 23),
    Department("RLGS", "开封市金盛热力有限公司", "金盛热力", "UTILITY", 24),
    Department("GDGS", "国网开封供电公司", "供电公司", "UTILITY", 25),
    Department("TXYY", "开封市通信运营商", "通信运营商", "UTILITY", 26),
)

# One government per county-level unit; 12345 orders on local matters go to the 区县 government
# (county assessments rank these in their own group).
COUNTY_GOVERNMENTS: tuple[Department, ...] = tuple(
    Department(
        f"GOV{c.code}",
        "开封城乡一体化示范区管理委员会" if c.is_virtual else f"{CITY_NAME}{c.name}人民政府" if c.level == "DISTRICT"
        else f"{c.name}人民政府",
        "示范区管委会" if c.is_virtual else f"{c.name}政府",
        "GOV",
        100 + i,
    )
    for i, c in enumerate(COUNTIES)
)

DEPARTMENTS: tuple[Department, ...] = CITY_DEPARTMENTS + COUNTY_GOVERNMENTS
DEPARTMENT_BY_KEY = {d.key: d for d in DEPARTMENTS}

# ------------------------------------------------------------------------------ 12345 level-1 categories

# (name, January volume in Kaifeng's report, default handling department key). The volume is the
# demo generator's base weight; "LOCAL" routes to the county government where the matter happens.
HOTLINE_CATEGORIES: tuple[tuple[str, int, str], ...] = (
    ("城市管理", 1301, "CGJ"), ("劳动保障", 1281, "RSJ"), ("市容市貌", 716, "CGJ"), ("消费维权", 709, "SCJG"),
    ("供水服务", 675, "GSGS"), ("供气服务", 582, "RQGS"), ("城乡规划", 400, "ZRZY"), ("设施管理", 385, "LOCAL"),
    ("农村建设", 378, "LOCAL"), ("教育管理", 373, "JTJ"), ("农村管理", 368, "NYNC"), ("污染防控", 365, "STHJ"),
    ("车辆管理", 313, "GAJ"), ("公路管理", 311, "JTYS"), ("供暖服务", 292, "RLGS"), ("社会保障", 234, "RSJ"),
    ("通讯服务", 204, "TXYY"), ("消防安全", 164, "XFZD"), ("卫生健康", 153, "WJW"), ("旅游服务", 153, "WGLY"),
    ("社会福利", 145, "MZJ"), ("城市客运", 133, "JTYS"), ("便民服务", 98, "LOCAL"), ("社会治安", 90, "GAJ"),
    ("行风政风", 90, "LOCAL"), ("市场监管", 83, "SCJG"), ("税务管理", 71, "SWU"), ("供电服务", 70, "GDGS"),
    ("民政业务", 65, "MZJ"), ("户政管理", 61, "GAJ"), ("政务服务", 57, "ZWFW"), ("市场管理", 57, "SCJG"),
    ("社会救助", 51, "MZJ"), ("金融管理", 47, "FGW"), ("经济管理", 42, "FGW"), ("公共卫生", 38, "WJW"),
    ("城乡建设审批服务", 33, "ZWFW"), ("文化管理", 28, "WGLY"), ("食品安全", 27, "SCJG"), ("国土资源", 27, "ZRZY"),
    ("不动产登记", 22, "ZRZY"), ("民生保障审批服务", 22, "ZWFW"), ("企业服务", 19, "SWJ"), ("农业生产", 17, "NYNC"),
    ("人才服务", 16, "RSJ"), ("道路运输", 14, "JTYS"), ("环保监管", 13, "STHJ"), ("药品安全", 10, "SCJG"),
    ("经济综合审批服务", 9, "ZWFW"), ("交通运输审批服务", 8, "ZWFW"), ("残疾人事业", 8, "MZJ"), ("体育娱乐", 7, "JTJ"),
    ("退役军人事务", 7, "MZJ"), ("公共安全审批服务", 7, "ZWFW"), ("生产安全", 7, "YJJ"), ("水路运输", 6, "JTYS"),
    ("网络安全", 6, "GAJ"), ("出入境管理", 6, "GAJ"), ("水资源", 5, "SLJ"), ("快递物流", 5, "SWJ"),
    ("科教文卫审批服务", 5, "ZWFW"), ("林业资源", 4, "ZRZY"), ("经济工作", 4, "FGW"), ("邮政服务", 2, "SWJ"),
    ("生态保护", 2, "STHJ"), ("司法行政", 2, "LOCAL"), ("航空运输", 1, "JTYS"), ("矿产能源", 1, "ZRZY"),
    ("气象测绘", 1, "ZRZY"), ("自然灾害", 1, "YJJ"), ("就业创业", 1, "RSJ"), ("外事侨务", 1, "LOCAL"),
    ("其他", 11, "LOCAL"),
)


def hotline_category_code(index: int) -> str:
    """Category codes are ``HC`` + 2-digit position in Kaifeng's list (stable while the list is)."""
    return f"HC{index + 1:02d}"


HOTLINE_CATEGORY_CODE_BY_NAME = {name: hotline_category_code(i) for i, (name, _, _) in enumerate(HOTLINE_CATEGORIES)}

APPEAL_TYPES = ("咨询", "求助", "投诉", "举报", "建议", "表扬", "其他")
CHANNELS = ("电话", "网站", "微信", "APP", "短信", "领导留言板", "省12345转办", "市长信箱", "网络舆情")
SATISFACTION = ("满意", "基本满意", "不满意", "未评价")
HOTLINE_STATUSES = ("待签收", "办理中", "待审核", "待回访", "已办结")
HOTLINE_EVENTS = ("受理", "派单", "签收", "退单", "改派", "延期申请", "延期批准", "答复", "审核", "回访", "重办", "办结", "催办", "督办")

# ----------------------------------------------------------------------------------- 数字城管 (GB/T 30428)

# (kind, major code, major name, minor examples, dispose limit in working hours, default department key)
URBAN_CATEGORIES: tuple[tuple[str, str, str, tuple[str, ...], int, str], ...] = (
    ("事件", "01", "市容环境", ("暴露垃圾", "积存垃圾渣土", "道路不洁", "乱堆物堆料", "私搭乱建"), 8, "CGJ"),
    ("事件", "02", "宣传广告", ("非法小广告", "违规户外广告", "条幅广告"), 8, "CGJ"),
    ("事件", "03", "施工管理", ("施工扰民", "工地扬尘", "施工占道", "渣土运输撒漏"), 16, "ZJJ"),
    ("事件", "04", "突发事件", ("路面塌陷", "道路积水", "井盖丢失", "燃气管道泄漏"), 2, "CGJ"),
    ("事件", "05", "街面秩序", ("无照经营游商", "占道经营", "店外经营", "机动车乱停放", "黑车拉客"), 4, "CGJ"),
    ("事件", "06", "其他事件", ("园林绿化破坏", "河道漂浮物"), 16, "CGJ"),
    ("部件", "01", "公用设施", ("雨水井盖", "污水井盖", "燃气井盖", "电力井盖", "消防栓"), 16, "CGJ"),
    ("部件", "02", "道路交通", ("路灯", "交通标志牌", "护栏", "公交站亭"), 16, "JTYS"),
    ("部件", "03", "市容环境", ("垃圾箱", "公厕", "广告牌匾"), 16, "CGJ"),
    ("部件", "04", "园林绿化", ("行道树", "绿地", "花坛"), 24, "CGJ"),
)
URBAN_SOURCES = ("监督员上报", "公众举报", "12345转入", "视频智能发现", "领导交办", "部门自查")
URBAN_STATUSES = ("上报", "受理", "立案", "派遣", "处置", "核查", "结案", "作废")

# ------------------------------------------------------------------------------------- market entities

SUBJECT_TYPES = {"91": "企业", "92": "个体工商户", "93": "农民专业合作社"}
SUBJECT_STATUSES = ("存续", "吊销", "注销", "迁出")

# GB/T 4754 sections used for the register (code, name, demo weight)
INDUSTRIES: tuple[tuple[str, str, float], ...] = (
    ("F", "批发和零售业", 0.36), ("H", "住宿和餐饮业", 0.16), ("O", "居民服务、修理和其他服务业", 0.10),
    ("C", "制造业", 0.07), ("A", "农、林、牧、渔业", 0.08), ("E", "建筑业", 0.04), ("G", "交通运输、仓储和邮政业", 0.03),
    ("L", "租赁和商务服务业", 0.04), ("I", "信息传输、软件和信息技术服务业", 0.02), ("K", "房地产业", 0.02),
    ("P", "教育", 0.02), ("Q", "卫生和社会工作", 0.02), ("R", "文化、体育和娱乐业", 0.02), ("M", "科学研究和技术服务业", 0.01),
)

# --------------------------------------------------------------------------------------------- inspections

INSPECTION_RESULTS: tuple[tuple[str, str, bool], ...] = (
    ("NO_PROBLEM", "未发现问题", False),
    ("CORRECTED", "发现问题已责令改正", True),
    ("PENDING", "发现问题待后续处理", True),
    ("TRANSFERRED", "发现问题已移送/立案", True),
    ("UNREACHABLE", "通过登记的住所无法联系", True),
    ("NOT_OPERATING", "未发现开展相关经营活动", False),
    ("CLOSED", "已关闭停业或正在清算", False),
    ("NON_COOPERATION", "不配合检查情节严重", True),
    ("DISCLOSURE_VIOLATION", "未按规定公示应当公示的信息", True),
)
CHECK_SOURCES = {"DAILY": "日常巡查", "RANDOM": "双随机", "COMPLAINT": "投诉举报", "ASSIGNED": "上级交办",
                 "TRANSFER": "部门移送", "SPECIAL": "专项行动"}
CASE_SOURCES = ("监督检查发现", "投诉举报", "上级交办", "其他部门移送", "媒体曝光", "12345转办", "双随机抽查", "其他")
PENALTY_TYPES = ("警告", "通报批评", "罚款", "没收违法所得", "没收非法财物", "暂扣许可证件", "吊销许可证件", "责令停产停业")
PENALTY_PROCEDURES = ("简易程序", "普通程序", "听证程序")

# ------------------------------------------------------------------------------------------------ credit

CREDIT_LIST_TYPES = {"ABNORMAL": "经营异常名录", "SERIOUS": "严重违法失信名单", "COURT_DEBTOR": "失信被执行人",
                     "REDLIST": "守信激励名单", "KEY_SUPERVISION": "重点监管对象"}
CREDIT_GRADES = {"A": "信用风险低", "B": "信用风险一般", "C": "信用风险较高", "D": "信用风险高"}
CREDIT_MEASURES: tuple[tuple[str, str, str], ...] = (
    ("P01", "限制担任法定代表人或负责人", "PUNISH"), ("P02", "限制参与政府采购和招投标", "PUNISH"),
    ("P03", "限制财政资金支持和评优评先", "PUNISH"), ("P04", "列为重点监管对象、提高抽查比例和频次", "PUNISH"),
    ("R01", "行政审批绿色通道", "REWARD"), ("R02", "容缺受理", "REWARD"), ("R03", "降低抽查比例（无事不扰）", "REWARD"),
    ("F01", "信用修复：移出名单", "REPAIR"),
)

# -------------------------------------------------------------------------------------------- risk leads

LEAD_LEVELS = {"RED": "红", "ORANGE": "橙", "YELLOW": "黄", "BLUE": "蓝"}
LEAD_STATUSES = ("待研判", "已转办", "已签收", "核查中", "已反馈", "已办结", "退回", "误报")
UNLICENSED_KINDS = ("无照", "无证", "无证无照")
UNLICENSED_STATUSES = ("待分流", "待核查", "不属实", "属实-引导办照", "属实-责令改正", "属实-立案查处", "已取缔", "销号")

# Planted ground-truth kinds written by the demo generator (``truth_planted_event.kind``)
# high_risk_entity: an entity deteriorating from a dated onset (what entity leads should find); latent_risk_entity:
# an entity risky throughout (what the risk-based inspection plan should rank high).
PLANTED_KINDS = ("spike", "trend", "high_risk_entity", "latent_risk_entity", "unlicensed_operator", "slow_department")

# ------------------------------------------------------------------------------- risk-lead dispatch

# Open states of a dispatched lead (a deadline is running); 退回 is an action that sends a lead back to
# 待研判 (counted in ``return_count``), not a resting state.
LEAD_OPEN_STATUSES = ("已转办", "已签收", "核查中")
LEAD_FEEDBACK_RESULTS = ("属实", "部分属实", "不属实")
LEAD_FEEDBACK_ACTIONS = ("责令整改", "立案查处", "移送", "引导办照", "约谈提醒", "信用惩戒", "宣传教育", "其他")
# 督办 levels, lowest first; escalation may only raise the level.
LEAD_SUPERVISE_LEVELS = ("一般督办", "重点督办", "挂牌督办")
JOINT_PART_STATUSES = ("进行中", "已完成", "已撤销")

# ------------------------------------------------------------------------------------- ingestion (issue 3)

# Stored code → label pairs for coded columns the source systems send as either (domain.md §2.2, §3.1, §8).
HANDLE_MODES = {"DIRECT": "直接答复", "TRANSFER": "转办"}
CHECK_FORMS = {"1": "日常检查", "2": "专项检查"}
CHECK_CATEGORIES = {"1": "现场检查", "2": "非现场检查"}
INSPECTION_FOLLOWUPS = {"NONE": "无", "RECTIFY": "责令整改", "CASE": "立案处罚", "TRANSFER": "移送"}
PROVINCIAL_LEAD_STATUSES = ("待签收", "处理中", "已反馈", "已办结")
REG_ITEM_LEVELS = {"MAIN": "主项", "SUB": "子项"}
REG_ITEM_CATEGORIES = {"0": "行政检查", "1": "行政处罚", "2": "行政强制", "3": "其他"}
EXERCISE_LEVELS = {"1": "国家", "2": "省级", "3": "市级", "4": "县级", "5": "乡镇"}
# The 工单 event appended when a newer version of a work order arrives with a new status.
HOTLINE_EVENT_FOR_STATUS = {"待签收": "派单", "办理中": "签收", "待审核": "答复", "待回访": "答复", "已办结": "办结"}
# Kinds accepted by ``bianjian ingest KIND`` and POST /api/v1/ingest/KIND, with their default 来源系统.
INGEST_KINDS = {"hotline": "12345", "urban": "szcg", "provincial": "province", "inspection": "jgxw",
                "penalty": "jgxw", "entity": "scjg-register", "credit": "credit", "catalog": "catalog"}

# ---------------------------------------------------------------------------------- risk-lead generation

# Kinds of the leads the risk-lead generator writes (``derived_risk_lead.kind``), with their Chinese labels.
GENERATED_LEAD_KINDS = {"spike": "投诉激增", "trend": "持续上升", "entity": "高风险主体", "credit": "信用风险",
                        "unlicensed": "无照经营", "repeat": "重复投诉", "silent_source": "数据中断"}
# Supervising department of a market entity by GB/T 4754 industry section (谁主管谁监管). Entities holding a food
# permit, and every industry not listed, go to 市场监管 (keeper of the register); 无照经营 too (国务院令第684号).
INDUSTRY_DEPT_KEYS = {"Q": "WJW", "P": "JTJ", "E": "ZJJ", "C": "STHJ", "G": "JTYS", "A": "NYNC", "R": "WGLY"}
DEFAULT_SUBJECT_DEPT_KEY = "SCJG"

# ------------------------------------------------------------------------------- code → label (issue 22)

# Every code a user could otherwise read on a page, a bulletin or an export goes through ``label``. The maps
# above hold the domain's code lists; these add the system's own codes (pipeline steps, model classes,
# source systems, audit actions and fields, load states).
INSPECTION_RESULT_NAMES = {code: name for code, name, _ in INSPECTION_RESULTS}
INDUSTRY_NAMES = {code: name for code, name, _ in INDUSTRIES}
# 来源系统 (``src_system``): INGEST_KINDS' defaults, and ``demo`` for the demo generator's rows.
SOURCE_SYSTEMS = {"12345": "12345热线平台", "szcg": "数字城管平台", "province": "省互联网+监管平台",
                  "jgxw": "监管行为系统", "scjg-register": "市场主体登记系统", "credit": "信用信息平台",
                  "catalog": "监管事项目录系统", "demo": "演示数据"}
PIPELINE_STEP_NAMES = {"daily_counts": "每日投诉量", "credit_grades": "信用分类汇总", "text_features": "诉求文本特征",
                       "hot_topics": "热词与热点问题", "indicators": "评价指标", "provincial_leads": "省级线索导入",
                       "spike_leads": "投诉激增线索", "trend_leads": "持续上升线索", "entity_leads": "高风险主体线索",
                       "rule_leads": "规则线索", "lead_levels": "线索等级校准"}
RUN_STATUSES = {"ok": "成功", "failed": "失败", "running": "进行中", "interrupted": "中断"}
# Risk-model classes as the backtests store them (derived_model_backtest.model).
MODEL_NAMES = {"EntityRiskModel": "主体风险模型", "DeteriorationDetector": "主体投诉恶化检测", "SpikeDetector": "投诉激增检测",
               "TrendDetector": "持续上升检测",
               "UnlicensedRule": "无证无照规则", "ComplaintClassifier": "留言分类与分拨（真实留言）"}
AUDIT_ACTIONS = {
    "login": "登录", "login_failed": "登录失败", "login_locked": "登录锁定", "logout": "退出",
    "kiosk_login": "大屏登录", "kiosk_login_failed": "大屏登录失败", "access_denied": "拒绝访问",
    "user_add": "新增用户", "user_disable": "停用用户", "user_reset_password": "重置密码",
    "kiosk_create": "签发大屏令牌", "kiosk_revoke": "吊销大屏令牌",
    "api_key_create": "签发接口密钥", "api_key_revoke": "吊销接口密钥",
    "pii_view": "查看个人信息", "pii_export": "导出个人信息",
    "lead.dispatch": "线索转办", "lead.sign": "线索签收", "lead.start": "开始核查", "lead.feedback": "反馈结果",
    "lead.close": "办结", "lead.dismiss": "误报", "lead.redo": "重办", "lead.return": "退回",
    "lead.request_extension": "延期申请", "lead.approve_extension": "延期批准", "lead.deny_extension": "延期驳回",
    "lead.escalate": "督办", "lead.complete_part": "协办完成",
}
AUDIT_OBJECT_TYPES = {"risk_lead": "风险线索", "user": "用户", "hotline_ticket": "12345工单", "kiosk_token": "大屏令牌",
                      "kiosk": "大屏", "api_key": "接口密钥", "route": "页面地址", "page": "页面", "callback": "页面操作",
                      "export": "导出"}
HTTP_METHODS = {"GET": "打开", "POST": "提交", "PUT": "修改", "DELETE": "删除"}
AUDIT_DETAIL_FIELDS = {
    "from": "原状态", "to": "新状态", "days": "天数", "handle_deadline": "办理时限", "sign_deadline": "签收时限",
    "dept_code": "部门", "co_dept_codes": "协办部门", "result": "核查结果", "actions": "处置措施", "attachments": "附件",
    "level": "督办级别", "role": "角色", "count": "条数", "ids": "编号", "ip": "来源地址", "part_id": "协办编号",
    "fields": "字段", "purpose": "用途", "method": "请求方式", "path": "地址", "reason": "理由", "note": "说明",
    "username": "用户名", "name": "名称", "table": "表格", "format": "格式", "rows": "行数", "current": "当前",
}
# Personal-data columns named in pii_view / pii_export audit rows.
PII_FIELDS = {"caller_name": "来电人", "caller_phone": "联系电话", "content": "诉求内容", "address": "地址",
              "reporter_name": "举报人", "reporter_phone": "举报人电话", "legal_rep": "法定代表人"}
# Why data was exported, as the export jobs record it (``purpose``).
EXPORT_PURPOSES = {"complaints_export": "投诉分析导出", "complaint_analytics": "投诉分析", "enterprise_export": "企业画像导出"}

LABELS: dict[str, dict[str, str]] = {
    "check_source": CHECK_SOURCES, "inspection_result": INSPECTION_RESULT_NAMES,
    "inspection_followup": INSPECTION_FOLLOWUPS, "industry": INDUSTRY_NAMES, "credit_list": CREDIT_LIST_TYPES,
    "credit_grade": CREDIT_GRADES, "lead_level": LEAD_LEVELS, "lead_kind": GENERATED_LEAD_KINDS,
    "source_system": SOURCE_SYSTEMS, "pipeline_step": PIPELINE_STEP_NAMES, "run_status": RUN_STATUSES,
    "model": MODEL_NAMES, "audit_action": AUDIT_ACTIONS, "audit_object": AUDIT_OBJECT_TYPES,
    "audit_field": AUDIT_DETAIL_FIELDS, "pii_field": PII_FIELDS, "export_purpose": EXPORT_PURPOSES,
    "http_method": HTTP_METHODS,
    "subject_type": SUBJECT_TYPES,
}


def label(kind: str, code: object) -> str:
    """The Chinese label of ``code`` in the code list ``kind`` (a key of ``LABELS``); an unknown code shows
    as itself, so new codes stay visible (and tests/test_ui_browser.py flags them) rather than vanish."""
    if code is None:
        return ""
    return LABELS[kind].get(str(code), str(code))


def grade_text(grade: object) -> str:
    """A credit-risk grade as regulators write it: ``A类``."""
    return "" if grade is None or grade != grade else f"{grade}类"
