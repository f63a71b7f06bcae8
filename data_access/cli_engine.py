"""The warehouse engine for command-line commands: opened once, checked, and a readable error when it cannot be.

Every feature's click commands (ingest, leads, users, eval, …) and ``bianjian_cli`` call ``warehouse_engine()``;
it lives here, in the bottom layer, so that no feature package imports the top-level ``bianjian_cli`` back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

import settings

if TYPE_CHECKING:
    from sqlalchemy import Engine


def warehouse_engine() -> Engine:
    """The configured warehouse's engine, after one test connection (ClickException naming the URL if it fails)."""
    from data_access import db  # lazy: `bianjian --help` and the command groups load without SQLAlchemy

    try:
        engine = db.engine()
        with engine.connect():
            pass
    except Exception as exc:
        raise click.ClickException(f"cannot open the warehouse at {settings.database_url()}: {exc}") from exc
    return engine
