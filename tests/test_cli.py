"""The command line: every command and group answers --help, and the documented commands exist."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from bianjian_cli import cli

DOCUMENTED = ["init", "demo", "pipeline", "serve", "ingest", "leads", "report", "eval", "risk", "text",
              "users", "kiosk", "keys", "audit", "settings"]


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


@pytest.mark.parametrize("path", list(_commands(cli)), ids=" ".join)
def test_every_command_has_help(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_documented_commands_exist():
    assert set(DOCUMENTED) <= set(cli.commands)


def test_unknown_command_fails_clearly():
    result = CliRunner().invoke(cli, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command" in result.output
