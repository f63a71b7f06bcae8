"""统一社会信用代码 checks (GB 32100-2015) on real-world codes: invalid codes are explained, never fatal."""

import pytest

from data_access import uscc


@pytest.mark.parametrize("code", [
    "91350200MA2YJ1XR9G",  # enterprise, Xiamen
    "913502000728319549",
    "91440101MA5CJQ4N59",  # enterprise, Guangzhou
    "31110000E00017891P",  # law firm (司法行政)
    "123502001549897397",  # public institution (事业单位)
])
def test_real_codes_are_valid(code):
    assert uscc.is_valid(code)
    assert uscc.explain(code) is None


@pytest.mark.parametrize(("code", "reason"), [
    ("91350203M0001QAY9B", "校验位错误"),  # a real registered code that fails its check digit
    ("9135020", "应为18位"),
    ("91350200MA2YJ1XR9O", "非法字符"),  # O is not in the charset
    ("", "为空"),
    (None, "为空"),
])
def test_invalid_codes_are_explained(code, reason):
    assert not uscc.is_valid(code)
    assert reason in uscc.explain(code)


def test_lowercase_is_accepted():
    assert uscc.is_valid("91350200ma2yj1xr9g")


def test_make_builds_valid_codes_with_org_check():
    code = uscc.make("91", "410204", "MA3XK7Q2")
    assert uscc.is_valid(code)
    assert code[:8] == "91410204" and code[16] == uscc.org_check_digit("MA3XK7Q2")


@pytest.mark.parametrize("code", ["91350200MA2YJ1XR9G", "913502000728319549", "91440101MA5CJQ4N59",
                                  "123502001549897397", "31110000E00017891P"])
def test_org_check_digit_matches_real_codes(code):
    # position 17 of a real code is the GB 11714 check of positions 9–16
    assert uscc.org_check_digit(code[8:16]) == code[16]
