"""ui.tables.markdown_table: many rows as one Dash component, whatever the cells hold."""

from __future__ import annotations

import math

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
