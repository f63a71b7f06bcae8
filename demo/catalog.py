"""Synthetic 监管事项 catalogue (main items, sub-items) and 检查实施清单 for the demo warehouse.

Item names follow the national pattern "对…的监督检查/行政处罚" with each department's real remit; codes
are 14 digits (opaque, as in domain.md §1.5). ~1.5k items at scale 1.0.
"""

from __future__ import annotations

import datetime as dt
import random

import pandas as pd

from data_access import codes
from data_access.reference import DEPT_CODE_BY_KEY

# Remit of each department: the supervised objects and the 12345 categories it answers for
# (谁审批谁监管，谁主管谁监管). Categories must be names in codes.HOTLINE_CATEGORIES.
REMITS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "SCJG": (("食品生产经营者", "餐饮服务提供者", "食品销售者", "药品零售企业", "医疗器械经营企业", "化妆品经营者",
              "特种设备使用单位", "计量器具使用单位", "产品质量", "价格行为", "广告发布", "网络交易经营者",
              "市场主体登记事项", "企业年度报告公示信息"),
             ("消费维权", "市场监管", "市场管理", "食品安全", "药品安全")),
    "CGJ": (("户外广告设施", "占道经营", "城市生活垃圾处理", "建筑垃圾运输", "城市照明设施", "市政设施"),
            ("城市管理", "市容市貌", "设施管理")),
    "RSJ": (("用人单位工资支付", "劳动合同订立", "社会保险缴纳", "人力资源服务机构", "职业技能培训机构"),
            ("劳动保障", "社会保障", "人才服务", "就业创业")),
    "ZJJ": (("建筑施工企业", "房地产开发企业", "物业服务企业", "建设工程质量", "燃气经营企业"),
            ("城乡规划",)),
    "STHJ": (("排污单位", "建设项目环境影响评价", "危险废物经营单位", "噪声污染源", "机动车排放检验机构"),
             ("污染防控", "环保监管", "生态保护")),
    "JTJ": (("民办学校", "校外培训机构", "学校食堂", "体育经营场所"), ("教育管理", "体育娱乐")),
    "WJW": (("医疗机构", "公共场所卫生", "生活饮用水卫生", "职业病防治", "母婴保健服务"),
            ("卫生健康", "公共卫生")),
    "JTYS": (("道路运输经营者", "出租汽车经营者", "机动车维修经营者", "公路路政", "驾驶员培训机构"),
             ("公路管理", "城市客运", "道路运输", "水路运输", "航空运输")),
    "GAJ": (("旅馆业", "娱乐场所治安", "易制爆危险化学品", "保安服务公司", "机动车停放"),
            ("社会治安", "车辆管理", "户政管理", "网络安全", "出入境管理")),
    "WGLY": (("旅行社", "A级旅游景区", "网吧", "演出场所", "文物保护单位"), ("旅游服务", "文化管理")),
    "ZRZY": (("国土空间规划实施", "土地利用", "矿产资源开采", "测绘活动"),
             ("国土资源", "不动产登记", "林业资源", "矿产能源", "气象测绘")),
    "NYNC": (("农药经营者", "兽药经营者", "种子生产经营者", "畜禽屠宰企业", "农产品质量安全"),
             ("农村管理", "农业生产")),
    "YJJ": (("危险化学品生产经营单位", "非煤矿山", "工贸企业安全生产", "烟花爆竹经营单位"),
            ("生产安全", "自然灾害")),
    "MZJ": (("养老机构", "社会组织", "殡葬服务单位", "婚姻登记"), ("民政业务", "社会福利", "社会救助")),
    "SWJ": (("成品油零售企业", "单用途商业预付卡发卡企业", "再生资源回收经营者", "报废机动车回收企业"),
            ("企业服务", "快递物流", "邮政服务")),
    "YBJ": (("定点医药机构医保基金使用",), ()),
    "SLJ": (("河道采砂", "取水许可", "水利工程"), ("水资源",)),
    "FGW": (("价格收费", "招标投标活动", "粮食流通"), ("经济管理", "金融管理", "经济工作")),
    "XFZD": (("消防安全重点单位", "人员密集场所消防安全", "大型群众性活动消防安全"), ("消防安全",)),
}

_MAIN_ACTIONS = ("监督检查", "行政处罚", "行政强制", "其他监管")
_SUB_ASPECTS = ("资质条件", "日常经营行为", "安全管理制度落实情况", "信息公示情况", "从业人员管理", "台账记录",
                "投诉举报核查", "专项整治")


def build_catalog(seed: int, scale: float, start: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (dim_reg_item rows, dim_check_impl rows)."""
    rnd = random.Random(seed * 7 + 11)
    per_object = max(1, round(4 * min(1.0, max(scale, 0.05)) ** 0.5 * 1.2))
    items, impls = [], []
    seq = 0
    for key, (objects, categories) in REMITS.items():
        dept = DEPT_CODE_BY_KEY[key]
        for obj_i, obj in enumerate(objects):
            for action in _MAIN_ACTIONS[: per_object]:
                seq += 1
                main_code = f"41020{seq:09d}"
                category = str(_MAIN_ACTIONS.index(action))
                hotline = codes.HOTLINE_CATEGORY_CODE_BY_NAME[categories[obj_i % len(categories)]] if categories else None
                items.append({
                    "item_code": main_code, "parent_code": None, "item_level": "MAIN",
                    "name": f"对{obj}的{action}", "dept_code": dept, "item_category": category,
                    "supervised_object": obj, "set_basis": None, "hotline_category_code": hotline,
                    "claimed": rnd.random() > 0.04, "valid_from": start, "valid_to": None,
                })
                for _ in range(rnd.choice((2, 3, 4))):
                    aspect = rnd.choice(_SUB_ASPECTS)
                    seq += 1
                    sub_code = f"41020{seq:09d}"
                    items.append({
                        "item_code": sub_code, "parent_code": main_code, "item_level": "SUB",
                        "name": f"对{obj}{aspect}的{action}", "dept_code": dept, "item_category": category,
                        "supervised_object": obj, "set_basis": None, "hotline_category_code": hotline,
                        "claimed": rnd.random() > 0.04, "valid_from": start, "valid_to": None,
                    })
                    if category != "0":
                        continue
                    # one implementation list row per implementing level: the city body and each county
                    for level, region in [("3", codes.CITY_CODE)] + [("4", c.code) for c in codes.COUNTIES]:
                        if level == "4" and rnd.random() < 0.3:
                            continue  # not every county has published its list: feeds the coverage indicator
                        impls.append({
                            "impl_code": f"{dept}{level}{sub_code}{region[-2:]}", "item_code": sub_code,
                            "impl_dept_code": dept, "region_code": region, "exercise_level": level,
                            "check_category": "1" if rnd.random() < 0.8 else "2",
                            "is_random": rnd.random() < 0.6, "sample_ratio": rnd.choice((0.01, 0.02, 0.05, 0.1)),
                            "frequency_text": rnd.choice(("每年1次", "每年不少于2次", "根据监管需要确定")),
                            "is_joint": rnd.random() < 0.15,
                        })
    return pd.DataFrame(items), pd.DataFrame(impls)
