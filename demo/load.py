"""Fill an initialised warehouse with the demo data: ``bianjian demo`` and the tests' and notebooks' demos."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Engine

from data_access.schema import Base, Setting
from data_access.warehouse import has_data
from demo import generator

# Reference dimensions and who-may-do-what (users, sessions, keys, tokens, the audit chain) survive --replace.
KEPT_ON_REPLACE = frozenset({
    "dim_region", "dim_department", "dim_hotline_category", "dim_urban_category", "dim_credit_measure", "dim_workday",
    "alembic_version", "app_user", "app_session", "app_login_attempt", "app_kiosk_token", "app_api_key",
    "app_audit_log", "app_setting"})


class WarehouseNotEmpty(RuntimeError):
    pass


def load_demo(engine: Engine, *, scale: float, seed: int, end: dt.date | None = None, replace: bool = False,
              progress: Callable[[str], None] = lambda _m: None) -> dict[str, int]:
    """Fill an initialised warehouse with demo data in one transaction.

    Refuses a warehouse that already holds facts unless ``replace`` (then facts and derived tables are
    emptied first, reference dimensions kept).
    """
    end = end or dt.date.today() - dt.timedelta(days=1)
    if has_data(engine) and not replace:
        raise WarehouseNotEmpty("warehouse already holds data; use --replace to regenerate it")
    with engine.begin() as conn:
        if replace:
            for table in reversed(Base.metadata.sorted_tables):
                if table.name not in KEPT_ON_REPLACE:
                    conn.execute(table.delete())
        counts = generator.generate(conn, scale=scale, seed=seed, end=end, progress=progress)
        conn.execute(Setting.__table__.delete().where(Setting.key.in_(["demo_scale", "demo_seed", "demo_end"])))
        conn.execute(Setting.__table__.insert(), [
            {"key": "demo_scale", "value": str(scale)}, {"key": "demo_seed", "value": str(seed)},
            {"key": "demo_end", "value": end.isoformat()}])
    return counts
