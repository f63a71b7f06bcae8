"""Masking of personal data for roles outside PII_ROLES."""

from __future__ import annotations

import pandas as pd
import pytest

from data_access.privacy import mask_columns, mask_id_number, mask_name, mask_phone, redact_text
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
