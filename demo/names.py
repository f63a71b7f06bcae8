"""Fictitious but plausible names for the demo warehouse: market entities, people, phone numbers.

Business names follow Kaifeng naming patterns (kaifeng_places.md §4.3): "开封市 + 字号 + 行业 + 有限公司" for
企业, "区县 + 老X + 招牌 + 店" / "字号 + 便利店/诊所" for 个体工商户, "县 + 字号 + 种植/养殖专业合作社" for
合作社. 字号 are composed from auspicious syllables and local prefixes (汴梁/宋都/大宋/菊城 …) and are not
taken from any register; collisions with real firms are possible but not intended. The word lists are
data, in ``demo/data/names.toml``.

Public API::

    business_name(rnd, industry_code, county_code, subject_type) -> str   # subject_type "91"/"92"/"93"
    person_name(rnd) -> str
    phone(rnd) -> str            # "13812345678"
    masked_phone(rnd) -> str     # "138****5678"
"""

from __future__ import annotations

import random as _random

from data_access import codes
from demo.data_files import load


def _ch(rnd, seq):
    """rnd.choice without the getrandbits loop (deterministic, ~3x faster)."""
    return seq[int(rnd.random() * len(seq))]


# ------------------------------------------------------------------------------------------- people

_WORDS = load("names")
SURNAMES = tuple(_WORDS["surnames"])  # weighted by repetition: the most common Henan surnames appear more often
_GIVEN_M = tuple(_WORDS["given_male"])
_GIVEN_F = tuple(_WORDS["given_female"])


def person_name(rnd: _random.Random) -> str:
    """A common-surname Chinese name, e.g. "王建国", "李娜"."""
    return _ch(rnd, SURNAMES) + _ch(rnd, _GIVEN_M if rnd.random() < 0.5 else _GIVEN_F)


_PREFIXES = tuple(_WORDS["phone_prefixes"])


def phone(rnd: _random.Random) -> str:
    """An 11-digit mainland mobile number 1[3-9]x xxxx xxxx."""
    return _ch(rnd, _PREFIXES) + f"{rnd.randrange(100_000_000):08d}"


def masked_phone(rnd: _random.Random) -> str:
    """A masked mobile number as 12345 systems display it, e.g. "138****5678"."""
    return _ch(rnd, _PREFIXES) + f"****{rnd.randrange(10_000):04d}"


# -------------------------------------------------------------------------------------- businesses

# 字号 syllables: local/cultural prefixes + generic auspicious two-character words.
_LOCAL = tuple(_WORDS["local"])
_AUSP = tuple(_WORDS["auspicious"])
_ZIHAO_1 = tuple(_WORDS["syllables"])


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
    section: (tuple(w["company"]), tuple(w["shop"]), tuple(w["cooperative"])) for section, w in _WORDS["industry"].items()
}
_DEFAULT_WORDS = _INDUSTRY_WORDS["F"]
_CO_SUFFIX = tuple(_WORDS["company_suffix"])
_OLD = tuple(_WORDS["old"])
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
