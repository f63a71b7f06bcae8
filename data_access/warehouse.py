"""Warehouse lifecycle used by the CLI and tests: create/upgrade, seed reference data, count facts.

Loading the demo data is ``demo.load.load_demo`` (the generator sits above ``dispatch``, docs/architecture.md)."""

from __future__ import annotations

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from data_access import migrate
from data_access.reference import seed_reference
from data_access.schema import FACT_TABLES, HotlineTicket


def init(engine: Engine) -> dict[str, int]:
    """Create or upgrade the schema, then (re)seed the reference dimensions."""
    migrate.upgrade(engine)
    with Session(engine) as session, session.begin():
        return seed_reference(session)


def has_data(engine: Engine) -> bool:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(HotlineTicket)) > 0


def fact_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.__table__.name: conn.execute(text(f'SELECT COUNT(*) FROM "{t.__table__.name}"')).scalar_one()
                for t in FACT_TABLES}
