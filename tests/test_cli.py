"""The command line: every command and group answers --help, and the documented commands exist."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from bianjian_cli import cli

DOCUMENTED = ["init", "demo", "pipeline", "serve", "ingest", "leads", "report", "eval", "risk", "text",
              "users", "kiosk", "keys", "audit", "settings"]


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    context = click.Context(group)
    for name in group.list_commands(context):  # the area groups are loaded on first use
        command = group.get_command(context, name)
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


@pytest.mark.parametrize("path", list(_commands(cli)), ids=" ".join)
def test_every_command_has_help(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_documented_commands_exist():
    assert set(DOCUMENTED) <= set(cli.list_commands(click.Context(cli)))


def test_a_command_imports_only_its_own_area():
    """``bianjian ingest`` must not pay for scikit-learn, Dash or the other areas at start-up."""
    import subprocess
    import sys

    code = ("import sys; from click.testing import CliRunner; from bianjian_cli import cli; "
            "CliRunner().invoke(cli, ['ingest', '--help']); "
            "print(sorted(m for m in ('sklearn', 'scipy', 'dash', 'evaluation', 'metrics') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_unknown_command_fails_clearly():
    result = CliRunner().invoke(cli, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command" in result.output


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["pipeline", "--step", "daily_counts"]])
def test_a_warehouse_older_than_the_code_is_refused_with_what_to_do(command, tmp_path, monkeypatch):
    """A server on an un-upgraded warehouse answered every login with HTTP 500; now it does not start."""
    from data_access import db, migrate, warehouse

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = db.make_engine(url)
    warehouse.init(engine)
    migrate.downgrade(engine, migrate.script_heads()[0] + "-1")
    engine.dispose()
    monkeypatch.setenv("BIANJIAN_DATABASE_URL", url)
    monkeypatch.setenv("BIANJIAN_VAR_DIR", str(tmp_path))
    db.reset()
    result = CliRunner().invoke(cli, command)
    db.reset()
    assert result.exit_code == 1
    assert "older than this code" in result.output and "bianjian init" in result.output
