"""统一社会信用代码 (Unified Social Credit Code) checks, GB 32100-2015.

Real registers contain codes that fail the check digit, so callers flag invalid codes (``uscc_valid``)
and never reject the row (domain.md §5.1, §9).
"""

from __future__ import annotations

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_VALUE = {c: i for i, c in enumerate(CHARSET)}
_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, ...
_ORG_VALUE = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

REGISTRATION_DEPARTMENTS = {
    "1": "机构编制", "2": "外交", "3": "司法行政", "4": "文化", "5": "民政", "6": "旅游", "7": "宗教",
    "8": "工会", "9": "工商(市场监管)", "A": "中央军委改革和编制办公室", "N": "农业", "Y": "其他",
}


def check_digit(first17: str) -> str:
    """The 18th character for the first 17 (raises ValueError on a character outside the charset)."""
    if len(first17) != 17:
        raise ValueError("need the first 17 characters")
    total = sum(_VALUE[c] * w for c, w in zip(first17.upper(), _WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def org_check_digit(body8: str) -> str:
    """GB 11714 organisation-code check character (position 17) for positions 9–16."""
    total = sum(_ORG_VALUE[c] * w for c, w in zip(body8.upper(), _ORG_WEIGHTS, strict=True))
    r = 11 - total % 11
    return {10: "X", 11: "0"}.get(r, str(r))


def is_valid(code: str | None) -> bool:
    """True for an 18-character code from the charset whose check digit matches."""
    if not code or len(code) != 18:
        return False
    code = code.upper()
    if any(c not in _VALUE for c in code):
        return False
    return check_digit(code[:17]) == code[17]


def explain(code: str | None) -> str | None:
    """A plain-Chinese reason why a code is invalid, or None when it is valid."""
    if not code:
        return "统一社会信用代码为空"
    code = code.strip().upper()
    if len(code) != 18:
        return f"统一社会信用代码应为18位，实际{len(code)}位"
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        return f"统一社会信用代码含非法字符：{''.join(bad)}"
    expected = check_digit(code[:17])
    if expected != code[17]:
        return f"统一社会信用代码校验位错误：应为{expected}，实际为{code[17]}"
    return None


def make(prefix: str, region6: str, body8: str) -> str:
    """Build a valid code from its parts (``prefix`` = 登记管理部门 + 机构类别, e.g. "91")."""
    first17 = prefix + region6 + body8 + org_check_digit(body8)
    return first17 + check_digit(first17)
