"""Fictitious but plausible names for the demo warehouse: market entities, people, phone numbers.

Business names follow Kaifeng naming patterns (kaifeng_places.md §4.3): "开封市 + 字号 + 行业 + 有限公司" for
企业, "区县 + 老X + 招牌 + 店" / "字号 + 便利店/诊所" for 个体工商户, "县 + 字号 + 种植/养殖专业合作社" for
合作社. 字号 are composed from auspicious syllables and local prefixes (汴梁/宋都/大宋/菊城 …) and are not
taken from any register; collisions with real firms are possible but not intended.

Public API::

    business_name(rnd, industry_code, county_code, subject_type) -> str   # subject_type "91"/"92"/"93"
    person_name(rnd) -> str
    phone(rnd) -> str            # "13812345678"
    masked_phone(rnd) -> str     # "138****5678"
"""

from __future__ import annotations

import random as _random

from data_access import codes


def _ch(rnd, seq):
    """rnd.choice without the getrandbits loop (deterministic, ~3x faster)."""
    return seq[int(rnd.random() * len(seq))]


def _ri(rnd, a, b):
    """rnd.randint(a, b) via one rnd.random() call."""
    return a + int(rnd.random() * (b - a + 1))

# ------------------------------------------------------------------------------------------- people

# Weighted by repetition: the most common Henan surnames appear more often.
SURNAMES = tuple(
    "王王王王李李李李张张张张刘刘刘陈陈杨杨赵赵黄周吴徐孙孙朱朱高高郭郭马马宋宋程韩冯杜贾孟史崔侯秦牛岳"
    "耿申卢魏范乔闫袁任田胡梁谢董曹许邓彭吕苏蒋蔡丁薛潘姚石常武葛尚邢白付"
)
_GIVEN_M = tuple(
    "伟 强 磊 军 勇 杰 涛 明 超 刚 平 辉 鹏 华 飞 鑫 波 斌 宇 浩 凯 亮 龙 峰 建国 建军 国强 志强 文博 "
    "俊杰 海涛 红军 卫东 振华 保国 新民 长青 永强 晓东 立新 宏伟 子涵 浩然 宇轩 一鸣 天佑 家豪".split()
)
_GIVEN_F = tuple(
    "芳 娜 敏 静 丽 艳 娟 霞 燕 玲 婷 雪 颖 慧 红 梅 琳 洁 萍 欣 怡 晶 倩 秀英 桂兰 玉兰 凤英 秀兰 "
    "丽娟 晓燕 春梅 海燕 雅婷 欣怡 梓萱 思雨 佳琪 雨桐 淑珍 素芳 翠花".split()
)


def person_name(rnd: _random.Random) -> str:
    """A common-surname Chinese name, e.g. "王建国", "李娜"."""
    return _ch(rnd, SURNAMES) + _ch(rnd, _GIVEN_M if rnd.random() < 0.5 else _GIVEN_F)


_PREFIXES = (
    "134 135 136 137 138 139 150 151 152 157 158 159 182 183 187 188 198 "
    "130 131 132 155 156 166 185 186 175 176 133 153 173 177 180 181 189 199 191"
).split()


def phone(rnd: _random.Random) -> str:
    """An 11-digit mainland mobile number 1[3-9]x xxxx xxxx."""
    return _ch(rnd, _PREFIXES) + f"{rnd.randrange(100_000_000):08d}"


def masked_phone(rnd: _random.Random) -> str:
    """A masked mobile number as 12345 systems display it, e.g. "138****5678"."""
    return _ch(rnd, _PREFIXES) + f"****{rnd.randrange(10_000):04d}"


# -------------------------------------------------------------------------------------- businesses

# 字号 syllables: local/cultural prefixes + generic auspicious two-character words.
_LOCAL = ("汴梁", "宋都", "大宋", "汴京", "东京", "菊城", "古城", "龙亭", "清明", "汴州", "夷山", "金明", "大梁", "梁园")
_AUSP = tuple(
    "鑫源 恒泰 福瑞 盛达 华信 宏昌 顺发 永盛 嘉禾 瑞丰 通达 兴旺 聚福 金鼎 祥和 德润 汇丰 隆昌 和顺 鸿运 "
    "锦程 佳美 新亚 立信 诚泰 天成 众邦 万家 百顺 宜家 乐康 安泰 博远 中原 豫丰 广源 富民 长青 晟达 荣盛 "
    "宏达 康盛 同福 家和 合众 益民 金穗 丰收 绿源 田园".split()
)
_ZIHAO_1 = tuple("鑫 福 瑞 盛 祥 顺 丰 隆 兴 德 和 泰 康 宏 源 旺 昌 佳 乐 春 华 金 裕 豪 宇".split())


def _zihao(rnd: _random.Random) -> str:
    r = rnd.random()
    if r < 0.35:
        return _ch(rnd, _LOCAL) + _ch(rnd, _ZIHAO_1)
    if r < 0.85:
        return _ch(rnd, _AUSP)
    a = _ch(rnd, _ZIHAO_1)
    b = _ch(rnd, _ZIHAO_1)
    return a + b if a != b else a + "记"


# Per GB/T 4754 section: (企业 行业词, 个体户 shop words, 合作社 words)
_INDUSTRY_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "F": (("商贸", "贸易", "商业管理", "超市", "医药", "建材", "百货"),
          ("便利店", "超市", "副食店", "烟酒店", "五金店", "建材店", "水果店", "服装店", "手机店", "电动车行",
           "大药房", "日用品店", "粮油店", "茶叶店", "调料店", "母婴店"),
          ("农产品购销专业合作社",)),
    "H": (("餐饮", "餐饮管理", "酒店管理", "食品", "宾馆"),
          ("灌汤包店", "羊肉汤馆", "烩面馆", "烧烤店", "炒凉粉摊", "火锅店", "小吃店", "包子铺", "饭店", "快餐店",
           "牛肉汤馆", "桶子鸡店", "拉面馆", "卤肉店", "宾馆", "酒店", "小炒店", "麻辣烫店", "奶茶店"),
          ("农家乐专业合作社",)),
    "O": (("家政服务", "美容美发", "汽车服务", "洗浴", "物业服务"),
          ("理发店", "美发沙龙", "美容院", "洗浴中心", "汽车修理厂", "洗车店", "家电维修部", "干洗店",
           "家政服务部", "开锁店", "足疗店", "摄影店"),
          ("农机服务专业合作社",)),
    "C": (("食品", "面业", "家具", "木业", "机械制造", "塑料制品", "包装材料", "服饰", "纺织"),
          ("面粉加工厂", "豆腐坊", "馒头加工坊", "家具加工厂", "木材加工厂", "塑料加工厂", "食品加工坊",
           "门窗加工部", "油坊"),
          ("农产品加工专业合作社",)),
    "A": (("农业发展", "农业科技", "生态农业", "养殖"),
          ("养殖场", "种植园", "养鸡场", "养猪场", "果园", "蔬菜大棚"),
          ("种植专业合作社", "养殖专业合作社", "果蔬专业合作社", "大蒜种植专业合作社", "花生种植专业合作社",
           "西瓜种植专业合作社", "肉牛养殖专业合作社", "生猪养殖专业合作社", "小麦种植专业合作社")),
    "E": (("建筑工程", "建设工程", "装饰工程", "市政工程", "防水工程", "劳务"),
          ("装修队", "防水补漏部", "水电安装部", "建筑劳务队"),
          ("建筑劳务专业合作社",)),
    "G": (("物流", "运输", "货运", "仓储", "快递"),
          ("快递代收点", "物流配货站", "货运部", "搬家服务部"),
          ("农产品运销专业合作社",)),
    "L": (("商务咨询", "人力资源", "广告", "劳务派遣", "文化传播", "企业管理"),
          ("广告部", "图文快印店", "中介服务部", "租赁站"),
          ("农机租赁专业合作社",)),
    "I": (("网络科技", "信息技术", "软件科技", "电子商务"),
          ("网络服务部", "电脑维修部", "手机维修部"),
          ("电子商务专业合作社",)),
    "K": (("房地产开发", "置业", "物业服务", "物业管理"),
          ("房产中介", "房屋中介服务部"),
          ("物业服务专业合作社",)),
    "P": (("教育科技", "教育咨询", "培训学校", "文化艺术培训"),
          ("托管班", "培训中心", "辅导班", "幼儿园", "驾校报名点", "舞蹈培训班"),
          ("技能培训专业合作社",)),
    "Q": (("医疗管理", "健康管理", "养老服务", "医药科技"),
          ("诊所", "口腔诊所", "中医诊所", "门诊部", "推拿按摩店", "养老院", "康复理疗馆"),
          ("养老服务专业合作社",)),
    "R": (("文化传媒", "体育发展", "娱乐", "影视"),
          ("网吧", "KTV", "健身房", "台球厅", "棋牌室", "游泳馆", "剧本杀馆"),
          ("民俗文化专业合作社",)),
    "M": (("检测技术", "工程设计", "技术服务", "环境科技"),
          ("测绘服务部", "技术服务部"),
          ("农技服务专业合作社",)),
}
_DEFAULT_WORDS = _INDUSTRY_WORDS["F"]
_CO_SUFFIX = ("有限公司", "有限公司", "有限公司", "有限责任公司", "股份有限公司")
_BRANCH = ("", "", "", "", "", "分公司", "门店")
_OLD = ("老", "老", "老", "小")
_COUNTY_SHORT = {c.code: (c.name if c.code != "410203" else "顺河区") for c in codes.COUNTIES}
_COUNTY_SHORT["410290"] = "示范区"
_RURAL_PREFIX = {c.code: c.name for c in codes.COUNTIES}  # 合作社 carry the county name (杞县…, 祥符区…)
_RURAL_PREFIX["410290"] = "开封市"
_URBAN = {c.code for c in codes.COUNTIES if c.urban}


def business_name(rnd: _random.Random, industry_code: str, county_code: str, subject_type: str) -> str:
    """A fictitious market-entity name for the industry section and subject type.

    - ``"91"`` 企业: "开封市汴梁鑫餐饮管理有限公司" / "杞县恒泰商贸有限公司"
    - ``"92"`` 个体工商户: "鼓楼区老刘灌汤包店" / "福瑞便利店" / "张伟诊所"
    - ``"93"`` 农民专业合作社: "杞县丰收大蒜种植专业合作社"
    """
    words = _INDUSTRY_WORDS.get(industry_code, _DEFAULT_WORDS)
    r = rnd.random()
    if subject_type == "91":
        zh = _zihao(rnd)
        if county_code in _URBAN or r < 0.3:
            head = "开封市" if r < 0.85 else "开封"
        else:
            head = _RURAL_PREFIX.get(county_code, "开封市")
        return head + zh + _ch(rnd, words[0]) + _ch(rnd, _CO_SUFFIX)
    if subject_type == "93":
        zh = _ch(rnd, _AUSP) if r < 0.7 else _ch(rnd, _LOCAL[:6]) + _ch(rnd, _ZIHAO_1)
        return _RURAL_PREFIX.get(county_code, "开封市") + zh + _ch(rnd, words[2])
    # 92 个体工商户
    shop = _ch(rnd, words[1])
    if industry_code == "Q" and shop.endswith("诊所") and r < 0.5:
        return person_name(rnd) + shop
    if r < 0.35:
        return _COUNTY_SHORT.get(county_code, "") + _ch(rnd, _OLD) + _ch(rnd, SURNAMES) + shop
    if r < 0.55:
        return _ch(rnd, SURNAMES) + "记" + shop
    if r < 0.65:
        return _ch(rnd, _LOCAL) + shop
    return _zihao(rnd) + shop
