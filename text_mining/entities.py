"""Entity mentions in complaint text, and linking business names to the market-entity register.

:func:`extract_entities` finds four kinds of mention with the Kaifeng gazetteer
(``resources/places_*.txt``) plus suffix patterns:

- ``business``: names ending in 公司/店/饭店/超市/诊所/药房/酒店/幼儿园/宾馆/汤馆/馆/铺/坊/摊/合作社/… ;
- ``road``: gazetteer roads, or names ending in 路/街/大道/大街/巷;
- ``community``: gazetteer compounds, or names ending in 小区/家属院/社区/花园/家园/公寓;
- ``town``: gazetteer 街道/镇/乡;
- ``district``: gazetteer districts/counties (aliases mapped to the canonical name) and masked
  districts such as ``A3区`` in the benchmark data.

A suffix pattern grabs the longest run of name characters before the suffix, so the run is then
cut after the last place name, particle or verb it contains ("投诉马道街一家老王饭店" -> road
马道街, business 老王饭店).

:func:`link_entities` fuzzy-matches business mentions (rapidfuzz) to registered entities by
name, preferring the same district, and only when the names' distinctive heads agree (a shared
trade word does not make two shops one); mentions with no match are flagged ``unlicensed_candidate``.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd
from rapidfuzz import fuzz, process

from text_mining.tokenizer import gazetteer

__all__ = ["ENTITY_COLUMNS", "extract_entities", "link_entities", "name_heads", "normalize_business_name",
           "not_an_operator"]

ENTITY_COLUMNS = ["id", "entity_type", "mention", "canonical", "start", "end", "district"]

BUSINESS_SUFFIXES = (
    "有限责任公司 有限公司 分公司 公司 专业合作社 合作社 大药房 药房 药店 饭店 酒店 宾馆 旅馆 酒家 餐厅 餐馆 "
    "饭馆 食堂 火锅店 烧烤店 小吃店 面馆 汤馆 馆 铺 坊 摊 超市 便利店 商店 商行 车行 门市部 专卖店 服务部 "
    "维修部 安装部 加工部 货运部 诊所 卫生室 门诊部 医院 养老院 幼儿园 托育中心 托管班 辅导班 培训班 培训学校 "
    "培训中心 培训机构 驾校 网吧 棋牌室 台球厅 健身房 浴池 洗浴中心 足浴店 美容院 美发沙龙 理发店 KTV 加油站 "
    "代收点 配货站 养殖场 工厂 加工厂 厂 店"
).split()
# Suffixes that are also the first character of a common non-name word: 摊贩/摊位/摊点/摊主, 店铺/店员,
# 铺设, 厂房/厂区/厂家; 店 before 街 is a place (北书店街道, 书店街), not a shop.
_NOT_AFTER = {"摊": "贩位点主子", "店": "铺员街", "铺": "设好开", "厂": "房区家"}
# A shop word followed by a settlement word is a place name: 南史店村, 刘店乡, 官坊街道, 八里铺村.
_PLACE_AFTER = "村|乡|镇|街道"
ROAD_SUFFIXES = ("大道", "大街", "路", "街", "巷")
COMMUNITY_SUFFIXES = ("家属院", "家属楼", "小区", "社区", "花园", "家园", "公寓", "新村")

_NAME_CHARS = r"[\u4e00-\u9fa5A-Za-z0-9·]"
# Cut points inside a grabbed run: particles, verbs and quantifiers that cannot be part of a name.
_BOUNDARY = re.compile(
    r"(?:的|了|在|是|到|向|对|被|把|将|从|给|让|我|你|他|她|们|这|那|该|以及|"
    r"一家|一个|几家|多家|这家|那家|投诉|举报|反映|反应|请求|要求|希望|建议|咨询|位于|附近|旁边|对面|门口|"
    r"楼下|隔壁|里面|周边|发现|经营|开了|开的|开设|购买|买了|吃了|去了|入住|就餐|消费|无证|无照|"
    r"黑心|非法|违规|违法|私自|占道|存在|出现|进行|因为|所以|但是|而且|导致|造成|要求|市民|居民|业主|摆|有人|关于|讨要|来电人称|高于|低于|其为|原单位|去|等|由|交叉口|单元|市场内|市场|[0-9]+米|[0-9]+组)"
)
# A company's legal form, longest first: the whole name alone is no name (GENERIC_BUSINESS), matching drops
# it (normalize_business_name), and a name ending in one is a registered company's (not_an_operator).
COMPANY_LEGAL_FORMS = ("有限责任公司", "股份有限公司", "有限公司")
# Business-type nouns without a proper name ("the property company") are not business names.
GENERIC_BUSINESS = frozenset(
    "物业公司 开发公司 房地产公司 地产公司 建筑公司 装修公司 快递公司 保险公司 中介公司 劳务公司 施工公司 "
    "运营公司 公交公司 燃气公司 供电公司 电力公司 自来水公司 热力公司 开发商公司 总公司 分公司 子公司 母公司 "
    "小饭店 小超市 小诊所 小药店 小卖店 小商店 大超市 大药房 私立医院 民营医院 小作坊 黑诊所 黑作坊 黑网吧 "
    "商户店 小餐馆 小旅馆 无证作坊 地下作坊 加工作坊 流动摊 夜市摊 小吃摊 水果摊 早餐摊 "
    "供水公司 自来水厂 水务公司 供热公司 天然气公司 有线电视公司 通信公司 移动公司 联通公司 电信公司".split()
) | frozenset(COMPANY_LEGAL_FORMS)
# Words that carry no 字号 and that a run glues to a generic noun: verbs and particles (打燃气公司电话,
# 请供水公司, 找物业公司), conjunctions (物业和供水公司) and generic activity
# words of company names (管理有限公司). A name made of these and a generic noun is no name.
_NO_NAME_HEAD = re.compile(
    r"(?:打|请|找|叫|让|问|催|联系|拨打|致电|通知|和|与|及|跟|同|或|"
    r"物业|小区|管理|企业管理|餐饮管理|酒店管理|商务|实业|商贸|科技|发展|服务|集团)"
)
# Public venues (事业单位, outside the market-entity register) end like shops but are not businesses.
PUBLIC_VENUE_SUFFIXES = tuple(
    "博物馆 纪念馆 会馆 图书馆 体育馆 场馆 展览馆 文化馆 科技馆 美术馆 殡仪馆 年画馆 艺术馆 陈列馆 展馆 展示馆 "
    "民俗馆 非遗馆 档案馆 规划馆 天文馆".split()
)
_MASKED_DISTRICT = re.compile(r"[A-Z]\d{1,2}[区县]")


def _suffix_pattern(suffixes, not_followed_by: str = "", not_after: dict[str, str] | None = None) -> re.Pattern[str]:
    """Shortest run of name characters ending in a suffix and not followed by ``not_followed_by`` (a regex
    alternation); ``not_after`` names characters that may not follow a given suffix (摊 in 摊贩 is no shop)."""
    not_after = not_after or {}
    alts = "|".join(re.escape(x) + (f"(?![{not_after[x]}])" if x in not_after else "")
                    for x in sorted(suffixes, key=len, reverse=True))
    tail = f"(?!{not_followed_by})" if not_followed_by else ""
    return re.compile(rf"{_NAME_CHARS}{{1,16}}?(?:{alts}){tail}")


_BUSINESS = _suffix_pattern(BUSINESS_SUFFIXES, not_followed_by=_PLACE_AFTER, not_after=_NOT_AFTER)
_ROAD = _suffix_pattern(ROAD_SUFFIXES, not_followed_by="道|办")
_COMMUNITY = _suffix_pattern(COMMUNITY_SUFFIXES)


@lru_cache(maxsize=1)
def _place_names() -> frozenset[str]:
    """Every gazetteer place name: counties, towns, roads, compounds, landmarks."""
    return frozenset(name for kind in ("district", "town", "road", "community", "landmark")
                     for name in gazetteer()[kind])


def _alternation(names) -> str:  # noqa: ANN001
    """A regex alternation of ``names``, longest first (so the longest name at a position wins)."""
    return "|".join(map(re.escape, sorted(names, key=len, reverse=True)))


@lru_cache(maxsize=1)
def _place_prefix() -> re.Pattern[str]:
    """Known places and generic place-looking heads that precede a business or compound name."""
    return re.compile(
        rf"(?:{_alternation(_place_names())}|[A-Z]\d{{0,2}}[市区县]|{_NAME_CHARS}{{1,6}}?(?:区|县|镇|乡|村|街道|大道|大街|路|街|巷|号院|号|楼|层|栋))"
    )


@lru_cache(maxsize=1)
def _admin_prefix() -> re.Pattern[str]:
    alts = _alternation(set(gazetteer()["district"]) | set(gazetteer()["town"]))
    return re.compile(rf"(?:开封市|{alts}|[A-Z]\d{{0,2}}[市区县])")


def _trim(run: str, suffix_len: int, strip_places: bool) -> str:
    """Keep the part of ``run`` after the last boundary word (and leading place names)."""
    head = run[: len(run) - suffix_len]
    cut = 0
    for m in _BOUNDARY.finditer(head):
        cut = m.end()
    name = run[cut:]
    m = _admin_prefix().match(name)
    while m and len(name) - m.end() > suffix_len:
        name = name[m.end() :]
        m = _admin_prefix().match(name)
    if strip_places:
        while True:
            m = _place_prefix().match(name)
            # Keep at least two characters before the suffix, so 红星饭店 survives but
            # 马道街饭店 (a street plus a generic noun) is reduced to nothing.
            if not m or len(name) - m.end() < suffix_len + 2:
                break
            name = name[m.end() :]
    return name


def _suffix_len(name: str, suffixes) -> int:
    return max((len(s) for s in suffixes if name.endswith(s)), default=0)


def _find_suffixed(text, pattern, suffixes, kind, strip_places, min_core):
    out = []
    for m in pattern.finditer(text):
        run = m.group()
        slen = _suffix_len(run, suffixes)
        name = _trim(run, slen, strip_places)
        if len(name) - slen < min_core or _generic(name):
            continue
        if strip_places and (_public_venue(name) or _bare_place(name, slen, min_core)):
            continue
        start = m.end() - len(name)
        out.append((kind, name, name, start, m.end()))
    return out


def _generic(name: str) -> bool:
    """A generic business noun, alone or after words that carry no 字号 (打燃气公司, 物业和供水公司, 管理有限公司)."""
    rest = name
    while rest not in GENERIC_BUSINESS and (m := _NO_NAME_HEAD.match(rest)) and m.end() < len(rest):
        rest = rest[m.end() :]
    return rest in GENERIC_BUSINESS


@lru_cache(maxsize=1)
def _known_place() -> re.Pattern[str]:
    return re.compile(_alternation(_place_names() | {"开封市", "开封"}))


def _bare_place(name: str, suffix_len: int, min_core: int) -> bool:
    """Known places and a bare shop word ("金城街道饭店" in "金城街道饭店油烟扰民") name no business."""
    rest = name
    while (m := _known_place().match(rest)) and m.end() < len(rest):
        rest = rest[m.end() :]
    return len(rest) - suffix_len < min_core


def _public_venue(name: str) -> bool:
    """Museums, libraries, sports halls and gazetteer landmarks (开封博物馆, 山陕甘会馆) are no businesses."""
    return name.endswith(PUBLIC_VENUE_SUFFIXES) or name.endswith(_landmarks())


@lru_cache(maxsize=1)
def _landmarks() -> tuple[str, ...]:
    return tuple(gazetteer()["landmark"])


def _find_gazetteer(text: str, kind: str) -> list[tuple]:
    out = []
    names = gazetteer()[kind]
    for name, canonical in names.items():
        start = text.find(name)
        while start >= 0:
            out.append((kind, name, canonical, start, start + len(name)))
            start = text.find(name, start + 1)
    return out


def _extract_one(text: str) -> list[tuple]:
    if not isinstance(text, str) or not text:
        return []
    found = _find_gazetteer(text, "district") + _find_gazetteer(text, "town")
    found += [("district", m.group(), m.group(), m.start(), m.end()) for m in _MASKED_DISTRICT.finditer(text)]
    found += _find_gazetteer(text, "road") + _find_suffixed(text, _ROAD, ROAD_SUFFIXES, "road", False, 1)
    found += _find_gazetteer(text, "community")
    found += _find_suffixed(text, _COMMUNITY, COMMUNITY_SUFFIXES, "community", True, 2)
    found += _find_suffixed(text, _BUSINESS, BUSINESS_SUFFIXES, "business", True, 2)
    # Resolve overlaps: longer spans win; among equal spans the earlier kind in the list wins.
    found.sort(key=lambda f: (-(f[4] - f[3]), f[3]))
    kept: list[tuple] = []
    for f in found:
        if all(f[4] <= k[3] or f[3] >= k[4] or (f[0] != k[0] and _nested_ok(f, k)) for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f[3])


def _nested_ok(inner, outer) -> bool:
    """A place inside a business or compound name (鼓楼区老王饭店 is one mention) is dropped,
    except districts and towns, which are kept as the location."""
    return inner[0] in ("district", "town")


def extract_entities(df: pd.DataFrame, text_col: str = "text", id_col: str = "id") -> pd.DataFrame:
    """Entity mentions of every message.

    Input: ``df`` with ``id_col`` and ``text_col``. Output columns (:data:`ENTITY_COLUMNS`):
    ``id``; ``entity_type`` (business, road, community, town, district); ``mention`` (surface text);
    ``canonical`` (canonical district or gazetteer name, else the mention); ``start``/``end``
    (character offsets in the text); ``district`` (first district mentioned in the same
    message, or None).
    """
    for col in (id_col, text_col):
        if col not in df.columns:
            raise ValueError(f"extract_entities needs column {col!r}")
    rows = []
    for mid, text in zip(df[id_col], df[text_col], strict=True):
        ents = _extract_one(text)
        district = next((e[2] for e in ents if e[0] == "district"), None)
        rows.extend((mid, *e, district) for e in ents)
    return pd.DataFrame(rows, columns=ENTITY_COLUMNS)


_LEGAL_FORMS = re.compile("(?:" + "|".join(COMPANY_LEGAL_FORMS) + r"|分公司|分店|公司|个体工商户|（[^）]*）|\([^)]*\))")


def normalize_business_name(name: str) -> str:
    """Core of a business name for matching: no legal form, no leading city/district/road."""
    if not isinstance(name, str):
        return ""
    core = _LEGAL_FORMS.sub("", name)
    core = re.sub(r"^(?:开封市|开封|河南省|河南)", "", core)
    m = _place_prefix().match(core)
    while m and len(core) - m.end() >= 2:
        core = core[m.end() :]
        m = _place_prefix().match(core)
    return core or name


# Names that cannot be an unregistered market operator's, whatever the register lookup says (the candidates of
# risk_models.rules.UnlicensedRule, see not_an_operator); company legal forms are COMPANY_LEGAL_FORMS.
# 事业单位, outside the market-entity register — not a pet clinic (宠物医院, a market entity) nor a tutoring shop
# named after its pupils (中学生辅导班, 小学生托管班)
PUBLIC_INSTITUTIONS = re.compile(r"(?<!宠物)(?<!动物)(?:医院|卫生院)|学校|(?:小学|中学)(?!生)")
# A head of these words only carries no 字号: an administrative unit or an ownership word before a shop word.
_NO_TRADE_NAME = re.compile(r"(?:街道|社区|乡镇|乡|镇|村|区|县|市|民办|公办|私立|私营|私人|个体|国营|集体)*")


def not_an_operator(name: str) -> str | None:
    """Why a business name from a complaint cannot be an unlicensed operator's, or ``None`` if it can be.

    - ``legal_form``: it ends in a company legal form (…有限公司). A company's name is approved when it is
      registered (企业名称登记), so reports naming one are about a registered company that the county's
      register lookup missed (registered in another county or at city level, renamed, or named loosely);
    - ``public``: a public institution (事业单位) or one of its own units (实验小学食堂, 人民医院食堂);
    - ``no_trade_name``: a shop word after an administrative unit or an ownership word only, no 字号 (街道饭店
      from "桐乡街道饭店油烟扰民", 民办培训机构): a description of many shops, not one shop's name.
    """
    if name.endswith(COMPANY_LEGAL_FORMS):
        return "legal_form"
    if PUBLIC_INSTITUTIONS.search(name):
        return "public"
    head = name[: len(name) - _suffix_len(name, BUSINESS_SUFFIXES)]
    while m := _admin_prefix().match(head):
        head = head[m.end() :]
    return "no_trade_name" if _NO_TRADE_NAME.fullmatch(head) else None


def name_heads(a: str, b: str) -> tuple[str, str]:
    """The distinctive heads of two normalised business names: both less their longest common ending
    (the shared trade words, 牛肉汤馆 in 老牛牛肉汤馆 / 老胡牛肉汤馆)."""
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return (a[: len(a) - n] or a, b[: len(b) - n] or b)


def _heads_agree(a: str, b: str, cutoff: float) -> bool:
    """Equal enough, or one is the other less a trailing word of two or more characters (红星 for 红星便利
    in 红星超市 / 红星便利超市); one more character is another 字号 (夷山 / 夷山佳)."""
    short, long_ = sorted((a, b), key=len)
    return fuzz.ratio(a, b) >= cutoff or (len(short) >= 2 and len(long_) - len(short) >= 2
                                          and long_.startswith(short))


def _district_pools(reg_core: list[str], reg_district: list[str | None]) -> dict:
    """Per county: (cores, register rows) of the names registered in it or in no county, in register order;
    key None: the names of no county."""
    rows_by: dict[str | None, list[int]] = {}
    for j, d in enumerate(reg_district):
        rows_by.setdefault(d, []).append(j)
    unplaced = rows_by.pop(None, [])
    pools = {d: sorted(rows + unplaced) for d, rows in rows_by.items()}
    pools[None] = unplaced
    return {d: ([reg_core[j] for j in rows], rows) for d, rows in pools.items()}


def link_entities(
    mentions_df: pd.DataFrame,
    register_df: pd.DataFrame,
    *,
    score_cutoff: float = 80.0,
    district_penalty: float = 25.0,
    head_cutoff: float = 85.0,
) -> pd.DataFrame:
    """Link business mentions to registered market entities.

    Parameters
    ----------
    mentions_df : DataFrame
        Output of :func:`extract_entities` (or any frame with ``mention`` and optional
        ``entity_type``/``district``); only ``entity_type == "business"`` rows are linked.
    register_df : DataFrame
        Registered entities: ``entity_id``, ``name`` and optional ``district``.
    score_cutoff : float
        Minimum score (0-100) for a match.
    district_penalty : float
        Subtracted when both sides have a district and they differ; 25 keeps a name's core from linking
        across counties (兰考县老李小吃店 is not 祥符区老李小吃店), as ``register_links`` does.
    head_cutoff : float
        Minimum ``fuzz.ratio`` (0-100) of the two names' distinctive heads (:func:`name_heads`) unless
        one head begins with the other (an abbreviated name); below it a candidate is a different
        business however similar the whole names are (老牛牛肉汤馆 is not 老胡牛肉汤馆). 85 demands
        equal heads up to six characters and allows one differing character in longer ones.

    Returns
    -------
    DataFrame
        The business rows of ``mentions_df`` plus ``entity_id`` (or NA), ``matched_name``,
        ``match_score`` (0-100) and ``unlicensed_candidate`` (True when nothing matched).
        The score is rapidfuzz's ``WRatio`` on normalised names (legal form and leading place
        names removed, see :func:`normalize_business_name`).
    """
    for col in ("entity_id", "name"):
        if col not in register_df.columns:
            raise ValueError(f"register_df needs columns 'entity_id' and 'name'; missing {col!r}")
    if "mention" not in mentions_df.columns:
        raise ValueError("mentions_df needs column 'mention'")
    biz = mentions_df
    if "entity_type" in biz.columns:
        biz = biz[biz["entity_type"] == "business"]
    biz = biz.copy()
    reg_core = [normalize_business_name(n) for n in register_df["name"]]
    reg_district = (
        register_df["district"].tolist() if "district" in register_df.columns else [None] * len(register_df)
    )
    districts = gazetteer()["district"]
    reg_district = [districts.get(d, d) if isinstance(d, str) else None for d in reg_district]
    mention_district = biz["district"].tolist() if "district" in biz.columns else [None] * len(biz)

    # A registered name of another county loses ``district_penalty`` points; when that alone keeps it below the
    # cutoff, a mention with a county is compared with the names of its county and of none only, so the rest of
    # the register neither costs time nor takes the ten candidate places.
    pools = _district_pools(reg_core, reg_district) if score_cutoff > 100 - district_penalty else None

    ids, names, scores = [], [], []
    for mention, dist in zip(biz["mention"], mention_district, strict=True):
        dist = districts.get(dist, dist) if isinstance(dist, str) else None
        core = normalize_business_name(mention)
        best = (None, None, 0.0)
        cores, rows = pools.get(dist, pools[None]) if pools is not None and dist else (reg_core, None)
        for _, score, j in process.extract(core, cores, scorer=fuzz.WRatio, limit=10):
            j = j if rows is None else rows[j]
            if not _heads_agree(*name_heads(core, reg_core[j]), head_cutoff):
                continue
            if dist and reg_district[j] and reg_district[j] != dist:
                score -= district_penalty
            if score > best[2]:
                best = (register_df["entity_id"].iloc[j], register_df["name"].iloc[j], score)
        if best[2] >= score_cutoff:
            ids.append(best[0])
            names.append(best[1])
        else:
            ids.append(pd.NA)
            names.append(pd.NA)
        scores.append(round(float(best[2]), 1))
    biz["entity_id"] = pd.array(ids, dtype=object)
    biz["matched_name"] = pd.array(names, dtype=object)
    biz["match_score"] = scores
    biz["unlicensed_candidate"] = biz["entity_id"].isna()
    return biz.reset_index(drop=True)
