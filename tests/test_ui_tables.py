"""ui.tables: markdown_table holds many rows as one Dash component, whatever the cells hold; the grids' legacy
theme stylesheets are of the AG Grid version dash-ag-grid runs."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import dash_ag_grid
from dash import dcc, html

from ui import tables


def test_markdown_table_escapes_cells_and_keeps_one_line_per_row():
    table = tables.markdown_table(["步骤", "说明"], [["daily_counts", "RuntimeError: a|b *c* [d](e) <b>x</b>\nnext"],
                                                   [None, math.nan]])
    assert isinstance(table, dcc.Markdown) and table.className == "bj-table"
    lines = table.children.split("\n")
    assert len(lines) == 4  # header, rule, two rows: the message's line break did not start a row
    assert lines[2] == r"| daily\_counts | RuntimeError: a\|b \*c\* \[d\]\(e\) \<b\>x\</b\> next |"
    assert lines[3] == "|   |   |"  # missing values are empty cells


def test_markdown_table_without_rows_says_so():
    empty = tables.markdown_table(["a"], [])
    assert isinstance(empty, html.Div) and empty.children == tables.EMPTY_TEXT


def test_grid_stylesheets_are_of_the_ag_grid_version_dash_ag_grid_runs():
    """The legacy theme (tables.GRID_OPTIONS) is drawn by assets/vendor's stylesheets: upgrading dash-ag-grid
    without replacing them (ag-grid-community's styles/, the version below) would style a newer grid with
    older CSS."""
    info = json.loads((Path(dash_ag_grid.__file__).parent / "package-info.json").read_text(encoding="utf-8"))
    vendor = Path(__file__).resolve().parents[1] / "assets" / "vendor"
    for name in ("ag-grid.min.css", "ag-theme-quartz.min.css"):
        header = (vendor / name).read_text(encoding="utf-8")[:200]
        assert re.match(r"/\* ag-grid-community (\S+),", header).group(1) == info["dependencies"]["ag-grid-community"]
    assert tables.GRID_OPTIONS["theme"] == "legacy" and tables.THEME_CLASS == "ag-theme-quartz"
