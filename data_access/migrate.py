"""Schema creation and upgrades through Alembic (the migrations live in ``data_access/migrations``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the warehouse to ``revision`` (creates every table on an empty database).

    The history is linear from 0011 on: a new migration revises the single head (``script_heads()``).
    """
    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)


def script_heads() -> list[str]:
    """The head revisions of the migration scripts (one, unless someone branched the history)."""
    return list(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def missing_revisions(engine: Engine) -> list[str]:
    """Migrations this code has that the warehouse has not applied yet (empty when it is current)."""
    script = ScriptDirectory.from_config(alembic_config())
    with engine.connect() as connection:
        applied = set(MigrationContext.configure(connection).get_current_heads())
    wanted = {rev.revision for rev in script.walk_revisions()}
    done = {rev.revision for head in applied for rev in script.iterate_revisions(head, "base")}
    return sorted(wanted - done)
