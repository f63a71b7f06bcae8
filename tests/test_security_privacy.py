"""Masking of personal data for roles outside PII_ROLES."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from data_access.privacy import MASK, mask_columns, mask_id_number, mask_name, mask_phone, redact_text
from data_access.scope import Scope


@pytest.mark.parametrize(("phone", "masked"), [
    ("13812341234", "138****1234"),
    ("138-1234-1234", "138****1234"),
    ("+86 13812341234", "138****1234"),
    ("0371-23456789", "0371-****6789"),
    ("010-12345678", "010-****5678"),
    ("12345", "*2345"),
    ("", ""),
    (None, None),
])
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(("name", "masked"), [
    ("张三丰", "张**"), ("张三", "张*"), ("欧阳娜娜", "欧***"), ("李", "*"), (" 王五 ", "王*"), (None, None),
])
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_mask_id_number_keeps_prefix_and_last_four():
    assert mask_id_number("41020219900101123X") == "410***********123X"
    assert mask_id_number("410202900101123") == "410********1123"


@pytest.mark.parametrize(("text", "expected"), [
    ("我的电话13812341234，请回电", "我的电话138****1234，请回电"),
    ("身份证号410202199001011234投诉", "身份证号410***********1234投诉"),
    ("座机0371-23456789或者邮箱wang.er@example.com", "座机0371-****6789或者邮箱w******@example.com"),
    ("银行卡6222021234567890123被扣款", "银行卡***************0123被扣款"),
    # Order numbers, amounts and dates inside text are not personal data and stay as written.
    ("工单2024061200012345已于2024-06-12办结，罚款5000元", "工单2024061200012345已于2024-06-12办结，罚款5000元"),
    ("", ""),
])
def test_redact_text(text, expected):
    assert redact_text(text) == expected


def test_mask_columns_only_for_roles_without_pii():
    df = pd.DataFrame({"caller_name": ["张三丰", None], "caller_phone": ["13812341234", "13900001111"],
                       "content": ["电话13812341234", "无"]})
    analyst = mask_columns(df, Scope("a", "ANALYST"), names=["caller_name"], phones=["caller_phone"],
                           texts=["content"])
    assert analyst.equals(df)
    leader = mask_columns(df, Scope("l", "LEADER"), names=["caller_name"], phones=["caller_phone"],
                          texts=["content"])
    assert leader["caller_name"].tolist()[0] == "张**" and pd.isna(leader["caller_name"].tolist()[1])
    assert leader["caller_phone"].tolist() == ["138****1234", "139****1111"]
    assert leader["content"].tolist() == ["电话138****1234", "无"]
    assert df["caller_phone"].tolist()[0] == "13812341234"  # the input frame is not modified


# ---------------------------------------------------------------------------- formats (issue #21.3)

@pytest.mark.parametrize(("text", "expected"), [
    ("电话１３８１２３４５６７８", "电话138****5678"),
    ("电话139.1234.5678谢谢", "电话139****5678谢谢"),
    ("座机(0371)23456789", "座机0371-****6789"),
    ("座机（0371）2345 6789", "座机0371-****6789"),
    ("手机1381 2345 678。", "手机138****5678。"),
    ("+86 138-1234-5678", "138****5678"),
    ("008613812345678", "138****5678"),
    ("卡号6222 0212 3456 7890 123", "卡号***************0123"),
    ("身份证４１０１０２１９９００３０７１２３Ｘ", "身份证410***********123X"),
    ("邮箱ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ，谢谢", "邮箱z****@example.com，谢谢"),
])
def test_redact_text_formats_found_by_the_probe(text, expected):
    assert redact_text(text) == expected


_FULL_WIDTH = {ord(c): chr(ord(c) + 0xFEE0) for c in "0123456789"}
_SEPARATORS = st.sampled_from(["", "", " ", "-", ".", "·"])
_CONTEXT = st.sampled_from(["", "我的电话", "联系方式：", "请回电", "号码是", "，", "。", "电话 "])
_TAIL = st.sampled_from(["", "，谢谢", "。", " 请尽快处理", "（本人）"])


def _spaced(digits: str, seps: list[str]) -> str:
    return digits[0] + "".join(s + d for s, d in zip(seps, digits[1:], strict=False))


@st.composite
def _written(draw, digits: st.SearchStrategy[str]) -> tuple[str, str]:
    """(digits, how a caller might write them): one optional separator between digits, maybe full-width."""
    value = draw(digits)
    text = _spaced(value, [draw(_SEPARATORS) for _ in value[1:]])
    # Decided: digits with one dot before their last one or two digits read as an amount (130000000.00元).
    assume(not re.fullmatch(r"\d+\.\d{1,2}", text))
    if draw(st.booleans()):
        text = text.translate(_FULL_WIDTH)
    return value, draw(_CONTEXT) + text + draw(_TAIL)


def _digits(text: str) -> str:
    return "".join(c for c in text.translate({v: k for k, v in _FULL_WIDTH.items()}) if c.isdigit() or c in "Xx")


_MOBILES = st.from_regex(r"\A1[3-9][0-9]{9}\Z")
# Area codes: 010 and 02x with 8-digit numbers; 0[3-9]xx with 7 or 8 digits.
_LANDLINES = st.from_regex(r"\A(0(10|2[0-9])[2-8][0-9]{7}|0[3-9][0-9]{2}[2-8][0-9]{6,7})\Z")
_IDS = st.builds(lambda region, year, month, day, seq, check: f"{region}{year}{month:02d}{day:02d}{seq}{check}",
                 st.from_regex(r"\A[1-6][0-9]{5}\Z"), st.integers(1930, 2020).map(str), st.integers(1, 12),
                 st.integers(1, 28), st.from_regex(r"\A[0-9]{3}\Z"), st.sampled_from(list("0123456789X")))
_CARDS = st.from_regex(r"\A(62|4[0-9]|5[1-5]|9[0-9])[0-9]{14,17}\Z")


@settings(max_examples=300, deadline=None)
@given(st.one_of(_written(_MOBILES), _written(_LANDLINES), _written(_IDS), _written(_CARDS)))
def test_generated_phone_id_and_card_numbers_never_survive(case):
    value, text = case
    masked = redact_text(text)
    # At most the kept ends remain (the context holds no digits): at least three digits are masked (a
    # 7-digit local number keeps its area code and last four).
    assert masked.count(MASK) >= 3
    assert len(_digits(masked)) <= len(value) - 3


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"\A[a-z][a-z0-9._]{1,15}\Z"), st.sampled_from(["qq.com", "163.com", "example.org.cn"]),
       st.booleans())
def test_generated_email_addresses_never_survive(local, domain, full_width):
    address = f"{local}@{domain}"
    text = "邮箱" + (address.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}) if full_width else address) + "。"
    masked = redact_text(text)
    assert f"{local}@" not in masked.translate({c + 0xFEE0: c for c in range(0x21, 0x7F)})
    assert domain in masked.translate({c + 0xFEE0: c for c in range(0x21, 0x7F)})


_DATES = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)).flatmap(
    lambda d: st.sampled_from([d.isoformat(), d.strftime("%Y%m%d"), f"{d.year}年{d.month}月{d.day}日",
                               d.strftime("%Y/%m/%d"), d.strftime("%Y.%m.%d")]))
_AMOUNTS = st.decimals(min_value=0, max_value=10**9, places=2).map(lambda v: f"{v}元")
_ORDER_NOS = st.one_of(st.from_regex(r"\AKF20[0-9]{13}\Z"), st.from_regex(r"\A20[0-9]{14}\Z"))
_USCCS = st.from_regex(r"\A[19]1[0-9]{6}[A-HJ-NP-RTUW-Y]{2}[0-9A-HJ-NP-RTUW-Y]{8}\Z").filter(
    lambda u: sum(c.isalpha() for c in u) >= 2)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_DATES, _AMOUNTS, _ORDER_NOS, _USCCS), min_size=1, max_size=4))
def test_dates_amounts_order_numbers_and_company_codes_stay_as_written(values):
    text = "工单" + "，".join(values) + "已办结。"
    assert redact_text(text) == text
