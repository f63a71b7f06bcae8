"""Password hashing with argon2id (argon2-cffi's defaults, the RFC 9106 low-memory profile)."""

from __future__ import annotations

import functools
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from data_access import limits
from security.errors import OperatorError

MIN_LENGTH = 10
_hasher = PasswordHasher()


class WeakPassword(OperatorError):
    pass


def check_strength(password: str) -> None:
    """Refuse passwords an online guesser would find quickly: too short, or a single kind of character."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"password must have at least {MIN_LENGTH} characters", f"密码至少 {MIN_LENGTH} 个字符")
    if len(password) > limits.max_chars("password"):
        raise WeakPassword(f"password must have at most {limits.max_chars('password')} characters",
                           f"密码最多 {limits.max_chars('password')} 个字符")
    kinds = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]"))
    if kinds < 3:
        raise WeakPassword("password must mix at least three of: lower case, upper case, digits, symbols",
                           "密码须包含小写字母、大写字母、数字、符号中的至少三类")


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("not-a-real-password-0")


def burn_verify_time(password: str) -> None:
    """Spend the time of one real verification, so an unknown username answers as slowly as a known one."""
    verify_password(_dummy_hash(), password)
