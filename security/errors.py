"""Refusals an operator reads: the command line prints the English message, the pages show the Chinese one."""

from __future__ import annotations


class OperatorError(ValueError):
    """A refused user, key, wall-token or password operation, with its message in both languages."""

    def __init__(self, message: str, zh: str) -> None:
        super().__init__(message)
        self.zh = zh
