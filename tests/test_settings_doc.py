"""docs/configuration.md is the reference of every setting; it is generated from settings.py and cannot drift."""

from __future__ import annotations

from click.testing import CliRunner

import settings
from bianjian_cli import cli
from tests.conftest import REPO_ROOT

DOC = REPO_ROOT / "docs" / "configuration.md"


def test_the_configuration_page_is_what_settings_declare():
    assert DOC.read_text(encoding="utf-8") == settings.markdown(), (
        "docs/configuration.md is stale: run `bianjian settings --markdown > docs/configuration.md`")


def test_every_setting_has_a_row_with_its_variable_and_default():
    doc = DOC.read_text(encoding="utf-8")
    for s in settings.SETTINGS:
        row = next(line for line in doc.splitlines() if line.startswith(f"| `{s.env}` |"))
        if s.default and s.name != "var_dir":
            assert f"`{s.default}`" in row


def test_the_cli_prints_the_page():
    result = CliRunner().invoke(cli, ["settings", "--markdown"])
    assert result.exit_code == 0
    assert result.output == settings.markdown()
