"""Kaifeng place names per county-level unit, for the synthetic demo warehouse.

Facts come from ``shared/reference/kaifeng_places.md`` (roads, landmarks, markets, communities, schools,
hospitals; §2–§4) and ``data_access.codes.TOWNSHIPS``. Where a road spans two districts it is listed in
both. Items marked ``# [I]`` in the comments are placements inferred from the reference's "所在" column;
generic county-seat names (人民路, 县城农贸市场, 县人民医院 …) are deliberately common-noun style and stand
for no particular real entity. Villages are generated deterministically from common surnames
("王庄村", "李楼村" …) except the real 村 names the reference lists for 仙人庄/南苑 streets.

Public API::

    PLACES: dict[str, dict[str, tuple[str, ...]]]        # county code -> kind -> names
    TOWNSHIPS_BY_COUNTY: dict[str, tuple[str, ...]]       # county code -> township names
    VILLAGES_BY_TOWNSHIP: dict[tuple[str, str], tuple[str, ...]]
    COMMUNITIES_BY_TOWNSHIP: dict[tuple[str, str], tuple[str, ...]]
    random_address(rnd, county_code, township_name=None) -> str
    address_parts(rnd, county_code, township_name=None, kind=None) -> (address, township, spot)
    random_township(rnd, county_code) -> str
    is_rural_township(county_code, township_name) -> bool

PLACES kinds: ``roads``, ``landmarks``, ``markets``, ``communities``, ``schools``, ``hospitals``,
``townships``, ``villages`` (every kind is non-empty for every county).
"""

from __future__ import annotations

import random as _random

from data_access import codes


def _ch(rnd, seq):
    """rnd.choice without the getrandbits loop (deterministic, ~3x faster)."""
    return seq[int(rnd.random() * len(seq))]


def _pk(rr, seq):
    return seq[int(rr() * len(seq))]


def _rr(rr, a, b):
    return a + int(rr() * (b - a + 1))


def _ri(rnd, a, b):
    """rnd.randint(a, b) via one rnd.random() call."""
    return a + int(rnd.random() * (b - a + 1))

PLACE_KINDS = ("roads", "landmarks", "markets", "communities", "schools", "hospitals", "townships", "villages")

# ------------------------------------------------------------------------------------------ raw tables

_SPLIT = str.split

_RAW: dict[str, dict[str, str]] = {
    # 龙亭区 (老城北部; 示范区 streets are mapped to 410290 in codes.TOWNSHIPS)
    "410202": {
        "roads": "中山路 体育路 龙亭北路 龙亭东路 龙亭西路 龙亭环湖西路 宋都御街 刷绒街 三胜街 东明街 九鼎路 法院街 "
        "大兴街 西门大街 迎宾路 内顺城路 西关北街 北门大街 东京大道 徐府街 西大街 里城南门街 黄河路 明伦街 文昌后街",
        "landmarks": "清明上河园 龙亭公园 万岁山武侠城 中国翰园 天波杨府 宋都御街 文庙 山陕甘会馆 大梁门 龙亭湖 "
        "潘家湖 杨家湖 柳园口 迎宾门",
        "markets": "法院街小吃街 大兴街早市 北道门菜市场 体育路农贸市场",  # [I] generic market names
        "communities": "中城花园小区 龙亭东湖8号院 体育路家属院 北道门社区 午朝门社区 大兴社区 北书店社区 "
        "刷绒街家属院 东京大道家属院",  # [I] street-named 社区/家属院 are generic
        "schools": "龙亭区实验小学 北道门小学 大兴街小学 体育路中学",  # [I] generic
        "hospitals": "龙亭区人民医院 北道门社区卫生服务中心 午朝门社区卫生服务中心",  # [I] generic
    },
    # 顺河回族区
    "410203": {
        "roads": "解放路 解放大道 南土街 曹门大街 东环路 新曹路 北门大街 铁塔西街 文昌后街 明伦街 公园路 汴京路 "
        "铁北街 工农路 劳动路 汴京大道 万兴苑路 东京大道",
        "landmarks": "铁塔公园 开封铁塔 东护城河 曹门 宋门 河南大学明伦校区 北支河",
        "markets": "东郊农贸市场 曹门菜市场 宋门早市 苹果园农贸市场",  # [I] first one from reference
        "communities": "无线电一厂家属院 万兴苑小区 曹门社区 宋门社区 铁塔社区 清平社区 苹果园社区 工业社区 "
        "南土街家属院",
        "schools": "河南大学明伦校区 铁塔小学 曹门小学 顺河区回民中学",  # [I] generic except 河大
        "hospitals": "顺河区人民医院 宋门社区卫生服务中心 苹果园社区卫生服务中心",  # [I] generic
    },
    # 鼓楼区
    "410204": {
        "roads": "中山路 自由路 鼓楼街 马道街 寺后街 书店街 徐府街 大纸坊街 生产后街 新华东街 丁角街 包公湖北路 "
        "包公湖环湖路 五一路 五福路 滨河路 解放路 医院前街 魏都路 新宋路 宋城路",
        "landmarks": "开封府 包公祠 包公湖 大相国寺 延庆观 鼓楼广场 鼓楼 七盛角 双龙巷 珠玑巷",
        "markets": "鼓楼夜市 西司夜市 马道街步行街 相国寺大市场 鼓楼新天地市场 鼓楼商城 振河商业城 模范商场 "
        "书店街 寺后街",
        "communities": "相国寺社区 鼓楼社区 自中社区 自西社区 青龙背社区 裴场公社区 蔡河社区 中华社区 永安社区 "
        "瑞安社区 大纸坊社区 营街社区 开封府社区 包南社区 城隍庙社区 行宫社区 油坊社区 新街口社区 板桥社区 "
        "魏都社区 郑汴社区 滨河社区 大王屯社区 西苑社区",
        "schools": "鼓楼区实验小学 自由路小学 五一路小学 包公湖中学",  # [I] generic
        "hospitals": "开封市中心医院 河南大学淮河医院 鼓楼区人民医院 五一社区卫生服务中心",  # [I] district
    },
    # 禹王台区
    "410205": {
        "roads": "中山路 中山西路 魏都路 老井沿街 滨河路 三里堡街 新政北街 一营房街 惠桥里街 铁北街 新宋路 汴京路 "
        "五福路",
        "landmarks": "禹王台公园 繁塔 开封站 大南门 开封城墙",
        "markets": "新宋路宠物集市 三里堡农贸市场 菜市街菜市场 官坊早市",  # [I] all but the first
        "communities": "曲江新鸥鹏 中州新城 大河柳苑 纪念塔社区 天地台社区 铁路社区 学堂门社区 大河柳苑社区 "
        "三里堡社区 繁塔社区 新门关社区 菜市社区",
        "schools": "禹王台区实验小学 三里堡小学 繁塔小学 魏都路中学",  # [I] generic
        "hospitals": "开封市儿童医院 禹王台区人民医院 三里堡社区卫生服务中心",  # [I] district
    },
    # 祥符区 (原开封县; 县城在城东街道)
    "410212": {
        "roads": "县府东街 县府西街 人民路 建设路 文化路 新华路 工业路 汴京大道",  # [I] beyond 县府东街
        "landmarks": "朱仙镇启封故园 朱仙镇木版年画馆 朱仙镇岳飞庙 祥符区人民广场",  # [I] partially
        "markets": "城关农贸市场 朱仙镇大集 陈留镇大集 仇楼镇集市 八里湾镇集市",  # [I] generic
        "communities": "县直家属院 供销社家属院 粮食局家属院 锦华苑小区 文化路家属院 城东社区 新华社区",  # [I]
        "schools": "祥符区实验小学 祥符区第一高级中学 朱仙镇中学 陈留镇中心小学",  # [I] generic
        "hospitals": "祥符区人民医院 祥符区中医院 朱仙镇卫生院 陈留镇卫生院",  # [I] generic
    },
    # 杞县
    "410221": {
        "roads": "金城大道 建设路 北关大街 人民路 文化路 工业路 中山街 南关大街",  # first three [V]
        "landmarks": "杞县人民广场 杞县文化公园 金城广场",  # [I] generic
        "markets": "杞县城关农贸市场 北关菜市场 金城农贸市场 五里河镇集市 高阳镇大集",  # [I] generic
        "communities": "建业花园小区 县直家属院 教育局家属院 金城花园 人民路家属院 北关社区 金城社区",
        "schools": "杞县第一高级中学 杞县实验小学 杞县第二初级中学 金城小学",  # [I] generic
        "hospitals": "杞县人民医院 杞县中医院 杞县妇幼保健院 高阳镇卫生院",  # [I] generic
    },
    # 通许县
    "410222": {
        "roads": "行政路 人民路 建设路 文化路 咸平大道 工业路 东环路",  # 行政路 [V], rest [I]
        "landmarks": "通许县人民广场 咸平公园 通许县文化广场",  # [I] generic
        "markets": "通许县城关农贸市场 咸平菜市场 竖岗镇集市 玉皇庙镇集市",  # [I] generic
        "communities": "县直家属院 行政路家属院 咸平花园 许城社区 咸平社区 供销社家属院",  # [I]
        "schools": "通许县第一高级中学 通许县实验小学 咸平中学",  # [I] generic
        "hospitals": "通许县人民医院 通许县中医院 竖岗镇卫生院",  # [I] generic
    },
    # 尉氏县
    "410223": {
        "roads": "人民路 建设路 文化路 新华路 工业路 两湖大道 书院街",  # [I] generic
        "landmarks": "兴国寺塔 古塔广场 尉氏县人民公园",  # first two [V]
        "markets": "尉氏县城关农贸市场 两湖菜市场 洧川镇大集 朱曲镇集市 十八里镇集市",  # [I] generic
        "communities": "县直家属院 古塔社区 两湖社区 书院家属院 人民路家属院 阳光花园",  # [I]
        "schools": "尉氏县第一高级中学 尉氏县实验小学 两湖中学",  # [I] generic
        "hospitals": "尉氏县人民医院 尉氏县中医院 洧川镇卫生院",  # [I] generic
    },
    # 兰考县 (省直管县)
    "410225": {
        "roads": "裕禄大道 中山路 人民路 建设路 文化路 兰阳路 考城路",  # [I]
        "landmarks": "焦裕禄纪念馆 焦桐 东坝头黄河湾 兰考站 兰考南站 兰考县人民广场",
        "markets": "兰考县城关农贸市场 兰阳菜市场 堌阳镇集市 东坝头镇集市",  # [I] generic
        "communities": "凤凰城小区 县直家属院 兰阳社区 桐乡社区 惠安社区 裕禄花园",  # [I] beyond 凤凰城
        "schools": "兰考县第一高级中学 兰考县实验小学 兰阳中学",  # [I] generic
        "hospitals": "兰考县人民医院 兰考县中医院 堌阳镇卫生院",  # [I] generic
    },
    # 开封城乡一体化示范区 (virtual 410290)
    "410290": {
        "roads": "大梁路 宋城路 汉兴路 夷山大街 万胜路 集英街 幸福路 西环路 金耀路 黄河大街 金明大道 晋安路 郑开大道 "
        "复兴大道 五大街 六大街 七大街 八大街 九大街 十大街 十一大街 十二大街 十四大街 十六大街 十八大街 "
        "二十二大街 二十三大街 安兴路 安康路 中意湖南路 东京大道",
        "landmarks": "开封博物馆 市民广场 中意湖 开封体育中心 汴梁小宋城 宋城路站 运粮河站 开封北站 "
        "集英街公交场站 金明汽车客运站 职业教育园区 黑岗口",
        "markets": "集英海鲜农贸市场 夷山综合农贸市场 集英花园南门菜市 汴梁小宋城",
        "communities": "金明华府 集英花园 伟业·香堤湾 温莎尚郡 帝湖世家 碧水蓝城 水岸家园 新河大家属院 "
        "汉兴路社区 西关街社区 马市街社区 翠园社区 黄汴河社区 宋城路社区",
        "schools": "河南大学金明校区 开封大学 黄河水利职业技术大学 示范区实验小学",
        "hospitals": "开封市第二中医院 示范区社区卫生服务中心 金耀社区卫生服务中心",  # [I] beyond 二中医院
    },
}

# Communities / villages whose township is known (kaifeng_places.md §4.2; 九村→南苑 per §1.3).
_BY_TOWNSHIP_RAW: dict[tuple[str, str], tuple[str, str]] = {
    ("410204", "相国寺街道"): ("相国寺社区 鼓楼社区", ""),
    ("410204", "新华街道"): ("自中社区 自西社区 青龙背社区", ""),
    ("410204", "卧龙街道"): ("裴场公社区 蔡河社区 中华社区 永安社区 瑞安社区", ""),
    ("410204", "州桥街道"): ("大纸坊社区 营街社区 开封府社区 包南社区", ""),
    ("410204", "西司门街道"): ("城隍庙社区 行宫社区 油坊社区 新街口社区 板桥社区", ""),
    ("410204", "五一街道"): ("魏都社区 郑汴社区 滨河社区 大王屯社区 西苑社区", ""),
    ("410204", "仙人庄街道"): ("", "仙人庄村 茶庵村 辛仓村 何楼村 马头刘村 沙胡刘村 新城集村 龙王庙村"),
    ("410204", "南苑街道"): ("", "小王屯村 杨四庄村 南柴屯村 丰收岗村 牛墩村 杨砦村 刘寺村 浅河村 蔡屯村"),
    ("410205", "官坊街道"): ("纪念塔社区 天地台社区 铁路社区 学堂门社区 大河柳苑社区 大河柳苑", ""),
    ("410203", "苹果园街道"): ("无线电一厂家属院 苹果园社区", ""),
    ("410290", "城西街道"): ("汉兴路社区 西关街社区 马市街社区 翠园社区 黄汴河社区 宋城路社区", ""),
}

SURNAMES_VILLAGE = tuple("王李张刘陈杨赵黄周吴徐孙朱高郭马宋程韩冯杜贾孟史崔侯秦牛岳耿申卢魏范乔闫袁任田")
_VILLAGE_SUFFIX = ("庄村", "楼村", "寨村", "屯村", "集村", "岗村", "营村", "店村", "桥村", "湾村", "洼村", "庙村")

TOWNSHIPS_BY_COUNTY: dict[str, tuple[str, ...]] = {
    c.code: tuple(t.name for t in codes.TOWNSHIPS if t.county_code == c.code) for c in codes.COUNTIES
}
_TOWNSHIP_LEVEL: dict[tuple[str, str], str] = {(t.county_code, t.name): t.level for t in codes.TOWNSHIPS}


def is_rural_township(county_code: str, township_name: str) -> bool:
    """乡/镇/农场 → villages; 街道 → roads and communities (仙人庄/南苑 streets are village-based too)."""
    if _BY_TOWNSHIP_RAW.get((county_code, township_name), ("", ""))[1]:
        return True
    return _TOWNSHIP_LEVEL.get((county_code, township_name), "STREET") != "STREET"


def _make_villages(county_code: str, township: str) -> tuple[str, ...]:
    known = _BY_TOWNSHIP_RAW.get((county_code, township), ("", ""))[1]
    if known:
        return tuple(_SPLIT(known))
    if township.endswith("农场"):
        return ("一分场", "二分场", "三分场", "场部生活区")
    r = _random.Random(int(county_code) * 1000 + sum(map(ord, township)))
    stem = township[:-1] if township.endswith(("镇", "乡")) else township[:2]
    out: list[str] = [stem + "村"] if len(stem) <= 3 and not stem.endswith(("镇", "郊")) else []
    seen = set(out)
    while len(out) < 12:
        name = _ch(r, SURNAMES_VILLAGE) + _ch(r, _VILLAGE_SUFFIX)
        if r.random() < 0.2:
            name = _ch(r, "大小东西南北前后") + name
        if name not in seen:
            seen.add(name)
            out.append(name)
    return tuple(out)


VILLAGES_BY_TOWNSHIP: dict[tuple[str, str], tuple[str, ...]] = {
    (c, t): _make_villages(c, t) for c, ts in TOWNSHIPS_BY_COUNTY.items() for t in ts if is_rural_township(c, t)
}
COMMUNITIES_BY_TOWNSHIP: dict[tuple[str, str], tuple[str, ...]] = {
    k: tuple(_SPLIT(v[0])) for k, v in _BY_TOWNSHIP_RAW.items() if v[0]
}


def _build() -> dict[str, dict[str, tuple[str, ...]]]:
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for code in codes.COUNTY_BY_CODE:
        raw = _RAW[code]
        d = {k: tuple(dict.fromkeys(_SPLIT(raw[k]))) for k in PLACE_KINDS[:6]}
        d["townships"] = TOWNSHIPS_BY_COUNTY[code]
        d["villages"] = tuple(
            dict.fromkeys(v for t in d["townships"] for v in VILLAGES_BY_TOWNSHIP.get((code, t), ()))
        )
        out[code] = d
    return out


PLACES: dict[str, dict[str, tuple[str, ...]]] = _build()

# Display prefix of the county in addresses ("顺河回族区" is usually written in full; 示范区 by its short name).
COUNTY_PREFIX = {c.code: c.name for c in codes.COUNTIES}

_URBAN_TOWNSHIPS = {
    c: tuple(t for t in ts if not is_rural_township(c, t)) or ts for c, ts in TOWNSHIPS_BY_COUNTY.items()
}
_DIRS = ("东", "西", "南", "北")
_DIST = ("20", "30", "50", "50", "80", "100", "150", "200", "300")
_SEGS = ("", "", "", "东段", "西段", "中段", "南段", "北段")


def random_township(rnd: _random.Random, county_code: str) -> str:
    """A township of the county; county seats / urban streets drawn a bit more often than remote 乡."""
    if rnd.random() < 0.45:
        return _ch(rnd, _URBAN_TOWNSHIPS[county_code])
    return _ch(rnd, TOWNSHIPS_BY_COUNTY[county_code])


def random_address(rnd: _random.Random, county_code: str, township_name: str | None = None) -> str:
    """A plausible incident address inside the county, e.g. "鼓楼区州桥街道包公湖北路与大纸坊街交叉口东50米".

    Every place name used comes from ``PLACES[county_code]`` (roads, landmarks, markets, communities,
    schools, hospitals, villages) and the township from ``TOWNSHIPS_BY_COUNTY[county_code]``.
    """
    return address_parts(rnd, county_code, township_name)[0]


ADDRESS_KINDS = ("road", "cross", "community", "market", "landmark", "school", "hospital", "village")


def address_parts(
    rnd: _random.Random, county_code: str, township_name: str | None = None, kind: str | None = None
) -> tuple[str, str, str]:
    """(address, township, spot): ``spot`` is the main place named (road, community, village, market …).

    ``kind`` (one of ADDRESS_KINDS) biases the address type; rural townships always give village
    addresses, and ``kind="village"`` without a township picks a rural township of the county.
    """
    p = PLACES[county_code]
    rr = rnd.random
    if township_name:
        town = township_name
    elif kind == "village":
        town = _pk(rr, _RURAL_TOWNSHIPS[county_code])
    elif kind is not None:
        town = _pk(rr, _URBAN_TOWNSHIPS[county_code])
    else:
        town = random_township(rnd, county_code)
    head = COUNTY_PREFIX[county_code] + town
    villages = VILLAGES_BY_TOWNSHIP.get((county_code, town))
    r = rr()
    if villages:
        v = _pk(rr, villages)
        if r < 0.45:
            return head + v, town, v
        if r < 0.70:
            return f"{head}{v}{_rr(rr, 1, 12)}组", town, v
        if r < 0.88:
            return head + v + _pk(rr, _VILLAGE_SPOTS), town, v
        return head + _pk(rr, _TOWN_SPOTS), town, town
    if kind is not None:
        r = _KIND_R.get(kind, r)
    if r < 0.30:
        road = _pk(rr, p["roads"])
        return f"{head}{road}{_pk(rr, _SEGS)}{_rr(rr, 1, 320)}号", town, road
    if r < 0.50:
        roads = p["roads"]
        a = _pk(rr, roads)
        b = _pk(rr, roads)
        if a == b:
            return f"{head}{a}{_pk(rr, _SEGS) or '中段'}", town, a
        return f"{head}{a}与{b}交叉口{_pk(rr, _DIRS)}{_pk(rr, _DIST)}米", town, a
    if r < 0.78:
        c = _ch(rnd, COMMUNITIES_BY_TOWNSHIP.get((county_code, town)) or _FREE_COMMUNITIES[county_code])
        if c.endswith("社区"):
            return f"{head}{c}{_pk(rr, p['roads'])}{_rr(rr, 1, 200)}号院", town, c
        return f"{head}{c}{_rr(rr, 1, 24)}号楼{_rr(rr, 1, 4)}单元", town, c
    if r < 0.88:
        m = _pk(rr, p["markets"])
        return head + m + _ch(rnd, ("", "附近", "门口", "东侧", "北门")), town, m
    if r < 0.95:
        lm = _pk(rr, p["landmarks"])
        return head + lm + _ch(rnd, ("附近", "周边", "门口", "东侧", "南门", "停车场")), town, lm
    if r < 0.975:
        sc = _pk(rr, p["schools"])
        return head + sc + _ch(rnd, ("门口", "附近", "对面", "周边")), town, sc
    h = _pk(rr, p["hospitals"])
    return head + h + _ch(rnd, ("门口", "附近", "对面", "周边")), town, h


_KIND_R = {"road": 0.1, "cross": 0.4, "community": 0.6, "market": 0.8, "landmark": 0.9, "school": 0.96,
           "hospital": 0.99}
_VILLAGE_SPOTS = ("村口", "东头", "西头", "南头", "北头", "村委会", "大街", "小学门口", "南地", "北地")
_TOWN_SPOTS = ("政府附近", "集镇", "中心街", "集市", "卫生院附近")
_RURAL_TOWNSHIPS = {
    c: tuple(t for t in ts if is_rural_township(c, t)) or ts for c, ts in TOWNSHIPS_BY_COUNTY.items()
}
_ASSIGNED = {(k[0], c) for k, v in COMMUNITIES_BY_TOWNSHIP.items() for c in v}
_FREE_COMMUNITIES = {
    code: tuple(c for c in d["communities"] if (code, c) not in _ASSIGNED) or d["communities"]
    for code, d in PLACES.items()
}
