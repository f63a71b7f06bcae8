"""Row scoping by role, enforced in query functions (never only in a layout).

A ``Scope`` says who is asking. Query functions that return leads, feedback or personal data take a
``scope`` and filter server-side: a department head sees only their department's rows, whatever a
crafted callback asks for.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select

ROLES: dict[str, str] = {
    "LEADER": "领导",
    "ANALYST": "分析员",
    "DEPT_HEAD": "部门负责人",
    "DATA_ADMIN": "数据管理员",
    "SYS_ADMIN": "系统管理员",
    "WALL": "大屏",
}
# Roles that may see complainants' names, phone numbers and ID numbers unmasked.
PII_ROLES = frozenset({"ANALYST"})


@dataclass(frozen=True)
class Scope:
    user: str
    role: str
    dept_code: str | None = None  # required for DEPT_HEAD

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}")
        if self.role == "DEPT_HEAD" and not self.dept_code:
            raise ValueError("a department head's scope needs dept_code")

    @property
    def all_departments(self) -> bool:
        return self.role != "DEPT_HEAD"

    @property
    def sees_pii(self) -> bool:
        return self.role in PII_ROLES

    def restrict(self, stmt: Select, dept_column) -> Select:  # noqa: ANN001
        """Limit ``stmt`` to the rows this scope may see, by the department column given."""
        return stmt if self.all_departments else stmt.where(dept_column == self.dept_code)


# The batch pipeline and CLI act as the system.
SYSTEM = Scope(user="system", role="SYS_ADMIN")
